namespace SanteGateway.Store.Audit;

/// <summary>
/// One append-only audit event. <see cref="Hash"/> is the SHA-256 of the canonical content, which includes
/// <see cref="PreviousHash"/>: the events form a single hash chain ordered by <see cref="Sequence"/>.
/// </summary>
public sealed class AuditEvent
{
    /// <summary>Position in the chain (1, 2, 3, ...): also the event id.</summary>
    public long Sequence { get; set; }

    /// <summary>When it happened (UTC, millisecond precision so that both providers round-trip it).</summary>
    public DateTimeOffset OccurredAt { get; set; }

    /// <summary>Who: user name or <c>apikey:ID</c>.</summary>
    public string Actor { get; set; } = "";

    /// <summary>From which source (<c>api</c>, <c>ui</c>, <c>insi</c>, <c>cli</c>, ...).</summary>
    public string Source { get; set; } = "";

    /// <summary>What happened (<c>identity.created</c>, <c>identity.traits-changed</c>, ...).</summary>
    public string Action { get; set; } = "";

    /// <summary>Type of the entity concerned.</summary>
    public string EntityType { get; set; } = "";

    /// <summary>Id of the entity concerned.</summary>
    public string EntityId { get; set; } = "";

    /// <summary>Previous values (JSON), when any.</summary>
    public string? PreviousValues { get; set; }

    /// <summary>New values (JSON), when any.</summary>
    public string? NewValues { get; set; }

    /// <summary>
    /// For events about an identity: SHA-256 of the identity row as this change left it (<see cref="RowImage"/>), so that
    /// <c>audit verify</c> can tell a row edited behind the gateway's back. Null on events that change no row and on
    /// events written before this column existed; part of the hashed content only when present.
    /// </summary>
    public string? AfterImageHash { get; set; }

    /// <summary>Hash of the previous event (the genesis hash for the first).</summary>
    public string PreviousHash { get; set; } = "";

    /// <summary>SHA-256 (lower-case hex) of this event's canonical content.</summary>
    public string Hash { get; set; } = "";
}

/// <summary>The single row holding the end of the chain; appends lock it so that the chain never forks.</summary>
public sealed class AuditChainHead
{
    /// <summary>Always 1.</summary>
    public int Id { get; set; }

    /// <summary>Sequence of the last event (0 when empty).</summary>
    public long LastSequence { get; set; }

    /// <summary>Hash of the last event (the genesis hash when empty).</summary>
    public string LastHash { get; set; } = "";
}
