using System.Diagnostics.CodeAnalysis;

namespace SanteGateway.Interop.Hl7v2.Er7;

/// <summary>The delimiters of an ER7 message: MSH-1 (field separator) and MSH-2 (component, repetition, escape,
/// sub-component and, from v2.7, truncation characters).</summary>
public sealed record Hl7Delimiters
{
    /// <summary>The usual delimiters: <c>|^~\&amp;</c>.</summary>
    public static Hl7Delimiters Default { get; } = new('|', '^', '~', '\\', '&', null);

    private Hl7Delimiters(char field, char component, char repetition, char escape, char subComponent, char? truncation)
    {
        Field = field;
        Component = component;
        Repetition = repetition;
        Escape = escape;
        SubComponent = subComponent;
        Truncation = truncation;
    }

    /// <summary>MSH-1.</summary>
    public char Field { get; }

    /// <summary>First character of MSH-2.</summary>
    public char Component { get; }

    /// <summary>Second character of MSH-2.</summary>
    public char Repetition { get; }

    /// <summary>Third character of MSH-2.</summary>
    public char Escape { get; }

    /// <summary>Fourth character of MSH-2.</summary>
    public char SubComponent { get; }

    /// <summary>Fifth character of MSH-2 (HL7 v2.7+), when present.</summary>
    public char? Truncation { get; }

    /// <summary>MSH-2 as it is written.</summary>
    public string EncodingCharacters => Truncation is { } t
        ? new string([Component, Repetition, Escape, SubComponent, t])
        : new string([Component, Repetition, Escape, SubComponent]);

    /// <summary>Builds delimiters from MSH-1 and MSH-2, checking that they are usable.</summary>
    /// <param name="field">The field separator.</param>
    /// <param name="encodingCharacters">MSH-2: 4 characters (5 with the v2.7 truncation character).</param>
    /// <param name="delimiters">The delimiters when the method returns true.</param>
    /// <param name="error">Why they are refused, when the method returns false.</param>
    /// <returns>True when the characters are distinct, printable and not alphanumeric.</returns>
    public static bool TryCreate(char field, ReadOnlySpan<char> encodingCharacters, [NotNullWhen(true)] out Hl7Delimiters? delimiters, [NotNullWhen(false)] out string? error)
    {
        delimiters = null;
        if (encodingCharacters.Length is not (4 or 5))
        {
            error = $"MSH-2 must hold 4 encoding characters (5 with the truncation character); it holds {encodingCharacters.Length}.";
            return false;
        }

        Span<char> all = stackalloc char[encodingCharacters.Length + 1];
        all[0] = field;
        encodingCharacters.CopyTo(all[1..]);
        for (var i = 0; i < all.Length; i++)
        {
            var c = all[i];
            // Non-ASCII delimiters are tolerated (real senders use '˜' U+02DC), but never letters, digits, spaces or controls.
            if (char.IsLetterOrDigit(c) || char.IsWhiteSpace(c) || char.IsControl(c) || char.IsSurrogate(c) || c == '\uFFFD')
            {
                error = i == 0
                    ? "MSH-1 (field separator) must be a printable character that is neither a letter, a digit nor a space."
                    : $"MSH-2 character {i} must be a printable character that is neither a letter, a digit nor a space.";
                return false;
            }

            for (var j = 0; j < i; j++)
            {
                if (all[j] == c)
                {
                    error = $"MSH-1/MSH-2 delimiters must be distinct; '{c}' is used twice.";
                    return false;
                }
            }
        }

        delimiters = new Hl7Delimiters(
            field,
            encodingCharacters[0],
            encodingCharacters[1],
            encodingCharacters[2],
            encodingCharacters[3],
            encodingCharacters.Length == 5 ? encodingCharacters[4] : null);
        error = null;
        return true;
    }

    /// <summary>True when <paramref name="c"/> is one of the delimiters (or the escape character).</summary>
    /// <param name="c">A character.</param>
    /// <returns>True for MSH-1 and every MSH-2 character.</returns>
    public bool IsDelimiter(char c) =>
        c == Field || c == Component || c == Repetition || c == Escape || c == SubComponent || (Truncation is { } t && c == t);
}
