using System.Globalization;

namespace ChatOpsBot.Core.Builds.Android;

// Reads what the upload endpoint needs from an APK without extracting anything to disk: entry names are matched as
// strings and never used as paths, and every entry read is capped. Anything malformed, over a limit or not an
// installable APK becomes a rejection with a reason, a sentence and the byte offset at fault.
public static class ApkInspector
{
    private const uint LabelId = 0x01010001, IconId = 0x01010002, DebuggableId = 0x0101000f, MinSdkId = 0x0101020c,
        VersionCodeId = 0x0101021b, VersionNameId = 0x0101021c, TargetSdkId = 0x01010270, NameId = 0x01010003,
        RequiredId = 0x0101028e, RoundIconId = 0x0101052c, VersionCodeMajorId = 0x01010576;
    // Android's SDK level for a codename (a preview platform): Build.VERSION_CODES.CUR_DEVELOPMENT.
    private const int CodenameSdk = 10_000;

    public static ApkInspectionResult Inspect(string path, ApkLimits? limits = null, CancellationToken cancellationToken = default)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 4096, FileOptions.RandomAccess);
        return Inspect(stream, limits, cancellationToken);
    }

    public static ApkInspectionResult Inspect(Stream seekableApk, ApkLimits? limits = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(seekableApk);
        if (!seekableApk.CanRead || !seekableApk.CanSeek)
            throw new ArgumentException("The APK stream must be readable and seekable; spool uploads to a temporary file first.", nameof(seekableApk));
        try
        {
            return ApkInspectionResult.Accepted(Read(seekableApk, limits ?? ApkLimits.Default, cancellationToken));
        }
        catch (ApkFormatException e)
        {
            return ApkInspectionResult.Rejected(ApkFormatException.IsAboutStructure(e.Reason)
                ? new ApkRejection(e.Reason, e.Message, e.Offset, e.Entry)
                : new ApkRejection(e.Reason, e.Message));
        }
    }

    // The reader itself: throws ApkFormatException, and nothing else, for any input it refuses.
    internal static ApkInspection Read(Stream apk, ApkLimits limits, CancellationToken cancellationToken)
    {
        var zip = ApkZip.Open(apk, limits, cancellationToken: cancellationToken);
        var names = zip.Entries.Select(e => e.Name).ToList();
        switch (BuildPackageDetector.Classify(names))
        {
            case BuildPackageKind.AppBundle:
                throw new ApkFormatException(ApkRejectionReason.AppBundle,
                    "This is an Android App Bundle (.aab), a publishing format that no device installs from a link. Build a universal APK from it with `bundletool build-apks --mode=universal --bundle=app.aab --output=app.apks` (the .apks file is a zip holding universal.apk) and upload that APK",
                    zip.Find("BundleConfig.pb")!.DirectoryOffset);
            case BuildPackageKind.Ipa:
                throw new ApkFormatException(ApkRejectionReason.NotAnApk, "This is an iOS app (IPA), not an Android APK", 0);
        }
        var manifestEntry = zip.Find("AndroidManifest.xml")
            ?? throw new ApkFormatException(ApkRejectionReason.NotAnApk, "The zip has no AndroidManifest.xml at its root, so it is not an APK", zip.DirectoryOffset);
        var manifestBytes = zip.Read(manifestEntry, limits.MaxManifestBytes, cancellationToken);
        if (!BinaryXml.LooksLikeBinaryXml(manifestBytes))
        {
            var what = manifestBytes.Length > 0 && manifestBytes[0] == 0x0A ? "a protocol buffer (aapt2 --proto-format output, as in an app bundle module)"
                : manifestBytes.Length > 0 && manifestBytes[0] == (byte)'<' ? "text XML, not compiled"
                : "not Android's binary XML";
            throw new ApkFormatException(ApkRejectionReason.NotAnApk, $"AndroidManifest.xml is {what}, so this is not an installable APK", 0, manifestEntry.Name);
        }
        var xml = BinaryXml.Parse(manifestBytes, manifestEntry.Name);
        var root = xml.Root;
        if (root.Name != "manifest")
            throw new ApkFormatException(ApkRejectionReason.NotAnApk, $"AndroidManifest.xml's root element is <{root.Name}>, not <manifest>", root.Offset, manifestEntry.Name);

        ResourceTable? table = null;
        var tableEntry = zip.Find("resources.arsc");
        if (tableEntry is not null)
            table = ResourceTable.Parse(zip.Read(tableEntry, limits.MaxResourceTableBytes, cancellationToken), tableEntry.Name);
        var values = new ManifestValues(xml, table);

        var package = BinaryXml.FindPlain(root, "package") is { } p ? xml.StringOf(p)?.Trim() : null;
        if (string.IsNullOrEmpty(package))
            throw new ApkFormatException(ApkRejectionReason.Malformed, "AndroidManifest.xml's <manifest> has no package attribute", root.Offset, manifestEntry.Name);

        var usesSdk = root.ChildrenNamed("uses-sdk").FirstOrDefault();
        var minSdk = usesSdk is null ? 1 : values.Sdk(usesSdk, MinSdkId, "minSdkVersion") ?? 1;
        var targetSdk = usesSdk is null ? minSdk : values.Sdk(usesSdk, TargetSdkId, "targetSdkVersion") ?? minSdk;

        var application = root.ChildrenNamed("application").FirstOrDefault();
        string? label = null;
        var localized = new SortedDictionary<string, string>(StringComparer.Ordinal);
        ApkIcon? icon = null;
        var debuggable = false;
        if (application is not null)
        {
            var labelAttribute = xml.Find(application, LabelId, "label");
            if (labelAttribute is not null)
            {
                label = values.String(labelAttribute);
                if (labelAttribute.Value.IsReference && table is not null)
                {
                    foreach (var entry in table.Lookup(labelAttribute.Value.Data).Where(e => e.Config.HasLocale))
                    {
                        if (table.ResolveString(entry) is { Length: > 0 } text)
                            localized.TryAdd(entry.Config.Locale!, text);
                    }
                }
            }
            debuggable = xml.Find(application, DebuggableId, "debuggable") is { } d && values.Boolean(d) == true;
            var iconAttribute = xml.Find(application, IconId, "icon") ?? xml.Find(application, RoundIconId, "roundIcon")
                ?? (LauncherActivity(xml, application) is { } launcher ? xml.Find(launcher, IconId, "icon") ?? xml.Find(launcher, RoundIconId, "roundIcon") : null);
            if (iconAttribute is not null)
                icon = ApkIconLocator.Find(zip, table, xml, iconAttribute, limits, cancellationToken);
        }

        var (schemes, signers) = ApkSignatures.Read(zip, limits, cancellationToken);
        if (schemes.Count == 0)
            throw new ApkFormatException(ApkRejectionReason.Unsigned,
                "The APK is not signed (no v1 JAR signature in META-INF and no APK Signing Block v2 or v3), and Android installs no unsigned APK. Sign it (a debug key is enough: `apksigner sign --ks debug.keystore app.apk`, or let Gradle's assembleDebug do it) and upload it again",
                zip.DirectoryOffset);
        // Android 11 (API 30) refuses these from apps that target it; the build could never be installed.
        if (targetSdk >= 30 && tableEntry is not null && (tableEntry.Method != 0 || zip.DataOffset(tableEntry) % 4 != 0))
            throw new ApkFormatException(ApkRejectionReason.ResourcesCompressed,
                "The APK targets API level 30 or later but stores resources.arsc compressed or not aligned to 4 bytes, so Android 11 and later refuse to install it (INSTALL_PARSE_FAILED_RESOURCES_ARSC_COMPRESSED). Store it uncompressed and run zipalign -p 4 before signing, as the Android Gradle plugin does",
                tableEntry.DirectoryOffset);
        if (targetSdk >= 30 && !schemes.Any(s => s != "v1"))
            throw new ApkFormatException(ApkRejectionReason.V2SignatureRequired,
                "The APK targets API level 30 or later but has only a v1 (JAR) signature, so Android 11 and later refuse to install it. Sign it with APK Signature Scheme v2 or later (apksigner does by default) and upload it again",
                zip.DirectoryOffset);

        return new ApkInspection(
            package,
            xml.Find(root, VersionNameId, "versionName") is { } vn ? values.String(vn) : null,
            xml.Find(root, VersionCodeId, "versionCode") is { } vc ? values.Integer(vc) ?? 0 : 0,
            xml.Find(root, VersionCodeMajorId, "versionCodeMajor") is { } vm ? values.Integer(vm) ?? 0 : 0,
            minSdk,
            targetSdk,
            string.IsNullOrWhiteSpace(label) ? package : label,
            localized,
            debuggable,
            Abis(names),
            FormFactorOf(xml, values, root),
            icon,
            schemes,
            signers);
    }

    // The activity (or alias) a launcher shows: action MAIN with category LAUNCHER.
    private static AxmlElement? LauncherActivity(BinaryXml xml, AxmlElement application) =>
        application.Children
            .Where(c => c.Name is "activity" or "activity-alias")
            .FirstOrDefault(activity => activity.ChildrenNamed("intent-filter").Any(filter =>
                filter.ChildrenNamed("action").Any(a => Named(xml, a, "android.intent.action.MAIN"))
                && filter.ChildrenNamed("category").Any(c => Named(xml, c, "android.intent.category.LAUNCHER"))));

    private static bool Named(BinaryXml xml, AxmlElement element, string name) =>
        xml.Find(element, NameId, "name") is { } attribute && xml.StringOf(attribute) == name;

    // A required TV feature makes a TV app; an optional one (required="false") is a phone app that also runs on TV.
    // Wear apps cannot declare the watch feature optional.
    private static ApkFormFactor FormFactorOf(BinaryXml xml, ManifestValues values, AxmlElement root)
    {
        var form = ApkFormFactor.PhoneOrTablet;
        foreach (var feature in root.ChildrenNamed("uses-feature"))
        {
            var name = xml.Find(feature, NameId, "name") is { } n ? values.String(n) : null;
            var required = xml.Find(feature, RequiredId, "required") is not { } r || values.Boolean(r) != false;
            if (name == "android.hardware.type.watch")
                return ApkFormFactor.Wear;
            if (name == "android.software.leanback" && required)
                form = ApkFormFactor.Tv;
        }
        return form;
    }

    // lib/<abi>/<file>.so, anchored at the root, in ordinal order.
    private static string[] Abis(List<string> names)
    {
        var abis = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            if (!name.StartsWith("lib/", StringComparison.Ordinal))
                continue;
            var slash = name.IndexOf('/', 4);
            if (slash > 4 && slash < name.Length - 1)
                abis.Add(name[4..slash]);
        }
        return [.. abis];
    }

    // Typed manifest attribute values, resolved through resources.arsc where they are references.
    private sealed class ManifestValues(BinaryXml xml, ResourceTable? table)
    {
        public string? String(AxmlAttribute attribute) => attribute.Value switch
        {
            { Type: ResValue.String } => xml.StringOf(attribute),
            { IsReference: true } v => table?.ResolveString(v.Data),
            { Type: ResValue.IntBoolean } v => v.Data != 0 ? "true" : "false",
            { IsInteger: true } v => ((int)v.Data).ToString(CultureInfo.InvariantCulture),
            _ => attribute.RawValue,
        };

        public int? Integer(AxmlAttribute attribute) => Scalar(attribute) switch
        {
            { IsInteger: true } v => (int)v.Data,
            { Type: ResValue.String } when String(attribute) is { } text && int.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) => n,
            _ => null,
        };

        public bool? Boolean(AxmlAttribute attribute) => Scalar(attribute) switch
        {
            { IsInteger: true } v => v.Data != 0,
            { Type: ResValue.String } => String(attribute)?.Trim() switch { "true" => true, "false" => false, _ => null },
            _ => null,
        };

        // An SDK level: a number, or a codename, which means a preview platform.
        public int? Sdk(AxmlElement element, uint id, string name)
        {
            if (xml.Find(element, id, name) is not { } attribute)
                return null;
            if (Integer(attribute) is { } level)
                return level;
            return string.IsNullOrWhiteSpace(String(attribute)) ? null : CodenameSdk;
        }

        private ResValue? Scalar(AxmlAttribute attribute) =>
            attribute.Value.IsReference ? table?.ResolveScalar(attribute.Value.Data) : attribute.Value;
    }
}
