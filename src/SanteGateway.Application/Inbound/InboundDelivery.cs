using Microsoft.EntityFrameworkCore;
using SanteGateway.Store;
using SanteGateway.Store.Entities;

namespace SanteGateway.Application;

/// <summary>Kinds of delivery route for accepted inbound data.</summary>
public static class InboundRouteKinds
{
    /// <summary>POST of a JSON notice (local identity, qualified INS only, the payload) to a URL (webhook).</summary>
    public const string Http = "http";

    /// <summary>The HL7 v2 message over MLLP with the local identity in PID (HL7 items only).</summary>
    public const string Mllp = "mllp";

    /// <summary>A file per item in a folder (written under a temporary name, then renamed).</summary>
    public const string Folder = "folder";
}

/// <summary>A route accepted inbound data is delivered on (<c>Inbound:Routes:N</c>).</summary>
public sealed class InboundRouteOption
{
    /// <summary>A stable name: the outbox destination is <c>inbound:NAME</c> (rename = new destination).</summary>
    public string Name { get; set; } = "";

    /// <summary><see cref="InboundRouteKinds"/>.</summary>
    public string Kind { get; set; } = InboundRouteKinds.Http;

    /// <summary>http: the URL posted to.</summary>
    public string? Url { get; set; }

    /// <summary>http: headers added to every request (an API key of the publisher's software).</summary>
    public IDictionary<string, string> Headers { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>mllp: host.</summary>
    public string? Host { get; set; }

    /// <summary>mllp: port.</summary>
    public int Port { get; set; }

    /// <summary>mllp: TLS (server certificate checked against the system's trust store).</summary>
    public bool Tls { get; set; }

    /// <summary>folder: where files are written.</summary>
    public string? Folder { get; set; }

    /// <summary>Only items of these partners (all when empty).</summary>
    public IList<string> Partners { get; } = [];

    /// <summary>Seconds to wait for a connection, an answer or an ACK.</summary>
    public double TimeoutSeconds { get; set; } = 30;

    /// <summary>False to stop enqueuing on this route (messages already queued are still delivered).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The outbox destination of this route.</summary>
    public string Destination => InboundDelivery.DestinationPrefix + Name;
}

/// <summary>Delivery of accepted inbound data: polling, retries with back-off, dead letters (<c>Inbound:Delivery</c>).</summary>
public sealed class InboundDeliveryOptions
{
    /// <summary>How often due deliveries are looked for.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Attempts before a delivery becomes a dead letter.</summary>
    public int MaxAttempts { get; set; } = 10;

    /// <summary>Delay after the first failure; doubled at each further failure.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Longest delay between attempts.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Deliveries read per poll and route.</summary>
    public int BatchSize { get; set; } = 100;

    /// <summary>How long a worker's claim on a delivery lasts; after it another instance may take it over.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(2);
}

/// <summary>
/// Queues the delivery of an accepted item (attach, create, or a review decision to attach or create) on every route, in the
/// caller's transaction: the decision and its deliveries commit together. The payload is rendered by the host's delivery
/// worker at the first attempt (with the local identity as it is then) and kept, so every retry sends the same bytes.
/// </summary>
public static class InboundDelivery
{
    /// <summary>Prefix of inbound routes' outbox destinations (HL7 subscribers never start with it).</summary>
    public const string DestinationPrefix = "inbound:";

    /// <summary>Outbox channel prefix: <c>inbound-http</c>, <c>inbound-mllp</c>, <c>inbound-folder</c>.</summary>
    public const string ChannelPrefix = "inbound-";

    /// <summary>Adds one outbox row per enabled route that takes this item (nothing is saved here).</summary>
    /// <param name="db">The caller's context.</param>
    /// <param name="routes">The configured routes.</param>
    /// <param name="item">The accepted item.</param>
    /// <param name="identityId">The local identity it belongs to (the ordering key).</param>
    /// <param name="now">Enqueue time.</param>
    /// <returns>The route names queued, and those skipped (an MLLP route for a non-HL7 item).</returns>
    public static (IReadOnlyList<string> Queued, IReadOnlyList<string> Skipped) Enqueue(GatewayDbContext db, IEnumerable<InboundRouteOption> routes, InboundItem item, Guid identityId, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(routes);
        ArgumentNullException.ThrowIfNull(item);
        var queued = new List<string>();
        var skipped = new List<string>();
        foreach (var route in routes.Where(r => r.Enabled && !string.IsNullOrWhiteSpace(r.Name)))
        {
            if (route.Partners.Count > 0 && !route.Partners.Contains(item.PartnerId, StringComparer.Ordinal))
            {
                continue;
            }

            if (route.Kind == InboundRouteKinds.Mllp && item.Format != "hl7v2")
            {
                skipped.Add(route.Name);
                continue;
            }

            db.Outbox.Add(new OutboxMessage
            {
                Channel = ChannelPrefix + route.Kind,
                Destination = route.Destination,
                OrderingKey = identityId.ToString(),
                Kind = item.Kind is { Length: > 32 } k ? k[..32] : item.Kind,
                // The idempotency key the receiver sees (Idempotency-Key header, file name, notice field).
                MessageId = item.Id.ToString("N"),
                Payload = [],
                State = OutboxStates.Pending,
                CreatedAt = now,
                NextAttemptAt = now,
            });
            queued.Add(route.Name);
        }

        return (queued, skipped);
    }
}

/// <summary>What a delivery worker renders an accepted item from.</summary>
/// <param name="ItemId">The item (its id is the idempotency key).</param>
/// <param name="Partner">The sending partner.</param>
/// <param name="Decision">attach or create.</param>
/// <param name="Format"><c>hl7v2</c>, <c>fhir</c>, <c>cda</c>.</param>
/// <param name="Kind">What it is.</param>
/// <param name="MessageId">The partner's id of it.</param>
/// <param name="ContentType">Content type as received.</param>
/// <param name="Raw">The bytes as received.</param>
/// <param name="IdentityId">The local identity now (the survivor when the one decided was merged since).</param>
/// <param name="Identity">That identity (its INS may be sent only when <see cref="Identity.RnivIdentity.CanTransmitIns"/>).</param>
public sealed record InboundDeliverySource(Guid ItemId, string Partner, string? Decision, string? Format, string? Kind, string? MessageId, string ContentType, byte[] Raw, Guid IdentityId, SanteGateway.Identity.RnivIdentity Identity);

/// <summary>Reading side of delivery.</summary>
public sealed partial class InboundService
{
    /// <summary>The item and its local identity as they are now, for rendering a delivery.</summary>
    /// <param name="itemId">The item.</param>
    /// <param name="identityId">The identity the delivery was queued for (merges are followed).</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The source, or a failure naming why it cannot be delivered (item or identity gone).</returns>
    public Task<Result<InboundDeliverySource>> DeliverySourceAsync(Guid itemId, Guid identityId, CancellationToken ct) => AppFailure.Run(async () =>
    {
        var item = await db.InboundItems.AsNoTracking().FirstOrDefaultAsync(x => x.Id == itemId, ct).ConfigureAwait(false) ?? throw new AppFailure(ItemNotFound(itemId));
        var live = await LiveRowAsync(identityId, ct).ConfigureAwait(false)
            ?? throw new AppFailure(new AppError(ErrorKind.NotFound, "inbound.identity-gone", $"Identity {identityId} of inbound item {itemId} no longer exists."));
        // With its INS history and evidence: the aggregate decides whether the INS may travel.
        var full = await db.Identities.Include(x => x.InsHistory).Include(x => x.Evidence).AsSplitQuery().AsNoTracking().FirstAsync(x => x.Id == live.Record.Id, ct).ConfigureAwait(false);
        return new InboundDeliverySource(item.Id, item.PartnerId, item.Decision, item.Format, item.Kind, item.MessageId, item.ContentType, item.Raw, full.Id, IdentityRows.ToDomain(full));
    });
}
