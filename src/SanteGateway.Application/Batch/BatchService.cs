using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SanteGateway.Identity;
using SanteGateway.Store;
using SanteGateway.Store.Entities;

namespace SanteGateway.Application.Batch;

/// <summary>Creating, following and steering batch INSi jobs (the work itself is <see cref="BatchRunner"/>).</summary>
public sealed class BatchService(GatewayDbContext db, TimeProvider clock, IOptions<BatchOptions> options, IOptions<ApplicationOptions> appOptions, EstablishmentDirectory? establishments = null)
{
    private readonly BatchOptions opt = options.Value;

    /// <summary>
    /// Creates a job with all its items in one transaction: identities of the store matching the filter, or the rows of a
    /// CSV file (a row whose <c>localId</c> is the id of a live stored identity acts on that identity; other rows are sent
    /// to INSi as they are and nothing is created). Bad CSV rows become items already ended as <c>input-refused</c> with
    /// their line number and rule.
    /// </summary>
    /// <param name="req">The job.</param>
    /// <param name="actor">Who creates it.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The job.</returns>
    public Task<Result<BatchJobView>> CreateAsync(CreateBatchJobRequest req, Actor actor, CancellationToken ct) => AppFailure.Run(async () =>
    {
        ArgumentNullException.ThrowIfNull(req);
        ArgumentNullException.ThrowIfNull(actor);
        if (req.Kind is not ("verify" or "search"))
        {
            throw new AppFailure(AppError.Field(ErrorKind.Invalid, "kind", "batch.kind", "kind must be verify or search."));
        }

        if (req.RatePerSecond is < 0 or > 10_000 || req.Concurrency is < 1 or > 64)
        {
            throw new AppFailure(AppError.Field(ErrorKind.Invalid, req.RatePerSecond is < 0 or > 10_000 ? "ratePerSecond" : "concurrency", "batch.limits",
                "ratePerSecond must be 0 (unlimited) to 10000 and concurrency 1 to 64."));
        }

        if (req.Csv is not null && req.Filter is not null)
        {
            throw new AppFailure(AppError.Field(ErrorKind.Invalid, "csv", "batch.selection", "Give either a store filter or a CSV file, not both."));
        }

        if (req.Csv is { } bytes && bytes.LongLength > opt.MaxCsvBytes)
        {
            throw new AppFailure(AppError.Field(ErrorKind.Invalid, "csv", "csv.size", $"The file exceeds {opt.MaxCsvBytes} bytes."));
        }

        var establishment = JobEstablishment(req.Establishment, actor);
        var now = clock.GetUtcNow();
        var job = new BatchJob
        {
            Establishment = establishment,
            Id = Guid.CreateVersion7(now),
            Kind = req.Kind,
            Status = BatchStatuses.Running,
            CreatedBy = actor.Name,
            CreatedAt = now,
            Source = req.Csv is null ? "store" : "csv",
            RatePerSecond = req.RatePerSecond ?? opt.DefaultRatePerSecond,
            Concurrency = req.Concurrency ?? opt.DefaultConcurrency,
        };
        await using var tx = await db.Database.BeginTransactionAsync(ct).ConfigureAwait(false);
        db.BatchJobs.Add(job);
        await db.SaveChangesAsync(ct).ConfigureAwait(false);
        var total = req.Csv is null
            ? await AddStoreItemsAsync(job, req.Filter ?? new StoreFilter(), now, ct).ConfigureAwait(false)
            : await AddCsvItemsAsync(job, req.Csv, req.CsvName, ct).ConfigureAwait(false);
        await db.BatchJobs.Where(j => j.Id == job.Id).ExecuteUpdateAsync(s => s.SetProperty(j => j.Total, total).SetProperty(j => j.Selection, job.Selection), ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        db.ChangeTracker.Clear();
        return await ViewAsync(job.Id, ct).ConfigureAwait(false);
    });

    private async Task<int> AddStoreItemsAsync(BatchJob job, StoreFilter filter, DateTimeOffset now, CancellationToken ct)
    {
        var q = db.Identities.AsNoTracking().Where(i => i.MergedIntoId == null);
        q = job.Kind == "verify" ? q.Where(i => i.InsMatricule != null) : q.Where(i => i.InsMatricule == null);
        if (filter.Status is { Count: > 0 } statuses)
        {
            var bad = statuses.FirstOrDefault(s => s is not ("PROV" or "RECUP" or "VALI" or "QUAL"));
            if (bad is not null)
            {
                throw new AppFailure(AppError.Field(ErrorKind.Invalid, "filter.status", "batch.status", "status must be among PROV, RECUP, VALI, QUAL."));
            }

            var list = statuses.ToList();
            q = q.Where(i => list.Contains(i.Status));
        }

        if (filter.CreatedFrom is { } from)
        {
            var f = new DateTimeOffset(from.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            q = q.Where(i => i.CreatedAt >= f);
        }

        if (filter.CreatedTo is { } to)
        {
            var t = new DateTimeOffset(to.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            q = q.Where(i => i.CreatedAt < t);
        }

        if (filter.VerifiedBeforeDays is { } days)
        {
            if (days < 0)
            {
                throw new AppFailure(AppError.Field(ErrorKind.Invalid, "filter.verifiedBeforeDays", "batch.days", "verifiedBeforeDays cannot be negative."));
            }

            var limit = now.AddDays(-days);
            q = q.Where(i => i.InsVerifiedAt == null || i.InsVerifiedAt < limit);
        }

        job.Selection = JsonSerializer.Serialize(filter, JsonOptions);
        var line = 0;
        var batch = new List<BatchItem>(2000);
        await foreach (var id in q.OrderBy(i => i.Id).Select(i => i.Id).AsAsyncEnumerable().WithCancellation(ct).ConfigureAwait(false))
        {
            batch.Add(new BatchItem { JobId = job.Id, Line = ++line, IdentityId = id });
            if (batch.Count == 2000)
            {
                await FlushAsync(batch, ct).ConfigureAwait(false);
            }
        }

        await FlushAsync(batch, ct).ConfigureAwait(false);
        return line;
    }

    private async Task<int> AddCsvItemsAsync(BatchJob job, byte[] csv, string? name, CancellationToken ct)
    {
        job.Selection = name is { Length: > 0 } ? (name.Length > 200 ? name[..200] : name) : "upload.csv";
        var rows = BatchCsv.Read(csv, out _, out var error);
        if (error is not null)
        {
            throw new AppFailure(AppError.Field(ErrorKind.Invalid, "csv", "csv.header", error));
        }

        var count = 0;
        var pending = new List<(BatchItem Item, Guid? Candidate)>(2000);
        foreach (var row in rows)
        {
            count++;
            pending.Add(ToItem(job, row));
            if (pending.Count == 2000)
            {
                await FlushCsvAsync(pending, ct).ConfigureAwait(false);
            }
        }

        await FlushCsvAsync(pending, ct).ConfigureAwait(false);
        return count;
    }

    private (BatchItem Item, Guid? Candidate) ToItem(BatchJob job, CsvRow row)
    {
        var item = new BatchItem { JobId = job.Id, Line = row.Line };
        row.Fields.TryGetValue("localid", out var localId);
        item.LocalId = localId is { Length: > 128 } ? localId[..128] : localId;
        if (row.Error is { } e)
        {
            return (Refused(item, e.Rule, e.Reason), null);
        }

        if (localId is null)
        {
            return (Refused(item, "csv.localId", "localId is empty."), null);
        }

        // A row naming a stored identity acts on it (its stored traits and INS); the decision is taken at flush time.
        var candidate = Guid.TryParse(localId, out var g) ? g : (Guid?)null;
        var input = CsvInput.From(row.Fields, job.Kind, appOptions.Value.InsPolicy, out var rule, out var reason);
        if (input is null)
        {
            item.Input = null;
            item.Rule = rule;
            item.Detail = reason;
        }
        else
        {
            item.Input = JsonSerializer.Serialize(input, JsonOptions);
        }

        return (item, candidate);
    }

    private async Task FlushCsvAsync(List<(BatchItem Item, Guid? Candidate)> pending, CancellationToken ct)
    {
        var ids = pending.Where(p => p.Candidate is not null && p.Item.Outcome is null).Select(p => p.Candidate!.Value).Distinct().ToList();
        var live = ids.Count == 0 ? [] : await db.Identities.AsNoTracking().Where(i => EF.Parameter(ids).Contains(i.Id) && i.MergedIntoId == null).Select(i => i.Id).ToHashSetAsync(ct).ConfigureAwait(false);
        foreach (var (item, candidate) in pending)
        {
            if (item.Outcome is not null)
            {
                continue;
            }

            if (candidate is { } c && live.Contains(c))
            {
                item.IdentityId = c;
                item.Input = null;
                item.Rule = null;
                item.Detail = null;
            }
            else if (item.Input is null)
            {
                Refused(item, item.Rule ?? "csv.row", item.Detail ?? "The row cannot be read.");
            }
        }

        await FlushAsync(pending.Select(p => p.Item).ToList(), ct).ConfigureAwait(false);
        pending.Clear();
    }

    private BatchItem Refused(BatchItem item, string rule, string reason)
    {
        item.State = "done";
        item.Outcome = BatchOutcomes.InputRefused;
        item.Rule = rule;
        item.Detail = reason.Length > 512 ? reason[..512] : reason;
        item.FinishedAt = clock.GetUtcNow();
        return item;
    }

    private async Task FlushAsync(List<BatchItem> items, CancellationToken ct)
    {
        if (items.Count == 0)
        {
            return;
        }

        db.BatchItems.AddRange(items);
        await db.SaveChangesAsync(ct).ConfigureAwait(false);
        db.ChangeTracker.Clear();
        items.Clear();
    }

    /// <summary>A job with its progress and counts by outcome.</summary>
    /// <param name="id">Job id.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The job, or not-found.</returns>
    public Task<Result<BatchJobView>> GetAsync(Guid id, CancellationToken ct) => AppFailure.Run(() => ViewAsync(id, ct));

    /// <summary>Every job, newest first.</summary>
    /// <param name="ct">Cancellation.</param>
    /// <returns>Jobs (at most 200).</returns>
    public async Task<IReadOnlyList<BatchJobView>> ListAsync(CancellationToken ct)
    {
        var ids = await db.BatchJobs.AsNoTracking().OrderByDescending(j => j.CreatedAt).Select(j => j.Id).Take(200).ToListAsync(ct).ConfigureAwait(false);
        var list = new List<BatchJobView>(ids.Count);
        foreach (var id in ids)
        {
            list.Add(await ViewAsync(id, ct).ConfigureAwait(false));
        }

        return list;
    }

    private async Task<BatchJobView> ViewAsync(Guid id, CancellationToken ct)
    {
        var job = await db.BatchJobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == id, ct).ConfigureAwait(false)
            ?? throw new AppFailure(new AppError(ErrorKind.NotFound, "not-found", $"Job {id} does not exist."));
        // Ended items are exactly those with an outcome: counted from the (JobId, Outcome) index alone, no table row read.
        var counts = await db.BatchItems.AsNoTracking().Where(i => i.JobId == id && i.Outcome != null)
            .GroupBy(i => i.Outcome).Select(g => new { Outcome = g.Key, Count = g.Count() }).ToListAsync(ct).ConfigureAwait(false);
        var byOutcome = BatchOutcomes.All.ToDictionary(o => o, o => counts.Where(c => c.Outcome == o).Sum(c => c.Count), StringComparer.Ordinal);
        return new BatchJobView(job.Id, job.Kind, job.Source, job.Status, job.Total, byOutcome.Values.Sum(), byOutcome, job.RatePerSecond, job.Concurrency,
            job.CreatedBy, job.CreatedAt, job.StartedAt, job.FinishedAt) { Establishment = job.Establishment };
    }

    /// <summary>
    /// The establishment a new job acts for: the one asked for, else the creator's. A creator bound to an establishment
    /// cannot lend themselves another establishment's certificates; an unknown establishment is refused now, not at the
    /// first call.
    /// </summary>
    private string? JobEstablishment(string? asked, Actor actor)
    {
        var wanted = string.IsNullOrWhiteSpace(asked) ? actor.Establishment : asked.Trim();
        if (wanted is null)
        {
            return null;
        }

        if (actor.Establishment is { } own && !string.Equals(own, wanted, StringComparison.OrdinalIgnoreCase))
        {
            throw new AppFailure(AppError.Field(ErrorKind.Forbidden, "establishment", "batch.establishment-forbidden",
                $"You act for establishment {own}: a job cannot act for another establishment."));
        }

        var known = (establishments ?? EstablishmentDirectory.Empty).Find(wanted)
            ?? throw new AppFailure(AppError.Field(ErrorKind.Invalid, "establishment", "establishment.unknown",
                $"Establishment {(wanted.Length > 16 ? wanted[..16] : wanted)} is not configured (Gateway:Establishments)."));
        return known.Finess;
    }

    /// <summary>Pauses a running job: workers claim nothing more; items already claimed finish.</summary>
    /// <param name="id">Job.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The job.</returns>
    public Task<Result<BatchJobView>> PauseAsync(Guid id, CancellationToken ct) => ChangeAsync(id, [BatchStatuses.Running], BatchStatuses.Paused, ct);

    /// <summary>Resumes a paused job.</summary>
    /// <param name="id">Job.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The job.</returns>
    public Task<Result<BatchJobView>> ResumeAsync(Guid id, CancellationToken ct) => ChangeAsync(id, [BatchStatuses.Paused], BatchStatuses.Running, ct);

    /// <summary>Cancels a running or paused job; items without an outcome stay unprocessed (empty outcome in the report).</summary>
    /// <param name="id">Job.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The job.</returns>
    public Task<Result<BatchJobView>> CancelAsync(Guid id, CancellationToken ct) => ChangeAsync(id, [BatchStatuses.Running, BatchStatuses.Paused], BatchStatuses.Cancelled, ct);

    private Task<Result<BatchJobView>> ChangeAsync(Guid id, string[] from, string to, CancellationToken ct) => AppFailure.Run(async () =>
    {
        var now = clock.GetUtcNow();
        DateTimeOffset? finished = to == BatchStatuses.Cancelled ? now : null;
        var n = await db.BatchJobs.Where(j => j.Id == id && from.Contains(j.Status))
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.Status, to).SetProperty(j => j.FinishedAt, j => finished ?? j.FinishedAt), ct).ConfigureAwait(false);
        var view = await ViewAsync(id, ct).ConfigureAwait(false);
        if (n == 0 && view.Status != to)
        {
            throw new AppFailure(AppError.Field(ErrorKind.Conflict, "status", "batch.status-transition", $"A {view.Status} job cannot become {to}."));
        }

        return view;
    });

    /// <summary>
    /// Writes the report: one line per item in input order — <c>line;localId;identityId;outcome;rule;detail;ins</c> —
    /// UTF-8, <c>;</c>-separated, fields quoted when needed. Items not processed (cancelled job) have an empty outcome.
    /// </summary>
    /// <param name="id">Job.</param>
    /// <param name="output">Where to write.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The job, or not-found (nothing written).</returns>
    public Task<Result<BatchJobView>> WriteReportAsync(Guid id, TextWriter output, CancellationToken ct) => AppFailure.Run(async () =>
    {
        ArgumentNullException.ThrowIfNull(output);
        var view = await ViewAsync(id, ct).ConfigureAwait(false);
        await output.WriteLineAsync("line;localId;identityId;outcome;rule;detail;ins").ConfigureAwait(false);
        var sb = new StringBuilder();
        await foreach (var i in db.BatchItems.AsNoTracking().Where(i => i.JobId == id).OrderBy(i => i.Line).ThenBy(i => i.Id)
            .Select(i => new { i.Line, i.LocalId, i.IdentityId, i.Outcome, i.Rule, i.Detail, i.Ins }).AsAsyncEnumerable().WithCancellation(ct).ConfigureAwait(false))
        {
            sb.Clear();
            sb.Append(i.Line.ToString(CultureInfo.InvariantCulture)).Append(';').Append(Quote(i.LocalId)).Append(';').Append(i.IdentityId?.ToString() ?? "").Append(';')
                .Append(i.Outcome).Append(';').Append(Quote(i.Rule)).Append(';').Append(Quote(i.Detail)).Append(';').Append(i.Ins);
            await output.WriteLineAsync(sb.ToString()).ConfigureAwait(false);
        }

        await output.FlushAsync(ct).ConfigureAwait(false);
        return view;
    });

    private static string Quote(string? v) =>
        v is null ? "" : v.AsSpan().IndexOfAny(";,\"\r\n") >= 0 ? "\"" + v.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : v;

    internal static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);
}

/// <summary>A CSV row that is not a stored identity, as sent to INSi.</summary>
/// <param name="BirthName">Birth name.</param>
/// <param name="BirthFirstNames">Birth first names (space-separated).</param>
/// <param name="FirstFirstName">First first-name.</param>
/// <param name="Sex">M or F.</param>
/// <param name="BirthDate">YYYY-MM-DD.</param>
/// <param name="BirthPlaceCog">COG code, or null.</param>
/// <param name="Ins">Matricule (verify).</param>
/// <param name="InsOid">OID (verify; INS-NIR by default).</param>
internal sealed record CsvInput(string BirthName, string BirthFirstNames, string FirstFirstName, string Sex, string BirthDate, string? BirthPlaceCog, string? Ins, string? InsOid)
{
    public static CsvInput? From(IReadOnlyDictionary<string, string> f, string kind, InsPolicy policy, out string? rule, out string? reason)
    {
        rule = null;
        reason = null;
        string? Get(string k) => f.TryGetValue(k, out var v) ? v : null;
        foreach (var required in new[] { "birthname", "birthfirstnames", "sex", "birthdate" })
        {
            if (Get(required) is null)
            {
                rule = "csv." + Canonical(required);
                reason = $"{Canonical(required)} is required for a row that is not a stored identity.";
                return null;
            }
        }

        var sexCode = Get("sex")!.ToUpperInvariant();
        if (sexCode is not ("M" or "F"))
        {
            (rule, reason) = ("csv.sex", "sex must be M or F (INSi knows no other value).");
            return null;
        }

        if (!Identity.BirthDate.TryParseIso(Get("birthdate"), out var date, out var dateError))
        {
            (rule, reason) = ("csv.birthDate", "birthDate must be YYYY-MM-DD: " + dateError);
            return null;
        }

        var names = IdentityTraits.SplitFirstNames(Get("birthfirstnames"));
        var first = Get("firstfirstname") ?? (names.Count > 0 ? names[0] : "");
        _ = SexCodes.TryParse(sexCode, out var sex);
        var traits = IdentityTraits.Create(Get("birthname"), names, first, sex, date, Get("birthplacecog"));
        if (!traits.IsValid)
        {
            var e = traits.Errors[0];
            (rule, reason) = ("csv." + char.ToLowerInvariant(e.Field[0]) + e.Field[1..], $"{e.Rule}: {e.Message}");
            return null;
        }

        var ins = Get("ins");
        var oid = Get("insoid") ?? InsOids.Nir;
        if (kind == "verify")
        {
            if (ins is null)
            {
                (rule, reason) = ("csv.ins", "ins is required to verify a row that is not a stored identity.");
                return null;
            }

            if (!InsIdentifier.TryCreate(ins, oid, policy, out _, out var insError))
            {
                (rule, reason) = ("csv.ins", insError);
                return null;
            }
        }

        return new CsvInput(Get("birthname")!, Get("birthfirstnames")!, first, sexCode, Get("birthdate")!, Get("birthplacecog"), ins, oid);
    }

    private static string Canonical(string lower) => lower switch
    {
        "birthname" => "birthName",
        "birthfirstnames" => "birthFirstNames",
        "birthdate" => "birthDate",
        _ => lower,
    };
}
