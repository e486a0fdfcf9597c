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

    [Theory]
    [InlineData("1.3.6.1.5.5.7.3.2")]
    [InlineData("1.3.6.1.5.5.7.3.4")]
    [InlineData]
    public async Task A_server_certificate_from_the_trusted_ca_without_the_server_auth_purpose_is_refused(params string[] ekus)
    {
        // A bare TLS server: Kestrel itself refuses to serve a certificate whose EKU lacks serverAuth.
        using var serverCert = _pki.IssueServer(ekus);
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        var requests = 0;
        var serve = Task.Run(
            async () =>
        {
            while (true)
            {
                System.Net.Sockets.TcpClient tcp;
                try
                {
                    tcp = await listener.AcceptTcpClientAsync(CancellationToken.None);
                }
                catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException or System.Net.Sockets.SocketException)
                {
                    return;
                }

                using (tcp)
                await using (var tls = new System.Net.Security.SslStream(tcp.GetStream()))
                {
                    try
                    {
                        await tls.AuthenticateAsServerAsync(new System.Net.Security.SslServerAuthenticationOptions
                        {
                            ServerCertificate = serverCert,
                            ClientCertificateRequired = true,
                            RemoteCertificateValidationCallback = (_, _, _, _) => true,
                        }, CancellationToken.None);
                        // Under TLS 1.3 the server side completes before the client has judged the certificate:
                        // what matters is whether the client then sends its request.
                        var buffer = new byte[64];
                        if (await tls.ReadAsync(buffer, CancellationToken.None) > 0)
                        {
                            Interlocked.Increment(ref requests);
                        }
                    }
                    catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException)
                    {
                    }
                }
            }
        }, CancellationToken.None);
        var options = Options(new Uri($"https://127.0.0.1:{port}/lps"));
        options.MaxRetries = 0;
        using var client = InsiClient.Create(options);

        var act = () => client.SearchByTraitsAsync(Toussaint, InsiCallContext.Automatic, TestContext.Current.CancellationToken);

        var error = (await act.Should().ThrowAsync<InsiTransportException>()).Which;
        error.IsTransient.Should().BeFalse();
        listener.Stop();
        await serve;
        requests.Should().Be(0);
    }

    [Fact]
    public void The_outbound_tls_check_accepts_server_auth_among_other_purposes_and_refuses_it_missing()
    {
        var cas = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection(_pki.Ca);
        using var both = _pki.IssueServer("1.3.6.1.5.5.7.3.2", OutboundTls.ServerAuthOid);
        using var client = _pki.IssueServer("1.3.6.1.5.5.7.3.2");
        using var none = _pki.IssueServer();
        OutboundTls.ValidateServer(both, System.Net.Security.SslPolicyErrors.None, cas, checkRevocation: false).Should().BeTrue();
        OutboundTls.ValidateServer(client, System.Net.Security.SslPolicyErrors.None, cas, checkRevocation: false).Should().BeFalse();
        OutboundTls.ValidateServer(none, System.Net.Security.SslPolicyErrors.None, cas, checkRevocation: false).Should().BeFalse();
        OutboundTls.ValidateServer(both, System.Net.Security.SslPolicyErrors.RemoteCertificateNameMismatch, cas, checkRevocation: false).Should().BeFalse();
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
