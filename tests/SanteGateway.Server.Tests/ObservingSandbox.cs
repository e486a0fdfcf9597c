using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using SanteGateway.Insi;
using SanteGateway.Insi.Sandbox;
using SanteGateway.Insi.Sandbox.Pki;

namespace SanteGateway.Server.Tests;

/// <summary>
/// The INSi sandbox behind a listener that notes the client certificate of every TLS connection it accepts: what the
/// service really saw, not what the client says it sent. Also compiled into SanteGateway.EndToEnd (linked), whose web
/// UI test of establishments observes the same way.
/// </summary>
public sealed class ObservingSandbox : IAsyncLifetime
{
    public const string Password = "establishment-pki";

    private WebApplication? app;

    public string Pki { get; } = Directory.CreateTempSubdirectory("santegw-estab-pki-").FullName;

    /// <summary>Subject OU of the client certificate of each request, in arrival order.</summary>
    public ConcurrentQueue<string> SeenStructureIds { get; } = new();

    public Uri Endpoint { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        TestPki.Create(Pki, Password, force: true);
        var handler = new InsiSandboxHandler(new InsiSandboxOptions { PkiDirectory = Pki, Password = Password });
        var builder = WebApplication.CreateSlimBuilder();
        using var serverCert = TestPki.LoadP12(Pki, TestPki.ServerP12File, Password);
        var server = X509CertificateLoader.LoadPkcs12(serverCert.Export(X509ContentType.Pkcs12, Password), Password);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(new HttpsConnectionAdapterOptions
        {
            ServerCertificate = server,
            ClientCertificateMode = ClientCertificateMode.RequireCertificate,
            ClientCertificateValidation = (_, _, _) => true, // the sandbox handler checks the chain and the CN itself
        })));
        app = builder.Build();
        app.Use(async (context, next) =>
        {
            var cert = context.Connection.ClientCertificate;
            SeenStructureIds.Enqueue(cert is null ? "(none)" : InsiCertificateIdentity.Of(cert).OrganizationalUnit ?? "(no OU)");
            await next(context);
        });
        app.MapInsiSandbox(handler);
        await app.StartAsync();
        var address = app.Urls.First();
        Endpoint = new Uri(new Uri(address), "/lps");
    }

    /// <summary>An INSI-MANU certificate of the sandbox CA for another structure (a negative <paramref name="daysLeft"/> = expired).</summary>
    public string IssueManual(string file, string structureId, int daysLeft = 700) => Issue(file, structureId, "INSI-MANU", daysLeft);

    /// <summary>A client certificate of the sandbox CA with this CN (INSI-AUTO, INSI-MANU, ORG AUTH_CLI…) for another structure.</summary>
    public string Issue(string file, string structureId, string cn, int daysLeft = 700)
    {
        using var ca = TestPki.LoadP12(Pki, TestPki.CaP12File, Password);
        using var key = RSA.Create(2048);
        var req = new CertificateRequest($"CN={cn}, OU={structureId}, O=ETABLISSEMENT {structureId}, C=FR", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        req.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        // The sandbox CA is one day old: an expired certificate ends an hour ago.
        var notAfter = daysLeft < 0 ? DateTimeOffset.UtcNow.AddHours(-1) : DateTimeOffset.UtcNow.AddDays(daysLeft);
        using var cert = req.Create(ca, notAfter.AddYears(-3) < ca.NotBefore ? ca.NotBefore.AddMinutes(1) : notAfter.AddYears(-3), notAfter, RandomNumberGenerator.GetBytes(12));
        using var withKey = cert.CopyWithPrivateKey(key);
        var path = Path.Combine(Pki, file);
        File.WriteAllBytes(path, withKey.Export(X509ContentType.Pkcs12, Password));
        return path;
    }

    public InsiClientOptions Options()
    {
        var o = new InsiClientOptions
        {
            Endpoint = Endpoint,
            Idam = InsiSandboxOptions.DefaultIdam,
            Instance = "0f5f5d4e-1b2c-4d3e-8f90-a1b2c3d4e5f7",
            AutomaticCertificatePath = Path.Combine(Pki, TestPki.InsiAutoP12File),
            AutomaticCertificatePassword = Password,
            ManualCertificatePath = Path.Combine(Pki, TestPki.InsiManuP12File),
            ManualCertificatePassword = Password,
            RetryBaseDelay = TimeSpan.FromMilliseconds(10),
            MaxRetries = 0,
        };
        o.TrustedCaPaths.Add(Path.Combine(Pki, TestPki.CaPemFile));
        return o;
    }

    public async ValueTask DisposeAsync()
    {
        if (app is not null)
        {
            await app.DisposeAsync();
        }

        Directory.Delete(Pki, recursive: true);
    }
}
