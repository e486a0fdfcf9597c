namespace SanteGateway.Insi.Sandbox.Data;

/// <summary>One INS (active or historical) as INSi returns it.</summary>
/// <param name="NumIdentifiant">13-character NIR/NIA body.</param>
/// <param name="Cle">2-digit key.</param>
/// <param name="Oid">Assigning authority: <c>1.2.250.1.213.1.4.8</c> (NIR) or <c>.9</c> (NIA).</param>
/// <param name="DateDeb">Optional validity start (<c>YYYY-MM-DD</c>).</param>
/// <param name="DateFin">Optional validity end (<c>YYYY-MM-DD</c>).</param>
public sealed record SandboxIns(string NumIdentifiant, string Cle, string Oid, string? DateDeb = null, string? DateFin = null)
{
    /// <summary>OID of an INS-NIR.</summary>
    public const string NirOid = "1.2.250.1.213.1.4.8";

    /// <summary>OID of an INS-NIA (identifiant d'attente).</summary>
    public const string NiaOid = "1.2.250.1.213.1.4.9";
}

/// <summary>Vitale-card data by which a person can be found with <c>rechercherInsAvecCarteVitale</c>.</summary>
/// <param name="CardLabel">Free label of the (test) card, e.g. <c>INSi 01</c>.</param>
/// <param name="InsuredNir">13-character NIR of the insured person ("ouvrant droit", <c>MatriculeOD</c>).</param>
/// <param name="BeneficiaryNir">13-character NIR of the beneficiary when the card carries it (<c>MatriculeIndividu</c>).</param>
/// <param name="Rank">Birth rank (<c>RangNaissance</c>), 1 unless twins.</param>
public sealed record SandboxVitale(string CardLabel, string InsuredNir, string? BeneficiaryNir, int Rank = 1);

/// <summary>A person of the sandbox identity base.</summary>
/// <param name="BirthName">Birth name, INSi lexical profile.</param>
/// <param name="FirstNames">Birth first names in order.</param>
/// <param name="Sex"><c>M</c> or <c>F</c>.</param>
/// <param name="BirthDate"><c>YYYY-MM-DD</c> (may be lunar).</param>
/// <param name="BirthPlace">COG code of the birth place, or null.</param>
/// <param name="Ins">Active INS.</param>
/// <param name="History">Previous INS (<c>INSHISTO</c>), possibly empty.</param>
/// <param name="Vitale">Vitale cards on which this person is a beneficiary.</param>
/// <param name="Note">Where the person comes from (documentation only).</param>
public sealed record SandboxPerson(
    string BirthName,
    IReadOnlyList<string> FirstNames,
    char Sex,
    string BirthDate,
    string? BirthPlace,
    SandboxIns Ins,
    IReadOnlyList<SandboxIns> History,
    IReadOnlyList<SandboxVitale> Vitale,
    string? Note = null)
{
    /// <summary>First names joined by single spaces (<c>ListePrenom</c>).</summary>
    public string FirstNamesJoined { get; } = string.Join(' ', FirstNames);

    /// <summary>
    /// INSi first-name rule: the query matches when it equals the first birth first name, any listed one,
    /// or the whole list joined by spaces.
    /// </summary>
    public bool MatchesFirstName(string query)
    {
        if (string.Equals(query, FirstNamesJoined, StringComparison.Ordinal))
        {
            return true;
        }

        // Indexed loop: foreach over the IReadOnlyList interface would box the enumerator (40 B per search).
        for (var i = 0; i < FirstNames.Count; i++)
        {
            if (string.Equals(query, FirstNames[i], StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
