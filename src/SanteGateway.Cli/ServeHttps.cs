using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Configuration;
using SanteGateway.Server.Security;

namespace SanteGateway.Cli;

/// <summary>
/// The HTTPS certificate of <c>serve</c> (web UI, REST API, FHIR). Configuration section <c>Gateway:Https</c>:
/// <c>CertificatePath</c> (PKCS#12, or PEM with <c>KeyPath</c>) and <c>PasswordEnv</c> (the environment variable holding
/// the PKCS#12 or PEM key password, never the file). Without it, a self-signed certificate for localhost is generated
/// into <c>DATA/https</c> — fine on one machine, not for staff browsers on the network.
/// </summary>
internal static class ServeHttps
{
    public const string DefaultPasswordVariable = "SANTEGW_HTTPS_CERT_PASSWORD";

    /// <summary>The certificate to present, or an error naming the setting.</summary>
    public static (X509Certificate2? Certificate, string? Error) Load(IConfiguration cfg, string dataDirectory)
    {
        var section = cfg.GetSection("Gateway:Https");
        var path = section["CertificatePath"];
        if (string.IsNullOrWhiteSpace(path))
        {
            return (DevelopmentCertificate.LoadOrCreate(dataDirectory), null);
        }

        if (!File.Exists(path))
        {
            return (null, $"Gateway:Https:CertificatePath: file not found: {path}");
        }

        var variable = section["PasswordEnv"] ?? DefaultPasswordVariable;
        var password = Environment.GetEnvironmentVariable(variable);
        var keyPath = section["KeyPath"];
        X509Certificate2 certificate;
        try
        {
            if (!string.IsNullOrWhiteSpace(keyPath))
            {
                if (!File.Exists(keyPath))
                {
                    return (null, $"Gateway:Https:KeyPath: file not found: {keyPath}");
                }

                using var pem = string.IsNullOrEmpty(password)
                    ? X509Certificate2.CreateFromPemFile(path, keyPath)
                    : X509Certificate2.CreateFromEncryptedPemFile(path, password, keyPath);
                // Kestrel needs a certificate whose key it can use on every platform: round-trip through PKCS#12.
                certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            }
            else
            {
                certificate = X509CertificateLoader.LoadPkcs12FromFile(path, password);
            }
        }
        catch (System.Security.Cryptography.CryptographicException ex)
        {
            return (null, $"Gateway:Https:CertificatePath: cannot read {path} ({ex.Message}); the password is read from ${variable}");
        }

        if (!certificate.HasPrivateKey)
        {
            certificate.Dispose();
            return (null, $"Gateway:Https:CertificatePath: {path} holds no private key (give the PKCS#12 file, or the PEM key in Gateway:Https:KeyPath)");
        }

        if (certificate.NotAfter.ToUniversalTime() <= DateTime.UtcNow)
        {
            var end = certificate.NotAfter.ToUniversalTime();
            certificate.Dispose();
            return (null, $"Gateway:Https:CertificatePath: the certificate expired on {end:yyyy-MM-dd}");
        }

        return (certificate, null);
    }
}
