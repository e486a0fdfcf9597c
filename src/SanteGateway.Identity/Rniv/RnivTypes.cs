namespace SanteGateway.Identity;

/// <summary>The four RNIV confidence statuses of a stored identity (mutually exclusive).</summary>
/// <remarks>Two axes: I = traits obtained from INSi, C = checked against a high-trust identification device.</remarks>
public enum IdentityStatus
{
    /// <summary>Identité provisoire: neither from INSi nor checked (I−, C−). Holds no INS.</summary>
    Prov,

    /// <summary>Identité récupérée: from INSi, not checked (I+, C−). Holds an INS, which must not be sent.</summary>
    Recup,

    /// <summary>Identité validée: checked, not from INSi (I−, C+). Holds no INS.</summary>
    Vali,

    /// <summary>Identité qualifiée: from INSi and checked (I+, C+). The only status whose INS may be sent.</summary>
    Qual,
}

/// <summary>RNIV attributes of an identity. Only <see cref="Doubtful"/> + <see cref="Homonym"/> may be combined.</summary>
[Flags]
public enum IdentityAttributes
{
    /// <summary>No attribute.</summary>
    None = 0,

    /// <summary>Homonyme avéré (HOMA): a vigilance flag, compatible with every status.</summary>
    Homonym = 1,

    /// <summary>Identité douteuse (DOUT): forces PROV, blocks INSi calls, drops the INS.</summary>
    Doubtful = 2,

    /// <summary>Identité fictive (FICT): same constraints as doubtful; combines with no other attribute.</summary>
    Fictitious = 4,
}

/// <summary>How the identity was collected (HL7 ZFD-5, FR Core <c>methodCollection</c>).</summary>
public enum CollectionChannel
{
    /// <summary>Saisie manuelle: typed in.</summary>
    SM,

    /// <summary>Carte Vitale.</summary>
    CV,

    /// <summary>Téléservice INSi.</summary>
    INSI,

    /// <summary>Code-barre: scan of an INS DataMatrix.</summary>
    CB,

    /// <summary>Puce RFID.</summary>
    RFID,

    /// <summary>Application carte Vitale (AppCV).</summary>
    AV,
}

/// <summary>The check of an identification document.</summary>
/// <param name="DocumentType">Document type code (HL7 ZFD-7 / FR Core validationMode: <c>CN</c>, <c>PA</c>, <c>CS</c>, <c>AV</c>, <c>IE</c>…).</param>
/// <param name="CheckedOn">When the document was checked.</param>
/// <param name="ExpiresOn">End of validity of the document, when it has one.</param>
public sealed record Evidence(string DocumentType, DateOnly CheckedOn, DateOnly? ExpiresOn)
{
    /// <summary>True when the document had expired on the day it was checked.</summary>
    public bool IsExpired => ExpiresOn is { } end && end < CheckedOn;
}

/// <summary>The outcome of an RNIV transition: done, or refused with the reason (the identity is then unchanged).</summary>
/// <param name="Succeeded">True when the transition was applied.</param>
/// <param name="Reason">Why it was refused; null on success.</param>
public sealed record TransitionResult(bool Succeeded, string? Reason)
{
    /// <summary>A successful transition.</summary>
    public static TransitionResult Ok { get; } = new(true, null);

    /// <summary>A refused transition.</summary>
    /// <param name="reason">Why.</param>
    /// <returns>The result.</returns>
    public static TransitionResult Refused(string reason) => new(false, reason);

    /// <summary>A refused transition with the stable code of the rule it breaks.</summary>
    /// <param name="rule">Rule code, e.g. <c>rniv.strict-traits-locked</c>.</param>
    /// <param name="reason">Why.</param>
    /// <returns>The result.</returns>
    public static TransitionResult Refused(string rule, string reason) => new(false, reason) { Rule = rule };

    /// <summary>Stable code of the broken rule, when the transition names one.</summary>
    public string? Rule { get; init; }
}

/// <summary>Identification document type codes (HL7 table IHE-FRANCE-ZFD-7 and FR Core validationMode). Not all are high-trust.</summary>
public static class DocumentTypes
{
    /// <summary>Document codes accepted as evidence (PAM ZFD-7 and FR Core validation modes); which of them are high-trust is the structure's choice.</summary>
    public static IReadOnlySet<string> Known { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "AN", "CC", "CE", "CM", "CN", "CS", "LE", "PA", "PC", "TC", "AV", "DC", "AC", "IE", "ECN", "IN", "LECV", "LEP", "ANCV", "CIMS",
    };

    /// <summary>Collection channels a caller may declare when creating an identity (<c>INSI</c> is set only after an INSi call).</summary>
    public static IReadOnlySet<CollectionChannel> DeclarableChannels { get; } = new HashSet<CollectionChannel>
    {
        CollectionChannel.SM, CollectionChannel.CV, CollectionChannel.CB, CollectionChannel.RFID, CollectionChannel.AV,
    };

    /// <summary>Carte nationale d'identité.</summary>
    public const string NationalIdentityCard = "CN";

    /// <summary>Passeport.</summary>
    public const string Passport = "PA";

    /// <summary>Titre de séjour.</summary>
    public const string ResidencePermit = "CS";

    /// <summary>Application carte Vitale.</summary>
    public const string AppCarteVitale = "AV";

    /// <summary>Identification électronique eIDAS.</summary>
    public const string ElectronicIdentification = "IE";

    /// <summary>Extrait d'acte de naissance.</summary>
    public const string BirthCertificateExtract = "AN";

    /// <summary>Livret de famille.</summary>
    public const string FamilyRecordBook = "LE";

    /// <summary>Permis de conduire (not high-trust).</summary>
    public const string DrivingLicence = "PC";

    /// <summary>Document de circulation pour étranger mineur.</summary>
    public const string MinorTravelDocument = "DC";
}

/// <summary>
/// The identification devices a structure has chosen as high-trust (dispositifs à haut niveau de confiance).
/// </summary>
/// <remarks>There is deliberately no default list and no parameterless constructor: the RNIV (EXI ID 19, EXI SI 10/23) requires
/// each structure to configure its own list with nothing pre-selected. Codes are compared case-insensitively.</remarks>
public sealed class HighTrustDocumentPolicy
{
    private readonly HashSet<string> _codes;

    /// <summary>Builds the policy from the structure's configured codes (e.g. <c>CN</c>, <c>PA</c>, <c>CS</c>, <c>AV</c>, <c>IE</c>).</summary>
    /// <param name="documentTypes">At least one non-blank code.</param>
    /// <exception cref="ArgumentException">The list is empty or holds a blank code.</exception>
    public HighTrustDocumentPolicy(IEnumerable<string> documentTypes)
    {
        ArgumentNullException.ThrowIfNull(documentTypes);
        _codes = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var code in documentTypes)
        {
            if (string.IsNullOrWhiteSpace(code))
            {
                throw new ArgumentException("A high-trust document type code is blank.", nameof(documentTypes));
            }

            _codes.Add(code.Trim());
        }

        if (_codes.Count == 0)
        {
            throw new ArgumentException("The structure must configure at least one high-trust document type (there is no default).", nameof(documentTypes));
        }
    }

    /// <summary>The configured codes.</summary>
    public IReadOnlyCollection<string> DocumentTypes => _codes;

    /// <summary>True when the structure configured this document type as high-trust.</summary>
    /// <param name="documentType">The code.</param>
    /// <returns>True when listed.</returns>
    public bool IsHighTrust(string? documentType) => documentType is not null && _codes.Contains(documentType.Trim());

    /// <summary>Checks that evidence may support a validation: a configured high-trust type and not expired when checked.</summary>
    /// <param name="evidence">The evidence.</param>
    /// <param name="reason">Why it is refused, when the method returns false.</param>
    /// <returns>True when acceptable.</returns>
    public bool Accepts(Evidence evidence, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? reason)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        if (!IsHighTrust(evidence.DocumentType))
        {
            reason = $"Document type '{evidence.DocumentType}' is not in the structure's high-trust list.";
            return false;
        }

        if (evidence.IsExpired)
        {
            reason = "The document had expired when it was checked; an expired document is not evidence.";
            return false;
        }

        reason = null;
        return true;
    }
}
