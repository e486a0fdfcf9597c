using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SanteGateway.Identity;
using SanteGateway.Store;
using SanteGateway.Store.Audit;

namespace SanteGateway.Application;

/// <summary>Counts of the vigilance dashboard.</summary>
/// <param name="ByStatus">Live identities by status (PROV, RECUP, VALI, QUAL).</param>
/// <param name="ByAttribute">Live identities by attribute (HOMA, DOUT, FICT).</param>
/// <param name="OpenAlerts">Open alerts by kind.</param>
/// <param name="Worklists">Size of each worklist.</param>
public sealed record VigilanceSummary(
    IReadOnlyDictionary<string, int> ByStatus,
    IReadOnlyDictionary<string, int> ByAttribute,
    IReadOnlyDictionary<string, int> OpenAlerts,
    IReadOnlyDictionary<string, int> Worklists);

/// <summary>One line of a worklist: the identity, and the alert when the list is made of alerts.</summary>
/// <param name="IdentityId">Identity.</param>
/// <param name="Status">Its status.</param>
/// <param name="BirthName">Birth name.</param>
/// <param name="FirstFirstName">First first-name.</param>
/// <param name="BirthDate">Birth date.</param>
/// <param name="Attributes">HOMA, DOUT, FICT.</param>
/// <param name="Since">When it entered the list (alert raised, identity changed).</param>
/// <param name="AlertId">The alert.</param>
/// <param name="Kind">Alert kind.</param>
/// <param name="OtherIdentityId">The other identity (collision, duplicate).</param>
/// <param name="ExchangeId">The INSi exchange behind the alert.</param>
/// <param name="Detail">Codes (never identity data).</param>
public sealed record WorklistItem(
    Guid IdentityId,
    string Status,
    string BirthName,
    string FirstFirstName,
    DateOnly BirthDate,
    IReadOnlyList<string> Attributes,
    DateTimeOffset Since,
    Guid? AlertId = null,
    string? Kind = null,
    Guid? OtherIdentityId = null,
    Guid? ExchangeId = null,
    string? Detail = null);

/// <summary>
/// Identity-vigilance worklists: <c>to-verify</c> (live identities not yet QUAL and not doubtful or fictitious),
/// <c>doubtful</c> (DOUT or FICT), and open alerts: <c>duplicates</c>, <c>collisions</c>, <c>verification-alerts</c>,
/// <c>insi-failures</c>.
/// </summary>
public sealed class VigilanceService(GatewayDbContext db, TimeProvider clock)
{
    /// <summary>The worklist names.</summary>
    public static IReadOnlyList<string> Worklists { get; } = ["to-verify", "doubtful", "duplicates", "collisions", "verification-alerts", "insi-failures"];

    private static readonly Dictionary<string, string[]> AlertLists = new(StringComparer.Ordinal)
    {
        ["duplicates"] = [AlertKinds.DuplicateForced, AlertKinds.PotentialDuplicate],
        ["collisions"] = [AlertKinds.Collision],
        ["verification-alerts"] = [AlertKinds.VerificationMismatch, AlertKinds.VerificationNotFound, AlertKinds.VerificationAmbiguous],
        ["insi-failures"] = [AlertKinds.InsiFailure],
    };

    private const int Blocking = (int)(IdentityAttributes.Doubtful | IdentityAttributes.Fictitious);

    /// <summary>Counts by status, attribute, open alert kind and worklist.</summary>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The summary.</returns>
    public async Task<Result<VigilanceSummary>> SummaryAsync(CancellationToken ct)
    {
        var live = db.Identities.AsNoTracking().Where(x => x.MergedIntoId == null);
        var byStatus = await live.GroupBy(x => x.Status).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct).ConfigureAwait(false);
        var attrs = await live.Where(x => x.Attributes != 0).GroupBy(x => x.Attributes).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct).ConfigureAwait(false);
        var alerts = await db.VigilanceAlerts.AsNoTracking().Where(a => a.ResolvedAt == null).GroupBy(a => a.Kind).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct).ConfigureAwait(false);
        var status = new[] { "PROV", "RECUP", "VALI", "QUAL" }.ToDictionary(s => s, s => byStatus.Where(x => x.Key == s).Sum(x => x.Count), StringComparer.Ordinal);
        var byAttribute = new Dictionary<string, int>(StringComparer.Ordinal) { ["HOMA"] = 0, ["DOUT"] = 0, ["FICT"] = 0 };
        foreach (var a in attrs)
        {
            foreach (var code in RnivCodes.ToCodes((IdentityAttributes)a.Key))
            {
                byAttribute[code] += a.Count;
            }
        }

        var open = alerts.ToDictionary(a => a.Key, a => a.Count, StringComparer.Ordinal);
        var lists = new Dictionary<string, int>(StringComparer.Ordinal)
        {
            ["to-verify"] = await ToVerify().CountAsync(ct).ConfigureAwait(false),
            ["doubtful"] = await live.Where(x => (x.Attributes & Blocking) != 0).CountAsync(ct).ConfigureAwait(false),
        };
        foreach (var (list, kinds) in AlertLists)
        {
            lists[list] = kinds.Sum(k => open.GetValueOrDefault(k));
        }

        return Result<VigilanceSummary>.Ok(new VigilanceSummary(status, byAttribute, open, lists));
    }

    /// <summary>One worklist, oldest first.</summary>
    /// <param name="kind">Worklist name (see <see cref="Worklists"/>).</param>
    /// <param name="page">Page from 1.</param>
    /// <param name="pageSize">1–100.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The page.</returns>
    public async Task<Result<Paged<WorklistItem>>> WorklistAsync(string? kind, int? page, int? pageSize, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(kind) || !Worklists.Contains(kind))
        {
            return Result<Paged<WorklistItem>>.Fail(AppError.Field(ErrorKind.Invalid, "kind", "code", "Expected one of: " + string.Join(", ", Worklists) + "."));
        }

        if (Paging.Check(page, pageSize, 20, out var p, out var size) is { } pagingError)
        {
            return Result<Paged<WorklistItem>>.Fail(pagingError);
        }

        if (AlertLists.TryGetValue(kind, out var kinds))
        {
            var q = from a in db.VigilanceAlerts.AsNoTracking()
                    join i in db.Identities.AsNoTracking() on a.IdentityId equals i.Id
                    where a.ResolvedAt == null && kinds.Contains(a.Kind)
                    select new { a, i.Status, i.BirthName, i.FirstFirstName, i.BirthDate, i.Attributes };
            var total = await q.CountAsync(ct).ConfigureAwait(false);
            var rows = await q.OrderBy(x => x.a.CreatedAt).ThenBy(x => x.a.Id).Skip((p - 1) * size).Take(size).ToListAsync(ct).ConfigureAwait(false);
            var items = rows.Select(x => new WorklistItem(x.a.IdentityId, x.Status, x.BirthName, x.FirstFirstName, x.BirthDate, RnivCodes.ToCodes((IdentityAttributes)x.Attributes),
                x.a.CreatedAt, x.a.Id, x.a.Kind, x.a.OtherIdentityId, x.a.ExchangeId, x.a.Detail)).ToList();
            return Result<Paged<WorklistItem>>.Ok(new Paged<WorklistItem>(items, p, size, total));
        }

        var identities = kind == "to-verify" ? ToVerify() : db.Identities.AsNoTracking().Where(x => x.MergedIntoId == null && (x.Attributes & Blocking) != 0);
        var count = await identities.CountAsync(ct).ConfigureAwait(false);
        var list = await identities.OrderBy(x => x.UpdatedAt).ThenBy(x => x.Id).Skip((p - 1) * size).Take(size)
            .Select(x => new { x.Id, x.Status, x.BirthName, x.FirstFirstName, x.BirthDate, x.Attributes, x.UpdatedAt }).ToListAsync(ct).ConfigureAwait(false);
        return Result<Paged<WorklistItem>>.Ok(new Paged<WorklistItem>(
            list.Select(x => new WorklistItem(x.Id, x.Status, x.BirthName, x.FirstFirstName, x.BirthDate, RnivCodes.ToCodes((IdentityAttributes)x.Attributes), x.UpdatedAt)).ToList(), p, size, count));
    }

    /// <summary>Closes an alert with a reason (audited on the identity).</summary>
    /// <param name="alertId">Alert id.</param>
    /// <param name="req">The reason.</param>
    /// <param name="actor">Who (identity vigilance).</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The identity id of the alert.</returns>
    public async Task<Result<Guid>> ResolveAlertAsync(Guid alertId, ResolveAlertRequest req, Actor actor, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(req);
        ArgumentNullException.ThrowIfNull(actor);
        if (!actor.IsVigilance)
        {
            return Result<Guid>.Fail(new AppError(ErrorKind.Forbidden, "alert.requires-vigilance", "Only identity vigilance may close an alert."));
        }

        if (string.IsNullOrWhiteSpace(req.Reason))
        {
            return Result<Guid>.Fail(AppError.Field(ErrorKind.Invalid, "reason", "required", "Say what was done (audited)."));
        }

        var alert = await db.VigilanceAlerts.FirstOrDefaultAsync(a => a.Id == alertId, ct).ConfigureAwait(false);
        if (alert is null)
        {
            return Result<Guid>.Fail(new AppError(ErrorKind.NotFound, "not-found", $"Alert {alertId} does not exist."));
        }

        if (alert.ResolvedAt is not null)
        {
            return Result<Guid>.Fail(new AppError(ErrorKind.Conflict, "alert.resolved", $"Alert {alertId} is already closed."));
        }

        var now = AuditHasher.Truncate(clock.GetUtcNow());
        alert.ResolvedAt = now;
        alert.ResolvedBy = actor.Name;
        alert.Resolution = req.Reason.Trim().Length > 1000 ? req.Reason.Trim()[..1000] : req.Reason.Trim();
        await using var tx = await db.Database.BeginTransactionAsync(ct).ConfigureAwait(false);
        await AuditTrail.AppendAsync(db, new AuditEntry(actor.Name, actor.Source, "vigilance.alert-resolved", "identity", alert.IdentityId.ToString(), null,
            JsonSerializer.Serialize(new { alertId, alert.Kind, alert.OtherIdentityId, reason = alert.Resolution }, JsonSerializerOptions.Web)), clock, ct).ConfigureAwait(false);
        await db.SaveChangesAsync(ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return Result<Guid>.Ok(alert.IdentityId);
    }

    private IQueryable<Store.Entities.IdentityRecord> ToVerify() =>
        db.Identities.AsNoTracking().Where(x => x.MergedIntoId == null && x.Status != "QUAL" && (x.Attributes & Blocking) == 0);
}
