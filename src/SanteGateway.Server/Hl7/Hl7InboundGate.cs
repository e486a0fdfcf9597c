using SanteGateway.Application;
using SanteGateway.Interop.Hl7v2.Er7;
using SanteGateway.Interop.Hl7v2.Mllp;

namespace SanteGateway.Server.Hl7;

/// <summary>
/// Which partner (identification domain of the inbound gate) an HL7 message comes from: by its sending facility (MSH-4)
/// through <see cref="Hl7ListenerSettings.PartnersBySendingFacility"/>, else the transport's default partner. No partner:
/// the message is not a partner inbound flow and keeps the plain HL7 intake (<c>received_messages</c>).
/// </summary>
public static class Hl7PartnerMap
{
    /// <summary>The partner code for a message, or null.</summary>
    /// <param name="message">The message (null when unreadable).</param>
    /// <param name="bySendingFacility">MSH-4 namespace (or universal id) → partner code.</param>
    /// <param name="fallback">Partner of every other message on this transport, or null.</param>
    /// <returns>The partner code or null.</returns>
    public static string? Resolve(Hl7Message? message, IDictionary<string, string> bySendingFacility, string? fallback)
    {
        ArgumentNullException.ThrowIfNull(bySendingFacility);
        if (message is not null && bySendingFacility.Count > 0)
        {
            var msh4 = message.Msh.Field(4);
            foreach (var key in new[] { msh4.ComponentValue(1), msh4.ComponentValue(2) })
            {
                if (!string.IsNullOrEmpty(key) && bySendingFacility.TryGetValue(key, out var partner) && !string.IsNullOrWhiteSpace(partner))
                {
                    return partner.Trim();
                }
            }
        }

        return string.IsNullOrWhiteSpace(fallback) ? null : fallback.Trim();
    }

    /// <summary>The acknowledgment for the inbound gate's answer to a stored message (docs/inbound.md, "HL7 transports").</summary>
    /// <param name="accepted">The gate's answer (the item is committed).</param>
    /// <param name="parseError">The listener's parse error, when the message could not be read.</param>
    /// <returns>AA (attach, create, pending), AA with a warning (hold), AE (rejected by a rule), AR (unreadable or hostile input).</returns>
    public static Hl7StoreReceipt Receipt(InboundAccepted accepted, Hl7ParseError? parseError)
    {
        ArgumentNullException.ThrowIfNull(accepted);
        var id = accepted.Id.ToString();
        var rule = accepted.Rule ?? "inbound";
        var reason = accepted.Reason ?? rule;
        switch (accepted.Decision)
        {
            case InboundDecisions.Hold:
                return Hl7StoreReceipt.StoredWithWarning(id, new Hl7AckError(rule, $"Stored as inbound item {id} and held for identity vigilance: {reason}", "207", "PID", 3));
            case InboundDecisions.Reject when parseError is not null:
                return Hl7StoreReceipt.StoredButRefused(id, new Hl7AckError("hl7." + parseError.Rule, parseError.ToString(),
                    parseError.Rule is "segment-name" or "second-msh" or "no-msh" ? "100" : "102", parseError.SegmentName, parseError.Field));
            case InboundDecisions.Reject when IsUnreadable(rule):
                return Hl7StoreReceipt.StoredButRefused(id, new Hl7AckError(rule, reason, "102", "MSH", null));
            case InboundDecisions.Reject:
                var (segment, field, code) = Where(rule);
                return Hl7StoreReceipt.StoredButRejected(id, new Hl7AckError(rule, reason, code, segment, field));
            default:
                return Hl7StoreReceipt.Stored(id);
        }
    }

    private static bool IsUnreadable(string rule) =>
        rule.StartsWith("hl7.", StringComparison.Ordinal) || rule is "inbound.unreadable" or "inbound.unknown-format";

    /// <summary>The field a rejection names (HL7 table 0357 code: 100 segment missing, 103 table value, 207 application).</summary>
    private static (string? Segment, int? Field, string Code) Where(string rule) => rule switch
    {
        "inbound.no-patient" => ("PID", null, "100"),
        _ when rule.StartsWith("ins.", StringComparison.Ordinal) => ("PID", 3, "103"),
        _ when rule.StartsWith("rniv.status", StringComparison.Ordinal) => ("PID", 32, "103"),
        _ => ("PID", null, "207"),
    };
}

/// <summary>
/// Hands each HL7 message of a partner to the inbound gate (<see cref="InboundService.ReceiveAsync(string?, string?, byte[], string, Actor, object?, CancellationToken)"/>, with the listener's parsed message): the item is committed
/// before the receipt is returned, so the acknowledgment follows storage; messages of no partner keep the plain intake
/// (<see cref="StoreReceivedMessageHandler"/>).
/// </summary>
/// <remarks>With <paramref name="certificates"/> (the MLLP listener; not the file drop, whose trust is the folder), the connection's
/// client certificate is checked against the partner (<see cref="SanteGateway.Server.Inbound.PartnerCertificates.ResolveConnection"/>):
/// a refused message is kept in the plain intake with the refusal and answered <c>AR</c> naming MSH-4 and the rule.</remarks>
internal sealed class Hl7InboundGateHandler(IServiceScopeFactory scopes, StoreReceivedMessageHandler plain, IDictionary<string, string> bySendingFacility, string? fallbackPartner, string channel, SanteGateway.Server.Inbound.PartnerCertificates? certificates = null) : IHl7InboundHandler
{
    /// <summary>Content type recorded for HL7 v2 items.</summary>
    public const string ContentType = "x-application/hl7-v2+er7";

    public ValueTask<Hl7StoreReceipt> StoreAsync(Hl7InboundMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var partner = Hl7PartnerMap.Resolve(message.Message, bySendingFacility, fallbackPartner);
        if (certificates is not null)
        {
            var resolved = certificates.ResolveConnection(message.ClientCertificate, partner);
            if (resolved.Error is { } refused)
            {
                return RefuseAsync(message, refused, cancellationToken);
            }

            partner = resolved.Partner;
        }

        return partner is null ? plain.StoreAsync(message, cancellationToken) : GateAsync(partner, message, "hl7-" + channel, cancellationToken);
    }

    /// <summary>Who sends contradicts the certificate: kept for the operator (plain intake, with the refusal), answered AR —
    /// sending it again over the same connection cannot change the answer.</summary>
    private async ValueTask<Hl7StoreReceipt> RefuseAsync(Hl7InboundMessage message, AppError refused, CancellationToken cancellationToken)
    {
        var reason = refused.Fields?.Values.SelectMany(v => v).FirstOrDefault() ?? $"{refused.Rule}: {refused.Message}";
        var stored = await plain.StoreAsync(message, cancellationToken, reason).ConfigureAwait(false);
        return Hl7StoreReceipt.StoredButRefused(stored.StorageId, new Hl7AckError(refused.Rule, refused.Message, "207", "MSH", 4));
    }

    /// <summary>Stores through the gate; the actor names the transport (and the claimed file for the file drop).</summary>
    internal async ValueTask<Hl7StoreReceipt> GateAsync(string partner, Hl7InboundMessage message, string actor, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var gate = scope.ServiceProvider.GetRequiredService<InboundService>();
        var result = await gate.ReceiveAsync(partner, ContentType, message.Raw.ToArray(), channel, Actor.Process(actor, channel), message.Message, cancellationToken).ConfigureAwait(false);
        if (!result.IsSuccess)
        {
            // Nothing stored (partner unknown or disabled in this gateway's configuration): AR, the sender keeps the message.
            throw new InvalidOperationException($"Inbound partner '{partner}' refused: {result.Error.Rule}");
        }

        return Hl7PartnerMap.Receipt(result.Value, message.ParseError);
    }
}
