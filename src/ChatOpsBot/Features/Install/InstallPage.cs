using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Unicode;
using ChatOpsBot.Core.Builds;

namespace ChatOpsBot.Features.Install;

/// <summary>
/// The install page: server-rendered, self-contained (inline style and script under the CSP nonce), and usable
/// without JavaScript. Every value from a build or a person is HTML-encoded.
/// </summary>
internal static class InstallPage
{
    public const int FallbackDelayMilliseconds = 3000;

    // Release notes may be 10,000 characters that each encode to several bytes; the page stays under 50 KB.
    public const int NotesBudgetBytes = 20_000;
    private const int FieldLimit = 200;

    // Leaves letters of every script as they are (the page is UTF-8) and encodes markup characters and controls.
    private static readonly HtmlEncoder Html = HtmlEncoder.Create(UnicodeRanges.All);

    /// <summary>The page of a live link: ready, or showing why its build cannot be installed.</summary>
    public static string Render(InstallPageModel model, InstallClient client, string nonce)
    {
        if (IsDead(model.State))
            return RenderDead(model.State, nonce);
        var name = Field(model.AppName);
        var page = new StringBuilder(12_000);
        page.Append("<header class=\"app\">");
        if (model.HasIcon && model.State == InstallPageState.Ready)
            page.Append("<img class=\"icon\" id=\"icon\" src=\"").Append(E(model.IconUrl)).Append("\" alt=\"\" width=\"72\" height=\"72\">");
        else
            page.Append("<div class=\"icon placeholder\" aria-hidden=\"true\">").Append(E(Initial(name))).Append("</div>");
        var both = model.Platform == InstallPageModel.BothPlatforms && model.Android is not null;
        page.Append("<div><h1 id=\"app-name\">").Append(E(name)).Append("</h1><p class=\"meta\" id=\"version\">");
        if (both)
            page.Append("iOS ").Append(E(Field(model.Version))).Append(" (build ").Append(E(Field(model.BuildNumber))).Append(") · Android ")
                .Append(E(Field(model.Android!.Version))).Append(" (build ").Append(E(Field(model.Android.BuildNumber))).Append(')');
        else
            page.Append("Version ").Append(E(Field(model.Version))).Append(" (build ").Append(E(Field(model.BuildNumber))).Append(')');
        page.Append(" · <span id=\"channel\">").Append(E(Field(model.Channel))).Append("</span> channel</p></div></header>");

        var android = model.Platform == "android";
        if (both)
            BothReady(page, model, name);
        else if (android)
            AndroidReady(page, model, name);
        else if (model.State == InstallPageState.Ready)
            Ready(page, model, name);
        else
            ProfileExpired(page, model);

        Details(page, model);
        var title = model.State == InstallPageState.Ready ? $"Install {name}" : $"{name}: {Headline(model.State)}";
        var chrome = android || (both && client is InstallClient.Android or InstallClient.AndroidInApp);
        // A browser the user agent does not place sees a one-platform link's own file; a link for both phones cannot
        // guess, so it gets the desktop view: both builds named, the QR code, and the APK link.
        if (both && client == InstallClient.Other)
            client = InstallClient.Desktop;
        return Shell(title, nonce, $" data-client=\"{ClientName(client)}\" data-platform=\"{(both ? "both" : android ? "android" : "ios")}\" data-browser=\"{(chrome ? "Chrome" : "Safari")}\" data-state=\"{StateName(model.State)}\" data-fallback-delay=\"{FallbackDelayMilliseconds.ToString(CultureInfo.InvariantCulture)}\"", page);
    }

    /// <summary>
    /// The page of a dead link (expired, revoked, withdrawn, used up): that it is dead and how to get a new one. A dead
    /// link may have been forwarded, posted or logged, so the page names no app, build, notes, person or time: the
    /// person it was for knows what they asked for, and the bot tells them what they may install.
    /// </summary>
    public static string RenderDead(InstallPageState state, string nonce)
    {
        var page = new StringBuilder(4_000);
        page.Append("<header class=\"app\"><div class=\"icon placeholder\" aria-hidden=\"true\">×</div><div><h1>This install link no longer works</h1></div></header>")
            .Append("<section class=\"reason\" id=\"reason\"><h2>").Append(Headline(state)).Append("</h2><p>")
            .Append(state switch
            {
                InstallPageState.LinkExpired => "Install links work for a limited time, and this one has expired.",
                InstallPageState.LinkRevoked => "This link was revoked, so it can no longer install anything.",
                InstallPageState.BuildRevoked => "The build this link was for was withdrawn. A new link installs the newest build.",
                InstallPageState.DownloadLimitReached => "This link was made for a limited number of downloads, and they have been used.",
                _ => "This link can no longer install anything.",
            })
            .Append("</p></section>");
        NewLink(page, slug: null, channel: null);
        return Shell(Headline(state), nonce, $" data-client=\"none\" data-state=\"{StateName(state)}\"", page);
    }

    public static string RenderTooManyRequests(string nonce)
    {
        var page = new StringBuilder(2_000);
        page.Append("<header class=\"app\"><div class=\"icon placeholder\" aria-hidden=\"true\">…</div><div><h1>Too many requests</h1></div></header>")
            .Append("<section class=\"reason\" id=\"reason\"><h2>Please wait a minute</h2>")
            .Append("<p>Your network has asked for install pages very often. Wait a minute, then reload this page.</p></section>");
        return Shell("Too many requests", nonce, " data-client=\"none\" data-state=\"too-many-requests\"", page);
    }

    /// <summary>The page while the database cannot be reached: the link may be fine, so it says to try again.</summary>
    public static string RenderUnavailable(string nonce)
    {
        var page = new StringBuilder(2_000);
        page.Append("<header class=\"app\"><div class=\"icon placeholder\" aria-hidden=\"true\">…</div><div><h1>Temporarily unavailable</h1></div></header>")
            .Append("<section class=\"reason\" id=\"reason\"><h2>Please try again in a moment</h2>")
            .Append("<p>The install service cannot look up this link right now. Reload this page in a few seconds.</p></section>");
        return Shell("Temporarily unavailable", nonce, " data-client=\"none\" data-state=\"unavailable\"", page);
    }

    private static bool IsDead(InstallPageState state) =>
        state is InstallPageState.LinkExpired or InstallPageState.LinkRevoked or InstallPageState.BuildRevoked or InstallPageState.DownloadLimitReached;

    public static string RenderNotFound(string nonce)
    {
        var page = new StringBuilder(4_000);
        page.Append("<header class=\"app\"><div class=\"icon placeholder\" aria-hidden=\"true\">?</div><div><h1>Install link not found</h1></div></header>")
            .Append("<section class=\"reason\" id=\"reason\"><h2>This install link does not exist</h2>")
            .Append("<p>The address may be incomplete: links are long, and some apps cut them when they are copied. ")
            .Append("Nothing can be installed from it.</p></section>");
        NewLink(page, slug: null, channel: null);
        return Shell("Install link not found", nonce, " data-client=\"none\" data-state=\"not-found\"", page);
    }

    private static void Ready(StringBuilder page, InstallPageModel model, string name, bool both = false)
    {
        var pageUrl = E(model.InstallPageUrl);
        if (model.DeviceWarning is { } warning)
            page.Append("<section class=\"reason\" id=\"device-warning\"><h2>Your device cannot install this build</h2><p>").Append(E(warning))
                .Append("</p><p>Ask a release manager to add it to the profile and rebuild, or open this page on another registered device.</p></section>");

        page.Append("<section class=\"v v-inapp\" id=\"safari\"><h2>Open this page in Safari</h2>")
            .Append("<p class=\"when-fallback\" id=\"fallback-note\"><strong>No install prompt?</strong> You are probably in an app’s built-in browser.</p>")
            .Append("<p>Slack, Teams and other apps open links in their own browser, which cannot install apps. Safari can.</p><ol>")
            .Append("<li>Tap <b>•••</b> or the share button and choose <b>Open in Safari</b> (in Teams: <b>Open in browser</b>).</li>")
            .Append("<li>In Safari, tap <b>Install</b>.</li></ol>")
            .Append("<p>If the button doesn't work, open Safari and paste this address:</p>");
        LinkBox(page, pageUrl, "safari");
        page.Append("</section>");

        page.Append("<section class=\"v v-ios\" id=\"ios\">")
            .Append("<a class=\"button\" id=\"install\" href=\"").Append(E(model.ItmsServicesUrl)).Append("\">Install ").Append(E(name)).Append("</a>")
            .Append("<h2>After you tap Install</h2><ol id=\"next-steps\">")
            .Append("<li>Confirm with <b>Install</b> when iOS asks.</li>")
            .Append("<li>Go to your home screen: the app appears there and fills in while it downloads.</li>");
        NextSteps(page, model);
        page.Append("</ol><p class=\"hint fine\"><a href=\"#safari\">Nothing happened when you tapped Install?</a></p></section>");
        if (both)
            return;

        page.Append("<section class=\"v v-desktop\" id=\"desktop\"><h2>Scan with your iPhone or iPad</h2>")
            .Append("<p>This is an iOS build. Open the Camera app on your iPhone or iPad, point it at the code, and tap the link that appears.</p>")
            .Append("<img class=\"qr\" id=\"qr\" src=\"").Append(E(model.QrCodeUrl)).Append("\" width=\"232\" height=\"232\" alt=\"QR code of this page’s address\">")
            .Append("<p>Or send yourself this address and open it in Safari on the device:</p>");
        LinkBox(page, pageUrl, "desktop");
        page.Append("</section>");

        page.Append("<section class=\"v v-android\" id=\"other-device\"><h2>This build is for iPhone and iPad</h2>")
            .Append("<p>").Append(E(name)).Append(" can only be installed on an iPhone or iPad. Open this address there, in Safari:</p>");
        LinkBox(page, pageUrl, "other");
        page.Append("</section>");
    }

    /// <summary>
    /// An Android build: a download of the APK, which Android's package installer then opens. Android asks the
    /// browser for permission to install apps once, and Play Protect may scan an app it has not seen in the Play Store.
    /// </summary>
    private static void AndroidReady(StringBuilder page, InstallPageModel model, string name, bool both = false)
    {
        var pageUrl = E(model.InstallPageUrl);

        page.Append("<section class=\"v va-inapp\" id=\"chrome\"><h2>Open this page in Chrome</h2>")
            .Append("<p>Slack, Teams and other apps open links in their own browser, which may not be able to install apps. Chrome can.</p><ol>")
            .Append("<li>Tap <b>⋮</b> (top right) and choose <b>Open in Chrome</b> (or <b>Open in browser</b>).</li>")
            .Append("<li>In Chrome, tap <b>Download and install</b>.</li></ol>")
            .Append("<p>If there is no such menu, copy this address and paste it into Chrome:</p>");
        LinkBox(page, pageUrl, "chrome");
        page.Append("</section>");

        page.Append("<section class=\"v va-android\" id=\"android\">")
            .Append("<a class=\"button\" id=\"download\" href=\"").Append(E(model.ApkUrl ?? "")).Append("\" download>Download and install</a>")
            .Append("<h2>After you tap Download and install</h2><ol id=\"android-steps\">")
            .Append("<li>If the browser warns that the file might be harmful, tap <b>Download anyway</b>: it is the build your team shared.</li>")
            .Append("<li>Open the downloaded file: tap <b>Open</b> when the download finishes, or find it in <b>Files › Downloads</b>.</li>")
            .Append("<li id=\"unknown-apps\">The first time, Android says your browser is not allowed to install unknown apps: tap <b>Settings</b>, turn on <b>Allow from this source</b>, then go back.</li>")
            .Append("<li>Tap <b>Install</b>. If this build replaces an installed version, Android keeps the app’s data.</li>")
            .Append("<li id=\"play-protect\">If <b>Play Protect</b> says it doesn’t recognise the app or its developer, that is because test builds are not in the Play Store: tap <b>More details › Install anyway</b>. Do this only for builds your team sent you.</li>")
            .Append("</ol></section>");
        if (both)
            return;

        page.Append("<section class=\"v va-desktop\" id=\"desktop\"><h2>Scan with your Android phone</h2>")
            .Append("<p>This is an Android build. Open the camera on your Android phone or tablet, point it at the code, and tap the link that appears.</p>")
            .Append("<img class=\"qr\" id=\"qr\" src=\"").Append(E(model.QrCodeUrl)).Append("\" width=\"232\" height=\"232\" alt=\"QR code of this page’s address\">")
            .Append("<p>Or send yourself this address and open it in Chrome on the device:</p>");
        LinkBox(page, pageUrl, "desktop");
        page.Append("</section>");

        page.Append("<section class=\"v va-other\" id=\"other-device\"><h2>This build is for Android</h2>")
            .Append("<p>").Append(E(name)).Append(" is an Android app and cannot be installed on an iPhone or iPad. Open this address on an Android phone or tablet:</p>");
        LinkBox(page, pageUrl, "other");
        page.Append("</section>");
    }

    /// <summary>
    /// A link for both phones: the iOS install on an iPhone or iPad, the APK on Android (each with its in-app browser
    /// steps), and on a desktop the QR code with both. Every part is in the HTML; the client picks what shows.
    /// </summary>
    private static void BothReady(StringBuilder page, InstallPageModel model, string name)
    {
        var pageUrl = E(model.InstallPageUrl);
        if (model.IosProfileExpired)
            page.Append("<section class=\"v v-ios reason\" id=\"ios-expired\"><h2>The iOS build can no longer be installed</h2>")
                .Append("<p>The provisioning profile the iOS build was signed with has expired, so iOS would refuse to install it. ")
                .Append("Ask the release manager for a new build. The Android build on this page still installs on Android.</p></section>");
        else
            Ready(page, model, name, both: true);
        AndroidReady(page, model, name, both: true);

        page.Append("<section class=\"v v-desktop\" id=\"desktop\"><h2>Scan with your phone</h2>")
            .Append("<p id=\"both-platforms\">This link installs ").Append(E(name)).Append(" on iPhone and iPad (iOS) and on Android. ")
            .Append("Open the camera on your phone or tablet, point it at the code, and tap the link that appears: the page offers the build for that phone.</p>")
            .Append("<img class=\"qr\" id=\"qr\" src=\"").Append(E(model.QrCodeUrl)).Append("\" width=\"232\" height=\"232\" alt=\"QR code of this page’s address\">")
            .Append("<p>Or send yourself this address and open it on the device, in Safari on an iPhone or iPad, in Chrome on Android:</p>");
        LinkBox(page, pageUrl, "desktop");
        page.Append("<p class=\"fine\">For an emulator or a device connected by USB: <a id=\"download-desktop\" href=\"").Append(E(model.ApkUrl ?? ""))
            .Append("\" download>download the APK</a> (Android ").Append(E(Field(model.Android?.Version ?? ""))).Append(") and install it with <code>adb install</code>.</p>")
            .Append("</section>");
    }

    private static void NextSteps(StringBuilder page, InstallPageModel model)
    {
        var type = model.ProfileType ?? ProvisioningProfileType.Unknown;
        var enterprise = type is ProvisioningProfileType.Enterprise or ProvisioningProfileType.Unknown;
        var registered = type is ProvisioningProfileType.AdHoc or ProvisioningProfileType.Development or ProvisioningProfileType.Unknown;
        var sure = type != ProvisioningProfileType.Unknown;
        if (enterprise)
        {
            page.Append("<li id=\"trust\">").Append(sure ? "Before the first launch" : "If iOS says “Untrusted Enterprise Developer”")
                .Append(", trust the developer: <b>Settings › General › VPN &amp; Device Management</b>, tap the developer’s name, then <b>Trust</b>.</li>")
                .Append("<li id=\"restart\">On iOS 18 and later, iOS may ask you to restart the device before the app opens the first time.</li>");
        }
        if (registered)
        {
            page.Append("<li id=\"devices\">").Append(type == ProvisioningProfileType.Development ? "This is a development build" : sure ? "This is an ad-hoc build" : "If this is an ad-hoc build")
                .Append(": it installs only on devices registered in its provisioning profile");
            if (model.ProfileDeviceCount is { } count)
                page.Append(" (").Append(count.ToString(CultureInfo.InvariantCulture)).Append(count == 1 ? " device" : " devices").Append(')');
            page.Append(". If iOS says it cannot install the app, ask the release manager to add your device.</li>");
        }
    }

    private static void ProfileExpired(StringBuilder page, InstallPageModel model)
    {
        page.Append("<section class=\"reason\" id=\"reason\"><h2>").Append(Headline(model.State)).Append("</h2><p>")
            .Append("The provisioning profile this build was signed with expired");
        if (model.ProfileExpiresAt is { } expired)
        {
            page.Append(' ');
            Time(page, expired);
        }
        page.Append(", so iOS would refuse to install or open it. Ask the release manager for a new build; a new link installs the newest build of the channel.")
            .Append("</p></section>");
        NewLink(page, model.AppSlug, model.Channel);
    }

    private static void NewLink(StringBuilder page, string? slug, string? channel)
    {
        var command = slug is null
            ? "install &lt;app&gt; &lt;channel&gt;"
            : $"install {E(Field(slug))} {E(Field(channel ?? ""))}".TrimEnd();
        page.Append("<section id=\"new-link\"><h2>Get a new link</h2><ul>")
            .Append("<li>In Slack, type <code id=\"slack-command\">/").Append(command).Append("</code></li>")
            .Append("<li>In Teams, send <code id=\"teams-command\">").Append(command).Append("</code> to the bot.</li>")
            .Append("</ul>");
        if (slug is null)
            page.Append("<p>Not sure of the name? <code>/builds</code> in Slack, or <code>builds</code> to the bot in Teams, lists what you can install.</p>");
        page.Append("<p class=\"fine\">Each link is personal and works for a limited time.</p></section>");
    }

    private static void Details(StringBuilder page, InstallPageModel model)
    {
        page.Append("<section id=\"details\">");
        if (!string.IsNullOrWhiteSpace(model.Notes))
            page.Append("<h2>What’s new</h2><div class=\"notes\" id=\"notes\">").Append(Notes(model.Notes)).Append("</div>");
        page.Append("<dl><dt>For</dt><dd id=\"requested-by\">").Append(E(Field(model.RequestedBy))).Append("</dd>")
            .Append("<dt>Link expires</dt><dd id=\"expires\">");
        Time(page, model.ExpiresAt);
        page.Append("</dd>");
        if (model.ProfileType is { } type && type != ProvisioningProfileType.Unknown)
        {
            page.Append("<dt>Signed for</dt><dd id=\"profile\">").Append(ProfileName(type));
            if (model.ProfileExpiresAt is { } until)
            {
                page.Append(", profile valid until ");
                Time(page, until);
            }
            page.Append("</dd>");
        }
        page.Append("</dl></section>");
    }

    internal static void LinkBox(StringBuilder page, string encodedUrl, string id)
    {
        page.Append("<div class=\"link\"><input class=\"url\" id=\"url-").Append(id).Append("\" type=\"url\" readonly value=\"").Append(encodedUrl)
            .Append("\" aria-label=\"Address of this page\"><button class=\"copy\" id=\"copy-").Append(id).Append("\" type=\"button\" hidden>Copy link</button></div>")
            .Append("<p class=\"status fine\" role=\"status\"></p>");
    }

    internal static string Shell(string title, string nonce, string bodyAttributes, StringBuilder content)
    {
        var n = E(nonce);
        return new StringBuilder(content.Length + InstallPageAssets.Style.Length + InstallPageAssets.Script.Length + 600)
            .Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .Append("<meta name=\"robots\" content=\"noindex\"><meta name=\"referrer\" content=\"no-referrer\">")
            .Append("<meta name=\"color-scheme\" content=\"light dark\">")
            .Append("<title>").Append(E(title)).Append("</title>")
            .Append("<style nonce=\"").Append(n).Append("\">").Append(InstallPageAssets.Style).Append("</style></head>")
            .Append("<body").Append(bodyAttributes).Append("><main>").Append(content).Append("</main>")
            .Append("<script nonce=\"").Append(n).Append("\">").Append(InstallPageAssets.Script).Append("</script></body></html>")
            .ToString();
    }

    private static void Time(StringBuilder page, DateTimeOffset at)
    {
        var utc = at.ToUniversalTime();
        page.Append("<time data-local datetime=\"").Append(utc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)).Append("\">")
            .Append(utc.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)).Append("</time>");
    }

    private static string Headline(InstallPageState state) => state switch
    {
        InstallPageState.LinkExpired => "This install link has expired",
        InstallPageState.LinkRevoked => "This install link was revoked",
        InstallPageState.BuildRevoked => "This build was withdrawn",
        InstallPageState.DownloadLimitReached => "This install link has been used up",
        InstallPageState.ProfileExpired => "This build can no longer be installed",
        _ => "Ready to install",
    };

    internal static string ClientName(InstallClient client) => client switch
    {
        InstallClient.IosSafari => "ios",
        InstallClient.IosInApp => "in-app",
        InstallClient.Desktop => "desktop",
        InstallClient.Android => "android",
        InstallClient.AndroidInApp => "android-in-app",
        _ => "other",
    };

    private static string StateName(InstallPageState state) => state switch
    {
        InstallPageState.Ready => "ready",
        InstallPageState.LinkExpired => "link-expired",
        InstallPageState.LinkRevoked => "link-revoked",
        InstallPageState.BuildRevoked => "build-revoked",
        InstallPageState.DownloadLimitReached => "download-limit-reached",
        InstallPageState.ProfileExpired => "profile-expired",
        _ => "unavailable",
    };

    private static string ProfileName(ProvisioningProfileType type) => type switch
    {
        ProvisioningProfileType.AdHoc => "registered devices (ad hoc)",
        ProvisioningProfileType.Development => "registered devices (development)",
        ProvisioningProfileType.Enterprise => "any device in the organisation (enterprise)",
        ProvisioningProfileType.AppStore => "the App Store",
        _ => "unknown",
    };

    private static string Initial(string name)
    {
        var trimmed = name.TrimStart();
        if (trimmed.Length == 0)
            return "?";
        var length = StringInfo.GetNextTextElementLength(trimmed);
        return trimmed[..length].ToUpperInvariant();
    }

    private static string Field(string value) => Shorten(value, FieldLimit);

    private static string Shorten(string value, int limit)
    {
        if (value.Length <= limit)
            return value;
        var cut = limit;
        if (char.IsHighSurrogate(value[cut - 1]))
            cut--;
        return string.Concat(value.AsSpan(0, cut), "…");
    }

    private static string Notes(string notes)
    {
        var encoded = E(notes);
        if (Encoding.UTF8.GetByteCount(encoded) <= NotesBudgetBytes)
            return encoded;
        // The longest prefix whose encoding fits, found by bisection on the number of characters.
        int low = 0, high = notes.Length;
        while (low < high)
        {
            var mid = (low + high + 1) / 2;
            if (Encoding.UTF8.GetByteCount(E(Shorten(notes, mid))) <= NotesBudgetBytes - 64)
                low = mid;
            else
                high = mid - 1;
        }
        return E(Shorten(notes, low)) + "<br><em>(shortened)</em>";
    }

    internal static string E(string value) => Html.Encode(value);
}
