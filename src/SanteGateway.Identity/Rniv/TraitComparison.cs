namespace SanteGateway.Identity;

/// <summary>One strict trait that differs between the local identity and the identity INSi returned.</summary>
/// <param name="Field">API field name: <c>birthName</c>, <c>birthFirstNames</c>, <c>firstFirstName</c>, <c>sex</c>, <c>birthDate</c>, <c>birthPlaceCog</c>.</param>
/// <param name="Local">The local value.</param>
/// <param name="Insi">The value returned by INSi.</param>
public sealed record TraitDifference(string Field, string? Local, string? Insi);

/// <summary>
/// The single comparison of strict traits used everywhere (INSi answers, verification, duplicates): both sides are put
/// in the INSi lexical form first, so case, accents and typographic apostrophes never count as differences, and a
/// hyphen equals a space between first names.
/// </summary>
public static class TraitComparison
{
    /// <summary>
    /// Differences between local traits and INSi traits: birth name, sex and birth date must be equal; the local first-name
    /// list and first first-name must be the start of the INSi list (an empty INSi list, which the live service may return,
    /// is not a difference); a birth place is compared only when both sides have one.
    /// </summary>
    /// <param name="local">Local traits.</param>
    /// <param name="insi">Traits returned by INSi.</param>
    /// <returns>The differing fields, empty when the identities agree.</returns>
    public static IReadOnlyList<TraitDifference> Differences(IdentityTraits local, IdentityTraits insi)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(insi);
        var list = new List<TraitDifference>();
        if (!SameName(local.BirthName, insi.BirthName, birthName: true))
        {
            list.Add(new("birthName", local.BirthName, insi.BirthName));
        }

        // INSi is the authority for the first-name list, and a document may show fewer names: the local list must be the
        // start of the INSi list (word by word, a hyphen equal to a space), and the local first first-name too. An empty
        // INSi list, which the live service may return, is not a difference.
        if (insi.BirthFirstNames.Count > 0)
        {
            if (!IsWordPrefix(local.BirthFirstNamesJoined, insi.BirthFirstNamesJoined))
            {
                list.Add(new("birthFirstNames", local.BirthFirstNamesJoined, insi.BirthFirstNamesJoined));
            }
            else if (InsiFirstFirstName(local.FirstFirstName, insi.BirthFirstNames) is null)
            {
                list.Add(new("firstFirstName", local.FirstFirstName, insi.BirthFirstNamesJoined));
            }
        }

        if (local.Sex != insi.Sex)
        {
            list.Add(new("sex", SexCodes.ToCode(local.Sex), SexCodes.ToCode(insi.Sex)));
        }

        if (local.BirthDate.Value != insi.BirthDate.Value)
        {
            list.Add(new("birthDate", local.BirthDate.ToDeclared(), insi.BirthDate.ToDeclared()));
        }

        if (local.BirthPlaceCog is not null && insi.BirthPlaceCog is not null && !string.Equals(local.BirthPlaceCog, insi.BirthPlaceCog, StringComparison.OrdinalIgnoreCase))
        {
            list.Add(new("birthPlaceCog", local.BirthPlaceCog, insi.BirthPlaceCog));
        }

        return list;
    }

    /// <summary>True when two names are equal in the INSi lexical form (a hyphen or apostrophe equals a space for first names).</summary>
    /// <param name="a">First name or birth name.</param>
    /// <param name="b">The other.</param>
    /// <param name="birthName">Birth-name rules (double hyphen allowed) rather than first-name rules.</param>
    /// <returns>True when they are the same name.</returns>
    public static bool SameName(string? a, string? b, bool birthName)
    {
        var x = birthName ? InsiLexicalProfile.NormalizeBirthName(a) : InsiLexicalProfile.NormalizeFirstNames(a);
        var y = birthName ? InsiLexicalProfile.NormalizeBirthName(b) : InsiLexicalProfile.NormalizeFirstNames(b);
        if (!x.IsSuccess || !y.IsSuccess)
        {
            return string.Equals(a?.Trim(), b?.Trim(), StringComparison.OrdinalIgnoreCase);
        }

        return birthName ? x.Value == y.Value : Fold(x.Value) == Fold(y.Value);
    }

    /// <summary>
    /// The local first first-name written as INSi writes it, when it is consistent with the INSi list (its words are the
    /// first words of the list): "ANNE SOPHIE" chosen locally stays "ANNE SOPHIE" against "ANNE SOPHIE MARIE".
    /// Null when it is not consistent.
    /// </summary>
    /// <param name="localFirstFirstName">The first first-name chosen locally.</param>
    /// <param name="insiFirstNames">The first-name list returned by INSi.</param>
    /// <returns>The INSi spelling of the chosen first first-name, or null.</returns>
    public static string? InsiFirstFirstName(string localFirstFirstName, IReadOnlyList<string> insiFirstNames)
    {
        ArgumentNullException.ThrowIfNull(insiFirstNames);
        var local = InsiLexicalProfile.NormalizeFirstName(localFirstFirstName);
        if (!local.IsSuccess || insiFirstNames.Count == 0)
        {
            return null;
        }

        var joined = string.Join(' ', insiFirstNames);
        var n = local.Value.Length;
        if (joined.Length < n || Fold(joined[..n]) != Fold(local.Value))
        {
            return null;
        }

        // The chosen first name must end where a name of the list ends ("JEAN" is not "JEANNE").
        return joined.Length == n || joined[n] is ' ' or '-' or '\'' ? joined[..n] : null;
    }

    private static bool IsWordPrefix(string local, string insi)
    {
        var a = InsiLexicalProfile.NormalizeFirstNames(local);
        var b = InsiLexicalProfile.NormalizeFirstNames(insi);
        if (!a.IsSuccess || !b.IsSuccess)
        {
            return string.Equals(local.Trim(), insi.Trim(), StringComparison.OrdinalIgnoreCase);
        }

        var x = Fold(a.Value).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var y = Fold(b.Value).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return x.Length <= y.Length && x.SequenceEqual(y.Take(x.Length), StringComparer.Ordinal);
    }

    private static string Fold(string s) => s.Replace('-', ' ').Replace('\'', ' ');
}
