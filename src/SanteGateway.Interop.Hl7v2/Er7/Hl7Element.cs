using System.Text;

namespace SanteGateway.Interop.Hl7v2.Er7;

/// <summary>How deep an <see cref="Hl7Element"/> sits in the ER7 tree.</summary>
public enum Hl7Level
{
    /// <summary>A whole field, repetitions included.</summary>
    Field,

    /// <summary>One repetition of a field.</summary>
    Repetition,

    /// <summary>One component of a repetition.</summary>
    Component,

    /// <summary>One sub-component of a component.</summary>
    SubComponent,
}

/// <summary>
/// A read-only view of part of a segment (a field, a repetition, a component or a sub-component), over the encoded text.
/// Nothing is copied until <see cref="Value"/> is read.
/// </summary>
/// <remarks>Indexes are 1-based as in the HL7 specification; asking for a part that is not there gives an empty element,
/// never an exception.</remarks>
public readonly struct Hl7Element
{
    private readonly Hl7Delimiters? _delimiters;
    private readonly Encoding? _encoding;

    internal Hl7Element(ReadOnlyMemory<char> raw, Hl7Level level, Hl7Delimiters delimiters, Encoding encoding)
    {
        Raw = raw;
        Level = level;
        _delimiters = delimiters;
        _encoding = encoding;
    }

    /// <summary>The encoded text (escape sequences and lower-level separators included).</summary>
    public ReadOnlyMemory<char> Raw { get; }

    /// <summary>Where the element sits.</summary>
    public Hl7Level Level { get; }

    /// <summary>True when nothing is written here.</summary>
    public bool IsEmpty => Raw.IsEmpty;

    /// <summary>True for the HL7 null <c>""</c> (an explicit "delete this value").</summary>
    public bool IsNull => Raw.Span is "\"\"";

    /// <summary>The encoded text as a string.</summary>
    public string RawText => Raw.IsEmpty ? string.Empty : Raw.ToString();

    /// <summary>The decoded text of the first leaf (first repetition, first component, first sub-component), escapes resolved:
    /// the HL7 convention for reading a composite as a simple value.</summary>
    public string Value
    {
        get
        {
            if (_delimiters is null || Raw.IsEmpty)
            {
                return string.Empty;
            }

            var span = Raw.Span;
            var end = span.Length;
            for (var i = 0; i < span.Length; i++)
            {
                var c = span[i];
                if ((c == _delimiters.Repetition && Level == Hl7Level.Field)
                    || (c == _delimiters.Component && Level <= Hl7Level.Repetition)
                    || (c == _delimiters.SubComponent && Level <= Hl7Level.Component))
                {
                    end = i;
                    break;
                }
            }

            return Hl7Escaping.Decode(span[..end], _delimiters, _encoding!);
        }
    }

    /// <summary>The decoded value, or null when empty.</summary>
    public string? ValueOrNull => IsEmpty ? null : Value is { Length: > 0 } v ? v : null;

    /// <summary>The number of repetitions (0 for an empty field).</summary>
    public int RepetitionCount => Level == Hl7Level.Field ? Count(_delimiters?.Repetition) : (IsEmpty ? 0 : 1);

    /// <summary>The repetitions of a field.</summary>
    public IEnumerable<Hl7Element> Repetitions
    {
        get
        {
            var n = RepetitionCount;
            for (var i = 1; i <= n; i++)
            {
                yield return Repetition(i);
            }
        }
    }

    /// <summary>The number of components of this field's first repetition, or of this repetition.</summary>
    public int ComponentCount => Level switch
    {
        Hl7Level.Field => Repetition(1).ComponentCount,
        Hl7Level.Repetition => Count(_delimiters?.Component),
        _ => IsEmpty ? 0 : 1,
    };

    /// <summary>Repetition <paramref name="n"/> (1-based) of a field.</summary>
    /// <param name="n">1-based index.</param>
    /// <returns>The repetition, empty when absent.</returns>
    public Hl7Element Repetition(int n) => _delimiters is null || Raw.IsEmpty ? default : Level == Hl7Level.Field
        ? Part(_delimiters!.Repetition, n, Hl7Level.Repetition)
        : (n == 1 ? this : default);

    /// <summary>Component <paramref name="n"/> (1-based) of the first repetition of a field, or of a repetition.</summary>
    /// <param name="n">1-based index.</param>
    /// <returns>The component, empty when absent.</returns>
    public Hl7Element Component(int n) => _delimiters is null || Raw.IsEmpty ? default : Level switch
    {
        Hl7Level.Field => Repetition(1).Component(n),
        Hl7Level.Repetition => Part(_delimiters!.Component, n, Hl7Level.Component),
        _ => n == 1 ? this : default,
    };

    /// <summary>Sub-component <paramref name="n"/> (1-based) of a component.</summary>
    /// <param name="n">1-based index.</param>
    /// <returns>The sub-component, empty when absent.</returns>
    public Hl7Element SubComponent(int n) => _delimiters is null || Raw.IsEmpty ? default : Level switch
    {
        Hl7Level.Field or Hl7Level.Repetition => Component(1).SubComponent(n),
        Hl7Level.Component => Part(_delimiters!.SubComponent, n, Hl7Level.SubComponent),
        _ => n == 1 ? this : default,
    };

    /// <summary>The decoded value of component <paramref name="n"/>, or null when empty.</summary>
    /// <param name="n">1-based index.</param>
    /// <returns>The value or null.</returns>
    public string? ComponentValue(int n) => Component(n).ValueOrNull;

    /// <inheritdoc/>
    public override string ToString() => RawText;

    private int Count(char? separator)
    {
        if (Raw.IsEmpty || separator is not { } sep)
        {
            return 0;
        }

        return Raw.Span.Count(sep) + 1;
    }

    private Hl7Element Part(char separator, int n, Hl7Level level)
    {
        if (n < 1 || Raw.IsEmpty || _delimiters is null)
        {
            return default;
        }

        var span = Raw.Span;
        var start = 0;
        for (var k = 1; k < n; k++)
        {
            var next = span[start..].IndexOf(separator);
            if (next < 0)
            {
                return default;
            }

            start += next + 1;
        }

        var len = span[start..].IndexOf(separator);
        if (len < 0)
        {
            len = span.Length - start;
        }

        return new Hl7Element(Raw.Slice(start, len), level, _delimiters, _encoding!);
    }
}
