namespace SanteGateway.Web;

/// <summary>A received HL7 v2 message as the messages screen lists it (no content: the traits stay in the identity pages).</summary>
/// <param name="Id">Storage id.</param>
/// <param name="Channel"><c>hl7v2-mllp</c> or <c>hl7v2-file</c>.</param>
/// <param name="Partner">Remote endpoint or dropped file.</param>
/// <param name="ReceivedAt">When.</param>
/// <param name="MessageId">MSH-10.</param>
/// <param name="Kind">Type and event (<c>ADT^A28</c>).</param>
/// <param name="AckCode"><c>AA</c> or <c>AE</c>.</param>
/// <param name="Error">Parse error or mapping finding (rule and position), when any.</param>
public sealed record Hl7ReceivedRow(long Id, string Channel, string Partner, DateTimeOffset ReceivedAt, string? MessageId, string? Kind, string? AckCode, string? Error);

/// <summary>An outbox message (sent, waiting or dead letter) as the messages screen lists it.</summary>
/// <param name="Id">Outbox id.</param>
/// <param name="Channel">Transport.</param>
/// <param name="Destination">Subscriber.</param>
/// <param name="OrderingKey">Patient (identity id), or another ordering key.</param>
/// <param name="Kind">Type and event.</param>
/// <param name="MessageId">MSH-10.</param>
/// <param name="State"><c>pending</c>, <c>delivered</c> or <c>dead</c>.</param>
/// <param name="Attempts">Attempts.</param>
/// <param name="CreatedAt">Enqueued.</param>
/// <param name="DeliveredAt">Acknowledged.</param>
/// <param name="LastError">Why the last attempt failed.</param>
public sealed record Hl7OutboxRow(long Id, string Channel, string Destination, string OrderingKey, string? Kind, string? MessageId, string State, int Attempts,
    DateTimeOffset CreatedAt, DateTimeOffset? DeliveredAt, string? LastError);

/// <summary>
/// What the HL7 messages screen needs from the host's HL7 operator use cases (the same ones as <c>/api/hl7</c> and
/// <c>santegw hl7 dead-letters</c>); the host implements it over its HL7 message service. Absent: the screen says HL7
/// is not set up.
/// </summary>
public interface IHl7MessageScreen
{
    /// <summary>Received messages, newest first.</summary>
    /// <param name="failed">True: only those with an error or finding.</param>
    /// <param name="page">Page from 1.</param>
    /// <param name="pageSize">Page size.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The page.</returns>
    Task<Result<Paged<Hl7ReceivedRow>>> ReceivedAsync(bool? failed, int page, int pageSize, CancellationToken ct);

    /// <summary>Outbox messages in a state, newest first.</summary>
    /// <param name="state"><c>dead</c>, <c>pending</c> or <c>delivered</c>.</param>
    /// <param name="page">Page from 1.</param>
    /// <param name="pageSize">Page size.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The page.</returns>
    Task<Result<Paged<Hl7OutboxRow>>> OutboxAsync(string state, int page, int pageSize, CancellationToken ct);

    /// <summary>Puts a dead letter back in the queue (audited).</summary>
    /// <param name="id">Outbox id.</param>
    /// <param name="actor">Who.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The message after the replay, or why not.</returns>
    Task<Result<Hl7OutboxRow>> ReplayAsync(long id, Actor actor, CancellationToken ct);
}
