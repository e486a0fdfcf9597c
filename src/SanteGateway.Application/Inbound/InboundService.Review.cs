using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using SanteGateway.Store.Audit;
using SanteGateway.Store.Entities;

namespace SanteGateway.Application;

/// <summary>The review queue (identity vigilance) and the partners' settings.</summary>
public sealed partial class InboundService
{
    /// <summary>Attaches a held item to a local identity chosen by identity vigilance.</summary>
    /// <param name="id">Item id.</param>
    /// <param name="req">Identity, reason, version.</param>
    /// <param name="actor">The reviewer (identity-vigilance role).</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The item after the decision.</returns>
    public Task<Result<InboundItemView>> AttachAsync(Guid id, InboundReviewRequest req, Actor actor, CancellationToken ct) => AppFailure.Run(async () =>
    {
        var (item, reason) = await BeginReviewAsync(id, req, actor, ct).ConfigureAwait(false);
        if (req.IdentityId is not { } identityId)
        {
            throw new AppFailure(AppError.Field(ErrorKind.Invalid, "identityId", "required", "Name the identity the data belongs to."));
        }

        var row = await db.Identities.AsNoTracking().FirstOrDefaultAsync(x => x.Id == identityId, ct).ConfigureAwait(false) ?? throw new AppFailure(AppError.NotFound(identityId));
        if (row.MergedIntoId is { } survivor)
        {
            throw new AppFailure(new AppError(ErrorKind.Conflict, "identity.merged", $"Identity {row.Id} was merged into {survivor}; attach to that identity.",
                Data: new Dictionary<string, object?>(StringComparer.Ordinal) { ["mergedInto"] = survivor }));
        }

        var received = string.IsNullOrEmpty(item.Received) ? null : JsonSerializer.Deserialize<ReceivedIdentityView>(item.Received, Json);
        if (received is { InsTrusted: true, InsMatricule: { } m } && row.InsMatricule is not null && (row.InsMatricule != m || row.InsOid != received.InsOid))
        {
            throw new AppFailure(AppError.Field(ErrorKind.Conflict, "identityId", "inbound.ins-collision",
                "The data was sent with a qualified INS and this identity holds another one: attaching would mix two persons."));
        }

        var partner = await FindPartnerAsync(item.PartnerId, ct).ConfigureAwait(false);
        return await ResolveAsync(item, InboundDecisions.Attach, "inbound.review-attach", reason, identityId, actor, ct, async now =>
        {
            if (partner is not null)
            {
                await RecordPartnerIdAsync(identityId, partner, item.PartnerPatientId, now, ct).ConfigureAwait(false);
            }

            await AuditTrail.AppendAsync(db, new AuditEntry(actor.Name, actor.Source, "identity.inbound-attached", "identity", identityId.ToString(), null,
                JsonSerializer.Serialize(new { item = item.Id, partner = item.PartnerId, rule = "inbound.review-attach", reason }, Json)), clock, ct).ConfigureAwait(false);
        }).ConfigureAwait(false);
    });

    /// <summary>Creates a provisional identity from a held item's traits (identity vigilance may force it beside a same-trait identity, with the reason).</summary>
    /// <param name="id">Item id.</param>
    /// <param name="req">Reason, force, version.</param>
    /// <param name="actor">The reviewer.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The item after the decision, or the creation's refusal (duplicates named).</returns>
    public Task<Result<InboundItemView>> CreateIdentityAsync(Guid id, InboundReviewRequest req, Actor actor, CancellationToken ct) => AppFailure.Run(async () =>
    {
        var (item, reason) = await BeginReviewAsync(id, req, actor, ct).ConfigureAwait(false);
        var partner = await FindPartnerAsync(item.PartnerId, ct).ConfigureAwait(false)
            ?? throw new AppFailure(new AppError(ErrorKind.Conflict, "inbound.unknown-partner", $"Partner '{item.PartnerId}' is no longer configured."));
        var traits = extractor.Extract(item.Raw, item.ContentType, partner).Patient?.Traits
            ?? throw new AppFailure(new AppError(ErrorKind.Unprocessable, "inbound.traits-unusable", "The received traits are incomplete: create the identity by hand, then attach the item to it."));
        var created = await Identities.CreateAsync(CreateRequest(traits, partner, item.PartnerPatientId, req.Force, reason), actor, ct).ConfigureAwait(false);
        if (!created.IsSuccess)
        {
            throw new AppFailure(created.Error);
        }

        return await ResolveAsync(item, InboundDecisions.Create, "inbound.review-create", reason, created.Value.Id, actor, ct, _ => Task.CompletedTask).ConfigureAwait(false);
    });

    /// <summary>Rejects a held item (the data is kept, never delivered).</summary>
    /// <param name="id">Item id.</param>
    /// <param name="req">Reason, version.</param>
    /// <param name="actor">The reviewer.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The item after the decision.</returns>
    public Task<Result<InboundItemView>> RejectAsync(Guid id, InboundReviewRequest req, Actor actor, CancellationToken ct) => AppFailure.Run(async () =>
    {
        var (item, reason) = await BeginReviewAsync(id, req, actor, ct).ConfigureAwait(false);
        return await ResolveAsync(item, InboundDecisions.Reject, "inbound.review-reject", reason, null, actor, ct, _ => Task.CompletedTask).ConfigureAwait(false);
    });

    /// <summary>Every partner: store rows, then configured ones the store does not override.</summary>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The partners.</returns>
    public Task<Result<IReadOnlyList<InboundPartnerSettings>>> PartnersAsync(CancellationToken ct) => AppFailure.Run(async () =>
    {
        var rows = await db.InboundPartners.AsNoTracking().OrderBy(x => x.Id).ToListAsync(ct).ConfigureAwait(false);
        var list = rows.Select(ToSettings).ToList();
        list.AddRange(inbound.Partners.Where(o => rows.All(r => r.Id != o.Id)).Select(ToSettings));
        IReadOnlyList<InboundPartnerSettings> result = list;
        return result;
    });

    /// <summary>Creates or replaces a partner in the store (audited).</summary>
    /// <param name="id">Partner code.</param>
    /// <param name="req">Settings.</param>
    /// <param name="actor">Who.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The settings now in force.</returns>
    public Task<Result<InboundPartnerSettings>> PutPartnerAsync(string id, InboundPartnerRequest req, Actor actor, CancellationToken ct) => AppFailure.Run(async () =>
    {
        ArgumentNullException.ThrowIfNull(req);
        ArgumentNullException.ThrowIfNull(actor);
        var errors = new FieldErrors();
        if (string.IsNullOrEmpty(id) || !PartnerCode().IsMatch(id))
        {
            errors.Add("id", "format", "1 to 64 letters, digits, '.', '-' or '_'.");
        }

        var authority = req.AssigningAuthority?.Trim();
        if (string.IsNullOrEmpty(authority) || authority.Length > 128)
        {
            errors.Add("assigningAuthority", "required", "The assigning authority (OID or namespace, at most 128 characters) of the partner's patient ids is required.");
        }

        var qualified = (req.QualifiedCode ?? "VALI").Trim().ToUpperInvariant();
        if (qualified is not ("VALI" or "QUAL"))
        {
            errors.Add("qualifiedCode", "code", "Expected VALI (PAM, FR Core 2.1) or QUAL (FR Core 2.2+).");
        }

        var transport = (req.Transport ?? "api").Trim().ToLowerInvariant();
        if (transport is not ("api" or "mllp" or "fhir" or "folder"))
        {
            errors.Add("transport", "code", "Expected api, mllp, fhir or folder.");
        }

        var aliases = (req.AuthorityAliases ?? []).Select(a => a?.Trim() ?? "").Where(a => a.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        if (aliases.Any(a => a.Contains(',', StringComparison.Ordinal)) || string.Join(',', aliases).Length > 512)
        {
            errors.Add("authorityAliases", "format", "At most 512 characters in all, without commas.");
        }

        var establishment = string.IsNullOrWhiteSpace(req.Establishment) ? null : req.Establishment.Trim();
        if (establishment is not null && establishments.Find(establishment) is null)
        {
            errors.Add("establishment", "establishment.unknown", $"Establishment {Clip(establishment, 16)} is not configured (Gateway:Establishments).");
        }

        errors.ThrowIfAny();
        var now = Now();
        var row = await db.InboundPartners.FirstOrDefaultAsync(x => x.Id == id, ct).ConfigureAwait(false);
        var before = row is null ? null : JsonSerializer.Serialize(ToSettings(row), Json);
        if (row is null)
        {
            row = new InboundPartner { Id = id, CreatedAt = now };
            db.InboundPartners.Add(row);
        }

        row.Name = string.IsNullOrWhiteSpace(req.Name) ? id : Clip(req.Name.Trim(), 256);
        row.AssigningAuthority = authority!;
        row.AuthorityAliases = aliases.Count == 0 ? null : string.Join(',', aliases);
        row.Transport = transport;
        row.VerifyInsWithInsi = req.VerifyInsWithInsi ?? false;
        row.AllowCreate = req.AllowCreate ?? false;
        row.QualifiedCode = qualified;
        row.Enabled = req.Enabled ?? true;
        row.Establishment = establishment;
        row.UpdatedAt = now;
        row.UpdatedBy = Clip(actor.Name, 256);
        var settings = ToSettings(row);
        await using var tx = await db.Database.BeginTransactionAsync(ct).ConfigureAwait(false);
        await AuditTrail.AppendAsync(db, new AuditEntry(actor.Name, actor.Source, "inbound.partner-saved", "inbound-partner", id, before, JsonSerializer.Serialize(settings, Json)), clock, ct).ConfigureAwait(false);
        await db.SaveChangesAsync(ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        partners?.Invalidate(id);
        return settings;
    });

    /// <summary>
    /// A partner by code: the store row, else the configured one. Kept in memory for <see cref="InboundOptions.PartnerCacheSeconds"/>
    /// (<see cref="InboundPartnerCache"/>): a change made through this gateway is seen at once, one made by another instance
    /// within that time.
    /// </summary>
    /// <param name="id">Partner code.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The settings, or null.</returns>
    public async Task<InboundPartnerSettings?> FindPartnerAsync(string id, CancellationToken ct) =>
        partners is null ? await ReadPartnerAsync(id, ct).ConfigureAwait(false) : await partners.GetAsync(id, c => ReadPartnerAsync(id, c), ct).ConfigureAwait(false);

    private async Task<InboundPartnerSettings?> ReadPartnerAsync(string id, CancellationToken ct)
    {
        var row = await db.InboundPartners.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct).ConfigureAwait(false);
        if (row is not null)
        {
            return ToSettings(row);
        }

        var option = inbound.Partners.FirstOrDefault(p => string.Equals(p.Id, id, StringComparison.Ordinal));
        return option is null ? null : ToSettings(option);
    }

    private static InboundPartnerSettings ToSettings(InboundPartner p) => new(
        p.Id,
        p.Name,
        p.AssigningAuthority,
        string.IsNullOrEmpty(p.AuthorityAliases) ? [] : p.AuthorityAliases.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
        p.Transport,
        p.VerifyInsWithInsi,
        p.AllowCreate,
        p.QualifiedCode,
        p.Enabled) { Establishment = p.Establishment };

    private static InboundPartnerSettings ToSettings(InboundPartnerOption p) => new(
        p.Id,
        string.IsNullOrWhiteSpace(p.Name) ? p.Id : p.Name,
        p.AssigningAuthority,
        p.AuthorityAliases.ToList(),
        p.Transport,
        p.VerifyInsWithInsi,
        p.AllowCreate,
        string.IsNullOrWhiteSpace(p.QualifiedCode) ? "VALI" : p.QualifiedCode.Trim().ToUpperInvariant()) { Establishment = string.IsNullOrWhiteSpace(p.Establishment) ? null : p.Establishment.Trim() };

    private async Task<(InboundItem Item, string Reason)> BeginReviewAsync(Guid id, InboundReviewRequest req, Actor actor, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(req);
        ArgumentNullException.ThrowIfNull(actor);
        if (!actor.IsVigilance)
        {
            throw new AppFailure(new AppError(ErrorKind.Forbidden, "inbound.review-requires-vigilance", "Only identity vigilance (or an inbound reviewer) decides on held items."));
        }

        if (string.IsNullOrWhiteSpace(req.Reason))
        {
            throw new AppFailure(AppError.Field(ErrorKind.Invalid, "reason", "required", "Say why (audited)."));
        }

        var item = await db.InboundItems.FirstOrDefaultAsync(x => x.Id == id, ct).ConfigureAwait(false) ?? throw new AppFailure(ItemNotFound(id));
        if (item.State != InboundStates.Held)
        {
            throw new AppFailure(AppError.Field(ErrorKind.Conflict, "state", "inbound.not-held", $"The item is {item.State} ({item.Decision ?? "no decision"}): only held items are reviewed."));
        }

        if (req.Version is { } v && v != item.Version)
        {
            throw new AppFailure(AppError.Stale(item.Version));
        }

        return (item, Clip(req.Reason.Trim(), 1000));
    }

    private async Task<InboundItemView> ResolveAsync(InboundItem item, string decision, string rule, string reason, Guid? identityId, Actor actor, CancellationToken ct, Func<DateTimeOffset, Task> sameTransaction)
    {
        var now = After(item.DecidedAt ?? item.ReceivedAt);
        await using var tx = await db.Database.BeginTransactionAsync(ct).ConfigureAwait(false);
        try
        {
            await sameTransaction(now).ConfigureAwait(false);
            var previous = item.Decision;
            item.Decision = decision;
            item.Rule = rule;
            item.Reason = reason;
            item.IdentityId = identityId;
            item.State = InboundStates.Resolved;
            item.DecidedAt = now;
            item.Version++;
            var action = decision switch
            {
                InboundDecisions.Attach => "attached",
                InboundDecisions.Create => "created",
                _ => "rejected",
            };
            db.InboundActions.Add(NewAction(item.Id, now, actor.Name, action, decision, rule, reason, identityId));
            if (decision is InboundDecisions.Attach or InboundDecisions.Create && identityId is { } accepted)
            {
                // The held data reaches the publisher's software only now, after the review decision.
                QueueDelivery(item, accepted, now.AddMilliseconds(1), null);
            }

            await AuditAsync(actor, "inbound.reviewed", item.Id, new { previous, decision, rule, identityId, reason }, ct).ConfigureAwait(false);
            await db.SaveChangesAsync(ct).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
        }
        catch (DbUpdateConcurrencyException)
        {
            db.ChangeTracker.Clear();
            var current = await db.InboundItems.AsNoTracking().Where(x => x.Id == item.Id).Select(x => x.Version).FirstOrDefaultAsync(CancellationToken.None).ConfigureAwait(false);
            throw new AppFailure(AppError.Stale(current));
        }

        var actions = await db.InboundActions.AsNoTracking().Where(a => a.ItemId == item.Id).ToListAsync(ct).ConfigureAwait(false);
        return ToView(item, actions.OrderBy(a => a.At).ThenBy(a => a.Id).ToList());
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex PartnerCode();
}
