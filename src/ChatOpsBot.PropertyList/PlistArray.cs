using System.Collections;

namespace ChatOpsBot.PropertyList;

/// <summary>An ordered list of values.</summary>
public sealed class PlistArray : PlistValue, IList<PlistValue>, IReadOnlyList<PlistValue>
{
    private readonly List<PlistValue> _items;

    /// <summary>Creates an empty array.</summary>
    public PlistArray() => _items = [];

    /// <summary>Creates an empty array with room for <paramref name="capacity"/> items.</summary>
    public PlistArray(int capacity) => _items = new(capacity);

    /// <summary>Creates an array holding <paramref name="items"/>.</summary>
    public PlistArray(IEnumerable<PlistValue> items)
    {
        _items = [.. NotNull(items)];
        if (_items.Contains(null!))
            throw new ArgumentException("Property-list arrays cannot hold null.", nameof(items));
    }

    /// <inheritdoc />
    public override PlistValueKind Kind => PlistValueKind.Array;

    /// <summary>The number of items.</summary>
    public int Count => _items.Count;

    bool ICollection<PlistValue>.IsReadOnly => false;

    /// <summary>Gets or sets the item at an index.</summary>
    public PlistValue this[int index]
    {
        get => _items[index];
        set => _items[index] = NotNull(value);
    }

    /// <summary>Appends an item.</summary>
    public void Add(PlistValue item) => _items.Add(NotNull(item));

    /// <summary>Inserts an item at an index.</summary>
    public void Insert(int index, PlistValue item) => _items.Insert(index, NotNull(item));

    /// <summary>Removes the item at an index.</summary>
    public void RemoveAt(int index) => _items.RemoveAt(index);

    /// <summary>Removes the first occurrence of an item (scalars by value, containers by reference).</summary>
    public bool Remove(PlistValue item) => _items.Remove(item);

    /// <summary>The index of the first occurrence of an item, or −1.</summary>
    public int IndexOf(PlistValue item) => _items.IndexOf(item);

    /// <summary>Whether the array holds an item (scalars by value, containers by reference).</summary>
    public bool Contains(PlistValue item) => _items.Contains(item);

    /// <summary>Removes every item.</summary>
    public void Clear() => _items.Clear();

    /// <summary>Copies the items into an array.</summary>
    public void CopyTo(PlistValue[] array, int arrayIndex) => _items.CopyTo(array, arrayIndex);

    /// <summary>Enumerates the items in order.</summary>
    public List<PlistValue>.Enumerator GetEnumerator() => _items.GetEnumerator();

    IEnumerator<PlistValue> IEnumerable<PlistValue>.GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _items.GetEnumerator();

    internal void AddFromReader(PlistValue item) => _items.Add(item);
}
