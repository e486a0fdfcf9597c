using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;
using SanteGateway.Insi.Sandbox.Pki;
using SanteGateway.Insi.Sandbox.Tests.Support;

namespace SanteGateway.Insi.Sandbox.Tests;

/// <summary>
/// The sandbox hosted by another application through <c>MapInsiSandbox</c> (how <c>santegw serve</c> embeds it), behind a
/// listener that merely <em>allows</em> any client certificate: the handler itself must enforce chain and CN.
/// </summary>
public sealed class HostedEndpointTests : IAsyncLifetime
{
    private WebApplication _app = null!;
    private Uri _endpoint = null!;

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var port = 0;
        Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions? listen = null;
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, l =>
        {
            listen = l;
            l.UseHttps(new HttpsConnectionAdapterOptions
            {
                ServerCertificate = SharedPki.Load(TestPki.ServerP12File),
                ClientCertificateMode = ClientCertificateMode.AllowCertificate,
                // Accept anything at TLS level: the point is that the handler re-checks.
                ClientCertificateValidation = (_, _, _) => true,
            });
        }));
        _app = builder.Build();
        _app.MapInsiSandbox(new InsiSandboxHandler(SandboxClients.Options()), "/insi/lps");
        await _app.StartAsync(TestContext.Current.CancellationToken);
        _endpoint = new Uri($"https://127.0.0.1:{listen!.IPEndPoint!.Port}/insi/lps");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task An_INSI_AUTO_certificate_is_served_on_the_mapped_path()
    {
        using var client = SandboxClients.ForClient(TestPki.InsiAutoP12File);

        var (status, body) = await SandboxClients.PostAsync(client, _endpoint, Recorded.Request("AdrtroisToussaint"));

        status.Should().Be(200);
        Encoding.UTF8.GetString(body).Should().Contain("<CodeCR>00</CodeCR>");
    }

    [Fact]
    public async Task Without_a_client_certificate_the_hosted_handler_answers_DESIR_560()
    {
        using var client = SandboxClients.Create(clientCertificate: null);

        var (status, body) = await SandboxClients.PostAsync(client, _endpoint, Recorded.Request("AdrtroisToussaint"));

        status.Should().Be(500);
        Encoding.UTF8.GetString(body).Should().Contain("DESIR_560").And.Contain("Certificat client absent");
    }

    [Fact]
    public async Task A_client_certificate_from_another_CA_is_refused_by_the_hosted_handler_even_with_the_right_CN()
    {
        var otherDir = Path.Combine(Path.GetTempPath(), "santegw-hosted-other-" + Guid.NewGuid().ToString("N"));
        TestPki.Create(otherDir, "o", force: false);
        using var client = SandboxClients.Create(TestPki.LoadP12(otherDir, TestPki.InsiAutoP12File, "o"));

        var (status, body) = await SandboxClients.PostAsync(client, _endpoint, Recorded.Request("AdrtroisToussaint"));

        status.Should().Be(500);
        Encoding.UTF8.GetString(body).Should().Contain("DESIR_560").And.Contain("non émis par une autorité de confiance");
        Directory.Delete(otherDir, recursive: true);
    }
}
