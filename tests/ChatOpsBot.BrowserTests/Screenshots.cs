using Microsoft.Playwright;

namespace ChatOpsBot.BrowserTests;

/// <summary>Full-page screenshots of every variant, kept with the test output in TestResults/screenshots.</summary>
internal static class Screenshots
{
    public static string Directory { get; } = Locate();

    public static async Task<string> TakeAsync(IPage page, string name)
    {
        var path = Path.Combine(Directory, name + ".png");
        await page.ScreenshotAsync(new() { Path = path, FullPage = true });
        return path;
    }

    private static string Locate()
    {
        if (Environment.GetEnvironmentVariable("SCREENSHOT_DIR") is { Length: > 0 } configured)
            return System.IO.Directory.CreateDirectory(configured).FullName;
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ChatOpsBot.sln")))
            dir = dir.Parent;
        var root = dir?.FullName ?? AppContext.BaseDirectory;
        return System.IO.Directory.CreateDirectory(Path.Combine(root, "TestResults", "screenshots")).FullName;
    }
}
