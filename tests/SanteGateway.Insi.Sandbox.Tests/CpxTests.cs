using System.Text;
using System.Xml;
using Microsoft.Extensions.Time.Testing;
using SanteGateway.Insi.Sandbox.Cpx;
using SanteGateway.Insi.Sandbox.Pki;
using SanteGateway.Insi.Sandbox.Tests.Support;

namespace SanteGateway.Insi.Sandbox.Tests;

/// <summary>CPx listener: server TLS only, a signed PS assertion in wsse:Security.</summary>
public sealed class CpxTests : IAsyncLifetime
{
    private InsiSandboxServer _server = null!;

    public async ValueTask InitializeAsync() =>
        _server = await InsiSandboxServer.StartAsync(SandboxClients.Options(o => o.CpxPort = 0), TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private static byte[] WithAssertion(XmlElement? assertion, string idam = Recorded.RecordedIdam)
    {
        var security = assertion is null ? string.Empty
            : $"<wsse:Security xmlns:wsse=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd\">{assertion.OuterXml}</wsse:Security>";
        var text = File.ReadAllText(Recorded.File("AdrtroisToussaint.request.xml"))
            .Replace("</soap:Header>", security + "</soap:Header>", StringComparison.Ordinal)
            .Replace(Recorded.RecordedIdam, idam, StringComparison.Ordinal);
        return Encoding.UTF8.GetBytes(text);
    }

    private static XmlElement Assertion(DateTimeOffset issued, TimeSpan? validity = null, string cert = TestPki.CpsP12File) =>
        SandboxPsAssertion.Create(SharedPki.Load(cert), TestPki.PsIdentifier, issued, validity);

    [Fact]
    public async Task A_valid_signed_PS_assertion_over_server_only_TLS_gets_CR_00()
    {
        _server.CpxEndpoint.Should().NotBeNull();
        using var client = SandboxClients.Create(clientCertificate: null);

        var (status, body) = await SandboxClients.PostAsync(client, _server.CpxEndpoint!, WithAssertion(Assertion(DateTimeOffset.UtcNow, TimeSpan.FromMinutes(10))));

        status.Should().Be(200, Encoding.UTF8.GetString(body));
        Encoding.UTF8.GetString(body).Should().Contain("<CodeCR>00</CodeCR>");
    }

    [Fact]
    public async Task A_request_without_wsse_Security_on_the_CPx_endpoint_gets_a_Sender_fault()
    {
        using var client = SandboxClients.Create(clientCertificate: null);

        var (status, body) = await SandboxClients.PostAsync(client, _server.CpxEndpoint!, WithAssertion(null));

        status.Should().Be(500);
        Encoding.UTF8.GetString(body).Should().Contain("soap:Sender").And.Contain("sandbox_assertion_invalide");
        ContractSchemas.ValidateAnswer(body).Should().BeEmpty();
    }

    [Fact]
    public async Task An_expired_assertion_is_refused_with_a_Sender_fault()
    {
        using var client = SandboxClients.Create(clientCertificate: null);

        var (status, body) = await SandboxClients.PostAsync(client, _server.CpxEndpoint!, WithAssertion(Assertion(DateTimeOffset.UtcNow.AddHours(-2), TimeSpan.FromMinutes(20))));

        status.Should().Be(500);
        Encoding.UTF8.GetString(body).Should().Contain("soap:Sender").And.Contain("sandbox_assertion_expiree");
    }

    [Fact]
    public void An_assertion_without_Conditions_expires_after_the_configured_lifetime()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var handler = new InsiSandboxHandler(SandboxClients.Options(o => { o.TimeProvider = clock; o.AssertionLifetime = TimeSpan.FromMinutes(20); }));
        var request = WithAssertion(Assertion(clock.GetUtcNow()));

        handler.Process(request, "application/soap+xml", null, InsiSandboxAuthentication.CpxAssertion).Outcome.Should().Be("CR00");
        clock.Advance(TimeSpan.FromMinutes(25));
        handler.Process(request, "application/soap+xml", null, InsiSandboxAuthentication.CpxAssertion).Outcome.Should().Be("sandbox_assertion_expiree");
    }

    [Fact]
    public async Task A_tampered_assertion_fails_the_signature_check()
    {
        using var client = SandboxClients.Create(clientCertificate: null);
        var assertion = Assertion(DateTimeOffset.UtcNow, TimeSpan.FromMinutes(10));
        assertion.GetElementsByTagName("NameID", SandboxPsAssertion.SamlNamespace)[0]!.InnerText = "899700000002";

        var (_, body) = await SandboxClients.PostAsync(client, _server.CpxEndpoint!, WithAssertion(assertion));

        Encoding.UTF8.GetString(body).Should().Contain("sandbox_assertion_invalide").And.Contain("Signature");
    }

    [Fact]
    public async Task An_assertion_signed_by_a_certificate_of_another_CA_is_refused()
    {
        var otherDir = Path.Combine(Path.GetTempPath(), "santegw-other-cps-" + Guid.NewGuid().ToString("N"));
        TestPki.Create(otherDir, "o", force: false);
        using var client = SandboxClients.Create(clientCertificate: null);
        var assertion = SandboxPsAssertion.Create(TestPki.LoadP12(otherDir, TestPki.CpsP12File, "o"), TestPki.PsIdentifier, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(10));

        var (_, body) = await SandboxClients.PostAsync(client, _server.CpxEndpoint!, WithAssertion(assertion));

        Encoding.UTF8.GetString(body).Should().Contain("sandbox_assertion_invalide").And.Contain("autorité de confiance");
        Directory.Delete(otherDir, recursive: true);
    }

    [Fact]
    public async Task The_CPx_endpoint_still_checks_the_IDAM()
    {
        using var client = SandboxClients.Create(clientCertificate: null);

        var (status, body) = await SandboxClients.PostAsync(client, _server.CpxEndpoint!, WithAssertion(Assertion(DateTimeOffset.UtcNow, TimeSpan.FromMinutes(10)), "FAKE-IDAM"));

        status.Should().Be(500);
        Encoding.UTF8.GetString(body).Should().Contain("desir_550");
    }
}
