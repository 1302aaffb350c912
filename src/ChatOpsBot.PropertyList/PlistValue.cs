using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace ChatOpsBot.PropertyList;

/// <summary>
/// A property-list value: a <see cref="PlistDictionary"/>, <see cref="PlistArray"/>, <see cref="PlistString"/>,
/// <see cref="PlistInteger"/>, <see cref="PlistReal"/>, <see cref="PlistBoolean"/>, <see cref="PlistDate"/>,
/// <see cref="PlistData"/> or <see cref="PlistUid"/>.
/// </summary>
/// <remarks>
/// Scalars are immutable and compare by value. Containers are mutable and compare by reference; use
/// <see cref="DeepEquals"/> to compare trees. A parsed document may share one container instance wherever the file
/// references the same object more than once, as binary property lists written by Apple and Python do.
/// </remarks>
public abstract class PlistValue
{
    private protected PlistValue()
    {
    }

    /// <summary>The type of this value.</summary>
    public abstract PlistValueKind Kind { get; }

    /// <summary>Creates a <see cref="PlistString"/>.</summary>
    public static implicit operator PlistValue(string value) => new PlistString(value);

    /// <summary>Creates a <see cref="PlistInteger"/>.</summary>
    public static implicit operator PlistValue(int value) => new PlistInteger(value);

    /// <summary>Creates a <see cref="PlistInteger"/>.</summary>
    public static implicit operator PlistValue(long value) => new PlistInteger(value);

    /// <summary>Creates a <see cref="PlistInteger"/>.</summary>
    public static implicit operator PlistValue(ulong value) => new PlistInteger(value);

    /// <summary>Creates a <see cref="PlistReal"/>.</summary>
    public static implicit operator PlistValue(double value) => new PlistReal(value);

    /// <summary>Returns <see cref="PlistBoolean.True"/> or <see cref="PlistBoolean.False"/>.</summary>
    public static implicit operator PlistValue(bool value) => PlistBoolean.From(value);

    /// <summary>Creates a <see cref="PlistDate"/>.</summary>
    public static implicit operator PlistValue(DateTime value) => new PlistDate(value);

    /// <summary>Creates a <see cref="PlistData"/> holding a copy of the bytes.</summary>
    public static implicit operator PlistValue(byte[] value) => new PlistData(value);

    /// <summary>This value as a dictionary, or null when it is something else.</summary>
    public PlistDictionary? AsDictionary() => this as PlistDictionary;

    /// <summary>This value as an array, or null when it is something else.</summary>
    public PlistArray? AsArray() => this as PlistArray;

    /// <summary>The text of a string value, or null when it is something else.</summary>
    public string? AsString() => (this as PlistString)?.Value;

    /// <summary>
    /// Compares two trees by content: same kinds, equal scalars, dictionaries with the same keys (order ignored)
    /// and arrays with equal items in the same order.
    /// </summary>
    /// <exception cref="ArgumentException">The trees nest deeper than <see cref="Plist.MaxDepth"/> (or contain a cycle).</exception>
    public static bool DeepEquals(PlistValue? left, PlistValue? right) => DeepEqualsAt(left, right, 0);

    private static bool DeepEqualsAt(PlistValue? left, PlistValue? right, int depth)
    {
        if (ReferenceEquals(left, right))
            return true;
        if (left is null || right is null || left.Kind != right.Kind)
            return false;
        if (depth > Plist.MaxDepth)
            throw new ArgumentException($"The values nest deeper than {Plist.MaxDepth} levels or contain a cycle.");
        RuntimeHelpers.EnsureSufficientExecutionStack();

        switch (left)
        {
            case PlistDictionary l:
                var r = (PlistDictionary)right;
                if (l.Count != r.Count)
                    return false;
                foreach (var (key, value) in l)
                {
                    if (!r.TryGetValue(key, out var other) || !DeepEqualsAt(value, other, depth + 1))
                        return false;
                }
                return true;
            case PlistArray la:
                var ra = (PlistArray)right;
                if (la.Count != ra.Count)
                    return false;
                for (var i = 0; i < la.Count; i++)
                {
                    if (!DeepEqualsAt(la[i], ra[i], depth + 1))
                        return false;
                }
                return true;
            default:
                return left.Equals(right);
        }
    }

    /// <summary>The value written as an XML property list, for diagnostics.</summary>
    public override string ToString() => Xml.XmlPlistWriter.WriteFragment(this);

    internal static T NotNull<T>([NotNull] T? value, [CallerArgumentExpression(nameof(value))] string? name = null)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(value, name);
        return value;
    }
}
