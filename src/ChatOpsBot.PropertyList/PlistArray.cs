using System.Collections;

namespace ChatOpsBot.PropertyList;

/// <summary>An ordered list of values.</summary>
public sealed class PlistArray : PlistValue, IList<PlistValue>, IReadOnlyList<PlistValue>
{
    // The items array is held directly rather than through a List<T>: a parsed document holds one array object per
    // property-list array, not two, and the reader sizes it exactly.
    private PlistValue[] _items;
    private int _count;
    private int _version;

    /// <summary>Creates an empty array.</summary>
    public PlistArray() => _items = [];

    /// <summary>Creates an empty array with room for <paramref name="capacity"/> items.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is negative.</exception>
    public PlistArray(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        _items = capacity == 0 ? [] : new PlistValue[capacity];
    }

    /// <summary>Creates an array holding <paramref name="items"/>.</summary>
    public PlistArray(IEnumerable<PlistValue> items)
    {
        _items = [.. NotNull(items)];
        if (Array.IndexOf(_items, null) >= 0)
            throw new ArgumentException("Property-list arrays cannot hold null.", nameof(items));
        _count = _items.Length;
    }

    /// <inheritdoc />
    public override PlistValueKind Kind => PlistValueKind.Array;

    /// <summary>The number of items.</summary>
    public int Count => _count;

    bool ICollection<PlistValue>.IsReadOnly => false;

    /// <summary>Gets or sets the item at an index.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is negative or not below <see cref="Count"/>.</exception>
    public PlistValue this[int index]
    {
        get
        {
            CheckIndex(index, _count);
            return _items[index];
        }
        set
        {
            NotNull(value);
            CheckIndex(index, _count);
            _items[index] = value;
            _version++;
        }
    }

    /// <summary>Appends an item.</summary>
    public void Add(PlistValue item) => Insert(_count, item);

    /// <summary>Inserts an item at an index.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is negative or above <see cref="Count"/>.</exception>
    public void Insert(int index, PlistValue item)
    {
        NotNull(item);
        CheckIndex(index, _count + 1);
        GrowIfFull();
        Array.Copy(_items, index, _items, index + 1, _count - index);
        _items[index] = item;
        _count++;
        _version++;
    }

    /// <summary>Removes the item at an index.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is negative or not below <see cref="Count"/>.</exception>
    public void RemoveAt(int index)
    {
        CheckIndex(index, _count);
        _count--;
        Array.Copy(_items, index + 1, _items, index, _count - index);
        _items[_count] = null!;
        _version++;
    }

    /// <summary>Removes the first occurrence of an item (scalars by value, containers by reference).</summary>
    public bool Remove(PlistValue item)
    {
        var index = IndexOf(item);
        if (index >= 0)
            RemoveAt(index);
        return index >= 0;
    }

    /// <summary>The index of the first occurrence of an item, or −1.</summary>
    public int IndexOf(PlistValue item) => Array.IndexOf(_items, item, 0, _count);

    /// <summary>Whether the array holds an item (scalars by value, containers by reference).</summary>
    public bool Contains(PlistValue item) => IndexOf(item) >= 0;

    /// <summary>Removes every item.</summary>
    public void Clear()
    {
        Array.Clear(_items, 0, _count);
        _count = 0;
        _version++;
    }

    /// <summary>Copies the items into an array.</summary>
    public void CopyTo(PlistValue[] array, int arrayIndex) => Array.Copy(_items, 0, array, arrayIndex, _count);

    /// <summary>Enumerates the items in order.</summary>
    public Enumerator GetEnumerator() => new(this);

    IEnumerator<PlistValue> IEnumerable<PlistValue>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Appends an item the reader produced (never null) to an array no one is enumerating yet.</summary>
    internal void AddFromReader(PlistValue item)
    {
        GrowIfFull();
        _items[_count++] = item;
    }

    private void GrowIfFull()
    {
        if (_count == _items.Length)
            Array.Resize(ref _items, Math.Max(4, 2 * _items.Length));
    }

    private static void CheckIndex(int index, int limit)
    {
        if ((uint)index >= (uint)limit)
            throw new ArgumentOutOfRangeException(nameof(index), index, "The index is outside the array.");
    }

    /// <summary>Enumerates a <see cref="PlistArray"/> without allocating, as <see cref="List{T}.Enumerator"/> does.</summary>
    public struct Enumerator : IEnumerator<PlistValue>
    {
        private readonly PlistArray _array;
        private readonly int _version;
        private int _index;
        private PlistValue? _current;

        internal Enumerator(PlistArray array)
        {
            _array = array;
            _version = array._version;
        }

        /// <summary>The item at the current position.</summary>
        public readonly PlistValue Current => _current!;

        readonly object IEnumerator.Current => Current;

        /// <summary>Moves to the next item.</summary>
        /// <exception cref="InvalidOperationException">The array was modified during enumeration.</exception>
        public bool MoveNext()
        {
            if (_version != _array._version)
                throw new InvalidOperationException("The array was modified during enumeration.");
            if (_index < _array._count)
            {
                _current = _array._items[_index++];
                return true;
            }
            _current = null;
            return false;
        }

        /// <summary>Moves back to before the first item.</summary>
        public void Reset()
        {
            if (_version != _array._version)
                throw new InvalidOperationException("The array was modified during enumeration.");
            _index = 0;
            _current = null;
        }

        /// <summary>Does nothing; the enumerator holds no resources.</summary>
        public readonly void Dispose()
        {
        }
    }
}
