using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SanteGateway.Insi.Tests;

/// <summary>In-test PKI: a CA, a 127.0.0.1 server certificate and INSI-AUTO / INSI-MANU client certificates, written to a temp dir.</summary>
internal sealed class TestCertificates : IDisposable
{
    public const string Password = "test-pass";

    public TestCertificates(string caName = "SanteGateway Test CA")
    {
        Directory.CreateDirectory(Dir);
        using var caKey = RSA.Create(2048);
        var caReq = new CertificateRequest($"CN={caName}, O=SanteGateway Tests", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caReq.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caReq.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caReq.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caReq.PublicKey, false));
        Ca = caReq.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        CaPemPath = Path.Combine(Dir, "ca.pem");
        File.WriteAllText(CaPemPath, Ca.ExportCertificatePem());

        Server = Issue("CN=127.0.0.1, O=SanteGateway Tests", server: true);
        Automatic = Issue("CN=INSI-AUTO, OU=10B0152872, O=CENTRE DE SANTE TEST, C=FR", server: false);
        Manual = Issue("CN=INSI-MANU, OU=10B0152872, O=CENTRE DE SANTE TEST, C=FR", server: false);
        Other = Issue("CN=OTHER, OU=10B0152872, O=CENTRE DE SANTE TEST, C=FR", server: false);
        AutomaticP12 = Write("INSI-AUTO.p12", Automatic);
        ManualP12 = Write("INSI-MANU.p12", Manual);
    }

    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "insi-tests-" + Guid.NewGuid().ToString("N"));

    public X509Certificate2 Ca { get; }

    public string CaPemPath { get; }

    public X509Certificate2 Server { get; }

    public X509Certificate2 Automatic { get; }

    public X509Certificate2 Manual { get; }

    public X509Certificate2 Other { get; }

    public string AutomaticP12 { get; }

    public string ManualP12 { get; }

    public bool IsIssuedByCa(X509Certificate2 cert)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(cert);
    }

    public void Dispose()
    {
        foreach (var c in new[] { Ca, Server, Automatic, Manual, Other })
        {
            c.Dispose();
        }

        try
        {
            Directory.Delete(Dir, true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>A server certificate (127.0.0.1, localhost) from this CA with the given EKUs (none: no extension at all).</summary>
    public X509Certificate2 IssueServer(params string[] ekuOids) => Issue("CN=127.0.0.1, O=SanteGateway Tests", server: true, ekuOids);

    private X509Certificate2 Issue(string subject, bool server, string[]? ekuOids = null)
    {
        using var key = RSA.Create(2048);
        var req = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        ekuOids ??= [server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2"];
        if (ekuOids.Length > 0)
        {
            var usages = new OidCollection();
            foreach (var oid in ekuOids)
            {
                usages.Add(new Oid(oid));
            }

            req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(usages, false));
        }

        if (server)
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(IPAddress.Loopback);
            san.AddDnsName("localhost");
            req.CertificateExtensions.Add(san.Build());
        }

        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7F;
        using var cert = req.Create(Ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddMonths(6), serial);
        using var withKey = cert.CopyWithPrivateKey(key);

        // Round-trip through PKCS#12 so the key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12, Password), Password, X509KeyStorageFlags.Exportable);
    }

    private string Write(string name, X509Certificate2 cert)
    {
        var path = Path.Combine(Dir, name);
        File.WriteAllBytes(path, cert.Export(X509ContentType.Pkcs12, Password));
        return path;
    }
}
