using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SanteGateway.Identity;
using SanteGateway.Store;
using SanteGateway.Store.Audit;
using SanteGateway.Store.Entities;

namespace SanteGateway.Application;

/// <summary>
/// The inbound gate: health data referenced with the INS arriving from other identification domains. Every item is stored
/// exactly as received before anything is answered, then decided: <c>attach</c> to one local identity, <c>create</c> a
/// provisional one (when the partner allows it), <c>hold</c> for identity vigilance, or <c>reject</c>. A received INS is
/// trusted only when it comes with a qualified identity, its key checks, its OID is allowed in this environment and, when the
/// partner's trust says so, INSi confirms it. Every step is an <see cref="InboundAction"/> and an audit event.
/// </summary>
public sealed partial class InboundService
{
    /// <summary>Actor name of the gate's own decisions.</summary>
    public const string ProcessName = "inbound-gate";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly GatewayDbContext db;
    private readonly IServiceProvider services;
    private readonly IInsiPort insi;
    private readonly IInboundExtractor extractor;
    private readonly TimeProvider clock;
    private readonly ApplicationOptions options;
    private readonly InboundOptions inbound;
    private readonly ILogger<InboundService> log;
    private readonly EstablishmentDirectory establishments;
    private readonly InboundPartnerCache? partners;
    private readonly InboundGroupCommit? commits;

    private IdentityService? identityService;

    /// <summary>INSi exchanges of the decision being made (committed with it).</summary>
    private List<InsiExchange> exchanges = [];

    /// <summary>Creates the service (one per unit of work).</summary>
    /// <param name="db">Database context.</param>
    /// <param name="services">The unit of work's services: the identity use cases (<see cref="IdentityService"/>: creation goes
    /// through them, same rules, same audit, same context) are resolved from them only when a decision creates an identity —
    /// most items never do, and resolving them for every item was part of the gate's cost per message.</param>
    /// <param name="insi">INSi port.</param>
    /// <param name="extractor">Reader of HL7 v2, FHIR and CDA payloads.</param>
    /// <param name="clock">Clock.</param>
    /// <param name="options">Application settings (INS policy, INSi certificate).</param>
    /// <param name="inbound">Gate settings (partners from configuration).</param>
    /// <param name="log">Logger (ids and rule codes only).</param>
    /// <param name="establishments">Establishments a partner's data may be received for (none configured when null).</param>
    /// <param name="partners">Partners' settings kept in memory (read from the store for every item when null).</param>
    /// <param name="commits">Group commit of received items' decisions (each item committed alone when null).</param>
    public InboundService(GatewayDbContext db, IServiceProvider services, IInsiPort insi, IInboundExtractor extractor, TimeProvider clock, IOptions<ApplicationOptions> options, IOptions<InboundOptions> inbound, ILogger<InboundService> log, EstablishmentDirectory? establishments = null, InboundPartnerCache? partners = null, InboundGroupCommit? commits = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(inbound);
        this.db = db;
        this.services = services;
        this.insi = insi;
        this.extractor = extractor;
        this.clock = clock;
        this.options = options.Value;
        this.inbound = inbound.Value;
        this.log = log;
        this.establishments = establishments ?? EstablishmentDirectory.Empty;
        this.partners = partners;
        this.commits = commits;
    }

    /// <summary>
    /// Stores a received message or document, then decides it. Once this returns successfully the item is committed: the
    /// caller may acknowledge. When the decision itself fails the item stays <c>received</c> and is decided again later
    /// (<see cref="DecidePendingAsync"/>); the answer then has no decision.
    /// </summary>
    /// <param name="partnerId">The partner code (<c>X-Partner</c>).</param>
    /// <param name="contentType">Content type as received.</param>
    /// <param name="body">The bytes as received.</param>
    /// <param name="channel"><c>api</c>, <c>mllp</c>, <c>fhir</c>, <c>folder</c>.</param>
    /// <param name="actor">Who sent it (API key, listener).</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The decision, or a refusal naming the field (unknown partner, empty body) when nothing was stored.</returns>
    public Task<Result<InboundAccepted>> ReceiveAsync(string? partnerId, string? contentType, byte[] body, string channel, Actor actor, CancellationToken ct) =>
        ReceiveAsync(partnerId, contentType, body, channel, actor, null, ct);

    /// <summary>
    /// Stores a received message or document its transport has already parsed, then decides it (see
    /// <see cref="ReceiveAsync(string?, string?, byte[], string, Actor, CancellationToken)"/>): the extractor reuses
    /// <paramref name="parsed"/> rather than reading the bytes again (<see cref="IInboundExtractor.Extract(ReadOnlyMemory{byte}, string, InboundPartnerSettings, object?)"/>).
    /// </summary>
    /// <param name="partnerId">The partner code.</param>
    /// <param name="contentType">Content type as received.</param>
    /// <param name="body">The bytes as received.</param>
    /// <param name="channel"><c>api</c>, <c>mllp</c>, <c>fhir</c>, <c>folder</c>.</param>
    /// <param name="actor">Who sent it.</param>
    /// <param name="parsed">The transport's reading of <paramref name="body"/> (the MLLP listener's HL7 message), or null.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The decision, or a refusal naming the field when nothing was stored.</returns>
    public Task<Result<InboundAccepted>> ReceiveAsync(string? partnerId, string? contentType, byte[] body, string channel, Actor actor, object? parsed, CancellationToken ct) => AppFailure.Run(async () =>
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(actor);
        if (string.IsNullOrWhiteSpace(partnerId))
        {
            throw new AppFailure(AppError.Field(ErrorKind.Invalid, "X-Partner", "required", "Name the sending identification domain in the X-Partner header."));
        }

        var partner = await FindPartnerAsync(partnerId.Trim(), ct).ConfigureAwait(false)
            ?? throw new AppFailure(AppError.Field(ErrorKind.Invalid, "X-Partner", "inbound.unknown-partner", $"No partner '{Clip(partnerId.Trim(), 64)}' is configured."));
        if (!partner.Enabled)
        {
            throw new AppFailure(AppError.Field(ErrorKind.Forbidden, "X-Partner", "inbound.partner-disabled", $"Partner '{partner.Id}' is disabled."));
        }

        if (body.Length == 0)
        {
            throw new AppFailure(AppError.Field(ErrorKind.Invalid, "body", "required", "The body is empty: send an HL7 v2 message, a FHIR resource or a CDA document."));
        }

        if (body.Length > inbound.MaxBytes)
        {
            throw new AppFailure(AppError.Field(ErrorKind.Invalid, "body", "inbound.too-large", $"The body exceeds {inbound.MaxBytes} bytes."));
        }

        var now = Now();
        var item = new InboundItem
        {
            Id = Guid.CreateVersion7(now),
            PartnerId = partner.Id,
            Channel = Clip(channel, 16),
            ContentType = Clip(contentType ?? "", 128),
            Raw = body,
            ReceivedAt = now,
            State = InboundStates.Received,
            Version = 1,
        };
        // The item and its "received" action are committed with the decision, in one transaction: the answer (HTTP 202,
        // MLLP ACK) is sent only after that commit, so what is acknowledged is stored. The transaction is shared with the
        // decisions of the other items arriving at the same time (InboundGroupCommit). A decision that creates an identity
        // stores the item first (see DecideAsync); one that fails stores the item alone, to be decided again by
        // DecidePendingAsync.
        var received = NewAction(item.Id, now, actor.Name, "received", null, null, $"{body.Length} bytes over {item.Channel}", null);
        LogReceived(log, item.Id, partner.Id, body.Length);

        try
        {
            return await DecideAsync(item, received, partner, ct, parsed).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is DbUpdateException or System.Data.Common.DbException or InvalidOperationException or HttpRequestException or TimeoutException)
        {
            LogDecisionFailed(log, item.Id, ex.GetType().Name);
            db.ChangeTracker.Clear();
            if (!await db.InboundItems.AsNoTracking().AnyAsync(x => x.Id == item.Id, ct).ConfigureAwait(false))
            {
                // Not stored yet: store it as received, undecided (a failure here reaches the caller: nothing acknowledged).
                db.InboundItems.Add(new InboundItem
                {
                    Id = item.Id,
                    PartnerId = item.PartnerId,
                    Channel = item.Channel,
                    ContentType = item.ContentType,
                    Raw = item.Raw,
                    ReceivedAt = item.ReceivedAt,
                    State = InboundStates.Received,
                    Version = 1,
                });
                db.InboundActions.Add(NewAction(item.Id, now, actor.Name, "received", null, null, received.Detail, null));
                await db.SaveChangesAsync(ct).ConfigureAwait(false);
                db.ChangeTracker.Clear();
            }

            return new InboundAccepted(item.Id, null, null, "Stored; the decision is pending and will be retried.", "inbound.decision-pending", InboundStates.Received);
        }
    });

    /// <summary>
    /// Decides the items still <c>received</c> (stored before a crash or a failed decision), oldest first. Items younger than
    /// <paramref name="minAge"/> are left to the request that stored them.
    /// </summary>
    /// <param name="max">At most this many.</param>
    /// <param name="minAge">Only items stored at least this long ago.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>How many were decided.</returns>
    public async Task<int> DecidePendingAsync(int max, TimeSpan minAge, CancellationToken ct)
    {
        var before = Now() - minAge;
        var ids = await db.InboundItems.AsNoTracking().Where(x => x.State == InboundStates.Received && x.ReceivedAt <= before).OrderBy(x => x.ReceivedAt).Select(x => x.Id).Take(max).ToListAsync(ct).ConfigureAwait(false);
        var done = 0;
        foreach (var id in ids)
        {
            db.ChangeTracker.Clear();
            var item = await db.InboundItems.FirstOrDefaultAsync(x => x.Id == id && x.State == InboundStates.Received, ct).ConfigureAwait(false);
            var partner = item is null ? null : await FindPartnerAsync(item.PartnerId, ct).ConfigureAwait(false);
            if (item is null || partner is null)
            {
                continue;
            }

            try
            {
                await DecideAsync(item, null, partner, ct).ConfigureAwait(false);
                done++;
            }
            catch (DbUpdateConcurrencyException)
            {
                // Decided meanwhile by another instance.
                db.ChangeTracker.Clear();
            }
        }

        return done;
    }

    /// <summary>An item with its decision and every action.</summary>
    /// <param name="id">Item id.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The item or <c>not-found</c>.</returns>
    public Task<Result<InboundItemView>> GetAsync(Guid id, CancellationToken ct) => AppFailure.Run(async () =>
    {
        var item = await db.InboundItems.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct).ConfigureAwait(false) ?? throw new AppFailure(ItemNotFound(id));
        var actions = await db.InboundActions.AsNoTracking().Where(a => a.ItemId == id).ToListAsync(ct).ConfigureAwait(false);
        return ToView(item, actions.OrderBy(a => a.At).ThenBy(a => a.Id).ToList());
    });

    /// <summary>The raw bytes of an item, as received.</summary>
    /// <param name="id">Item id.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>Content type and bytes.</returns>
    public Task<Result<(string ContentType, byte[] Raw)>> GetRawAsync(Guid id, CancellationToken ct) => AppFailure.Run(async () =>
    {
        var row = await db.InboundItems.AsNoTracking().Where(x => x.Id == id).Select(x => new { x.ContentType, x.Raw }).FirstOrDefaultAsync(ct).ConfigureAwait(false)
            ?? throw new AppFailure(ItemNotFound(id));
        return (row.ContentType, row.Raw);
    });

    /// <summary>Items, newest first; the review queue is <c>state=held</c> (oldest first).</summary>
    /// <param name="state">received, decided, held, resolved (all when null).</param>
    /// <param name="partner">Partner code filter.</param>
    /// <param name="page">Page from 1.</param>
    /// <param name="pageSize">1–100.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The page.</returns>
    public Task<Result<Paged<InboundSummaryItem>>> ListAsync(string? state, string? partner, int? page, int? pageSize, CancellationToken ct) =>
        ListAsync(state, partner, null, page, pageSize, ct);

    /// <summary>Items filtered by state, partner and decision (the dashboard's counts link to these lists), newest first; held items oldest first.</summary>
    /// <param name="state">received, decided, held, resolved (all when null).</param>
    /// <param name="partner">Partner code filter.</param>
    /// <param name="decision">attach, create, hold, reject (any when null): the gate's decision or, after review, the reviewer's.</param>
    /// <param name="page">Page from 1.</param>
    /// <param name="pageSize">1–100.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The page.</returns>
    public Task<Result<Paged<InboundSummaryItem>>> ListAsync(string? state, string? partner, string? decision, int? page, int? pageSize, CancellationToken ct) => AppFailure.Run(async () =>
    {
        if (Paging.Check(page, pageSize, 20, out var p, out var size) is { } error)
        {
            throw new AppFailure(error);
        }

        string[] states = [InboundStates.Received, InboundStates.Decided, InboundStates.Held, InboundStates.Resolved];
        if (state is not null && !states.Contains(state, StringComparer.Ordinal))
        {
            throw new AppFailure(AppError.Field(ErrorKind.Invalid, "state", "code", "Expected received, decided, held or resolved."));
        }

        string[] decisions = [InboundDecisions.Attach, InboundDecisions.Create, InboundDecisions.Hold, InboundDecisions.Reject];
        if (decision is not null && !decisions.Contains(decision, StringComparer.Ordinal))
        {
            throw new AppFailure(AppError.Field(ErrorKind.Invalid, "decision", "code", "Expected attach, create, hold or reject."));
        }

        var q = db.InboundItems.AsNoTracking();
        if (state is not null)
        {
            q = q.Where(x => x.State == state);
        }

        if (decision is not null)
        {
            q = q.Where(x => x.Decision == decision);
        }

        if (!string.IsNullOrWhiteSpace(partner))
        {
            q = q.Where(x => x.PartnerId == partner);
        }

        var total = await q.CountAsync(ct).ConfigureAwait(false);
        var ordered = state == InboundStates.Held ? q.OrderBy(x => x.ReceivedAt).ThenBy(x => x.Id) : q.OrderByDescending(x => x.ReceivedAt).ThenByDescending(x => x.Id);
        var rows = await ordered.Skip((p - 1) * size).Take(size)
            .Select(x => new { x.Id, x.PartnerId, x.Kind, x.ReceivedAt, x.State, x.Decision, x.Rule, x.Reason, x.IdentityId, x.Candidates })
            .ToListAsync(ct).ConfigureAwait(false);
        var items = rows.Select(r => new InboundSummaryItem(r.Id, r.PartnerId, r.Kind, r.ReceivedAt, r.State, r.Decision, r.Rule, r.Reason, r.IdentityId, ReadCandidates(r.Candidates).Count)).ToList();
        return new Paged<InboundSummaryItem>(items, p, size, total);
    });

    /// <summary>Counts by partner for the vigilance dashboard (received, attached, created, held now, rejected, pending).</summary>
    /// <param name="ct">Cancellation.</param>
    /// <returns>One line per partner.</returns>
    public Task<Result<IReadOnlyList<InboundPartnerCounts>>> CountsAsync(CancellationToken ct) => AppFailure.Run(async () =>
    {
        var rows = await db.InboundItems.AsNoTracking().GroupBy(x => new { x.PartnerId, x.State, x.Decision })
            .Select(g => new { g.Key.PartnerId, g.Key.State, g.Key.Decision, Count = g.Count() }).ToListAsync(ct).ConfigureAwait(false);
        IReadOnlyList<InboundPartnerCounts> counts = rows.GroupBy(r => r.PartnerId, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => new InboundPartnerCounts(
            g.Key,
            g.Sum(r => r.Count),
            g.Where(r => r.Decision == InboundDecisions.Attach).Sum(r => r.Count),
            g.Where(r => r.Decision == InboundDecisions.Create).Sum(r => r.Count),
            g.Where(r => r.State == InboundStates.Held).Sum(r => r.Count),
            g.Where(r => r.Decision == InboundDecisions.Reject).Sum(r => r.Count),
            g.Where(r => r.State == InboundStates.Received).Sum(r => r.Count))).ToList();
        return counts;
    });

    private static AppError ItemNotFound(Guid id) => new(ErrorKind.NotFound, "not-found", $"Inbound item {id} does not exist.");

    private static InboundAction NewAction(Guid itemId, DateTimeOffset at, string actor, string action, string? decision, string? rule, string? detail, Guid? identityId) => new()
    {
        Id = Guid.CreateVersion7(at),
        ItemId = itemId,
        At = at,
        Actor = Clip(actor, 256),
        Action = action,
        Decision = decision,
        Rule = rule,
        Detail = detail is null ? null : Clip(detail, 1024),
        IdentityId = identityId,
    };

    private static string Clip(string value, int max) => value.Length > max ? value[..max] : value;

    private static IReadOnlyList<Guid> ReadCandidates(string? json) =>
        string.IsNullOrEmpty(json) ? [] : JsonSerializer.Deserialize<List<Guid>>(json, Json) ?? [];

    private static InboundItemView ToView(InboundItem item, IReadOnlyList<InboundAction> actions) => new(
        item.Id,
        item.PartnerId,
        item.Channel,
        item.ContentType,
        item.Format,
        item.Kind,
        item.MessageId,
        item.PartnerPatientId,
        item.ReceivedAt,
        item.State,
        item.Decision,
        item.Rule,
        item.Reason,
        item.IdentityId,
        item.DecidedAt,
        item.Version,
        string.IsNullOrEmpty(item.Received) ? null : JsonSerializer.Deserialize<ReceivedIdentityView>(item.Received, Json),
        ReadCandidates(item.Candidates),
        actions.Select(a => new InboundActionView(a.At, a.Actor, a.Action, a.Decision, a.Rule, a.Detail, a.IdentityId)).ToList());

    /// <summary>The identity use cases of this unit of work (resolved at first use).</summary>
    private IdentityService Identities => identityService ??= (IdentityService)(services.GetService(typeof(IdentityService))
        ?? throw new InvalidOperationException("IdentityService is not registered (AddSanteGatewayApplication)."));

    private DateTimeOffset Now() => AuditHasher.Truncate(clock.GetUtcNow());

    /// <summary>Now, but at least one millisecond after <paramref name="previous"/>, so an item's actions sort in the order they happened.</summary>
    private DateTimeOffset After(DateTimeOffset previous)
    {
        var now = Now();
        return now > previous ? now : previous.AddMilliseconds(1);
    }

    private Task AuditAsync(Actor actor, string action, Guid itemId, object values, CancellationToken ct) =>
        AuditTrail.AppendAsync(db, new AuditEntry(actor.Name, actor.Source, action, "inbound", itemId.ToString(), null, JsonSerializer.Serialize(values, Json)), clock, ct);

    // Per-item lines are Debug: at a thousand items a second they would be most of the log (and a console logger's CPU);
    // every item keeps its own history (received, steps, decision) in the store, and failures log at Warning.
    [LoggerMessage(Level = LogLevel.Debug, Message = "Inbound item {ItemId} stored from partner {Partner} ({Bytes} bytes)")]
    private static partial void LogReceived(ILogger logger, Guid itemId, string partner, int bytes);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Inbound item {ItemId}: {Decision} ({Rule}), identity {IdentityId}")]
    private static partial void LogDecided(ILogger logger, Guid itemId, string decision, string rule, Guid? identityId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Inbound item {ItemId} stored but not decided ({Error}); it will be decided again")]
    private static partial void LogDecisionFailed(ILogger logger, Guid itemId, string error);
}
