using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SanteGateway.Identity;
using SanteGateway.Store;
using SanteGateway.Store.Entities;

namespace SanteGateway.Application.Batch;

/// <summary>
/// Works on batch jobs. Any number of runners (threads, processes, gateway instances) can work on the same job: items are
/// claimed in chunks under a lease (<c>FOR UPDATE SKIP LOCKED</c> on PostgreSQL; SQLite runs one worker), each item is
/// processed through <see cref="IdentityService"/> (the same rules as a single verification) in its own scope, and its
/// outcome is written only while the lease is held. A worker that dies leaves its items leased; once the lease expires
/// another worker claims them again. A stored identity whose change was committed before the crash is recognised from
/// the audit trail (the job's actor name) and not called again, so no identity is changed or counted twice.
/// </summary>
public sealed partial class BatchRunner(IServiceScopeFactory scopes, TimeProvider clock, IOptions<BatchOptions> options, ILogger<BatchRunner> log, BatchMetrics? metrics = null)
{
    private readonly BatchOptions opt = options.Value;

    /// <summary>Actor name of a job (audit trail, INSi exchanges): how a retried item finds what the job already did.</summary>
    /// <param name="jobId">Job.</param>
    /// <returns>The name.</returns>
    public static string ActorName(Guid jobId) => "batch:" + jobId.ToString("N");

    /// <summary>Hook for tests simulating a crash: called after an item's INSi work, before its outcome is written.</summary>
    internal Func<BatchItem, Task>? BeforeOutcome { get; set; }

    /// <summary>
    /// Works on one job until it has no claimable item left, it is paused or cancelled, or <paramref name="ct"/> fires.
    /// Marks the job done when every item has an outcome.
    /// </summary>
    /// <param name="jobId">Job.</param>
    /// <param name="workerId">Unique id of this worker (lease owner).</param>
    /// <param name="ct">Cancellation (process stopping).</param>
    /// <returns>The number of items this worker ended.</returns>
    public async Task<int> RunAsync(Guid jobId, string workerId, CancellationToken ct)
    {
        var ended = 0;
        while (!ct.IsCancellationRequested)
        {
            List<BatchItem> chunk;
            BatchJob job;
            long first;
            long interval;
            await using (var scope = scopes.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
                job = await db.BatchJobs.AsNoTracking().FirstAsync(j => j.Id == jobId, ct).ConfigureAwait(false);
                if (job.Status != BatchStatuses.Running)
                {
                    return ended;
                }

                (chunk, first) = await ClaimAsync(db, job, workerId, ct).ConfigureAwait(false);
                interval = RatePace.Interval(job.RatePerSecond);
                if (chunk.Count == 0)
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

                    return ended;
                }
            }

            var index = 0;
            await Parallel.ForEachAsync(
                chunk.Select(i => (Item: i, Slot: first + (interval * index++))).ToList(),
                new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, job.Concurrency), CancellationToken = ct },
                async (x, c) =>
                {
                    var wait = TimeSpan.FromTicks(x.Slot - clock.GetUtcNow().UtcTicks);
                    if (wait > TimeSpan.Zero)
                    {
                        await Task.Delay(wait, clock, c).ConfigureAwait(false);
                    }

                    if (await ProcessAsync(job, x.Item, workerId, c).ConfigureAwait(false))
                    {
                        Interlocked.Increment(ref ended);
                    }
                }).ConfigureAwait(false);
        }

        return ended;
    }

    private async Task<(List<BatchItem> Items, long FirstSlot)> ClaimAsync(GatewayDbContext db, BatchJob job, string workerId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var interval = RatePace.Interval(job.RatePerSecond);
        var leaseUntil = now.UtcTicks + (interval * opt.ChunkSize) + opt.Lease.Ticks;
        var nowTicks = now.UtcTicks;
        var size = opt.ChunkSize;
        await using var tx = await db.Database.BeginTransactionAsync(ct).ConfigureAwait(false);
        List<long> ids;
        if (db.Database.ProviderName?.Contains("Npgsql", StringComparison.Ordinal) == true)
        {
            // SKIP LOCKED: concurrent claimers never wait on nor take each other's rows.
            ids = await db.Database.SqlQuery<long>($"""
                UPDATE batch_items SET "State" = 'leased', "LeaseOwner" = {workerId}, "LeaseUntilTicks" = {leaseUntil}, "Attempts" = "Attempts" + 1
                WHERE "Id" IN (SELECT "Id" FROM batch_items
                               WHERE "JobId" = {job.Id} AND ("State" = 'pending' OR ("State" = 'leased' AND "LeaseUntilTicks" < {nowTicks}))
                               ORDER BY "Id" LIMIT {size} FOR UPDATE SKIP LOCKED)
                RETURNING "Id" AS "Value"
                """).ToListAsync(ct).ConfigureAwait(false);
        }
        else
        {
            // SQLite: one writer at a time; the conditional update still refuses an item someone else holds.
            ids = await db.BatchItems.Where(i => i.JobId == job.Id && (i.State == "pending" || (i.State == "leased" && i.LeaseUntilTicks < nowTicks)))
                .OrderBy(i => i.Id).Select(i => i.Id).Take(size).ToListAsync(ct).ConfigureAwait(false);
            await db.BatchItems.Where(i => ids.Contains(i.Id) && (i.State == "pending" || (i.State == "leased" && i.LeaseUntilTicks < nowTicks)))
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
        var items = ids.Count == 0 ? [] : await db.BatchItems.AsNoTracking().Where(i => ids.Contains(i.Id)).OrderBy(i => i.Id).ToListAsync(ct).ConfigureAwait(false);
        return (items.Where(i => i.LeaseOwner == workerId).ToList(), first);
    }

    /// <summary>Processes one claimed item; true when this worker wrote its outcome.</summary>
    private async Task<bool> ProcessAsync(BatchJob job, BatchItem item, string workerId, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        var current = await db.BatchJobs.AsNoTracking().Where(j => j.Id == job.Id).Select(j => j.Status).FirstAsync(ct).ConfigureAwait(false);
        if (current != BatchStatuses.Running)
        {
            // Paused or cancelled while the chunk was waiting: hand the item back untouched.
            await db.BatchItems.Where(i => i.Id == item.Id && i.LeaseOwner == workerId && i.State == "leased")
                .ExecuteUpdateAsync(s => s.SetProperty(i => i.State, "pending").SetProperty(i => i.LeaseOwner, (string?)null).SetProperty(i => i.LeaseUntilTicks, 0L), ct).ConfigureAwait(false);
            return false;
        }

        if (clock.GetUtcNow().UtcTicks >= item.LeaseUntilTicks)
        {
            return false; // lease lost: another worker may hold the item now
        }

        var actor = Actor.Process(ActorName(job.Id), "batch") with { Establishment = job.Establishment };
        Outcome outcome;
        var exchanges = new List<InsiExchange>();
        if (item.IdentityId is { } identityId)
        {
            outcome = (item.Attempts > 1 ? await AlreadyAppliedAsync(db, identityId, actor.Name, job.Kind, ct).ConfigureAwait(false) : null)
                ?? await StoredAsync(scope.ServiceProvider.GetRequiredService<IdentityService>(), job.Kind, identityId, actor, ct).ConfigureAwait(false);
        }
        else
        {
            outcome = await CsvRowAsync(scope.ServiceProvider, job.Kind, item, actor, exchanges, ct).ConfigureAwait(false);
        }

        if (BeforeOutcome is { } hook)
        {
            await hook(item).ConfigureAwait(false);
        }

        var now = clock.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(ct).ConfigureAwait(false);
        var n = await db.BatchItems.Where(i => i.Id == item.Id && i.State == "leased" && i.LeaseOwner == workerId)
            .ExecuteUpdateAsync(
                s => s.SetProperty(i => i.State, "done").SetProperty(i => i.Outcome, outcome.Code).SetProperty(i => i.Rule, outcome.Rule)
                    .SetProperty(i => i.Detail, Cut(outcome.Detail, 512)).SetProperty(i => i.Ins, outcome.Ins).SetProperty(i => i.FinishedAt, now),
                ct).ConfigureAwait(false);
        if (n == 0)
        {
            return false; // another worker took the item over after our lease expired; its outcome stands
        }

        if (exchanges.Count > 0)
        {
            db.InsiExchanges.AddRange(exchanges);
            await db.SaveChangesAsync(ct).ConfigureAwait(false);
        }

        await tx.CommitAsync(ct).ConfigureAwait(false);
        metrics?.Ended(job.Kind, outcome.Code);
        return true;
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

    private async Task<Outcome> StoredAsync(IdentityService svc, string kind, Guid id, Actor actor, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            var r = kind == "verify"
                ? await svc.InsiVerifyAsync(id, null, actor, ct).ConfigureAwait(false)
                : await svc.InsiSearchAsync(id, null, actor, ct).ConfigureAwait(false);
            if (r.IsSuccess)
            {
                return FromAction(kind, r.Value!);
            }

            var e = r.Error!;
            if (e.Kind == ErrorKind.Upstream && e.Rule == "insi.error" && attempt < opt.MaxServiceAttempts)
            {
                await Task.Delay(opt.RetryDelay * Math.Pow(2, attempt - 1), clock, ct).ConfigureAwait(false);
                continue;
            }

            return e.Kind == ErrorKind.Upstream
                ? new Outcome(BatchOutcomes.ServiceError, e.Rule, $"{e.Message} (after {attempt} attempt(s))", null)
                : new Outcome(BatchOutcomes.InputRefused, e.Rule, e.Message, null);
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

    private sealed record Outcome(string Code, string? Rule, string? Detail, string? Ins);
}
