using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SanteGateway.Identity;
using SanteGateway.Store;
using SanteGateway.Store.Entities;

namespace SanteGateway.Application.Batch;

/// <summary>
/// Works on batch jobs. Any number of runners (threads, processes, gateway instances) can work on the same job: items are
/// claimed in chunks under a lease (<c>FOR UPDATE SKIP LOCKED</c> on PostgreSQL; SQLite runs one worker). A chunk is
/// worked in two phases: its INSi calls (several at once, nothing written), then one transaction that records every
/// exchange, applies every outcome through <see cref="IdentityService"/> (the same rules as a single verification) and
/// ends every item — a group commit, so a chunk costs one commit instead of three or four per item. The next chunk's
/// calls run while the previous chunk is being written. A chunk whose transaction fails or whose worker dies leaves
/// nothing of it behind: its items come back (at once, or when the lease expires) and are redone whole. An item tried
/// again after an earlier attempt recognises from the audit trail (the job's actor name) what the job already
/// committed on its identity and is not called again, so no identity is changed or counted twice.
/// </summary>
public sealed partial class BatchRunner(IServiceScopeFactory scopes, TimeProvider clock, IOptions<BatchOptions> options, ILogger<BatchRunner> log, BatchMetrics? metrics = null)
{
    private readonly BatchOptions opt = options.Value;

    /// <summary>Actor name of a job (audit trail, INSi exchanges): how a retried item finds what the job already did.</summary>
    /// <param name="jobId">Job.</param>
    /// <returns>The name.</returns>
    public static string ActorName(Guid jobId) => "batch:" + jobId.ToString("N");

    /// <summary>Hook for tests simulating a crash: called after an item's INSi work, inside its chunk's transaction, before its outcome is written.</summary>
    internal Func<BatchItem, Task>? BeforeOutcome { get; set; }

    /// <summary>Hook for tests: called once a chunk's writes are all made, just before its commit.</summary>
    internal Func<IReadOnlyList<BatchItem>, Task>? BeforeCommit { get; set; }

    /// <summary>
    /// Works on one job until it has no claimable item left, it is paused or cancelled, or <paramref name="ct"/> fires.
    /// Marks the job done when every item has an outcome.
    /// </summary>
    /// <param name="jobId">Job.</param>
    /// <param name="workerId">Unique id of this worker (lease owner).</param>
    /// <param name="ct">Cancellation (process stopping): calls stop; a chunk already called is still written.</param>
    /// <returns>The number of items this worker ended.</returns>
    public async Task<int> RunAsync(Guid jobId, string workerId, CancellationToken ct)
    {
        var ended = 0;
        Chunk? called = null;
        while (true)
        {
            // Claim before writing the previous chunk: on SQLite the claim would otherwise wait for that write.
            var next = ct.IsCancellationRequested ? null : await ClaimNextAsync(jobId, workerId, finishIfEmpty: called is null, ct).ConfigureAwait(false);
            if (next is null && called is null)
            {
                return ended;
            }

            var writing = called is null ? Task.FromResult(0) : TimedWriteAsync(called, workerId);
            Chunk? nextCalled = null;
            Exception? callFailure = null;
            try
            {
                if (next is not null)
                {
                    var callStarted = System.Diagnostics.Stopwatch.GetTimestamp();
                    nextCalled = await CallAsync(next, ct).ConfigureAwait(false);
                    metrics?.ChunkCalled(System.Diagnostics.Stopwatch.GetElapsedTime(callStarted));
                }
            }
#pragma warning disable CA1031 // Rethrown below, once the chunk being written is finished.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                callFailure = ex;
            }

            ended += await writing.ConfigureAwait(false);
            if (callFailure is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(callFailure);
            }

            called = nextCalled;
        }
    }

    /// <summary>Claims the next chunk; null when the job is not running or has nothing claimable (then marked done when every item has ended).</summary>
    private async Task<Claimed?> ClaimNextAsync(Guid jobId, string workerId, bool finishIfEmpty, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        var job = await db.BatchJobs.AsNoTracking().FirstAsync(j => j.Id == jobId, ct).ConfigureAwait(false);
        if (job.Status != BatchStatuses.Running)
        {
            return null;
        }

        var (chunk, first) = await ClaimAsync(db, job, workerId, ct).ConfigureAwait(false);
        if (chunk.Count > 0)
        {
            return new Claimed(job, chunk, first, RatePace.Interval(job.RatePerSecond));
        }

        if (finishIfEmpty)
        {
            var open = await db.BatchItems.CountAsync(i => i.JobId == jobId && i.State != "done", ct).ConfigureAwait(false);
            metrics?.QueueDepth(open);
            if (open == 0)
            {
                var now = clock.GetUtcNow();
                await db.BatchJobs.Where(j => j.Id == jobId && j.Status == BatchStatuses.Running)
                    .ExecuteUpdateAsync(s => s.SetProperty(j => j.Status, BatchStatuses.Done).SetProperty(j => j.FinishedAt, now), ct).ConfigureAwait(false);
                LogJobDone(log, jobId);
            }
        }

        return null;
    }

    private async Task<(List<BatchItem> Items, long FirstSlot)> ClaimAsync(GatewayDbContext db, BatchJob job, string workerId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var interval = RatePace.Interval(job.RatePerSecond);
        // A paced job claims about five seconds of calls at a time, so its outcomes are written (and visible) that often.
        var size = job.RatePerSecond > 0 ? (int)Math.Clamp(Math.Ceiling(job.RatePerSecond * 5), 1, Math.Max(1, opt.ChunkSize)) : Math.Max(1, opt.ChunkSize);
        var leaseUntil = now.UtcTicks + (interval * size) + opt.Lease.Ticks;
        var nowTicks = now.UtcTicks;
        await using var tx = await db.Database.BeginTransactionAsync(ct).ConfigureAwait(false);
        // Two index range reads in Id order, (JobId, State, Id): expired leases first (a dead worker's items), then
        // pending items. One query with "pending OR expired lease" ORDER BY Id read every item of the job and sorted the
        // pending ones on each claim — O(job size) per chunk, O(n²) per job (≈ 50 ms a claim at 100 000 items).
        List<long> ids;
        if (IsPostgres(db))
        {
            // SKIP LOCKED: concurrent claimers never wait on nor take each other's rows.
            ids = await db.Database.SqlQuery<long>($"""
                UPDATE batch_items SET "State" = 'leased', "LeaseOwner" = {workerId}, "LeaseUntilTicks" = {leaseUntil}, "Attempts" = "Attempts" + 1
                WHERE "Id" IN (SELECT "Id" FROM batch_items
                               WHERE "JobId" = {job.Id} AND "State" = 'leased' AND "LeaseUntilTicks" < {nowTicks}
                               ORDER BY "Id" LIMIT {size} FOR UPDATE SKIP LOCKED)
                RETURNING "Id" AS "Value"
                """).ToListAsync(ct).ConfigureAwait(false);
            if (ids.Count < size)
            {
                ids.AddRange(await db.Database.SqlQuery<long>($"""
                    UPDATE batch_items SET "State" = 'leased', "LeaseOwner" = {workerId}, "LeaseUntilTicks" = {leaseUntil}, "Attempts" = "Attempts" + 1
                    WHERE "Id" IN (SELECT "Id" FROM batch_items
                                   WHERE "JobId" = {job.Id} AND "State" = 'pending'
                                   ORDER BY "Id" LIMIT {size - ids.Count} FOR UPDATE SKIP LOCKED)
                    RETURNING "Id" AS "Value"
                    """).ToListAsync(ct).ConfigureAwait(false));
            }
        }
        else
        {
            // SQLite: one writer at a time; the conditional update still refuses an item someone else holds.
            ids = await ExpiredLeases(db.BatchItems, job.Id, nowTicks).Take(size).ToListAsync(ct).ConfigureAwait(false);
            if (ids.Count < size)
            {
                ids.AddRange(await Pending(db.BatchItems, job.Id).Take(size - ids.Count).ToListAsync(ct).ConfigureAwait(false));
            }

            await db.BatchItems.Where(i => EF.Parameter(ids).Contains(i.Id) && (i.State == "pending" || (i.State == "leased" && i.LeaseUntilTicks < nowTicks)))
                .ExecuteUpdateAsync(s => s.SetProperty(i => i.State, "leased").SetProperty(i => i.LeaseOwner, workerId).SetProperty(i => i.LeaseUntilTicks, leaseUntil).SetProperty(i => i.Attempts, i => i.Attempts + 1), ct)
                .ConfigureAwait(false);
        }

        long first = nowTicks;
        if (ids.Count > 0)
        {
            // The pace row is updated in the claim's transaction: instances reserve disjoint slots.
            var count = ids.Count;
            var step = interval * count;
            await db.BatchJobs.Where(j => j.Id == job.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(j => j.NextSlotTicks, j => (j.NextSlotTicks > nowTicks ? j.NextSlotTicks : nowTicks) + step)
                    .SetProperty(j => j.StartedAt, j => j.StartedAt ?? now), ct).ConfigureAwait(false);
            var next = await db.BatchJobs.Where(j => j.Id == job.Id).Select(j => j.NextSlotTicks).FirstAsync(ct).ConfigureAwait(false);
            first = next - step;
        }

        await tx.CommitAsync(ct).ConfigureAwait(false);
        var items = ids.Count == 0 ? [] : await db.BatchItems.AsNoTracking().Where(i => EF.Parameter(ids).Contains(i.Id)).OrderBy(i => i.Id).ToListAsync(ct).ConfigureAwait(false);
        return (items.Where(i => i.LeaseOwner == workerId).ToList(), first);
    }

    /// <summary>Items of <paramref name="jobId"/> whose lease expired, in id order (the claim's first range read; PostgreSQL's claim has the same predicate).</summary>
    internal static IQueryable<long> ExpiredLeases(IQueryable<BatchItem> items, Guid jobId, long nowTicks) =>
        items.Where(i => i.JobId == jobId && i.State == "leased" && i.LeaseUntilTicks < nowTicks).OrderBy(i => i.Id).Select(i => i.Id);

    /// <summary>Pending items of <paramref name="jobId"/> in id order (the claim's second range read).</summary>
    internal static IQueryable<long> Pending(IQueryable<BatchItem> items, Guid jobId) =>
        items.Where(i => i.JobId == jobId && i.State == "pending").OrderBy(i => i.Id).Select(i => i.Id);

    private static bool IsPostgres(GatewayDbContext db) => db.Database.ProviderName?.Contains("Npgsql", StringComparison.Ordinal) == true;

    /// <summary>Phase one of a chunk: reads its identities, makes its INSi calls (several at once); writes nothing.</summary>
    private async Task<Chunk> CallAsync(Claimed claimed, CancellationToken ct)
    {
        var job = claimed.Job;
        var actor = Actor.Process(ActorName(job.Id), "batch") with { Establishment = job.Establishment };
        var works = claimed.Items.Select(i => new Work(i)).ToList();
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        var svc = scope.ServiceProvider.GetRequiredService<IdentityService>();
        var ids = works.Where(w => w.Item.IdentityId is not null).Select(w => w.Item.IdentityId!.Value).Distinct().ToList();
        var identities = ids.Count == 0 ? [] : await svc.LoadManyAsync(ids, ct).ConfigureAwait(false);
        foreach (var w in works.Where(w => w.Item.IdentityId is not null && w.Item.Attempts > 1))
        {
            w.Outcome = await AlreadyAppliedAsync(db, w.Item.IdentityId!.Value, actor.Name, job.Kind, ct).ConfigureAwait(false);
        }

        var index = 0;
        await Parallel.ForEachAsync(
            works.Select(w => (Work: w, Slot: claimed.FirstSlot + (claimed.Interval * index++))).ToList(),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, job.Concurrency), CancellationToken = ct },
            async (x, c) =>
            {
                var w = x.Work;
                var wait = TimeSpan.FromTicks(x.Slot - clock.GetUtcNow().UtcTicks);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, clock, c).ConfigureAwait(false);
                    if (await StatusAsync(job.Id, c).ConfigureAwait(false) != BatchStatuses.Running)
                    {
                        // Paused or cancelled while the chunk was waiting: the item goes back untouched.
                        w.HandBack = true;
                        return;
                    }
                }

                if (clock.GetUtcNow().UtcTicks >= w.Item.LeaseUntilTicks)
                {
                    w.LeaseLost = true; // another worker may hold the item now
                    return;
                }

                if (w.Outcome is not null)
                {
                    return; // already applied by an earlier attempt of this job
                }

                if (w.Item.IdentityId is { } id)
                {
                    if (!identities.TryGetValue(id, out var snapshot))
                    {
                        var e = AppError.NotFound(id);
                        w.Outcome = new Outcome(BatchOutcomes.InputRefused, e.Rule, e.Message, null);
                        return;
                    }

                    await CallStoredAsync(svc, job.Kind, snapshot, actor, w, c).ConfigureAwait(false);
                }
                else
                {
                    w.Outcome = await CsvRowAsync(scope.ServiceProvider, job.Kind, w.Item, actor, w.Exchanges, c).ConfigureAwait(false);
                }
            }).ConfigureAwait(false);
        return new Chunk(job, actor, works);
    }

    private async Task<string?> StatusAsync(Guid jobId, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        return await db.BatchJobs.AsNoTracking().Where(j => j.Id == jobId).Select(j => j.Status).FirstOrDefaultAsync(ct).ConfigureAwait(false);
    }

    /// <summary>The INSi call of a stored identity, retried after a service failure; a refusal before any call is the outcome.</summary>
    private async Task CallStoredAsync(IdentityService svc, string kind, IdentityRecord snapshot, Actor actor, Work w, CancellationToken ct)
    {
        string? before = null;
        for (var attempt = 1; ; attempt++)
        {
            InsiCall call;
            try
            {
                call = await svc.CallInsiAsync(kind, snapshot, confirmTransliteration: false, actor, ct).ConfigureAwait(false);
            }
            catch (AppFailure f)
            {
                var e = f.Error;
                w.Outcome = e.Kind == ErrorKind.Upstream
                    ? new Outcome(BatchOutcomes.ServiceError, e.Rule, $"{e.Message} (after {attempt} attempt(s))", null)
                    : new Outcome(BatchOutcomes.InputRefused, e.Rule, e.Message, null);
                return;
            }

            // The audit image of the row as read, made here on a call worker rather than in the chunk's write.
            call.BeforeImage = before ??= IdentityService.BeforeImage(snapshot);
            // A confirmed verification is made ready here too (rows, audit payloads, after-image): the write only adds it.
            svc.PrepareApply(call, actor);
            w.Calls.Add(call);
            if (call.Port.Outcome == InsiCallOutcome.Error && call.Port.Code != "input" && attempt < opt.MaxServiceAttempts)
            {
                await Task.Delay(opt.RetryDelay * Math.Pow(2, attempt - 1), clock, ct).ConfigureAwait(false);
                continue;
            }

            return;
        }
    }

    private async Task<int> TimedWriteAsync(Chunk chunk, string workerId)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var n = await WriteAsync(chunk, workerId).ConfigureAwait(false);
        metrics?.ChunkWritten(System.Diagnostics.Stopwatch.GetElapsedTime(started), n);
        return n;
    }

    /// <summary>
    /// Phase two: one transaction records every exchange of the chunk, applies every outcome and ends every item this
    /// worker still holds. Nothing is committed unless all of it is; on failure the items are handed back at once.
    /// The outcomes are applied as one group (<see cref="IdentityService.ApplyInsiCallsAsync"/>, one save); when that
    /// save fails (an identity changed since its call, an INS taken meanwhile) the transaction is rolled back and the
    /// chunk is written again with the calls applied one by one, each deciding its own conflict as a single call does.
    /// </summary>
    /// <returns>The number of items ended.</returns>
    private async Task<int> WriteAsync(Chunk chunk, string workerId)
    {
        var ids = chunk.Works.Select(w => w.Item.Id).ToArray();
        try
        {
            try
            {
                return await WriteOnceAsync(chunk, workerId, grouped: true).ConfigureAwait(false);
            }
            catch (DbUpdateException ex)
            {
                LogGroupRedone(log, chunk.Job.Id, ex.GetType().Name);
                return await WriteOnceAsync(chunk, workerId, grouped: false).ConfigureAwait(false);
            }
        }
        catch
        {
            await HandBackAsync(ids, workerId).ConfigureAwait(false);
            throw;
        }
    }

    private async Task<int> WriteOnceAsync(Chunk chunk, string workerId, bool grouped)
    {
        // A chunk already called is written even when the process is stopping: its calls are not wasted.
        var ct = CancellationToken.None;
        var job = chunk.Job;
        var ids = chunk.Works.Select(w => w.Item.Id).ToArray();
        var ended = new List<(BatchItem Item, Outcome Outcome)>(chunk.Works.Count);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        var svc = scope.ServiceProvider.GetRequiredService<IdentityService>();
        await using (var tx = await db.Database.BeginTransactionAsync(ct).ConfigureAwait(false))
        {
            var held = (IsPostgres(db)
                ? await db.Database.SqlQuery<long>($"""
                    SELECT "Id" AS "Value" FROM batch_items WHERE "Id" = ANY({ids}) AND "State" = 'leased' AND "LeaseOwner" = {workerId} FOR UPDATE
                    """).ToListAsync(ct).ConfigureAwait(false)
                : await db.BatchItems.Where(i => EF.Parameter(ids).Contains(i.Id) && i.State == "leased" && i.LeaseOwner == workerId).Select(i => i.Id).ToListAsync(ct).ConfigureAwait(false))
                .ToHashSet();
            var csvExchanges = new List<InsiExchange>();
            var applied = new List<Work>(chunk.Works.Count);
            var handBack = new List<long>();
            foreach (var w in chunk.Works)
            {
                if (!held.Contains(w.Item.Id) || w.LeaseLost)
                {
                    continue; // another worker took the item over after our lease expired; its outcome stands
                }

                if (w.HandBack)
                {
                    handBack.Add(w.Item.Id);
                    continue;
                }

                if (BeforeOutcome is { } hook)
                {
                    await hook(w.Item).ConfigureAwait(false);
                }

                csvExchanges.AddRange(w.Exchanges);
                applied.Add(w);
            }

            if (handBack.Count > 0)
            {
                await db.BatchItems.Where(i => EF.Parameter(handBack).Contains(i.Id))
                    .ExecuteUpdateAsync(s => s.SetProperty(i => i.State, "pending").SetProperty(i => i.LeaseOwner, (string?)null).SetProperty(i => i.LeaseUntilTicks, 0L), ct).ConfigureAwait(false);
            }

            var calls = applied.SelectMany(w => w.Calls).ToList();
            IReadOnlyList<Result<InsiActionResult>> results;
            if (grouped)
            {
                results = calls.Count == 0 ? [] : await svc.ApplyInsiCallsAsync(calls, chunk.Actor, ct).ConfigureAwait(false);
            }
            else
            {
                var one = new List<Result<InsiActionResult>>(calls.Count);
                foreach (var call in calls)
                {
                    one.Add(await AppFailure.Run(() => svc.ApplyInsiCallAsync(call, chunk.Actor, ct)).ConfigureAwait(false));
                }

                results = one;
            }

            var next = 0;
            foreach (var w in applied)
            {
                var outcome = w.Outcome;
                for (var i = 0; i < w.Calls.Count; i++)
                {
                    var r = results[next++];
                    if (r.IsSuccess)
                    {
                        outcome = FromAction(job.Kind, r.Value!);
                    }
                    else
                    {
                        var e = r.Error!;
                        outcome = e.Kind == ErrorKind.Upstream
                            ? new Outcome(BatchOutcomes.ServiceError, e.Rule, $"{e.Message} (after {i + 1} attempt(s))", null)
                            : new Outcome(BatchOutcomes.InputRefused, e.Rule, e.Message, null);
                    }
                }

                ended.Add((w.Item, outcome ?? new Outcome(BatchOutcomes.ServiceError, "batch.no-outcome", "No outcome was reached.", null)));
            }

            if (csvExchanges.Count > 0)
            {
                db.InsiExchanges.AddRange(csvExchanges);
                await db.SaveChangesAsync(ct).ConfigureAwait(false);
                db.ChangeTracker.Clear();
            }

            await EndItemsAsync(db, ended, ct).ConfigureAwait(false);

            if (BeforeCommit is { } beforeCommit)
            {
                await beforeCommit(ended.Select(e => e.Item).ToList()).ConfigureAwait(false);
            }

            await tx.CommitAsync(ct).ConfigureAwait(false);
        }

        foreach (var (_, outcome) in ended)
        {
            metrics?.Ended(job.Kind, outcome.Code);
        }

        return ended.Count;
    }

    /// <summary>
    /// Ends the items in the chunk's transaction: state and time in one statement for all, then every item's outcome in
    /// one multi-row <c>UPDATE ... FROM (VALUES ...)</c> per 100 items (text columns only, and the <c>columnN</c> names
    /// both SQLite and PostgreSQL give a <c>VALUES</c> list, so the same SQL serves both) instead of one statement per item.
    /// </summary>
    private async Task EndItemsAsync(GatewayDbContext db, List<(BatchItem Item, Outcome Outcome)> ended, CancellationToken ct)
    {
        if (ended.Count == 0)
        {
            return;
        }

        var now = clock.GetUtcNow();
        var ids = ended.Select(e => e.Item.Id).ToArray();
        await db.BatchItems.Where(i => EF.Parameter(ids).Contains(i.Id))
            .ExecuteUpdateAsync(s => s.SetProperty(i => i.State, "done").SetProperty(i => i.FinishedAt, now), ct).ConfigureAwait(false);
        var connection = db.Database.GetDbConnection();
        var transaction = db.Database.CurrentTransaction!.GetDbTransaction();
        const int rowsPerStatement = 100; // 500 parameters at most per statement
        for (var from = 0; from < ended.Count; from += rowsPerStatement)
        {
            var count = Math.Min(rowsPerStatement, ended.Count - from);
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            var sql = new System.Text.StringBuilder("""UPDATE batch_items SET "Outcome" = v.column2, "Rule" = v.column3, "Detail" = v.column4, "Ins" = v.column5 FROM (VALUES """);
            void Add(string name, System.Data.DbType type, object? value)
            {
                var p = command.CreateParameter();
                p.ParameterName = name;
                p.DbType = type;
                p.Value = value ?? DBNull.Value;
                command.Parameters.Add(p);
            }

            for (var k = 0; k < count; k++)
            {
                var (item, o) = ended[from + k];
                sql.Append(k == 0 ? "" : ", ").Append(System.Globalization.CultureInfo.InvariantCulture, $"(@i{k}, @o{k}, @r{k}, @d{k}, @n{k})");
                Add($"@i{k}", System.Data.DbType.Int64, item.Id);
                Add($"@o{k}", System.Data.DbType.String, o.Code);
                Add($"@r{k}", System.Data.DbType.String, o.Rule);
                Add($"@d{k}", System.Data.DbType.String, Cut(o.Detail, 512));
                Add($"@n{k}", System.Data.DbType.String, o.Ins);
            }

            sql.Append(""") AS v WHERE batch_items."Id" = v.column1""");
            command.CommandText = sql.ToString();
            await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>After a failed chunk transaction (rolled back whole): its items are claimable again at once, best effort (else after the lease).</summary>
    private async Task HandBackAsync(long[] ids, string workerId)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
            await db.BatchItems.Where(i => EF.Parameter(ids).Contains(i.Id) && i.State == "leased" && i.LeaseOwner == workerId)
                .ExecuteUpdateAsync(s => s.SetProperty(i => i.State, "pending").SetProperty(i => i.LeaseOwner, (string?)null).SetProperty(i => i.LeaseUntilTicks, 0L), CancellationToken.None)
                .ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Best effort: the lease brings the items back anyway.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogHandBackFailed(log, ex.GetType().Name);
        }
    }

    /// <summary>What this job already committed on an identity in an earlier, interrupted attempt (from the audit trail).</summary>
    private static async Task<Outcome?> AlreadyAppliedAsync(GatewayDbContext db, Guid identityId, string actorName, string kind, CancellationToken ct)
    {
        var key = identityId.ToString();
        string[] actions = ["identity.ins-verified", "identity.ins-replaced", "identity.ins-obtained", "identity.verification-alert", "identity.ins-collision"];
        var done = await db.AuditEvents.AsNoTracking()
            .Where(e => e.EntityType == "identity" && e.EntityId == key && e.Actor == actorName && actions.Contains(e.Action))
            .OrderByDescending(e => e.Sequence).Select(e => new { e.Action, e.NewValues }).FirstOrDefaultAsync(ct).ConfigureAwait(false);
        if (done is null)
        {
            return null;
        }

        var ins = await db.Identities.AsNoTracking().Where(i => i.Id == identityId).Select(i => i.InsMatricule).FirstOrDefaultAsync(ct).ConfigureAwait(false);
        switch (done.Action)
        {
            case "identity.ins-verified":
                return new Outcome(BatchOutcomes.Confirmed, null, "INSi confirmed the INS and the traits.", ins);
            case "identity.ins-replaced":
                return new Outcome(BatchOutcomes.Replaced, "rniv.ins-replaced", "INSi holds a newer INS: now active, the previous one in history.", ins);
            case "identity.ins-obtained":
                return new Outcome(BatchOutcomes.Confirmed, null, "INS obtained; traits match exactly.", ins);
            case "identity.ins-collision":
                return new Outcome(BatchOutcomes.Mismatch, "rniv.collision", "INSi returned an INS another identity holds: vigilance alerted.", null);
            default:
                var verification = "mismatch";
                var differences = false;
                if (done.NewValues is { } json)
                {
                    using var doc = JsonDocument.Parse(json);
                    if (doc.RootElement.TryGetProperty("verification", out var v) && v.ValueKind == JsonValueKind.String)
                    {
                        verification = v.GetString()!;
                    }

                    differences = doc.RootElement.TryGetProperty("differences", out var d) && d.ValueKind == JsonValueKind.Array && d.GetArrayLength() > 0;
                }

                return FromVerification(verification, differences, null, kind);
        }
    }

    private static Outcome FromAction(string kind, InsiActionResult a)
    {
        var ins = a.Identity.Ins?.Matricule;
        if (a.CollisionWith is { } other)
        {
            return new Outcome(BatchOutcomes.Mismatch, "rniv.collision", $"INSi returned an INS identity {other} holds: vigilance alerted.", null);
        }

        if (kind == "verify")
        {
            return a.Applied
                ? (a.Verification == "replaced-by-newer"
                    ? new Outcome(BatchOutcomes.Replaced, "rniv.ins-replaced", "INSi holds a newer INS: now active, the previous one in history.", ins)
                    : new Outcome(BatchOutcomes.Confirmed, null, "INSi confirmed the INS and the traits.", ins))
                : FromVerification(a.Verification ?? "mismatch", a.Mismatches.Count > 0, null, kind);
        }

        return a.Outcome switch
        {
            "found" when a.Applied => new Outcome(BatchOutcomes.Confirmed, null, "INS obtained; traits match exactly.", ins),
            "found" => new Outcome(BatchOutcomes.Mismatch, a.Mismatches.Count > 0 ? "insi.traits-differ" : "rniv.transition",
                a.Mismatches.Count > 0 ? "INSi traits differ: " + string.Join(",", a.Mismatches.Select(m => m.Field)) : a.Message, null),
            "multiple" => new Outcome(BatchOutcomes.Ambiguous, null, "INSi returned several identities.", null),
            _ => new Outcome(BatchOutcomes.NotFound, null, "INSi found no identity for these traits.", null),
        };
    }

    private static Outcome FromVerification(string verification, bool differences, string? ins, string kind)
    {
        _ = kind;
        return verification switch
        {
            "confirmed" when !differences => new Outcome(BatchOutcomes.Confirmed, null, "INSi confirmed the INS and the traits.", ins),
            "not-found" => new Outcome(BatchOutcomes.NotFound, null, "INSi no longer finds this person with these traits: vigilance alerted.", null),
            "ambiguous" => new Outcome(BatchOutcomes.Ambiguous, null, "INSi returns several identities for these traits: vigilance alerted.", null),
            _ when differences => new Outcome(BatchOutcomes.Mismatch, "insi.traits-differ", "INSi traits differ from the stored ones: vigilance alerted.", null),
            _ => new Outcome(BatchOutcomes.Mismatch, "insi.other-ins", "INSi returns another INS for these traits: vigilance alerted.", null),
        };
    }

    /// <summary>A CSV row that is not a stored identity: INSi is called, the outcome reported, nothing created.</summary>
    private async Task<Outcome> CsvRowAsync(IServiceProvider sp, string kind, BatchItem item, Actor actor, List<InsiExchange> exchanges, CancellationToken ct)
    {
        var input = item.Input is null ? null : JsonSerializer.Deserialize<CsvInput>(item.Input, BatchService.JsonOptions);
        if (input is null)
        {
            return new Outcome(BatchOutcomes.InputRefused, "csv.row", "The row cannot be read.", null);
        }

        var appOptions = sp.GetRequiredService<IOptions<ApplicationOptions>>().Value;
        var name = InsiLexicalProfile.NormalizeBirthName(input.BirthName);
        var list = InsiLexicalProfile.NormalizeFirstNames(input.BirthFirstNames);
        var firstName = InsiLexicalProfile.NormalizeFirstName(input.FirstFirstName);
        foreach (var (field, r) in new[] { ("birthName", name), ("birthFirstNames", list), ("firstFirstName", firstName) })
        {
            if (!r.IsSuccess)
            {
                return new Outcome(BatchOutcomes.InputRefused, "insi.lexical." + r.Error!.Rule, $"{field}: {r.Error.Message}", null);
            }
        }

        if (InsiLexicalProfile.NeedsTransliteration(input.BirthName) || InsiLexicalProfile.NeedsTransliteration(input.BirthFirstNames) || InsiLexicalProfile.NeedsTransliteration(input.FirstFirstName))
        {
            // Transliteration needs a person's confirmation (CNDA 2.03): a batch never sends changed traits on its own.
            return new Outcome(BatchOutcomes.InputRefused, "insi.transliteration-required", "The traits need transliteration to the INSi alphabet; send them in A-Z or verify the identity one by one.", null);
        }

        _ = BirthDate.TryParseIso(input.BirthDate, out var date);
        _ = SexCodes.TryParse(input.Sex, out var sex);
        var traits = IdentityTraits.Create(name.Value, IdentityTraits.SplitFirstNames(list.Value), firstName.Value, sex, date, input.BirthPlaceCog);
        if (!traits.IsValid)
        {
            return new Outcome(BatchOutcomes.InputRefused, "insi.lexical", traits.Errors[0].Message, null);
        }

        var port = sp.GetRequiredService<IInsiPort>();
        var certificate = appOptions.AutomaticCallCertificate;
        InsIdentifier? ins = null;
        if (kind == "verify" && !InsIdentifier.TryCreate(input.Ins ?? "", input.InsOid ?? InsOids.Nir, appOptions.InsPolicy, out ins, out var insError))
        {
            return new Outcome(BatchOutcomes.InputRefused, "csv.ins", insError, null);
        }

        for (var attempt = 1; ; attempt++)
        {
            InsiPortResult result;
            try
            {
                result = kind == "verify"
                    ? await port.VerifyAsync(new InsiVerifyRequest(ins!, traits.Value, certificate, $"batch-{item.JobId:N}-{item.Line}") { Establishment = actor.Establishment }, ct).ConfigureAwait(false)
                    : await port.SearchAsync(new InsiSearchRequest(traits.Value, certificate, $"batch-{item.JobId:N}-{item.Line}") { Establishment = actor.Establishment }, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpRequestException or TimeoutException or IOException || (ex is OperationCanceledException && !ct.IsCancellationRequested))
            {
                result = InsiPortResult.Failed("transport", ex.GetType().Name);
            }

            exchanges.AddRange(result.Exchanges.Select((x, i) => new InsiExchange
            {
                Id = Guid.CreateVersion7(),
                IdentityId = null,
                Operation = kind,
                RequestXml = x.RequestXml,
                ResponseXml = x.ResponseXml,
                Outcome = x.Outcome switch { "CR 00" => "found", "CR 01" => "not-found", "CR 02" => "multiple", _ => "error" },
                Detail = Cut($"batch line {item.Line}", 512),
                CertificateCn = x.CertificateCn,
                DurationMs = (long)x.Duration.TotalMilliseconds,
                Actor = actor.Name,
                OccurredAt = clock.GetUtcNow(),
            }));
            if (result.Outcome == InsiCallOutcome.Error)
            {
                if (result.Code == "input")
                {
                    return new Outcome(BatchOutcomes.InputRefused, "insi.input", "INSi refused the request as malformed.", null);
                }

                if (attempt < opt.MaxServiceAttempts)
                {
                    await Task.Delay(opt.RetryDelay * Math.Pow(2, attempt - 1), clock, ct).ConfigureAwait(false);
                    continue;
                }

                return new Outcome(BatchOutcomes.ServiceError, "insi.error", $"INSi call failed ({result.Code ?? "error"}) after {attempt} attempt(s).", null);
            }

            var returned = Returned(result.Identity);
            var differences = returned is null ? [] : TraitComparison.Differences(traits.Value, returned);
            if (kind == "verify")
            {
                return result.Verification switch
                {
                    InsiVerificationOutcome.Confirmed when differences.Count == 0 => new Outcome(BatchOutcomes.Confirmed, null, "INSi confirmed the INS and the traits.", ins!.Matricule.Value),
                    InsiVerificationOutcome.ReplacedByNewer => new Outcome(BatchOutcomes.Replaced, "rniv.ins-replaced", "INSi holds a newer INS for this person (reported only: the row is not a stored identity).", result.Identity?.Active.Matricule),
                    InsiVerificationOutcome.NotFound => new Outcome(BatchOutcomes.NotFound, null, "INSi does not find this person with these traits.", null),
                    InsiVerificationOutcome.Ambiguous => new Outcome(BatchOutcomes.Ambiguous, null, "INSi returns several identities for these traits.", null),
                    _ when differences.Count > 0 => new Outcome(BatchOutcomes.Mismatch, "insi.traits-differ", "INSi traits differ: " + string.Join(",", differences.Select(d => d.Field)), null),
                    _ => new Outcome(BatchOutcomes.Mismatch, "insi.other-ins", "INSi returns another INS for these traits.", null),
                };
            }

            return result.Outcome switch
            {
                InsiCallOutcome.Found when returned is null => new Outcome(BatchOutcomes.ServiceError, "insi.traits-invalid", "INSi returned traits the gateway cannot read.", null),
                InsiCallOutcome.Found when differences.Count == 0 => new Outcome(BatchOutcomes.Confirmed, null, "INSi returned an INS; traits match exactly.", result.Identity!.Active.Matricule),
                InsiCallOutcome.Found => new Outcome(BatchOutcomes.Mismatch, "insi.traits-differ", "INSi traits differ: " + string.Join(",", differences.Select(d => d.Field)), result.Identity!.Active.Matricule),
                InsiCallOutcome.Multiple => new Outcome(BatchOutcomes.Ambiguous, null, "INSi returned several identities.", null),
                _ => new Outcome(BatchOutcomes.NotFound, null, "INSi found no identity for these traits.", null),
            };
        }
    }

    private static IdentityTraits? Returned(InsiReturnedIdentity? r) => r?.ToTraits();

    private static string? Cut(string? s, int max) => s is { } v && v.Length > max ? v[..max] : s;

    [LoggerMessage(Level = LogLevel.Information, Message = "Batch job {JobId} done")]
    private static partial void LogJobDone(ILogger logger, Guid jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Batch job {JobId}: a chunk's group save failed ({Error}); written again one call at a time")]
    private static partial void LogGroupRedone(ILogger logger, Guid jobId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Batch chunk could not be handed back after a failed write ({Error}); its items return when their lease expires")]
    private static partial void LogHandBackFailed(ILogger logger, string error);

    private sealed record Outcome(string Code, string? Rule, string? Detail, string? Ins);

    private sealed record Claimed(BatchJob Job, List<BatchItem> Items, long FirstSlot, long Interval);

    private sealed record Chunk(BatchJob Job, Actor Actor, List<Work> Works);

    /// <summary>One item of a chunk between its calls and its write.</summary>
    private sealed class Work(BatchItem item)
    {
        public BatchItem Item { get; } = item;

        /// <summary>Decided without a call to apply: refused, already applied by an earlier attempt, or a CSV row's result.</summary>
        public Outcome? Outcome { get; set; }

        /// <summary>Stored identity: every call made (failed attempts first), recorded and applied in order.</summary>
        public List<InsiCall> Calls { get; } = [];

        /// <summary>CSV row: the exchanges to record.</summary>
        public List<InsiExchange> Exchanges { get; } = [];

        public bool HandBack { get; set; }

        public bool LeaseLost { get; set; }
    }
}
