using System.Collections.ObjectModel;
using System.Globalization;
using System.IO.Compression;
using ChatOpsBot.Core.Manifests;
using ChatOpsBot.PropertyList;

namespace ChatOpsBot.Core.Builds;

// Reads what the upload endpoint needs from an IPA without extracting anything to disk: entry names are matched
// as strings and never used as paths, and every entry read is capped while it inflates.
public static class IpaInspector
{
    public static async Task<IpaInspectionResult> InspectAsync(Stream seekableIpa, IpaLimits? limits = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(seekableIpa);
        // ZipArchive buffers a whole non-seekable archive in memory, so the host must spool uploads to a file.
        if (!seekableIpa.CanRead || !seekableIpa.CanSeek)
            throw new ArgumentException("The IPA stream must be readable and seekable; spool uploads to a temporary file first.", nameof(seekableIpa));
        try
        {
            var inspection = await InspectCoreAsync(seekableIpa, limits ?? IpaLimits.Default, cancellationToken).ConfigureAwait(false);
            return IpaInspectionResult.Accepted(inspection);
        }
        catch (IpaRejectedException e)
        {
            return IpaInspectionResult.Rejected(e.Reason, e.Message, e.Key);
        }
    }

    private static async Task<IpaInspection> InspectCoreAsync(Stream ipa, IpaLimits limits, CancellationToken cancellationToken)
    {
        await ZipDirectoryCheck.CheckAsync(ipa, limits, cancellationToken).ConfigureAwait(false);
        ZipArchive archive;
        try
        {
            archive = await ZipArchive.CreateAsync(ipa, ZipArchiveMode.Read, leaveOpen: true, entryNameEncoding: null, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidDataException e)
        {
            throw NotAZip(e);
        }
        await using (archive.ConfigureAwait(false))
        {
            ReadOnlyCollection<ZipArchiveEntry> entries;
            try
            {
                entries = archive.Entries;
            }
            catch (InvalidDataException e)
            {
                throw NotAZip(e);
            }
            if (entries.Count > limits.MaxEntries)
                throw ZipDirectoryCheck.TooMany($"The IPA has {entries.Count} entries; the limit is {limits.MaxEntries}.");
            var app = AppBundle.Find(entries);

            var info = await ReadInfoPlistAsync(app, limits, cancellationToken).ConfigureAwait(false);
            var bundleId = Text(info, "CFBundleIdentifier")
                ?? throw new IpaRejectedException(IpaRejectionReason.MissingBundleIdentifier, $"{app.InfoPlistPath} has no CFBundleIdentifier.");
            var platforms = info.GetStrings("CFBundleSupportedPlatforms") ?? [];
            // iPhoneSimulator, and likewise AppleTVSimulator, WatchSimulator, XRSimulator: none can install on a device.
            var simulator = platforms.FirstOrDefault(p => p.EndsWith("Simulator", StringComparison.Ordinal));
            if (simulator is not null)
                throw new IpaRejectedException(IpaRejectionReason.SimulatorBuild, $"This is a simulator build (CFBundleSupportedPlatforms lists {simulator}); simulator builds cannot be installed on a device. Upload a device build.");

            // Every string the install manifest will carry (bundle id, version, build number in the subtitle, title)
            // must be writable as XML, or every manifest request would fail after the build was accepted.
            var shortVersion = Text(info, "CFBundleShortVersionString");
            var buildNumber = Text(info, "CFBundleVersion");
            var (displayName, displayKey) = TitleOf(app, info);
            RequireManifestText(app, "CFBundleIdentifier", bundleId);
            RequireManifestText(app, "CFBundleShortVersionString", shortVersion);
            RequireManifestText(app, "CFBundleVersion", buildNumber);
            RequireManifestText(app, displayKey, displayName);

            var profile = await ReadProfileAsync(app, limits, cancellationToken).ConfigureAwait(false);
            if (profile?.Type == ProvisioningProfileType.AppStore)
                throw new IpaRejectedException(IpaRejectionReason.AppStoreProfile, "App Store builds cannot be installed over the air; upload a development, ad-hoc or enterprise build.");

            var icon = await IconLocator.FindAsync(app, info, limits, cancellationToken).ConfigureAwait(false);
            return new IpaInspection(
                bundleId,
                shortVersion,
                buildNumber,
                displayName,
                Text(info, "MinimumOSVersion"),
                DeviceFamilies(info),
                platforms,
                icon,
                profile);
        }
    }

    // The key is null when the title falls back to the app folder's name.
    private static (string Title, string? Key) TitleOf(AppBundle app, PlistDictionary info)
    {
        foreach (var key in (ReadOnlySpan<string>)["CFBundleDisplayName", "CFBundleName", "CFBundleExecutable"])
        {
            if (Text(info, key) is { } title)
                return (title, key);
        }
        return (app.Name[..^".app".Length], null);
    }

    private static void RequireManifestText(AppBundle app, string? key, string? value)
    {
        if (value is null || ItmsManifest.FindUnwritable(value) is not { } at)
            return;
        var what = value[at] switch
        {
            < ' ' => "the control character",
            '\uFFFE' or '\uFFFF' => "the noncharacter",
            _ => "a lone surrogate",
        };
        var where = key is null ? $"The app folder name Payload/{app.Name}" : $"{key} in {app.InfoPlistPath}";
        throw new IpaRejectedException(IpaRejectionReason.InvalidMetadata,
            string.Create(CultureInfo.InvariantCulture,
                $"{where} holds {what} U+{(int)value[at]:X4} at position {at}, which an install manifest (XML) cannot carry, so the build could never be installed. Fix the value and rebuild."),
            key);
    }

    private static IpaRejectedException NotAZip(InvalidDataException e) =>
        new(IpaRejectionReason.NotAZip, $"The upload is not a readable zip archive, so it is not an IPA ({e.Message}).");

    private static readonly PlistReaderOptions KeepLoneSurrogates = new() { KeepLoneSurrogates = true };

    private static async Task<PlistDictionary> ReadInfoPlistAsync(AppBundle app, IpaLimits limits, CancellationToken cancellationToken)
    {
        var entry = app.Single("Info.plist")
            ?? throw new IpaRejectedException(IpaRejectionReason.MissingInfoPlist, $"The IPA has no {app.InfoPlistPath}.");
        var bytes = await EntryReader.ReadAsync(entry, limits.MaxInfoPlistBytes, IpaRejectionReason.InvalidInfoPlist, cancellationToken).ConfigureAwait(false);
        try
        {
            // Lone surrogates are kept so the manifest check names the key that holds one.
            return Plist.ParseDictionary(bytes, KeepLoneSurrogates);
        }
        catch (PropertyListFormatException e)
        {
            throw new IpaRejectedException(IpaRejectionReason.InvalidInfoPlist, $"{app.InfoPlistPath} is not a valid property list: {e.Message}");
        }
    }

    private static async Task<ProvisioningProfileSummary?> ReadProfileAsync(AppBundle app, IpaLimits limits, CancellationToken cancellationToken)
    {
        if (app.Single("embedded.mobileprovision") is not { } entry)
            return null;
        var bytes = await EntryReader.ReadAsync(entry, limits.MaxProfileBytes, IpaRejectionReason.InvalidProfile, cancellationToken).ConfigureAwait(false);
        return ProvisioningProfileReader.Read(bytes);
    }

    // Sloppy build scripts write versions as integers; a number is still a usable version string.
    private static string? Text(PlistDictionary info, string key) => info.Get(key) switch
    {
        PlistString s when !string.IsNullOrWhiteSpace(s.Value) => s.Value.Trim(),
        PlistInteger i => i.Value.ToString(CultureInfo.InvariantCulture),
        _ => null,
    };

    private static int[] DeviceFamilies(PlistDictionary info)
    {
        IEnumerable<PlistValue> values = info.Get("UIDeviceFamily") switch
        {
            PlistArray array => array,
            PlistValue single => [single],
            null => [],
        };
        return [.. values.Select(AsFamily).OfType<int>().Distinct()];

        static int? AsFamily(PlistValue value) => value switch
        {
            PlistInteger i when i.ToInt64() is >= 0 and <= 1000 => (int)i.Value,
            PlistString s when int.TryParse(s.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) => n,
            _ => null,
        };
    }
}

// The one top-level Payload/<Name>.app and the files directly in its root, keyed by file name.
internal sealed class AppBundle
{
    private readonly Dictionary<string, List<ZipArchiveEntry>> _rootFiles;

    private AppBundle(string name, Dictionary<string, List<ZipArchiveEntry>> rootFiles)
    {
        Name = name;
        _rootFiles = rootFiles;
    }

    public string Name { get; }

    public string InfoPlistPath => $"Payload/{Name}/Info.plist";

    public IEnumerable<(string FileName, ZipArchiveEntry Entry)> RootFiles =>
        _rootFiles.Where(f => f.Value.Count == 1).Select(f => (f.Key, f.Value[0]));

    public static AppBundle Find(IReadOnlyList<ZipArchiveEntry> entries)
    {
        var apps = new Dictionary<string, Dictionary<string, List<ZipArchiveEntry>>>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            var name = entry.FullName;
            if (!name.StartsWith("Payload/", StringComparison.Ordinal) || IsMetadata(name))
                continue;
            var rest = name.AsSpan("Payload/".Length);
            var slash = rest.IndexOf('/');
            if (slash <= ".app".Length || !rest[..slash].EndsWith(".app", StringComparison.Ordinal))
                continue;
            var appName = rest[..slash].ToString();
            if (!apps.TryGetValue(appName, out var files))
                apps[appName] = files = new(StringComparer.Ordinal);
            // Only the app's root matters: nested Watch/*.app, PlugIns/*.appex and frameworks have their own
            // Info.plist and profile, and must never be mistaken for the app's, whatever the zip order.
            var fileName = rest[(slash + 1)..];
            if (fileName.Length == 0 || fileName.Contains('/'))
                continue;
            var key = fileName.ToString();
            if (!files.TryGetValue(key, out var list))
                files[key] = list = [];
            list.Add(entry);
        }
        return apps.Count switch
        {
            0 => throw new IpaRejectedException(IpaRejectionReason.NoApp, "The zip holds no Payload/<Name>.app folder, so it is not an IPA."),
            1 => new AppBundle(apps.Keys.Single(), apps.Values.Single()),
            _ => throw new IpaRejectedException(IpaRejectionReason.MultipleApps,
                $"The IPA holds {apps.Count} apps under Payload/ ({string.Join(", ", apps.Keys.Order(StringComparer.Ordinal).Take(5))}); an IPA holds exactly one."),
        };
    }

    // A root file by name when there is exactly one entry of that name (duplicates are ignored, as RootFiles does).
    public bool TryGetUnique(string fileName, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ZipArchiveEntry? entry)
    {
        entry = _rootFiles.TryGetValue(fileName, out var list) && list.Count == 1 ? list[0] : null;
        return entry is not null;
    }

    // A file the app needs exactly one of; two entries with one name would make the choice the attacker's.
    public ZipArchiveEntry? Single(string fileName)
    {
        if (!_rootFiles.TryGetValue(fileName, out var list))
            return null;
        return list.Count == 1
            ? list[0]
            : throw new IpaRejectedException(IpaRejectionReason.DuplicateEntry, $"The IPA holds Payload/{Name}/{fileName} {list.Count} times.");
    }

    // macOS Finder's zips add __MACOSX/ and AppleDouble "._" files; they are never part of the app.
    private static bool IsMetadata(string name) =>
        name.StartsWith("__MACOSX/", StringComparison.Ordinal) || name.StartsWith("._", StringComparison.Ordinal) || name.Contains("/._", StringComparison.Ordinal);
}
