using System.Globalization;
using System.Text.RegularExpressions;

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

    /// <summary>A full date, or a partial one (<c>1980-05-00</c>, <c>1980-00-00</c>, <c>1980</c>) completed per EXI ID 11/12 and marked corrected.</summary>
    public static SanteGateway.Identity.BirthDate? BirthDate(FieldErrors errors, string? value, bool required, DateOnly today)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            if (required)
            {
                errors.Add("birthDate", "required", "This trait is required.");
            }

            return null;
        }

        if (!SanteGateway.Identity.BirthDate.TryParseIso(value.Trim(), out var d, out var error))
        {
            errors.Add("birthDate", "format", error ?? "Expected YYYY-MM-DD.");
            return null;
        }

        if (d.Value > today)
        {
            errors.Add("birthDate", "future", "The birth date is in the future.");
            return null;
        }

        if (d.Value.Year < 1850)
        {
            errors.Add("birthDate", "range", "The birth date is before 1850.");
            return null;
        }

        return d;
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

    [GeneratedRegex(@"\s+", RegexOptions.CultureInvariant)]
    private static partial Regex MultiSpace();
}
