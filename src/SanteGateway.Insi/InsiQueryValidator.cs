using System.Text.RegularExpressions;
using SanteGateway.Identity;

namespace SanteGateway.Insi;

/// <summary>
/// Checks a query against the INSi lexical profile and formats before any call. A refused query is never sent
/// (CNDA test 2.03 cas 3: <c>D'ÆION</c>/<c>CŒUR</c> must not reach the service).
/// </summary>
public static partial class InsiQueryValidator
{
    /// <summary>Maximum length of the birth name and of the joined first-name list.</summary>
    public const int MaxNameLength = 100;

    /// <summary>Returns every problem of <paramref name="query"/>; empty when it may be sent.</summary>
    public static IReadOnlyList<InsiInputError> Validate(InsiTraitsQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var errors = new List<InsiInputError>();
        CheckName(errors, "birthName", query.BirthName, birthName: true);
        if (query.FirstNames is null || query.FirstNames.Count == 0)
        {
            errors.Add(new("firstNames", "Required", "At least one birth first name is required."));
        }
        else
        {
            for (var i = 0; i < query.FirstNames.Count; i++)
            {
                var first = query.FirstNames[i];
                var field = $"firstNames[{i}]";
                if (first is not null && first.Contains(' ', StringComparison.Ordinal))
                {
                    errors.Add(new(field, "OneFirstNamePerEntry", "Each entry holds one first name (no space); compound names use a hyphen."));
                    continue;
                }

                CheckName(errors, field, first, birthName: false);
            }

            if (query.FirstNamesJoined.Length > MaxNameLength)
            {
                errors.Add(new("firstNames", "MaxLength", $"The first-name list exceeds {MaxNameLength} characters."));
            }
        }

        if (query.Sex is not (Sex.Female or Sex.Male))
        {
            errors.Add(new("sex", "FemaleOrMale", "INSi accepts only F or M."));
        }

        CheckDate(errors, "birthDate", query.BirthDate);
        if (query.BirthPlace is not null && !CogPattern().IsMatch(query.BirthPlace))
        {
            errors.Add(new("birthPlace", "CogFormat", "Birth place must be a 5-character INSEE COG code (e.g. 63220, 2A020, 99100)."));
        }

        return errors;
    }

    /// <summary>Returns every problem of a Vitale-card query.</summary>
    public static IReadOnlyList<InsiInputError> Validate(InsiVitaleQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var errors = new List<InsiInputError>();
        CheckNir(errors, "insuredNir", query.InsuredNir);
        if (query.BeneficiaryNir is not null)
        {
            CheckNir(errors, "beneficiaryNir", query.BeneficiaryNir);
        }

        if (string.IsNullOrWhiteSpace(query.BirthName))
        {
            errors.Add(new("birthName", "Required", "Birth name from the card is required."));
        }
        else if (query.BirthName.Length > MaxNameLength)
        {
            errors.Add(new("birthName", "MaxLength", $"Birth name exceeds {MaxNameLength} characters."));
        }

        CheckDate(errors, "birthDate", query.BirthDate);
        if (query.Rank is < 1 or > 9)
        {
            errors.Add(new("rank", "Range", "Birth rank must be between 1 and 9."));
        }

        return errors;
    }

    /// <summary>Throws <see cref="InsiInputException"/> when <paramref name="query"/> is refused.</summary>
    public static void EnsureValid(InsiTraitsQuery query)
    {
        var errors = Validate(query);
        if (errors.Count > 0)
        {
            throw new InsiInputException(errors);
        }
    }

    /// <summary>Throws <see cref="InsiInputException"/> when <paramref name="query"/> is refused.</summary>
    public static void EnsureValid(InsiVitaleQuery query)
    {
        var errors = Validate(query);
        if (errors.Count > 0)
        {
            throw new InsiInputException(errors);
        }
    }

    private static void CheckName(List<InsiInputError> errors, string field, string? value, bool birthName)
    {
        if (string.IsNullOrEmpty(value))
        {
            errors.Add(new(field, "Required", "Value is required."));
            return;
        }

        if (value.Length > MaxNameLength)
        {
            errors.Add(new(field, "MaxLength", $"Value exceeds {MaxNameLength} characters."));
            return;
        }

        var conform = birthName ? InsiLexicalProfile.IsConformBirthName(value) : InsiLexicalProfile.IsConformFirstNames(value);
        if (conform)
        {
            return;
        }

        // Ask the profile why; if normalisation would succeed the value is merely not in INSi form yet.
        var result = birthName ? InsiLexicalProfile.NormalizeBirthName(value) : InsiLexicalProfile.NormalizeFirstName(value);
        if (result.Error is { } e)
        {
            errors.Add(new(field, e.Rule, e.Message));
        }
        else
        {
            errors.Add(new(field, "InsiLexicalForm", "Not in the INSi lexical form (uppercase A-Z, space, apostrophe, hyphen, no diacritics or ligatures): transliterate and confirm before calling."));
        }
    }

    private static void CheckDate(List<InsiInputError> errors, string field, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            errors.Add(new(field, "Required", "Birth date is required."));
        }
        else if (!DatePattern().IsMatch(value))
        {
            errors.Add(new(field, "DateFormat", "Birth date must be YYYY-MM-DD."));
        }
    }

    private static void CheckNir(List<InsiInputError> errors, string field, InsiCardNir nir)
    {
        if (nir.Number is null || !NirPattern().IsMatch(nir.Number))
        {
            errors.Add(new(field + ".number", "NirFormat", "NIR number must be 13 characters: 6 digits, a digit or A/B, 6 digits."));
        }

        if (nir.Key is not null && !KeyPattern().IsMatch(nir.Key))
        {
            errors.Add(new(field + ".key", "KeyFormat", "NIR key must be 2 digits."));
        }
    }

    [GeneratedRegex(@"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", RegexOptions.CultureInvariant)]
    private static partial Regex DatePattern();

    [GeneratedRegex(@"^([0-9]{2}|2[AB])[0-9]{3}$", RegexOptions.CultureInvariant)]
    private static partial Regex CogPattern();

    [GeneratedRegex(@"^[0-9]{6}[AB0-9][0-9]{6}$", RegexOptions.CultureInvariant)]
    private static partial Regex NirPattern();

    [GeneratedRegex(@"^[0-9]{2}$", RegexOptions.CultureInvariant)]
    private static partial Regex KeyPattern();
}
