namespace SanteGateway.Store.Entities;

/// <summary>States of an <see cref="InboundItem"/>.</summary>
public static class InboundStates
{
    /// <summary>Stored, not decided yet (a crash between storage and decision leaves it here; it is decided again).</summary>
    public const string Received = "received";

    /// <summary>Decided without a person: attached, created or rejected.</summary>
    public const string Decided = "decided";

    /// <summary>Waiting for identity vigilance (review queue).</summary>
    public const string Held = "held";

    /// <summary>Decided by identity vigilance after a hold.</summary>
    public const string Resolved = "resolved";
}

/// <summary>
/// An identification domain the gateway receives health data from (a lab, a radiology group, another hospital): who it is,
/// the assigning authority of its patient ids, and how much its INS is trusted.
/// </summary>
public sealed class InboundPartner
{
    /// <summary>Partner code, as sent in <c>X-Partner</c> (letters, digits, <c>-</c>, <c>_</c>, <c>.</c>).</summary>
    public string Id { get; set; } = "";

    /// <summary>Display name.</summary>
    public string Name { get; set; } = "";

    /// <summary>Assigning authority of the partner's local patient ids (OID, or HL7 namespace when it has no OID).</summary>
    public string AssigningAuthority { get; set; } = "";

    /// <summary>Other names of the same authority the partner uses (HL7 namespace beside the OID), comma separated.</summary>
    public string? AuthorityAliases { get; set; }

    /// <summary>How the partner sends (<c>api</c>, <c>mllp</c>, <c>fhir</c>, <c>folder</c>), for operators.</summary>
    public string Transport { get; set; } = "api";

    /// <summary>Verify every received qualified INS through INSi (INSI-AUTO) before attaching.</summary>
    public bool VerifyInsWithInsi { get; set; }

    /// <summary>May a provisional identity be created when nobody matches (false: hold everything unmatched for review).</summary>
    public bool AllowCreate { get; set; }

    /// <summary>The status code the partner sends with a qualified identity (<c>VALI</c> per PAM / FR Core 2.1, <c>QUAL</c> per FR Core 2.2+).</summary>
    public string QualifiedCode { get; set; } = "VALI";

    /// <summary>Disabled partners are refused.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>FINESS of the establishment the partner's data is received for (the gate's INSi calls present its certificates); null = the default one.</summary>
    [System.ComponentModel.DataAnnotations.MaxLength(16)]
    public string? Establishment { get; set; }

    /// <summary>When it was recorded.</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Last change.</summary>
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Who changed it last.</summary>
    public string UpdatedBy { get; set; } = "";
}

/// <summary>
/// A message or document received from a partner, stored exactly as received before it is acknowledged, with the gate's
/// decision; every later action is an <see cref="InboundAction"/>.
/// </summary>
public sealed class InboundItem
{
    /// <summary>Item id (time-ordered).</summary>
    public Guid Id { get; set; }

    /// <summary>The partner (<see cref="InboundPartner.Id"/>).</summary>
    public string PartnerId { get; set; } = "";

    /// <summary>How it came (<c>api</c>, <c>mllp</c>, <c>fhir</c>, <c>folder</c>).</summary>
    public string Channel { get; set; } = "api";

    /// <summary>Content type as received.</summary>
    public string ContentType { get; set; } = "";

    /// <summary>The bytes as received.</summary>
    public byte[] Raw { get; set; } = [];

    /// <summary>When it was stored.</summary>
    public DateTimeOffset ReceivedAt { get; set; }

    /// <summary>Format read (<c>hl7v2</c>, <c>fhir</c>, <c>cda</c>), when readable.</summary>
    public string? Format { get; set; }

    /// <summary>What it is (<c>ORU^R01</c>, <c>Bundle</c>, <c>ClinicalDocument</c>), when readable.</summary>
    public string? Kind { get; set; }

    /// <summary>The sender's own id of the message (MSH-10, resource id, document id).</summary>
    public string? MessageId { get; set; }

    /// <summary>The patient's id in the partner's domain, when sent.</summary>
    public string? PartnerPatientId { get; set; }

    /// <summary><see cref="InboundStates"/>.</summary>
    public string State { get; set; } = InboundStates.Received;

    /// <summary><c>attach</c>, <c>create</c>, <c>hold</c>, <c>reject</c>; null until decided.</summary>
    public string? Decision { get; set; }

    /// <summary>The rule behind the decision (e.g. <c>inbound.matched-ins</c>, <c>inbound.several-candidates</c>).</summary>
    public string? Rule { get; set; }

    /// <summary>The reason, for operators (codes and ids, never identity data).</summary>
    public string? Reason { get; set; }

    /// <summary>The local identity the data belongs to (attach, create).</summary>
    public Guid? IdentityId { get; set; }

    /// <summary>The identity as received (JSON: traits, INS, status, ids), for the review screen.</summary>
    public string? Received { get; set; }

    /// <summary>Candidate identity ids for review (JSON array).</summary>
    public string? Candidates { get; set; }

    /// <summary>When the last decision was made.</summary>
    public DateTimeOffset? DecidedAt { get; set; }

    /// <summary>Optimistic concurrency (two reviewers on one held item).</summary>
    public long Version { get; set; }
}

/// <summary>Something that happened to an <see cref="InboundItem"/>: received, INS stripped, INSi verified, decided, reviewed.</summary>
public sealed class InboundAction
{
    /// <summary>Row id (time-ordered).</summary>
    public Guid Id { get; set; }

    /// <summary>The item.</summary>
    public Guid ItemId { get; set; }

    /// <summary>When.</summary>
    public DateTimeOffset At { get; set; }

    /// <summary>Who (partner, process, reviewer).</summary>
    public string Actor { get; set; } = "";

    /// <summary>What (<c>received</c>, <c>ins-stripped</c>, <c>insi-verify</c>, <c>decided</c>, <c>attached</c>, <c>created</c>, <c>rejected</c>).</summary>
    public string Action { get; set; } = "";

    /// <summary>The decision taken by this action, if any.</summary>
    public string? Decision { get; set; }

    /// <summary>The rule.</summary>
    public string? Rule { get; set; }

    /// <summary>Why (reason given by a reviewer, or the gate's explanation; never identity data).</summary>
    public string? Detail { get; set; }

    /// <summary>The identity concerned.</summary>
    public Guid? IdentityId { get; set; }
}
