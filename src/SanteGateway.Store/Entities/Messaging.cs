namespace SanteGateway.Store.Entities;

/// <summary>States of an <see cref="OutboxMessage"/>.</summary>
public static class OutboxStates
{
    /// <summary>Waiting for (another) delivery attempt.</summary>
    public const string Pending = "pending";

    /// <summary>Delivered and acknowledged by the destination.</summary>
    public const string Delivered = "delivered";

    /// <summary>Given up after the last attempt or refused for good: visible to operators, requeued by hand.</summary>
    public const string DeadLetter = "dead";
}

/// <summary>
/// A message waiting to be delivered to a destination (an HL7 subscriber today; inbound delivery and document sharing later).
/// Written in the same transaction as the change it announces, delivered by a worker: nothing is lost across restarts.
/// </summary>
/// <remarks>Messages with the same <see cref="Destination"/> and <see cref="OrderingKey"/> are delivered in <see cref="Id"/> order:
/// a later message waits while an earlier one is pending.</remarks>
public sealed class OutboxMessage
{
    /// <summary>Database-assigned, increasing: the delivery order within a destination and ordering key.</summary>
    public long Id { get; set; }

    /// <summary>The transport (<c>hl7v2</c>, …).</summary>
    public string Channel { get; set; } = "";

    /// <summary>The destination (subscriber) name, as configured.</summary>
    public string Destination { get; set; } = "";

    /// <summary>What order is kept for: the patient (identity id) for identity feeds.</summary>
    public string OrderingKey { get; set; } = "";

    /// <summary>What the message is (<c>ADT^A31</c>, …), for operators.</summary>
    public string? Kind { get; set; }

    /// <summary>The message's own id (HL7 MSH-10), for operators and acknowledgments.</summary>
    public string? MessageId { get; set; }

    /// <summary>The bytes to send.</summary>
    public byte[] Payload { get; set; } = [];

    /// <summary><see cref="OutboxStates"/>.</summary>
    public string State { get; set; } = OutboxStates.Pending;

    /// <summary>Delivery attempts made so far.</summary>
    public int Attempts { get; set; }

    /// <summary>When it was enqueued.</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Not before this time (back-off).</summary>
    public DateTimeOffset NextAttemptAt { get; set; }

    /// <summary>When the destination acknowledged it.</summary>
    public DateTimeOffset? DeliveredAt { get; set; }

    /// <summary>Why the last attempt failed (no message content).</summary>
    public string? LastError { get; set; }

    /// <summary>The delivery worker (instance) that claimed the row for an attempt, while <see cref="LeaseUntil"/> is in the future.</summary>
    /// <remarks>Claimed with a conditional update, so two gateway instances on one database never send the same row at once.</remarks>
    public string? LeaseOwner { get; set; }

    /// <summary>End of the claim: after it (a worker that died mid-attempt), another worker may claim the row.</summary>
    public DateTimeOffset? LeaseUntil { get; set; }
}

/// <summary>A message received from a partner, stored exactly as received before it is acknowledged.</summary>
public sealed class ReceivedMessage
{
    /// <summary>Database-assigned id (the storage id given in logs and to the audit).</summary>
    public long Id { get; set; }

    /// <summary>How it came (<c>hl7v2-mllp</c>, …).</summary>
    public string Channel { get; set; } = "";

    /// <summary>Who sent it (remote endpoint, client certificate subject).</summary>
    public string Partner { get; set; } = "";

    /// <summary>When it was read.</summary>
    public DateTimeOffset ReceivedAt { get; set; }

    /// <summary>The bytes as received.</summary>
    public byte[] Raw { get; set; } = [];

    /// <summary>The message's own id (HL7 MSH-10), when readable.</summary>
    public string? MessageId { get; set; }

    /// <summary>What the message is (<c>ADT^A28</c>, …), when readable.</summary>
    public string? Kind { get; set; }

    /// <summary>Why it could not be read or was refused (rule and position), or null.</summary>
    public string? Error { get; set; }

    /// <summary>The acknowledgment code returned (<c>AA</c>, <c>AE</c>).</summary>
    public string? AckCode { get; set; }
}
