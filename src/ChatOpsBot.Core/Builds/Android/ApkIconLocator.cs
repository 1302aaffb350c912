namespace ChatOpsBot.Core.Builds.Android;

// The launcher icon as a launcher picks it: among the icon resource's bitmaps, the highest density; when the icon
// is only an adaptive icon (anydpi XML), its foreground layer's best bitmap. Vectors are never rasterised: an app
// with nothing but vectors has no raster icon.
internal static class ApkIconLocator
{
    private const uint DrawableId = 0x01010199;
    private const int MaxCandidates = 64;

    public static ApkIcon? Find(ApkZip zip, ResourceTable? table, BinaryXml manifest, AxmlAttribute icon, ApkLimits limits, CancellationToken cancellationToken)
    {
        if (icon.Value.Type == ResValue.String)
            return manifest.StringOf(icon) is { } path ? ReadBitmap(zip, path, limits, cancellationToken) : null;
        if (!icon.Value.IsReference || table is null)
            return null;
        var candidates = table.ResolveFiles(icon.Value.Data);
        if (BestBitmap(zip, candidates, limits, cancellationToken) is { } bitmap)
            return bitmap;
        foreach (var (_, path) in candidates.Where(c => c.Config.Density == ResConfig.AnyDensity || c.Path.EndsWith(".xml", StringComparison.Ordinal)).Take(MaxCandidates))
        {
            if (zip.Find(path) is not { } entry || entry.UncompressedSize > limits.MaxIconBytes)
                continue;
            var bytes = zip.Read(entry, limits.MaxIconBytes, cancellationToken);
            if (!BinaryXml.LooksLikeBinaryXml(bytes))
                continue;
            var xml = BinaryXml.Parse(bytes, path);
            if (xml.Root.Name != "adaptive-icon")
                continue;
            foreach (var layer in xml.Root.ChildrenNamed("foreground"))
            {
                if (xml.Find(layer, DrawableId, "drawable") is { Value.IsReference: true } drawable
                    && BestBitmap(zip, table.ResolveFiles(drawable.Value.Data), limits, cancellationToken) is { } foreground)
                    return foreground;
            }
        }
        return null;
    }

    private static ApkIcon? BestBitmap(ApkZip zip, List<(ResConfig Config, string Path)> candidates, ApkLimits limits, CancellationToken cancellationToken)
    {
        var ordered = candidates
            .Where(c => c.Config.Density != ResConfig.AnyDensity)
            .OrderByDescending(c => c.Config.DensityScore)
            .ThenBy(c => c.Config.Qualifiers)
            .Take(MaxCandidates);
        foreach (var (_, path) in ordered)
        {
            if (ReadBitmap(zip, path, limits, cancellationToken) is { } bitmap)
                return bitmap;
        }
        return null;
    }

    // Density comes from the configuration, the kind from the bytes: paths are arbitrary after aapt2 optimize.
    private static ApkIcon? ReadBitmap(ApkZip zip, string path, ApkLimits limits, CancellationToken cancellationToken)
    {
        if (zip.Find(path) is not { } entry || entry.UncompressedSize > limits.MaxIconBytes)
            return null;
        var bytes = zip.Read(entry, limits.MaxIconBytes, cancellationToken);
        return ContentTypeOf(bytes) is { } type ? new ApkIcon(bytes, type, path) : null;
    }

    public static string? ContentTypeOf(ReadOnlySpan<byte> bytes) => bytes switch
    {
        [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => "image/png",
        [(byte)'R', (byte)'I', (byte)'F', (byte)'F', _, _, _, _, (byte)'W', (byte)'E', (byte)'B', (byte)'P', ..] => "image/webp",
        [0xFF, 0xD8, 0xFF, ..] => "image/jpeg",
        _ => null,
    };
}
