namespace ChatOpsBot.Core.Builds.Android;

internal sealed record AxmlAttribute(string? Namespace, string? Name, uint ResourceId, string? RawValue, ResValue Value, long Offset);

internal sealed class AxmlElement(string? ns, string name, long offset)
{
    public string? Namespace { get; } = ns;

    public string Name { get; } = name;

    public long Offset { get; } = offset;

    public List<AxmlAttribute> Attributes { get; } = [];

    public List<AxmlElement> Children { get; } = [];

    public IEnumerable<AxmlElement> ChildrenNamed(string name) => Children.Where(c => c.Name == name);
}

// A parsed binary XML document (AndroidManifest.xml, res/**/*.xml), read as Android's ResXMLTree reads it: the root
// chunk's type is not checked, the last string pool before the first node wins, unknown chunks are skipped by size,
// each node's extension starts at its own header size, and attributes are stepped by the declared attribute size.
internal sealed class BinaryXml
{
    public const string AndroidNamespace = "http://schemas.android.com/apk/res/android";
    private const ushort StringPoolType = 0x0001, ResourceMapType = 0x0180, FirstNode = 0x0100, LastNode = 0x017f,
        StartElement = 0x0102, EndElement = 0x0103;
    private const int MaxDepth = 64, MaxAttributes = 1024;

    private BinaryXml(AxmlElement root, ResStringPool pool, bool hasResourceMap)
    {
        Root = root;
        Pool = pool;
        HasResourceMap = hasResourceMap;
    }

    public AxmlElement Root { get; }

    public ResStringPool Pool { get; }

    // Without a map, attributes can only be matched by name.
    public bool HasResourceMap { get; }

    // RES_XML_TYPE (0x0003), or 0x0000, which Android accepts as well since it never checks the root's type.
    public static bool LooksLikeBinaryXml(ReadOnlySpan<byte> bytes) => bytes.Length >= 8 && bytes[0] is 0x00 or 0x03 && bytes[1] == 0x00;

    public static BinaryXml Parse(byte[] bytes, string entry)
    {
        var data = new ResData(bytes, entry);
        var document = ResChunk.Read(data, 0, bytes.Length);
        ResStringPool? pool = null;
        uint[] map = [];
        var stack = new Stack<AxmlElement>();
        AxmlElement? root = null;
        var seenNode = false;
        for (var at = document.Body; at < document.End;)
        {
            var chunk = ResChunk.Read(data, at, document.End);
            if (chunk.Type is >= FirstNode and <= LastNode)
            {
                seenNode = true;
                if (pool is null)
                    throw data.Malformed("The document has no string pool before its first node", at);
                if (chunk.Type == StartElement)
                {
                    var element = ReadStartElement(data, chunk, pool, map);
                    if (stack.Count >= MaxDepth)
                        throw data.Malformed($"Elements are nested deeper than {MaxDepth}", at);
                    if (stack.TryPeek(out var parent))
                        parent.Children.Add(element);
                    else
                        root ??= element;
                    stack.Push(element);
                }
                else if (chunk.Type == EndElement)
                {
                    if (!stack.TryPop(out _))
                        throw data.Malformed("An end tag closes no element", at);
                }
            }
            else if (!seenNode && chunk.Type == StringPoolType)
            {
                pool = ResStringPool.Read(data, chunk);
            }
            else if (!seenNode && chunk.Type == ResourceMapType)
            {
                map = new uint[(chunk.Size - chunk.HeaderSize) / 4];
                for (var i = 0; i < map.Length; i++)
                    map[i] = data.U32(chunk.Body + 4 * i);
            }
            at = chunk.End;
        }
        if (root is null || pool is null)
            throw data.Malformed("The document holds no element", 0);
        return new BinaryXml(root, pool, map.Length > 0);
    }

    private static AxmlElement ReadStartElement(ResData data, ResChunk chunk, ResStringPool pool, uint[] map)
    {
        const int ExtLength = 20, AttributeLength = 20;
        var ext = chunk.Body;
        if (chunk.Size - chunk.HeaderSize < ExtLength)
            throw data.Malformed("A start tag is shorter than its fixed fields", chunk.Start);
        var ns = pool.Get(data.U32(ext));
        var name = pool.Get(data.U32(ext + 4)) ?? throw data.Malformed("A start tag's name is not in the string pool", ext + 4);
        int attributeStart = data.U16(ext + 8), attributeSize = data.U16(ext + 10), attributeCount = data.U16(ext + 12);
        if (attributeCount > MaxAttributes)
            throw data.Malformed($"An element has {attributeCount} attributes; the limit is {MaxAttributes}", ext + 12);
        if (attributeCount > 0 && attributeSize < AttributeLength)
            throw data.Malformed($"Attributes are declared {attributeSize} bytes long, less than the {AttributeLength} each needs", ext + 10);
        if (attributeStart + (long)attributeSize * attributeCount > chunk.Size - chunk.HeaderSize)
            throw data.Malformed($"The {attributeCount} attributes of <{name}> run past the end of their node", ext + 8);
        var element = new AxmlElement(ns, name, chunk.Start);
        for (var i = 0; i < attributeCount; i++)
        {
            var at = ext + attributeStart + attributeSize * i;
            var nameIndex = data.U32(at + 4);
            var value = new ResValue(data.U8(at + 15), data.U32(at + 16));
            element.Attributes.Add(new AxmlAttribute(
                pool.Get(data.U32(at)),
                pool.Get(nameIndex),
                nameIndex < (uint)map.Length ? map[nameIndex] : 0,
                pool.Get(data.U32(at + 8)),
                value,
                at));
        }
        return element;
    }

    // Android's typed lookup goes by resource ID: obfuscators blank names, and a decoy attribute named versionCode
    // without the ID must not win. Names count only when the document has no resource map.
    public AxmlAttribute? Find(AxmlElement element, uint resourceId, string name)
    {
        foreach (var attribute in element.Attributes)
        {
            if (HasResourceMap ? attribute.ResourceId == resourceId : attribute.Name == name && attribute.Namespace == AndroidNamespace)
                return attribute;
        }
        return null;
    }

    // An attribute without a namespace, such as the manifest's package.
    public static AxmlAttribute? FindPlain(AxmlElement element, string name) =>
        element.Attributes.FirstOrDefault(a => a.Namespace is null && a.Name == name);

    // The literal string an attribute holds (its typed string, else its raw value), or null for other types.
    public string? StringOf(AxmlAttribute attribute) =>
        attribute.Value.Type == ResValue.String ? Pool.Get(attribute.Value.Data) ?? attribute.RawValue : attribute.RawValue;
}
