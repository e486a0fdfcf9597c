using System.Globalization;
using System.Text.RegularExpressions;
using SanteGateway.Store;

namespace SanteGateway.Server.Identities;

/// <summary>
/// Field checks of the API input. Names accept letters (accented ones too: the search key removes them), spaces,
/// hyphens and apostrophes, as the INSi lexical profile does after normalisation.
/// </summary>
internal static partial class TraitRules
{
    public const int MaxNameLength = 100;

    public static string? Name(FieldErrors errors, string field, string? value, bool required)
    {
        if (value is null)
        {
            if (required)
            {
                errors.Add(field, "required", "This trait is required.");
            }

            return null;
        }

        var trimmed = MultiSpace().Replace(value.Trim(), " ");
        if (trimmed.Length == 0)
        {
            if (required)
            {
                errors.Add(field, "required", "This trait is required.");
            }

            return null;
        }

        if (trimmed.Length > MaxNameLength)
        {
            errors.Add(field, "length", $"At most {MaxNameLength} characters.");
            return null;
        }

        for (var i = 0; i < trimmed.Length; i++)
        {
            var c = trimmed[i];
            if (!(char.IsLetter(c) || c is ' ' or '-' or '\'' || CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark))
            {
                errors.Add(field, "character", $"Character '{c}' at position {i + 1} is not allowed (letters, space, hyphen, apostrophe).");
                return null;
            }
        }

        if (!trimmed.Any(char.IsLetter))
        {
            errors.Add(field, "character", "At least one letter is required.");
            return null;
        }

        return trimmed;
    }

    public static string? Sex(FieldErrors errors, string? value, bool required)
    {
        if (value is null)
        {
            if (required)
            {
                errors.Add("sex", "required", "This trait is required.");
            }

            return null;
        }

        var v = value.Trim().ToUpperInvariant();
        if (v is "F" or "M" or "U")
        {
            return v;
        }

        errors.Add("sex", "code", "Expected F, M or U.");
        return null;
    }

    public static DateOnly? BirthDate(FieldErrors errors, string? value, bool required, DateOnly today)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            if (required)
            {
                errors.Add("birthDate", "required", "This trait is required.");
            }

            return null;
        }

        if (!DateOnly.TryParseExact(value.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
        {
            errors.Add("birthDate", "format", "Expected a complete date YYYY-MM-DD (EXI ID 12: incomplete dates are completed before entry).");
            return null;
        }

        if (d > today)
        {
            errors.Add("birthDate", "future", "The birth date is in the future.");
            return null;
        }

        if (d.Year < 1850)
        {
            errors.Add("birthDate", "range", "The birth date is before 1850.");
            return null;
        }

        return d;
    }

    public static string? BirthPlace(FieldErrors errors, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var v = value.Trim().ToUpperInvariant();
        if (!Cog().IsMatch(v))
        {
            errors.Add("birthPlaceCog", "format", "Expected a 5-character INSEE COG code (e.g. 75056, 2A004, 99134).");
            return null;
        }

        return v;
    }

    public static DateOnly? Day(FieldErrors errors, string field, string? value, bool required)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            if (required)
            {
                errors.Add(field, "required", "This date is required.");
            }

            return null;
        }

        if (!DateOnly.TryParseExact(value.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
        {
            errors.Add(field, "format", "Expected YYYY-MM-DD.");
            return null;
        }

        return d;
    }

    /// <summary>EXI ID 10: the first first name is the start of the first-name list (hyphen and apostrophe count as space).</summary>
    public static void FirstFirstNameConsistent(FieldErrors errors, string? firstFirstName, string? birthFirstNames)
    {
        if (firstFirstName is null || birthFirstNames is null)
        {
            return;
        }

        var first = SearchKeys.Normalize(firstFirstName);
        var all = SearchKeys.Normalize(birthFirstNames);
        if (!(all == first || all.StartsWith(first + " ", StringComparison.Ordinal)))
        {
            errors.Add("firstFirstName", "rniv.first-first-name", "The first first name must be the beginning of the birth first names (EXI ID 10).");
        }
    }

    [GeneratedRegex(@"^[0-9][0-9AB][0-9]{3}$", RegexOptions.CultureInvariant)]
    private static partial Regex Cog();

    [GeneratedRegex(@"\s+", RegexOptions.CultureInvariant)]
    private static partial Regex MultiSpace();
}
