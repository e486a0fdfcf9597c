using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using SanteGateway.Application;
using SanteGateway.Server.Security;
using SanteGateway.Store;
using SanteGateway.Store.Audit;
using SanteGateway.Store.Tests;

namespace SanteGateway.Server.Tests;

/// <summary>
/// Verification outcomes, concurrent collisions, merge and certificates, with a programmable INSi port (the sandbox
/// cannot be told to answer "replaced by a newer INS" on demand). Same suite on SQLite and PostgreSQL.
/// </summary>
public abstract class VigilanceRulesApiTests<TDb>(TDb database) : IClassFixture<TDb>, IAsyncLifetime
    where TDb : TestDatabase
{
    public ValueTask InitializeAsync()
    {
        database.SkipIfUnavailable();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static string Unique(string prefix) => prefix + " " + new string(Guid.NewGuid().ToString("N").Where(char.IsLetter).Take(8).Select(char.ToUpperInvariant).ToArray());

    /// <summary>A port whose answer the test changes between calls.</summary>
    private sealed class Scripted
    {
        public Func<InsiPortResult> Next { get; set; } = () => InsiPortResult.Failed("transport", "unset");

        public FakeInsi Port => field ??= new FakeInsi(() => Next());
    }

    private static async Task<(string Id, string Matricule)> QualifiedAsync(HttpClient client, Scripted insi, string name)
    {
        var matricule = FakeInsi.NewMatricule();
        insi.Next = () => FakeInsi.Found(birthName: name, matricule: matricule);
        var id = (await client.CreateAsync(Http.Person(name, evidence: Http.Passport()))).GetProperty("id").GetString()!;
        var json = await (await client.PostAsync($"/api/identities/{id}/insi-search", null)).JsonAsync();
        json.GetProperty("identity").GetProperty("status").GetString().Should().Be("QUAL", json.ToString());
        return (id, matricule);
    }

    [Fact]
    public async Task A_verification_mismatch_never_overwrites_the_stored_ins_and_raises_an_alert()
    {
        var insi = new Scripted();
        await using var gw = await TestGateway.StartAsync(database, insi.Port);
        var client = await gw.ClientAsync(GatewayRoles.FrontDesk);
        var name = Unique("VERIF");
        var (id, matricule) = await QualifiedAsync(client, insi, name);

        insi.Next = () => FakeInsi.Found(birthName: name, matricule: FakeInsi.NewMatricule(), verification: InsiVerificationOutcome.Mismatch);
        var json = await (await client.PostAsync($"/api/identities/{id}/insi-verify", null)).JsonAsync();

        json.GetProperty("applied").GetBoolean().Should().BeFalse();
        json.GetProperty("verification").GetString().Should().Be("mismatch");
        json.GetProperty("identity").GetProperty("ins").GetProperty("matricule").GetString().Should().Be(matricule);
        json.GetProperty("identity").GetProperty("status").GetString().Should().Be("QUAL");
        var alerts = await (await client.GetAsync("/api/vigilance/worklist?kind=verification-alerts")).JsonAsync();
        alerts.GetProperty("items").EnumerateArray().Should().ContainSingle(i => i.GetProperty("identityId").GetString() == id && i.GetProperty("kind").GetString() == "verification-mismatch");
    }

    [Fact]
    public async Task A_person_insi_no_longer_finds_keeps_the_identity_unchanged_and_alerts_identity_vigilance()
    {
        var insi = new Scripted();
        await using var gw = await TestGateway.StartAsync(database, insi.Port);
        var client = await gw.ClientAsync(GatewayRoles.FrontDesk);
        var (id, matricule) = await QualifiedAsync(client, insi, Unique("DISPARU"));

        insi.Next = () => new InsiPortResult(InsiCallOutcome.NotFound, "01", null, InsiVerificationOutcome.NotFound, [], [new InsiRawExchange("<q/>", "<r/>", "INSI-MANU", TimeSpan.Zero, "CR 01")], null, []);
        var json = await (await client.PostAsync($"/api/identities/{id}/insi-verify", null)).JsonAsync();

        json.GetProperty("applied").GetBoolean().Should().BeFalse();
        json.GetProperty("alertId").GetString().Should().NotBeNull();
        json.GetProperty("identity").GetProperty("ins").GetProperty("matricule").GetString().Should().Be(matricule);
        var summary = await (await client.GetAsync("/api/vigilance/summary")).JsonAsync();
        summary.GetProperty("openAlerts").GetProperty("verification-not-found").GetInt32().Should().BeGreaterThanOrEqualTo(1);
    }

    [Fact]
    public async Task A_confirmed_verification_records_its_date()
    {
        var insi = new Scripted();
        await using var gw = await TestGateway.StartAsync(database, insi.Port);
        var client = await gw.ClientAsync(GatewayRoles.FrontDesk);
        var name = Unique("CONFIRME");
        var (id, matricule) = await QualifiedAsync(client, insi, name);

        insi.Next = () => FakeInsi.Found(birthName: name, matricule: matricule, verification: InsiVerificationOutcome.Confirmed);
        var json = await (await client.PostAsync($"/api/identities/{id}/insi-verify", null)).JsonAsync();

        json.GetProperty("verification").GetString().Should().Be("confirmed");
        json.GetProperty("identity").GetProperty("insVerifiedAt").ValueKind.Should().Be(JsonValueKind.String);
    }

    [Fact]
    public async Task A_newer_ins_replaces_the_stored_one_which_goes_to_history()
    {
        var insi = new Scripted();
        await using var gw = await TestGateway.StartAsync(database, insi.Port);
        var client = await gw.ClientAsync(GatewayRoles.FrontDesk);
        var name = Unique("NOUVEAU");
        var (id, old) = await QualifiedAsync(client, insi, name);
        var newer = FakeInsi.NewMatricule();

        insi.Next = () => FakeInsi.Found(birthName: name, matricule: newer, verification: InsiVerificationOutcome.ReplacedByNewer,
            history: [new InsiReturnedIns(old, "1.2.250.1.213.1.4.10", new DateOnly(2001, 1, 1), new DateOnly(2026, 1, 1), true)]);
        var json = await (await client.PostAsync($"/api/identities/{id}/insi-verify", null)).JsonAsync();

        json.GetProperty("applied").GetBoolean().Should().BeTrue(json.ToString());
        var identity = json.GetProperty("identity");
        identity.GetProperty("status").GetString().Should().Be("QUAL");
        identity.GetProperty("ins").GetProperty("matricule").GetString().Should().Be(newer);
        identity.GetProperty("insHistory").EnumerateArray().Should().Contain(h => h.GetProperty("matricule").GetString() == old
            && h.GetProperty("source").GetString() == "INSHISTO" && h.GetProperty("active").GetBoolean() && h.GetProperty("validTo").GetString() == "2026-01-01");
        var audit = await (await client.GetAsync($"/api/identities/{id}/audit")).JsonAsync();
        audit.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("action").GetString()).Should().Contain("identity.ins-replaced");
    }

    [Fact]
    public async Task Two_concurrent_searches_for_the_same_person_give_the_ins_to_exactly_one_identity_and_report_the_collision()
    {
        var matricule = FakeInsi.NewMatricule();
        var name = Unique("CONCURRENT");
        var fake = new FakeInsi(() => FakeInsi.Found(birthName: name, matricule: matricule));
        await using var gw = await TestGateway.StartAsync(database, fake);
        var vigilance = await gw.ClientAsync(GatewayRoles.IdentityVigilance);
        var a = (await vigilance.CreateAsync(Http.Person(name))).GetProperty("id").GetString();
        var b = (await vigilance.CreateAsync(new { birthName = name, birthFirstNames = "JEAN PIERRE", sex = "M", birthDate = "1980-05-17", birthPlaceCog = "75056", force = true, reason = "race test" })).GetProperty("id").GetString();

        var results = await Task.WhenAll(
            vigilance.PostAsync($"/api/identities/{a}/insi-search", null),
            vigilance.PostAsync($"/api/identities/{b}/insi-search", null));

        results.Select(r => r.StatusCode).Should().AllBeEquivalentTo(HttpStatusCode.OK, "a unique-index violation never leaks as a 500");
        var bodies = await Task.WhenAll(results.Select(r => r.JsonAsync()));
        bodies.Count(j => j.GetProperty("applied").GetBoolean()).Should().Be(1);
        bodies.Count(j => j.GetProperty("collisionWith").ValueKind == JsonValueKind.String).Should().Be(1);
        await using var scope = gw.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        (await db.Identities.CountAsync(x => x.InsMatricule == matricule)).Should().Be(1);
    }

    [Fact]
    public async Task Merging_moves_evidence_exchanges_ins_rows_and_external_ids_and_leaves_a_tombstone()
    {
        var insi = new Scripted();
        await using var gw = await TestGateway.StartAsync(database, insi.Port);
        var frontDesk = await gw.ClientAsync(GatewayRoles.FrontDesk);
        var vigilance = await gw.ClientAsync(GatewayRoles.IdentityVigilance);
        var name = Unique("FUSION");
        var (survivor, matricule) = await QualifiedAsync(frontDesk, insi, name);
        var other = (await vigilance.CreateAsync(new
        {
            birthName = name, birthFirstNames = "JEAN PIERRE", sex = "M", birthDate = "1980-05-17", birthPlaceCog = "75056",
            evidence = new { documentType = "CN", checkedOn = "2026-02-02", expiresOn = "2031-01-01" },
            externalIds = new[] { new { authority = "1.2.250.1.999.1", value = "IPP-" + Guid.NewGuid().ToString("N")[..8] } },
            force = true, reason = "created twice at the front desk",
        })).GetProperty("id").GetString();
        insi.Next = () => new InsiPortResult(InsiCallOutcome.NotFound, "01", null, null, [], [new InsiRawExchange("<q/>", "<r/>", "INSI-MANU", TimeSpan.Zero, "CR 01")], null, []);
        (await frontDesk.PostAsync($"/api/identities/{other}/insi-search", null)).StatusCode.Should().Be(HttpStatusCode.OK);

        (await frontDesk.PostAsJsonAsync($"/api/identities/{survivor}/merge", new { from = other, reason = "same person" }, Http.Json)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await vigilance.PostAsJsonAsync($"/api/identities/{survivor}/merge", new { from = other }, Http.Json)).StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await vigilance.PostAsJsonAsync($"/api/identities/{other}/merge", new { from = survivor, reason = "x" }, Http.Json)).StatusCode.Should().Be(HttpStatusCode.Conflict, "the identity holding the INS must survive");

        var merged = await vigilance.PostAsJsonAsync($"/api/identities/{survivor}/merge", new { from = other, reason = "same person, created twice" }, Http.Json);
        merged.StatusCode.Should().Be(HttpStatusCode.OK);
        var view = await merged.JsonAsync();
        view.GetProperty("status").GetString().Should().Be("QUAL");
        view.GetProperty("ins").GetProperty("matricule").GetString().Should().Be(matricule);
        view.GetProperty("externalIds").EnumerateArray().Should().ContainSingle(x => x.GetProperty("authority").GetString() == "1.2.250.1.999.1");
        view.GetProperty("evidence").EnumerateArray().Should().Contain(e => e.GetProperty("documentType").GetString() == "CN" && e.GetProperty("withdrawnAt").ValueKind == JsonValueKind.String);
        (await (await vigilance.GetAsync($"/api/identities/{survivor}/insi-exchanges")).JsonAsync()).GetProperty("total").GetInt32().Should().Be(2);

        var tombstone = await (await vigilance.GetAsync($"/api/identities/{other}")).JsonAsync();
        tombstone.GetProperty("mergedInto").GetString().Should().Be(survivor);
        var change = await vigilance.PostAsJsonAsync($"/api/identities/{other}/attributes", new { homonym = true }, Http.Json);
        change.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await change.JsonAsync()).GetProperty("rule").GetString().Should().Be("identity.merged");
        var search = await (await vigilance.GetAsync($"/api/identities?birthName={Uri.EscapeDataString(name)}")).JsonAsync();
        search.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()).Should().Equal(survivor);
        (await (await vigilance.GetAsync("/api/vigilance/worklist?kind=duplicates")).JsonAsync()).GetProperty("items").EnumerateArray()
            .Should().NotContain(i => i.GetProperty("identityId").GetString() == other);

        await using var scope = gw.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        (await AuditTrail.VerifyAsync(db)).IsIntact.Should().BeTrue();
        var row = await db.Identities.AsNoTracking().SingleAsync(x => x.Id == Guid.Parse(other!));
        row.MergeSnapshot.Should().Contain("\"status\":\"VALI\"");
        (await db.AuditEvents.AnyAsync(e => e.EntityId == other && e.Action == "identity.merged-into")).Should().BeTrue();
    }

    [Fact]
    public async Task A_call_a_user_triggers_uses_insi_manu_and_an_automatic_one_insi_auto()
    {
        var insi = new Scripted { Next = () => InsiPortResult.Failed("transport", "x") };
        await using var gw = await TestGateway.StartAsync(database, insi.Port);
        var client = await gw.ClientAsync(GatewayRoles.FrontDesk);
        var id = Guid.Parse((await client.CreateAsync(Http.Person(Unique("CERTIF")))).GetProperty("id").GetString()!);
        await client.PostAsync($"/api/identities/{id}/insi-search", null);

        await using (var scope = gw.Services.CreateAsyncScope())
        {
            var svc = scope.ServiceProvider.GetRequiredService<IdentityService>();
            await svc.InsiSearchAsync(id, null, Actor.Process("batch-1", "batch"), CancellationToken.None);
        }

        insi.Port.Requests.Cast<InsiSearchRequest>().Select(r => r.Certificate).Should().Equal(InsiCertificate.Manual, InsiCertificate.Automatic);
        var failures = await (await client.GetAsync("/api/vigilance/worklist?kind=insi-failures")).JsonAsync();
        failures.GetProperty("items").EnumerateArray().Should().ContainSingle(i => i.GetProperty("identityId").GetString() == id.ToString(), "one open alert per identity, not one per failed call");
    }

    [Fact]
    public async Task An_empty_first_name_list_from_insi_is_applied_and_keeps_the_local_first_names()
    {
        var name = Unique("SANSPRENOM");
        var fake = new FakeInsi(() => FakeInsi.Found(birthName: name, firstNames: "", matricule: FakeInsi.NewMatricule()));
        await using var gw = await TestGateway.StartAsync(database, fake);
        var client = await gw.ClientAsync(GatewayRoles.FrontDesk);
        var id = (await client.CreateAsync(Http.Person(name))).GetProperty("id").GetString();

        var json = await (await client.PostAsync($"/api/identities/{id}/insi-search", null)).JsonAsync();

        json.GetProperty("applied").GetBoolean().Should().BeTrue(json.ToString());
        json.GetProperty("identity").GetProperty("birthFirstNames").GetString().Should().Be("JEAN PIERRE");
        json.GetProperty("identity").GetProperty("status").GetString().Should().Be("RECUP");
    }

    [Fact]
    public async Task Identities_stored_before_the_phonetic_key_existed_get_it_at_start()
    {
        await using var gw = await TestGateway.StartAsync(database);
        var client = await gw.ClientAsync(GatewayRoles.FrontDesk);
        var name = Unique("GAUTHIER");
        var id = Guid.Parse((await client.CreateAsync(Http.Person(name))).GetProperty("id").GetString()!);
        await using var scope = gw.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        var row = await db.Identities.SingleAsync(x => x.Id == id);
        row.BirthNamePhonetic.Should().Be(SanteGateway.Identity.FrenchPhonetic.Key(name));
        row.BirthNamePhonetic = "";
        await db.SaveChangesAsync();
        db.ChangeTracker.Clear();

        (await IdentityMaintenance.BackfillPhoneticKeysAsync(db)).Should().BeGreaterThanOrEqualTo(1);

        (await db.Identities.AsNoTracking().SingleAsync(x => x.Id == id)).BirthNamePhonetic.Should().Be(SanteGateway.Identity.FrenchPhonetic.Key(name));
    }

    [Fact]
    public async Task The_start_up_backfill_reads_an_index_instead_of_walking_every_identity()
    {
        // At 10 million identities the walk took longer than the command timeout and the gateway could not start.
        await using var gw = await TestGateway.StartAsync(database);
        await using var scope = gw.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        var sql = IdentityMaintenance.MissingKeys(db.Identities).OrderBy(x => x.Id).Select(x => x.Id).Take(1000).ToQueryString();
        var lines = sql.Split('\n').Where(l => !l.StartsWith('.') && !l.StartsWith("--", StringComparison.Ordinal) && !l.StartsWith("SET ", StringComparison.Ordinal));
        var query = string.Join('\n', lines).Replace("@p", "1000", StringComparison.Ordinal).Replace("@__p_0", "1000", StringComparison.Ordinal);
        var postgres = database.Store.Provider == StoreProvider.Postgres;
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync();
        await using var tx = await db.Database.BeginTransactionAsync();
        if (postgres)
        {
            // PostgreSQL would scan a table this small sequentially whatever its indexes: forbid it (in this transaction
            // only) to see which index serves.
            await db.Database.ExecuteSqlRawAsync("SET LOCAL enable_seqscan = off");
        }

        await using var command = connection.CreateCommand();
        command.Transaction = tx.GetDbTransaction();
        command.CommandText = (postgres ? "EXPLAIN " : "EXPLAIN QUERY PLAN ") + query;
        var plan = new System.Text.StringBuilder();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                plan.AppendLine(reader.GetValue(postgres ? 0 : 3)?.ToString());
            }
        }

        await tx.RollbackAsync();
        if (postgres)
        {
            plan.ToString().Should().Contain("IX_identities_missing_keys", sql);
        }
        else
        {
            // SQLite answers either from the key indexes (a multi-index OR of two searches) or by walking the partial
            // missing-keys index, which holds only the rows the backfill wants (empty on a current base; since the used-name
            // index became partial, import9, that is SQLite's choice): any index read will do, as long as no line of the
            // plan walks the table or a whole index.
            plan.ToString().Should().Contain("USING INDEX", sql);
            plan.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Where(line => line.StartsWith("SCAN i", StringComparison.Ordinal))
                .Should().AllSatisfy(line => line.Should().Be("SCAN i USING INDEX IX_identities_missing_keys", sql));
        }
    }

    [Fact]
    public async Task Every_identity_change_queues_its_hl7_notification_in_the_same_transaction()
    {
        var insi = new Scripted();
        await using var gw = await TestGateway.StartAsync(database, insi.Port);
        var hl7 = gw.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<SanteGateway.Server.Hl7.Hl7Options>>().Value;
        hl7.Subscribers.Add(new SanteGateway.Server.Hl7.Hl7SubscriberOptions { Name = "dpi-" + Guid.NewGuid().ToString("N")[..6], Host = "127.0.0.1", Port = 9, AckTimeoutSeconds = 1 });
        var frontDesk = await gw.ClientAsync(GatewayRoles.FrontDesk);
        var vigilance = await gw.ClientAsync(GatewayRoles.IdentityVigilance);
        var name = Unique("NOTIFIE");
        var (id, matricule) = await QualifiedAsync(frontDesk, insi, name);
        var version = (await (await vigilance.GetAsync($"/api/identities/{id}")).JsonAsync()).GetProperty("version").GetInt64();
        (await vigilance.PostAsJsonAsync($"/api/identities/{id}/revert-qualification", new { version, reason = "pièce falsifiée" }, Http.Json)).StatusCode.Should().Be(HttpStatusCode.OK);
        var other = (await vigilance.CreateAsync(new { birthName = name, birthFirstNames = "JEAN PIERRE", sex = "M", birthDate = "1980-05-17", birthPlaceCog = "75056", force = true, reason = "test" })).GetProperty("id").GetString();
        (await vigilance.PostAsJsonAsync($"/api/identities/{id}/merge", new { from = other, reason = "same person" }, Http.Json)).StatusCode.Should().Be(HttpStatusCode.OK);

        await using var scope = gw.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        var kinds = await db.Outbox.AsNoTracking().Where(m => m.Destination == hl7.Subscribers[0].Name && m.OrderingKey == id).OrderBy(m => m.Id).Select(m => m.Kind).ToListAsync();
        kinds.Should().Equal("ADT^A28", "ADT^A31", "ADT^A47", "ADT^A40");
        var a31 = await db.Outbox.AsNoTracking().Where(m => m.OrderingKey == id && m.Kind == "ADT^A31").Select(m => m.Payload).SingleAsync();
        System.Text.Encoding.UTF8.GetString(a31).Should().Contain(matricule, "the qualified identity's INS travels in PID-3");
        var a28 = await db.Outbox.AsNoTracking().Where(m => m.OrderingKey == id && m.Kind == "ADT^A28").Select(m => m.Payload).SingleAsync();
        System.Text.Encoding.UTF8.GetString(a28).Should().NotContain(matricule, "the INS never leaves with a non-qualified identity");
    }

    [Fact]
    public async Task Unknown_worklists_are_refused_naming_the_known_ones()
    {
        await using var gw = await TestGateway.StartAsync(database);
        var client = await gw.ClientAsync(GatewayRoles.IdentityVigilance);
        var r = await client.GetAsync("/api/vigilance/worklist?kind=everything");
        r.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await r.JsonAsync()).GetProperty("errors").GetProperty("kind")[0].GetString().Should().Contain("to-verify");
        foreach (var kind in VigilanceService.Worklists)
        {
            (await client.GetAsync($"/api/vigilance/worklist?kind={kind}")).StatusCode.Should().Be(HttpStatusCode.OK, kind);
        }
    }
}

public sealed class VigilanceRulesApiTests_on_Sqlite(SqliteTestDatabase db) : VigilanceRulesApiTests<SqliteTestDatabase>(db);

public sealed class VigilanceRulesApiTests_on_Postgres(PostgresTestDatabase db) : VigilanceRulesApiTests<PostgresTestDatabase>(db);
