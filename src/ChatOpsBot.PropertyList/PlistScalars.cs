namespace ChatOpsBot.PropertyList;

/// <summary>A string value.</summary>
/// <param name="value">The text; any Unicode string. Writers refuse control characters and lone surrogates.</param>
public sealed class PlistString(string value) : PlistValue, IEquatable<PlistString>
{
    /// <summary>The text.</summary>
    public string Value { get; } = NotNull(value);

    /// <inheritdoc />
    public override PlistValueKind Kind => PlistValueKind.String;

    /// <inheritdoc />
    public bool Equals(PlistString? other) => other is not null && string.Equals(Value, other.Value, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as PlistString);

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Value);
}

/// <summary>An integer value in the range property lists can hold: −2^63 … 2^64−1.</summary>
public sealed class PlistInteger : PlistValue, IEquatable<PlistInteger>
{
    /// <summary>The smallest value a property list holds: −2^63.</summary>
    public static readonly Int128 MinValue = long.MinValue;

    /// <summary>The largest value a property list holds: 2^64−1.</summary>
    public static readonly Int128 MaxValue = ulong.MaxValue;

    // Small integers recur throughout documents (counts, flags, versions, indexes); the objects are immutable, so
    // the readers share one instance per value instead of allocating 32 bytes each time.
    private static readonly PlistInteger[] Shared = [.. Enumerable.Range(-1, 257).Select(i => new PlistInteger(i))];

    /// <summary>Creates an integer.</summary>
    public PlistInteger(long value) => Value = value;

    /// <summary>Creates an integer.</summary>
    public PlistInteger(ulong value) => Value = value;

    /// <summary>Creates an integer.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside −2^63 … 2^64−1.</exception>
    public PlistInteger(Int128 value)
    {
        if (value < MinValue || value > MaxValue)
            throw new ArgumentOutOfRangeException(nameof(value), value, "Property-list integers range from -2^63 to 2^64-1.");
        Value = value;
    }

    /// <summary>The value.</summary>
    public Int128 Value { get; }

    /// <inheritdoc />
    public override PlistValueKind Kind => PlistValueKind.Integer;

    /// <summary>A shared instance for −1 … 255, a new one otherwise.</summary>
    internal static PlistInteger From(long value) => (ulong)(value + 1) < (ulong)Shared.Length ? Shared[value + 1] : new(value);

    /// <summary>The value as a <see cref="long"/>, or null when it is above <see cref="long.MaxValue"/>.</summary>
    public long? ToInt64() => Value <= long.MaxValue ? (long)Value : null;

    /// <summary>The value as a <see cref="ulong"/>, or null when it is negative.</summary>
    public ulong? ToUInt64() => Value >= 0 ? (ulong)Value : null;

    /// <inheritdoc />
    public bool Equals(PlistInteger? other) => other is not null && Value == other.Value;

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as PlistInteger);

    /// <inheritdoc />
    public override int GetHashCode() => Value.GetHashCode();
}

/// <summary>A floating-point value (written as a 64-bit double).</summary>
/// <param name="value">The value; infinities and NaN are allowed.</param>
public sealed class PlistReal(double value) : PlistValue, IEquatable<PlistReal>
{
    /// <summary>The value.</summary>
    public double Value { get; } = value;

    /// <inheritdoc />
    public override PlistValueKind Kind => PlistValueKind.Real;

    /// <summary>Equal when the bit patterns are equal: 0.0 and −0.0 differ, NaN equals the same NaN.</summary>
    public bool Equals(PlistReal? other) =>
        other is not null && BitConverter.DoubleToInt64Bits(Value) == BitConverter.DoubleToInt64Bits(other.Value);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as PlistReal);

    /// <inheritdoc />
    public override int GetHashCode() => BitConverter.DoubleToInt64Bits(Value).GetHashCode();
}

/// <summary>A boolean value. There are two instances: <see cref="True"/> and <see cref="False"/>.</summary>
public sealed class PlistBoolean : PlistValue, IEquatable<PlistBoolean>
{
    /// <summary>The value <c>true</c>.</summary>
    public static readonly PlistBoolean True = new(true);

    /// <summary>The value <c>false</c>.</summary>
    public static readonly PlistBoolean False = new(false);

    private PlistBoolean(bool value) => Value = value;

    /// <summary>The value.</summary>
    public bool Value { get; }

    /// <inheritdoc />
    public override PlistValueKind Kind => PlistValueKind.Boolean;

    /// <summary>Returns <see cref="True"/> or <see cref="False"/>.</summary>
    public static PlistBoolean From(bool value) => value ? True : False;

    /// <inheritdoc />
    public bool Equals(PlistBoolean? other) => other is not null && Value == other.Value;

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as PlistBoolean);

    /// <inheritdoc />
    public override int GetHashCode() => Value ? 1 : 0;
}

/// <summary>
/// A point in time, always UTC. XML property lists hold whole seconds; binary ones hold a double of seconds since
/// 2001-01-01T00:00:00Z.
/// </summary>
public sealed class PlistDate : PlistValue, IEquatable<PlistDate>
{
    /// <summary>Creates a date. Local times are converted to UTC; unspecified ones are taken as UTC.</summary>
    public PlistDate(DateTime value) => Value = value.Kind switch
    {
        DateTimeKind.Local => value.ToUniversalTime(),
        DateTimeKind.Unspecified => DateTime.SpecifyKind(value, DateTimeKind.Utc),
        _ => value,
    };

    /// <summary>Creates a date from an offset time.</summary>
    public PlistDate(DateTimeOffset value) => Value = value.UtcDateTime;

    /// <summary>The value, with <see cref="DateTimeKind.Utc"/>.</summary>
    public DateTime Value { get; }

    /// <inheritdoc />
    public override PlistValueKind Kind => PlistValueKind.Date;

    /// <inheritdoc />
    public bool Equals(PlistDate? other) => other is not null && Value.Ticks == other.Value.Ticks;

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as PlistDate);

    /// <inheritdoc />
    public override int GetHashCode() => Value.Ticks.GetHashCode();
}

/// <summary>A byte string.</summary>
public sealed class PlistData : PlistValue, IEquatable<PlistData>
{
    private readonly byte[] _bytes;

    /// <summary>Creates a data value holding a copy of <paramref name="bytes"/>.</summary>
    public PlistData(ReadOnlySpan<byte> bytes) => _bytes = bytes.ToArray();

    /// <summary>Creates a data value holding a copy of <paramref name="bytes"/>.</summary>
    public PlistData(byte[] bytes) => _bytes = NotNull(bytes).AsSpan().ToArray();

    private PlistData(byte[] owned, bool _) => _bytes = owned;

    /// <summary>The bytes.</summary>
    public ReadOnlyMemory<byte> Value => _bytes;

    /// <summary>The number of bytes.</summary>
    public int Length => _bytes.Length;

    /// <inheritdoc />
    public override PlistValueKind Kind => PlistValueKind.Data;

    /// <summary>A new array holding a copy of the bytes.</summary>
    public byte[] ToArray() => _bytes.AsSpan().ToArray();

    internal static PlistData TakeOwnership(byte[] bytes) => new(bytes, true);

    /// <inheritdoc />
    public bool Equals(PlistData? other) => other is not null && _bytes.AsSpan().SequenceEqual(other._bytes);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as PlistData);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(_bytes);
        return hash.ToHashCode();
    }
}

/// <summary>
/// A keyed-archive object reference (<c>NSKeyedArchiver</c>'s UID). Binary property lists encode it natively; XML
/// ones as <c>&lt;dict&gt;&lt;key&gt;CF$UID&lt;/key&gt;&lt;integer&gt;n&lt;/integer&gt;&lt;/dict&gt;</c>.
/// </summary>
/// <param name="value">The referenced object's index.</param>
public sealed class PlistUid(ulong value) : PlistValue, IEquatable<PlistUid>
{
    /// <summary>The referenced object's index.</summary>
    public ulong Value { get; } = value;

    /// <inheritdoc />
    public override PlistValueKind Kind => PlistValueKind.Uid;

    /// <inheritdoc />
    public bool Equals(PlistUid? other) => other is not null && Value == other.Value;

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as PlistUid);

    /// <inheritdoc />
    public override int GetHashCode() => Value.GetHashCode();
}
