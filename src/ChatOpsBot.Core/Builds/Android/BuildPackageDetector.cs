namespace ChatOpsBot.Core.Builds.Android;

public enum BuildPackageKind
{
    // Not a zip we can list, or a zip that is none of the others: the IPA reader gives the precise rejection.
    Unknown,
    Ipa,
    Apk,
    AppBundle,
}

// Tells an upload's kind from its content (its zip listing), never from its file name.
public static class BuildPackageDetector
{
    public static BuildPackageKind Detect(Stream seekableUpload, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(seekableUpload);
        if (!seekableUpload.CanRead || !seekableUpload.CanSeek)
            throw new ArgumentException("The upload stream must be readable and seekable.", nameof(seekableUpload));
        try
        {
            var zip = ApkZip.Open(seekableUpload, ApkLimits.Default, allowDuplicates: true, cancellationToken);
            return Classify(zip.Entries.Select(e => e.Name));
        }
        catch (ApkFormatException)
        {
            return BuildPackageKind.Unknown;
        }
        finally
        {
            seekableUpload.Position = 0;
        }
    }

    public static BuildPackageKind Classify(IEnumerable<string> entryNames)
    {
        ArgumentNullException.ThrowIfNull(entryNames);
        bool manifest = false, bundleConfig = false, bundleManifest = false, payloadApp = false;
        foreach (var name in entryNames)
        {
            switch (name)
            {
                case "AndroidManifest.xml":
                    manifest = true;
                    break;
                case "BundleConfig.pb":
                    bundleConfig = true;
                    break;
                case "base/manifest/AndroidManifest.xml":
                    bundleManifest = true;
                    break;
                default:
                    payloadApp |= IsInPayloadApp(name);
                    break;
            }
        }
        return manifest ? BuildPackageKind.Apk
            : bundleConfig && bundleManifest ? BuildPackageKind.AppBundle
            : payloadApp ? BuildPackageKind.Ipa
            : BuildPackageKind.Unknown;
    }

    private static bool IsInPayloadApp(string name)
    {
        if (!name.StartsWith("Payload/", StringComparison.Ordinal))
            return false;
        var slash = name.IndexOf('/', "Payload/".Length);
        return slash > "Payload/".Length + ".app".Length && name.AsSpan("Payload/".Length, slash - "Payload/".Length).EndsWith(".app", StringComparison.Ordinal);
    }
}
