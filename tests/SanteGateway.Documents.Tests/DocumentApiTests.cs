using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SanteGateway.Application;
using SanteGateway.Documents.Fhir;
using SanteGateway.Identity;
using SanteGateway.Server;
using SanteGateway.Server.Documents;
using SanteGateway.Server.Security;
using SanteGateway.Store;
using SanteGateway.Store.Entities;
using SanteGateway.Store.Tests;

namespace SanteGateway.Documents.Tests;

/// <summary>
/// The document API of the running gateway (Kestrel on a loopback port, real database) towards the sandbox over mTLS:
/// XDS as the working transport, PDSm pointed at a closed port so that its submissions queue in the outbox.
/// </summary>
public sealed class DocumentApiTests(SandboxFixture fx, SqliteTestDatabase database) : IClassFixture<SandboxFixture>, IClassFixture<SqliteTestDatabase>, IAsyncLifetime
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private WebApplication app = null!;
    private HttpClient http = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        var options = new GatewayOptions
        {
            HighTrustDocuments = { "CN" },
            DataDirectory = Path.Combine(Path.GetTempPath(), "santegw-docapi-" + Guid.NewGuid().ToString("N")),
            RequireHttps = false,
            InsPolicy = InsPolicy.AllowTestAndDemo,
            Store = new StoreOptions { Provider = database.Store.Provider, ConnectionString = database.Store.ConnectionString },
        };
        var builder = GatewayApp.CreateBuilder([], options);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddGatewayXds(fx.ClientOptions());
        var broken = fx.PdsmOptions();
        broken.BaseUrl = new Uri("https://127.0.0.1:1/fhir/");
        builder.Services.AddGatewayPdsm(broken);
        builder.Services.PostConfigure<DocumentSharingOptions>(o =>
        {
            var t = DocumentServiceTests<SqliteTestDatabase>.Options();
            o.SourceId = t.SourceId;
            o.HealthcareFacilityTypeCode = t.HealthcareFacilityTypeCode;
            o.PracticeSettingCode = t.PracticeSettingCode;
            o.ContentTypeCode = t.ContentTypeCode;
            o.Delivery.InitialBackoff = TimeSpan.FromHours(1);
        });
        app = GatewayApp.Build(builder);
        await GatewayApp.InitializeAsync(app.Services);
        await app.StartAsync(Ct);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var (key, record) = ApiKeys.Create("documents test", [GatewayRoles.FrontDesk], "tests", DateTimeOffset.UtcNow);
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
            db.ApiKeys.Add(record);
            await db.SaveChangesAsync(Ct);
        }

        http = new HttpClient { BaseAddress = new Uri(address) };
        http.DefaultRequestHeaders.Add(ApiKeys.Header, key);
    }

    public async ValueTask DisposeAsync()
    {
        http.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private static ByteArrayContent Xml(byte[] cda)
    {
        var content = new ByteArrayContent(cda);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/xml");
        return content;
    }

    [Fact]
    public async Task A_CDA_posted_for_a_qualified_identity_is_created_201_and_listed_with_its_state_and_attempts()
    {
        var cda = DocumentServiceTests<SqliteTestDatabase>.Fresh(XdsClientTests.Cda(), out var uniqueId);
        Guid id;
        await using (var db = database.CreateContext())
        {
            id = await DocumentServiceTests<SqliteTestDatabase>.SeedAsync(db, cda, IdentityStatus.Qual);
        }

        using var posted = await http.PostAsync($"/api/identities/{id}/documents", Xml(cda), Ct);

        posted.StatusCode.Should().Be(HttpStatusCode.Created, await posted.Content.ReadAsStringAsync(Ct));
        var view = (await posted.Content.ReadFromJsonAsync<DocumentSubmissionView>(Json, Ct))!;
        view.State.Should().Be(DocumentSubmissionStates.Accepted);
        posted.Headers.Location!.OriginalString.Should().Be($"/api/documents/{view.Id}");
        var list = await http.GetFromJsonAsync<List<DocumentSubmissionView>>($"/api/identities/{id}/documents", Json, Ct);
        list.Should().ContainSingle().Which.Should().Match<DocumentSubmissionView>(v => v.DocumentUniqueId == uniqueId && v.Attempts == 1 && v.Transport == "xds");
        fx.Store.Find(uniqueId).Should().NotBeNull();
    }

    [Fact]
    public async Task A_CDA_whose_transport_is_unreachable_is_accepted_202_for_retry_with_its_next_attempt_visible()
    {
        var cda = DocumentServiceTests<SqliteTestDatabase>.Fresh(XdsClientTests.Cda(), out var uniqueId);
        Guid id;
        await using (var db = database.CreateContext())
        {
            id = await DocumentServiceTests<SqliteTestDatabase>.SeedAsync(db, cda, IdentityStatus.Qual);
        }

        using var posted = await http.PostAsync($"/api/identities/{id}/documents?transport=pdsm", Xml(cda), Ct);

        posted.StatusCode.Should().Be(HttpStatusCode.Accepted, await posted.Content.ReadAsStringAsync(Ct));
        var view = (await posted.Content.ReadFromJsonAsync<DocumentSubmissionView>(Json, Ct))!;
        view.State.Should().Be(DocumentSubmissionStates.Retrying);
        view.ErrorCode.Should().Be("dmp.status-unavailable");
        var status = await http.GetFromJsonAsync<DocumentSubmissionView>($"/api/documents/{view.Id}", Json, Ct);
        status!.Attempts.Should().Be(1);
        status.NextAttemptAt.Should().BeAfter(DateTimeOffset.UtcNow.AddMinutes(50));
        fx.Store.Find(uniqueId).Should().BeNull();
    }

    [Fact]
    public async Task A_CDA_for_a_provisional_identity_is_refused_409_naming_rniv_not_qualified()
    {
        var cda = DocumentServiceTests<SqliteTestDatabase>.Fresh(XdsClientTests.Cda(), out var uniqueId);
        Guid id;
        await using (var db = database.CreateContext())
        {
            id = await DocumentServiceTests<SqliteTestDatabase>.SeedAsync(db, cda, IdentityStatus.Prov);
        }

        using var posted = await http.PostAsync($"/api/identities/{id}/documents", Xml(cda), Ct);

        posted.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await posted.Content.ReadAsStringAsync(Ct)).Should().Contain("rniv.not-qualified");
        fx.Store.Find(uniqueId).Should().BeNull();
    }
}
