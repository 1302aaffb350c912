using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace ChatOpsBot.Core.Tests.Builds.Android;

// Hand-made Android binary formats, written independently of the product's readers, with knobs for the layouts
// real tools vary (UTF-8 pools, 24-byte attributes, longer node headers, sparse and 16-bit offsets) and for damage.
internal static class TestResFormats
{
    public static byte[] StringPool(IReadOnlyList<string> strings, bool utf8, int paddingAfterOffsets = 0)
    {
        var body = new MemoryStream();
        var offsets = new List<int>();
        foreach (var s in strings)
        {
            offsets.Add((int)body.Length);
            if (utf8)
            {
                var bytes = Encoding.UTF8.GetBytes(s);
                WriteLength8(body, s.Length);
                WriteLength8(body, bytes.Length);
                body.Write(bytes);
                body.WriteByte(0);
            }
            else
            {
                if (s.Length > 0x7FFF)
                {
                    body.Write(U16((ushort)(0x8000 | (s.Length >> 16))));
                    body.Write(U16((ushort)(s.Length & 0xFFFF)));
                }
                else
                {
                    body.Write(U16((ushort)s.Length));
                }
                body.Write(Encoding.Unicode.GetBytes(s));
                body.Write(U16(0));
            }
        }
        while (body.Length % 4 != 0)
            body.WriteByte(0);
        var stringsStart = 28 + 4 * strings.Count + paddingAfterOffsets;
        var size = stringsStart + (int)body.Length;
        var pool = new MemoryStream();
        pool.Write(U16(0x0001));
        pool.Write(U16(28));
        pool.Write(U32((uint)size));
        pool.Write(U32((uint)strings.Count));
        pool.Write(U32(0));
        pool.Write(U32(utf8 ? 0x100u : 0u));
        pool.Write(U32((uint)stringsStart));
        pool.Write(U32(0));
        foreach (var o in offsets)
            pool.Write(U32((uint)o));
        pool.Write(new byte[paddingAfterOffsets]);
        pool.Write(body.ToArray());
        return pool.ToArray();
    }

    private static void WriteLength8(Stream s, int length)
    {
        if (length > 0x7F)
        {
            s.WriteByte((byte)(0x80 | (length >> 8)));
            s.WriteByte((byte)length);
        }
        else
        {
            s.WriteByte((byte)length);
        }
    }

    public static byte[] U16(ushort value)
    {
        var b = new byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(b, value);
        return b;
    }

    public static byte[] U32(uint value)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        return b;
    }

    public static byte[] Chunk(ushort type, byte[] headerRest, byte[] body, int? declaredHeader = null)
    {
        var header = 8 + headerRest.Length;
        return [.. U16(type), .. U16((ushort)(declaredHeader ?? header)), .. U32((uint)(header + body.Length)), .. headerRest, .. body];
    }

    // A ZIP written by hand, stored or deflated, with every header field open to a lie.
    public static byte[] Zip(IEnumerable<ZipItem> items, byte[]? beforeDirectory = null)
    {
        var output = new MemoryStream();
        var directory = new MemoryStream();
        var count = 0;
        foreach (var item in items)
        {
            count++;
            var name = Encoding.UTF8.GetBytes(item.Name);
            var data = item.Method == 8 ? Deflate(item.Data) : item.Data;
            var crc = item.Crc ?? Crc32(item.Data);
            var offset = (uint)output.Length;
            void Common(Stream s, bool local)
            {
                s.Write(U16(20));
                s.Write(U16(item.Flags));
                s.Write(U16(item.Method));
                s.Write(U32(0));
                s.Write(U32(local ? item.LocalCrc ?? crc : crc));
                s.Write(U32(item.CompressedSize ?? (uint)data.Length));
                s.Write(U32(local ? item.LocalUncompressedSize ?? item.UncompressedSize ?? (uint)item.Data.Length : item.UncompressedSize ?? (uint)item.Data.Length));
                s.Write(U16((ushort)name.Length));
                s.Write(U16(0));
            }
            output.Write(U32(0x04034b50));
            Common(output, local: true);
            output.Write(name);
            output.Write(data);
            directory.Write(U32(0x02014b50));
            directory.Write(U16(20));
            Common(directory, local: false);
            directory.Write(U16(0));
            directory.Write(U16(0));
            directory.Write(U16(0));
            directory.Write(U32(0));
            directory.Write(U32(offset));
            directory.Write(name);
        }
        output.Write(beforeDirectory ?? []);
        var directoryOffset = (uint)output.Length;
        output.Write(directory.ToArray());
        output.Write(U32(0x06054b50));
        output.Write(U16(0));
        output.Write(U16(0));
        output.Write(U16((ushort)count));
        output.Write(U16((ushort)count));
        output.Write(U32((uint)directory.Length));
        output.Write(U32(directoryOffset));
        output.Write(U16(0));
        return output.ToArray();
    }

    // Every entry of a real zip, in order, to be rewritten by Zip.
    public static List<ZipItem> Items(byte[] zip, ushort method = 0)
    {
        using var archive = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
        var items = new List<ZipItem>();
        foreach (var entry in archive.Entries)
        {
            using var stream = entry.Open();
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            items.Add(new ZipItem(entry.FullName, copy.ToArray()) { Method = method });
        }
        return items;
    }

    public static byte[] Deflate(byte[] data)
    {
        using var output = new MemoryStream();
        using (var deflate = new DeflateStream(output, CompressionLevel.Optimal, leaveOpen: true))
            deflate.Write(data);
        return output.ToArray();
    }

    public static uint Crc32(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
        return ~crc;
    }
}

internal sealed record ZipItem(string Name, byte[] Data)
{
    public ushort Method { get; init; }

    public ushort Flags { get; init; }

    public uint? Crc { get; init; }

    public uint? LocalCrc { get; init; }

    public uint? CompressedSize { get; init; }

    public uint? UncompressedSize { get; init; }

    public uint? LocalUncompressedSize { get; init; }
}

internal sealed record AxmlAttr(string Name, uint ResourceId, byte Type, uint Data, string? Text = null)
{
    public static AxmlAttr String(string name, uint id, string text) => new(name, id, 0x03, 0, text);

    public static AxmlAttr Int(string name, uint id, int value) => new(name, id, 0x10, (uint)value);

    public static AxmlAttr Bool(string name, uint id, bool value) => new(name, id, 0x12, value ? 0xFFFFFFFF : 0);

    public static AxmlAttr Ref(string name, uint id, uint target) => new(name, id, 0x01, target);
}

internal sealed record AxmlNode(string Name, IReadOnlyList<AxmlAttr> Attributes, IReadOnlyList<AxmlNode> Children)
{
    public AxmlNode(string name, params AxmlAttr[] attributes)
        : this(name, attributes, [])
    {
    }
}

// Android binary XML as aapt lays it out: pool (attribute names first, so the resource map covers them), map,
// start-namespace, elements, end-namespace.
internal sealed class AxmlWriter
{
    public const string Android = "http://schemas.android.com/apk/res/android";

    public bool Utf8 { get; init; }

    public int AttributeSize { get; init; } = 20;

    public int NodeHeaderSize { get; init; } = 16;

    public ushort RootType { get; init; } = 0x0003;

    public int PaddingAfterOffsets { get; init; }

    public bool WithResourceMap { get; init; } = true;

    public static AxmlNode Manifest(string package = "com.example.made", int versionCode = 5, string versionName = "5.0", params AxmlNode[] children) =>
        new("manifest", [new AxmlAttr("package", 0, 0x03, 0, package), AxmlAttr.Int("versionCode", 0x0101021b, versionCode), AxmlAttr.String("versionName", 0x0101021c, versionName)], children);

    public static AxmlNode Application(params AxmlAttr[] attributes) => new("application", attributes);

    public byte[] Write(AxmlNode root)
    {
        var strings = new List<string>();
        var ids = new List<uint>();
        void Walk(AxmlNode node, Action<AxmlNode> visit)
        {
            visit(node);
            foreach (var child in node.Children)
                Walk(child, visit);
        }
        Walk(root, n =>
        {
            foreach (var a in n.Attributes.Where(a => a.ResourceId != 0 && !strings.Contains(a.Name)))
            {
                strings.Add(a.Name);
                ids.Add(a.ResourceId);
            }
        });
        int S(string s)
        {
            var i = strings.IndexOf(s);
            if (i >= 0)
                return i;
            strings.Add(s);
            return strings.Count - 1;
        }
        S("android");
        S(Android);
        Walk(root, n =>
        {
            S(n.Name);
            foreach (var a in n.Attributes)
            {
                S(a.Name);
                if (a.Text is not null)
                    S(a.Text);
            }
        });

        var nodes = new MemoryStream();
        byte[] Node(ushort type, byte[] ext) =>
            TestResFormats.Chunk(type, [.. TestResFormats.U32(1), .. TestResFormats.U32(0xFFFFFFFF), .. new byte[NodeHeaderSize - 16]], ext);
        var nsExt = (byte[])[.. TestResFormats.U32((uint)S("android")), .. TestResFormats.U32((uint)S(Android))];
        nodes.Write(Node(0x0100, nsExt));
        void Emit(AxmlNode node)
        {
            var ext = new MemoryStream();
            ext.Write(TestResFormats.U32(0xFFFFFFFF));
            ext.Write(TestResFormats.U32((uint)S(node.Name)));
            ext.Write(TestResFormats.U16(20));
            ext.Write(TestResFormats.U16((ushort)AttributeSize));
            ext.Write(TestResFormats.U16((ushort)node.Attributes.Count));
            ext.Write(new byte[6]);
            foreach (var a in node.Attributes)
            {
                ext.Write(TestResFormats.U32(a.ResourceId == 0 ? 0xFFFFFFFF : (uint)S(Android)));
                ext.Write(TestResFormats.U32((uint)S(a.Name)));
                var text = a.Text is null ? 0xFFFFFFFF : (uint)S(a.Text);
                ext.Write(TestResFormats.U32(text));
                ext.Write(TestResFormats.U16(8));
                ext.WriteByte(0);
                ext.WriteByte(a.Type);
                ext.Write(TestResFormats.U32(a.Text is null ? a.Data : text));
                ext.Write(new byte[AttributeSize - 20]);
            }
            nodes.Write(Node(0x0102, ext.ToArray()));
            foreach (var child in node.Children)
                Emit(child);
            nodes.Write(Node(0x0103, [.. TestResFormats.U32(0xFFFFFFFF), .. TestResFormats.U32((uint)S(node.Name))]));
        }
        Emit(root);
        nodes.Write(Node(0x0101, nsExt));

        var pool = TestResFormats.StringPool(strings, Utf8, PaddingAfterOffsets);
        var map = WithResourceMap ? TestResFormats.Chunk(0x0180, [], [.. ids.SelectMany(TestResFormats.U32)]) : [];
        return TestResFormats.Chunk(RootType, [], [.. pool, .. map, .. nodes.ToArray()]);
    }
}

internal sealed record ArscType(byte TypeId, IReadOnlyDictionary<int, (byte Type, uint Data)> Entries)
{
    public string? Language { get; init; }

    public ushort Density { get; init; }

    public ushort Sdk { get; init; }

    public byte Flags { get; init; } // 0 dense, 1 sparse, 2 offset16

    public bool Compact { get; init; }

    public int EntryCount { get; init; } = -1;
}

// resources.arsc with one package (0x7f): a global pool, type and key pools, a spec and the given TYPE chunks.
internal sealed class ArscWriter
{
    private readonly List<string> _strings = [];

    public List<ArscType> Types { get; } = [];

    public bool Utf8 { get; init; }

    public uint String(string s)
    {
        var i = _strings.IndexOf(s);
        if (i < 0)
        {
            _strings.Add(s);
            i = _strings.Count - 1;
        }
        return (uint)i;
    }

    public static uint Id(byte type, int entry) => 0x7f000000u | (uint)type << 16 | (uint)entry;

    public byte[] Write()
    {
        var maxType = Types.Count == 0 ? 1 : Types.Max(t => t.TypeId);
        var maxEntry = Types.Count == 0 ? 1 : Types.Max(t => Count(t));
        var typePool = TestResFormats.StringPool([.. Enumerable.Range(1, maxType).Select(i => $"type{i}")], utf8: false);
        var keyPool = TestResFormats.StringPool([.. Enumerable.Range(0, maxEntry).Select(i => $"key{i}")], utf8: true);
        var body = new MemoryStream();
        body.Write(typePool);
        body.Write(keyPool);
        foreach (var group in Types.GroupBy(t => t.TypeId))
        {
            var count = group.Max(Count);
            body.Write(TestResFormats.Chunk(0x0202, [group.Key, 0, .. TestResFormats.U16(0), .. TestResFormats.U32((uint)count)], [.. new byte[4 * count]]));
            foreach (var type in group)
                body.Write(TypeChunk(type));
        }
        var name = new byte[256];
        Encoding.Unicode.GetBytes("com.example.made").CopyTo(name, 0);
        var packageHeader = (byte[])[.. TestResFormats.U32(0x7f), .. name, .. TestResFormats.U32(288), .. TestResFormats.U32((uint)maxType),
            .. TestResFormats.U32((uint)(288 + typePool.Length)), .. TestResFormats.U32((uint)maxEntry), .. TestResFormats.U32(0)];
        var package = TestResFormats.Chunk(0x0200, packageHeader, body.ToArray());
        var pool = TestResFormats.StringPool(_strings, Utf8);
        return TestResFormats.Chunk(0x0002, TestResFormats.U32(1), [.. pool, .. package]);
    }

    private static int Count(ArscType t) => t.EntryCount >= 0 ? t.EntryCount : t.Entries.Count == 0 ? 0 : t.Entries.Keys.Max() + 1;

    private static byte[] TypeChunk(ArscType type)
    {
        var config = new byte[64];
        BinaryPrimitives.WriteUInt32LittleEndian(config, 64);
        if (type.Language is { } language)
            Encoding.ASCII.GetBytes(language).CopyTo(config, 8);
        BinaryPrimitives.WriteUInt16LittleEndian(config.AsSpan(14), type.Density);
        BinaryPrimitives.WriteUInt16LittleEndian(config.AsSpan(24), type.Sdk);
        var count = Count(type);
        var entries = new MemoryStream();
        var offsets = new MemoryStream();
        var sparse = (type.Flags & 1) != 0;
        var present = 0;
        for (var i = 0; i < count; i++)
        {
            if (!type.Entries.TryGetValue(i, out var value))
            {
                if (!sparse)
                    offsets.Write((type.Flags & 2) != 0 ? TestResFormats.U16(0xFFFF) : TestResFormats.U32(0xFFFFFFFF));
                continue;
            }
            present++;
            var offset = (uint)entries.Length;
            if (sparse)
                offsets.Write([.. TestResFormats.U16((ushort)i), .. TestResFormats.U16((ushort)(offset / 4))]);
            else if ((type.Flags & 2) != 0)
                offsets.Write(TestResFormats.U16((ushort)(offset / 4)));
            else
                offsets.Write(TestResFormats.U32(offset));
            if (type.Compact)
            {
                entries.Write(TestResFormats.U16((ushort)i));
                entries.Write(TestResFormats.U16((ushort)(0x8 | value.Type << 8)));
                entries.Write(TestResFormats.U32(value.Data));
            }
            else
            {
                entries.Write(TestResFormats.U16(8));
                entries.Write(TestResFormats.U16(0));
                entries.Write(TestResFormats.U32((uint)i));
                entries.Write(TestResFormats.U16(8));
                entries.WriteByte(0);
                entries.WriteByte(value.Type);
                entries.Write(TestResFormats.U32(value.Data));
            }
        }
        var headerSize = 20 + 64;
        var entryCount = sparse ? present : count;
        var header = (byte[])[type.TypeId, type.Flags, .. TestResFormats.U16(0), .. TestResFormats.U32((uint)entryCount),
            .. TestResFormats.U32((uint)(headerSize + offsets.Length)), .. config];
        return TestResFormats.Chunk(0x0201, header, [.. offsets.ToArray(), .. entries.ToArray()]);
    }
}
