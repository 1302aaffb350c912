using System.Buffers.Binary;
using System.Text;

namespace ChatOpsBot.PropertyList.Tests;

/// <summary>
/// The compact storage behind <see cref="PlistDictionary"/> (entries in insertion order, a hash index only for larger
/// dictionaries) and <see cref="PlistArray"/>: the collection semantics on both sides of the index threshold, and
/// duplicate keys in parsed documents.
/// </summary>
public sealed class DictionaryStorageTests
{
    // Both sides of the dictionary's index threshold (8) and of the reader's duplicate-merge scan limit (32).
    public static TheoryData<int> Sizes => [0, 1, 7, 8, 9, 12, 32, 33, 1000];

    [Theory]
    [MemberData(nameof(Sizes))]
    public void KeysComeBackInInsertionOrderAndEveryKeyIsFound(int count)
    {
        var keys = ShuffledKeys(count);
        var dictionary = new PlistDictionary();
        foreach (var key in keys)
            dictionary.Add(key, key.Length);

        Assert.Equal(count, dictionary.Count);
        Assert.Equal(keys, dictionary.Keys);
        Assert.Equal(keys, dictionary.Select(e => e.Key));
        Assert.Equal(keys.Select(k => (PlistValue)k.Length), dictionary.Values);
        foreach (var key in keys)
        {
            Assert.True(dictionary.ContainsKey(key));
            Assert.Equal(key.Length, dictionary.GetInteger(key));
            Assert.True(dictionary.TryGetValue(key, out var value));
            Assert.Equal(new PlistInteger(key.Length), value);
        }
        Assert.False(dictionary.ContainsKey("absent"));
        Assert.Null(dictionary.Get("absent"));
        Assert.Throws<KeyNotFoundException>(() => dictionary["absent"]);
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void SettingAnExistingKeyKeepsItsPositionAndReplacesTheValue(int count)
    {
        var keys = ShuffledKeys(count + 1);
        var dictionary = new PlistDictionary();
        foreach (var key in keys)
            dictionary[key] = 0;

        var middle = keys[keys.Length / 2];
        dictionary[middle] = "replaced";

        Assert.Equal(keys, dictionary.Keys);
        Assert.Equal("replaced", dictionary.GetString(middle));
        Assert.Equal(keys.Length, dictionary.Count);
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void RemovingAKeyKeepsTheOrderOfTheRestAndTheirLookups(int count)
    {
        var keys = ShuffledKeys(count + 3);
        var dictionary = new PlistDictionary();
        foreach (var key in keys)
            dictionary.Add(key, key);

        Assert.True(dictionary.Remove(keys[1]));
        Assert.False(dictionary.Remove(keys[1]));
        Assert.True(dictionary.Remove(keys[^1]));

        var rest = keys.Where((_, i) => i != 1 && i != keys.Length - 1).ToArray();
        Assert.Equal(rest, dictionary.Keys);
        foreach (var key in rest)
            Assert.Equal(key, dictionary.GetString(key));
        Assert.False(dictionary.ContainsKey(keys[1]));

        dictionary.Add(keys[1], "back");
        Assert.Equal([.. rest, keys[1]], dictionary.Keys);
        Assert.Equal("back", dictionary.GetString(keys[1]));
    }

    [Fact]
    public void KeysAreComparedOrdinally()
    {
        var dictionary = new PlistDictionary { ["key"] = 1, ["KEY"] = 2, ["caf\u00E9"] = 3, ["cafe\u0301"] = 4 };

        Assert.Equal(4, dictionary.Count);
        Assert.Equal(2, dictionary.GetInteger("KEY"));
        Assert.Equal(4, dictionary.GetInteger("cafe\u0301"));
        Assert.Null(dictionary.Get("Key"));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(20)]
    public void AddingAKeyThatIsPresentThrowsAndChangesNothing(int count)
    {
        var keys = ShuffledKeys(count);
        var dictionary = new PlistDictionary();
        foreach (var key in keys)
            dictionary.Add(key, 1);

        Assert.Throws<ArgumentException>(() => dictionary.Add(keys[0], 2));
        Assert.Throws<ArgumentException>(() => ((ICollection<KeyValuePair<string, PlistValue>>)dictionary).Add(new(keys[0], 2)));

        Assert.Equal(keys, dictionary.Keys);
        Assert.Equal(1, dictionary.GetInteger(keys[0]));
    }

    [Fact]
    public void NullKeysAndValuesAreRefused()
    {
        var dictionary = new PlistDictionary { ["a"] = 1 };

        Assert.Throws<ArgumentNullException>(() => dictionary.Add(null!, 1));
        Assert.Throws<ArgumentNullException>(() => dictionary.Add("b", null!));
        Assert.Throws<ArgumentNullException>(() => dictionary[null!] = 1);
        Assert.Throws<ArgumentNullException>(() => dictionary["a"] = null!);
        Assert.Throws<ArgumentNullException>(() => dictionary.ContainsKey(null!));
        Assert.Throws<ArgumentNullException>(() => dictionary.Remove(null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PlistDictionary(-1));
        Assert.Equal(1, dictionary.GetInteger("a"));
        Assert.Single(dictionary);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(20)]
    public void AddingOrRemovingAKeyDuringEnumerationThrowsButReplacingAValueDoesNot(int count)
    {
        var dictionary = new PlistDictionary();
        foreach (var key in ShuffledKeys(count))
            dictionary.Add(key, 0);

        foreach (var (key, _) in dictionary)
            dictionary[key] = 1;
        Assert.All(dictionary.Values, v => Assert.Equal(new PlistInteger(1), v));

        Assert.Throws<InvalidOperationException>(() =>
        {
            foreach (var _ in dictionary)
                dictionary["new"] = 2;
        });
        Assert.Throws<InvalidOperationException>(() =>
        {
            foreach (var key in dictionary.Keys)
                dictionary.Remove(key);
        });
    }

    [Theory]
    [InlineData(3)]
    [InlineData(20)]
    public void CollectionMembersSeeEntriesAsKeyValuePairs(int count)
    {
        var keys = ShuffledKeys(count);
        var dictionary = new PlistDictionary(count);
        foreach (var key in keys)
            dictionary.Add(key, key);
        ICollection<KeyValuePair<string, PlistValue>> collection = dictionary;

        Assert.False(collection.IsReadOnly);
        Assert.True(collection.Contains(new(keys[0], keys[0])));
        Assert.False(collection.Contains(new(keys[0], "other")));
        Assert.False(collection.Contains(new("absent", keys[0])));

        var copy = new KeyValuePair<string, PlistValue>[count + 2];
        collection.CopyTo(copy, 1);
        Assert.Equal(dictionary.ToArray(), copy[1..^1]);
        Assert.Null(copy[0].Key);
        Assert.Throws<ArgumentException>(() => collection.CopyTo(new KeyValuePair<string, PlistValue>[count], 1));

        Assert.False(collection.Remove(new(keys[0], "other")));
        Assert.True(collection.Contains(new(keys[0], keys[0])));
        Assert.True(collection.Remove(new(keys[0], keys[0])));
        Assert.False(dictionary.ContainsKey(keys[0]));
        Assert.Equal(keys[1..], dictionary.Keys);
    }

    [Fact]
    public void KeysAndValuesAreLiveReadOnlyViews()
    {
        var dictionary = new PlistDictionary { ["b"] = 1, ["a"] = 2 };
        IDictionary<string, PlistValue> generic = dictionary;
        var keys = generic.Keys;
        var values = generic.Values;

        dictionary["c"] = 3;

        Assert.Equal(["b", "a", "c"], keys);
        Assert.Equal(3, keys.Count);
        Assert.True(keys.IsReadOnly);
        Assert.True(keys.Contains("c"));
        Assert.False(keys.Contains("C"));
        Assert.True(values.Contains(new PlistInteger(2)));
        var copy = new string[4];
        keys.CopyTo(copy, 1);
        Assert.Null(copy[0]);
        Assert.Equal(["b", "a", "c"], copy[1..]);
        Assert.Throws<ArgumentException>(() => values.CopyTo(new PlistValue[3], 1));
        Assert.Throws<NotSupportedException>(() => keys.Add("d"));
        Assert.Throws<NotSupportedException>(() => values.Clear());
        Assert.Throws<NotSupportedException>(() => keys.Remove("a"));
        Assert.Equal(3, dictionary.Count);
    }

    [Fact]
    public void ClearEmptiesALargeDictionaryThatCanBeFilledAgain()
    {
        var keys = ShuffledKeys(50);
        var dictionary = new PlistDictionary();
        foreach (var key in keys)
            dictionary.Add(key, 1);
        Assert.True(dictionary.ContainsKey(keys[40]));

        dictionary.Clear();

        Assert.Empty(dictionary);
        Assert.False(dictionary.ContainsKey(keys[40]));
        foreach (var key in keys[..20])
            dictionary.Add(key, 2);
        Assert.Equal(keys[..20], dictionary.Keys);
        Assert.Equal(2, dictionary.GetInteger(keys[19]));
        Assert.False(dictionary.ContainsKey(keys[40]));
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void ParsedDictionariesKeepFileOrderAndCanStillGrow(int count)
    {
        var keys = ShuffledKeys(count);
        var original = new PlistDictionary();
        foreach (var key in keys)
            original.Add(key, key);

        foreach (var bytes in new[] { Plist.ToXml(original), BinaryDictionary(keys.Select(k => (k, 1L)).ToArray()) })
        {
            var parsed = Plist.ParseDictionary(bytes);
            var fileOrder = bytes[0] == (byte)'b' ? keys : [.. keys.Order(StringComparer.Ordinal)];
            Assert.Equal(fileOrder, parsed.Keys);
            foreach (var key in keys)
                Assert.True(parsed.ContainsKey(key));

            parsed.Add("added", 1);
            parsed[keys.FirstOrDefault() ?? "added"] = "set";
            Assert.Equal([.. fileOrder, "added"], parsed.Keys);
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(12)]
    [InlineData(40)]
    public void DuplicateKeysInXmlKeepTheLastValueAtTheFirstPosition(int count)
    {
        var keys = ShuffledKeys(count);
        var body = new StringBuilder();
        for (var i = 0; i < keys.Length; i++)
            body.Append($"<key>{keys[i]}</key><integer>{i}</integer>");
        body.Append($"<key>{keys[0]}</key><string>last</string>");
        body.Append($"<key>{keys[^1]}</key><string>again</string>");
        body.Append($"<key>{keys[0]}</key><string>really last</string>");
        var xml = $"<?xml version=\"1.0\" encoding=\"UTF-8\"?><plist version=\"1.0\"><dict>{body}</dict></plist>";

        var parsed = Plist.ParseDictionary(Encoding.UTF8.GetBytes(xml));

        Assert.Equal(keys, parsed.Keys);
        Assert.Equal("really last", parsed.GetString(keys[0]));
        Assert.Equal("again", parsed.GetString(keys[^1]));
        if (count > 2)
            Assert.Equal(1, parsed.GetInteger(keys[1]));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(12)]
    [InlineData(40)]
    public void DuplicateKeysInBinaryKeepTheLastValueAtTheFirstPosition(int count)
    {
        var keys = ShuffledKeys(count);
        var entries = keys.Select((k, i) => (k, (long)i)).Append((keys[0], 500)).Append((keys[^1], 600)).Append((keys[0], 700)).ToArray();

        var parsed = Plist.ParseDictionary(BinaryDictionary(entries));

        Assert.Equal(keys, parsed.Keys);
        Assert.Equal(700, parsed.GetInteger(keys[0]));
        Assert.Equal(600, parsed.GetInteger(keys[^1]));
        if (count > 2)
            Assert.Equal(1, parsed.GetInteger(keys[1]));
        parsed.Add("more", 1);
        Assert.Equal(keys.Length + 1, parsed.Count);
    }

    [Fact]
    public void OneKeyObjectReferencedManyTimesInBinaryCollapsesToOneEntry()
    {
        // Every key reference points at the same string object, as a writer that shares equal strings would emit.
        var entries = Enumerable.Range(0, 40).Select(i => ("same", (long)i)).ToArray();

        var parsed = Plist.ParseDictionary(BinaryDictionary(entries, shareKeys: true));

        Assert.Equal(["same"], parsed.Keys);
        Assert.Equal(39, parsed.GetInteger("same"));
    }

    [Fact]
    public void ArraysGrowInsertAndRemoveInOrder()
    {
        var array = new PlistArray();
        for (var i = 0; i < 100; i++)
            array.Add(i);
        array.Insert(0, "first");
        array.Insert(array.Count, "last");
        array.Insert(50, "middle");
        array.RemoveAt(1);
        Assert.True(array.Remove(new PlistInteger(99)));
        Assert.False(array.Remove(new PlistInteger(1000)));

        Assert.Equal(101, array.Count);
        Assert.Equal("first", array[0].AsString());
        Assert.Equal(new PlistInteger(1), array[1]);
        Assert.Equal("middle", array[49].AsString());
        Assert.Equal("last", array[^1].AsString());
        Assert.Equal(49, array.IndexOf("middle"));
        (bool Has98, bool Has99) found = (array.Contains(new PlistInteger(98)), array.Contains(new PlistInteger(99)));
        Assert.Equal((true, false), found);
        var copy = new PlistValue[103];
        array.CopyTo(copy, 2);
        Assert.Equal(array, copy[2..]);
        Assert.Throws<ArgumentException>(() => array.CopyTo(new PlistValue[101], 1));

        array.Clear();
        Assert.Empty(array);
        array.Add(true);
        Assert.Equal([PlistBoolean.True], array);
    }

    [Fact]
    public void ArrayIndexesOutsideTheItemsAndNullItemsAreRefused()
    {
        var array = new PlistArray(8) { 1, 2 };

        Assert.Throws<ArgumentOutOfRangeException>(() => array[2]);
        Assert.Throws<ArgumentOutOfRangeException>(() => array[-1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => array[2] = 3);
        Assert.Throws<ArgumentOutOfRangeException>(() => array.Insert(3, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => array.RemoveAt(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PlistArray(-1));
        Assert.Throws<ArgumentNullException>(() => array.Add(null!));
        Assert.Throws<ArgumentNullException>(() => array[0] = null!);
        Assert.Throws<ArgumentException>(() => new PlistArray([1, null!]));
        Assert.Equal([new PlistInteger(1), new PlistInteger(2)], array);
    }

    [Fact]
    public void ChangingAnArrayDuringEnumerationThrows()
    {
        var array = new PlistArray([1, 2, 3]);

        Assert.Throws<InvalidOperationException>(() =>
        {
            foreach (var _ in array)
                array.Add(4);
        });
        Assert.Throws<InvalidOperationException>(() =>
        {
            foreach (var _ in array)
                array[0] = 5;
        });
        Assert.Throws<InvalidOperationException>(() =>
        {
            foreach (var _ in (IEnumerable<PlistValue>)array)
                array.RemoveAt(0);
        });
    }

    [Fact]
    public void ParsedArraysKeepFileOrderAndCanStillGrow()
    {
        var items = Enumerable.Range(-3, 300).Select(i => (PlistValue)i).ToArray();
        var bytes = Plist.ToBinary(new PlistArray(items));

        var parsed = (PlistArray)Plist.Parse(bytes);

        Assert.Equal(items, parsed);
        parsed.Add("more");
        parsed.Insert(0, "front");
        Assert.Equal(302, parsed.Count);
        Assert.Equal(new PlistInteger(296), parsed[^2]);
    }

    [Fact]
    public void SmallIntegersParseToTheirValuesOnEitherSideOfTheSharedRange()
    {
        PlistValue[] items = [-2, -1, 0, 1, 255, 256, 65535, 65536, long.MaxValue, ulong.MaxValue, long.MinValue];
        var array = new PlistArray(items);

        Assert.Equal(items, (PlistArray)Plist.Parse(Plist.ToBinary(array)));
        Assert.Equal(items, (PlistArray)Plist.Parse(Plist.ToXml(array)));
    }

    /// <summary>Distinct keys, some non-ASCII, in a fixed order that is not sorted.</summary>
    private static string[] ShuffledKeys(int count)
    {
        string[] keys = [.. Enumerable.Range(0, count).Select(i => i % 7 == 3 ? $"clé{i}" : $"key{i}")];
        new Random(count).Shuffle(keys);
        return keys;
    }

    /// <summary>
    /// A binary property list whose root dictionary holds <paramref name="entries"/> as written, duplicates included:
    /// each key its own string object (or one object per distinct key when <paramref name="shareKeys"/>), each value
    /// an integer object.
    /// </summary>
    private static byte[] BinaryDictionary((string Key, long Value)[] entries, bool shareKeys = false)
    {
        var keyObjects = new List<string>();
        var keyRefs = new int[entries.Length];
        for (var i = 0; i < entries.Length; i++)
        {
            var existing = shareKeys ? keyObjects.IndexOf(entries[i].Key) : -1;
            if (existing < 0)
            {
                existing = keyObjects.Count;
                keyObjects.Add(entries[i].Key);
            }
            keyRefs[i] = 1 + existing;
        }
        var objectCount = 1 + keyObjects.Count + entries.Length;

        using var stream = new MemoryStream();
        Span<byte> buffer = stackalloc byte[32];
        var offsets = new List<int>();
        stream.Write("bplist00"u8);
        offsets.Add((int)stream.Position);
        WriteMarker(stream, 0xD, entries.Length);
        foreach (var keyRef in keyRefs)
            WriteUInt16(stream, keyRef);
        for (var i = 0; i < entries.Length; i++)
            WriteUInt16(stream, 1 + keyObjects.Count + i);
        foreach (var key in keyObjects)
        {
            offsets.Add((int)stream.Position);
            if (Ascii.IsValid(key))
            {
                WriteMarker(stream, 0x5, key.Length);
                stream.Write(Encoding.ASCII.GetBytes(key));
            }
            else
            {
                WriteMarker(stream, 0x6, key.Length);
                stream.Write(Encoding.BigEndianUnicode.GetBytes(key));
            }
        }
        foreach (var (_, value) in entries)
        {
            offsets.Add((int)stream.Position);
            stream.WriteByte(0x13);
            BinaryPrimitives.WriteInt64BigEndian(buffer, value);
            stream.Write(buffer[..8]);
        }
        var tableOffset = stream.Position;
        foreach (var offset in offsets)
        {
            BinaryPrimitives.WriteInt32BigEndian(buffer, offset);
            stream.Write(buffer[..4]);
        }
        var trailer = buffer;
        trailer.Clear();
        trailer[6] = 4;
        trailer[7] = 2;
        BinaryPrimitives.WriteUInt64BigEndian(trailer[8..], (ulong)objectCount);
        BinaryPrimitives.WriteUInt64BigEndian(trailer[16..], 0);
        BinaryPrimitives.WriteUInt64BigEndian(trailer[24..], (ulong)tableOffset);
        stream.Write(trailer);
        return stream.ToArray();
    }

    private static void WriteMarker(Stream stream, int type, int count)
    {
        if (count < 15)
        {
            stream.WriteByte((byte)((type << 4) | count));
            return;
        }
        stream.WriteByte((byte)((type << 4) | 0xF));
        stream.WriteByte(0x11);
        WriteUInt16(stream, count);
    }

    private static void WriteUInt16(Stream stream, int value)
    {
        Span<byte> bytes = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, checked((ushort)value));
        stream.Write(bytes);
    }
}
