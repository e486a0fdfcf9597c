using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using SanteGateway.Application;
using SanteGateway.Server.Security;
using SanteGateway.Store;
using SanteGateway.Store.Entities;
using SanteGateway.Store.Tests;
using SanteGateway.Testing;

namespace SanteGateway.Server.Tests;

/// <summary>
/// The inbound gate's throughput machinery kept honest: decisions committed in groups (one transaction for the items arriving
/// together, each sender answered only after the commit holding its item), the partners' settings kept in memory yet
/// changed at once by this gateway and within their time-to-live by another instance, a create refused because the patient
/// was created meanwhile, and the list's decision filter over HTTP. Same suite on SQLite and PostgreSQL.
/// </summary>
public abstract class InboundGroupCommitTests<TDb>(TDb database) : IClassFixture<TDb>, IAsyncLifetime
    where TDb : TestDatabase
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        database.SkipIfUnavailable();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static string NewName() => "PAT-" + new string(Guid.NewGuid().ToString("N").Where(char.IsLetter).Take(8).Select(char.ToUpperInvariant).ToArray());

    private static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>The ANS ORU^R01 for another patient, INS sent with status PROV (not trusted: matched on traits).</summary>
    private static string Oru(string name) =>
        File.ReadAllText(TestPaths.SharedFile("data", "hl7v2", "oru-r01-cr-bio-init.hl7"))
            .Replace("PAT-TROIS", name, StringComparison.Ordinal)
            .Replace("279035121518989", FakeInsi.NewMatricule(), StringComparison.Ordinal)
            .Replace("|N|VALI", "|N|PROV", StringComparison.Ordinal);

    private static async Task<HttpClient> PartnerAsync(TestGateway gw, string id, bool allowCreate = false)
    {
        var vigilance = await gw.ClientAsync(GatewayRoles.IdentityVigilance);
        var r = await vigilance.PutAsJsonAsync($"/api/inbound/partners/{id}", new { name = "Partner " + id, assigningAuthority = "1.2.250.1.999.7", allowCreate, qualifiedCode = "VALI" }, Http.Json);
        r.StatusCode.Should().Be(HttpStatusCode.OK, await r.Content.ReadAsStringAsync());
        return await gw.ClientAsync(GatewayRoles.FrontDesk);
    }

    private static async Task<JsonElement> SendAsync(HttpClient client, string partner, string body)
    {
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("x-application/hl7-v2+er7");
        using var req = new HttpRequestMessage(HttpMethod.Post, "/api/inbound") { Content = content };
        req.Headers.Add("X-Partner", partner);
        var r = await client.SendAsync(req);
        var json = await r.JsonAsync();
        r.StatusCode.Should().Be(HttpStatusCode.Accepted, json.ToString());
        return json;
    }

    private static async Task<JsonElement> ItemAsync(HttpClient client, JsonElement accepted) =>
        await (await client.GetAsync($"/api/inbound/{Str(accepted, "id")}")).JsonAsync();

    private static string? Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static IEnumerable<string> Actions(JsonElement item) => item.GetProperty("actions").EnumerateArray().Select(a => a.GetProperty("action").GetString()!);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_group_commit_whose_transaction_fails_answers_no_decision_it_did_not_store_and_loses_no_item(bool singlesFailToo)
    {
        var probe = new GroupCommitProbe { FailGroups = true };
        await using var gw = await TestGateway.StartAsync(database, new FakeInsi(() => InsiPortResult.Failed("transport", "unused")), o => o.AddInterceptors(probe));
        var partner = Unique("LAB-G");
        var client = await PartnerAsync(gw, partner);
        var commits = gw.Services.GetRequiredService<InboundGroupCommit>();

        // The first decision's commit is held until seven more senders wait behind it: they form one group.
        using var hold = new SemaphoreSlim(0);
        probe.Hold = hold;
        var first = SendAsync(client, partner, Oru(NewName()));
        await probe.Entered.Task.WaitAsync(TimeSpan.FromSeconds(60), Ct);
        var others = Enumerable.Range(0, 7).Select(_ => SendAsync(client, partner, Oru(NewName()))).ToList();
        for (var i = 0; i < 600 && commits.Waiting < 7; i++)
        {
            await Task.Delay(50, Ct);
        }

        commits.Waiting.Should().Be(7, "seven decisions wait for the group commit");
        probe.FailAll = singlesFailToo;
        hold.Release();
        var answers = await Task.WhenAll([first, .. others]);

        probe.LargestGroup.Should().Be(7, "the seven waiting decisions were handed to the database in one transaction, which failed");
        foreach (var answer in answers)
        {
            var stored = await ItemAsync(client, answer);
            if (singlesFailToo)
            {
                // Not decided, but stored before the 202: decided again later.
                Str(answer, "decision").Should().BeNull(answer.ToString());
                Str(stored, "state").Should().Be("received", stored.ToString());
                Actions(stored).Should().Equal("received");
            }
            else
            {
                // Committed again alone: the answer states what is stored.
                Str(answer, "decision").Should().Be("hold", answer.ToString());
                Str(stored, "state").Should().Be("held", stored.ToString());
                Str(stored, "decision").Should().Be("hold");
                Actions(stored).Should().Equal("received", "ins-stripped", "decided");
            }
        }

        await using var scope = gw.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        var ids = answers.Select(a => Guid.Parse(Str(a, "id")!)).ToList();
        (await db.InboundItems.CountAsync(x => ids.Contains(x.Id), Ct)).Should().Be(8, "no item is lost");
        (await SanteGateway.Store.Audit.AuditTrail.VerifyAsync(db, Ct)).IsIntact.Should().BeTrue("the failed group left no half-written audit chain");
    }

    [Fact]
    public async Task Decisions_arriving_together_are_committed_in_one_transaction_and_each_answer_matches_what_is_stored()
    {
        var probe = new GroupCommitProbe();
        await using var gw = await TestGateway.StartAsync(database, new FakeInsi(() => InsiPortResult.Failed("transport", "unused")), o => o.AddInterceptors(probe));
        var partner = Unique("LAB-T");
        var client = await PartnerAsync(gw, partner);
        var commits = gw.Services.GetRequiredService<InboundGroupCommit>();
        using var hold = new SemaphoreSlim(0);
        probe.Hold = hold;
        var first = SendAsync(client, partner, Oru(NewName()));
        await probe.Entered.Task.WaitAsync(TimeSpan.FromSeconds(60), Ct);
        var others = Enumerable.Range(0, 5).Select(_ => SendAsync(client, partner, Oru(NewName()))).ToList();
        for (var i = 0; i < 600 && commits.Waiting < 5; i++)
        {
            await Task.Delay(50, Ct);
        }

        hold.Release();
        var answers = await Task.WhenAll([first, .. others]);

        probe.LargestGroup.Should().Be(5);
        commits.Grouped.Should().BeGreaterThanOrEqualTo(5);
        foreach (var answer in answers)
        {
            var stored = await ItemAsync(client, answer);
            Str(stored, "decision").Should().Be(Str(answer, "decision")).And.Be("hold");
            Str(stored, "state").Should().Be("held");
        }

        await using var scope = gw.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        (await SanteGateway.Store.Audit.AuditTrail.VerifyAsync(db, Ct)).IsIntact.Should().BeTrue("one transaction extends the audit chain once per decision");
    }

    [Fact]
    public async Task A_partner_changed_through_the_API_is_seen_by_the_next_item_at_once()
    {
        await using var gw = await TestGateway.StartAsync(database, new FakeInsi(() => InsiPortResult.Failed("transport", "unused")));
        var partner = Unique("LAB-C");
        var client = await PartnerAsync(gw, partner, allowCreate: false);
        var held = await SendAsync(client, partner, Oru(NewName()));
        Str(held, "decision").Should().Be("hold");
        Str(held, "rule").Should().Be("inbound.no-match");

        await PartnerAsync(gw, partner, allowCreate: true);
        var created = await SendAsync(client, partner, Oru(NewName()));
        Str(created, "decision").Should().Be("create", "the cached settings were dropped when the partner was saved");

        var vigilance = await gw.ClientAsync(GatewayRoles.IdentityVigilance);
        var r = await vigilance.PutAsJsonAsync($"/api/inbound/partners/{partner}", new { assigningAuthority = "1.2.250.1.999.7", enabled = false }, Http.Json);
        r.StatusCode.Should().Be(HttpStatusCode.OK);
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(Oru(NewName())));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("x-application/hl7-v2+er7");
        using var req = new HttpRequestMessage(HttpMethod.Post, "/api/inbound") { Content = content };
        req.Headers.Add("X-Partner", partner);
        (await client.SendAsync(req, Ct)).StatusCode.Should().Be(HttpStatusCode.Forbidden, "a disabled partner is refused at once");
    }

    [Fact]
    public async Task The_partner_cache_sees_an_establishment_assignment_at_once_and_another_instances_change_after_its_time_to_live()
    {
        var now = DateTimeOffset.UtcNow;
        var id = Unique("LAB-E");
        await using (var db = database.CreateContext())
        {
            db.InboundPartners.Add(new InboundPartner { Id = id, Name = "Laboratoire", AssigningAuthority = "1.2.250.1.999", Transport = "api", QualifiedCode = "VALI", Enabled = true, CreatedAt = now, UpdatedAt = now, UpdatedBy = "tests" });
            await db.SaveChangesAsync(Ct);
        }

        var clock = new SteppedClock();
        var inbound = new InboundOptions { PartnerCacheSeconds = 30 };
        var cache = new InboundPartnerCache(clock, Microsoft.Extensions.Options.Options.Create(inbound));
        var reads = 0;
        async Task<string?> EstablishmentAsync()
        {
            var settings = await cache.GetAsync(id, async ct =>
            {
                reads++;
                await using var db = database.CreateContext();
                var row = await db.InboundPartners.AsNoTracking().SingleAsync(x => x.Id == id, ct);
                return new InboundPartnerSettings(row.Id, row.Name, row.AssigningAuthority, [], row.Transport, false, false, row.QualifiedCode) { Establishment = row.Establishment };
            }, Ct);
            return settings!.Establishment;
        }

        (await EstablishmentAsync()).Should().BeNull();
        (await EstablishmentAsync()).Should().BeNull();
        reads.Should().Be(1, "the second item is served from memory");

        var directory = new EstablishmentDirectory([new Establishment("0B0000001", "Site principal") { IsDefault = true }, new Establishment("690000123", "Site de Lyon")]);
        await using (var db = database.CreateContext())
        {
            var svc = new EstablishmentAssignmentService(db, directory, TimeProvider.System, null, Microsoft.Extensions.Options.Options.Create(inbound), cache);
            (await svc.AssignPartnerAsync(id, "690000123", new Actor("admin", "ui", IsVigilance: false), Ct)).IsSuccess.Should().BeTrue();
        }

        (await EstablishmentAsync()).Should().Be("690000123", "the assignment dropped the cached settings");

        // Another instance on the same database changes the binding: seen once the entry has lived its 30 seconds.
        await using (var db = database.CreateContext())
        {
            var row = await db.InboundPartners.SingleAsync(x => x.Id == id, Ct);
            row.Establishment = "0B0000001";
            await db.SaveChangesAsync(Ct);
        }

        (await EstablishmentAsync()).Should().Be("690000123", "within the time-to-live");
        clock.Advance(TimeSpan.FromSeconds(31));
        (await EstablishmentAsync()).Should().Be("0B0000001", "after the time-to-live");
    }

    [Fact]
    public async Task A_create_refused_because_the_patient_was_created_meanwhile_attaches_to_it_and_records_each_step_once()
    {
        var name = NewName();
        var meanwhile = new CreateBeforeGateCreates();
        await using var gw = await TestGateway.StartAsync(database, new FakeInsi(() => InsiPortResult.Failed("transport", "unused")), o => o.AddInterceptors(meanwhile));
        var partner = Unique("LAB-R");
        var client = await PartnerAsync(gw, partner, allowCreate: true);
        Guid? other = null;
        meanwhile.Action = async () =>
        {
            // The resend of the same message, decided beside the original, created the patient first.
            await using var scope = gw.Services.CreateAsyncScope();
            var identities = scope.ServiceProvider.GetRequiredService<IdentityService>();
            other = (await identities.CreateAsync(new CreateIdentityRequest(name, "DOMINIQUE", null, "F", "1979-03-28", "63220", null, null, null, null), new Actor("other-decision", "inbound", IsVigilance: false), CancellationToken.None)).Unwrap().Id;
        };

        var accepted = await SendAsync(client, partner, Oru(name));

        other.Should().NotBeNull("the patient was created between the gate's match and its create");
        Str(accepted, "decision").Should().Be("attach", accepted.ToString());
        Str(accepted, "identityId").Should().Be(other.ToString());
        var item = await ItemAsync(client, accepted);
        Actions(item).Should().Equal(["received", "ins-stripped", "decided"], "the second match's steps are recorded only when the first pass did not take them");
    }

    [Fact]
    public async Task The_list_over_HTTP_filters_on_the_decision_and_refuses_an_unknown_one_naming_the_field()
    {
        await using var gw = await TestGateway.StartAsync(database, new FakeInsi(() => InsiPortResult.Failed("transport", "unused")));
        var partner = Unique("LAB-D");
        var client = await PartnerAsync(gw, partner);
        var held = await SendAsync(client, partner, Oru(NewName()));
        var rejected = await SendAsync(client, partner, "MSH|^~\\&|broken");

        var holds = await (await client.GetAsync($"/api/inbound?partner={partner}&decision=hold", Ct)).JsonAsync();
        holds.GetProperty("items").EnumerateArray().Select(i => Str(i, "id")).Should().Equal(Str(held, "id"));
        var rejects = await (await client.GetAsync($"/api/inbound?partner={partner}&decision=reject", Ct)).JsonAsync();
        rejects.GetProperty("items").EnumerateArray().Select(i => Str(i, "id")).Should().Equal(Str(rejected, "id"));
        var attached = await (await client.GetAsync($"/api/inbound?partner={partner}&decision=attach", Ct)).JsonAsync();
        attached.GetProperty("total").GetInt32().Should().Be(0);

        var bad = await client.GetAsync("/api/inbound?decision=maybe", Ct);
        bad.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await bad.JsonAsync()).GetProperty("errors").GetProperty("decision")[0].GetString().Should().StartWith("code");
    }
}

public sealed class InboundGroupCommitTests_on_Sqlite(SqliteTestDatabase db) : InboundGroupCommitTests<SqliteTestDatabase>(db);

public sealed class InboundGroupCommitTests_on_Postgres(PostgresTestDatabase db) : InboundGroupCommitTests<PostgresTestDatabase>(db);

/// <summary>Watches the saves that record inbound decisions: holds the first, measures groups, fails them when told.</summary>
internal sealed class GroupCommitProbe : SaveChangesInterceptor
{
    public SemaphoreSlim? Hold { get; set; }

    public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public volatile bool FailGroups;

    public volatile bool FailAll;

    public int LargestGroup { get; private set; }

    public override async ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        var decided = eventData.Context!.ChangeTracker.Entries<InboundItem>().Count(e => e.Entity.State != InboundStates.Received);
        if (decided == 0)
        {
            return result;
        }

        if (Hold is { } hold)
        {
            Hold = null;
            Entered.TrySetResult();
            await hold.WaitAsync(cancellationToken);
        }

        LargestGroup = Math.Max(LargestGroup, decided);
        if (FailAll || (FailGroups && decided > 1))
        {
            throw new DbUpdateException("simulated failure of the group's transaction");
        }

        return result;
    }
}

/// <summary>Runs <see cref="Action"/> once, right after the gate stores an item before creating its identity.</summary>
internal sealed class CreateBeforeGateCreates : SaveChangesInterceptor
{
    public Func<Task>? Action { get; set; }

    public override async ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        if (Action is { } action && eventData.Context!.ChangeTracker.Entries<InboundItem>().Any(e => e.Entity.State == InboundStates.Received))
        {
            Action = null;
            await action();
        }

        return result;
    }
}

/// <summary>A clock whose timestamps move only when told.</summary>
internal sealed class SteppedClock : TimeProvider
{
    private long ticks = 1_000_000;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Interlocked.Read(ref ticks);

    public void Advance(TimeSpan by) => Interlocked.Add(ref ticks, by.Ticks);
}
