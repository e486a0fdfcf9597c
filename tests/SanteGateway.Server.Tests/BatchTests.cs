using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SanteGateway.Application;
using SanteGateway.Application.Batch;
using SanteGateway.Identity;
using SanteGateway.Server.Batch;
using SanteGateway.Server.Security;
using SanteGateway.Store;
using SanteGateway.Store.Tests;

namespace SanteGateway.Server.Tests;

/// <summary>
/// An INSi stand-in whose answer depends on the birth name: CONF… confirmed/found, INCONNU… not found, AMBIGU… several
/// identities, PANNE… service failure. Search always finds (echoing the traits) unless the name starts with SANSINS.
/// Counts calls per correlation id (the identity id, or the job line of a CSV row).
/// </summary>
internal sealed class ScriptedInsi : IInsiPort
{
    private readonly ConcurrentDictionary<string, string> matricules = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, int> Calls { get; } = new(StringComparer.Ordinal);

    public ConcurrentBag<InsiCertificate> Certificates { get; } = [];

    public TimeSpan Delay { get; set; }

    public async Task<InsiPortResult> SearchAsync(InsiSearchRequest request, CancellationToken ct)
    {
        await CountAsync(request.CorrelationId, request.Certificate, ct);
        var name = request.Traits.BirthName;
        if (name.StartsWith("SANSINS", StringComparison.Ordinal) || name.StartsWith("INCONNU", StringComparison.Ordinal))
        {
            return Answer(InsiCallOutcome.NotFound, "01", null, null);
        }

        if (name.StartsWith("AMBIGU", StringComparison.Ordinal))
        {
            return Answer(InsiCallOutcome.Multiple, "02", null, null);
        }

        if (name.StartsWith("PANNE", StringComparison.Ordinal))
        {
            return InsiPortResult.Failed("soap-fault", "simulated failure");
        }

        return Answer(InsiCallOutcome.Found, "00", Echo(request.Traits, matricules.GetOrAdd(request.CorrelationId, _ => FakeInsi.NewMatricule())), null);
    }

    public async Task<InsiPortResult> VerifyAsync(InsiVerifyRequest request, CancellationToken ct)
    {
        await CountAsync(request.CorrelationId, request.Certificate, ct);
        var name = request.Traits.BirthName;
        var echo = Echo(request.Traits, request.Ins.Matricule.Value);
        if (name.StartsWith("PANNE", StringComparison.Ordinal))
        {
            return InsiPortResult.Failed("soap-fault", "simulated failure");
        }

        return name switch
        {
            _ when name.StartsWith("INCONNU", StringComparison.Ordinal) => Answer(InsiCallOutcome.NotFound, "01", null, InsiVerificationOutcome.NotFound),
            _ when name.StartsWith("AMBIGU", StringComparison.Ordinal) => Answer(InsiCallOutcome.Multiple, "02", null, InsiVerificationOutcome.Ambiguous),
            _ when name.StartsWith("AUTRE", StringComparison.Ordinal) => Answer(InsiCallOutcome.Found, "00", Echo(request.Traits, FakeInsi.NewMatricule()), InsiVerificationOutcome.Mismatch),
            _ => Answer(InsiCallOutcome.Found, "00", echo, InsiVerificationOutcome.Confirmed),
        };
    }

    private async Task CountAsync(string correlation, InsiCertificate certificate, CancellationToken ct)
    {
        Calls.AddOrUpdate(correlation, 1, (_, n) => n + 1);
        Certificates.Add(certificate);
        if (Delay > TimeSpan.Zero)
        {
            await Task.Delay(Delay, ct);
        }
    }

    private static InsiReturnedIdentity Echo(IdentityTraits t, string matricule) =>
        new(new InsiReturnedIns(matricule, InsOids.Test, null, null, true), [], t.BirthName, t.BirthFirstNamesJoined, t.Sex == Sex.Female ? "F" : "M", t.BirthDate.ToIso(), t.BirthPlaceCog);

    private static InsiPortResult Answer(InsiCallOutcome outcome, string code, InsiReturnedIdentity? identity, InsiVerificationOutcome? verification) =>
        new(outcome, code, identity, verification, [new InsiAttemptView("X", false, code, null)],
            [new InsiRawExchange("<request/>", "<response/>", "INSI-AUTO", TimeSpan.FromMilliseconds(1), "CR " + code)], null, []);
}

/// <summary>Batch jobs through the API, the hosted worker and the runner, on each database.</summary>
public abstract class BatchTests<TDb>(TDb database) : IAsyncLifetime
    where TDb : TestDatabase
{
    private TestGateway? gateway;

    private protected ScriptedInsi Insi { get; } = new();

    private protected TestGateway Gateway => gateway!;

    private protected TDb Database => database;

    public async ValueTask InitializeAsync()
    {
        database.SkipIfUnavailable();
        gateway = await TestGateway.StartAsync(database, Insi);
        var o = gateway.Services.GetRequiredService<IOptions<BatchOptions>>().Value;
        o.RetryDelay = TimeSpan.FromMilliseconds(5);
        o.DefaultRatePerSecond = 0;
        var w = gateway.Services.GetRequiredService<IOptions<BatchWorkerOptions>>().Value;
        w.PollInterval = TimeSpan.FromMilliseconds(100);
    }

    public async ValueTask DisposeAsync()
    {
        if (gateway is not null)
        {
            await gateway.DisposeAsync();
        }
    }

    private protected void StopHostedWorker() => Gateway.Services.GetRequiredService<IOptions<BatchWorkerOptions>>().Value.WorkerEnabled = false;

    private protected BatchRunner Runner(TimeSpan? lease = null, int chunk = 50, TimeProvider? clock = null) =>
        new(Gateway.Services.GetRequiredService<IServiceScopeFactory>(), clock ?? TimeProvider.System,
            Options.Create(new BatchOptions { Lease = lease ?? TimeSpan.FromMinutes(2), ChunkSize = chunk, RetryDelay = TimeSpan.FromMilliseconds(5) }),
            NullLogger<BatchRunner>.Instance);

    private protected async Task<List<Guid>> CreateIdentitiesAsync(params string[] names)
    {
        var client = await Gateway.ClientAsync(GatewayRoles.FrontDesk);
        var ids = new List<Guid>();
        var salt = Random.Shared.Next(0, 3000);
        for (var i = 0; i < names.Length; i++)
        {
            var date = new DateOnly(1940, 1, 1).AddDays(salt + (i * 37)).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
            var created = await client.CreateAsync(Http.Person(names[i] + Suffix(), "JEAN PIERRE", "M", date));
            ids.Add(created.GetProperty("id").GetGuid());
        }

        return ids;
    }

    private static string Suffix() => new(Enumerable.Range(0, 6).Select(_ => (char)('A' + Random.Shared.Next(26))).ToArray());

    private protected async Task<BatchJobView> CreateJobAsync(string kind, string csv, double rate = 0, int concurrency = 1)
    {
        await using var scope = Gateway.Services.CreateAsyncScope();
        var svc = scope.ServiceProvider.GetRequiredService<BatchService>();
        var r = await svc.CreateAsync(new CreateBatchJobRequest(kind, null, Encoding.UTF8.GetBytes(csv), "test.csv", rate, concurrency), Actor.Process("tests", "tests"), CancellationToken.None);
        r.IsSuccess.Should().BeTrue(r.Error?.Message);
        return r.Value!;
    }

    private protected async Task<T> WithServiceAsync<T>(Func<BatchService, Task<T>> f)
    {
        await using var scope = Gateway.Services.CreateAsyncScope();
        return await f(scope.ServiceProvider.GetRequiredService<BatchService>());
    }

    private protected async Task<string> ReportAsync(Guid id)
    {
        var w = new StringWriter();
        var r = await WithServiceAsync(s => s.WriteReportAsync(id, w, CancellationToken.None));
        r.IsSuccess.Should().BeTrue();
        return w.ToString();
    }

    private protected static string IdsCsv(IEnumerable<Guid> ids) => "localId\n" + string.Join("\n", ids) + "\n";

    private protected static async Task<JsonElement> WaitDoneAsync(HttpClient client, string id)
    {
        var until = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            var json = await (await client.GetAsync($"/api/jobs/{id}")).JsonAsync();
            if (json.GetProperty("status").GetString() != "running" || DateTime.UtcNow > until)
            {
                return json;
            }

            await Task.Delay(100);
        }
    }

    [Theory]
    [InlineData("pending")]
    [InlineData("expired")]
    public async Task Claiming_a_chunk_reads_an_index_range_in_id_order_instead_of_sorting_the_whole_job(string range)
    {
        // "pending OR expired lease ORDER BY Id" read and sorted every item of the job at each claim: O(n²) per job,
        // about 50 ms a chunk at 100 000 items, so a million could never finish in time.
        await using var scope = Gateway.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        var jobId = Guid.NewGuid();
        var query = (range == "pending" ? BatchRunner.Pending(db.BatchItems, jobId) : BatchRunner.ExpiredLeases(db.BatchItems, jobId, 42)).Take(100);
        var postgres = db.Database.ProviderName!.Contains("Npgsql", StringComparison.Ordinal);
        var sql = string.Join('\n', query.ToQueryString().Split('\n')
            .Where(l => !l.StartsWith('.') && !l.StartsWith("--", StringComparison.Ordinal) && !l.StartsWith("SET ", StringComparison.Ordinal)));
        await db.Database.OpenConnectionAsync();
        await using var tx = await db.Database.BeginTransactionAsync();
        if (postgres)
        {
            // On a table this small the planner's choice says nothing (a scan and a sort of three rows cost nothing):
            // forbid both, in this transaction only, to see whether an index serves the range in id order.
            await db.Database.ExecuteSqlRawAsync("SET LOCAL enable_seqscan = off");
            await db.Database.ExecuteSqlRawAsync("SET LOCAL enable_sort = off");
        }

        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.Transaction = Microsoft.EntityFrameworkCore.Storage.DbContextTransactionExtensions.GetDbTransaction(tx);
        command.CommandText = (postgres ? "EXPLAIN " : "EXPLAIN QUERY PLAN ") + sql;
        foreach (var name in System.Text.RegularExpressions.Regex.Matches(sql, "@[A-Za-z_0-9]+").Select(m => m.Value).Distinct())
        {
            var p = command.CreateParameter();
            p.ParameterName = name;
            p.Value = name.Contains("job", StringComparison.OrdinalIgnoreCase) ? (postgres ? jobId : jobId.ToString().ToUpperInvariant())
                : name.Contains("tick", StringComparison.OrdinalIgnoreCase) ? 42L : 100;
            command.Parameters.Add(p);
        }

        var plan = new StringBuilder();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                plan.AppendLine(reader.GetValue(reader.FieldCount - 1).ToString());
            }
        }

        var text = plan.ToString();
        text.Should().Contain("IX_batch_items_JobId_State_Id", text);
        if (postgres)
        {
            text.Should().NotContain("Sort", text);
        }
        else
        {
            text.Should().Contain("(JobId=? AND State=?)", text).And.NotContain("TEMP B-TREE", text);
        }
    }

    [Fact]
    public async Task A_csv_with_broken_rows_finishes_with_those_rows_reported_by_line_and_rule()
    {
        var client = await Gateway.ClientAsync(GatewayRoles.IdentityVigilance);
        var before = await CountIdentitiesAsync();
        var csv = new MemoryStream();
        void Line(string s) => csv.Write(Encoding.UTF8.GetBytes(s + "\r\n"));
        Line("\uFEFFlocalId,birthName,birthFirstNames,sex,birthDate,birthPlaceCog");
        Line("P1,CONFIRME,JEAN PIERRE,M,1970-02-03,75056");
        Line("P2,DURAND,JEAN,M,1970-02-31,");
        Line("P3,DURAND,JEAN,M");
        Line("P4,INCONNU,MARIE,F,1980-01-01,");
        Line("P5,\"DE LA \"\"TOUR\"\"\",MARIE,X,1980-01-01,");
        csv.Write([(byte)'P', (byte)'6', (byte)',', 0xC3, 0x28, (byte)',', (byte)'A', (byte)',', (byte)'F', (byte)',', (byte)'1', (byte)',', (byte)'\n']);
        Line("");
        Line("P8,AMBIGU,PAUL,M,1990-10-10,");
        Line("P9,PANNE,PAUL,M,1990-10-10,");
        Line(",CONFIRME,PAUL,M,1990-10-10,");
        var content = new ByteArrayContent(csv.ToArray());
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/csv");
        var post = await client.PostAsync("/api/jobs?kind=search&name=patients.csv", content);
        post.StatusCode.Should().Be(HttpStatusCode.Created, await post.Content.ReadAsStringAsync());
        var id = (await post.JsonAsync()).GetProperty("id").GetString()!;

        var job = await WaitDoneAsync(client, id);
        job.GetProperty("status").GetString().Should().Be("done");
        job.GetProperty("total").GetInt32().Should().Be(9, "the blank line is not an item");
        job.GetProperty("done").GetInt32().Should().Be(9);
        var counts = job.GetProperty("counts");
        counts.GetProperty("input-refused").GetInt32().Should().Be(5);
        counts.GetProperty("confirmed").GetInt32().Should().Be(1);
        counts.GetProperty("not-found").GetInt32().Should().Be(1);
        counts.GetProperty("ambiguous").GetInt32().Should().Be(1);
        counts.GetProperty("service-error").GetInt32().Should().Be(1);

        var report = await client.GetAsync($"/api/jobs/{id}/report.csv");
        report.Content.Headers.ContentType!.MediaType.Should().Be("text/csv");
        var lines = (await report.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToList();
        lines[0].Should().Be("line;localId;identityId;outcome;rule;detail;ins");
        var byLine = lines.Skip(1).ToDictionary(l => int.Parse(l.Split(';')[0], System.Globalization.CultureInfo.InvariantCulture));
        byLine.Keys.Should().BeEquivalentTo([2, 3, 4, 5, 6, 7, 9, 10, 11]);
        byLine[2].Should().StartWith("2;P1;;confirmed;;");
        byLine[3].Should().StartWith("3;P2;;input-refused;csv.birthDate;");
        byLine[4].Should().StartWith("4;P3;;input-refused;csv.columns;");
        byLine[5].Should().StartWith("5;P4;;not-found;");
        byLine[6].Should().StartWith("6;P5;;input-refused;csv.sex;");
        byLine[7].Should().StartWith("7;;;input-refused;csv.encoding;");
        byLine[9].Should().StartWith("9;P8;;ambiguous;");
        byLine[10].Should().StartWith("10;P9;;service-error;insi.error;");
        byLine[11].Should().StartWith("11;;;input-refused;csv.localId;");
        Insi.Calls.Keys.Count(k => k.StartsWith($"batch-{Guid.Parse(id):N}-10", StringComparison.Ordinal)).Should().Be(1);
        Insi.Calls.Single(k => k.Key == $"batch-{Guid.Parse(id):N}-10").Value.Should().Be(3, "a failing call is retried up to the configured attempts");
        (await CountIdentitiesAsync()).Should().Be(before, "rows that are not stored identities are reported, never created");
        Insi.Certificates.Should().OnlyContain(c => c == InsiCertificate.Automatic, "batch calls present the INSI-AUTO certificate");
    }

    [Fact]
    public async Task A_csv_without_a_localId_column_is_refused_naming_the_header()
    {
        var client = await Gateway.ClientAsync(GatewayRoles.IdentityVigilance);
        var content = new StringContent("birthName;sex\nA;M\n", Encoding.UTF8, "text/csv");
        var r = await client.PostAsync("/api/jobs?kind=verify", content);
        r.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await r.JsonAsync()).GetProperty("rule").GetString().Should().Be("csv.header");
    }

    [Fact]
    public async Task Front_desk_cannot_start_a_batch_job()
    {
        var client = await Gateway.ClientAsync(GatewayRoles.FrontDesk);
        var r = await client.PostAsJsonAsync("/api/jobs", new { kind = "verify" });
        r.StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Search_then_verify_jobs_over_stored_identities_apply_the_single_identity_rules()
    {
        var client = await Gateway.ClientAsync(GatewayRoles.Admin);
        var ids = await CreateIdentitiesAsync("CONFA", "CONFB", "AUTRE", "INCONNU", "AMBIGU");
        var search = await client.PostAsJsonAsync("/api/jobs", new { kind = "search", filter = (object?)null, ratePerSecond = 0 });
        search.StatusCode.Should().Be(HttpStatusCode.Created);
        var searchJob = await WaitDoneAsync(client, (await search.JsonAsync()).GetProperty("id").GetString()!);
        searchJob.GetProperty("status").GetString().Should().Be("done");

        await using (var scope = Gateway.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
            var rows = await db.Identities.AsNoTracking().Where(i => ids.Contains(i.Id)).ToListAsync();
            rows.Where(r => r.InsMatricule != null).Select(r => r.Id).Should().BeEquivalentTo(ids.Take(3), "a search job gives the INS when INSi finds the person with the same traits");
            rows.Where(r => r.InsMatricule != null).Should().OnlyContain(r => r.Status == "RECUP", "never QUAL without evidence");
        }

        var verify = await client.PostAsync("/api/jobs?kind=verify", new StringContent(IdsCsv(ids), Encoding.UTF8, "text/csv"));
        var verifyJob = await WaitDoneAsync(client, (await verify.JsonAsync()).GetProperty("id").GetString()!);
        var counts = verifyJob.GetProperty("counts");
        counts.GetProperty("confirmed").GetInt32().Should().Be(2);
        counts.GetProperty("mismatch").GetInt32().Should().Be(1);
        counts.GetProperty("input-refused").GetInt32().Should().Be(2, "identities without INS have nothing to verify");
        var report = await (await client.GetAsync($"/api/jobs/{verifyJob.GetProperty("id").GetString()}/report.csv")).Content.ReadAsStringAsync();
        report.Should().Contain($";{ids[2]};mismatch;insi.other-ins;").And.Contain($";{ids[3]};input-refused;rniv.no-ins;");

        await using (var scope = Gateway.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
            (await db.VigilanceAlerts.AsNoTracking().CountAsync(a => a.IdentityId == ids[2] && a.ResolvedAt == null)).Should().BeGreaterThan(0, "a mismatch lands in the vigilance worklist");
            (await db.Identities.AsNoTracking().Where(i => ids.Take(2).Contains(i.Id)).CountAsync(i => i.InsVerifiedAt != null)).Should().Be(2);
        }
    }

    [Fact]
    public async Task A_paused_job_claims_nothing_until_resumed_and_a_cancelled_job_leaves_its_items_unprocessed()
    {
        StopHostedWorker();
        var csv = "localId;birthName;birthFirstNames;sex;birthDate\n" + string.Join("\n", Enumerable.Range(1, 8).Select(i => $"R{i};CONF;JEAN;M;1970-01-0{i}")) + "\n";
        var job = await CreateJobAsync("search", csv);
        var client = await Gateway.ClientAsync(GatewayRoles.IdentityVigilance);
        (await client.PostAsync($"/api/jobs/{job.Id}/pause", null)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await Runner().RunAsync(job.Id, "w1", CancellationToken.None)).Should().Be(0);
        (await client.PostAsync($"/api/jobs/{job.Id}/pause", null)).StatusCode.Should().Be(HttpStatusCode.OK, "pausing a paused job changes nothing");
        (await client.PostAsync($"/api/jobs/{job.Id}/resume", null)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await Runner(chunk: 3).RunAsync(job.Id, "w1", CancellationToken.None)).Should().Be(8);
        var done = await (await client.GetAsync($"/api/jobs/{job.Id}")).JsonAsync();
        done.GetProperty("status").GetString().Should().Be("done");
        done.GetProperty("counts").GetProperty("confirmed").GetInt32().Should().Be(8);
        (await client.PostAsync($"/api/jobs/{job.Id}/pause", null)).StatusCode.Should().Be(HttpStatusCode.Conflict, "a finished job cannot be paused");

        var other = await CreateJobAsync("search", csv);
        (await client.PostAsync($"/api/jobs/{other.Id}/cancel", null)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await Runner().RunAsync(other.Id, "w1", CancellationToken.None)).Should().Be(0);
        (await client.PostAsync($"/api/jobs/{other.Id}/resume", null)).StatusCode.Should().Be(HttpStatusCode.Conflict);
        var cancelled = await (await client.GetAsync($"/api/jobs/{other.Id}")).JsonAsync();
        cancelled.GetProperty("status").GetString().Should().Be("cancelled");
        cancelled.GetProperty("done").GetInt32().Should().Be(0);
        var report = await ReportAsync(other.Id);
        report.Should().Contain("2;R1;;;;;");
        Insi.Calls.Keys.Should().NotContain(k => k.Contains(other.Id.ToString("N"), StringComparison.Ordinal));
        (await client.GetAsync($"/api/jobs/{Guid.NewGuid()}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_worker_killed_at_any_item_leaves_a_job_another_worker_finishes_with_the_same_report()
    {
        StopHostedWorker();
        var ids = await CreateIdentitiesAsync("CONFA", "INCONNU", "CONFB", "AMBIGU", "CONFC", "AUTRE");
        var give = await CreateJobAsync("search", IdsCsv(ids));
        await Runner().RunAsync(give.Id, "w0", CancellationToken.None);

        var reference = await CreateJobAsync("verify", IdsCsv(ids));
        await Runner().RunAsync(reference.Id, "w0", CancellationToken.None);
        var expected = await ReportAsync(reference.Id);
        expected.Should().Contain(";confirmed;").And.Contain(";mismatch;");

        for (var kill = 0; kill < ids.Count; kill++)
        {
            var job = await CreateJobAsync("verify", IdsCsv(ids));
            var line = kill + 2;
            var dying = Runner(chunk: 4);
            dying.BeforeOutcome = item => item.Line == line ? throw new SimulatedCrashException() : Task.CompletedTask;
            var act = () => dying.RunAsync(job.Id, "dying", CancellationToken.None);
            await act.Should().ThrowAsync<SimulatedCrashException>();

            // The survivor comes after the dead worker's lease has run out (its clock is past it).
            await Runner(clock: new ShiftedClock(TimeSpan.FromHours(1))).RunAsync(job.Id, "survivor", CancellationToken.None);
            (await ReportAsync(job.Id)).Should().Be(expected, $"killed before the outcome of line {line}");
            var key = job.Id.ToString("N");
            await using var scope = Gateway.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
            var actor = BatchRunner.ActorName(job.Id);
            var applied = await db.AuditEvents.AsNoTracking().Where(e => e.Actor == actor && e.Action.StartsWith("identity.")).GroupBy(e => e.EntityId).Select(g => g.Count()).ToListAsync();
            applied.Should().OnlyContain(n => n == 1, "no identity is changed twice by the same job");
            var calls = await db.AuditEvents.AsNoTracking().CountAsync(e => e.Actor == actor && e.Action == "insi.verify");
            calls.Should().Be(ids.Count - 2, "the two identities without INS are refused before any call; the killed item is not called again");
            _ = key;
        }
    }

    [Fact]
    public async Task A_chunk_whose_commit_fails_leaves_every_item_to_be_redone_and_no_outcome_half_applied()
    {
        StopHostedWorker();
        var ids = await CreateIdentitiesAsync("CONFA", "CONFB", "AUTRE", "INCONNU", "CONFC");
        var give = await CreateJobAsync("search", IdsCsv(ids));
        await Runner().RunAsync(give.Id, "w0", CancellationToken.None);
        var reference = await CreateJobAsync("verify", IdsCsv(ids));
        await Runner().RunAsync(reference.Id, "w0", CancellationToken.None);
        var expected = await ReportAsync(reference.Id);
        expected.Should().Contain(";confirmed;").And.Contain(";mismatch;").And.Contain(";input-refused;");
        var versions = await VersionsAsync(ids);

        var job = await CreateJobAsync("verify", IdsCsv(ids));
        var failing = Runner(chunk: 10);
        var written = 0;
        failing.BeforeCommit = items =>
        {
            written = items.Count;
            throw new DbUpdateException("simulated failure of the chunk's commit");
        };
        var act = () => failing.RunAsync(job.Id, "failing", CancellationToken.None);
        await act.Should().ThrowAsync<DbUpdateException>();
        written.Should().Be(ids.Count, "the whole chunk was written in the one transaction that failed");

        var actor = BatchRunner.ActorName(job.Id);
        await using (var scope = Gateway.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
            (await db.AuditEvents.AsNoTracking().CountAsync(e => e.Actor == actor)).Should().Be(0, "no outcome, no call record of the chunk survives its rollback");
            (await db.InsiExchanges.AsNoTracking().CountAsync(x => x.Actor == actor)).Should().Be(0);
            (await VersionsAsync(ids)).Should().BeEquivalentTo(versions, "no identity was half changed");
            var items = await db.BatchItems.AsNoTracking().Where(i => i.JobId == job.Id).ToListAsync();
            items.Should().OnlyContain(i => i.State == "pending" && i.Outcome == null, "the failed chunk is handed back at once, not after its lease");
        }

        // Redone by the next worker, on the same clock (no lease to wait for), with the report of an uninterrupted run.
        (await Runner().RunAsync(job.Id, "next", CancellationToken.None)).Should().Be(ids.Count);
        (await ReportAsync(job.Id)).Should().Be(expected);
        await using (var scope = Gateway.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
            var applied = await db.AuditEvents.AsNoTracking().Where(e => e.Actor == actor && e.Action.StartsWith("identity.")).GroupBy(e => e.EntityId).Select(g => g.Count()).ToListAsync();
            applied.Should().HaveCount(4).And.OnlyContain(n => n == 1, "each identity holding an INS got exactly one outcome");
            (await db.AuditEvents.AsNoTracking().CountAsync(e => e.Actor == actor && e.Action == "insi.verify")).Should().Be(4, "the calls of the failed chunk left no record; the redo's calls are recorded once");
            (await SanteGateway.Store.Audit.AuditTrail.VerifyAsync(db)).IsIntact.Should().BeTrue("the rolled-back chunk left no hole in the audit chain");
        }
    }

    [Fact]
    public async Task A_verify_chunk_writes_each_confirmed_identity_once_with_its_version_raised_by_one_and_rows_matching_their_audit_images()
    {
        StopHostedWorker();
        var ids = await CreateIdentitiesAsync("CONFA", "CONFB", "CONFC", "AUTRE");
        var give = await CreateJobAsync("search", IdsCsv(ids));
        await Runner().RunAsync(give.Id, "w0", CancellationToken.None);
        var before = await VersionsAsync(ids);
        await using (var scope = Gateway.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
            var rows = await db.Identities.AsNoTracking().Where(i => ids.Contains(i.Id)).ToDictionaryAsync(i => i.Id);
            rows.Values.Should().OnlyContain(r => r.InsVerifiedAt == null);
        }

        var job = await CreateJobAsync("verify", IdsCsv(ids));
        (await Runner().RunAsync(job.Id, "w1", CancellationToken.None)).Should().Be(ids.Count);

        var after = await VersionsAsync(ids);
        foreach (var id in ids.Take(3))
        {
            after[id].Should().Be(before[id] + 1, "a confirmed verification is one change of the row, saved with the chunk's group");
        }

        after[ids[3]].Should().Be(before[ids[3]], "a mismatch changes nothing");
        await using (var scope = Gateway.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
            var rows = await db.Identities.AsNoTracking().Where(i => ids.Contains(i.Id)).ToDictionaryAsync(i => i.Id);
            ids.Take(3).Should().OnlyContain(id => rows[id].InsVerifiedAt != null && rows[id].InsMatricule != null, "the verification date is written, the INS kept");
            rows[ids[3]].InsVerifiedAt.Should().BeNull();
            var report = await SanteGateway.Store.Audit.AuditVerifier.VerifyAsync(db, null, null, TimeSpan.Zero, DateTimeOffset.UtcNow, CancellationToken.None);
            // Other tests of the class share the database (one edits a row behind the gateway's back on purpose): only this test's rows count.
            report.Findings.Where(f => ids.Exists(id => f.Detail.Contains(id.ToString(), StringComparison.Ordinal)))
                .Should().BeEmpty("every identity row is what its last audit event says it became, version included");
            report.IdentitiesChecked.Should().BeGreaterThanOrEqualTo(ids.Count);
        }
    }

    [Fact]
    public async Task A_confirmed_verification_written_by_a_batch_leaves_the_same_rows_and_audit_events_as_a_single_verification()
    {
        StopHostedWorker();
        var ids = await CreateIdentitiesAsync("CONFA", "CONFB");
        var give = await CreateJobAsync("search", IdsCsv(ids));
        await Runner().RunAsync(give.Id, "w0", CancellationToken.None);
        var before = await VersionsAsync(ids);
        var client = await Gateway.ClientAsync(GatewayRoles.FrontDesk);
        var single = await client.PostAsync($"/api/identities/{ids[0]}/insi-verify", null);
        single.StatusCode.Should().Be(HttpStatusCode.OK);
        var job = await CreateJobAsync("verify", IdsCsv(ids.Skip(1)));
        (await Runner().RunAsync(job.Id, "w1", CancellationToken.None)).Should().Be(1);

        await using var scope = Gateway.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        var rows = await db.Identities.AsNoTracking().Where(i => ids.Contains(i.Id)).ToDictionaryAsync(i => i.Id);
        var after = await VersionsAsync(ids);
        foreach (var id in ids)
        {
            after[id].Should().Be(before[id] + 1);
            rows[id].InsVerifiedAt.Should().NotBeNull().And.Be(rows[id].UpdatedAt, "the verification date is the change's time");
        }

        async Task<List<(string Action, string? Before, string? After)>> EventsAsync(Guid id)
        {
            var key = id.ToString();
            var since = await db.AuditEvents.AsNoTracking().Where(e => e.EntityId == key && e.Action == "identity.ins-obtained").MaxAsync(e => e.Sequence);
            return (await db.AuditEvents.AsNoTracking().Where(e => e.EntityId == key && e.Sequence > since).OrderBy(e => e.Sequence)
                .Select(e => new { e.Action, e.PreviousValues, e.NewValues, e.AfterImageHash }).ToListAsync())
                .Select(e => (e.Action, e.PreviousValues, e.NewValues)).ToList();
        }

        var one = await EventsAsync(ids[0]);
        var batch = await EventsAsync(ids[1]);
        batch.Select(e => e.Action).Should().Equal(one.Select(e => e.Action), "the same events, in the same order");
        one.Select(e => e.Action).Should().Equal("insi.verify", "identity.ins-verified");
        for (var i = 0; i < one.Count; i++)
        {
            Shape(batch[i].After).Should().Equal(Shape(one[i].After), $"{one[i].Action}: the same members with the same values, but for the identity's own");
            Shape(batch[i].Before).Should().Equal(Shape(one[i].Before));
        }

        var exchanges = await db.InsiExchanges.AsNoTracking().Where(x => ids.Contains(x.IdentityId!.Value) && x.Operation == "verify").ToListAsync();
        exchanges.GroupBy(x => x.IdentityId).Should().HaveCount(2).And.OnlyContain(g => g.Count() == 1 && g.Single().Outcome == "found");
        var report = await SanteGateway.Store.Audit.AuditVerifier.VerifyAsync(db, null, null, TimeSpan.Zero, DateTimeOffset.UtcNow, CancellationToken.None);
        report.Findings.Where(f => ids.Exists(id => f.Detail.Contains(id.ToString(), StringComparison.Ordinal))).Should().BeEmpty();

        // Member names in order, with the values every confirmed verification shares (ids, names, times and versions differ).
        static List<string> Shape(string? json)
        {
            if (json is null)
            {
                return ["(null)"];
            }

            using var doc = JsonDocument.Parse(json);
            var shared = new HashSet<string>(StringComparer.Ordinal) { "outcome", "code", "verification", "attempts", "transliterationConfirmed", "status", "attributes", "sex", "collectionChannel", "insOid", "evidence", "mergedInto" };
            return doc.RootElement.EnumerateObject()
                .Select(p => p.Name == "context"
                    ? "context:" + string.Join(",", p.Value.EnumerateObject().Select(c => c.Name == "verification" ? c.Name + "=" + c.Value.GetRawText() : c.Name))
                    : shared.Contains(p.Name) ? p.Name + "=" + p.Value.GetRawText() : p.Name)
                .ToList();
        }
    }

    private async Task<Dictionary<Guid, long>> VersionsAsync(List<Guid> ids)
    {
        await using var scope = Gateway.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        return await db.Identities.AsNoTracking().Where(i => ids.Contains(i.Id)).ToDictionaryAsync(i => i.Id, i => i.Version);
    }

    private async Task<int> CountIdentitiesAsync()
    {
        await using var scope = Gateway.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<GatewayDbContext>().Identities.CountAsync();
    }

    private sealed class SimulatedCrashException : Exception
    {
    }

    private sealed class ShiftedClock(TimeSpan shift) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + shift;
    }
}

/// <summary>A batch job through the real INSi client and the sandbox over mutual TLS (INSI-AUTO certificate).</summary>
public abstract class BatchSandboxTests<TDb>(TDb database, SandboxFixture sandbox) : IAsyncLifetime
    where TDb : TestDatabase
{
    private TestGateway? gateway;
    private SanteGateway.Server.Insi.InsiClientPort? insi;

    public async ValueTask InitializeAsync()
    {
        database.SkipIfUnavailable();
        insi = sandbox.CreateGateway();
        gateway = await TestGateway.StartAsync(database, insi);
        gateway.Services.GetRequiredService<IOptions<BatchOptions>>().Value.DefaultRatePerSecond = 0;
        gateway.Services.GetRequiredService<IOptions<BatchWorkerOptions>>().Value.PollInterval = TimeSpan.FromMilliseconds(100);
    }

    public async ValueTask DisposeAsync()
    {
        if (gateway is not null)
        {
            await gateway.DisposeAsync();
        }

        insi?.Dispose();
    }

    [Fact]
    public async Task A_search_job_over_the_sandbox_obtains_the_ins_of_a_stored_identity_and_reports_a_csv_row_without_creating_it()
    {
        var front = await gateway!.ClientAsync(GatewayRoles.FrontDesk);
        var id = (await front.CreateAsync(new { birthName = "Adrtrois", birthFirstNames = "Toussaint", sex = "M", birthDate = "1960-01-01", birthPlaceCog = "2B020" })).GetProperty("id").GetString();
        var client = await gateway.ClientAsync(GatewayRoles.IdentityVigilance);
        var csv = $"localId;birthName;birthFirstNames;sex;birthDate\n{id};;;;\nX1;INCONNU;PERSONNE;F;1999-09-09\n";
        var post = await client.PostAsync("/api/jobs?kind=search", new StringContent(csv, Encoding.UTF8, "text/csv"));
        post.StatusCode.Should().Be(HttpStatusCode.Created, await post.Content.ReadAsStringAsync());
        var jobId = (await post.JsonAsync()).GetProperty("id").GetString()!;
        var until = DateTime.UtcNow.AddMinutes(2);
        JsonElement job;
        do
        {
            await Task.Delay(100);
            job = await (await client.GetAsync($"/api/jobs/{jobId}")).JsonAsync();
        }
        while (job.GetProperty("status").GetString() == "running" && DateTime.UtcNow < until);

        job.GetProperty("counts").GetProperty("confirmed").GetInt32().Should().Be(1, job.ToString());
        job.GetProperty("counts").GetProperty("not-found").GetInt32().Should().Be(1, job.ToString());
        var report = await (await client.GetAsync($"/api/jobs/{jobId}/report.csv")).Content.ReadAsStringAsync();
        report.Should().Contain($"2;{id};{id};confirmed;;").And.Contain("160012B02077713").And.Contain("3;X1;;not-found;");

        var identity = await (await front.GetAsync($"/api/identities/{id}")).JsonAsync();
        identity.GetProperty("status").GetString().Should().Be("RECUP", "without evidence a batch never qualifies");
        identity.GetProperty("ins").GetProperty("matricule").GetString().Should().Be("160012B02077713");
        await using var scope = gateway.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        var exchanges = await db.InsiExchanges.AsNoTracking().Where(x => x.Actor == BatchRunner.ActorName(Guid.Parse(jobId))).ToListAsync();
        exchanges.Should().NotBeEmpty().And.OnlyContain(x => x.CertificateCn == "INSI-AUTO", "an unattended batch presents the INSI-AUTO certificate");
        exchanges.Should().Contain(x => x.IdentityId == null, "the CSV row's exchange is kept without an identity");
    }
}

public sealed class BatchSandboxTests_on_Sqlite(SqliteTestDatabase db, SandboxFixture sandbox)
    : BatchSandboxTests<SqliteTestDatabase>(db, sandbox), IClassFixture<SqliteTestDatabase>, IClassFixture<SandboxFixture>;

public sealed class BatchSandboxTests_on_Postgres(PostgresTestDatabase db, SandboxFixture sandbox)
    : BatchSandboxTests<PostgresTestDatabase>(db, sandbox), IClassFixture<PostgresTestDatabase>, IClassFixture<SandboxFixture>;

public sealed class BatchTests_on_Sqlite(SqliteTestDatabase db) : BatchTests<SqliteTestDatabase>(db), IClassFixture<SqliteTestDatabase>;

public sealed class BatchTests_on_Postgres(PostgresTestDatabase db) : BatchTests<PostgresTestDatabase>(db), IClassFixture<PostgresTestDatabase>
{
    [Fact]
    public async Task An_identity_changed_between_its_call_and_the_chunk_write_is_refused_as_stale_while_the_rest_of_the_chunk_is_applied()
    {
        StopHostedWorker();
        var ids = await CreateIdentitiesAsync("CONFA", "CONFB", "CONFC");
        var give = await CreateJobAsync("search", IdsCsv(ids));
        await Runner().RunAsync(give.Id, "w0", CancellationToken.None);
        var job = await CreateJobAsync("verify", IdsCsv(ids));
        var runner = Runner();
        var bumped = 0;
        runner.BeforeOutcome = async item =>
        {
            if (item.IdentityId == ids[1] && Interlocked.Exchange(ref bumped, 1) == 0)
            {
                // Someone edits the identity after its INSi call, before the chunk is written (own connection, committed).
                await using var scope = Gateway.Services.CreateAsyncScope();
                var other = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
                await other.Identities.Where(i => i.Id == ids[1]).ExecuteUpdateAsync(u => u.SetProperty(i => i.Version, i => i.Version + 1));
            }
        };

        (await runner.RunAsync(job.Id, "w1", CancellationToken.None)).Should().Be(3);

        bumped.Should().Be(1);
        var lines = (await ReportAsync(job.Id)).Split('\n');
        lines.Single(l => l.Contains(ids[1].ToString(), StringComparison.Ordinal)).Should().Contain(";input-refused;").And.Contain("concurrency.stale",
            "the group's save fails on the changed row; written again one call at a time, that call is refused as a single verification would be");
        lines.Single(l => l.Contains(ids[0].ToString(), StringComparison.Ordinal)).Should().Contain(";confirmed;");
        lines.Single(l => l.Contains(ids[2].ToString(), StringComparison.Ordinal)).Should().Contain(";confirmed;");
        await using var check = Gateway.Services.CreateAsyncScope();
        var db = check.ServiceProvider.GetRequiredService<GatewayDbContext>();
        var actor = BatchRunner.ActorName(job.Id);
        (await db.AuditEvents.AsNoTracking().CountAsync(e => e.Actor == actor && e.Action == "identity.ins-verified")).Should().Be(2);
        (await db.AuditEvents.AsNoTracking().CountAsync(e => e.Actor == actor && e.Action == "insi.verify")).Should().Be(3, "each call is recorded once, by the one-by-one write");
        (await SanteGateway.Store.Audit.AuditTrail.VerifyAsync(db)).IsIntact.Should().BeTrue();
    }

    [Fact]
    public async Task Two_workers_on_postgres_never_process_the_same_item()
    {
        StopHostedWorker();
        Insi.Delay = TimeSpan.FromMilliseconds(2);
        var csv = "localId;birthName;birthFirstNames;sex;birthDate\n" + string.Join("\n", Enumerable.Range(1, 240).Select(i => $"R{i};CONF;JEAN;M;1970-01-{(i % 28) + 1:00}")) + "\n";
        var job = await CreateJobAsync("search", csv, concurrency: 3);
        var a = Runner(chunk: 7);
        var b = Runner(chunk: 7);
        var ended = await Task.WhenAll(Task.Run(() => a.RunAsync(job.Id, "worker-a", CancellationToken.None)), Task.Run(() => b.RunAsync(job.Id, "worker-b", CancellationToken.None)));
        ended.Sum().Should().Be(240);
        var prefix = $"batch-{job.Id:N}-";
        var calls = Insi.Calls.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        calls.Should().HaveCount(240).And.OnlyContain(kv => kv.Value == 1, "an item claimed by one worker is invisible to the other");
        var view = await WithServiceAsync(s => s.GetAsync(job.Id, CancellationToken.None));
        view.Value!.Status.Should().Be("done");
        view.Value.Counts["confirmed"].Should().Be(240);
    }
}
