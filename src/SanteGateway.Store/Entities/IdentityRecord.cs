namespace SanteGateway.Store.Entities;

/// <summary>
/// One stored digital identity (the persistence shape of the RNIV aggregate). Traits are kept exactly as
/// validated; <see cref="BirthNameKey"/> and <see cref="FirstNameKey"/> are accent- and case-free search keys.
/// </summary>
public sealed class IdentityRecord
{
    /// <summary>Local identifier (the IPP-like id exposed by the API).</summary>
    public Guid Id { get; set; }

    /// <summary>Birth name (nom de naissance), INSi lexical profile.</summary>
    public string BirthName { get; set; } = "";

    /// <summary>Birth first names, space separated.</summary>
    public string BirthFirstNames { get; set; } = "";

    /// <summary>First first name (premier prénom de naissance).</summary>
    public string FirstFirstName { get; set; } = "";

    /// <summary>Sex: <c>F</c>, <c>M</c> or <c>U</c> (unknown).</summary>
    public string Sex { get; set; } = "U";

    /// <summary>Birth date.</summary>
    public DateOnly BirthDate { get; set; }

    /// <summary>True when a partial birth date was completed (EXI ID 11/12).</summary>
    public bool BirthDateCorrected { get; set; }

    /// <summary>INSEE COG code of the birth place, when known.</summary>
    public string? BirthPlaceCog { get; set; }

    /// <summary>Used name (nom utilisé), never auto-filled from the birth name.</summary>
    public string? UsedName { get; set; }

    /// <summary>Used first name (prénom utilisé).</summary>
    public string? UsedFirstName { get; set; }

    /// <summary>RNIV status code: <c>PROV</c>, <c>RECUP</c>, <c>VALI</c> or <c>QUAL</c>.</summary>
    public string Status { get; set; } = "PROV";

    /// <summary>RNIV attributes as flags (1 homonym, 2 doubtful, 4 fictitious).</summary>
    public int Attributes { get; set; }

    /// <summary>How the traits were collected (<c>SM</c>, <c>CV</c>, <c>INSI</c>, <c>CB</c>, <c>RFID</c>, <c>AV</c>).</summary>
    public string CollectionChannel { get; set; } = "SM";

    /// <summary>Active matricule INS (15 characters), when the identity carries one.</summary>
    public string? InsMatricule { get; set; }

    /// <summary>OID of the active matricule's assigning authority.</summary>
    public string? InsOid { get; set; }

    /// <summary>When INSi was last called successfully for this identity.</summary>
    public DateTimeOffset? InsiCalledAt { get; set; }

    /// <summary>Normalised birth name (upper case, no accents, separators collapsed): the indexed search key.</summary>
    public string BirthNameKey { get; set; } = "";

    /// <summary>Normalised first first name, same rules as <see cref="BirthNameKey"/>.</summary>
    public string FirstNameKey { get; set; } = "";

    /// <summary>Creation time (UTC).</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Last change time (UTC).</summary>
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Optimistic concurrency token, incremented by the context on every save of this row.</summary>
    public long Version { get; set; }

    /// <summary>Every matricule the identity has carried, newest last (EXI REC 07: INSi returns kept).</summary>
    public ICollection<InsHistoryEntry> InsHistory { get; } = new List<InsHistoryEntry>();

    /// <summary>High-trust (or other) documents checked for this identity.</summary>
    public ICollection<EvidenceRecord> Evidence { get; } = new List<EvidenceRecord>();

    /// <summary>Parts of the birth date unknown when declared (<c>1</c> day, <c>2</c> month): the declared form is <c>YYYY-00-00</c>.</summary>
    public int BirthDateUnknownParts { get; set; }

    /// <summary>Normalised used name (same rules as <see cref="BirthNameKey"/>), null without a used name: prefix search.</summary>
    public string? UsedNameKey { get; set; }

    /// <summary>French phonetic key of the birth name (potential-duplicate detection).</summary>
    public string BirthNamePhonetic { get; set; } = "";

    /// <summary>When INSi last confirmed the active INS (verification).</summary>
    public DateTimeOffset? InsVerifiedAt { get; set; }

    /// <summary>Set on a merged identity (tombstone): the surviving identity.</summary>
    public Guid? MergedIntoId { get; set; }

    /// <summary>When the identity was merged into <see cref="MergedIntoId"/>.</summary>
    public DateTimeOffset? MergedAt { get; set; }

    /// <summary>The merged identity as it was just before the merge (JSON), kept with the tombstone.</summary>
    public string? MergeSnapshot { get; set; }
}

/// <summary>One matricule INS the identity carried.</summary>
public sealed class InsHistoryEntry
{
    /// <summary>Row id.</summary>
    public Guid Id { get; set; }

    /// <summary>Owner identity.</summary>
    public Guid IdentityId { get; set; }

    /// <summary>Matricule INS (15 characters).</summary>
    public string Matricule { get; set; } = "";

    /// <summary>Assigning authority OID.</summary>
    public string Oid { get; set; } = "";

    /// <summary>When the matricule was obtained.</summary>
    public DateTimeOffset ObtainedAt { get; set; }

    /// <summary>Where it came from (e.g. <c>INSI</c>).</summary>
    public string Source { get; set; } = "";

    /// <summary>True for the matricule currently in use.</summary>
    public bool IsActive { get; set; }

    /// <summary>Start of validity returned by INSi (<c>DateDeb</c> of an INSHISTO entry).</summary>
    public DateOnly? ValidFrom { get; set; }

    /// <summary>End of validity returned by INSi (<c>DateFin</c> of an INSHISTO entry).</summary>
    public DateOnly? ValidTo { get; set; }
}

/// <summary>A document checked against the person (identity evidence).</summary>
public sealed class EvidenceRecord
{
    /// <summary>Row id.</summary>
    public Guid Id { get; set; }

    /// <summary>Owner identity.</summary>
    public Guid IdentityId { get; set; }

    /// <summary>Document type code (PAM ZFD-7 / FR Core: <c>CN</c>, <c>PA</c>, <c>CS</c>, ...).</summary>
    public string DocumentType { get; set; } = "";

    /// <summary>True when the document type is a high-trust identification device.</summary>
    public bool IsHighTrust { get; set; }

    /// <summary>Day the document was checked.</summary>
    public DateOnly CheckedOn { get; set; }

    /// <summary>End of validity of the document, when printed on it.</summary>
    public DateOnly? ExpiresOn { get; set; }

    /// <summary>Who checked it (user or API client id).</summary>
    public string CheckedBy { get; set; } = "";

    /// <summary>Recording time.</summary>
    public DateTimeOffset RecordedAt { get; set; }

    /// <summary>When the evidence was withdrawn (doubt on the document, QUAL reverted); withdrawn evidence no longer counts.</summary>
    public DateTimeOffset? WithdrawnAt { get; set; }
}
