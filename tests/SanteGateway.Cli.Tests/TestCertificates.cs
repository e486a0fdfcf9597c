using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SanteGateway.Cli.Tests;

/// <summary>Generates IGC-Santé-like CAs and software certificates for the certificate checker tests.</summary>
internal sealed class TestCertificates : IDisposable
{
    public const string Password = "cert-test";
    private const string ClientAuth = "1.3.6.1.5.5.7.3.2";
    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";

    public TestCertificates()
    {
        Directory.CreateDirectory(Dir);
        TestCa = CreateCa("TEST AC IGC-SANTE ELEMENTAIRE ORGANISATIONS");
        OtherCa = CreateCa("AC QUELCONQUE");
        File.WriteAllText(TestCaPem, TestCa.ExportCertificatePem());
        File.WriteAllText(OtherCaPem, OtherCa.ExportCertificatePem());
    }

    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "santegw-certs-" + Guid.NewGuid().ToString("N"));

    public X509Certificate2 TestCa { get; }

    public X509Certificate2 OtherCa { get; }

    public string TestCaPem => Path.Combine(Dir, "test-ca.pem");

    public string OtherCaPem => Path.Combine(Dir, "other-ca.pem");

    public static X509Certificate2 CreateCa(string cn)
    {
        using var key = RSA.Create(2048);
        var req = new CertificateRequest($"CN={cn}, OU=IGC-SANTE, O=ASIP-SANTE, C=FR", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(req.PublicKey, false));
        return req.CreateSelfSigned(DateTimeOffset.UtcNow.AddYears(-4), DateTimeOffset.UtcNow.AddYears(10));
    }

    /// <summary>Writes a PKCS#12 (key + certificate + issuer) and returns its path.</summary>
    public string Leaf(string file, string cn, X509Certificate2? issuer = null, string eku = ClientAuth, int daysLeft = 700, int keySize = 2048, string? ou = "10B0152872")
    {
        issuer ??= TestCa;
        using var key = RSA.Create(keySize);
        var subject = ou is null ? $"CN={cn}, O=CENTRE DE SANTE TEST, C=FR" : $"CN={cn}, OU={ou}, O=CENTRE DE SANTE TEST, C=FR";
        var req = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(eku)], false));
        req.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        var notAfter = DateTimeOffset.UtcNow.AddDays(daysLeft);
        var notBefore = notAfter.AddYears(-3) < issuer.NotBefore ? issuer.NotBefore.ToUniversalTime().AddDays(1) : notAfter.AddYears(-3);
        using var cert = req.Create(issuer, notBefore, notAfter, RandomNumberGenerator.GetBytes(12));
        using var withKey = cert.CopyWithPrivateKey(key);
        var path = Path.Combine(Dir, file);
        var collection = new X509Certificate2Collection { withKey, X509CertificateLoader.LoadCertificate(issuer.RawData) };
        File.WriteAllBytes(path, collection.ExportPkcs12(new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 2000), Password));
        return path;
    }

    public static string ServerAuthEku => ServerAuth;

    public void Dispose()
    {
        TestCa.Dispose();
        OtherCa.Dispose();
        Directory.Delete(Dir, recursive: true);
    }
}
