using Microsoft.Playwright;

namespace ChatOpsBot.BrowserTests;

/// <summary>
/// The browser under test: Debian's Chromium (Playwright's own browser download cannot run here), headless, with the
/// flags that keep it off the network and out of first-run work.
/// </summary>
internal static class DebianChromium
{
    public static Task<IBrowser> LaunchAsync(IPlaywright playwright) => playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
    {
        ExecutablePath = Environment.GetEnvironmentVariable("CHROMIUM_PATH") ?? "/usr/bin/chromium",
        Headless = true,
        Args = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-gpu"],
    });
}
