using System.IO.Compression;
using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SanteGateway.Server.Security;
using SanteGateway.Store;
using SanteGateway.Store.Entities;
using SanteGateway.Store.Tests;

namespace SanteGateway.Server.Tests;

/// <summary><c>GET /api/insi/exchanges/{id}/support-bundle</c>: who may download it and what it holds.</summary>
public sealed class SupportBundleApiTests(SqliteTestDatabase database) : IClassFixture<SqliteTestDatabase>
{
    private const string Request = """<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><r:RECSANSVITALE xmlns:r="http://www.cnamts.fr/INSiRecSans"><r:NomNaissance>ADRTROIS</r:NomNaissance><r:Prenom>DOMINIQUE</r:Prenom><r:Sexe>F</r:Sexe><r:DateNaissance>1997-02-26</r:DateNaissance></r:RECSANSVITALE></soap:Body></soap:Envelope>""";

    private const string Fault = """<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><soap:Fault><soap:Code><soap:Value>soap:Sender</soap:Value></soap:Code><soap:Reason><soap:Text xml:lang="fr">Le service est temporairement inaccessible.</soap:Text></soap:Reason></soap:Fault></soap:Body></soap:Envelope>""";

    private static async Task<Guid> FaultedExchangeAsync(TestGateway gateway)
    {
        await using var scope = gateway.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        var id = Guid.NewGuid();
        db.InsiExchanges.Add(new InsiExchange { Id = id, Operation = "search", RequestXml = Request, ResponseXml = Fault, Outcome = "error", Detail = "siram_40", DurationMs = 2500, Actor = "test", OccurredAt = DateTimeOffset.UtcNow });
        await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        return id;
    }

    private static Dictionary<string, string> Entries(byte[] zip)
    {
        using var archive = new ZipArchive(new MemoryStream(zip));
        return archive.Entries.ToDictionary(e => e.FullName, e => new StreamReader(e.Open()).ReadToEnd());
    }

    [Fact]
    public async Task Identity_vigilance_and_administrators_download_the_zip_with_identity_data_masked_unless_asked_and_front_desk_is_refused()
    {
        await using var gateway = await TestGateway.StartAsync(database);
        var id = await FaultedExchangeAsync(gateway);
        var url = $"/api/insi/exchanges/{id}/support-bundle";

        var vigilance = await (await gateway.ClientAsync(GatewayRoles.IdentityVigilance)).GetAsync(url, TestContext.Current.CancellationToken);
        var admin = await (await gateway.ClientAsync(GatewayRoles.Admin)).GetAsync(url + "?includeIdentityData=true", TestContext.Current.CancellationToken);
        var frontDesk = await (await gateway.ClientAsync(GatewayRoles.FrontDesk)).GetAsync(url, TestContext.Current.CancellationToken);
        var unknown = await (await gateway.ClientAsync(GatewayRoles.IdentityVigilance)).GetAsync($"/api/insi/exchanges/{Guid.NewGuid()}/support-bundle", TestContext.Current.CancellationToken);

        vigilance.StatusCode.Should().Be(HttpStatusCode.OK);
        vigilance.Content.Headers.ContentType!.MediaType.Should().Be("application/zip");
        vigilance.Content.Headers.ContentDisposition!.FileName.Should().Contain($"santegw-support-{id}.zip");
        var masked = Entries(await vigilance.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));
        masked.Keys.Should().Contain(["context.json", "environment.json", "exchange.json", "request.xml", "response.xml"]);
        masked["request.xml"].Should().NotContain("ADRTROIS").And.NotContain("DOMINIQUE").And.NotContain("1997-02-26").And.Contain("<r:Sexe>F</r:Sexe>");
        masked["exchange.json"].Should().Contain("siram_40").And.Contain("temporairement inaccessible").And.Contain("2500");

        admin.StatusCode.Should().Be(HttpStatusCode.OK);
        Entries(await admin.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken))["request.xml"].Should().Be(Request);
        frontDesk.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        unknown.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_bundle_context_states_the_configured_lps_name_and_authorisation_number()
    {
        await using var gateway = await TestGateway.StartAsync(database, configureBuilder: b => b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Insi:LpsName"] = "DossierPatientPlus",
            ["Insi:AuthorisationNumber"] = "AUT-2026-0042",
        }));
        var id = await FaultedExchangeAsync(gateway);

        var response = await (await gateway.ClientAsync(GatewayRoles.Admin)).GetAsync($"/api/insi/exchanges/{id}/support-bundle", TestContext.Current.CancellationToken);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        using var context = System.Text.Json.JsonDocument.Parse(Entries(await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken))["context.json"]);
        var lps = context.RootElement.GetProperty("lps");
        lps.GetProperty("name").GetString().Should().Be("DossierPatientPlus");
        lps.GetProperty("authorisationNumber").GetString().Should().Be("AUT-2026-0042");
    }

    [Fact]
    public async Task Every_download_is_audited_with_who_which_exchange_and_whether_identity_data_was_included()
    {
        await using var gateway = await TestGateway.StartAsync(database);
        var id = await FaultedExchangeAsync(gateway);
        var url = $"/api/insi/exchanges/{id}/support-bundle";

        (await (await gateway.ClientAsync(GatewayRoles.IdentityVigilance)).GetAsync(url, TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        (await (await gateway.ClientAsync(GatewayRoles.Admin)).GetAsync(url + "?includeIdentityData=true", TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        (await (await gateway.ClientAsync(GatewayRoles.FrontDesk)).GetAsync(url, TestContext.Current.CancellationToken)).StatusCode.Should().Be(HttpStatusCode.Forbidden);

        await using var scope = gateway.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        var events = db.AuditEvents.Where(e => e.Action == "insi.support-bundle" && e.EntityId == id.ToString()).OrderBy(e => e.Sequence).ToList();
        events.Should().HaveCount(2);
        events[0].EntityType.Should().Be("insi-exchange");
        events[0].NewValues.Should().Contain("\"identityDataIncluded\":false");
        events[1].NewValues.Should().Contain("\"identityDataIncluded\":true").And.Contain(id.ToString());
        events.Select(e => e.Actor).Should().OnlyContain(a => a.Length > 0);
        events[0].Actor.Should().NotBe(events[1].Actor);
    }
}
