using System.IO.Compression;
using ChatOpsBot.PropertyList;

namespace ChatOpsBot.Core.Builds;

// Picks the largest icon by the pixel size in its PNG header, not by its name: Xcode 14+ "single size" apps name
// AppIcon1024x1024 in Info.plist yet ship only AppIcon60x60@2x.png (formats.md 5.3).
// Bounded whatever the IPA holds: at most MaxIconNames names, each looked up as its nine file names in the app
// root's dictionary, so the work is linear in the entries (to build that dictionary) plus a constant.
internal static class IconLocator
{
    private const int MaxCandidates = 64, MaxDecodeAttempts = 8;

    // Real apps name a handful of icons (a few dozen at most, with every legacy size); the rest would be an attack.
    internal const int MaxIconNames = 64;

    private static readonly string[] Scales = ["", "@2x", "@3x"], Idioms = ["", "~ipad", "~iphone"];

    public static async Task<AppIcon?> FindAsync(AppBundle app, PlistDictionary info, IpaLimits limits, CancellationToken cancellationToken)
    {
        var ranked = new List<(PngHeader Header, ZipArchiveEntry Entry)>();
        foreach (var entry in Candidates(app, BaseNames(info)).Take(MaxCandidates))
        {
            if (entry.Length > limits.MaxIconBytes)
                continue;
            var start = await EntryReader.TryReadStartAsync(entry, Png.HeaderProbeLength, cancellationToken).ConfigureAwait(false);
            if (start is not null && Png.TryReadHeader(start, out var header))
                ranked.Add((header, entry));
        }
        // Largest first; on a tie prefer a standard PNG, which needs no conversion.
        foreach (var (_, entry) in ranked.OrderByDescending(c => (long)c.Header.Width * c.Header.Height).ThenBy(c => c.Header.IsCrushed).Take(MaxDecodeAttempts))
        {
            byte[] file;
            try
            {
                file = await EntryReader.ReadAsync(entry, limits.MaxIconBytes, IpaRejectionReason.CorruptEntry, cancellationToken).ConfigureAwait(false);
            }
            catch (IpaRejectedException)
            {
                // A broken or oversized icon costs the build its icon, not its upload.
                continue;
            }
            if (CgbiPng.TryNormalize(file, out var header) is { } png)
                return new AppIcon(png, header.Width, header.Height);
        }
        return null;
    }

    internal static List<string> BaseNames(PlistDictionary info)
    {
        var names = new List<string>();
        foreach (var key in (ReadOnlySpan<string>)["CFBundleIcons", "CFBundleIcons~ipad"])
        {
            // On tvOS and visionOS CFBundlePrimaryIcon is a string, not a dictionary.
            if (info.GetDictionary(key)?.Get("CFBundlePrimaryIcon") is PlistDictionary primary)
            {
                names.AddRange(primary.GetStrings("CFBundleIconFiles") ?? []);
                if (primary.GetString("CFBundleIconName") is { } iconName)
                    names.Add(iconName);
            }
        }
        names.AddRange(info.GetStrings("CFBundleIconFiles") ?? []);
        if (info.GetString("CFBundleIconFile") is { } legacy)
            names.Add(legacy);
        return [.. names
            .Select(n => n.EndsWith(".png", StringComparison.OrdinalIgnoreCase) ? n[..^4] : n)
            .Where(n => n.Length > 0 && !n.Contains('/'))
            .Distinct(StringComparer.Ordinal)
            .Take(MaxIconNames)];
    }

    // A name matches "<name>[@2x|@3x][~ipad|~iphone].png" in the app's root: nine lookups per name, no scan.
    internal static List<ZipArchiveEntry> Candidates(AppBundle app, List<string> baseNames)
    {
        var named = new List<ZipArchiveEntry>();
        var seen = new HashSet<ZipArchiveEntry>(ReferenceEqualityComparer.Instance);
        foreach (var name in baseNames)
        {
            foreach (var scale in Scales)
            {
                foreach (var idiom in Idioms)
                {
                    if (app.TryGetUnique(name + scale + idiom + ".png", out var entry) && seen.Add(entry))
                        named.Add(entry);
                }
            }
        }
        // Named files that are absent simply match nothing; then any root AppIcon*/Icon* PNG will do.
        return named.Count > 0
            ? named
            : [.. app.RootFiles
                .Where(f => f.FileName.EndsWith(".png", StringComparison.Ordinal)
                    && (f.FileName.StartsWith("AppIcon", StringComparison.Ordinal) || f.FileName.StartsWith("Icon", StringComparison.Ordinal)))
                .Select(f => f.Entry)
                .Take(MaxCandidates)];
    }
}
