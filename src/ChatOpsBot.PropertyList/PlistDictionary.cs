using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace ChatOpsBot.PropertyList;

/// <summary>
/// A dictionary with string keys, compared ordinally. It keeps the order in which keys were added (a parsed
/// document's file order); writers sort keys ordinally, as Apple and Python do.
/// </summary>
/// <example>
/// <code>
/// var info = Plist.ParseDictionary(bytes);
/// string? id = info.GetString("CFBundleIdentifier");
/// var manifest = new PlistDictionary { ["title"] = "Tom &amp; Jerry", ["count"] = 3 };
/// </code>
/// </example>
public sealed class PlistDictionary : PlistValue, IDictionary<string, PlistValue>, IReadOnlyDictionary<string, PlistValue>
{
    private readonly OrderedDictionary<string, PlistValue> _items;

    /// <summary>Creates an empty dictionary.</summary>
    public PlistDictionary() => _items = new(StringComparer.Ordinal);

    /// <summary>Creates an empty dictionary with room for <paramref name="capacity"/> entries.</summary>
    public PlistDictionary(int capacity) => _items = new(capacity, StringComparer.Ordinal);

    /// <inheritdoc />
    public override PlistValueKind Kind => PlistValueKind.Dictionary;

    /// <summary>The number of entries.</summary>
    public int Count => _items.Count;

    /// <summary>The keys, in insertion order.</summary>
    public IEnumerable<string> Keys => _items.Keys;

    /// <summary>The values, in insertion order.</summary>
    public IEnumerable<PlistValue> Values => _items.Values;

    ICollection<string> IDictionary<string, PlistValue>.Keys => _items.Keys;

    ICollection<PlistValue> IDictionary<string, PlistValue>.Values => _items.Values;

    bool ICollection<KeyValuePair<string, PlistValue>>.IsReadOnly => false;

    /// <summary>Gets or sets the value for a key. Setting an existing key keeps its position.</summary>
    /// <exception cref="KeyNotFoundException">Getting a key that is absent.</exception>
    public PlistValue this[string key]
    {
        get => _items[key];
        set => _items[NotNull(key)] = NotNull(value);
    }

    /// <summary>Adds an entry.</summary>
    /// <exception cref="ArgumentException">The key is already present.</exception>
    public void Add(string key, PlistValue value) => _items.Add(NotNull(key), NotNull(value));

    /// <summary>Whether the key is present.</summary>
    public bool ContainsKey(string key) => _items.ContainsKey(key);

    /// <summary>Removes a key; returns whether it was present.</summary>
    public bool Remove(string key) => _items.Remove(key);

    /// <summary>Gets the value for a key, if present.</summary>
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out PlistValue value) => _items.TryGetValue(key, out value);

    /// <summary>Removes every entry.</summary>
    public void Clear() => _items.Clear();

    /// <summary>The value for a key, or null when absent.</summary>
    public PlistValue? Get(string key) => _items.GetValueOrDefault(key);

    /// <summary>The text of a string value, or null when the key is absent or holds another type.</summary>
    public string? GetString(string key) => (Get(key) as PlistString)?.Value;

    /// <summary>An integer value, or null when the key is absent, holds another type or exceeds <see cref="long"/>.</summary>
    public long? GetInteger(string key) => (Get(key) as PlistInteger)?.ToInt64();

    /// <summary>A real value, or null when the key is absent or holds another type.</summary>
    public double? GetReal(string key) => (Get(key) as PlistReal)?.Value;

    /// <summary>A boolean value, or null when the key is absent or holds another type.</summary>
    public bool? GetBoolean(string key) => (Get(key) as PlistBoolean)?.Value;

    /// <summary>A date value (UTC), or null when the key is absent or holds another type.</summary>
    public DateTime? GetDate(string key) => (Get(key) as PlistDate)?.Value;

    /// <summary>A data value, or null when the key is absent or holds another type.</summary>
    public ReadOnlyMemory<byte>? GetData(string key) => (Get(key) as PlistData)?.Value;

    /// <summary>A dictionary value, or null when the key is absent or holds another type.</summary>
    public PlistDictionary? GetDictionary(string key) => Get(key) as PlistDictionary;

    /// <summary>An array value, or null when the key is absent or holds another type.</summary>
    public PlistArray? GetArray(string key) => Get(key) as PlistArray;

    /// <summary>
    /// The strings of an array value, skipping items of other types; null when the key is absent or holds another
    /// type.
    /// </summary>
    public IReadOnlyList<string>? GetStrings(string key) =>
        GetArray(key)?.OfType<PlistString>().Select(s => s.Value).ToArray();

    /// <summary>Enumerates the entries in insertion order.</summary>
    public IEnumerator<KeyValuePair<string, PlistValue>> GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    void ICollection<KeyValuePair<string, PlistValue>>.Add(KeyValuePair<string, PlistValue> item) => Add(item.Key, item.Value);

    bool ICollection<KeyValuePair<string, PlistValue>>.Contains(KeyValuePair<string, PlistValue> item) =>
        ((ICollection<KeyValuePair<string, PlistValue>>)_items).Contains(item);

    void ICollection<KeyValuePair<string, PlistValue>>.CopyTo(KeyValuePair<string, PlistValue>[] array, int arrayIndex) =>
        ((ICollection<KeyValuePair<string, PlistValue>>)_items).CopyTo(array, arrayIndex);

    bool ICollection<KeyValuePair<string, PlistValue>>.Remove(KeyValuePair<string, PlistValue> item) =>
        ((ICollection<KeyValuePair<string, PlistValue>>)_items).Remove(item);

    internal void SetFromReader(string key, PlistValue value) => _items[key] = value;
}
