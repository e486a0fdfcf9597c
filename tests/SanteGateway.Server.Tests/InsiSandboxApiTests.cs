using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SanteGateway.Insi;
using SanteGateway.Insi.Sandbox;
using SanteGateway.Insi.Sandbox.Pki;
using SanteGateway.Server.Insi;
using SanteGateway.Server.Security;
using SanteGateway.Store;
using SanteGateway.Store.Tests;

namespace SanteGateway.Server.Tests;

/// <summary>A test PKI and the INSi sandbox on an ephemeral port (mutual TLS), shared by a test class.</summary>
public sealed class SandboxFixture : IAsyncLifetime
{
    private const string Password = "gateway-sandbox-pass";

    private readonly string pkiDir = Path.Combine(Path.GetTempPath(), "santegw-gw-pki-" + Guid.NewGuid().ToString("N"));

    public InsiSandboxServer Server { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        TestPki.Create(pkiDir, Password, force: true);
        Server = await InsiSandboxServer.StartAsync(new InsiSandboxOptions { PkiDirectory = pkiDir, Password = Password, Port = 0 });
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        try
        {
            Directory.Delete(pkiDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public InsiClientPort CreateGateway(string? recordDirectory = null)
    {
        var o = new InsiClientOptions
        {
            Endpoint = Server.Endpoint,
            Idam = InsiSandboxOptions.DefaultIdam,
            Instance = "0f5f5d4e-1b2c-4d3e-8f90-a1b2c3d4e5f6",
            AutomaticCertificatePath = Path.Combine(pkiDir, TestPki.InsiAutoP12File),
            AutomaticCertificatePassword = Password,
            ManualCertificatePath = Path.Combine(pkiDir, TestPki.InsiManuP12File),
            ManualCertificatePassword = Password,
            RetryBaseDelay = TimeSpan.FromMilliseconds(10),
            RecordDirectory = recordDirectory,
        };
        o.TrustedCaPaths.Add(Path.Combine(pkiDir, TestPki.CaPemFile));
        return new InsiClientPort(Microsoft.Extensions.Options.Options.Create(o), Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, TimeProvider.System);
    }
}

/// <summary>insi-search and insi-verify through the API, the INSi client and the sandbox over real mutual TLS.</summary>
public abstract class InsiSandboxApiTests<TDb>(TDb database, SandboxFixture sandbox) : IAsyncLifetime
    where TDb : TestDatabase
{
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

    [Fact]
    public async Task A_checked_identity_known_to_insi_becomes_qualified_and_the_raw_exchange_is_kept()
    {
        var client = await gateway!.ClientAsync(GatewayRoles.FrontDesk);
        var created = await client.CreateAsync(new
        {
            birthName = "Adrtrois",
            birthFirstNames = "Toussaint",
            sex = "M",
            birthDate = "1960-01-01",
            birthPlaceCog = "2B020",
            evidence = Http.Passport(),
        });
        var id = created.GetProperty("id").GetString();

        var search = await client.PostAsync($"/api/identities/{id}/insi-search", null);
        search.StatusCode.Should().Be(HttpStatusCode.OK);
        var json = await search.JsonAsync();
        json.GetProperty("outcome").GetString().Should().Be("found");
        json.GetProperty("applied").GetBoolean().Should().BeTrue(json.ToString());
        var identity = json.GetProperty("identity");
        identity.GetProperty("status").GetString().Should().Be("QUAL");
        identity.GetProperty("ins").GetProperty("matricule").GetString().Should().Be("160012B02077713");
        identity.GetProperty("collectionChannel").GetString().Should().Be("INSI");

        var verify = await (await client.PostAsync($"/api/identities/{id}/insi-verify", null)).JsonAsync();
        verify.GetProperty("outcome").GetString().Should().Be("found");
        verify.GetProperty("identity").GetProperty("status").GetString().Should().Be("QUAL");

        var png = await client.GetAsync($"/api/identities/{id}/datamatrix.png");
        png.StatusCode.Should().Be(HttpStatusCode.OK);
        png.Content.Headers.ContentType!.MediaType.Should().Be("image/png");
        SanteGateway.DataMatrix.InsDataMatrix.TryReadImage(await png.Content.ReadAsByteArrayAsync(), out var payload, out var errors).Should().BeTrue(string.Join("; ", errors));
        payload!.Matricule.Value.Should().Be("160012B02077713");
        payload.BirthName.Should().Be("ADRTROIS");
        (await client.GetAsync($"/api/identities/{id}/datamatrix.svg")).Content.Headers.ContentType!.MediaType.Should().Be("image/svg+xml");

        await using var scope = gateway.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        var exchanges = await db.InsiExchanges.AsNoTracking().Where(x => x.IdentityId == Guid.Parse(id!)).ToListAsync();
        exchanges.Select(x => x.Operation).Should().BeEquivalentTo(["search", "verify"]);
        var first = exchanges.Single(x => x.Operation == "search");
        first.RequestXml.Should().Contain("ADRTROIS");
        first.ResponseXml.Should().Contain("160012B020777");
        first.CertificateCn.Should().Be("INSI-MANU", "a call a user triggers presents the INSI-MANU certificate");
    }

    [Fact]
    public async Task With_a_record_directory_the_gateway_keeps_each_exchange_as_a_replayable_fixture()
    {
        var dir = Path.Combine(Path.GetTempPath(), "santegw-record-" + Guid.NewGuid().ToString("N"));
        using var recording = sandbox.CreateGateway(dir);
        await using var gw = await TestGateway.StartAsync(database, recording);
        var client = await gw.ClientAsync(GatewayRoles.FrontDesk);
        var id = (await client.CreateAsync(new { birthName = "INCONNU", birthFirstNames = "ENREGISTRE", sex = "F", birthDate = "1999-09-09" })).GetProperty("id").GetString();

        (await client.PostAsync($"/api/identities/{id}/insi-search", null)).StatusCode.Should().Be(HttpStatusCode.OK);

        Directory.GetFiles(dir, "*.request.xml").Should().NotBeEmpty();
        Directory.GetFiles(dir, "*.response.xml").Should().NotBeEmpty();
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public async Task A_person_unknown_to_insi_stays_provisional()
    {
        var client = await gateway!.ClientAsync(GatewayRoles.FrontDesk);
        var id = (await client.CreateAsync(new { birthName = "INCONNU", birthFirstNames = "PERSONNE", sex = "F", birthDate = "1999-09-09" })).GetProperty("id").GetString();
        var json = await (await client.PostAsync($"/api/identities/{id}/insi-search", null)).JsonAsync();
        json.GetProperty("outcome").GetString().Should().Be("not-found");
        json.GetProperty("applied").GetBoolean().Should().BeFalse();
        json.GetProperty("identity").GetProperty("status").GetString().Should().Be("PROV");

        var png = await client.GetAsync($"/api/identities/{id}/datamatrix.png");
        png.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await png.JsonAsync()).GetProperty("rule").GetString().Should().Be("rniv.not-qualified");
    }
}

public sealed class InsiSandboxApiTests_on_Sqlite(SqliteTestDatabase db, SandboxFixture sandbox)
    : InsiSandboxApiTests<SqliteTestDatabase>(db, sandbox), IClassFixture<SqliteTestDatabase>, IClassFixture<SandboxFixture>;

public sealed class InsiSandboxApiTests_on_Postgres(PostgresTestDatabase db, SandboxFixture sandbox)
    : InsiSandboxApiTests<PostgresTestDatabase>(db, sandbox), IClassFixture<PostgresTestDatabase>, IClassFixture<SandboxFixture>;
