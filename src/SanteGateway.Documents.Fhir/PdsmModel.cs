namespace SanteGateway.Documents.Fhir;

/// <summary>Canonical URLs and systems used by PDSm and its DMP overlay (PDSm4DMP, draft).</summary>
public static class Pdsm
{
    /// <summary>Base of the PDSm canonicals (package <c>ans.fhir.fr.pdsm</c> 3.1.1).</summary>
    public const string Base = "https://interop.esante.gouv.fr/ig/fhir/pdsm/StructureDefinition/";

    /// <summary>ITI-65 provide bundle profile.</summary>
    public const string ProvideBundleProfile = Base + "pdsm-comprehensive-provide-document-bundle";

    /// <summary>SubmissionSet (List) profile.</summary>
    public const string SubmissionSetProfile = Base + "pdsm-submissionset-comprehensive";

    /// <summary>DocumentReference profile.</summary>
    public const string DocumentReferenceProfile = Base + "pdsm-comprehensive-document-reference";

    /// <summary>ITI-105 simplified publish DocumentReference profile.</summary>
    public const string SimplifiedPublishProfile = Base + "pdsm-simplified-publish";

    /// <summary>ITI-67 find response profile.</summary>
    public const string FindResponseProfile = Base + "pdsm-find-documentreferences-comprehensive-response";

    /// <summary>IHE MHD extensions of the submission set.</summary>
    public const string SourceIdExtension = "https://profiles.ihe.net/ITI/MHD/StructureDefinition/ihe-sourceId";

    /// <summary>IHE MHD designationType extension (the submission set's contentTypeCode).</summary>
    public const string DesignationTypeExtension = "https://profiles.ihe.net/ITI/MHD/StructureDefinition/ihe-designationType";

    /// <summary>IHE MHD sourcePatientId extension.</summary>
    public const string SourcePatientIdExtension = "https://profiles.ihe.net/ITI/MHD/StructureDefinition/ihe-sourcePatientId";

    /// <summary>MHD list types code system.</summary>
    public const string ListTypes = "https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes";

    /// <summary>URI system of identifiers that are URIs (<c>urn:oid:…</c>, <c>urn:uuid:…</c>).</summary>
    public const string UriSystem = "urn:ietf:rfc:3986";

    /// <summary>National PS identifier (idNat_PS) system.</summary>
    public const string IdNatPs = "urn:oid:1.2.250.1.71.4.2.1";

    /// <summary>National structure identifier (idNat_Struct) system.</summary>
    public const string IdNatStruct = "urn:oid:1.2.250.1.71.4.2.2";

    /// <summary>
    /// Extensions of the DMP Patient in the PDSm4DMP draft (TD0.2 equivalent); <c>dmp-fermeture</c> marks a closed DMP.
    /// UNCONFIRMED: draft IG, no live service.
    /// </summary>
    public const string DmpExtensionBase = "https://interop.esante.gouv.fr/ig/fhir/dmp/StructureDefinition/";

    /// <summary>Closed DMP extension (draft).</summary>
    public const string DmpClosedExtension = DmpExtensionBase + "dmp-fermeture";

    /// <summary>
    /// Patient opposed to feeding. The draft keeps opposition local to the software; the sandbox signals it with this
    /// extension (boolean) so that the gate can be tested. UNCONFIRMED: no such element in any published IG.
    /// </summary>
    public const string DmpOppositionExtension = DmpExtensionBase + "dmp-opposition-alimentation";

    /// <summary>FHIR system of a code system given as an OID: the well-known ones by their URL, others as <c>urn:oid:</c>.</summary>
    /// <param name="codeSystem">OID or URI.</param>
    /// <returns>The FHIR system.</returns>
    public static string System(string codeSystem)
    {
        ArgumentNullException.ThrowIfNull(codeSystem);
        return codeSystem switch
        {
            "2.16.840.1.113883.6.1" => "http://loinc.org",
            "2.16.840.1.113883.5.25" => "http://terminology.hl7.org/CodeSystem/v3-Confidentiality",
            "1.3.6.1.4.1.19376.1.2.3" => "http://ihe.net/fhir/ihe.formatcode.fhir/CodeSystem/formatcode",
            "1.2.250.1.213.1.1.4.1" => "https://mos.esante.gouv.fr/NOS/TRE_A03-ClasseDocument/FHIR/TRE-A03-ClasseDocument",
            "1.2.250.1.71.4.2.4" => "https://mos.esante.gouv.fr/NOS/TRE_R02-SecteurActivite/FHIR/TRE-R02-SecteurActivite",
            _ when codeSystem.Contains(':', StringComparison.Ordinal) => codeSystem,
            _ => "urn:oid:" + codeSystem,
        };
    }

    /// <summary>The inverse of <see cref="System"/>: the OID of a FHIR system.</summary>
    /// <param name="system">FHIR system.</param>
    /// <returns>The OID, or the system unchanged.</returns>
    public static string Oid(string? system) => system switch
    {
        null => string.Empty,
        "http://loinc.org" => "2.16.840.1.113883.6.1",
        "http://terminology.hl7.org/CodeSystem/v3-Confidentiality" => "2.16.840.1.113883.5.25",
        "http://ihe.net/fhir/ihe.formatcode.fhir/CodeSystem/formatcode" => "1.3.6.1.4.1.19376.1.2.3",
        "https://mos.esante.gouv.fr/NOS/TRE_A03-ClasseDocument/FHIR/TRE-A03-ClasseDocument" => "1.2.250.1.213.1.1.4.1",
        "https://mos.esante.gouv.fr/NOS/TRE_R02-SecteurActivite/FHIR/TRE-R02-SecteurActivite" => "1.2.250.1.71.4.2.4",
        _ when system.StartsWith("urn:oid:", StringComparison.Ordinal) => system[8..],
        _ => system,
    };

    /// <summary>
    /// masterIdentifier of an XDS uniqueId: <c>urn:ietf:rfc:3986</c> + <c>urn:oid:ROOT</c> for a bare OID, otherwise
    /// the root as <c>urn:oid:</c> system and the extension as value (IHE MHD mapping of <c>root^extension</c>).
    /// </summary>
    /// <param name="uniqueId">XDS uniqueId.</param>
    /// <returns>System and value.</returns>
    public static (string System, string Value) MasterIdentifier(string uniqueId)
    {
        ArgumentNullException.ThrowIfNull(uniqueId);
        var hat = uniqueId.IndexOf('^', StringComparison.Ordinal);
        return hat < 0 ? (UriSystem, "urn:oid:" + uniqueId) : ("urn:oid:" + uniqueId[..hat], uniqueId[(hat + 1)..]);
    }

    /// <summary>The XDS uniqueId of a masterIdentifier (inverse of <see cref="MasterIdentifier"/>).</summary>
    /// <param name="system">System.</param>
    /// <param name="value">Value.</param>
    /// <returns>The uniqueId, or null when unreadable.</returns>
    public static string? UniqueId(string? system, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        if (system == UriSystem)
        {
            return value.StartsWith("urn:oid:", StringComparison.Ordinal) ? value[8..] : value;
        }

        return system is not null && system.StartsWith("urn:oid:", StringComparison.Ordinal) ? system[8..] + "^" + value : null;
    }
}

/// <summary>A coded value (code, FHIR system or OID, display).</summary>
/// <param name="Code">Code.</param>
/// <param name="System">Code system: an OID (mapped by <see cref="Pdsm.System"/>) or a URI.</param>
/// <param name="Display">Display.</param>
public sealed record PdsmCode(string Code, string System, string? Display = null);

/// <summary>An author: a professional (national id) and/or the structure.</summary>
/// <param name="Id">Professional id (idNat_PS).</param>
/// <param name="IdSystem">OID of <paramref name="Id"/>.</param>
/// <param name="Family">Family name.</param>
/// <param name="Given">Given name.</param>
/// <param name="InstitutionId">Structure id.</param>
/// <param name="InstitutionName">Structure name.</param>
public sealed record PdsmAuthor(string? Id, string? IdSystem, string? Family, string? Given, string? InstitutionId, string? InstitutionName);

/// <summary>One document and its metadata, as sent in an ITI-65 provide document bundle.</summary>
public sealed record PdsmDocument
{
    /// <summary>INS OID (<c>1.2.250.1.213.1.4.8</c> NIR, …).</summary>
    public required string InsOid { get; init; }

    /// <summary>INS matricule.</summary>
    public required string InsValue { get; init; }

    /// <summary>Local patient id (IPP) OID, or null (the INS is the source id).</summary>
    public string? SourcePatientOid { get; init; }

    /// <summary>Local patient id (IPP) value.</summary>
    public string? SourcePatientValue { get; init; }

    /// <summary>Document uniqueId (XDS form: OID or <c>OID^extension</c>).</summary>
    public required string UniqueId { get; init; }

    /// <summary>
    /// entryUUID of the document entry (<c>urn:uuid:…</c>): the DocumentReference's full URL and official identifier,
    /// kept across retries so that the manager sees the same entry; a fresh one when null.
    /// </summary>
    public string? EntryUuid { get; init; }

    /// <summary>Submission set uniqueId (an OID).</summary>
    public required string SubmissionSetUniqueId { get; init; }

    /// <summary>OID of the sending system.</summary>
    public required string SourceId { get; init; }

    /// <summary>category (classCode).</summary>
    public required PdsmCode ClassCode { get; init; }

    /// <summary>type (LOINC).</summary>
    public required PdsmCode TypeCode { get; init; }

    /// <summary>content.format.</summary>
    public required PdsmCode FormatCode { get; init; }

    /// <summary>securityLabel.</summary>
    public required PdsmCode ConfidentialityCode { get; init; }

    /// <summary>context.facilityType.</summary>
    public required PdsmCode FacilityTypeCode { get; init; }

    /// <summary>context.practiceSetting.</summary>
    public required PdsmCode PracticeSettingCode { get; init; }

    /// <summary>Submission set designationType (contentTypeCode).</summary>
    public required PdsmCode ContentTypeCode { get; init; }

    /// <summary>Title (attachment title); required by PDSm.</summary>
    public required string Title { get; init; }

    /// <summary>Language.</summary>
    public required string LanguageCode { get; init; }

    /// <summary>MIME type.</summary>
    public required string MimeType { get; init; }

    /// <summary>Document creation (CDA effectiveTime).</summary>
    public required DateTimeOffset CreationTime { get; init; }

    /// <summary>Start of the act (context.period.start); the creation time when unknown.</summary>
    public DateTimeOffset? ServiceStartTime { get; init; }

    /// <summary>Submission time.</summary>
    public required DateTimeOffset SubmissionTime { get; init; }

    /// <summary>Authors (one at least).</summary>
    public required IReadOnlyList<PdsmAuthor> Authors { get; init; }

    /// <summary>
    /// The legal authenticator (CDA <c>legalAuthenticator</c>): the professional, and the organisation they act for, who
    /// took responsibility for the content. Sent as <c>DocumentReference.authenticator</c>, which PDSm requires (1..1) for
    /// ITI-65: a contained <c>PractitionerRole</c> (with its contained <c>Practitioner</c> and <c>Organization</c>), or the
    /// contained <c>Organization</c> alone when no person is named. The author's role is reused when it is the same person.
    /// </summary>
    public PdsmAuthor? LegalAuthenticator { get; init; }

    /// <summary>Custodian organisation name (the structure).</summary>
    public string? CustodianName { get; init; }

    /// <summary>Custodian structure id.</summary>
    public string? CustodianId { get; init; }

    /// <summary>Server id (<c>DocumentReference.id</c>) of the document this one replaces, if any.</summary>
    public string? ReplacesId { get; init; }

    /// <summary>The bytes.</summary>
    public required ReadOnlyMemory<byte> Content { get; init; }
}
