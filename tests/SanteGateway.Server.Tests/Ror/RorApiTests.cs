using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hl7.Fhir.Model;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SanteGateway.Ror;
using SanteGateway.Ror.Sandbox;
using SanteGateway.Server.Ror;
using SanteGateway.Server.Security;
using SanteGateway.Store.Tests;
using Task = System.Threading.Tasks.Task;

namespace SanteGateway.Server.Tests.Ror;

/// <summary>The ROR API of a gateway wired to the sandbox over mutual TLS: sync trigger and status, local search, capacity feed.</summary>
public sealed class RorApiTests(SqliteTestDatabase database) : IClassFixture<SqliteTestDatabase>, IAsyncLifetime
{
    private RorSandboxServer? sandbox;
    private TestGateway? gateway;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        sandbox = await RorSandboxes.StartAsync();
        gateway = await TestGateway.StartAsync(database, configureBuilder: b => b.Services.AddGatewayRor(sandbox.ClientOptions()));
    }

    public async ValueTask DisposeAsync()
    {
        if (gateway is not null)
        {
            await gateway.DisposeAsync();
        }

        if (sandbox is not null)
        {
            await sandbox.DisposeAsync();
        }
    }

    private async Task<JsonElement> SyncedAsync(HttpClient admin)
    {
        var start = await admin.PostAsync("/api/ror/sync?mode=full", null, Ct);
        start.StatusCode.Should().Be(HttpStatusCode.Accepted);
        for (var i = 0; i < 3000; i++)
        {
            var status = await (await admin.GetAsync("/api/ror/sync", Ct)).JsonAsync();
            if (!status.GetProperty("running").GetBoolean() && status.GetProperty("lastSucceededAt").ValueKind != JsonValueKind.Null)
            {
                return status;
            }

            status.GetProperty("lastError").ValueKind.Should().Be(JsonValueKind.Null, "the synchronisation must not fail");
            await Task.Delay(100, Ct);
        }

        throw new TimeoutException("synchronisation did not finish");
    }

    [Fact]
    public async Task An_administrator_starts_a_synchronisation_then_staff_search_the_offer_and_open_an_offer()
    {
        var admin = await gateway!.ClientAsync(GatewayRoles.Admin);
        var status = await SyncedAsync(admin);
        status.GetProperty("lastKind").GetString().Should().Be("full");
        status.GetProperty("counts").GetProperty("HealthcareService").GetInt32().Should().BeGreaterThan(0);

        var desk = await gateway.ClientAsync(GatewayRoles.FrontDesk);
        (await desk.PostAsync("/api/ror/sync", null, Ct)).StatusCode.Should().Be(HttpStatusCode.Forbidden, "only administrators trigger a synchronisation");
        var page = await (await desk.GetAsync("/api/ror/offers?activity=140&pageSize=100", Ct)).JsonAsync();
        page.GetProperty("total").GetInt32().Should().BeGreaterThan(0);
        var id = page.GetProperty("items")[0].GetProperty("id").GetString();

        var offer = await desk.GetAsync("/api/ror/offers/" + id, Ct);
        offer.StatusCode.Should().Be(HttpStatusCode.OK);
        var body = await offer.JsonAsync();
        body.GetProperty("organizations").GetArrayLength().Should().BeGreaterThan(0);
        (await desk.GetAsync("/api/ror/offers/nope", Ct)).StatusCode.Should().Be(HttpStatusCode.NotFound);

        var bad = await desk.GetAsync("/api/ror/offers?pageSize=1000", Ct);
        bad.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await bad.JsonAsync()).GetProperty("errors").GetProperty("pageSize").GetArrayLength().Should().Be(1);
    }

    [Fact]
    public async Task A_capacity_figure_goes_to_the_ROR_and_an_unknown_location_answers_the_alert_to_raise()
    {
        var location = (Location)sandbox!.Handler.Data.Get("Location", "loc-000003")!;
        var eg = (Organization)sandbox.Handler.Data.Resolve(location.ManagingOrganization)!;
        var egId = eg.Identifier.First(i => i.System == RorConstants.IdNatStructSystem).Value;
        var externalId = location.Identifier.First(i => i.Type?.Coding.Any(c => c.Code == "26") == true).Value;
        var desk = await gateway!.ClientAsync(GatewayRoles.FrontDesk);

        var ok = await desk.PostAsJsonAsync("/api/ror/capacity", new { egIdentifier = egId, externalId, capacityType = "01", capacityStatus = "01", count = 17 }, Ct);
        ok.StatusCode.Should().Be(HttpStatusCode.OK);
        (await ok.JsonAsync()).GetProperty("outcome").GetString().Should().BeOneOf("Replaced", "Added");
        RorCapacityPatch.Read((Location)sandbox.Handler.Data.Get("Location", "loc-000003")!).Should().Contain(c => c.CapacityStatus == "01" && c.Count == 17);

        var unknown = await desk.PostAsJsonAsync("/api/ror/capacity", new { egIdentifier = egId, externalId = "UNKNOWN", capacityType = "01", capacityStatus = "02", count = 1 }, Ct);
        unknown.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        var problem = await unknown.JsonAsync();
        problem.GetProperty("rule").GetString().Should().Be("ror.capacity.location-not-found");
        problem.GetProperty("alert").GetString().Should().Be("GRADeS");

        var invalid = await desk.PostAsJsonAsync("/api/ror/capacity", new { egIdentifier = egId, externalId, capacityType = "01", capacityStatus = "02", count = -1 }, Ct);
        invalid.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await invalid.JsonAsync()).GetProperty("errors").GetProperty("count").GetArrayLength().Should().Be(1);
    }

    [Fact]
    public async Task Every_capacity_figure_the_ROR_answers_is_audited_with_who_which_location_and_the_mirrored_value_it_replaces()
    {
        var admin = await gateway!.ClientAsync(GatewayRoles.Admin);
        await SyncedAsync(admin);
        var location = (Location)sandbox!.Handler.Data.Get("Location", "loc-000005")!;
        var egId = ((Organization)sandbox.Handler.Data.Resolve(location.ManagingOrganization)!).Identifier.First(i => i.System == RorConstants.IdNatStructSystem).Value;
        var externalId = location.Identifier.First(i => i.Type?.Coding.Any(c => c.Code == "26") == true).Value;
        var before = RorCapacityPatch.Read(location).First(c => c.CapacityType == "01" && c.CapacityStatus == "01").Count!.Value;
        var desk = await gateway.ClientAsync(GatewayRoles.FrontDesk);

        (await desk.PostAsJsonAsync("/api/ror/capacity", new { egIdentifier = egId, externalId, capacityType = "01", capacityStatus = "01", count = before + 3 }, Ct))
            .StatusCode.Should().Be(HttpStatusCode.OK);
        (await desk.PostAsJsonAsync("/api/ror/capacity", new { egIdentifier = egId, externalId = "UNKNOWN", capacityType = "01", capacityStatus = "02", count = 1 }, Ct))
            .StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        (await desk.PostAsJsonAsync("/api/ror/capacity", new { egIdentifier = egId, externalId, capacityType = "01", capacityStatus = "02", count = -1 }, Ct))
            .StatusCode.Should().Be(HttpStatusCode.BadRequest);

        await using var db = database.CreateContext();
        var events = await db.AuditEvents.AsNoTracking().Where(e => e.Action.StartsWith("ror.capacity.")).OrderBy(e => e.Sequence).ToListAsync(Ct);
        events.Select(e => e.Action).Should().EndWith(["ror.capacity.replaced", "ror.capacity.location-not-found"], "a figure refused before sending changes nothing and is not audited");
        var replaced = events[^2];
        replaced.Actor.Should().StartWith("apikey:", "an API key acts under its id");
        replaced.Source.Should().Be("api");
        replaced.EntityType.Should().Be("ror-location");
        replaced.EntityId.Should().Be(egId + "/" + externalId);
        using (var old = JsonDocument.Parse(replaced.PreviousValues!))
        {
            old.RootElement.GetProperty("count").GetInt32().Should().Be(before);
        }

        using (var sent = JsonDocument.Parse(replaced.NewValues!))
        {
            sent.RootElement.GetProperty("count").GetInt32().Should().Be(before + 3);
            sent.RootElement.GetProperty("location").GetString().Should().Be("loc-000005");
            sent.RootElement.GetProperty("indicator").GetProperty("status").GetString().Should().Be("01");
            sent.RootElement.GetProperty("outcome").GetString().Should().Be("Replaced");
        }

        events[^1].PreviousValues.Should().BeNull("the mirror holds no such location");
        (await SanteGateway.Store.Audit.AuditTrail.VerifyAsync(db, Ct)).IsIntact.Should().BeTrue();
    }

    [Fact]
    public async Task Readiness_reports_the_mirror_as_degraded_until_it_is_loaded_when_the_scheduled_sync_is_on()
    {
        await database.ExecuteAsync("UPDATE ror_sync_state SET \"SucceededAtTicks\" = NULL, \"SinceTicks\" = 0");
        await using var local = await TestGateway.StartAsync(database, configureBuilder: b =>
        {
            b.Services.AddGatewayRor(sandbox!.ClientOptions());
            b.Services.Configure<SanteGateway.Application.RorSyncOptions>(o =>
            {
                o.Enabled = true;
                o.Interval = TimeSpan.FromHours(1);
            });
        });
        var anonymous = local.Anonymous();
        for (var i = 0; i < 3000; i++)
        {
            var text = await (await anonymous.GetAsync("/health/ready", Ct)).Content.ReadAsStringAsync(Ct);
            if (text == "Healthy")
            {
                return;
            }

            text.Should().Be("Degraded", "the gateway stays ready while the mirror loads");
            await Task.Delay(100, Ct);
        }

        throw new TimeoutException("the background synchronisation did not load the mirror");
    }
}
