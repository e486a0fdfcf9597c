using SanteGateway.Identity;

namespace SanteGateway.Insi;

/// <summary>Which software certificate (and therefore which access profile) a call uses.</summary>
public enum InsiCertificateKind
{
    /// <summary>Unattended call (batch, automatic check): certificate CN <c>INSI-AUTO</c>.</summary>
    Automatic,

    /// <summary>Call triggered by a user action: certificate CN <c>INSI-MANU</c>.</summary>
    Manual,
}

/// <summary>Per-call context: which certificate to present and an optional correlation id for traces.</summary>
/// <param name="CertificateKind">Certificate to use for mutual TLS (ignored in CPx mode).</param>
/// <param name="CorrelationId">Caller's id copied into traces (never sent to the service).</param>
public sealed record InsiCallContext(InsiCertificateKind CertificateKind, string? CorrelationId = null)
{
    /// <summary>Unattended call with the <c>INSI-AUTO</c> certificate.</summary>
    public static InsiCallContext Automatic { get; } = new(InsiCertificateKind.Automatic);

    /// <summary>User-triggered call with the <c>INSI-MANU</c> certificate.</summary>
    public static InsiCallContext Manual { get; } = new(InsiCertificateKind.Manual);
}

/// <summary>
/// Identity traits for <c>rechercherInsAvecTraitsIdentite</c>. Values must already be in the INSi lexical form
/// (uppercase A–Z, space, apostrophe, hyphen): the client refuses, it does not transliterate.
/// </summary>
/// <param name="BirthName">Birth name (<c>NomNaissance</c>).</param>
/// <param name="FirstNames">Birth first names in order; the search sends them joined by single spaces.</param>
/// <param name="Sex">Sex; only <see cref="Sex.Female"/> and <see cref="Sex.Male"/> are accepted.</param>
/// <param name="BirthDate">Birth date as <c>YYYY-MM-DD</c> (lunar dates such as <c>1980-00-35</c> pass through).</param>
/// <param name="BirthPlace">Optional INSEE COG code of the birth place (5 characters).</param>
public sealed record InsiTraitsQuery(string BirthName, IReadOnlyList<string> FirstNames, Sex Sex, string BirthDate, string? BirthPlace = null)
{
    /// <summary>The first names joined by single spaces, as sent in one <c>Prenom</c> element.</summary>
    public string FirstNamesJoined => string.Join(' ', FirstNames);

    /// <summary>
    /// Builds a query from stored strict traits. Values are taken verbatim: if they are not in the INSi lexical form the
    /// call is refused (normalise with <see cref="InsiLexicalProfile"/> and confirm with the user first).
    /// </summary>
    public static InsiTraitsQuery FromTraits(IdentityTraits traits)
    {
        ArgumentNullException.ThrowIfNull(traits);
        return new(traits.BirthName, traits.BirthFirstNames, traits.Sex, traits.BirthDate.ToIso(), traits.BirthPlaceCog);
    }

    /// <summary>Builds a query from a space-separated first-name list.</summary>
    public static InsiTraitsQuery FromList(string birthName, string firstNames, Sex sex, string birthDate, string? birthPlace = null) =>
        new(birthName, (firstNames ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries), sex, birthDate, birthPlace);
}

/// <summary>NIR as read from a Vitale card: 13 characters plus optional 2-digit key.</summary>
/// <param name="Number">13-character number (<c>NumIdentifiant</c>).</param>
/// <param name="Key">Key (<c>Cle</c>), when the card gives it.</param>
public sealed record InsiCardNir(string Number, string? Key = null);

/// <summary>Data read from the Vitale card for <c>rechercherInsAvecCarteVitale</c> (RECVITALE).</summary>
/// <param name="InsuredNir">NIR of the insured person ("ouvrant droit"), sent as <c>MatriculeOD</c> and <c>COUVERTURE/ASSURE</c>.</param>
/// <param name="BeneficiaryNir">Beneficiary's own NIR when the card carries it (<c>MatriculeIndividu</c>).</param>
/// <param name="BirthName">Beneficiary birth name as on the card.</param>
/// <param name="BirthDate">Beneficiary birth date string from the card (<c>YYYY-MM-DD</c>, may be a lunar date).</param>
/// <param name="Rank">Birth rank (twins), <c>RangNaissance</c>.</param>
public sealed record InsiVitaleQuery(InsiCardNir InsuredNir, InsiCardNir? BeneficiaryNir, string BirthName, string BirthDate, int Rank = 1);

/// <summary>Result code (<c>CR/CodeCR</c>) of a search.</summary>
public enum InsiResultCode
{
    /// <summary><c>00</c>: exactly one identity found.</summary>
    Found = 0,

    /// <summary><c>01</c>: no identity found.</summary>
    NotFound = 1,

    /// <summary><c>02</c>: several identities found.</summary>
    Ambiguous = 2,

    /// <summary>A code the client does not know (kept verbatim in <see cref="InsiSearchResult.Code"/>).</summary>
    Other = 99,
}

/// <summary>One INS returned by the service (<c>INSACTIF</c> or <c>INSHISTO</c>).</summary>
/// <param name="NumIdentifiant">13-character number as received.</param>
/// <param name="Key">Key as received (may be absent).</param>
/// <param name="Oid">Assigning authority OID (NIR <c>.8</c>, NIA <c>.9</c>...).</param>
/// <param name="From">Start of validity (<c>DateDeb</c>) when given.</param>
/// <param name="To">End of validity (<c>DateFin</c>) when given.</param>
/// <param name="MatriculeType">Optional <c>TypeMatricule</c>.</param>
/// <param name="Matricule">The checked matricule, or <see langword="null"/> when its key (or shape) is wrong: do not trust it.</param>
public sealed record InsiIns(string NumIdentifiant, string? Key, string Oid, DateOnly? From, DateOnly? To, string? MatriculeType, InsMatricule? Matricule)
{
    /// <summary>True when the number and key passed the key check.</summary>
    public bool IsTrusted => Matricule is not null;

    /// <summary>Number and key as received (15 characters when both are present), for display.</summary>
    public string Raw => NumIdentifiant + Key;
}

/// <summary>Identity traits returned by the service (<c>TIQ</c>), verbatim: they must not be altered.</summary>
/// <param name="BirthName">NomNaissance.</param>
/// <param name="FirstName">Prenom (absent since late 2022 on the live service).</param>
/// <param name="FirstNames">ListePrenom (may be empty).</param>
/// <param name="Sex">Sexe.</param>
/// <param name="BirthDate">DateNaissance (string, may be lunar).</param>
/// <param name="BirthPlace">LieuNaissance (COG).</param>
public sealed record InsiReturnedTraits(string? BirthName, string? FirstName, string? FirstNames, string? Sex, string? BirthDate, string? BirthPlace);

/// <summary>The identity returned with CR 00.</summary>
/// <param name="Active">Active INS (<c>INSACTIF</c>).</param>
/// <param name="History">Previous INS (<c>INSHISTO</c>), in received order.</param>
/// <param name="Traits">Returned traits.</param>
public sealed record InsiIndividual(InsiIns Active, IReadOnlyList<InsiIns> History, InsiReturnedTraits Traits);

/// <summary>Something in a response that the client does not trust (a matricule with a bad key, a bad date).</summary>
/// <param name="Code">Stable code: <c>WrongKey</c>, <c>BadMatricule</c>, <c>BadDate</c>, <c>UnknownOid</c>.</param>
/// <param name="Path">Where: <c>INSACTIF</c>, <c>INSHISTO[2]</c>...</param>
/// <param name="Message">Human-readable explanation.</param>
public sealed record InsiWarning(string Code, string Path, string Message);

/// <summary>A service answer (any CR code).</summary>
/// <param name="Code">CodeCR verbatim (<c>00</c>, <c>01</c>, <c>02</c>...).</param>
/// <param name="Label">LibelleCR verbatim.</param>
/// <param name="Individual">Identity for CR 00.</param>
/// <param name="Warnings">Untrusted parts of the answer; empty when everything checked out.</param>
public sealed record InsiSearchResult(string Code, string Label, InsiIndividual? Individual, IReadOnlyList<InsiWarning> Warnings)
{
    /// <summary>The CR code as an enum.</summary>
    public InsiResultCode ResultCode => Code switch
    {
        "00" => InsiResultCode.Found,
        "01" => InsiResultCode.NotFound,
        "02" => InsiResultCode.Ambiguous,
        _ => InsiResultCode.Other,
    };

    /// <summary><c>wsa:MessageID</c> of the request that produced this answer (set by the client).</summary>
    public string? MessageId { get; init; }
}

/// <summary>A SOAP 1.2 fault returned by the service.</summary>
/// <param name="Code">Fault code without prefix: <c>Sender</c> or <c>Receiver</c>.</param>
/// <param name="Subcode">Subcode without prefix, e.g. <c>siram_100</c>, <c>siram_40</c> (may be null).</param>
/// <param name="Reason">French reason text.</param>
/// <param name="ErrorCode"><c>siram:Erreur/@code</c>, e.g. <c>desir_550</c>, <c>insi_102</c>, <c>desir_1020</c>, <c>DESIR_560</c>.</param>
/// <param name="Severity"><c>siram:Erreur/@severite</c>.</param>
/// <param name="ErrorText">Text of <c>siram:Erreur</c>.</param>
/// <param name="MessageId"><c>siram:Erreur/@messageID</c> (echo of the request's <c>wsa:MessageID</c>).</param>
public sealed record InsiFault(string Code, string? Subcode, string? Reason, string? ErrorCode, string? Severity, string? ErrorText, string? MessageId)
{
    /// <summary>Service temporarily unavailable (<c>siram_40</c>, <c>insi_102</c>, <c>desir_1020</c>): the only faults worth retrying.</summary>
    public bool IsUnavailable =>
        string.Equals(Subcode, "siram_40", StringComparison.OrdinalIgnoreCase)
        || string.Equals(ErrorCode, "insi_102", StringComparison.OrdinalIgnoreCase)
        || string.Equals(ErrorCode, "desir_1020", StringComparison.OrdinalIgnoreCase);

    /// <summary>The software authorisation number (IDAM) is unknown (<c>siram_100</c> / <c>desir_550</c>).</summary>
    public bool IsUnknownSoftware =>
        string.Equals(Subcode, "siram_100", StringComparison.OrdinalIgnoreCase)
        || string.Equals(ErrorCode, "desir_550", StringComparison.OrdinalIgnoreCase);

    /// <summary>The certificate is not allowed (<c>DESIR_560</c>: CN not <c>INSI-AUTO</c>/<c>INSI-MANU</c>).</summary>
    public bool IsAccessDenied => string.Equals(ErrorCode, "DESIR_560", StringComparison.OrdinalIgnoreCase);

    /// <summary>Short form for logs and messages: <c>Sender/siram_100/desir_550</c>.</summary>
    public override string ToString() => $"{Code}/{Subcode}/{ErrorCode}";
}
