// TEMPORARY: minimal stand-ins for the Identity API contract (HELPERS.md) so that the insi-client branch builds
// before the identity branch is merged. Delete this file when merging `identity`.
#pragma warning disable CS1591, CA1034, CA1720
namespace SanteGateway.Identity;

public enum InsMatriculeErrorKind { Empty, Length, Character, WrongKey }

public sealed record InsMatriculeError(InsMatriculeErrorKind Kind, string Message, int? Position = null, string? ExpectedKey = null);

public readonly record struct InsMatricule
{
    private InsMatricule(string value) => Value = value;

    public string Value { get; }

    public string Body => Value[..13];

    public string Key => Value[13..];

    public static int ComputeKey(ReadOnlySpan<char> body13)
    {
        long n = 0;
        for (var i = 0; i < 13; i++)
        {
            var c = body13[i];
            if (i == 5 && (body13[6] == 'A' || body13[6] == 'B'))
            {
                c = '1';
            }
            else if (i == 6 && (c == 'A' || c == 'B'))
            {
                c = c == 'A' ? '9' : '8';
            }

            n = (n * 10) + (c - '0');
        }

        return (int)(97 - (n % 97));
    }

    public static bool TryFromParts(string numIdentifiant13, string? cle2, out InsMatricule m, out InsMatriculeError? error)
    {
        m = default;
        if (string.IsNullOrEmpty(numIdentifiant13))
        {
            error = new(InsMatriculeErrorKind.Empty, "empty");
            return false;
        }

        if (numIdentifiant13.Length != 13 || cle2 is null || cle2.Length != 2)
        {
            error = new(InsMatriculeErrorKind.Length, "length");
            return false;
        }

        for (var i = 0; i < 13; i++)
        {
            var c = numIdentifiant13[i];
            if (!char.IsAsciiDigit(c) && !(i == 6 && (c == 'A' || c == 'B')))
            {
                error = new(InsMatriculeErrorKind.Character, "character", i);
                return false;
            }
        }

        if (!char.IsAsciiDigit(cle2[0]) || !char.IsAsciiDigit(cle2[1]))
        {
            error = new(InsMatriculeErrorKind.Character, "character", 13);
            return false;
        }

        var expected = ComputeKey(numIdentifiant13).ToString("00", System.Globalization.CultureInfo.InvariantCulture);
        if (expected != cle2)
        {
            error = new(InsMatriculeErrorKind.WrongKey, "wrong key", 13, expected);
            return false;
        }

        m = new InsMatricule(numIdentifiant13 + cle2);
        error = null;
        return true;
    }

    public static bool TryParse(string? input, out InsMatricule matricule, out InsMatriculeError? error)
    {
        var s = (input ?? string.Empty).Replace(" ", string.Empty, StringComparison.Ordinal).ToUpperInvariant();
        if (s.Length != 15)
        {
            matricule = default;
            error = new(s.Length == 0 ? InsMatriculeErrorKind.Empty : InsMatriculeErrorKind.Length, "length");
            return false;
        }

        return TryFromParts(s[..13], s[13..], out matricule, out error);
    }
}

public enum Sex { Female, Male, Unknown }

public static class SexCodes
{
    public static char ToInsi(Sex sex) => sex switch { Sex.Female => 'F', Sex.Male => 'M', _ => throw new ArgumentOutOfRangeException(nameof(sex)) };

    public static bool TryParseInsi(string? value, out Sex sex)
    {
        sex = value switch { "F" => Sex.Female, "M" => Sex.Male, _ => Sex.Unknown };
        return sex != Sex.Unknown;
    }
}

public sealed record LexicalError(string Rule, string Message, int? Position, char? Character);

public sealed record LexicalResult(string? Value, LexicalError? Error)
{
    public bool IsSuccess => Error is null;
}

public static class InsiLexicalProfile
{
    public static LexicalResult NormalizeBirthName(string? input) => Check(input, true);

    public static LexicalResult NormalizeFirstName(string? input) => Check(input, false);

    public static LexicalResult NormalizeFirstNames(string? input) => Check(input, false);

    public static bool IsConformBirthName(ReadOnlySpan<char> value) => Check(value.ToString(), true).IsSuccess;

    public static bool IsConformFirstNames(ReadOnlySpan<char> value) => Check(value.ToString(), false).IsSuccess;

    private static LexicalResult Check(string? input, bool name)
    {
        if (string.IsNullOrEmpty(input))
        {
            return new(null, new("Required", "empty", null, null));
        }

        for (var i = 0; i < input.Length; i++)
        {
            var c = input[i];
            if (!(c is >= 'A' and <= 'Z' or ' ' or '\'' or '-'))
            {
                return new(null, new("Charset", "character not allowed", i, c));
            }

            if (i == 0 && c is ' ' or '-')
            {
                return new(null, new("FirstCharacter", "bad first character", i, c));
            }

            if (i > 0 && c is ' ' or '\'' && input[i - 1] is ' ' or '\'')
            {
                return new(null, new("Separator", "doubled separator", i, c));
            }

            if (!name && i > 0 && c == '-' && input[i - 1] == '-')
            {
                return new(null, new("DoubleHyphen", "double hyphen in first name", i, c));
            }
        }

        return new(input, null);
    }
}
