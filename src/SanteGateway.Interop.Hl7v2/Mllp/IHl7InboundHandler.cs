using SanteGateway.Interop.Hl7v2.Er7;

namespace SanteGateway.Interop.Hl7v2.Mllp;

/// <summary>A message received over MLLP, handed to <see cref="IHl7InboundHandler"/> before anything is acknowledged.</summary>
/// <param name="Raw">The bytes exactly as received (frame content), to be stored.</param>
/// <param name="Message">The parsed message, or null when it could not be read.</param>
/// <param name="ParseError">Why it could not be read, or null.</param>
/// <param name="Partner">Who sent it: the remote endpoint, and the client certificate subject under mutual TLS.</param>
/// <param name="ReceivedAt">When the frame was read.</param>
public sealed record Hl7InboundMessage(ReadOnlyMemory<byte> Raw, Hl7Message? Message, Hl7ParseError? ParseError, string Partner, DateTimeOffset ReceivedAt)
{
    /// <summary>The client certificate the connection presented under mutual TLS (null otherwise); the handler may identify the
    /// sender by it. Valid while the handler runs (it belongs to the connection).</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? ClientCertificate { get; init; }
}

/// <summary>
/// The proof that a received message was stored durably. Only a receipt lets the listener acknowledge: a handler that
/// cannot store must throw, and the sender then gets <c>AR</c> (not stored, retry) instead of <c>AA</c>.
/// </summary>
public sealed record Hl7StoreReceipt
{
    private Hl7StoreReceipt(string storageId, Hl7AckError? rejection, Hl7AckError? warning = null, bool refused = false)
    {
        StorageId = storageId;
        Rejection = rejection;
        Warning = warning;
        Refused = refused;
    }

    /// <summary>The identifier under which the message was stored (for the operator, and the audit trail).</summary>
    public string StorageId { get; }

    /// <summary>Set when the message was stored but a rule refuses it: the ACK is then <c>AE</c> with this error.</summary>
    public Hl7AckError? Rejection { get; }

    /// <summary>True when the stored message is refused outright (<c>AR</c> with <see cref="Rejection"/>): hostile or unreadable
    /// input that sending again cannot fix. It was kept for the operator; <c>AE</c> is for content a rule refused.</summary>
    public bool Refused { get; }

    /// <summary>Set when the message was stored and accepted with a remark (e.g. an INS not integrated): <c>AA</c> with an ERR of severity W.</summary>
    public Hl7AckError? Warning { get; }

    /// <summary>The message was stored and is accepted, with a remark for the sender (<c>AA</c> + ERR severity W).</summary>
    /// <param name="storageId">The storage identifier (not blank).</param>
    /// <param name="warning">The remark: rule and reason.</param>
    /// <returns>The receipt.</returns>
    public static Hl7StoreReceipt StoredWithWarning(string storageId, Hl7AckError warning)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(storageId);
        ArgumentNullException.ThrowIfNull(warning);
        return new Hl7StoreReceipt(storageId, null, warning);
    }

    /// <summary>The message was stored and is accepted (<c>AA</c>).</summary>
    /// <param name="storageId">The storage identifier (not blank).</param>
    /// <returns>The receipt.</returns>
    public static Hl7StoreReceipt Stored(string storageId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(storageId);
        return new Hl7StoreReceipt(storageId, null);
    }

    /// <summary>The message was stored (for the operator) but is refused outright: <c>AR</c> with ERR naming the field and rule
    /// (unreadable or hostile input, a message the receiving application does not take).</summary>
    /// <param name="storageId">The storage identifier (not blank).</param>
    /// <param name="rejection">The failed rule, with the segment and field when known.</param>
    /// <returns>The receipt.</returns>
    public static Hl7StoreReceipt StoredButRefused(string storageId, Hl7AckError rejection)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(storageId);
        ArgumentNullException.ThrowIfNull(rejection);
        return new Hl7StoreReceipt(storageId, rejection, null, refused: true);
    }

    /// <summary>The message was stored but is refused by a rule (<c>AE</c> with ERR naming it).</summary>
    /// <param name="storageId">The storage identifier (not blank).</param>
    /// <param name="rejection">The failed rule.</param>
    /// <returns>The receipt.</returns>
    public static Hl7StoreReceipt StoredButRejected(string storageId, Hl7AckError rejection)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(storageId);
        ArgumentNullException.ThrowIfNull(rejection);
        return new Hl7StoreReceipt(storageId, rejection);
    }
}

/// <summary>
/// Receives every message of an <see cref="MllpListener"/>. The contract is "store before ACK": <see cref="StoreAsync"/> must
/// have persisted <see cref="Hl7InboundMessage.Raw"/> durably (committed) when it returns its receipt; the listener sends the
/// acknowledgment only after that. Throwing means "not stored": the listener answers <c>AR</c> and the sender keeps the message.
/// Unreadable messages are handed over too (with <see cref="Hl7InboundMessage.ParseError"/>) so that nothing received is lost.
/// </summary>
public interface IHl7InboundHandler
{
    /// <summary>Stores a received message durably, then returns the receipt.</summary>
    /// <param name="message">The message as received.</param>
    /// <param name="cancellationToken">Cancelled when the listener stops.</param>
    /// <returns>The receipt; only then is the message acknowledged.</returns>
    ValueTask<Hl7StoreReceipt> StoreAsync(Hl7InboundMessage message, CancellationToken cancellationToken);
}
