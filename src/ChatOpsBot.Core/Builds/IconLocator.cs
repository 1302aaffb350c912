using System.IO.Compression;
using System.Text.RegularExpressions;
using ChatOpsBot.PropertyList;

namespace ChatOpsBot.Core.Builds;

// Picks the largest icon by the pixel size in its PNG header, not by its name: Xcode 14+ "single size" apps name
// AppIcon1024x1024 in Info.plist yet ship only AppIcon60x60@2x.png (formats.md 5.3).
internal static partial class IconLocator
{
    private const int MaxCandidates = 64, MaxDecodeAttempts = 8;

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
            .Distinct(StringComparer.Ordinal)];
    }

    private static List<ZipArchiveEntry> Candidates(AppBundle app, List<string> baseNames)
    {
        var files = app.RootFiles.Where(f => f.FileName.EndsWith(".png", StringComparison.Ordinal)).ToList();
        var named = files
            .Where(f => baseNames.Any(b => f.FileName.StartsWith(b, StringComparison.Ordinal) && IconSuffix().IsMatch(f.FileName.AsSpan(b.Length))))
            .Select(f => f.Entry)
            .ToList();
        // Named files that are absent simply match nothing; then any root AppIcon*/Icon* PNG will do.
        return named.Count > 0
            ? named
            : [.. files.Where(f => f.FileName.StartsWith("AppIcon", StringComparison.Ordinal) || f.FileName.StartsWith("Icon", StringComparison.Ordinal)).Select(f => f.Entry)];
    }

    [GeneratedRegex(@"^(@[23]x)?(~ipad|~iphone)?\.png$", RegexOptions.CultureInvariant)]
    private static partial Regex IconSuffix();
}
