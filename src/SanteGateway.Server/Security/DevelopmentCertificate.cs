using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SanteGateway.Server.Security;

/// <summary>
/// The self-signed HTTPS certificate generated into the data folder on first start (the machine has no
/// <c>dotnet dev-certs</c>). Valid for localhost, 127.0.0.1 and ::1, two years.
/// </summary>
public static class DevelopmentCertificate
{
    /// <summary>File name inside <c>DATA/https</c>.</summary>
    public const string FileName = "gateway-https.pfx";

    /// <summary>Loads the certificate from the data folder, creating it when missing or expired.</summary>
    public static X509Certificate2 LoadOrCreate(string dataDirectory)
    {
        var dir = Path.Combine(dataDirectory, "https");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, FileName);
        if (File.Exists(path))
        {
            var existing = X509CertificateLoader.LoadPkcs12FromFile(path, null);
            if (existing.NotAfter > DateTime.UtcNow.AddDays(7))
            {
                return existing;
            }

            existing.Dispose();
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=SanteGateway local HTTPS", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        san.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddYears(2));
        var pfx = created.Export(X509ContentType.Pkcs12);
        File.WriteAllBytes(path, pfx);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return X509CertificateLoader.LoadPkcs12(pfx, null);
    }
}
