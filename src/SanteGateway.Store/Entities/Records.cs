namespace SanteGateway.Store.Entities;

/// <summary>One request/response exchanged with INSi, kept unaltered for traceability (EXI REC 07/08).</summary>
public sealed class InsiExchange
{
    /// <summary>Exchange id.</summary>
    public Guid Id { get; set; }

    /// <summary>The identity the call was made for, when any.</summary>
    public Guid? IdentityId { get; set; }

    /// <summary>Operation (<c>search</c>, <c>verify</c>).</summary>
    public string Operation { get; set; } = "";

    /// <summary>Request as sent (SOAP XML), when the call got that far.</summary>
    public string? RequestXml { get; set; }

    /// <summary>Response as received, when any.</summary>
    public string? ResponseXml { get; set; }

    /// <summary>Outcome code (<c>found</c>, <c>not-found</c>, <c>multiple</c>, <c>error</c>, ...).</summary>
    public string Outcome { get; set; } = "";

    /// <summary>INSi CR code or error detail.</summary>
    public string? Detail { get; set; }

    /// <summary>Subject CN of the client certificate used for mTLS.</summary>
    public string? CertificateCn { get; set; }

    /// <summary>Call duration in milliseconds.</summary>
    public long DurationMs { get; set; }

    /// <summary>Who triggered the call.</summary>
    public string Actor { get; set; } = "";

    /// <summary>When the call ended.</summary>
    public DateTimeOffset OccurredAt { get; set; }
}

/// <summary>A batch job (e.g. batch INSi verification).</summary>
public sealed class BatchJob
{
    /// <summary>Job id.</summary>
    public Guid Id { get; set; }

    /// <summary>Kind of job (e.g. <c>insi-verify</c>).</summary>
    public string Kind { get; set; } = "";

    /// <summary>Status (<c>queued</c>, <c>running</c>, <c>done</c>, <c>failed</c>).</summary>
    public string Status { get; set; } = "queued";

    /// <summary>Items to process.</summary>
    public int Total { get; set; }

    /// <summary>Items processed successfully.</summary>
    public int Succeeded { get; set; }

    /// <summary>Items that failed.</summary>
    public int Failed { get; set; }

    /// <summary>Who created the job.</summary>
    public string CreatedBy { get; set; } = "";

    /// <summary>Creation time.</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Start time.</summary>
    public DateTimeOffset? StartedAt { get; set; }

    /// <summary>End time.</summary>
    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>Where the items came from: <c>store</c> (a filter over identities) or <c>csv</c> (an uploaded file).</summary>
    public string Source { get; set; } = "store";

    /// <summary>The selection (store filter as JSON, or the CSV file name), for the report.</summary>
    public string? Selection { get; set; }

    /// <summary>Global rate limit in INSi calls per second across every instance (0 = unlimited).</summary>
    public double RatePerSecond { get; set; }

    /// <summary>Concurrent INSi calls per worker.</summary>
    public int Concurrency { get; set; } = 1;

    /// <summary>FINESS of the establishment the job acts for (its INSi calls present that establishment's certificates); null = the default one.</summary>
    [System.ComponentModel.DataAnnotations.MaxLength(16)]
    public string? Establishment { get; set; }

    /// <summary>
    /// Next free call slot of the global rate limit (UTC ticks). Claiming a chunk of k items advances it by k slots in
    /// the same transaction, so instances sharing a job share one pace.
    /// </summary>
    public long NextSlotTicks { get; set; }
}

/// <summary>One item of a batch job: an identity of the store or a CSV row, ending in exactly one outcome.</summary>
public sealed class BatchItem
{
    /// <summary>Item id (claim order).</summary>
    public long Id { get; set; }

    /// <summary>Job.</summary>
    public Guid JobId { get; set; }

    /// <summary>Position in the input: CSV line number, or rank in the store selection.</summary>
    public int Line { get; set; }

    /// <summary>Identity of the store this item acts on; null for a CSV row that is not a stored identity.</summary>
    public Guid? IdentityId { get; set; }

    /// <summary>The caller's local id (CSV), echoed in the report.</summary>
    public string? LocalId { get; set; }

    /// <summary>Traits and INS of a CSV row (JSON); null for store items.</summary>
    public string? Input { get; set; }

    /// <summary><c>pending</c>, <c>leased</c> or <c>done</c>.</summary>
    public string State { get; set; } = "pending";

    /// <summary>Worker holding the lease.</summary>
    public string? LeaseOwner { get; set; }

    /// <summary>Lease end (UTC ticks); an expired lease makes the item claimable again.</summary>
    public long LeaseUntilTicks { get; set; }

    /// <summary>Times the item was claimed.</summary>
    public int Attempts { get; set; }

    /// <summary>Outcome once done (<c>confirmed</c>, <c>replaced</c>, <c>mismatch</c>, <c>not-found</c>, <c>ambiguous</c>, <c>input-refused</c>, <c>service-error</c>).</summary>
    public string? Outcome { get; set; }

    /// <summary>Rule or code explaining the outcome (e.g. <c>csv.birthDate</c>, <c>insi.lexical</c>).</summary>
    public string? Rule { get; set; }

    /// <summary>Short explanation (no identity data: ids and codes only).</summary>
    public string? Detail { get; set; }

    /// <summary>The INS INSi returned (matricule), for the report.</summary>
    public string? Ins { get; set; }

    /// <summary>When the outcome was recorded.</summary>
    public DateTimeOffset? FinishedAt { get; set; }
}

/// <summary>An API client key. Only the SHA-256 of the secret is stored.</summary>
public sealed class ApiKeyRecord
{
    /// <summary>Public key id (the part of the key before the secret).</summary>
    public string Id { get; set; } = "";

    /// <summary>Human label.</summary>
    public string Name { get; set; } = "";

    /// <summary>Lower-case hex SHA-256 of the whole key string.</summary>
    public string SecretHash { get; set; } = "";

    /// <summary>Roles granted, comma separated.</summary>
    public string Roles { get; set; } = "";

    /// <summary>Who created it.</summary>
    public string CreatedBy { get; set; } = "";

    /// <summary>Creation time.</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When revoked; a revoked key never authenticates.</summary>
    public DateTimeOffset? RevokedAt { get; set; }

    /// <summary>Who revoked it.</summary>
    public string? RevokedBy { get; set; }

    /// <summary>Optional end of validity; an expired key never authenticates.</summary>
    public DateTimeOffset? ExpiresAt { get; set; }

    /// <summary>Last successful authentication (updated at most once a minute).</summary>
    public DateTimeOffset? LastUsedAt { get; set; }

    /// <summary>FINESS of the establishment the key acts for (claim <c>santegw:establishment</c>); null = the default one.</summary>
    [System.ComponentModel.DataAnnotations.MaxLength(16)]
    public string? Establishment { get; set; }
}

/// <summary>A local web UI account (ASP.NET Core Identity).</summary>
public sealed class GatewayUser : Microsoft.AspNetCore.Identity.IdentityUser
{
    /// <summary>A disabled account cannot sign in and its sessions end at once.</summary>
    public bool IsDisabled { get; set; }

    /// <summary>Creation time.</summary>
    public DateTimeOffset? CreatedAt { get; set; }
}
