namespace SanteGateway.Identity;

/// <summary>
/// The identity traits of a person: the strict traits (birth name, birth first names, first first-name, sex, birth date,
/// birth place) and the complementary ones (used name, used first name).
/// </summary>
/// <remarks>
/// <para>Values are kept verbatim, as typed or as received from INSi (which must not be altered): the INSi lexical profile is
/// applied only when calling INSi or building a DataMatrix (<see cref="InsiLexicalProfile"/>). The birth place code is the
/// exception: it is a code, stored upper-cased.</para>
/// <para>The used name and used first name are never filled from the birth values (EXI ID 08): they are null unless given.</para>
/// <para>The birth first-name list may be empty (INSi can return an empty <c>ListePrenom</c>); the first first-name is
/// then not checked against it.</para>
/// </remarks>
public sealed record IdentityTraits
{
    /// <summary>Maximum length of each name field (and of the joined first-name list).</summary>
    public const int MaxNameLength = 100;

    private IdentityTraits(
        string birthName,
        IReadOnlyList<string> birthFirstNames,
        string firstFirstName,
        Sex sex,
        BirthDate birthDate,
        string? birthPlaceCog,
        string? usedName,
        string? usedFirstName)
    {
        BirthName = birthName;
        BirthFirstNames = birthFirstNames;
        FirstFirstName = firstFirstName;
        Sex = sex;
        BirthDate = birthDate;
        BirthPlaceCog = birthPlaceCog;
        UsedName = usedName;
        UsedFirstName = usedFirstName;
    }

    /// <summary>Birth name (nom de naissance), verbatim.</summary>
    public string BirthName { get; }

    /// <summary>All birth first names in order (prénoms de naissance), verbatim.</summary>
    public IReadOnlyList<string> BirthFirstNames { get; }

    /// <summary>The first first-name (premier prénom de naissance); consistent with the start of <see cref="BirthFirstNames"/>.</summary>
    public string FirstFirstName { get; }

    /// <summary>Sex.</summary>
    public Sex Sex { get; }

    /// <summary>Birth date, with the corrected-date marker.</summary>
    public BirthDate BirthDate { get; }

    /// <summary>COG code of the birth commune (<c>99xxx</c> abroad), upper-case; null when unknown.</summary>
    public string? BirthPlaceCog { get; }

    /// <summary>Used name (nom utilisé), or null.</summary>
    public string? UsedName { get; }

    /// <summary>Used first name (prénom utilisé), or null.</summary>
    public string? UsedFirstName { get; }

    /// <summary>The birth first names separated by single spaces (the INSi <c>ListePrenom</c> form).</summary>
    public string BirthFirstNamesJoined => string.Join(' ', BirthFirstNames);

    /// <summary>Validates and builds traits. Every broken rule is reported (field + rule), nothing is built on error.</summary>
    /// <param name="birthName">Birth name (required, at most 100 characters).</param>
    /// <param name="birthFirstNames">Birth first names in order (may be empty; no blank entry; at most 100 characters joined).</param>
    /// <param name="firstFirstName">First first-name (required; must be the start of the list, hyphens and apostrophes counting as spaces).</param>
    /// <param name="sex">Sex.</param>
    /// <param name="birthDate">Birth date (required).</param>
    /// <param name="birthPlaceCog">COG code of the birth place, or null when unknown.</param>
    /// <param name="usedName">Used name, or null.</param>
    /// <param name="usedFirstName">Used first name, or null.</param>
    /// <returns>The traits, or the errors. Rules: <c>required</c>, <c>blank</c>, <c>max-length</c>, <c>control-character</c>,
    /// <c>first-name-consistency</c>, <c>cog-format</c>, <c>defined</c>.</returns>
    public static ValidationResult<IdentityTraits> Create(
        string? birthName,
        IReadOnlyList<string>? birthFirstNames,
        string? firstFirstName,
        Sex sex,
        BirthDate birthDate,
        string? birthPlaceCog,
        string? usedName = null,
        string? usedFirstName = null)
    {
        var errors = new List<ValidationError>();
        CheckName(errors, nameof(BirthName), birthName, required: true);
        CheckName(errors, nameof(FirstFirstName), firstFirstName, required: true);
        CheckName(errors, nameof(UsedName), usedName, required: false);
        CheckName(errors, nameof(UsedFirstName), usedFirstName, required: false);

        var list = birthFirstNames is null ? [] : birthFirstNames.ToArray();
        var listOk = true;
        for (var i = 0; i < list.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(list[i]))
            {
                errors.Add(new ValidationError(nameof(BirthFirstNames), "blank", $"First name #{i + 1} of the list is blank."));
                listOk = false;
            }
            else if (HasControl(list[i]))
            {
                errors.Add(new ValidationError(nameof(BirthFirstNames), "control-character", $"First name #{i + 1} of the list contains a control character."));
                listOk = false;
            }
        }

        var joinedLength = Math.Max(0, list.Length - 1); // string.Join(' ', list).Length, without building it
        foreach (var name in list)
        {
            joinedLength += name?.Length ?? 0;
        }

        if (joinedLength > MaxNameLength)
        {
            errors.Add(new ValidationError(nameof(BirthFirstNames), "max-length", $"The first names joined by spaces have {joinedLength} characters; at most {MaxNameLength} are allowed."));
            listOk = false;
        }

        if (listOk && list.Length > 0 && !string.IsNullOrWhiteSpace(firstFirstName) && !IsConsistentFirstFirstName(firstFirstName, list))
        {
            errors.Add(new ValidationError(
                nameof(FirstFirstName),
                "first-name-consistency",
                "The first first-name must be the start of the birth first-name list (hyphens and apostrophes count as spaces)."));
        }

        if (!Enum.IsDefined(sex))
        {
            errors.Add(new ValidationError(nameof(Sex), "defined", "The sex is not one of Female, Male, Unknown."));
        }

        if (birthDate == default)
        {
            errors.Add(new ValidationError(nameof(BirthDate), "required", "The birth date is missing."));
        }

        string? cog = null;
        if (birthPlaceCog is not null)
        {
            cog = birthPlaceCog.ToUpperInvariant();
            if (!SanteGateway.Identity.BirthPlaceCog.IsValid(cog))
            {
                errors.Add(new ValidationError(
                    nameof(BirthPlaceCog),
                    "cog-format",
                    "A birth place COG code has 5 characters: 2 digits or 2A/2B, then 3 digits (99xxx abroad)."));
            }
        }

        return errors.Count > 0
            ? ValidationResult<IdentityTraits>.Failure(errors)
            : ValidationResult<IdentityTraits>.Success(new IdentityTraits(birthName!, list, firstFirstName!, sex, birthDate, cog, usedName, usedFirstName));
    }

    /// <summary>Splits a space-separated first-name list (the INSi <c>ListePrenom</c>) into its names; null or blank gives an empty list.</summary>
    /// <param name="list">The list.</param>
    /// <returns>The first names, in order.</returns>
    public static IReadOnlyList<string> SplitFirstNames(string? list) =>
        string.IsNullOrWhiteSpace(list) ? [] : list.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>
    /// True when <paramref name="firstFirstName"/> is the start of the list, hyphens and apostrophes counting as spaces and
    /// case ignored: "JEAN-CHRISTOPHE" is consistent with "JEAN CHRISTOPHE PIERRE", "CHRISTOPHE" and "JEAN-CHRIS" are not (EXI ID 10).
    /// </summary>
    /// <param name="firstFirstName">The first first-name.</param>
    /// <param name="birthFirstNames">The birth first names in order.</param>
    /// <returns>True when consistent.</returns>
    public static bool IsConsistentFirstFirstName(string firstFirstName, IReadOnlyList<string> birthFirstNames)
    {
        ArgumentNullException.ThrowIfNull(firstFirstName);
        ArgumentNullException.ThrowIfNull(birthFirstNames);
        // Word by word over both inputs without building the joined list (bulk imports check millions of rows).
        var firstAt = 0;
        var listIndex = 0;
        var listAt = 0;
        var words = 0;
        while (true)
        {
            var word = NextWord(firstFirstName, ref firstAt);
            if (word.IsEmpty)
            {
                return words > 0;
            }

            words++;
            var other = ReadOnlySpan<char>.Empty;
            while (listIndex < birthFirstNames.Count)
            {
                other = NextWord(birthFirstNames[listIndex] ?? "", ref listAt);
                if (!other.IsEmpty)
                {
                    break;
                }

                listIndex++;
                listAt = 0;
            }

            if (other.IsEmpty || !word.Equals(other, StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }
    }

    /// <summary>True when the strict traits (all but the used name and used first name) are equal.</summary>
    /// <param name="other">The traits to compare with.</param>
    /// <returns>True when no strict trait differs.</returns>
    public bool HasSameStrictTraits(IdentityTraits other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return BirthName == other.BirthName
            && BirthFirstNames.SequenceEqual(other.BirthFirstNames, StringComparer.Ordinal)
            && FirstFirstName == other.FirstFirstName
            && Sex == other.Sex
            && BirthDate == other.BirthDate
            && BirthPlaceCog == other.BirthPlaceCog;
    }

    /// <summary>These traits with other complementary traits (used name, used first name); strict traits are unchanged.</summary>
    /// <param name="usedName">The used name, or null.</param>
    /// <param name="usedFirstName">The used first name, or null.</param>
    /// <returns>The new traits or the errors.</returns>
    public ValidationResult<IdentityTraits> WithUsedNames(string? usedName, string? usedFirstName) =>
        Create(BirthName, BirthFirstNames, FirstFirstName, Sex, BirthDate, BirthPlaceCog, usedName, usedFirstName);

    /// <summary>Value equality, comparing the first-name lists element by element.</summary>
    /// <param name="other">The other traits.</param>
    /// <returns>True when every trait is equal.</returns>
    public bool Equals(IdentityTraits? other) =>
        other is not null && HasSameStrictTraits(other) && UsedName == other.UsedName && UsedFirstName == other.UsedFirstName;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(BirthName, FirstFirstName, Sex, BirthDate, BirthPlaceCog, UsedName, UsedFirstName);

    /// <summary>A redacted description: identity data must not end up in logs through <c>ToString()</c>.</summary>
    /// <returns>The text <c>IdentityTraits { redacted }</c>.</returns>
    public override string ToString() => "IdentityTraits { redacted }";

    /// <summary>The next word of <paramref name="s"/> from <paramref name="at"/> (space, hyphen and apostrophe separate words); empty at the end.</summary>
    private static ReadOnlySpan<char> NextWord(string s, scoped ref int at)
    {
        while (at < s.Length && s[at] is ' ' or '-' or '\'')
        {
            at++;
        }

        var start = at;
        while (at < s.Length && s[at] is not (' ' or '-' or '\''))
        {
            at++;
        }

        return s.AsSpan(start, at - start);
    }

    private static bool HasControl(string s)
    {
        foreach (var c in s)
        {
            if (char.IsControl(c))
            {
                return true;
            }
        }

        return false;
    }

    private static void CheckName(List<ValidationError> errors, string field, string? value, bool required)
    {
        if (value is null)
        {
            if (required)
            {
                errors.Add(new ValidationError(field, "required", $"{field} is required."));
            }

            return;
        }

        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add(new ValidationError(field, required ? "required" : "blank", required ? $"{field} is required." : $"{field} is blank; leave it null when there is none."));
            return;
        }

        if (value.Length > MaxNameLength)
        {
            errors.Add(new ValidationError(field, "max-length", $"{field} has {value.Length} characters; at most {MaxNameLength} are allowed."));
        }

        if (HasControl(value))
        {
            errors.Add(new ValidationError(field, "control-character", $"{field} contains a control character."));
        }
    }
}
