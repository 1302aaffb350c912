using System.Globalization;

namespace ChatOpsBot.Core.Builds.Android;

// ResTable_config, as much of it as choosing a label and an icon needs. Android copies min(size, 64) bytes and
// zero-fills the rest, so any size of at least 4 is accepted.
internal sealed record ResConfig(string? Language, string? Country, string? Script, ushort Density, ushort SdkVersion, int Qualifiers, bool IsDefault)
{
    public const ushort AnyDensity = 0xFFFE, NoDensity = 0xFFFF;

    public static ResConfig Read(ResData data, int at, int size)
    {
        var bytes = new byte[64];
        Array.Copy(data.Bytes, at, bytes, 0, Math.Min(size, 64));
        var qualifiers = 0;
        for (var i = 4; i < 64; i++)
        {
            if (bytes[i] != 0)
                qualifiers++;
        }
        var sdk = (ushort)(bytes[24] | bytes[25] << 8);
        // A script given in the qualifier (b+sr+Latn), not one Android computed from the language.
        var script = bytes[36] != 0 && bytes[52] == 0 && bytes.AsSpan(36, 4).IndexOfAnyExceptInRange((byte)'A', (byte)'z') < 0
            ? System.Text.Encoding.ASCII.GetString(bytes, 36, 4)
            : null;
        return new ResConfig(
            LanguageOrRegion(bytes[8], bytes[9], 'a'),
            LanguageOrRegion(bytes[10], bytes[11], '0'),
            script,
            (ushort)(bytes[14] | bytes[15] << 8),
            sdk,
            qualifiers,
            qualifiers == 0);
    }

    public bool HasLocale => Language is not null;

    // "fr", "fr-CA", "sr-Latn": what aapt's badging appends to application-label-.
    public string? Locale => Language is null ? null : string.Join('-', new[] { Language, Script, Country }.Where(p => p is not null));

    // Default (0) counts as mdpi; nodpi bitmaps fit any density, so they rank like mdpi too.
    public int DensityScore => Density switch
    {
        0 or NoDensity => 160,
        AnyDensity => -1,
        _ => Density,
    };

    private static string? LanguageOrRegion(byte first, byte second, char baseChar)
    {
        if (first == 0 && second == 0)
            return null;
        if ((first & 0x80) == 0)
            return first is >= 0x20 and < 0x7f && second is >= 0x20 and < 0x7f ? string.Concat((char)first, (char)second) : null;
        // Three letters packed in 15 bits: 5 bits each, counted from baseChar.
        var packed = (first << 8) | second;
        Span<char> letters = [(char)(baseChar + (packed & 0x1F)), (char)(baseChar + ((packed >> 5) & 0x1F)), (char)(baseChar + ((packed >> 10) & 0x1F))];
        return new string(letters);
    }
}

// One value of a resource in one configuration: a Res_value, or a bag (complex entry) whose items are not needed.
internal sealed record ResEntry(uint ResourceId, ResConfig Config, ResValue Value, bool IsBag, long Offset);

// resources.arsc: the global value pool and, per package, the TYPE chunks with their configurations. Nothing but the
// chunk layout is read up front; entries are found on lookup, by dense, 16-bit or sparse offsets as each chunk says.
internal sealed class ResourceTable
{
    private const ushort StringPoolType = 0x0001, PackageType = 0x0200, TypeType = 0x0201;
    private const byte FlagSparse = 0x01, FlagOffset16 = 0x02;
    private const ushort EntryComplex = 0x0001, EntryCompact = 0x0008;
    // AssetManager2's kMaxIterations.
    public const int MaxReferenceDepth = 20;
    private const int MaxLookups = 50_000;

    private readonly ResData _data;
    private readonly Dictionary<uint, Dictionary<int, List<TypeChunk>>> _packages;
    private int _lookups;

    private ResourceTable(ResData data, ResStringPool? pool, Dictionary<uint, Dictionary<int, List<TypeChunk>>> packages)
    {
        _data = data;
        GlobalPool = pool;
        _packages = packages;
    }

    public ResStringPool? GlobalPool { get; }

    public string Entry => _data.Entry;

    private sealed record TypeChunk(ResChunk Chunk, byte Flags, uint EntryCount, int EntriesStart, ResConfig Config);

    public static ResourceTable Parse(byte[] bytes, string entry)
    {
        var data = new ResData(bytes, entry);
        var table = ResChunk.Read(data, 0, bytes.Length, minimumHeader: 12);
        ResStringPool? pool = null;
        var packages = new Dictionary<uint, Dictionary<int, List<TypeChunk>>>();
        for (var at = table.Body; at < table.End;)
        {
            var chunk = ResChunk.Read(data, at, table.End);
            if (chunk.Type == StringPoolType && pool is null)
                pool = ResStringPool.Read(data, chunk);
            else if (chunk.Type == PackageType)
                ReadPackage(data, chunk, packages);
            at = chunk.End;
        }
        return new ResourceTable(data, pool, packages);
    }

    private static void ReadPackage(ResData data, ResChunk package, Dictionary<uint, Dictionary<int, List<TypeChunk>>> packages)
    {
        // Old tables end the header before typeIdOffset (284 bytes); the fields used here are all before it.
        if (package.HeaderSize < 12)
            throw data.Malformed("A package header is too short", package.Start + 2);
        var id = data.U32(package.Start + 8);
        if (!packages.TryGetValue(id, out var types))
            packages[id] = types = [];
        for (var at = package.Body; at < package.End;)
        {
            var chunk = ResChunk.Read(data, at, package.End);
            if (chunk.Type == TypeType)
            {
                var type = ReadType(data, chunk);
                if (!types.TryGetValue(data.U8(chunk.Start + 8), out var list))
                    types[data.U8(chunk.Start + 8)] = list = [];
                list.Add(type);
            }
            at = chunk.End;
        }
    }

    private static TypeChunk ReadType(ResData data, ResChunk chunk)
    {
        if (chunk.HeaderSize < 24)
            throw data.Malformed("A type chunk's header is too short to hold a configuration", chunk.Start + 2);
        var flags = data.U8(chunk.Start + 9);
        var entryCount = data.U32(chunk.Start + 12);
        var entriesStart = data.U32(chunk.Start + 16);
        var configSize = data.U32(chunk.Start + 20);
        if (configSize < 4 || configSize > chunk.HeaderSize - 20)
            throw data.Malformed($"A type chunk's configuration declares {configSize} bytes, outside its {chunk.HeaderSize}-byte header", chunk.Start + 20);
        var offsetBytes = (flags & FlagOffset16) != 0 && (flags & FlagSparse) == 0 ? 2L * entryCount : 4L * entryCount;
        if (chunk.HeaderSize + offsetBytes > entriesStart || entriesStart > (uint)chunk.Size)
            throw data.Malformed($"A type chunk's {entryCount} entry offsets do not fit before its entries at {entriesStart} within {chunk.Size} bytes", chunk.Start + 12);
        return new TypeChunk(chunk, flags, entryCount, (int)entriesStart, ResConfig.Read(data, chunk.Start + 20, (int)configSize));
    }

    // Every configuration's value of a resource, in table order. Framework and unknown packages give none.
    public List<ResEntry> Lookup(uint resourceId)
    {
        var found = new List<ResEntry>();
        if (!_packages.TryGetValue(resourceId >> 24, out var types) || !types.TryGetValue((int)((resourceId >> 16) & 0xFF), out var chunks))
            return found;
        var index = resourceId & 0xFFFF;
        foreach (var type in chunks)
        {
            if (OffsetOf(type, index) is var (offset, slot))
                found.Add(ReadEntry(type, resourceId, type.Chunk.Start + type.EntriesStart + offset, slot));
        }
        return found;
    }

    // The entry's offset from the entries' start, and where that offset is written (for errors).
    private (long Offset, long Slot)? OffsetOf(TypeChunk type, uint index)
    {
        var table = type.Chunk.Body;
        if ((type.Flags & FlagSparse) != 0)
        {
            // {u16 index, u16 offset/4}, sorted by index, one per present entry.
            long low = 0, high = (long)type.EntryCount - 1;
            while (low <= high)
            {
                var mid = (low + high) / 2;
                var at = table + 4 * mid;
                var key = _data.U16(at);
                if (key == index)
                    return (_data.U16(at + 2) * 4L, at + 2);
                if (key < index)
                    low = mid + 1;
                else
                    high = mid - 1;
            }
            return null;
        }
        if (index >= type.EntryCount)
            return null;
        if ((type.Flags & FlagOffset16) != 0)
        {
            var value = _data.U16(table + 2 * index);
            return value == 0xFFFF ? null : (value * 4L, table + 2 * index);
        }
        var offset = _data.U32(table + 4 * index);
        return offset == 0xFFFFFFFF ? null : (offset, table + 4 * index);
    }

    private ResEntry ReadEntry(TypeChunk type, uint resourceId, long at, long slot)
    {
        var end = type.Chunk.End;
        if (at > end - 8)
            throw _data.Malformed($"The entry of resource 0x{resourceId:x8} lies outside its type chunk", slot);
        var flags = _data.U16(at + 2);
        if ((flags & EntryCompact) != 0)
            return new ResEntry(resourceId, type.Config, new ResValue((byte)(flags >> 8), _data.U32(at + 4)), false, at);
        var size = _data.U16(at);
        if ((flags & EntryComplex) != 0)
        {
            // ResTable_map_entry: + parent, count; then count × {u32 name, Res_value}.
            if (size < 16 || at + size > end)
                throw _data.Malformed($"The bag entry of resource 0x{resourceId:x8} has a bad size", at);
            var count = _data.U32(at + 12);
            if (at + size + 12L * count > end)
                throw _data.Malformed($"The {count} items of bag resource 0x{resourceId:x8} run past its type chunk", at + 12);
            return new ResEntry(resourceId, type.Config, default, true, at);
        }
        if (size < 8 || at + size > end - 8)
            throw _data.Malformed($"The value of resource 0x{resourceId:x8} lies outside its type chunk", at);
        var value = at + size;
        return new ResEntry(resourceId, type.Config, new ResValue(_data.U8(value + 3), _data.U32(value + 4)), false, at);
    }

    // Candidates in the order a launcher without a locale would take them: the default configuration, then those
    // without a locale (fewest qualifiers, highest SDK first), then the rest in table order.
    public static IEnumerable<ResEntry> DefaultFirst(List<ResEntry> entries) =>
        entries.Where(e => e.Config.IsDefault)
            .Concat(entries.Where(e => !e.Config.IsDefault && !e.Config.HasLocale).OrderBy(e => e.Config.Qualifiers).ThenByDescending(e => e.Config.SdkVersion))
            .Concat(entries.Where(e => e.Config.HasLocale));

    // A string resource resolved as a launcher would: the default configuration's value, else the first non-empty
    // alternative, following references with a depth cap and a visited set.
    public string? ResolveString(uint resourceId) => ResolveString(resourceId, [], 0, null);

    public string? ResolveString(ResEntry entry) => ValueString(entry, [entry.ResourceId], 1);

    private string? ResolveString(uint resourceId, HashSet<uint> visited, int depth, long? from)
    {
        Enter(resourceId, visited, depth, from);
        foreach (var entry in DefaultFirst(Lookup(resourceId)))
        {
            if (ValueString(entry, visited, depth + 1) is { Length: > 0 } text)
            {
                visited.Remove(resourceId);
                return text;
            }
        }
        visited.Remove(resourceId);
        return null;
    }

    private string? ValueString(ResEntry entry, HashSet<uint> visited, int depth) => entry.IsBag ? null : entry.Value switch
    {
        { Type: ResValue.String } v => GlobalPool?.Get(v.Data),
        { IsReference: true } v => ResolveString(v.Data, visited, depth, entry.Offset),
        { IsInteger: true } v => v.Type == ResValue.IntBoolean ? (v.Data != 0 ? "true" : "false") : ((int)v.Data).ToString(CultureInfo.InvariantCulture),
        _ => null,
    };

    // An @integer or @bool resource's value in the default-first order, or null.
    public ResValue? ResolveScalar(uint resourceId) => ResolveScalar(resourceId, [], 0, null);

    private ResValue? ResolveScalar(uint resourceId, HashSet<uint> visited, int depth, long? from)
    {
        Enter(resourceId, visited, depth, from);
        foreach (var entry in DefaultFirst(Lookup(resourceId)))
        {
            if (entry.IsBag)
                continue;
            var result = entry.Value.IsReference ? ResolveScalar(entry.Value.Data, visited, depth + 1, entry.Offset) : entry.Value;
            if (result is not null)
            {
                visited.Remove(resourceId);
                return result;
            }
        }
        visited.Remove(resourceId);
        return null;
    }

    // Every (configuration, file path) a file resource names, references followed: the icon's candidates.
    public List<(ResConfig Config, string Path)> ResolveFiles(uint resourceId)
    {
        var files = new List<(ResConfig, string)>();
        CollectFiles(resourceId, [], 0, null, files);
        return files;
    }

    private void CollectFiles(uint resourceId, HashSet<uint> visited, int depth, long? from, List<(ResConfig, string)> files)
    {
        Enter(resourceId, visited, depth, from);
        foreach (var entry in Lookup(resourceId))
        {
            if (entry.IsBag)
                continue;
            if (entry.Value.Type == ResValue.String && GlobalPool?.Get(entry.Value.Data) is { Length: > 0 } path)
                files.Add((entry.Config, path));
            else if (entry.Value.IsReference)
                CollectFiles(entry.Value.Data, visited, depth + 1, entry.Offset, files);
        }
        visited.Remove(resourceId);
    }

    private void Enter(uint resourceId, HashSet<uint> visited, int depth, long? from)
    {
        // Branching references (each configuration pointing on) could otherwise cost 2^20 lookups.
        if (++_lookups > MaxLookups)
            throw _data.Malformed($"Resolving resource 0x{resourceId:x8} takes more than {MaxLookups} lookups", from ?? 0);
        if (depth > MaxReferenceDepth)
            throw _data.Malformed($"Resource references are chained deeper than {MaxReferenceDepth} at 0x{resourceId:x8}", from ?? 0);
        if (!visited.Add(resourceId))
            throw _data.Malformed($"Resource 0x{resourceId:x8} refers back to itself through a cycle", from ?? 0);
    }
}
