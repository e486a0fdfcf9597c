using System.Text;
using SanteGateway.Insi.Sandbox.Pki;
using SanteGateway.Insi.Sandbox.Tests.Support;

namespace SanteGateway.Insi.Sandbox.Tests;

/// <summary>Real mutual TLS with HttpClient and the sandbox PKI.</summary>
public sealed class MutualTlsTests : IAsyncLifetime
{
    private InsiSandboxServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await InsiSandboxServer.StartAsync(SandboxClients.Options(), TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public void The_endpoint_is_https_on_127_0_0_1_with_a_real_port_and_the_lps_path()
    {
        _server.Endpoint.Scheme.Should().Be("https");
        _server.Endpoint.Host.Should().Be("127.0.0.1");
        _server.Endpoint.Port.Should().BePositive();
        _server.Endpoint.AbsolutePath.Should().Be("/lps");
    }

    [Theory]
    [InlineData(TestPki.InsiAutoP12File)]
    [InlineData(TestPki.InsiManuP12File)]
    public async Task An_INSI_AUTO_or_INSI_MANU_certificate_gets_CR_00_for_ADRTROIS_TOUSSAINT(string p12)
    {
        using var client = SandboxClients.ForClient(p12);

        var (status, body) = await SandboxClients.PostAsync(client, _server.Endpoint, Recorded.Request("AdrtroisToussaint"));

        status.Should().Be(200);
        var text = Encoding.UTF8.GetString(body);
        text.Should().Contain("<CodeCR>00</CodeCR>").And.Contain("<NumIdentifiant>160012B020777</NumIdentifiant>");
    }

    [Fact]
    public async Task A_certificate_of_the_sandbox_CA_with_another_CN_gets_the_DESIR_560_fault()
    {
        using var client = SandboxClients.ForClient(TestPki.OtherP12File);

        var (status, body) = await SandboxClients.PostAsync(client, _server.Endpoint, Recorded.Request("AdrtroisToussaint"));

        status.Should().Be(500);
        var text = Encoding.UTF8.GetString(body);
        text.Should().Contain("code=\"DESIR_560\"")
            .And.Contain("Vous ne disposez pas des droits suffisants pour accéder à ce service")
            .And.Contain($"messageID=\"{Recorded.RecordedMessageId}\"");
        ContractSchemas.ValidateAnswer(body).Should().BeEmpty();
    }

    [Fact]
    public async Task A_client_without_certificate_is_refused_at_the_TLS_handshake()
    {
        using var client = SandboxClients.Create(clientCertificate: null);

        var act = () => SandboxClients.PostAsync(client, _server.Endpoint, Recorded.Request("AdrtroisToussaint"));

        await act.Should().ThrowAsync<HttpRequestException>();
    }

    [Fact]
    public async Task A_certificate_from_another_CA_is_refused_at_the_TLS_handshake()
    {
        var otherDir = Path.Combine(Path.GetTempPath(), "santegw-other-ca-" + Guid.NewGuid().ToString("N"));
        TestPki.Create(otherDir, "other", force: false);
        using var client = SandboxClients.Create(TestPki.LoadP12(otherDir, TestPki.InsiAutoP12File, "other"));

        var act = () => SandboxClients.PostAsync(client, _server.Endpoint, Recorded.Request("AdrtroisToussaint"));

        await act.Should().ThrowAsync<HttpRequestException>();
        Directory.Delete(otherDir, recursive: true);
    }

    [Fact]
    public async Task An_IDAM_outside_the_allow_list_gets_siram_100_desir_550_with_the_exact_French_texts()
    {
        using var client = SandboxClients.ForClient(TestPki.InsiAutoP12File);
        var request = Recorded.Request("AdrtroisToussaint", (Recorded.RecordedIdam, "LSN17NF23FW0"));

        var (status, body) = await SandboxClients.PostAsync(client, _server.Endpoint, request);

        status.Should().Be(500);
        Encoding.UTF8.GetString(body).Should()
            .Contain("soap:siram_100")
            .And.Contain("code=\"desir_550\"")
            .And.Contain("L'accès par ce progiciel au service n'est pas autorisé. Contactez l'éditeur du progiciel ou votre responsable informatique.")
            .And.Contain("Numéro d'autorisation du logiciel inconnu.");
    }

    [Fact]
    public async Task The_documented_sandbox_IDAM_is_accepted_without_configuration()
    {
        using var client = SandboxClients.ForClient(TestPki.InsiAutoP12File);
        var request = Recorded.Request("AdrtroisToussaint", (Recorded.RecordedIdam, InsiSandboxOptions.DefaultIdam));

        var (status, _) = await SandboxClients.PostAsync(client, _server.Endpoint, request);

        status.Should().Be(200);
    }

    [Fact]
    public async Task A_GET_on_the_endpoint_is_not_an_INSi_operation()
    {
        using var client = SandboxClients.ForClient(TestPki.InsiAutoP12File);

        using var response = await client.GetAsync(_server.Endpoint, TestContext.Current.CancellationToken);

        ((int)response.StatusCode).Should().Be(405);
    }
}
