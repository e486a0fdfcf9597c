using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SanteGateway.Store;
using SanteGateway.Store.Audit;
using SanteGateway.Store.Entities;

namespace SanteGateway.Application;

/// <summary>What acts for an establishment.</summary>
public enum EstablishmentHolderKind
{
    /// <summary>A staff account (user claim <c>santegw:establishment</c>).</summary>
    Account,

    /// <summary>An API key (stored with the key).</summary>
    ApiKey,

    /// <summary>An inbound partner (stored with the partner, or declared in <c>Inbound:Partners</c>).</summary>
    InboundPartner,
}

/// <summary>An account, API key or inbound partner and the establishment it acts for.</summary>
/// <param name="Kind">What it is.</param>
/// <param name="Id">Account id, key id or partner code.</param>
/// <param name="Name">User name, key label or partner name.</param>
/// <param name="Establishment">FINESS it is bound to as stored (null = the default establishment).</param>
/// <param name="State">Accounts: <c>active</c> or <c>disabled</c>; keys: <c>active</c> or <c>expired</c>; partners: <c>enabled</c> or <c>disabled</c>.</param>
public sealed record EstablishmentHolder(EstablishmentHolderKind Kind, string Id, string Name, string? Establishment, string State)
{
    /// <summary>A partner declared in configuration only (<c>Inbound:Partners</c>): its establishment is changed there, not here.</summary>
    public bool FromConfiguration { get; init; }
}

/// <summary>One certificate of an establishment with its inventory state.</summary>
/// <param name="Name">Inventory name (<c>insi-auto@FINESS</c>, <c>insi-manu@…</c>, <c>ror@…</c>, <c>dmp@…</c>).</param>
/// <param name="Use">Use.</param>
/// <param name="State"><c>ok</c>, <c>expiring</c>, <c>expired</c>, <c>invalid</c>, <c>unreadable</c>, or <c>unknown</c> when the inventory does not track it.</param>
/// <param name="DaysLeft">Days to expiry.</param>
/// <param name="NotAfter">Expiry.</param>
public sealed record EstablishmentCertificateState(string Name, CertificateUse Use, string State, int? DaysLeft, DateTimeOffset? NotAfter);

/// <summary>An establishment with its certificates and what acts for it.</summary>
/// <param name="Establishment">The configured establishment.</param>
/// <param name="IsDefault">Calls that name no establishment act for it.</param>
/// <param name="Certificates">Its own certificates (none: the gateway-wide certificates serve it).</param>
/// <param name="Holders">Accounts, API keys and partners bound to it.</param>
public sealed record EstablishmentView(Establishment Establishment, bool IsDefault, IReadOnlyList<EstablishmentCertificateState> Certificates, IReadOnlyList<EstablishmentHolder> Holders);

/// <summary>Every establishment and every account, live API key and inbound partner, grouped by the establishment it acts for.</summary>
/// <param name="Establishments">Configured establishments, in configuration order.</param>
/// <param name="Unbound">Bound to none: they act for the default establishment (or the gateway-wide certificates).</param>
/// <param name="BoundToUnknown">Bound to a FINESS that is no longer configured: their calls are refused until rebound.</param>
public sealed record EstablishmentOverview(IReadOnlyList<EstablishmentView> Establishments, IReadOnlyList<EstablishmentHolder> Unbound, IReadOnlyList<EstablishmentHolder> BoundToUnknown)
{
    /// <summary>Every holder, whatever it is bound to.</summary>
    public IEnumerable<EstablishmentHolder> All => Establishments.SelectMany(e => e.Holders).Concat(Unbound).Concat(BoundToUnknown);
}

/// <summary>The outcome of an assignment.</summary>
/// <param name="Kind">What was bound.</param>
/// <param name="Id">Its id.</param>
/// <param name="Name">Its name.</param>
/// <param name="Before">FINESS before (null = the default establishment).</param>
/// <param name="Establishment">FINESS now (null = the default establishment).</param>
public sealed record EstablishmentAssignmentOutcome(EstablishmentHolderKind Kind, string Id, string Name, string? Before, string? Establishment)
{
    /// <summary>False when it was already bound so (nothing written, nothing audited).</summary>
    public bool Changed => !string.Equals(Before, Establishment, StringComparison.Ordinal);
}

/// <summary>
/// Which establishment accounts, API keys and inbound partners act for (administrators): the rules the REST API and the
/// web UI share. An establishment is one of <c>Gateway:Establishments</c> (<see cref="EstablishmentDirectory"/>); an
/// unknown FINESS is refused naming the field (<c>establishment.unknown</c>); binding to none means acting for the
/// default establishment. Every change is audited in the same transaction (who, what, before, after); binding an
/// account renews its security stamp, which ends its sessions (a session carries the establishment it was opened with).
/// Batch jobs choose theirs at creation (<c>BatchService</c>, same check; <see cref="JobChoices"/> for forms).
/// </summary>
public sealed class EstablishmentAssignmentService(
    GatewayDbContext db,
    EstablishmentDirectory establishments,
    TimeProvider clock,
    CertificateInventory? inventory = null,
    IOptions<InboundOptions>? inbound = null,
    InboundPartnerCache? partnerCache = null)
{
    /// <summary>Rule of an establishment that is not configured.</summary>
    public const string UnknownRule = "establishment.unknown";

    /// <summary>Rule of a partner declared in configuration, whose establishment is changed there.</summary>
    public const string ConfiguredPartnerRule = "establishment.partner-configured";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Partners declared in configuration (<c>Inbound:Partners</c>); a stored partner of the same code wins.</summary>
    private IEnumerable<InboundPartnerOption> ConfiguredPartners => inbound?.Value.Partners ?? Enumerable.Empty<InboundPartnerOption>();

    /// <summary>The configured establishments.</summary>
    public EstablishmentDirectory Directory => establishments;

    /// <summary>
    /// The establishments a new batch job of <paramref name="actor"/> may act for: only their own when they are bound to
    /// one (a job cannot lend another establishment's certificates), else every configured one.
    /// </summary>
    /// <param name="actor">The job's creator.</param>
    /// <returns>The choices (empty when none is configured).</returns>
    public IReadOnlyList<Establishment> JobChoices(Actor actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (actor.Establishment is null)
        {
            return establishments.All;
        }

        return establishments.Find(actor.Establishment) is { } own ? [own] : [];
    }

    /// <summary>Every establishment with its certificates and holders, and the holders bound to none or to an unknown FINESS.</summary>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The overview.</returns>
    public async Task<EstablishmentOverview> OverviewAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var claims = (await db.UserClaims.AsNoTracking().Where(c => c.ClaimType == EstablishmentClaims.Type)
                .Select(c => new { c.UserId, c.ClaimValue }).ToListAsync(ct).ConfigureAwait(false))
            .GroupBy(c => c.UserId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().ClaimValue, StringComparer.Ordinal);
        var holders = new List<EstablishmentHolder>();
        foreach (var u in await db.Users.AsNoTracking().OrderBy(x => x.UserName).Select(x => new { x.Id, x.UserName, x.IsDisabled }).ToListAsync(ct).ConfigureAwait(false))
        {
            holders.Add(new(EstablishmentHolderKind.Account, u.Id, u.UserName ?? u.Id, claims.GetValueOrDefault(u.Id), u.IsDisabled ? "disabled" : "active"));
        }

        // A revoked key never authenticates again: it acts for nothing.
        foreach (var k in (await db.ApiKeys.AsNoTracking().Where(x => x.RevokedAt == null).ToListAsync(ct).ConfigureAwait(false)).OrderBy(x => x.Name, StringComparer.CurrentCulture))
        {
            holders.Add(new(EstablishmentHolderKind.ApiKey, k.Id, k.Name, k.Establishment, k.ExpiresAt is { } e && e <= now ? "expired" : "active"));
        }

        var stored = await db.InboundPartners.AsNoTracking().OrderBy(x => x.Id).ToListAsync(ct).ConfigureAwait(false);
        foreach (var p in stored)
        {
            holders.Add(new(EstablishmentHolderKind.InboundPartner, p.Id, p.Name, p.Establishment, p.Enabled ? "enabled" : "disabled"));
        }

        foreach (var p in ConfiguredPartners.Where(o => !stored.Any(s => string.Equals(s.Id, o.Id, StringComparison.Ordinal))))
        {
            holders.Add(new(EstablishmentHolderKind.InboundPartner, p.Id, string.IsNullOrWhiteSpace(p.Name) ? p.Id : p.Name, string.IsNullOrWhiteSpace(p.Establishment) ? null : p.Establishment.Trim(), "enabled")
            {
                FromConfiguration = true,
            });
        }

        var states = inventory?.List() ?? [];
        var views = establishments.All.Select(e => new EstablishmentView(
            e,
            ReferenceEquals(e, establishments.Default),
            e.TrackedCertificates().Select(t => states.FirstOrDefault(x => x.Name == t.Name) is { } state
                ? new EstablishmentCertificateState(t.Name, t.Use, state.State, state.DaysLeft, state.NotAfter)
                : new EstablishmentCertificateState(t.Name, t.Use, "unknown", null, null)).ToList(),
            holders.Where(h => establishments.Find(h.Establishment) is { } found && ReferenceEquals(found, e)).ToList())).ToList();
        return new EstablishmentOverview(
            views,
            holders.Where(h => string.IsNullOrWhiteSpace(h.Establishment)).ToList(),
            holders.Where(h => !string.IsNullOrWhiteSpace(h.Establishment) && establishments.Find(h.Establishment) is null).ToList());
    }

    /// <summary>Binds an account to an establishment (null or empty = the default one); its sessions end.</summary>
    /// <param name="id">Account id, or user name.</param>
    /// <param name="establishment">FINESS of a configured establishment, or null.</param>
    /// <param name="actor">The administrator.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The binding now in force, or <c>not-found</c> (field <c>id</c>), <c>establishment.unknown</c> (field <c>establishment</c>).</returns>
    public Task<Result<EstablishmentAssignmentOutcome>> AssignAccountAsync(string id, string? establishment, Actor actor, CancellationToken ct) => AppFailure.Run(async () =>
    {
        ArgumentNullException.ThrowIfNull(actor);
        var key = id ?? "";
        var normalized = key.Normalize().ToUpperInvariant();
        var user = await db.Users.FirstOrDefaultAsync(u => u.Id == key, ct).ConfigureAwait(false)
            ?? await db.Users.FirstOrDefaultAsync(u => u.NormalizedUserName == normalized, ct).ConfigureAwait(false)
            ?? throw new AppFailure(AppError.Field(ErrorKind.NotFound, "id", "not-found", $"No account {Clip(key)}."));
        var finess = Resolve(establishment);
        var claims = await db.UserClaims.Where(c => c.UserId == user.Id && c.ClaimType == EstablishmentClaims.Type).ToListAsync(ct).ConfigureAwait(false);
        var outcome = new EstablishmentAssignmentOutcome(EstablishmentHolderKind.Account, user.Id, user.UserName ?? user.Id, claims.FirstOrDefault()?.ClaimValue, finess);
        if (!outcome.Changed && claims.Count <= 1)
        {
            return outcome;
        }

        await using var tx = await db.Database.BeginTransactionAsync(ct).ConfigureAwait(false);
        db.UserClaims.RemoveRange(claims);
        if (finess is not null)
        {
            db.UserClaims.Add(new IdentityUserClaim<string> { UserId = user.Id, ClaimType = EstablishmentClaims.Type, ClaimValue = finess });
        }

        // The claim is read into a session at sign-in: a new security stamp ends the account's sessions (the host checks
        // it on every request), and the next sign-in carries the new establishment. Written here rather than through
        // UserManager so that claim, stamp and audit event commit together; the concurrency stamp guards against a
        // concurrent change of the account.
        user.SecurityStamp = Convert.ToHexString(RandomNumberGenerator.GetBytes(20));
        user.ConcurrencyStamp = Guid.NewGuid().ToString();
        await AuditAsync(actor, "user.establishment", "user", user.Id, outcome, ct).ConfigureAwait(false);
        await SaveAsync(ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return outcome;
    });

    /// <summary>Binds an API key to an establishment (null or empty = the default one); read on the key's next request.</summary>
    /// <param name="id">Key id.</param>
    /// <param name="establishment">FINESS of a configured establishment, or null.</param>
    /// <param name="actor">The administrator.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The binding now in force, or <c>not-found</c> (field <c>id</c>), <c>establishment.unknown</c> (field <c>establishment</c>).</returns>
    public Task<Result<EstablishmentAssignmentOutcome>> AssignApiKeyAsync(string id, string? establishment, Actor actor, CancellationToken ct) => AppFailure.Run(async () =>
    {
        ArgumentNullException.ThrowIfNull(actor);
        var key = id ?? "";
        var row = await db.ApiKeys.FirstOrDefaultAsync(k => k.Id == key, ct).ConfigureAwait(false)
            ?? throw new AppFailure(AppError.Field(ErrorKind.NotFound, "id", "not-found", $"No API key {Clip(key)}."));
        var finess = Resolve(establishment);
        var outcome = new EstablishmentAssignmentOutcome(EstablishmentHolderKind.ApiKey, row.Id, row.Name, row.Establishment, finess);
        if (!outcome.Changed)
        {
            return outcome;
        }

        await using var tx = await db.Database.BeginTransactionAsync(ct).ConfigureAwait(false);
        row.Establishment = finess;
        await AuditAsync(actor, "apikey.establishment", "apikey", row.Id, outcome, ct).ConfigureAwait(false);
        await SaveAsync(ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return outcome;
    });

    /// <summary>
    /// Binds a stored inbound partner to an establishment (null or empty = the default one): the gate's INSi
    /// verifications of its data present that establishment's INSI-AUTO. A partner declared only in configuration
    /// (<c>Inbound:Partners</c>) is refused (<c>establishment.partner-configured</c>): its establishment is set there.
    /// </summary>
    /// <param name="id">Partner code.</param>
    /// <param name="establishment">FINESS of a configured establishment, or null.</param>
    /// <param name="actor">The administrator.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The binding now in force, or the refusal naming the field.</returns>
    public Task<Result<EstablishmentAssignmentOutcome>> AssignPartnerAsync(string id, string? establishment, Actor actor, CancellationToken ct) => AppFailure.Run(async () =>
    {
        ArgumentNullException.ThrowIfNull(actor);
        var key = id ?? "";
        var row = await db.InboundPartners.FirstOrDefaultAsync(p => p.Id == key, ct).ConfigureAwait(false);
        if (row is null)
        {
            throw new AppFailure(ConfiguredPartners.Any(p => string.Equals(p.Id, key, StringComparison.Ordinal))
                ? AppError.Field(ErrorKind.Conflict, "id", ConfiguredPartnerRule, $"Partner {Clip(key)} is declared in configuration: set Inbound:Partners:N:Establishment there.")
                : AppError.Field(ErrorKind.NotFound, "id", "not-found", $"No inbound partner {Clip(key)}."));
        }

        var finess = Resolve(establishment);
        var outcome = new EstablishmentAssignmentOutcome(EstablishmentHolderKind.InboundPartner, row.Id, row.Name, row.Establishment, finess);
        if (!outcome.Changed)
        {
            return outcome;
        }

        await using var tx = await db.Database.BeginTransactionAsync(ct).ConfigureAwait(false);
        row.Establishment = finess;
        row.UpdatedAt = clock.GetUtcNow();
        row.UpdatedBy = actor.Name.Length > 256 ? actor.Name[..256] : actor.Name;
        await AuditAsync(actor, "inbound-partner.establishment", "inbound-partner", row.Id, outcome, ct).ConfigureAwait(false);
        await SaveAsync(ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        // The gate's next item acts for the new establishment (its INSi calls present that establishment's certificates).
        partnerCache?.Invalidate(row.Id);
        return outcome;
    });

    /// <summary>The configured establishment's FINESS as configured (case and spaces of the input ignored), null for none, else the refusal.</summary>
    private string? Resolve(string? asked)
    {
        if (string.IsNullOrWhiteSpace(asked))
        {
            return null;
        }

        return establishments.Find(asked)?.Finess
            ?? throw new AppFailure(AppError.Field(ErrorKind.Invalid, "establishment", UnknownRule, $"Establishment {Clip(asked.Trim())} is not configured (Gateway:Establishments)."));
    }

    private async Task AuditAsync(Actor actor, string action, string type, string id, EstablishmentAssignmentOutcome outcome, CancellationToken ct) =>
        await AuditTrail.AppendAsync(db, new AuditEntry(actor.Name, actor.Source, action, type, id,
            JsonSerializer.Serialize(new { establishment = outcome.Before }, Json), JsonSerializer.Serialize(new { establishment = outcome.Establishment }, Json)), clock, ct).ConfigureAwait(false);

    private async Task SaveAsync(CancellationToken ct)
    {
        try
        {
            await db.SaveChangesAsync(ct).ConfigureAwait(false);
        }
        catch (DbUpdateConcurrencyException)
        {
            throw new AppFailure(AppError.Field(ErrorKind.Conflict, "id", "concurrency.stale", "It was changed by someone else meanwhile; reload and retry."));
        }
    }

    private static string Clip(string s) => s.Length > 64 ? s[..64] : s;
}
