using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using SanteGateway.Insi.Sandbox.Pki;

namespace SanteGateway.Insi.Sandbox.Tests.Support;

/// <summary>HttpClients speaking to a sandbox over real TLS, trusting only the sandbox CA.</summary>
internal static class SandboxClients
{
    public static HttpClient Create(X509Certificate2? clientCertificate)
    {
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = clientCertificate is null ? null : [clientCertificate],
                CertificateChainPolicy = new X509ChainPolicy
                {
                    TrustMode = X509ChainTrustMode.CustomRootTrust,
                    CustomTrustStore = { SharedPki.Ca },
                    RevocationMode = X509RevocationMode.NoCheck,
                },
            },
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
        };
        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
    }

    public static HttpClient ForClient(string p12File) => Create(SharedPki.Load(p12File));

    public static async Task<(int Status, byte[] Body)> PostAsync(HttpClient client, Uri endpoint, byte[] body, string contentType = "application/soap+xml; charset=utf-8")
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        using var response = await client.PostAsync(endpoint, content, TestContext.Current.CancellationToken);
        return ((int)response.StatusCode, await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));
    }

    public static InsiSandboxOptions Options(Action<InsiSandboxOptions>? configure = null)
    {
        var options = new InsiSandboxOptions { PkiDirectory = SharedPki.Directory, Password = SharedPki.Password };
        options.Idams.Add(Recorded.RecordedIdam);
        configure?.Invoke(options);
        return options;
    }

    public static string AutoP12 => TestPki.InsiAutoP12File;
}
