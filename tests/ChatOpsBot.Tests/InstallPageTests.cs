using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using ChatOpsBot.Core.Builds;
using ChatOpsBot.Features.Install;

namespace ChatOpsBot.Tests;

public sealed partial class InstallPageTests
{
    private const string Nonce = "n0nce+/=AbC";
    private const string Base = "https://ota.example.test/i/tok3n";

    private static InstallPageModel Model(
        string name = "Demo",
        string? notes = "Fixes the login crash.",
        string requestedBy = "Ada Lovelace",
        InstallPageState state = InstallPageState.Ready,
        ProvisioningProfileType? profile = ProvisioningProfileType.AdHoc,
        int? devices = 3) => new(
            AppSlug: "demo",
            AppName: name,
            Version: "1.4.2",
            BuildNumber: "187",
            Channel: "beta",
            Notes: notes,
            HasIcon: true,
            InstallPageUrl: Base,
            ManifestUrl: Base + "/manifest.plist",
            ItmsServicesUrl: "itms-services://?action=download-manifest&url=" + Uri.EscapeDataString(Base + "/manifest.plist"),
            IconUrl: Base + "/icon.png",
            QrCodeUrl: Base + "/qr.png",
            RequestedBy: requestedBy,
            ExpiresAt: new DateTimeOffset(2026, 5, 1, 14, 30, 0, TimeSpan.Zero),
            ProfileType: profile,
            ProfileExpiresAt: new DateTimeOffset(2027, 1, 15, 9, 30, 0, TimeSpan.Zero),
            ProfileDeviceCount: devices,
            State: state);

    private static string Render(InstallPageModel model, InstallClient client = InstallClient.IosSafari) => InstallPage.Render(model, client, Nonce);

    [GeneratedRegex("<a class=\"button\" id=\"install\" href=\"([^\"]*)\"")]
    private static partial Regex InstallHref();

    [GeneratedRegex("<div class=\"notes\" id=\"notes\">(.*?)</div>", RegexOptions.Singleline)]
    private static partial Regex NotesElement();

    [GeneratedRegex(@"<(script|style)\b([^>]*)>")]
    private static partial Regex InlineBlocks();

    [GeneratedRegex(@"\son[a-z]+\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex EventHandlerAttribute();

    [GeneratedRegex(@"\s(?:src|href)=""([^""]*)""")]
    private static partial Regex References();

    [Fact]
    public void NamesNotesAndRequesterAreHtmlEncoded()
    {
        var html = Render(Model(
            name: "Tom & Jerry <beta>",
            notes: "<img src=x onerror=alert(1)> & \"quotes\" 'too'",
            requestedBy: "\"Mallory\" <script>alert(1)</script>"));

        Assert.Contains("Tom &amp; Jerry &lt;beta&gt;", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<beta>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<img src=x", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>alert", html, StringComparison.Ordinal);
        Assert.Single(Regex.Matches(html, "<script"));
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html, StringComparison.Ordinal);
        Assert.Contains("<title>Install Tom &amp; Jerry &lt;beta&gt;</title>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void NonLatinNamesAreWrittenAsTheyAre()
    {
        var html = Render(Model(name: "テスト版 Приложение 🚀", requestedBy: "Zoë Ångström"));

        Assert.Contains("<h1 id=\"app-name\">テスト版 Приложение", html, StringComparison.Ordinal);
        Assert.Contains("Zoë Ångström", html, StringComparison.Ordinal);
        Assert.Contains("<meta charset=\"utf-8\">", html, StringComparison.Ordinal);
    }

    [Fact]
    public void NotesKeepTheirLineBreaksAndDecodeToTheOriginalText()
    {
        const string notes = "Fixes:\n- login crash\n- <b>bold</b> & more\r\n\n  indented";

        var html = Render(Model(notes: notes));

        var element = NotesElement().Match(html);
        Assert.True(element.Success);
        Assert.DoesNotContain('\n', element.Groups[1].Value);
        Assert.Equal(notes, WebUtility.HtmlDecode(element.Groups[1].Value));
        Assert.Contains(".notes{white-space:pre-wrap", html, StringComparison.Ordinal);
    }

    [Fact]
    public void InstallLinkEncodesItsAmpersandAndDecodesBackToTheManifestUrl()
    {
        var html = Render(Model());

        var href = InstallHref().Match(html).Groups[1].Value;
        Assert.StartsWith("itms-services://?action=download-manifest&amp;url=", href, StringComparison.Ordinal);
        var decoded = WebUtility.HtmlDecode(href);
        const string prefix = "itms-services://?action=download-manifest&url=";
        Assert.StartsWith(prefix, decoded, StringComparison.Ordinal);
        Assert.Equal(Base + "/manifest.plist", Uri.UnescapeDataString(decoded[prefix.Length..]));
    }

    [Theory]
    [InlineData("IosSafari", "ios")]
    [InlineData("IosInApp", "in-app")]
    [InlineData("Desktop", "desktop")]
    [InlineData("Android", "android")]
    [InlineData("Other", "other")]
    public void EveryReadyPageCarriesTheInstallLinkAndNamesTheClientForItsStyles(string client, string name)
    {
        var html = Render(Model(), Enum.Parse<InstallClient>(client));

        Assert.Contains($"data-client=\"{name}\"", html, StringComparison.Ordinal);
        Assert.Matches(InstallHref(), html);
        Assert.Contains($"value=\"{Base}\"", html, StringComparison.Ordinal);
        Assert.Contains($"src=\"{Base}/qr.png\"", html, StringComparison.Ordinal);
    }

    public static TheoryData<string> WorstCaseNotes => new()
    {
        new string('&', 10_000),
        new string('<', 10_000),
        string.Concat(Enumerable.Repeat("🚀", 5_000)),
        new string('ж', 10_000),
        string.Concat(Enumerable.Repeat("line\n", 2_000)),
    };

    [Theory]
    [MemberData(nameof(WorstCaseNotes))]
    public void PageStaysUnderFiftyKilobytesWithTheLongestNotes(string notes)
    {
        var html = Render(Model(name: new string('&', 500), requestedBy: new string('<', 500), notes: notes));

        Assert.InRange(Encoding.UTF8.GetByteCount(html), 1, 50 * 1024 - 1);
    }

    [Fact]
    public void NotesTooLongForThePageAreShortenedVisiblyWithoutSplittingCharacters()
    {
        var notes = "Start " + string.Concat(Enumerable.Repeat("🚀&", 5_000));

        var html = Render(Model(notes: notes));

        var shown = WebUtility.HtmlDecode(NotesElement().Match(html).Groups[1].Value);
        Assert.EndsWith("…<br><em>(shortened)</em>", shown, StringComparison.Ordinal);
        Assert.StartsWith("Start 🚀&🚀&", shown, StringComparison.Ordinal);
        Assert.DoesNotContain('\uFFFD', shown);
        Assert.InRange(Encoding.UTF8.GetByteCount(html), 1, 50 * 1024 - 1);
    }

    [Fact]
    public void OrdinaryPageIsSmall()
    {
        var html = Render(Model());

        Assert.InRange(Encoding.UTF8.GetByteCount(html), 1, 16 * 1024);
        Assert.DoesNotContain("(shortened)", html, StringComparison.Ordinal);
    }

    [Fact]
    public void PageUsesOnlyNoncedInlineStyleAndScriptAndSameOriginImages()
    {
        var html = Render(Model(name: "x\" onload=\"alert(1)", notes: "javascript:alert(1)"));

        var blocks = InlineBlocks().Matches(html);
        Assert.Equal(2, blocks.Count);
        Assert.All(blocks, b => Assert.Equal(" nonce=\"n0nce&#x2B;/=AbC\"", b.Groups[2].Value));
        Assert.DoesNotMatch(EventHandlerAttribute(), html.Replace("&quot; onload=&quot;", "", StringComparison.Ordinal));
        Assert.DoesNotContain("<link", html, StringComparison.Ordinal);
        Assert.DoesNotContain("href=\"javascript:", html, StringComparison.OrdinalIgnoreCase);
        Assert.All(References().Matches(html), r => Assert.Matches("^(https://ota\\.example\\.test/i/tok3n/|itms-services://|#)", r.Groups[1].Value));
        Assert.Contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">", html, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> DeadStates => new()
    {
        { "LinkExpired", "This install link has expired" },
        { "LinkRevoked", "This install link was revoked" },
        { "BuildRevoked", "This build was withdrawn" },
        { "DownloadLimitReached", "This install link has been used up" },
    };

    [Theory]
    [MemberData(nameof(DeadStates))]
    public void DeadLinksSayOnlyThatTheyAreDeadAndHowToGetANewLink(string state, string reason)
    {
        var html = Render(Model(name: "Project Falcon", notes: "Secret launch notes", requestedBy: "Ada Lovelace", state: Enum.Parse<InstallPageState>(state)));

        Assert.Contains($"<h2>{reason}</h2>", html, StringComparison.Ordinal);
        Assert.Contains($"<title>{reason}</title>", html, StringComparison.Ordinal);
        Assert.Contains("<code id=\"slack-command\">/install &lt;app&gt; &lt;channel&gt;</code>", html, StringComparison.Ordinal);
        Assert.Contains("<code id=\"teams-command\">install &lt;app&gt; &lt;channel&gt;</code>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("itms-services", html, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"install\"", html, StringComparison.Ordinal);
        foreach (var revealing in new[] { "Falcon", "demo", "beta", "1.4.2", "187", "Secret", "Ada", "2026-05-01", "2027", "ad hoc", "tok3n", "/icon.png", "/qr.png" })
            Assert.DoesNotContain(revealing, html, StringComparison.Ordinal);
    }

    [Fact]
    public void ExpiredProfilePageShowsTheBuildAndHowToGetANewLinkButNoInstallLink()
    {
        var html = Render(Model(state: InstallPageState.ProfileExpired));

        Assert.DoesNotContain("itms-services", html, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"install\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("/icon.png", html, StringComparison.Ordinal);
        Assert.Contains("<h2>This build can no longer be installed</h2>", html, StringComparison.Ordinal);
        Assert.Contains("<code id=\"slack-command\">/install demo beta</code>", html, StringComparison.Ordinal);
        Assert.Contains("<code id=\"teams-command\">install demo beta</code>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void ExpiredProfilePageSaysWhenTheProfileExpired()
    {
        var html = Render(Model(state: InstallPageState.ProfileExpired));

        Assert.Contains("expired <time data-local datetime=\"2027-01-15T09:30:00Z\">", html, StringComparison.Ordinal);
    }

    [Fact]
    public void NotFoundPageExplainsAndHasNoInstallLink()
    {
        var html = InstallPage.RenderNotFound(Nonce);

        Assert.DoesNotContain("itms-services", html, StringComparison.Ordinal);
        Assert.Contains("This install link does not exist", html, StringComparison.Ordinal);
        Assert.Contains("/install &lt;app&gt; &lt;channel&gt;", html, StringComparison.Ordinal);
        Assert.Equal(2, InlineBlocks().Matches(html).Count(b => b.Groups[2].Value == " nonce=\"n0nce&#x2B;/=AbC\""));
    }

    [Fact]
    public void EnterpriseBuildsExplainTrustAndTheIos18Restart()
    {
        var html = Render(Model(profile: ProvisioningProfileType.Enterprise, devices: null));

        Assert.Contains("Settings › General › VPN &amp; Device Management", html, StringComparison.Ordinal);
        Assert.Contains("iOS 18", html, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"devices\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public void AdHocBuildsSayTheyInstallOnlyOnRegisteredDevices()
    {
        var html = Render(Model(profile: ProvisioningProfileType.AdHoc, devices: 3));

        Assert.Contains("This is an ad-hoc build: it installs only on devices registered in its provisioning profile (3 devices)", html, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"trust\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public void PageShowsWhoTheLinkIsForAndWhenItExpires()
    {
        var html = Render(Model());

        Assert.Contains("<dd id=\"requested-by\">Ada Lovelace</dd>", html, StringComparison.Ordinal);
        Assert.Contains("<dd id=\"expires\"><time data-local datetime=\"2026-05-01T14:30:00Z\">2026-05-01 14:30 UTC</time></dd>", html, StringComparison.Ordinal);
        Assert.Contains("Version 1.4.2 (build 187)", html, StringComparison.Ordinal);
        Assert.Contains("<span id=\"channel\">beta</span>", html, StringComparison.Ordinal);
    }

    // Representative user agents as the apps send them; Slack on iOS often uses SFSafariViewController and then
    // sends Safari's user agent unchanged, which is why the page also watches the Install tap.
    public static TheoryData<string, string?, string> UserAgents => new()
    {
        { "iPhone Safari", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "IosSafari" },
        { "iPad Safari", "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "IosSafari" },
        { "iPad desktop mode (a Mac user agent; the script corrects it)", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15", "Desktop" },
        { "Slack iOS web view", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Slack/24.06.10.0", "IosInApp" },
        { "Slack iOS SFSafariViewController", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "IosSafari" },
        { "Teams iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 TeamsMobile-iOS", "IosInApp" },
        { "Teams iPad with Teams/", "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Safari/604.1 Teams/6.10.1", "IosInApp" },
        { "Facebook iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/470.0.0.40.106;FBBV/614460232;FBDV/iPhone14,5]", "IosInApp" },
        { "Instagram iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 330.0.3.12.235 (iPhone14,5; iOS 17_5; en_US)", "IosInApp" },
        { "LINE iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Safari/604.1 Line/14.9.0", "IosInApp" },
        { "WeChat iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003129) NetType/WIFI Language/zh_CN", "IosInApp" },
        { "Google app iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) GSA/322.0.646366130 Mobile/15E148 Safari/604.1", "IosInApp" },
        { "bare iOS web view", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148", "IosInApp" },
        { "Chrome iOS (CriOS), offered Safari first", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1", "IosInApp" },
        { "Firefox iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/127.0 Mobile/15E148 Safari/605.1.15", "IosInApp" },
        { "Android Chrome", "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36", "Android" },
        { "Slack Android", "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A.240605.024; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/126.0.6478.71 Mobile Safari/537.36 Slack/24.06.10.0", "AndroidInApp" },
        { "Teams Android web view", "Mozilla/5.0 (Linux; Android 14; Pixel 8; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/126.0.6478.71 Mobile Safari/537.36 TeamsMobile-Android", "AndroidInApp" },
        { "desktop Chrome macOS", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36", "Desktop" },
        { "desktop Firefox macOS", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:127.0) Gecko/20100101 Firefox/127.0", "Desktop" },
        { "desktop Safari macOS", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15", "Desktop" },
        { "Windows Edge", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0", "Desktop" },
        { "Windows Firefox", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0", "Desktop" },
        { "Linux Firefox", "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0", "Desktop" },
        { "ChromeOS", "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36", "Desktop" },
        { "Slack desktop (Electron)", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Slack/4.39.95 Chrome/126.0.6478.127 Electron/31.2.1 Safari/537.36 Sonic Slack_SSB/4.39.95", "Desktop" },
        { "no user agent", null, "Other" },
        { "empty user agent", "", "Other" },
        { "curl", "curl/8.5.0", "Other" },
    };

    [Theory]
    [MemberData(nameof(UserAgents))]
    public void DetectorSortsRealUserAgentsIntoClientKinds(string who, string? userAgent, string expected)
    {
        Assert.Equal((who, Enum.Parse<InstallClient>(expected)), (who, InstallClientDetector.Detect(userAgent)));
    }
}
