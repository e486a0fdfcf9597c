using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SanteGateway.Application;
using SanteGateway.Insi.Sandbox;
using SanteGateway.Insi.Sandbox.Pki;
using SanteGateway.Server.Insi;
using SanteGateway.Server.Security;
using SanteGateway.Store;
using SanteGateway.Store.Audit;
using SanteGateway.Store.Tests;

namespace SanteGateway.Server.Tests;

/// <summary>
/// Identity vigilance through the API, against the INSi sandbox over mutual TLS where the sandbox can produce the case,
/// and a programmable INSi port where it cannot (verification outcomes, collisions on demand). Same suite on SQLite and PostgreSQL.
/// </summary>
public abstract class VigilanceApiTests<TDb>(TDb database, SandboxFixture sandbox) : IAsyncLifetime
    where TDb : TestDatabase
{
    private TestGateway? gateway;
    private InsiClientPort? insi;

    private TestGateway Gateway => gateway!;

    public async ValueTask InitializeAsync()
    {
        database.SkipIfUnavailable();
        insi = sandbox.CreateGateway();
        gateway = await TestGateway.StartAsync(database, insi);
    }

    public async ValueTask DisposeAsync()
    {
        if (gateway is not null)
        {
            await gateway.DisposeAsync();
        }

        insi?.Dispose();
    }

    private static string Unique(string prefix) => prefix + " " + new string(Guid.NewGuid().ToString("N").Where(char.IsLetter).Take(8).Select(char.ToUpperInvariant).ToArray());

    private static object Person(string name, string firstNames = "JEAN", string birthDate = "1980-05-17", string? cog = "75056", object? evidence = null, bool? force = null, string? reason = null) =>
        new { birthName = name, birthFirstNames = firstNames, sex = "M", birthDate, birthPlaceCog = cog, evidence, force, reason };

    private static object Adrtrois(bool? force = null, string? reason = null) => new
    {
        birthName = "ADRTROIS", birthFirstNames = "TOUSSAINT", sex = "M", birthDate = "1960-01-01", birthPlaceCog = "2B020", evidence = Http.Passport(), force, reason,
    };

    [Fact]
    public async Task Creating_the_same_person_twice_is_refused_naming_the_existing_identity_and_identity_vigilance_may_force_it_with_a_reason()
    {
        var frontDesk = await Gateway.ClientAsync(GatewayRoles.FrontDesk);
        var vigilance = await Gateway.ClientAsync(GatewayRoles.IdentityVigilance);
        var name = Unique("DOUBLON");
        var first = (await frontDesk.CreateAsync(Person(name))).GetProperty("id").GetString();

        var again = await frontDesk.PostAsJsonAsync("/api/identities", Person(name.ToLowerInvariant()), Http.Json);
        again.StatusCode.Should().Be(HttpStatusCode.Conflict);
        var problem = await again.JsonAsync();
        problem.GetProperty("rule").GetString().Should().Be("identity.duplicate");
        problem.GetProperty("existing")[0].GetProperty("id").GetString().Should().Be(first);

        (await frontDesk.PostAsJsonAsync("/api/identities", Person(name, force: true, reason: "twins"), Http.Json)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        var noReason = await vigilance.PostAsJsonAsync("/api/identities", Person(name, force: true), Http.Json);
        noReason.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await noReason.JsonAsync()).GetProperty("errors").TryGetProperty("reason", out _).Should().BeTrue();

        var forced = await vigilance.CreateAsync(Person(name, force: true, reason: "Jumeaux nés le même jour, vérifié sur le livret de famille"));
        var list = await (await vigilance.GetAsync("/api/vigilance/worklist?kind=duplicates")).JsonAsync();
        list.GetProperty("items").EnumerateArray().Should().Contain(i => i.GetProperty("identityId").GetString() == forced.GetProperty("id").GetString()
            && i.GetProperty("otherIdentityId").GetString() == first && i.GetProperty("kind").GetString() == "duplicate-forced");
        var audit = await (await vigilance.GetAsync($"/api/identities/{forced.GetProperty("id").GetString()}/audit")).JsonAsync();
        audit.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("action").GetString()).Should().Contain("identity.duplicate-forced");
    }

    [Fact]
    public async Task Insi_never_gives_the_same_ins_to_a_second_identity_and_the_collision_lands_in_the_worklist()
    {
        var frontDesk = await Gateway.ClientAsync(GatewayRoles.FrontDesk);
        var vigilance = await Gateway.ClientAsync(GatewayRoles.IdentityVigilance);
        var first = (await frontDesk.CreateAsync(Adrtrois())).GetProperty("id").GetString();
        (await (await frontDesk.PostAsync($"/api/identities/{first}/insi-search", null)).JsonAsync()).GetProperty("applied").GetBoolean().Should().BeTrue();

        (await frontDesk.PostAsJsonAsync("/api/identities", Adrtrois(), Http.Json)).StatusCode.Should().Be(HttpStatusCode.Conflict);
        var second = (await vigilance.CreateAsync(Adrtrois(force: true, reason: "test of a collision"))).GetProperty("id").GetString();

        var search = await frontDesk.PostAsync($"/api/identities/{second}/insi-search", null);
        search.StatusCode.Should().Be(HttpStatusCode.OK);
        var json = await search.JsonAsync();
        json.GetProperty("applied").GetBoolean().Should().BeFalse();
        json.GetProperty("collisionWith").GetString().Should().Be(first);
        json.GetProperty("identity").GetProperty("status").GetString().Should().Be("VALI");
        json.GetProperty("identity").GetProperty("ins").ValueKind.Should().Be(JsonValueKind.Null);

        var collisions = await (await vigilance.GetAsync("/api/vigilance/worklist?kind=collisions")).JsonAsync();
        collisions.GetProperty("items").EnumerateArray().Should().ContainSingle(i => i.GetProperty("identityId").GetString() == second && i.GetProperty("otherIdentityId").GetString() == first);
        foreach (var id in new[] { first, second })
        {
            var audit = await (await vigilance.GetAsync($"/api/identities/{id}/audit")).JsonAsync();
            audit.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("action").GetString()).Should().Contain("identity.ins-collision");
        }

        var summary = await (await vigilance.GetAsync("/api/vigilance/summary")).JsonAsync();
        summary.GetProperty("openAlerts").GetProperty("collision").GetInt32().Should().BeGreaterThanOrEqualTo(1);
        summary.GetProperty("byStatus").GetProperty("QUAL").GetInt32().Should().BeGreaterThanOrEqualTo(1);
    }

    [Fact]
    public async Task The_insi_history_is_stored_with_its_dates_and_the_active_ins_is_never_a_history_row()
    {
        var client = await Gateway.ClientAsync(GatewayRoles.FrontDesk);
        var id = (await client.CreateAsync(new { birthName = "ECETINSI", birthFirstNames = "PIERRE-ALAIN MURIEL FLORIANT", sex = "M", birthDate = "2009-07-14", birthPlaceCog = "63220" })).GetProperty("id").GetString();

        var identity = (await (await client.PostAsync($"/api/identities/{id}/insi-search", null)).JsonAsync()).GetProperty("identity");

        identity.GetProperty("status").GetString().Should().Be("RECUP");
        identity.GetProperty("ins").GetProperty("matricule").GetString().Should().Be("109076322083489");
        identity.GetProperty("ins").GetProperty("source").GetString().Should().Be("INSI");
        var history = identity.GetProperty("insHistory").EnumerateArray().Where(h => h.GetProperty("source").GetString() == "INSHISTO").ToList();
        history.Should().ContainSingle();
        history[0].GetProperty("matricule").GetString().Should().Be("209076322083439");
        history[0].GetProperty("validFrom").GetString().Should().Be("2019-03-01");
        history[0].GetProperty("validTo").GetString().Should().Be("2019-02-28");
    }

    [Fact]
    public async Task The_first_first_name_chosen_by_the_user_is_kept_after_insi()
    {
        var client = await Gateway.ClientAsync(GatewayRoles.FrontDesk);
        var id = (await client.CreateAsync(new { birthName = "Tchitchi", birthFirstNames = "Catarina Bella", firstFirstName = "Catarina Bella", sex = "F", birthDate = "1936-06-21", birthPlaceCog = "63220" })).GetProperty("id").GetString();

        var identity = (await (await client.PostAsync($"/api/identities/{id}/insi-search", null)).JsonAsync()).GetProperty("identity");

        identity.GetProperty("status").GetString().Should().Be("RECUP");
        identity.GetProperty("firstFirstName").GetString().Should().Be("CATARINA BELLA");
        identity.GetProperty("birthFirstNames").GetString().Should().Be("CATARINA BELLA");
    }

    [Fact]
    public async Task Traits_outside_the_insi_alphabet_need_the_users_confirmation_and_characters_without_equivalent_are_never_sent()
    {
        var client = await Gateway.ClientAsync(GatewayRoles.FrontDesk);
        var id = (await client.CreateAsync(new { birthName = "D'ÆION", birthFirstNames = "CŒUR", sex = "M", birthDate = "1987-01-01", birthPlaceCog = "2B020" })).GetProperty("id").GetString();

        var refused = await client.PostAsync($"/api/identities/{id}/insi-search", null);
        refused.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        var problem = await refused.JsonAsync();
        problem.GetProperty("rule").GetString().Should().Be("insi.transliteration-required");
        problem.GetProperty("proposed").GetProperty("birthName").GetString().Should().Be("D'AEION");
        problem.GetProperty("proposed").GetProperty("birthFirstNames").GetString().Should().Be("COEUR");
        (await (await client.GetAsync($"/api/identities/{id}/insi-exchanges")).JsonAsync()).GetProperty("total").GetInt32().Should().Be(0, "nothing is sent before the user confirms");

        var confirmed = await client.PostAsJsonAsync($"/api/identities/{id}/insi-search", new { confirmTransliteration = true }, Http.Json);
        confirmed.StatusCode.Should().Be(HttpStatusCode.OK);
        var exchanges = await (await client.GetAsync($"/api/identities/{id}/insi-exchanges")).JsonAsync();
        exchanges.GetProperty("items")[0].GetProperty("requestXml").GetString().Should().Contain("D'AEION").And.Contain("COEUR").And.NotContain("Æ");
        var audit = await (await client.GetAsync($"/api/identities/{id}/audit")).JsonAsync();
        audit.GetProperty("items").EnumerateArray().Should().Contain(e => e.GetProperty("action").GetString() == "insi.search" && e.GetProperty("newValues").GetString()!.Contains("\"transliterationConfirmed\":true"));

        var greek = (await client.CreateAsync(new { birthName = "ΑΛΦΑ", birthFirstNames = "JEAN", sex = "M", birthDate = "1987-01-01" })).GetProperty("id").GetString();
        var noEquivalent = await client.PostAsJsonAsync($"/api/identities/{greek}/insi-search", new { confirmTransliteration = true }, Http.Json);
        noEquivalent.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        var p2 = await noEquivalent.JsonAsync();
        p2.GetProperty("rule").GetString().Should().Be("insi.lexical");
        p2.GetProperty("errors").GetProperty("birthName")[0].GetString().Should().Contain("position 1");
        (await (await client.GetAsync($"/api/identities/{greek}/insi-exchanges")).JsonAsync()).GetProperty("total").GetInt32().Should().Be(0);
    }

    [Fact]
    public async Task A_partial_birth_date_is_kept_shown_and_sent_to_insi_in_its_declared_form()
    {
        var client = await Gateway.ClientAsync(GatewayRoles.FrontDesk);
        var created = await client.CreateAsync(new { birthName = Unique("PARTIEL"), birthFirstNames = "JEAN", sex = "M", birthDate = "1960-00-00" });
        created.GetProperty("birthDate").GetString().Should().Be("1960-12-31");
        created.GetProperty("birthDateDeclared").GetString().Should().Be("1960-00-00");
        created.GetProperty("birthDateCorrected").GetBoolean().Should().BeTrue();
        var id = created.GetProperty("id").GetString();

        (await client.PostAsync($"/api/identities/{id}/insi-search", null)).StatusCode.Should().Be(HttpStatusCode.OK);

        var exchange = (await (await client.GetAsync($"/api/identities/{id}/insi-exchanges")).JsonAsync()).GetProperty("items")[0];
        exchange.GetProperty("requestXml").GetString().Should().Contain("1960-00-00").And.NotContain("1960-12-31");
    }

    [Fact]
    public async Task A_stored_row_that_does_not_parse_is_an_error_naming_the_row_never_a_silent_default()
    {
        var client = await Gateway.ClientAsync(GatewayRoles.FrontDesk);
        var id = (await client.CreateAsync(Person(Unique("ABIME")))).GetProperty("id").GetString()!;
        await using (var scope = Gateway.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
            var row = await db.Identities.SingleAsync(x => x.Id == Guid.Parse(id));
            row.Status = "XXX";
            await db.SaveChangesAsync();
        }

        var r = await client.PostAsync($"/api/identities/{id}/insi-search", null);
        r.StatusCode.Should().Be(HttpStatusCode.InternalServerError);
        var problem = await r.JsonAsync();
        problem.GetProperty("rule").GetString().Should().Be("store.unreadable-row");
        problem.GetProperty("title").GetString().Should().Contain(id).And.Contain("status");
    }
}

public sealed class VigilanceApiTests_on_Sqlite(SqliteTestDatabase db, SandboxFixture sandbox)
    : VigilanceApiTests<SqliteTestDatabase>(db, sandbox), IClassFixture<SqliteTestDatabase>, IClassFixture<SandboxFixture>;

public sealed class VigilanceApiTests_on_Postgres(PostgresTestDatabase db, SandboxFixture sandbox)
    : VigilanceApiTests<PostgresTestDatabase>(db, sandbox), IClassFixture<PostgresTestDatabase>, IClassFixture<SandboxFixture>;
