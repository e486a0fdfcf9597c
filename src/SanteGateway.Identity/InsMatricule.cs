using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace SanteGateway.Identity;

/// <summary>Why a matricule INS was refused.</summary>
public enum InsMatriculeErrorKind
{
    /// <summary>Nothing was given (null, empty or only spaces).</summary>
    Empty,

    /// <summary>Not 15 characters once spaces are removed (13 + 2 for the key).</summary>
    Length,

    /// <summary>A character is not allowed at its position.</summary>
    Character,

    /// <summary>The 2-digit control key does not match the 13 first characters.</summary>
    WrongKey,

    /// <summary>A group is out of its range: month <c>00</c> or <c>13</c>–<c>19</c>, department <c>00</c> or <c>96</c> (ins-rules §1.2).</summary>
    Range,
}

/// <summary>A refused matricule INS: the kind of error, a human-readable reason, and where useful the position and the expected key.</summary>
/// <param name="Kind">What went wrong.</param>
/// <param name="Message">A reason fit for an operator; it never contains the refused value.</param>
/// <param name="Position">1-based position of the offending character in the matricule once spaces are removed (for <see cref="InsMatriculeErrorKind.Character"/>).</param>
/// <param name="ExpectedKey">The key computed from the 13 first characters (for <see cref="InsMatriculeErrorKind.WrongKey"/>).</param>
public sealed record InsMatriculeError(InsMatriculeErrorKind Kind, string Message, int? Position = null, string? ExpectedKey = null);

/// <summary>
/// A matricule INS: the 13 characters of a NIR or NIA followed by its 2-digit control key (15 characters, uppercase).
/// </summary>
/// <remarks>
/// <para>Layout: sex (<c>1</c>/<c>2</c>), year (2), month (2), birth place (5, where positions 6–7 may be the Corsican
/// departments <c>2A</c>/<c>2B</c>), order number (3), key (2). The key is <c>97 − (N mod 97)</c>, N being the 13 characters
/// read as a number with <c>2A</c> → <c>19</c> and <c>2B</c> → <c>18</c>.</para>
/// <para>A NIA has the same layout as a NIR: whether a matricule is a NIR or a NIA is only known from the OID that comes
/// with it (<see cref="InsIdentifier"/>), never from its digits.</para>
/// <para><c>default(InsMatricule)</c> is not a valid matricule (its <see cref="Value"/> is empty); obtain instances through
/// <see cref="TryParse(string?, out InsMatricule, out InsMatriculeError?)"/>, <see cref="Parse"/> or <see cref="TryFromParts"/>.</para>
/// </remarks>
[System.Text.Json.Serialization.JsonConverter(typeof(InsMatriculeJsonConverter))]
public readonly record struct InsMatricule
{
    private readonly string? _value;

    private InsMatricule(string value) => _value = value;

    /// <summary>The 15 characters (13 + key), uppercase, without spaces.</summary>
    public string Value => _value ?? string.Empty;

    /// <summary>The 13 first characters (the NIR or NIA without its key).</summary>
    public string Body => Value.Length == 15 ? Value[..13] : string.Empty;

    /// <summary>The 2-digit control key.</summary>
    public string Key => Value.Length == 15 ? Value[13..] : string.Empty;

    /// <summary>Reads a matricule typed or received in any common form ("1 60 01 2B 020 777 13", "160012b02077713"):
    /// white space is removed and letters are upper-cased; then the layout and the key are checked.</summary>
    /// <param name="input">The text to read; may be null.</param>
    /// <param name="matricule">The matricule when the method returns true.</param>
    /// <param name="error">Why the text was refused when the method returns false.</param>
    /// <returns>True when <paramref name="input"/> is a well-formed matricule with a correct key.</returns>
    public static bool TryParse(string? input, out InsMatricule matricule, [NotNullWhen(false)] out InsMatriculeError? error)
    {
        matricule = default;
        if (string.IsNullOrWhiteSpace(input))
        {
            error = new InsMatriculeError(InsMatriculeErrorKind.Empty, "The matricule INS is empty.");
            return false;
        }

        // Count the significant characters first so that hostile, very long input is refused without copying it.
        var significant = 0;
        foreach (var c in input)
        {
            if (!char.IsWhiteSpace(c))
            {
                significant++;
            }
        }

        if (significant != 15)
        {
            error = new InsMatriculeError(
                InsMatriculeErrorKind.Length,
                string.Create(CultureInfo.InvariantCulture, $"A matricule INS has 15 characters (13 + a 2-digit key); {significant} were given."));
            return false;
        }

        Span<char> buffer = stackalloc char[15];
        var n = 0;
        foreach (var c in input)
        {
            if (!char.IsWhiteSpace(c))
            {
                buffer[n++] = c is >= 'a' and <= 'z' ? (char)(c - 32) : c;
            }
        }

        error = Check(buffer);
        if (error is not null)
        {
            return false;
        }

        matricule = new InsMatricule(new string(buffer));
        return true;
    }

    /// <summary>Reads a matricule like <see cref="TryParse(string?, out InsMatricule, out InsMatriculeError?)"/> but throws when it is refused.</summary>
    /// <param name="input">The text to read.</param>
    /// <returns>The matricule.</returns>
    /// <exception cref="FormatException">The text is not a valid matricule; the message says why.</exception>
    public static InsMatricule Parse(string input) =>
        TryParse(input, out var matricule, out var error) ? matricule : throw new FormatException(error.Message);

    /// <summary>
    /// Builds a matricule from the two elements INSi returns separately: <c>NumIdentifiant</c> (13 characters) and <c>Cle</c> (2 digits).
    /// </summary>
    /// <remarks>The key is required even though the INSi schema marks it optional: a matricule whose key is missing cannot be
    /// checked, so it is refused rather than completed with a computed key.</remarks>
    /// <param name="numIdentifiant13">The 13 characters of the NIR or NIA.</param>
    /// <param name="cle2">The 2-digit key.</param>
    /// <param name="m">The matricule when the method returns true.</param>
    /// <param name="error">Why the parts were refused when the method returns false.</param>
    /// <returns>True when both parts are present, well formed and the key matches.</returns>
    public static bool TryFromParts(string numIdentifiant13, string? cle2, out InsMatricule m, [NotNullWhen(false)] out InsMatriculeError? error)
    {
        m = default;
        var body = numIdentifiant13?.Trim() ?? string.Empty;
        var key = cle2?.Trim() ?? string.Empty;
        if (body.Length == 0)
        {
            error = new InsMatriculeError(InsMatriculeErrorKind.Empty, "NumIdentifiant is empty.");
            return false;
        }

        if (body.Length != 13)
        {
            error = new InsMatriculeError(
                InsMatriculeErrorKind.Length,
                string.Create(CultureInfo.InvariantCulture, $"NumIdentifiant has 13 characters; {body.Length} were given."));
            return false;
        }

        if (key.Length == 0)
        {
            error = new InsMatriculeError(InsMatriculeErrorKind.Empty, "Cle (the 2-digit key) is missing; a matricule without its key cannot be checked.");
            return false;
        }

        if (key.Length != 2)
        {
            error = new InsMatriculeError(
                InsMatriculeErrorKind.Length,
                string.Create(CultureInfo.InvariantCulture, $"Cle has 2 digits; {key.Length} characters were given."));
            return false;
        }

        return TryParse(body + key, out m, out error);
    }

    /// <summary>
    /// True when <paramref name="fifteenChars"/> is exactly a matricule with a correct key (15 characters, no spaces;
    /// <c>2a</c>/<c>2b</c> are accepted like <c>2A</c>/<c>2B</c>). Allocation-free.
    /// </summary>
    /// <param name="fifteenChars">The characters to check.</param>
    /// <returns>True when the layout and the key are correct.</returns>
    public static bool IsValid(ReadOnlySpan<char> fifteenChars)
    {
        if (fifteenChars.Length != 15)
        {
            return false;
        }

        var n = BodyValue(fifteenChars);
        if (n < 0)
        {
            return false;
        }

        var k1 = (uint)(fifteenChars[13] - '0');
        var k2 = (uint)(fifteenChars[14] - '0');
        if (k1 > 9 || k2 > 9)
        {
            return false;
        }

        return (int)(k1 * 10 + k2) == 97 - (int)((ulong)n % 97) && InRange(fifteenChars);
    }

    /// <summary>Computes the control key (1 to 97) of the 13 first characters of a matricule; <c>2A</c> counts as <c>19</c>, <c>2B</c> as <c>18</c>.</summary>
    /// <param name="body13">The 13 characters (NIR or NIA without key).</param>
    /// <returns>The key, between 1 and 97; write it on 2 digits.</returns>
    /// <exception cref="ArgumentException">The characters are not a well-formed 13-character body.</exception>
    public static int ComputeKey(ReadOnlySpan<char> body13)
    {
        if (body13.Length != 13)
        {
            throw new ArgumentException("The body of a matricule INS has 13 characters.", nameof(body13));
        }

        var n = BodyValue(body13);
        return n < 0
            ? throw new ArgumentException("The body of a matricule INS is not well formed (1 or 2, then digits, 2A/2B only at positions 6-7).", nameof(body13))
            : 97 - (int)((ulong)n % 97);
    }

    /// <summary>The matricule grouped for reading: <c>1 60 01 2B 020 777 13</c> (sex, year, month, department, commune, order, key).
    /// <see cref="TryParse(string?, out InsMatricule, out InsMatriculeError?)"/> reads it back.</summary>
    /// <returns>The grouped form, or an empty string for <c>default(InsMatricule)</c>.</returns>
    public string ToDisplayString()
    {
        var v = Value;
        return v.Length != 15
            ? string.Empty
            : string.Create(21, v, static (span, s) =>
            {
                ReadOnlySpan<int> groups = [1, 2, 2, 2, 3, 3, 2];
                var src = 0;
                var dst = 0;
                foreach (var g in groups)
                {
                    if (dst > 0)
                    {
                        span[dst++] = ' ';
                    }

                    s.AsSpan(src, g).CopyTo(span[dst..]);
                    src += g;
                    dst += g;
                }
            });
    }

    /// <summary>The 15 characters (same as <see cref="Value"/>).</summary>
    /// <returns>The matricule without spaces.</returns>
    public override string ToString() => Value;

    /// <summary>N: the 13 first characters as a number (2A → 19, 2B → 18), or −1 when they are not well formed.</summary>
    private static long BodyValue(ReadOnlySpan<char> s)
    {
        // Sex digit: only 1 or 2 are INS matricules (5/6 migrants and 7/8 provisional numbers are not).
        var first = s[0];
        if (first is not ('1' or '2'))
        {
            return -1;
        }

        ulong n = (ulong)(first - '0');
        for (var i = 1; i < 13; i++)
        {
            var d = (uint)(s[i] - '0');
            if (d > 9)
            {
                if (i != 6 || s[5] != '2')
                {
                    return -1;
                }

                // Corsica: 2A stands for 19 and 2B for 18; the '2' already counted at position 6 becomes the '1'.
                var c = s[i] | 0x20;
                if (c == 'a')
                {
                    n = n - 2 + 1;
                    d = 9;
                }
                else if (c == 'b')
                {
                    n = n - 2 + 1;
                    d = 8;
                }
                else
                {
                    return -1;
                }
            }

            n = n * 10 + d;
        }

        return (long)n;
    }

    /// <summary>Explains what is wrong with 15 upper-cased characters, or null when they are a valid matricule.</summary>
    private static InsMatriculeError? Check(ReadOnlySpan<char> s)
    {
        if (s[0] is not ('1' or '2'))
        {
            return CharacterError(1, "must be 1 or 2 (sex)");
        }

        for (var i = 1; i < 15; i++)
        {
            var c = s[i];
            if (c is >= '0' and <= '9')
            {
                continue;
            }

            if (i == 6 && c is 'A' or 'B')
            {
                if (s[5] == '2')
                {
                    continue;
                }

                return CharacterError(7, "may be A or B only after a 2 (Corsica 2A/2B)");
            }

            return i == 6
                ? CharacterError(7, "must be a digit, or A/B after a 2 (Corsica 2A/2B)")
                : CharacterError(i + 1, i >= 13 ? "must be a digit (key)" : "must be a digit");
        }

        if (RangeError(s) is { } range)
        {
            return range;
        }

        var expected = 97 - (int)((ulong)BodyValue(s) % 97);
        var actual = ((s[13] - '0') * 10) + (s[14] - '0');
        if (actual != expected)
        {
            var expectedText = expected.ToString("00", CultureInfo.InvariantCulture);
            return new InsMatriculeError(
                InsMatriculeErrorKind.WrongKey,
                $"The control key does not match the 13 first characters: expected {expectedText}.",
                ExpectedKey: expectedText);
        }

        return null;
    }

    /// <summary>
    /// Month (positions 4–5): <c>01</c>–<c>12</c>, or <c>20</c>–<c>99</c> when the month is unknown; department (6–7):
    /// <c>01</c>–<c>95</c>, <c>2A</c>/<c>2B</c>, <c>97</c>/<c>98</c> overseas, <c>99</c> abroad (ins-rules §1.2).
    /// </summary>
    private static InsMatriculeError? RangeError(ReadOnlySpan<char> s)
    {
        if (!InRange(s))
        {
            var month = ((s[3] - '0') * 10) + (s[4] - '0');
            return month is 0 or (>= 13 and <= 19)
                ? new InsMatriculeError(InsMatriculeErrorKind.Range, "The month at positions 4-5 must be 01 to 12, or 20 to 99 when unknown.", 4)
                : new InsMatriculeError(InsMatriculeErrorKind.Range, "The department at positions 6-7 must be 01 to 95, 2A, 2B, 97, 98 or 99.", 6);
        }

        return null;
    }

    /// <summary>Allocation-free range check of the month and department groups (characters already checked).</summary>
    private static bool InRange(ReadOnlySpan<char> s)
    {
        var month = ((s[3] - '0') * 10) + (s[4] - '0');
        if (month is 0 or (>= 13 and <= 19))
        {
            return false;
        }

        if (s[6] is < '0' or > '9')
        {
            return true; // 2A / 2B, already checked by the layout rules.
        }

        var department = ((s[5] - '0') * 10) + (s[6] - '0');
        return department is not (0 or 96);
    }

    private static InsMatriculeError CharacterError(int position, string rule) =>
        new(InsMatriculeErrorKind.Character, string.Create(CultureInfo.InvariantCulture, $"The character at position {position} {rule}."), position);
}
