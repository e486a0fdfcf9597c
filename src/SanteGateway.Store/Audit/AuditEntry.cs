namespace SanteGateway.Store.Audit;

/// <summary>What a caller wants recorded; the trail adds sequence, time and hashes.</summary>
/// <param name="Actor">Who (user name or <c>apikey:ID</c>).</param>
/// <param name="Source">From which source (<c>api</c>, <c>cli</c>, ...).</param>
/// <param name="Action">What happened.</param>
/// <param name="EntityType">Type of the entity concerned.</param>
/// <param name="EntityId">Id of the entity concerned.</param>
/// <param name="PreviousValues">Previous values as JSON, when any.</param>
/// <param name="NewValues">New values as JSON, when any.</param>
public sealed record AuditEntry(
    string Actor,
    string Source,
    string Action,
    string EntityType,
    string EntityId,
    string? PreviousValues,
    string? NewValues);

/// <summary>Result of a chain verification.</summary>
/// <param name="IsIntact">True when every link checks.</param>
/// <param name="EventCount">Events read.</param>
/// <param name="FirstBrokenSequence">The first event whose hash or link is wrong, when broken.</param>
/// <param name="Reason">Why it is broken.</param>
public sealed record AuditVerification(bool IsIntact, long EventCount, long? FirstBrokenSequence, string? Reason);
