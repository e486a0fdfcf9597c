using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SanteGateway.Application;
using SanteGateway.Server.Insi;
using SanteGateway.Server.Security;
using SanteGateway.Store;
using SanteGateway.Store.Tests;

namespace SanteGateway.Server.Tests;

/// <summary>
/// The INSi search with Vitale card data through the API, the application use case, the INSi client and the sandbox
/// over real mutual TLS (card "INSi 01" of the sandbox: NESSI family). The card is never identity evidence.
/// </summary>
public abstract class InsiVitaleApiTests<TDb>(TDb database, SandboxFixture sandbox) : IAsyncLifetime
    where TDb : TestDatabase
{
    private const string InsuredNir = "2770763220831";
    private TestGateway? gateway;
    private InsiClientPort? insi;

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

    private static object Michelangelo => new { insuredNir = InsuredNir, beneficiaryNir = "1100863220830", birthName = "NESSI", birthDate = "2010-08-07" };

    private async Task<List<SanteGateway.Store.Entities.InsiExchange>> ExchangesAsync(Guid? identityId = null)
    {
        await using var scope = gateway!.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        return await db.InsiExchanges.AsNoTracking().Where(x => x.Operation == IdentityService.VitaleOperation && (identityId == null || x.IdentityId == identityId)).ToListAsync();
    }

    private async Task<List<string>> AuditActionsAsync(HttpClient client, string id)
    {
        var audit = await (await client.GetAsync($"/api/identities/{id}/audit")).JsonAsync();
        return audit.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("action").GetString()!).ToList();
    }

    [Fact]
    public async Task A_provisional_identity_found_with_its_vitale_card_becomes_recup_never_qual_and_the_card_is_not_recorded_as_evidence()
    {
        var client = await gateway!.ClientAsync(GatewayRoles.FrontDesk);
        var id = (await client.CreateAsync(new { birthName = "NESSI", birthFirstNames = "MICHELANGELO ANTHONY", sex = "M", birthDate = "2010-08-07", birthPlaceCog = "63220", collectionChannel = "CV" }))
            .GetProperty("id").GetString();

        var response = await client.PostAsJsonAsync($"/api/identities/{id}/insi-search-vitale", Michelangelo, Http.Json);

        var json = await response.JsonAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, json.ToString());
        json.GetProperty("outcome").GetString().Should().Be("found");
        json.GetProperty("applied").GetBoolean().Should().BeTrue();
        var identity = json.GetProperty("identity");
        identity.GetProperty("status").GetString().Should().Be("RECUP", "the card is not a high-trust document: RECUP at most");
        identity.GetProperty("canTransmitIns").GetBoolean().Should().BeFalse();
        identity.GetProperty("ins").GetProperty("matricule").GetString().Should().Be("110086322083060");
        identity.GetProperty("evidence").GetArrayLength().Should().Be(0, "nothing read from the card is evidence");

        var exchange = (await ExchangesAsync(Guid.Parse(id!))).Should().ContainSingle().Subject;
        exchange.CertificateCn.Should().Be("INSI-MANU", "a card is read by a user: the call presents INSI-MANU");
        exchange.RequestXml.Should().Contain("RECVITALE").And.Contain("1100863220830");
        exchange.ResponseXml.Should().Contain("1100863220830");
        (await AuditActionsAsync(client, id!)).Should().Equal("identity.created", "insi.vitale-search", "identity.ins-obtained");
    }

    [Fact]
    public async Task A_validated_identity_found_with_a_card_is_qualified_by_its_document_and_the_evidence_stays_that_document()
    {
        var client = await gateway!.ClientAsync(GatewayRoles.FrontDesk);
        var id = (await client.CreateAsync(new { birthName = "NESSI", birthFirstNames = "RUTH", sex = "F", birthDate = "1977-07-14", birthPlaceCog = "63220", evidence = Http.Passport() }))
            .GetProperty("id").GetString();

        var json = await (await client.PostAsJsonAsync($"/api/identities/{id}/insi-search-vitale",
            new { insuredNir = InsuredNir + "08", beneficiaryNir = InsuredNir, birthName = "NESSI", birthDate = "1977-07-14" }, Http.Json)).JsonAsync();

        var identity = json.GetProperty("identity");
        identity.GetProperty("status").GetString().Should().Be("QUAL", "the passport checked before is the evidence; INSi brought the INS");
        identity.GetProperty("evidence").EnumerateArray().Select(e => e.GetProperty("documentType").GetString()).Should().Equal(["PA"], "the card adds no evidence");
    }

    [Fact]
    public async Task A_card_whose_insi_traits_differ_from_the_stored_identity_applies_nothing_and_shows_the_differences()
    {
        var client = await gateway!.ClientAsync(GatewayRoles.FrontDesk);
        var id = (await client.CreateAsync(new { birthName = "NESSI", birthFirstNames = "LEONARDO", sex = "M", birthDate = "2010-08-07", birthPlaceCog = "63220" }))
            .GetProperty("id").GetString();

        var json = await (await client.PostAsJsonAsync($"/api/identities/{id}/insi-search-vitale", Michelangelo, Http.Json)).JsonAsync();

        json.GetProperty("outcome").GetString().Should().Be("found");
        json.GetProperty("applied").GetBoolean().Should().BeFalse();
        json.GetProperty("mismatches").EnumerateArray().Select(m => m.GetProperty("field").GetString()).Should().NotBeEmpty();
        json.GetProperty("identity").GetProperty("status").GetString().Should().Be("PROV");
    }

    [Fact]
    public async Task A_card_read_for_a_new_person_creates_a_recup_identity_from_insi_and_the_next_read_finds_that_identity()
    {
        var client = await gateway!.ClientAsync(GatewayRoles.FrontDesk);
        var card = new { insuredNir = InsuredNir, birthName = "NESSI", birthDate = "2012-10-09" };

        var first = await client.PostAsJsonAsync("/api/identities/insi-search-vitale", card, Http.Json);

        var json = await first.JsonAsync();
        first.StatusCode.Should().Be(HttpStatusCode.OK, json.ToString());
        json.GetProperty("created").GetBoolean().Should().BeTrue(json.ToString());
        var identity = json.GetProperty("identity");
        identity.GetProperty("status").GetString().Should().Be("RECUP");
        identity.GetProperty("birthFirstNames").GetString().Should().Be("DONATELLO", "the traits are INSi's, verbatim");
        identity.GetProperty("ins").GetProperty("matricule").GetString().Should().Be("112106322091209");
        identity.GetProperty("evidence").GetArrayLength().Should().Be(0);
        var id = identity.GetProperty("id").GetString()!;

        var again = await (await client.PostAsJsonAsync("/api/identities/insi-search-vitale", card, Http.Json)).JsonAsync();
        again.GetProperty("created").GetBoolean().Should().BeFalse();
        again.GetProperty("knownIdentityId").GetString().Should().Be(id);

        (await ExchangesAsync(Guid.Parse(id))).Should().HaveCount(2, "both calls are kept with the identity they concern");
        (await AuditActionsAsync(client, id)).Should().Contain("identity.created");
        var exchanges = await (await client.GetAsync($"/api/identities/{id}/insi-exchanges")).JsonAsync();
        exchanges.GetProperty("items").EnumerateArray().Should().OnlyContain(e => e.GetProperty("operation").GetString() == "vitale-search");
    }

    [Fact]
    public async Task A_card_that_insi_does_not_know_creates_nothing_and_its_exchange_is_audited()
    {
        var client = await gateway!.ClientAsync(GatewayRoles.FrontDesk);

        var json = await (await client.PostAsJsonAsync("/api/identities/insi-search-vitale", new { insuredNir = "1991299123456", birthName = "INCONNU", birthDate = "1999-12-01" }, Http.Json)).JsonAsync();

        json.GetProperty("outcome").GetString().Should().Be("not-found");
        json.GetProperty("created").GetBoolean().Should().BeFalse();
        json.GetProperty("identity").ValueKind.Should().Be(JsonValueKind.Null);
        var exchangeId = json.GetProperty("exchangeId").GetGuid();
        await using var scope = gateway.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        (await db.InsiExchanges.AsNoTracking().SingleAsync(x => x.Id == exchangeId)).IdentityId.Should().BeNull();
        (await db.AuditEvents.AsNoTracking().Where(a => a.EntityId == exchangeId.ToString()).Select(a => a.Action).ToListAsync()).Should().Equal("insi.vitale-search");
    }

    [Fact]
    public async Task Card_fields_are_refused_by_name_and_nothing_is_sent_to_insi()
    {
        var client = await gateway!.ClientAsync(GatewayRoles.FrontDesk);
        var before = (await ExchangesAsync()).Count;

        var response = await client.PostAsJsonAsync("/api/identities/insi-search-vitale",
            new { insuredNir = "12345", beneficiaryNir = InsuredNir + "99", birthDate = "07/08/2010", rank = 12 }, Http.Json);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var errors = (await response.JsonAsync()).GetProperty("errors");
        errors.GetProperty("insuredNir")[0].GetString().Should().StartWith("format:");
        errors.GetProperty("beneficiaryNir")[0].GetString().Should().StartWith("key:");
        errors.GetProperty("birthName")[0].GetString().Should().StartWith("required:");
        errors.GetProperty("birthDate")[0].GetString().Should().StartWith("format:");
        errors.GetProperty("rank")[0].GetString().Should().StartWith("range:");
        (await ExchangesAsync()).Should().HaveCount(before, "nothing was sent");
    }

    [Fact]
    public async Task An_automatic_process_may_not_search_with_a_vitale_card()
    {
        await using var scope = gateway!.Services.CreateAsyncScope();
        var service = scope.ServiceProvider.GetRequiredService<IdentityService>();
        var request = new InsiVitaleRequest(InsuredNir, "1100863220830", "NESSI", "2010-08-07");

        var result = await service.CreateFromVitaleAsync(request, Actor.Process("batch-verify", "batch"), TestContext.Current.CancellationToken);

        result.IsSuccess.Should().BeFalse();
        result.Error!.Kind.Should().Be(ErrorKind.Forbidden);
        result.Error.Rule.Should().Be("insi.vitale-user-only");
        result.Error.Fields.Should().ContainKey("actor");
        (await ExchangesAsync()).Where(x => x.Actor == "batch-verify").Should().BeEmpty();
    }

    [Fact]
    public async Task A_doubtful_identity_is_not_searched_with_a_card_either()
    {
        var client = await gateway!.ClientAsync(GatewayRoles.FrontDesk, GatewayRoles.IdentityVigilance);
        var created = await client.CreateAsync(new { birthName = "NESSI", birthFirstNames = "SANDRO", sex = "M", birthDate = "2010-08-07" });
        var id = created.GetProperty("id").GetString();
        (await client.PostAsJsonAsync($"/api/identities/{id}/attributes", new { version = created.GetProperty("version").GetInt64(), doubtful = true }, Http.Json)).EnsureSuccessStatusCode();

        var response = await client.PostAsJsonAsync($"/api/identities/{id}/insi-search-vitale", Michelangelo, Http.Json);

        response.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await response.JsonAsync()).GetProperty("rule").GetString().Should().Be("rniv.insi-blocked");
        (await ExchangesAsync(Guid.Parse(id!))).Should().BeEmpty();
    }
}

public sealed class InsiVitaleApiTests_on_Sqlite(SqliteTestDatabase db, SandboxFixture sandbox)
    : InsiVitaleApiTests<SqliteTestDatabase>(db, sandbox), IClassFixture<SqliteTestDatabase>, IClassFixture<SandboxFixture>;

public sealed class InsiVitaleApiTests_on_Postgres(PostgresTestDatabase db, SandboxFixture sandbox)
    : InsiVitaleApiTests<PostgresTestDatabase>(db, sandbox), IClassFixture<PostgresTestDatabase>, IClassFixture<SandboxFixture>;
