using System.Text.Json;
using Microsoft.Playwright;

namespace ChatOpsBot.BrowserTests;

/// <summary>
/// Every console page in real Chromium, on a phone and a desktop, light and dark: no serious or critical axe-core
/// violation, no Content Security Policy violation, no horizontal scrolling on the phone, the dark palette applied
/// when the system asks for it, and a screenshot of each variant in TestResults/screenshots. A new page is one more
/// line in <see cref="Pages"/>.
/// </summary>
public sealed class ConsolePagesBrowserTests(ConsoleSite site, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<ConsoleSite>
{
    /// <summary>The pages checked, and who opens them (null: anonymous). A new page is one more line here.</summary>
    public static IReadOnlyList<ConsolePage> Pages { get; } =
    [
        new("welcome", "/", null),
        new("signin", "/signin", null),
        new("home", "/", "Member"),
        new("subscriptions", "/subscriptions", "ReleaseManager"),
        new("announcement", "/announcements/{announcement}", "ReleaseManager"),
        new("try", "/try", "Member"),
        new("try-install", "/try", "Member", async page =>
        {
            await page.FillAsync("#command", "install demo beta");
            await page.ClickAsync("form[action='/try'] button");
            await page.WaitForSelectorAsync("#slack-preview");
        }),
        new("try-builds", "/try", "ReleaseManager", async page =>
        {
            await page.FillAsync("#command", "builds demo");
            await page.ClickAsync("form[action='/try'] button");
            await page.WaitForSelectorAsync("#teams-preview");
        }),
        new("health", "/health", "Admin"),
        new("apps", "/apps", "Member"),
        new("app", "/apps/demo", "Member"),
        new("build-member", "/builds/{build}", "Member"),
        new("build", "/builds/{build}", "ReleaseManager"),
        new("upload", "/upload", "ReleaseManager"),
        new("settings", "/settings", "Admin"),
        new("setup", "/setup", "Admin"),
    ];

    public static TheoryData<string> PageNames() => [.. Pages.Select(p => p.Name)];

    /// <summary>What fails a page: axe's two highest impacts. Moderate and minor ones go to the test's output, not failed.</summary>
    private static readonly string[] FailingImpacts = ["serious", "critical"];

    private static readonly (string Name, BrowserNewContextOptions Options)[] Devices =
    [
        ("phone", new BrowserNewContextOptions { ViewportSize = new() { Width = 375, Height = 740 }, DeviceScaleFactor = 2, IsMobile = true, HasTouch = true }),
        ("desktop", new BrowserNewContextOptions { ViewportSize = new() { Width = 1280, Height = 800 } }),
    ];

    // The two palettes of ConsoleStyle, as the body's computed background.
    private static readonly Dictionary<ColorScheme, string> Backgrounds = new()
    {
        [ColorScheme.Light] = "rgb(246, 247, 249)",
        [ColorScheme.Dark] = "rgb(17, 20, 23)",
    };

    [Theory]
    [MemberData(nameof(PageNames))]
    public async Task PageIsAccessibleWithinItsPolicyOnAPhoneAndADesktopInLightAndDark(string name)
    {
        var spec = Pages.Single(p => p.Name == name);
        var path = spec.Path.Replace("{announcement}", site.AnnouncementId.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{build}", site.BuildId.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        var failures = new List<string>();
        foreach (var (deviceName, device) in Devices)
        {
            foreach (var scheme in new[] { ColorScheme.Light, ColorScheme.Dark })
            {
                var variant = $"{name} {deviceName} {scheme.ToString().ToLowerInvariant()}";
                var options = new BrowserNewContextOptions
                {
                    ViewportSize = device.ViewportSize, DeviceScaleFactor = device.DeviceScaleFactor, IsMobile = device.IsMobile, HasTouch = device.HasTouch,
                    ColorScheme = scheme,
                };
                await using var context = await site.ContextAsync(options, spec.Role);
                await context.AddInitScriptAsync("""
                    window.__csp = [];
                    document.addEventListener('securitypolicyviolation', function (e) { window.__csp.push(e.violatedDirective + ' ' + e.blockedURI); });
                    """);
                // Injected as the browser's own script, not the page's: the page's policy allows no inline script without its nonce.
                await context.AddInitScriptAsync(site.AxeSource);
                var page = await context.NewPageAsync();
                var console = new List<string>();
                page.Console += (_, message) =>
                {
                    if (message.Type == "error")
                        console.Add(message.Text);
                };
                page.PageError += (_, error) => console.Add(error);

                var response = await page.GotoAsync(site.App.PublicBaseUrl + path);
                Assert.NotNull(response);
                Assert.True(response.Status == 200, $"{variant}: GET {path} answered {response.Status}");
                if (spec.Act is not null)
                    await spec.Act(page);

                foreach (var violation in await page.EvaluateAsync<string[]>("() => window.__csp"))
                    failures.Add($"{variant}: CSP violation {violation}");
                failures.AddRange(console.Where(c => c.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase) || c.Contains("Refused to", StringComparison.Ordinal))
                    .Select(c => $"{variant}: console: {c}"));
                var (scrollWidth, innerWidth) = await page.EvaluateAsync<int[]>("() => [document.documentElement.scrollWidth, window.innerWidth]") is [var s, var w] ? (s, w) : (0, 0);
                if (scrollWidth > innerWidth)
                    failures.Add($"{variant}: scrolls sideways ({scrollWidth} px of content in {innerWidth} px)");
                var background = await page.EvaluateAsync<string>("() => getComputedStyle(document.body).backgroundColor");
                if (background != Backgrounds[scheme])
                    failures.Add($"{variant}: the body's background is {background}, not the {scheme} palette's {Backgrounds[scheme]}");
                var violations = await page.EvaluateAsync<JsonElement>("""
                    async () => (await axe.run(document, { resultTypes: ['violations'] })).violations.map(v => ({
                      id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' ' + (n.failureSummary || '').replace(/\s+/g, ' ')) }))
                    """);
                foreach (var violation in violations.EnumerateArray())
                {
                    var impact = violation.GetProperty("impact").GetString() ?? "";
                    var line = $"{variant}: axe {impact} {violation.GetProperty("id").GetString()}: {violation.GetProperty("help").GetString()} at "
                        + string.Join(" | ", violation.GetProperty("nodes").EnumerateArray().Select(n => n.GetString()));
                    if (FailingImpacts.Contains(impact))
                        failures.Add(line);
                    else
                        output.WriteLine(line);
                }
                await Screenshots.TakeAsync(page, $"console-{name}-{deviceName}-{scheme.ToString().ToLowerInvariant()}");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
