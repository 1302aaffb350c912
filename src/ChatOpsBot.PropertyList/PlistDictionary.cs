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
    // Most property-list dictionaries are small, and a parsed document holds thousands of them: entries live in one
    // array in insertion order, searched linearly, and a hash index is built only once a lookup meets more entries.
    private const int IndexThreshold = 8;

    // Merging a parsed dictionary's duplicate keys scans pairwise up to this size rather than building an index the
    // caller may never need (32 keys are at most 496 comparisons, nearly all settled by the length).
    private const int MergeScanLimit = 32;

    private KeyValuePair<string, PlistValue>[] _entries;
    private int _count;
    private int _version;
    private Dictionary<string, int>? _index;

    /// <summary>Creates an empty dictionary.</summary>
    public PlistDictionary() => _entries = [];

    /// <summary>Creates an empty dictionary with room for <paramref name="capacity"/> entries.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is negative.</exception>
    public PlistDictionary(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        _entries = capacity == 0 ? [] : new KeyValuePair<string, PlistValue>[capacity];
    }

    /// <inheritdoc />
    public override PlistValueKind Kind => PlistValueKind.Dictionary;

    /// <summary>The number of entries.</summary>
    public int Count => _count;

    /// <summary>The keys, in insertion order.</summary>
    public IEnumerable<string> Keys => new Column<string>(this, static e => e.Key);

    /// <summary>The values, in insertion order.</summary>
    public IEnumerable<PlistValue> Values => new Column<PlistValue>(this, static e => e.Value);

    ICollection<string> IDictionary<string, PlistValue>.Keys => new Column<string>(this, static e => e.Key);

    ICollection<PlistValue> IDictionary<string, PlistValue>.Values => new Column<PlistValue>(this, static e => e.Value);

    bool ICollection<KeyValuePair<string, PlistValue>>.IsReadOnly => false;

    /// <summary>Gets or sets the value for a key. Setting an existing key keeps its position.</summary>
    /// <exception cref="KeyNotFoundException">Getting a key that is absent.</exception>
    public PlistValue this[string key]
    {
        get => IndexOf(key) is var i and >= 0
            ? _entries[i].Value
            : throw new KeyNotFoundException($"The given key '{key}' was not present in the dictionary.");
        set
        {
            NotNull(key);
            NotNull(value);
            if (IndexOf(key) is var i and >= 0)
                _entries[i] = new(_entries[i].Key, value);
            else
                Append(key, value);
        }
    }

    /// <summary>Adds an entry.</summary>
    /// <exception cref="ArgumentException">The key is already present.</exception>
    public void Add(string key, PlistValue value)
    {
        NotNull(key);
        NotNull(value);
        if (IndexOf(key) >= 0)
            throw new ArgumentException($"An item with the same key has already been added. Key: {key}", nameof(key));
        Append(key, value);
    }

    /// <summary>Whether the key is present.</summary>
    public bool ContainsKey(string key) => IndexOf(key) >= 0;

    /// <summary>Removes a key; returns whether it was present.</summary>
    public bool Remove(string key)
    {
        var i = IndexOf(key);
        if (i < 0)
            return false;
        RemoveAt(i);
        return true;
    }

    /// <summary>Gets the value for a key, if present.</summary>
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out PlistValue value)
    {
        var i = IndexOf(key);
        value = i >= 0 ? _entries[i].Value : null;
        return i >= 0;
    }

    /// <summary>Removes every entry.</summary>
    public void Clear()
    {
        Array.Clear(_entries, 0, _count);
        _count = 0;
        _index = null;
        _version++;
    }

    /// <summary>The value for a key, or null when absent.</summary>
    public PlistValue? Get(string key) => IndexOf(key) is var i and >= 0 ? _entries[i].Value : null;

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
    /// <exception cref="InvalidOperationException">The dictionary gained or lost a key during enumeration.</exception>
    public IEnumerator<KeyValuePair<string, PlistValue>> GetEnumerator()
    {
        var version = _version;
        for (var i = 0; i < _count; i++)
        {
            yield return _entries[i];
            ThrowIfChanged(version);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    void ICollection<KeyValuePair<string, PlistValue>>.Add(KeyValuePair<string, PlistValue> item) => Add(item.Key, item.Value);

    bool ICollection<KeyValuePair<string, PlistValue>>.Contains(KeyValuePair<string, PlistValue> item) =>
        TryGetValue(item.Key, out var value) && EqualityComparer<PlistValue>.Default.Equals(value, item.Value);

    void ICollection<KeyValuePair<string, PlistValue>>.CopyTo(KeyValuePair<string, PlistValue>[] array, int arrayIndex)
    {
        ArgumentNullException.ThrowIfNull(array);
        _entries.AsSpan(0, _count).CopyTo(array.AsSpan(arrayIndex));
    }

    bool ICollection<KeyValuePair<string, PlistValue>>.Remove(KeyValuePair<string, PlistValue> item)
    {
        var i = IndexOf(item.Key);
        if (i < 0 || !EqualityComparer<PlistValue>.Default.Equals(_entries[i].Value, item.Value))
            return false;
        RemoveAt(i);
        return true;
    }

    /// <summary>Appends an entry without looking for its key; the reader calls <see cref="MergeDuplicateKeys"/> after the last.</summary>
    internal void AddFromReader(string key, PlistValue value) => Append(key, value);

    /// <summary>
    /// Duplicate keys in a parsed document: the last value wins, at the first occurrence's position (what setting the
    /// key again does, and what Apple's and Python's readers keep).
    /// </summary>
    internal void MergeDuplicateKeys()
    {
        var index = _count > MergeScanLimit ? new Dictionary<string, int>(_count, StringComparer.Ordinal) : null;
        var kept = 0;
        for (var i = 0; i < _count; i++)
        {
            var (key, value) = _entries[i];
            var at = index is null ? Scan(key, kept) : index.TryGetValue(key, out var found) ? found : -1;
            if (at >= 0)
            {
                _entries[at] = new(_entries[at].Key, value);
                continue;
            }
            index?.Add(key, kept);
            _entries[kept++] = _entries[i];
        }
        Array.Clear(_entries, kept, _count - kept);
        _count = kept;
        _index = index;
    }

    private int IndexOf(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (_index is null && _count > IndexThreshold)
        {
            _index = new Dictionary<string, int>(_count, StringComparer.Ordinal);
            for (var i = 0; i < _count; i++)
                _index.Add(_entries[i].Key, i);
        }
        return _index is null ? Scan(key, _count) : _index.TryGetValue(key, out var found) ? found : -1;
    }

    private int Scan(string key, int count)
    {
        var entries = _entries.AsSpan(0, count);
        for (var i = 0; i < entries.Length; i++)
        {
            if (string.Equals(entries[i].Key, key))
                return i;
        }
        return -1;
    }

    private void Append(string key, PlistValue value)
    {
        if (_count == _entries.Length)
            Array.Resize(ref _entries, Math.Max(4, 2 * _entries.Length));
        _index?.Add(key, _count);
        _entries[_count++] = new(key, value);
        _version++;
    }

    private void RemoveAt(int i)
    {
        _count--;
        Array.Copy(_entries, i + 1, _entries, i, _count - i);
        _entries[_count] = default;
        // Every later entry moved down one place; a later lookup rebuilds the index if the dictionary is still large.
        _index = null;
        _version++;
    }

    private void ThrowIfChanged(int version)
    {
        if (version != _version)
            throw new InvalidOperationException("The dictionary was modified during enumeration.");
    }

    /// <summary>A live, read-only view of the keys or the values, as <see cref="Dictionary{TKey, TValue}.Keys"/> is.</summary>
    private sealed class Column<T>(PlistDictionary owner, Func<KeyValuePair<string, PlistValue>, T> select) : ICollection<T>, IReadOnlyCollection<T>
    {
        public int Count => owner._count;

        public bool IsReadOnly => true;

        public bool Contains(T item)
        {
            foreach (var value in this)
            {
                if (EqualityComparer<T>.Default.Equals(value, item))
                    return true;
            }
            return false;
        }

        public void CopyTo(T[] array, int arrayIndex)
        {
            ArgumentNullException.ThrowIfNull(array);
            ArgumentOutOfRangeException.ThrowIfNegative(arrayIndex);
            if (array.Length - arrayIndex < owner._count)
                throw new ArgumentException("The destination array is too small.", nameof(array));
            for (var i = 0; i < owner._count; i++)
                array[arrayIndex + i] = select(owner._entries[i]);
        }

        public IEnumerator<T> GetEnumerator()
        {
            var version = owner._version;
            for (var i = 0; i < owner._count; i++)
            {
                yield return select(owner._entries[i]);
                owner.ThrowIfChanged(version);
            }
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public void Add(T item) => throw ReadOnly();

        public void Clear() => throw ReadOnly();

        public bool Remove(T item) => throw ReadOnly();

        private static NotSupportedException ReadOnly() => new("The keys and values of a dictionary are read-only views.");
    }
}
