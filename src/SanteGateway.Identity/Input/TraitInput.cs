using System.Globalization;

namespace SanteGateway.Identity;

/// <summary>
/// Checks of raw trait values as they arrive from any entry point (REST API, web UI, CSV, HL7, FHIR) before they become
/// <see cref="IdentityTraits"/>. Every refusal names the field (as the caller spells it) and the rule.
/// </summary>
/// <remarks>
/// Names accept letters (accented ones too: what the user or the document says is kept, the INSi lexical profile applies
/// only at the INSi and DataMatrix boundaries), spaces, hyphens and apostrophes. Sex is <c>F</c>, <c>M</c> or
/// <c>U</c> (unknown) locally; INSi needs F or M (<see cref="RnivIdentity.CheckInsiCall"/>).
/// </remarks>
public static class TraitInput
{
    /// <summary>Earliest plausible birth year (older dates are typing errors).</summary>
    public const int MinimumBirthYear = 1850;

    /// <summary>A name field: trimmed, inner white space collapsed; letters, space, hyphen, apostrophe.</summary>
    /// <param name="errors">Where refusals are added.</param>
    /// <param name="field">Field name for errors.</param>
    /// <param name="value">Raw value.</param>
    /// <param name="required">Whether a missing value is an error.</param>
    /// <returns>The cleaned value, or null (missing or refused).</returns>
    public static string? Name(ICollection<ValidationError> errors, string field, string? value, bool required)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var trimmed = value is null ? "" : CollapseWhiteSpace(value);
        if (trimmed.Length == 0)
        {
            if (required)
            {
                errors.Add(new ValidationError(field, "required", "This trait is required."));
            }

            return null;
        }

        if (trimmed.Length > IdentityTraits.MaxNameLength)
        {
            errors.Add(new ValidationError(field, "length", string.Create(CultureInfo.InvariantCulture, $"At most {IdentityTraits.MaxNameLength} characters.")));
            return null;
        }

        for (var i = 0; i < trimmed.Length; i++)
        {
            var c = trimmed[i];
            if (!(char.IsLetter(c) || c is ' ' or '-' or '\'' or '\u2019' || CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark))
            {
                errors.Add(new ValidationError(field, "character", string.Create(CultureInfo.InvariantCulture, $"Character '{c}' at position {i + 1} is not allowed (letters, space, hyphen, apostrophe).")));
                return null;
            }
        }

        if (!HasLetter(trimmed))
        {
            errors.Add(new ValidationError(field, "character", "At least one letter is required."));
            return null;
        }

        return trimmed;
    }

    /// <summary>
    /// Words separated by single spaces, no white space around: what <c>string.Join(' ', value.Split(null, RemoveEmptyEntries))</c>
    /// gives, without building anything when the value is already in that form (the usual case; bulk imports check
    /// millions of names).
    /// </summary>
    private static string CollapseWhiteSpace(string value)
    {
        var clean = true;
        for (var i = 0; i < value.Length && clean; i++)
        {
            var c = value[i];
            if (c == ' ')
            {
                clean = i > 0 && i < value.Length - 1 && value[i - 1] != ' ';
            }
            else if (char.IsWhiteSpace(c))
            {
                clean = false;
            }
        }

        return clean ? value : string.Join(' ', value.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>What <c>value?.Split(' ')[0]</c> gives, without splitting the whole list.</summary>
    private static string? FirstWord(string? value)
    {
        var space = value?.IndexOf(' ', StringComparison.Ordinal) ?? -1;
        return space < 0 ? value : value![..space];
    }

    private static bool HasLetter(string value)
    {
        foreach (var c in value)
        {
            if (char.IsLetter(c))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Sex code <c>F</c>, <c>M</c> or <c>U</c> (case-insensitive).</summary>
    /// <param name="errors">Where refusals are added.</param>
    /// <param name="field">Field name for errors.</param>
    /// <param name="value">Raw value.</param>
    /// <param name="required">Whether a missing value is an error.</param>
    /// <returns>The sex, or null.</returns>
    public static Sex? Sex(ICollection<ValidationError> errors, string field, string? value, bool required)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (string.IsNullOrWhiteSpace(value))
        {
            if (required)
            {
                errors.Add(new ValidationError(field, "required", "This trait is required."));
            }

            return null;
        }

        switch (value.Trim().ToUpperInvariant())
        {
            case "F":
                return SanteGateway.Identity.Sex.Female;
            case "M":
                return SanteGateway.Identity.Sex.Male;
            case "U":
                return SanteGateway.Identity.Sex.Unknown;
            default:
                errors.Add(new ValidationError(field, "code", "Expected F, M or U."));
                return null;
        }
    }

    /// <summary>
    /// A birth date: full (<c>YYYY-MM-DD</c>) or partial (<c>YYYY-MM-00</c>, <c>YYYY-00-00</c>, <c>YYYY-MM</c>, <c>YYYY</c>),
    /// completed per EXI ID 11/12 and marked corrected; refused in the future or before <see cref="MinimumBirthYear"/>.
    /// </summary>
    /// <param name="errors">Where refusals are added.</param>
    /// <param name="field">Field name for errors.</param>
    /// <param name="value">Raw value.</param>
    /// <param name="required">Whether a missing value is an error.</param>
    /// <param name="today">Today's date (the clock of the caller).</param>
    /// <returns>The birth date, or null.</returns>
    public static BirthDate? BirthDate(ICollection<ValidationError> errors, string field, string? value, bool required, DateOnly today)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (string.IsNullOrWhiteSpace(value))
        {
            if (required)
            {
                errors.Add(new ValidationError(field, "required", "This trait is required."));
            }

            return null;
        }

        if (!SanteGateway.Identity.BirthDate.TryParseIso(value.Trim(), out var d, out var error))
        {
            errors.Add(new ValidationError(field, "format", error ?? "Expected YYYY-MM-DD."));
            return null;
        }

        if (d.Value > today)
        {
            errors.Add(new ValidationError(field, "future", "The birth date is in the future."));
            return null;
        }

        if (d.Value.Year < MinimumBirthYear)
        {
            errors.Add(new ValidationError(field, "range", string.Create(CultureInfo.InvariantCulture, $"The birth date is before {MinimumBirthYear}.")));
            return null;
        }

        return d;
    }

    /// <summary>A calendar date <c>YYYY-MM-DD</c> (document check and expiry dates).</summary>
    /// <param name="errors">Where refusals are added.</param>
    /// <param name="field">Field name for errors.</param>
    /// <param name="value">Raw value.</param>
    /// <param name="required">Whether a missing value is an error.</param>
    /// <returns>The date, or null.</returns>
    public static DateOnly? Day(ICollection<ValidationError> errors, string field, string? value, bool required)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (string.IsNullOrWhiteSpace(value))
        {
            if (required)
            {
                errors.Add(new ValidationError(field, "required", "This date is required."));
            }

            return null;
        }

        if (!DateOnly.TryParseExact(value.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
        {
            errors.Add(new ValidationError(field, "format", "Expected YYYY-MM-DD (an existing calendar date)."));
            return null;
        }

        return d;
    }

    /// <summary>
    /// Builds strict and complementary traits from raw values, with API-style field names (<c>birthName</c>,
    /// <c>birthFirstNames</c>, <c>firstFirstName</c>, <c>sex</c>, <c>birthDate</c>, <c>birthPlaceCog</c>, <c>usedName</c>,
    /// <c>usedFirstName</c>). The first first-name defaults to the first word of the list.
    /// </summary>
    /// <param name="input">Raw values.</param>
    /// <param name="today">Today's date.</param>
    /// <param name="keepBirthDate">A birth date to keep as is (an update that does not touch it keeps its declared form).</param>
    /// <returns>The traits, or every refusal.</returns>
    public static ValidationResult<IdentityTraits> Traits(RawTraits input, DateOnly today, BirthDate? keepBirthDate = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        var errors = new List<ValidationError>();
        var name = Name(errors, "birthName", input.BirthName, required: true);
        var firstNames = Name(errors, "birthFirstNames", input.BirthFirstNames, required: true);
        var firstFirst = Name(errors, "firstFirstName", input.FirstFirstName, required: false) ?? FirstWord(firstNames);
        var sex = Sex(errors, "sex", input.Sex, required: true);
        var date = keepBirthDate ?? BirthDate(errors, "birthDate", input.BirthDate, required: true, today);
        var used = Name(errors, "usedName", input.UsedName, required: false);
        var usedFirst = Name(errors, "usedFirstName", input.UsedFirstName, required: false);
        var cog = string.IsNullOrWhiteSpace(input.BirthPlaceCog) ? null : input.BirthPlaceCog.Trim();
        if (errors.Count > 0)
        {
            return ValidationResult<IdentityTraits>.Failure(errors);
        }

        var result = IdentityTraits.Create(name, IdentityTraits.SplitFirstNames(firstNames), firstFirst, sex!.Value, date!.Value, cog, used, usedFirst);
        return result.IsValid
            ? result
            : ValidationResult<IdentityTraits>.Failure(result.Errors.Select(e => e with { Field = char.ToLowerInvariant(e.Field[0]) + e.Field[1..] }).ToList());
    }
}

/// <summary>Trait values as typed or received, before any check.</summary>
/// <param name="BirthName">Birth name.</param>
/// <param name="BirthFirstNames">Birth first names, space separated.</param>
/// <param name="FirstFirstName">First first-name (defaults to the first word of the list).</param>
/// <param name="Sex">F, M or U.</param>
/// <param name="BirthDate">Full or partial ISO date.</param>
/// <param name="BirthPlaceCog">Birth place COG code.</param>
/// <param name="UsedName">Used name.</param>
/// <param name="UsedFirstName">Used first name.</param>
public sealed record RawTraits(
    string? BirthName,
    string? BirthFirstNames,
    string? FirstFirstName,
    string? Sex,
    string? BirthDate,
    string? BirthPlaceCog,
    string? UsedName = null,
    string? UsedFirstName = null);
