namespace ChatOpsBot.Features.Install;

/// <summary>A first guess from the user agent; the page's script corrects what the user agent cannot tell.</summary>
internal static class InstallClientDetector
{
    // Apps that show links in their own browser, which cannot hand itms-services links to iOS.
    // Slack on iOS usually opens links in SFSafariViewController, whose user agent is exactly Safari's, so Slack
    // often cannot be told apart here; the page's script covers that case: when an Install tap has not taken the
    // page out of view after a few seconds, it shows the "Open in Safari" steps.
    private static readonly string[] InAppMarkers =
    [
        "Slack/", "Slack_SSB",
        "Teams/", "TeamsMobile",
        "FBAN", "FBAV", "Instagram", "Line/", "MicroMessenger",
        "GSA/",
    ];

    // Third-party iOS browsers are WebKit shells whose hand-off of custom schemes such as itms-services to the
    // system has differed between apps and versions, and could not be verified on devices here. They get the
    // in-app view: "Open in Safari" first, with the Install button still there below it in case it works.
    private static readonly string[] OtherIosBrowsers = ["CriOS/", "FxiOS/", "EdgiOS/", "OPiOS/", "DuckDuckGo/", "YaBrowser/"];

    public static InstallClient Detect(string? userAgent)
    {
        if (string.IsNullOrWhiteSpace(userAgent))
            return InstallClient.Other;
        var ua = userAgent;

        // Android's WebView marks itself with "; wv)"; Slack's and Teams' own markers are kept when they use one.
        if (Has(ua, "Android"))
            return ua.Contains("; wv)", StringComparison.Ordinal) || InAppMarkers.Any(m => ua.Contains(m, StringComparison.Ordinal))
                ? InstallClient.AndroidInApp
                : InstallClient.Android;

        if (Has(ua, "iPhone") || Has(ua, "iPad") || Has(ua, "iPod"))
        {
            if (InAppMarkers.Any(m => ua.Contains(m, StringComparison.Ordinal)) || OtherIosBrowsers.Any(m => ua.Contains(m, StringComparison.Ordinal)))
                return InstallClient.IosInApp;
            // WKWebView-based in-app browsers leave "Safari/" out of the user agent; Safari and
            // SFSafariViewController keep it.
            return ua.Contains("Safari/", StringComparison.Ordinal) ? InstallClient.IosSafari : InstallClient.IosInApp;
        }

        // An iPad asking for desktop websites sends a Mac user agent; the page's script turns that into the iOS view
        // when the "Mac" has a touch screen.
        if (Has(ua, "Macintosh") || Has(ua, "Windows NT") || Has(ua, "X11") || Has(ua, "Linux") || Has(ua, "CrOS"))
            return InstallClient.Desktop;

        return InstallClient.Other;
    }

    private static bool Has(string ua, string marker) => ua.Contains(marker, StringComparison.OrdinalIgnoreCase);
}
