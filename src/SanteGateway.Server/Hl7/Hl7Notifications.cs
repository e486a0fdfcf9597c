using SanteGateway.Identity;
using SanteGateway.Interop.Hl7v2.Er7;
using SanteGateway.Interop.Hl7v2.Pam;
using SanteGateway.Interop.Hl7v2.Segments;
using SanteGateway.Store;
using SanteGateway.Store.Entities;

namespace SanteGateway.Server.Hl7;

/// <summary>What happened to an identity, for the HL7 identity feed.</summary>
public enum Hl7ChangeKind
{
    /// <summary>Created: ADT^A28.</summary>
    Created,

    /// <summary>Traits, INS or status changed: ADT^A31.</summary>
    Updated,

    /// <summary>The INS partners hold must be withdrawn (QUAL→RECUP downgrade, wrong INS removed) or replaced: ADT^A47.</summary>
    InsWithdrawn,

    /// <summary>Another patient identifier was merged into this one: ADT^A40.</summary>
    Merged,
}

/// <summary>
/// Enqueues the PAM France identity feed for every enabled subscriber, in the caller's unit of work: call it with the same
/// <see cref="GatewayDbContext"/> that saves the identity change, before <c>SaveChangesAsync</c>, so that the change and its
/// notifications commit together. <see cref="Hl7OutboxWorker"/> delivers them, in order per patient.
/// </summary>
public static class Hl7Notifications
{
    /// <summary>The outbox channel of HL7 v2 over MLLP.</summary>
    public const string Channel = "hl7v2";

    /// <summary>Adds one outbox message per enabled subscriber (nothing is saved here).</summary>
    /// <param name="db">The caller's context (same transaction as the identity change).</param>
    /// <param name="options">HL7 settings (subscribers, MSH-3/4/11).</param>
    /// <param name="patientId">The identity id: the ordering key.</param>
    /// <param name="identity">The identity after the change. Its INS is sent only if <see cref="RnivIdentity.CanTransmitIns"/>.</param>
    /// <param name="context">The IPP with its assigning authority (and other local data for PID).</param>
    /// <param name="kind">What happened.</param>
    /// <param name="withdrawnIns">For <see cref="Hl7ChangeKind.InsWithdrawn"/>: the INS partners must delete.</param>
    /// <param name="mergedIpp">For <see cref="Hl7ChangeKind.Merged"/>: the IPP that disappears.</param>
    /// <param name="clock">Clock (MSH-7, EVN, <see cref="OutboxMessage.CreatedAt"/>); system clock when null.</param>
    /// <returns>The added messages (none when no subscriber is enabled).</returns>
    public static IReadOnlyList<OutboxMessage> Enqueue(
        GatewayDbContext db,
        Hl7Options options,
        string patientId,
        RnivIdentity identity,
        PamPatientContext context,
        Hl7ChangeKind kind,
        InsIdentifier? withdrawnIns = null,
        Cx? mergedIpp = null,
        TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(patientId);
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(context);
        if (kind == Hl7ChangeKind.InsWithdrawn && withdrawnIns is null)
        {
            throw new ArgumentException("An A47 names the withdrawn INS.", nameof(withdrawnIns));
        }

        if (kind == Hl7ChangeKind.Merged && mergedIpp is null)
        {
            throw new ArgumentException("An A40 names the merged IPP.", nameof(mergedIpp));
        }

        clock ??= TimeProvider.System;
        var now = clock.GetUtcNow();
        var added = new List<OutboxMessage>();
        foreach (var subscriber in options.Subscribers.Where(s => s.Enabled))
        {
            var sender = new PamSenderOptions
            {
                SendingApplication = options.SendingApplication,
                SendingFacility = options.SendingFacility,
                ReceivingApplication = subscriber.ReceivingApplication,
                ReceivingFacility = subscriber.ReceivingFacility,
                ProcessingId = options.ProcessingId,
                Clock = clock,
            };
            // MSH-10 is 20 characters at most (HL7 v2.5 ST); unique per message.
            var controlId = Guid.NewGuid().ToString("N")[..20];
            var (message, code) = kind switch
            {
                Hl7ChangeKind.Created => (PamMessages.A28(identity, context, controlId, sender), "ADT^A28"),
                Hl7ChangeKind.Updated => (PamMessages.A31(identity, context, controlId, sender), "ADT^A31"),
                Hl7ChangeKind.InsWithdrawn => (PamMessages.A47(identity, withdrawnIns!, context, controlId, sender), "ADT^A47"),
                Hl7ChangeKind.Merged => (PamMessages.A40(identity, context, mergedIpp!, controlId, sender), "ADT^A40"),
                _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown change."),
            };
            added.Add(Add(db, subscriber.Name, patientId, message, code, now));
        }

        return added;
    }

    /// <summary>Adds an already built message for one destination (nothing is saved here).</summary>
    /// <param name="db">The caller's context.</param>
    /// <param name="destination">The subscriber name.</param>
    /// <param name="orderingKey">What order is kept for (the patient id).</param>
    /// <param name="message">The message.</param>
    /// <param name="kind">For operators, e.g. <c>ADT^A31</c>.</param>
    /// <param name="now">Enqueue time.</param>
    /// <returns>The outbox row.</returns>
    public static OutboxMessage Add(GatewayDbContext db, string destination, string orderingKey, Hl7Message message, string? kind, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(message);
        var row = new OutboxMessage
        {
            Channel = Channel,
            Destination = destination,
            OrderingKey = orderingKey,
            Kind = kind,
            MessageId = message.Msh.ControlId,
            Payload = message.ToBytes(),
            State = OutboxStates.Pending,
            CreatedAt = now,
            NextAttemptAt = now,
        };
        db.Outbox.Add(row);
        return row;
    }
}
