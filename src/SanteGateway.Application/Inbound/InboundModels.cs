using SanteGateway.Identity;

namespace SanteGateway.Application;

/// <summary>The four outcomes of the inbound gate.</summary>
public static class InboundDecisions
{
    /// <summary>The data belongs to one local identity.</summary>
    public const string Attach = "attach";

    /// <summary>A provisional identity was created for it (the partner allows it).</summary>
    public const string Create = "create";

    /// <summary>Waiting for identity vigilance.</summary>
    public const string Hold = "hold";

    /// <summary>Refused (unreadable, refused INS for the environment, or by a reviewer).</summary>
    public const string Reject = "reject";
}

/// <summary>A partner's settings as the gate uses them (from the store, else from configuration).</summary>
/// <param name="Id">Partner code (<c>X-Partner</c>).</param>
/// <param name="Name">Display name.</param>
/// <param name="AssigningAuthority">Assigning authority (OID or namespace) of the partner's patient ids.</param>
/// <param name="AuthorityAliases">Other names of the same authority (HL7 namespace beside the OID).</param>
/// <param name="Transport">How it sends (<c>api</c>, <c>mllp</c>, <c>fhir</c>, <c>folder</c>).</param>
/// <param name="VerifyInsWithInsi">Verify a received qualified INS through INSi (INSI-AUTO) before attaching.</param>
/// <param name="AllowCreate">Create a provisional identity when nobody matches (else hold).</param>
/// <param name="QualifiedCode">Status code the partner sends with a qualified identity (<c>VALI</c> or <c>QUAL</c>).</param>
/// <param name="Enabled">Disabled partners are refused.</param>
public sealed record InboundPartnerSettings(
    string Id,
    string Name,
    string AssigningAuthority,
    IReadOnlyList<string> AuthorityAliases,
    string Transport,
    bool VerifyInsWithInsi,
    bool AllowCreate,
    string QualifiedCode,
    bool Enabled = true)
{
    /// <summary>Every name of the partner's assigning authority (OID first).</summary>
    public IReadOnlyList<string> Authorities => [AssigningAuthority, .. AuthorityAliases];

    /// <summary>FINESS of the establishment its data is received for: the gate's INSi calls present that establishment's certificates (null = the default one).</summary>
    public string? Establishment { get; init; }
}

/// <summary>A partner declared in configuration (<c>Inbound:Partners</c>); a row of the same id in the store wins.</summary>
public sealed class InboundPartnerOption
{
    /// <summary>Partner code.</summary>
    public string Id { get; set; } = "";

    /// <summary>Display name (the code when empty).</summary>
    public string? Name { get; set; }

    /// <summary>Assigning authority of its patient ids.</summary>
    public string AssigningAuthority { get; set; } = "";

    /// <summary>Other names of the authority.</summary>
    public IList<string> AuthorityAliases { get; } = [];

    /// <summary>Transport.</summary>
    public string Transport { get; set; } = "api";

    /// <summary>Verify the received INS through INSi.</summary>
    public bool VerifyInsWithInsi { get; set; }

    /// <summary>Create provisional identities when nobody matches.</summary>
    public bool AllowCreate { get; set; }

    /// <summary>Qualified code (<c>VALI</c> or <c>QUAL</c>).</summary>
    public string QualifiedCode { get; set; } = "VALI";

    /// <summary>FINESS of the establishment its data is received for (<c>Gateway:Establishments</c>); empty = the default one.</summary>
    public string? Establishment { get; set; }
}

/// <summary>Settings of the inbound gate.</summary>
public sealed class InboundOptions
{
    /// <summary>Partners declared in configuration.</summary>
    public IList<InboundPartnerOption> Partners { get; } = [];

    /// <summary>Largest body accepted (default 16 MiB).</summary>
    public int MaxBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Where accepted data (attach, create) is delivered: the publisher's software (webhook, MLLP, folder).</summary>
    public IList<InboundRouteOption> Routes { get; } = [];

    /// <summary>Delivery retries and dead letters.</summary>
    public InboundDeliveryOptions Delivery { get; set; } = new();

    /// <summary>
    /// How long a partner's settings are kept in memory (default 5 s; 0 = read the store for every item). A change made
    /// through this gateway (partner endpoints, establishment assignment) is seen at once; one made by another instance on the
    /// same database is seen after at most this long.
    /// </summary>
    public double PartnerCacheSeconds { get; set; } = 5;

    /// <summary>
    /// Group commit: decisions of items arriving at the same time are committed together, at most this many per transaction
    /// (default 64; 1 = one commit per item). Each sender is answered only once the transaction holding its item is committed.
    /// </summary>
    public int MaxGroupCommit { get; set; } = 64;
}

/// <summary>An identifier of the patient in some domain, as received.</summary>
/// <param name="Value">The identifier.</param>
/// <param name="Authorities">Every name the sender gave its assigning authority (namespace, OID).</param>
/// <param name="Type">Identifier type (HL7 CX-5 <c>PI</c>, FHIR type code), when sent.</param>
public sealed record ReceivedIdentifier(string Value, IReadOnlyList<string> Authorities, string? Type = null);

/// <summary>The patient of a received message or document, as the sender described it (before any decision).</summary>
public sealed record ReceivedPatient
{
    /// <summary>Identifiers that are not an INS (IPP, partner ids, ids of other domains).</summary>
    public IReadOnlyList<ReceivedIdentifier> Identifiers { get; init; } = [];

    /// <summary>The traits, or null when they could not be built (see <see cref="TraitProblems"/>).</summary>
    public IdentityTraits? Traits { get; init; }

    /// <summary>Why the traits are missing or incomplete (rule codes, no identity data).</summary>
    public IReadOnlyList<string> TraitProblems { get; init; } = [];

    /// <summary>The INS as received, when its matricule and key are valid and its OID is an INS OID (whatever the environment policy).</summary>
    public InsIdentifier? Ins { get; init; }

    /// <summary>When an INS was sent but is unusable (wrong key, malformed, several different ones): the rule.</summary>
    public string? InsProblem { get; init; }

    /// <summary>Identity status code as received (PID-32, FHIR identityStatus), or null.</summary>
    public string? StatusCode { get; init; }

    /// <summary>True where the format itself carries the INS only for a qualified identity (CDA header: no status element).</summary>
    public bool InsImpliesQualified { get; init; }

    /// <summary>Attributes received (HOMA, DOUT, FICT).</summary>
    public IdentityAttributes Attributes { get; init; }

    /// <summary>A contradiction inside the message (e.g. the embedded CDA names another INS than PID-3): the rule, or null.</summary>
    public string? Contradiction { get; init; }
}

/// <summary>What a reader made of a received payload.</summary>
/// <param name="Format"><c>hl7v2</c>, <c>fhir</c>, <c>cda</c>, or null when not recognised.</param>
/// <param name="Kind">What it is (<c>ORU^R01</c>, <c>Bundle</c>, <c>ClinicalDocument</c>).</param>
/// <param name="MessageId">The sender's id of it.</param>
/// <param name="Patient">The patient, or null when none could be read.</param>
/// <param name="ErrorRule">Why it is unreadable (rule), or null.</param>
/// <param name="Error">Explanation (position, no content).</param>
public sealed record InboundExtraction(string? Format, string? Kind, string? MessageId, ReceivedPatient? Patient, string? ErrorRule = null, string? Error = null)
{
    /// <summary>An unreadable payload.</summary>
    /// <param name="format">Format, when recognised.</param>
    /// <param name="rule">Rule.</param>
    /// <param name="error">Explanation.</param>
    /// <returns>The extraction.</returns>
    public static InboundExtraction Unreadable(string? format, string rule, string error) => new(format, null, null, null, rule, error);
}

/// <summary>
/// Reads the patient of a received HL7 v2 message, FHIR resource or CDA document. Implemented by the host over the interop
/// libraries (the application layer knows no wire format); must never throw on hostile input.
/// </summary>
public interface IInboundExtractor
{
    /// <summary>Reads a payload.</summary>
    /// <param name="raw">The bytes as received.</param>
    /// <param name="contentType">Content type as received (may be empty: the reader then sniffs).</param>
    /// <param name="partner">The sending partner.</param>
    /// <returns>The extraction.</returns>
    InboundExtraction Extract(ReadOnlyMemory<byte> raw, string contentType, InboundPartnerSettings partner);

    /// <summary>
    /// Reads a payload its transport has already parsed (the MLLP listener parses each message to answer it): a reader that
    /// recognises <paramref name="parsed"/> for these very bytes reuses it rather than parsing them again. The extraction must
    /// be the one <see cref="Extract(ReadOnlyMemory{byte}, string, InboundPartnerSettings)"/> gives for the bytes.
    /// </summary>
    /// <param name="raw">The bytes as received.</param>
    /// <param name="contentType">Content type as received.</param>
    /// <param name="partner">The sending partner.</param>
    /// <param name="parsed">The transport's reading of <paramref name="raw"/>, or null.</param>
    /// <returns>The extraction.</returns>
    InboundExtraction Extract(ReadOnlyMemory<byte> raw, string contentType, InboundPartnerSettings partner, object? parsed) => Extract(raw, contentType, partner);
}

/// <summary>The answer to a received item: what the gate decided.</summary>
/// <param name="Id">Item id (for <c>GET /api/inbound/{id}</c>).</param>
/// <param name="Decision"><c>attach</c>, <c>create</c>, <c>hold</c>, <c>reject</c>; null when the decision is still pending (stored, decided later).</param>
/// <param name="IdentityId">Local identity (attach, create).</param>
/// <param name="Reason">Why.</param>
/// <param name="Rule">The rule applied.</param>
/// <param name="State">Item state.</param>
public sealed record InboundAccepted(Guid Id, string? Decision, Guid? IdentityId, string? Reason, string? Rule, string State);

/// <summary>The patient as received, for the review screen.</summary>
/// <param name="BirthName">Birth name.</param>
/// <param name="BirthFirstNames">Birth first names.</param>
/// <param name="FirstFirstName">First first-name.</param>
/// <param name="Sex">F, M, U.</param>
/// <param name="BirthDate">Birth date (declared form).</param>
/// <param name="BirthPlaceCog">Birth place.</param>
/// <param name="InsMatricule">INS as received (even when not trusted).</param>
/// <param name="InsOid">Its OID.</param>
/// <param name="InsTrusted">Whether the gate trusted it.</param>
/// <param name="StatusCode">Status code as received.</param>
/// <param name="Attributes">Attributes received.</param>
/// <param name="Identifiers">Other identifiers (<c>value@authority</c>).</param>
/// <param name="TraitProblems">Problems of the traits.</param>
public sealed record ReceivedIdentityView(
    string? BirthName,
    string? BirthFirstNames,
    string? FirstFirstName,
    string? Sex,
    string? BirthDate,
    string? BirthPlaceCog,
    string? InsMatricule,
    string? InsOid,
    bool InsTrusted,
    string? StatusCode,
    IReadOnlyList<string> Attributes,
    IReadOnlyList<string> Identifiers,
    IReadOnlyList<string> TraitProblems);

/// <summary>One action on an item.</summary>
/// <param name="At">When.</param>
/// <param name="Actor">Who.</param>
/// <param name="Action">What.</param>
/// <param name="Decision">Decision taken, if any.</param>
/// <param name="Rule">Rule.</param>
/// <param name="Detail">Why.</param>
/// <param name="IdentityId">Identity concerned.</param>
public sealed record InboundActionView(DateTimeOffset At, string Actor, string Action, string? Decision, string? Rule, string? Detail, Guid? IdentityId);

/// <summary>A received item with its decision and history.</summary>
/// <param name="Id">Item id.</param>
/// <param name="Partner">Partner code.</param>
/// <param name="Channel">How it came.</param>
/// <param name="ContentType">Content type.</param>
/// <param name="Format">Format read.</param>
/// <param name="Kind">What it is.</param>
/// <param name="MessageId">Sender's id.</param>
/// <param name="PartnerPatientId">Patient id in the partner's domain.</param>
/// <param name="ReceivedAt">When stored.</param>
/// <param name="State">received, decided, held, resolved.</param>
/// <param name="Decision">Current decision.</param>
/// <param name="Rule">Rule.</param>
/// <param name="Reason">Why.</param>
/// <param name="IdentityId">Local identity.</param>
/// <param name="DecidedAt">When decided.</param>
/// <param name="Version">Version (send it back with a review decision).</param>
/// <param name="Received">The patient as received.</param>
/// <param name="Candidates">Candidate identities for review.</param>
/// <param name="Actions">Every action, oldest first.</param>
public sealed record InboundItemView(
    Guid Id,
    string Partner,
    string Channel,
    string ContentType,
    string? Format,
    string? Kind,
    string? MessageId,
    string? PartnerPatientId,
    DateTimeOffset ReceivedAt,
    string State,
    string? Decision,
    string? Rule,
    string? Reason,
    Guid? IdentityId,
    DateTimeOffset? DecidedAt,
    long Version,
    ReceivedIdentityView? Received,
    IReadOnlyList<Guid> Candidates,
    IReadOnlyList<InboundActionView> Actions);

/// <summary>A line of the review queue.</summary>
/// <param name="Id">Item id.</param>
/// <param name="Partner">Partner.</param>
/// <param name="Kind">What it is.</param>
/// <param name="ReceivedAt">When.</param>
/// <param name="State">State.</param>
/// <param name="Decision">Decision.</param>
/// <param name="Rule">Rule.</param>
/// <param name="Reason">Why.</param>
/// <param name="IdentityId">Identity.</param>
/// <param name="CandidateCount">How many candidates.</param>
public sealed record InboundSummaryItem(Guid Id, string Partner, string? Kind, DateTimeOffset ReceivedAt, string State, string? Decision, string? Rule, string? Reason, Guid? IdentityId, int CandidateCount);

/// <summary>Counts for the vigilance dashboard.</summary>
/// <param name="Partner">Partner.</param>
/// <param name="Received">Items received.</param>
/// <param name="Attached">Attached (by the gate or a reviewer).</param>
/// <param name="Created">Created.</param>
/// <param name="Held">Waiting for review now.</param>
/// <param name="Rejected">Rejected.</param>
/// <param name="Pending">Stored, decision pending.</param>
public sealed record InboundPartnerCounts(string Partner, int Received, int Attached, int Created, int Held, int Rejected, int Pending);

/// <summary>A review decision on a held item.</summary>
/// <param name="Version">The item version seen by the reviewer (optional guard).</param>
/// <param name="Reason">Why (required, audited).</param>
/// <param name="IdentityId">The identity to attach to (attach only).</param>
/// <param name="Force">Create although an identity with the same strict traits exists (create only).</param>
public sealed record InboundReviewRequest(long? Version, string? Reason, Guid? IdentityId = null, bool? Force = null);

/// <summary>Create or change a partner.</summary>
/// <param name="Name">Display name.</param>
/// <param name="AssigningAuthority">Assigning authority (OID or namespace) of its patient ids.</param>
/// <param name="AuthorityAliases">Other names of that authority.</param>
/// <param name="Transport">api, mllp, fhir or folder.</param>
/// <param name="VerifyInsWithInsi">Verify received INS through INSi.</param>
/// <param name="AllowCreate">Create provisional identities when nobody matches.</param>
/// <param name="QualifiedCode">VALI or QUAL.</param>
/// <param name="Enabled">Enabled (default true).</param>
public sealed record InboundPartnerRequest(
    string? Name,
    string? AssigningAuthority,
    IReadOnlyList<string>? AuthorityAliases,
    string? Transport,
    bool? VerifyInsWithInsi,
    bool? AllowCreate,
    string? QualifiedCode,
    bool? Enabled)
{
    /// <summary>FINESS of the establishment its data is received for (one of <c>Gateway:Establishments</c>); null = the default one.</summary>
    public string? Establishment { get; init; }
}
