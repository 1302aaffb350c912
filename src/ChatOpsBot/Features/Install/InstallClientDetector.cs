namespace ChatOpsBot.Features.Install;

internal static class InstallClientDetector
{
    public static InstallClient Detect(string? userAgent)
    {
        var ua = userAgent ?? "";
        if (ua.Contains("Android", StringComparison.OrdinalIgnoreCase))
            return InstallClient.Android;
        if (ua.Contains("iPhone", StringComparison.Ordinal) || ua.Contains("iPad", StringComparison.Ordinal))
            return ua.Contains("Safari/", StringComparison.Ordinal) ? InstallClient.IosSafari : InstallClient.IosInApp;
        return InstallClient.Desktop;
    }
}
