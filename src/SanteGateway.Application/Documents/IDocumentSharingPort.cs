using SanteGateway.Identity;

namespace SanteGateway.Application;

/// <summary>
/// The shared health record (DMP / Mon espace santé) as the use cases see it: one implementation per transport (XDS.b
/// over SOAP, PDSm over FHIR), registered by the host. The use case applies every identity rule before calling it.
/// </summary>
public interface IDocumentSharingPort
{
    /// <summary>Transport name: <c>xds</c> or <c>pdsm</c>.</summary>
    string Transport { get; }

    /// <summary>True when the endpoint is a production one: test and demonstration INS OIDs are never sent there.</summary>
    bool IsProductionEndpoint { get; }

    /// <summary>Does the patient have a DMP, and is it active (DMPi TD0.2 equivalent)?</summary>
    /// <param name="ins">The patient's INS.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    /// <returns>The state; never throws for a service answer or a transport failure.</returns>
    Task<DmpStatusResult> GetDmpStatusAsync(InsIdentifier ins, CancellationToken cancellationToken);

    /// <summary>Provides and registers one document with its metadata (ITI-41 / ITI-65).</summary>
    /// <param name="document">The document and its metadata.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    /// <returns>The registry's answer; never throws for a service answer or a transport failure.</returns>
    Task<ShareResult> ProvideAsync(SharedDocument document, CancellationToken cancellationToken);
}

/// <summary>State of a patient's DMP.</summary>
public enum DmpState
{
    /// <summary>The DMP exists and is active: it may be fed.</summary>
    Active,

    /// <summary>No DMP for this INS.</summary>
    None,

    /// <summary>The DMP is closed.</summary>
    Closed,

    /// <summary>The patient opposed feeding (or the DMP refuses this author).</summary>
    Opposed,

    /// <summary>No usable answer (network, timeout, a fault of the service itself): transient, asked again later.</summary>
    Unknown,

    /// <summary>The service refused the state request itself (SOAP <c>Sender</c> fault, HTTP 4xx): the request, the VIHF
    /// or the credentials are at fault, so asking again unchanged cannot succeed. A permanent refusal, never retried.</summary>
    Refused,
}

/// <summary>Answer of <see cref="IDocumentSharingPort.GetDmpStatusAsync"/>.</summary>
/// <param name="State">The state.</param>
/// <param name="Code">Service code or failure code (<c>transport</c>, <c>http 503</c>, …).</param>
/// <param name="Error">Explanation when <see cref="DmpState.Unknown"/> or <see cref="DmpState.Refused"/>: the service's own
/// reason (never identity data).</param>
public sealed record DmpStatusResult(DmpState State, string? Code = null, string? Error = null);

/// <summary>A coded value of the metadata (code, code system OID, display name).</summary>
/// <param name="Code">Code.</param>
/// <param name="CodeSystem">Code system (OID or URN).</param>
/// <param name="Display">Display name.</param>
public sealed record SharedCode(string Code, string CodeSystem, string? Display = null);

/// <summary>Author of a document (from the CDA header).</summary>
/// <param name="Id">National PS identifier (e.g. <c>8</c> + RPPS) or device id.</param>
/// <param name="IdRoot">OID of the identifier.</param>
/// <param name="Family">Family name.</param>
/// <param name="Given">Given name.</param>
/// <param name="InstitutionId">Structure id (FINESS, SIRET…).</param>
/// <param name="InstitutionName">Structure name.</param>
public sealed record SharedAuthor(string? Id, string? IdRoot, string? Family, string? Given, string? InstitutionId, string? InstitutionName);

/// <summary>A document with the metadata of one XDS document entry and its submission set.</summary>
public sealed record SharedDocument
{
    /// <summary>The patient's INS (the gate checked it is qualified).</summary>
    public required InsIdentifier Ins { get; init; }

    /// <summary>patientId: the INS as a CX (<c>matricule^^^&amp;OID&amp;ISO^NH</c>).</summary>
    public required string PatientId { get; init; }

    /// <summary>sourcePatientId: the local id (IPP) as a CX, or the INS when there is none.</summary>
    public required string SourcePatientId { get; init; }

    /// <summary>Document uniqueId.</summary>
    public required string UniqueId { get; init; }

    /// <summary>Symbolic or UUID entry id of the document entry (<c>urn:uuid:…</c>).</summary>
    public required string EntryUuid { get; init; }

    /// <summary>Submission set uniqueId (an OID).</summary>
    public required string SubmissionSetUniqueId { get; init; }

    /// <summary>sourceId of the submission set: the OID of the sending system.</summary>
    public required string SourceId { get; init; }

    /// <summary>classCode.</summary>
    public required SharedCode ClassCode { get; init; }

    /// <summary>typeCode (LOINC).</summary>
    public required SharedCode TypeCode { get; init; }

    /// <summary>formatCode.</summary>
    public required SharedCode FormatCode { get; init; }

    /// <summary>confidentialityCode.</summary>
    public required SharedCode ConfidentialityCode { get; init; }

    /// <summary>healthcareFacilityTypeCode.</summary>
    public required SharedCode HealthcareFacilityTypeCode { get; init; }

    /// <summary>practiceSettingCode.</summary>
    public required SharedCode PracticeSettingCode { get; init; }

    /// <summary>contentTypeCode of the submission set.</summary>
    public required SharedCode ContentTypeCode { get; init; }

    /// <summary>Title.</summary>
    public string? Title { get; init; }

    /// <summary>languageCode (e.g. <c>fr-FR</c>).</summary>
    public required string LanguageCode { get; init; }

    /// <summary>MIME type (<c>text/xml</c> for a CDA).</summary>
    public required string MimeType { get; init; }

    /// <summary>creationTime (the CDA effectiveTime).</summary>
    public required DateTimeOffset CreationTime { get; init; }

    /// <summary>serviceStartTime, when the CDA gives one.</summary>
    public DateTimeOffset? ServiceStartTime { get; init; }

    /// <summary>Submission time.</summary>
    public required DateTimeOffset SubmissionTime { get; init; }

    /// <summary>SHA-1 of the content, lower-case hex.</summary>
    public required string Hash { get; init; }

    /// <summary>Size in bytes.</summary>
    public required long Size { get; init; }

    /// <summary>Authors (at least one).</summary>
    public required IReadOnlyList<SharedAuthor> Authors { get; init; }

    /// <summary>
    /// The legal authenticator (CDA <c>legalAuthenticator</c>): who took responsibility for the content. PDSm sends it as
    /// <c>DocumentReference.authenticator</c> (required there); null when the CDA has none.
    /// </summary>
    public SharedAuthor? LegalAuthenticator { get; init; }

    /// <summary>uniqueId of the replaced document (RPLC), if any.</summary>
    public string? ReplacesUniqueId { get; init; }

    /// <summary>entryUUID of the replaced document entry, if any.</summary>
    public string? ReplacesEntryUuid { get; init; }

    /// <summary>The document bytes.</summary>
    public required ReadOnlyMemory<byte> Content { get; init; }
}

/// <summary>How a provide call ended.</summary>
public enum ShareOutcome
{
    /// <summary>Registered.</summary>
    Accepted,

    /// <summary>Refused by the registry: sending it again unchanged will not help.</summary>
    Refused,

    /// <summary>No usable answer (transport, timeout, server error): it may be sent again.</summary>
    Failed,
}

/// <summary>One error of the registry.</summary>
/// <param name="Code">XDS errorCode, or FHIR issue code.</param>
/// <param name="Context">Registry text (codeContext / diagnostics).</param>
/// <param name="Location">Location, when given.</param>
public sealed record ShareError(string Code, string? Context, string? Location = null);

/// <summary>Answer of <see cref="IDocumentSharingPort.ProvideAsync"/>.</summary>
/// <param name="Outcome">Outcome.</param>
/// <param name="Errors">Registry errors (empty on success).</param>
/// <param name="Duration">Round trip.</param>
public sealed record ShareResult(ShareOutcome Outcome, IReadOnlyList<ShareError> Errors, TimeSpan Duration)
{
    /// <summary>A transport failure.</summary>
    /// <param name="code">Failure code.</param>
    /// <param name="message">Description.</param>
    /// <returns>The result.</returns>
    public static ShareResult Failure(string code, string message) => new(ShareOutcome.Failed, [new ShareError(code, message)], TimeSpan.Zero);
}
