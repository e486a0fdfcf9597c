using System.Globalization;
using SanteGateway.Identity;
using SanteGateway.Interop.Hl7v2.Er7;
using SanteGateway.Interop.Hl7v2.Segments;

namespace SanteGateway.Interop.Hl7v2.Pam;

/// <summary>Who sends and receives, and how messages are stamped.</summary>
public sealed record PamSenderOptions
{
    /// <summary>MSH-3.</summary>
    public string SendingApplication { get; init; } = "SANTEGW";

    /// <summary>MSH-4.</summary>
    public string? SendingFacility { get; init; }

    /// <summary>MSH-5.</summary>
    public string? ReceivingApplication { get; init; }

    /// <summary>MSH-6.</summary>
    public string? ReceivingFacility { get; init; }

    /// <summary>MSH-11: <c>P</c>, <c>T</c> or <c>D</c>.</summary>
    public string ProcessingId { get; init; } = "P";

    /// <summary>Clock for MSH-7 and EVN.</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;
}

/// <summary>The identity feed events of PAM France this gateway emits.</summary>
public enum PamEvent
{
    /// <summary>A28: create a person.</summary>
    A28,

    /// <summary>A31: update a person (traits, new INS, new status).</summary>
    A31,

    /// <summary>A47: INS withdrawn (downgrade, wrong INS) or changed; the old INS in MRG-1.</summary>
    A47,

    /// <summary>A40: merge two patient identifiers; the merged IPP in MRG-1.</summary>
    A40,
}

/// <summary>Builds PAM France identity-feed messages (ITI-30) from the identity domain.</summary>
public static class PamMessages
{
    /// <summary>ADT^A28^ADT_A05: create a person.</summary>
    /// <param name="identity">The identity.</param>
    /// <param name="context">IPP and local data.</param>
    /// <param name="controlId">MSH-10.</param>
    /// <param name="sender">Header values.</param>
    /// <returns>The message.</returns>
    public static Hl7Message A28(RnivIdentity identity, PamPatientContext context, string controlId, PamSenderOptions? sender = null) =>
        Feed("A28", "ADT_A05", identity, context, controlId, sender);

    /// <summary>ADT^A31^ADT_A05: update a person.</summary>
    /// <param name="identity">The identity.</param>
    /// <param name="context">IPP and local data.</param>
    /// <param name="controlId">MSH-10.</param>
    /// <param name="sender">Header values.</param>
    /// <returns>The message.</returns>
    public static Hl7Message A31(RnivIdentity identity, PamPatientContext context, string controlId, PamSenderOptions? sender = null) =>
        Feed("A31", "ADT_A05", identity, context, controlId, sender);

    /// <summary>ADT^A47^ADT_A30: the INS the partners hold must be withdrawn (QUAL→RECUP downgrade, wrong INS) or replaced.
    /// MRG-1 carries the withdrawn INS; PID-3 carries the IPP and the current INS when it may be sent, else <c>""</c> with the OID
    /// (PAM §4.4.3/§4.4.4); PID-32 the current status.</summary>
    /// <param name="identity">The identity after the change.</param>
    /// <param name="withdrawnIns">The INS the partners must delete.</param>
    /// <param name="context">IPP and local data.</param>
    /// <param name="controlId">MSH-10.</param>
    /// <param name="sender">Header values.</param>
    /// <returns>The message.</returns>
    public static Hl7Message A47(RnivIdentity identity, InsIdentifier withdrawnIns, PamPatientContext context, string controlId, PamSenderOptions? sender = null)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(withdrawnIns);
        ArgumentNullException.ThrowIfNull(context);
        var (message, now) = Start("A47", "ADT_A30", controlId, sender);
        message.Add(Evn(now));
        message.Add(PamIdentityWriter.BuildPid(identity, context, withdrawnIns.Kind));
        message.Add(new Hl7SegmentBuilder("MRG").Repetitions(1, [PamIdentityWriter.InsCx(withdrawnIns).ToComponents()]));
        return message;
    }

    /// <summary>ADT^A40^ADT_A39: the patient known as <paramref name="mergedIpp"/> is merged into the surviving one.</summary>
    /// <param name="survivor">The surviving identity.</param>
    /// <param name="context">The surviving IPP and local data.</param>
    /// <param name="mergedIpp">The IPP that disappears (MRG-1).</param>
    /// <param name="controlId">MSH-10.</param>
    /// <param name="sender">Header values.</param>
    /// <returns>The message.</returns>
    public static Hl7Message A40(RnivIdentity survivor, PamPatientContext context, Cx mergedIpp, string controlId, PamSenderOptions? sender = null)
    {
        ArgumentNullException.ThrowIfNull(survivor);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(mergedIpp);
        var (message, now) = Start("A40", "ADT_A39", controlId, sender);
        message.Add(Evn(now));
        message.Add(PamIdentityWriter.BuildPid(survivor, context));
        message.Add(new Hl7SegmentBuilder("MRG").Repetitions(1, [mergedIpp.ToComponents()]));
        return message;
    }

    private static Hl7Message Feed(string trigger, string structure, RnivIdentity identity, PamPatientContext context, string controlId, PamSenderOptions? sender)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(context);
        var (message, now) = Start(trigger, structure, controlId, sender);
        message.Add(Evn(now));
        message.Add(PamIdentityWriter.BuildPid(identity, context));
        // ADT_A05 requires PV1; an identity feed without a visit uses patient class N (not applicable).
        message.Add(new Hl7SegmentBuilder("PV1").Field(2, "N"));
        message.Add(PamIdentityWriter.BuildZfd(identity, context));
        return message;
    }

    private static (Hl7Message Message, DateTimeOffset Now) Start(string trigger, string structure, string controlId, PamSenderOptions? sender)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(controlId);
        sender ??= new PamSenderOptions();
        var now = sender.Clock.GetLocalNow();
        var message = Hl7MessageBuilder.Create(new Hl7Header
        {
            SendingApplication = sender.SendingApplication,
            SendingFacility = sender.SendingFacility,
            ReceivingApplication = sender.ReceivingApplication,
            ReceivingFacility = sender.ReceivingFacility,
            Timestamp = now,
            MessageCode = "ADT",
            TriggerEvent = trigger,
            MessageStructure = structure,
            ControlId = controlId,
            ProcessingId = sender.ProcessingId,
        });
        return (message, now);
    }

    private static Hl7SegmentBuilder Evn(DateTimeOffset now)
    {
        var ts = now.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);
        return new Hl7SegmentBuilder("EVN").Field(2, ts).Field(6, ts);
    }
}
