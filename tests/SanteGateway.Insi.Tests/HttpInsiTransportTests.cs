using SanteGateway.Identity;

namespace SanteGateway.Insi.Tests;

public sealed class HttpInsiTransportTests : IDisposable
{
    private readonly TestCertificates _pki = new();

    public void Dispose() => _pki.Dispose();

    private InsiClientOptions Options(Uri endpoint, string? caPem = null)
    {
        var o = InsiClientTests.Options();
        o.Endpoint = endpoint;
        o.AutomaticCertificatePath = _pki.AutomaticP12;
        o.AutomaticCertificatePassword = TestCertificates.Password;
        o.ManualCertificatePath = _pki.ManualP12;
        o.ManualCertificatePassword = TestCertificates.Password;
        o.TrustedCaPaths.Add(caPem ?? _pki.CaPemPath);
        return o;
    }

    private static readonly InsiTraitsQuery Toussaint = new("ADRTROIS", ["TOUSSAINT"], Sex.Male, "1960-01-01");

    [Theory]
    [InlineData(InsiCertificateKind.Automatic, "INSI-AUTO")]
    [InlineData(InsiCertificateKind.Manual, "INSI-MANU")]
    public async Task A_call_over_mutual_tls_presents_the_certificate_chosen_by_the_call_context(InsiCertificateKind kind, string expectedCn)
    {
        await using var server = await MtlsEchoServer.StartAsync(_pki.Server, _pki.IsIssuedByCa);
        using var client = InsiClient.Create(Options(server.Endpoint));

        var result = await client.SearchByTraitsAsync(Toussaint, new InsiCallContext(kind), TestContext.Current.CancellationToken);

        result.Individual!.Active.Raw.Should().Be("160012B02077713");
        var seen = server.Requests.Single();
        seen.ClientCn.Should().Be(expectedCn);
        seen.ContentType.Should().Be("application/soap+xml; charset=utf-8; action=\"urn:ServiceIdentiteCertifiee:1.0.0:rechercherInsAvecTraitsIdentite\"");
        new FakeTransport.Sent("", seen.Body, kind).Value(InsiNamespaces.ContexteBam, "Emetteur").Should().Be("10B0152872");
    }

    [Fact]
    public async Task A_server_whose_chain_is_not_in_the_configured_trust_store_is_refused_and_not_retried()
    {
        using var otherPki = new TestCertificates("Untrusted CA");
        await using var server = await MtlsEchoServer.StartAsync(otherPki.Server, _ => true);
        using var client = InsiClient.Create(Options(server.Endpoint));

        var act = () => client.SearchByTraitsAsync(Toussaint, InsiCallContext.Automatic, TestContext.Current.CancellationToken);

        var error = (await act.Should().ThrowAsync<InsiTransportException>()).Which;
        error.IsTransient.Should().BeFalse();
        error.Message.Should().Contain("TLS");
        server.Requests.Should().BeEmpty();
    }

    [Fact]
    public async Task A_soap_fault_over_http_500_becomes_a_typed_fault()
    {
        await using var server = await MtlsEchoServer.StartAsync(_pki.Server, _pki.IsIssuedByCa);
        server.Answer = _ => (500, File.ReadAllBytes(InsiFiles.Recorded("FakeIdam.fault.xml")));
        using var client = InsiClient.Create(Options(server.Endpoint));

        var act = () => client.SearchByTraitsAsync(Toussaint, InsiCallContext.Automatic, TestContext.Current.CancellationToken);

        (await act.Should().ThrowAsync<InsiFaultException>()).Which.Fault.ErrorCode.Should().Be("desir_550");
    }

    [Fact]
    public async Task An_attempt_that_exceeds_its_timeout_is_abandoned_with_a_transport_error()
    {
        await using var server = await MtlsEchoServer.StartAsync(_pki.Server, _pki.IsIssuedByCa);
        server.Delay = TimeSpan.FromSeconds(30);
        var options = Options(server.Endpoint);
        options.AttemptTimeout = TimeSpan.FromMilliseconds(300);
        options.MaxRetries = 1;
        using var client = InsiClient.Create(options);

        var act = () => client.SearchByTraitsAsync(Toussaint, InsiCallContext.Automatic, TestContext.Current.CancellationToken);

        (await act.Should().ThrowAsync<InsiTransportException>()).Which.Message.Should().Contain("timed out");
        server.Requests.Should().HaveCount(2, "a timed-out attempt is retried once");
    }

    [Fact]
    public async Task A_response_larger_than_the_limit_is_refused()
    {
        await using var server = await MtlsEchoServer.StartAsync(_pki.Server, _pki.IsIssuedByCa);
        server.Answer = _ => (200, new byte[5000]);
        var options = Options(server.Endpoint);
        options.MaxResponseBytes = 4096;
        using var client = InsiClient.Create(options);

        var act = () => client.SearchByTraitsAsync(Toussaint, InsiCallContext.Automatic, TestContext.Current.CancellationToken);

        (await act.Should().ThrowAsync<InsiProtocolException>()).Which.Message.Should().Contain("limit");
    }

    [Fact]
    public void The_certificate_identity_gives_the_cn_and_the_ou_used_as_emitter()
    {
        InsiCertificateIdentity.Of(_pki.Automatic).Should().Be(new InsiCertificateIdentity("INSI-AUTO", "10B0152872"));
    }

    [Fact]
    public void The_igc_sante_cas_load_as_trust_anchors()
    {
        var cas = InsiCertificates.LoadTrustedCas(Directory.GetFiles(SanteGateway.Testing.TestPaths.SharedFile("data", "pki", "igc-sante")));

        cas.Should().HaveCount(2);
        cas.Select(c => c.GetNameInfo(System.Security.Cryptography.X509Certificates.X509NameType.SimpleName, false)).Should().Contain(n => n.Contains("IGC-SANTE", StringComparison.Ordinal));
    }

    [Fact]
    public void A_wrong_p12_password_is_reported_when_the_client_is_created()
    {
        var options = Options(new Uri("https://127.0.0.1:1/lps"));
        options.AutomaticCertificatePassword = "wrong";

        var act = () => InsiClient.Create(options);

        act.Should().Throw<System.Security.Cryptography.CryptographicException>();
    }
}
