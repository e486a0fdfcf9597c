using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace SanteGateway.Ror.Sandbox.Pki;

/// <summary>
/// A throw-away PKI standing in for IGC-Santé TEST: one CA, a server certificate (localhost / 127.0.0.1, serverAuth), an
/// ORG AUTH_CLI-like client certificate whose subject DN is registered in the sandbox (access profile 1), a second registered
/// one (profile 3) and one issued by the same CA but not registered (refused at the token endpoint). File names are fixed
/// and start with <c>ror-</c>, so the folder can be the one of the INSi sandbox PKI.
/// </summary>
public static class RorSandboxPki
{
    /// <summary>CA certificate, PEM (trust it in the client: <c>Ror:TrustedCaPaths</c>).</summary>
    public const string CaPemFile = "ror-ca.pem";

    /// <summary>Server certificate and key.</summary>
    public const string ServerP12File = "ror-server.p12";

    /// <summary>Client certificate registered with access profile 1.</summary>
    public const string ClientP12File = "ror-client.p12";

    /// <summary>Client certificate registered with access profile 3 (sensitive units hidden).</summary>
    public const string ClientProfile3P12File = "ror-client-p3.p12";

    /// <summary>Client certificate of the same CA whose subject DN is not registered.</summary>
    public const string UnregisteredP12File = "ror-unregistered.p12";

    /// <summary>Password file, written when the password is generated.</summary>
    public const string PasswordFile = "ror-password.txt";

    /// <summary>Subject DN of <see cref="ClientP12File"/> (the form ANS asks publishers to send).</summary>
    public const string ClientSubject = "CN=CLIENT_TEST_RORN, OU=33333333333, O=GIP - TEST3012, ST=Paris (75), C=FR";

    /// <summary>Subject DN of <see cref="ClientProfile3P12File"/>.</summary>
    public const string ClientProfile3Subject = "CN=CLIENT_TEST_RORN_P3, OU=33333333333, O=GIP - TEST3012, ST=Paris (75), C=FR";

    /// <summary>Subject DN of <see cref="UnregisteredP12File"/>.</summary>
    public const string UnregisteredSubject = "CN=CLIENT_UNKNOWN, OU=44444444444, O=GIP - TEST3012, ST=Paris (75), C=FR";

    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";

    /// <summary>Every certificate file written.</summary>
    public static IReadOnlyList<string> Files { get; } = [CaPemFile, ServerP12File, ClientP12File, ClientProfile3P12File, UnregisteredP12File];

    /// <summary>True when <paramref name="dir"/> holds a complete sandbox PKI.</summary>
    /// <param name="dir">Folder.</param>
    /// <returns>True when every file exists.</returns>
    public static bool Exists(string dir) => Files.All(f => File.Exists(Path.Combine(dir, f)));

    /// <summary>Creates the PKI in <paramref name="dir"/>.</summary>
    /// <param name="dir">Folder (created).</param>
    /// <param name="password">PKCS#12 password; generated and written to <see cref="PasswordFile"/> when null.</param>
    /// <param name="force">Overwrite existing files.</param>
    /// <returns>The password in use.</returns>
    /// <exception cref="IOException">A file exists and <paramref name="force"/> is false.</exception>
    public static string Create(string dir, string? password, bool force)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dir);
        Directory.CreateDirectory(dir);
        if (!force && Files.Any(f => File.Exists(Path.Combine(dir, f))))
        {
            throw new IOException($"The folder {dir} already holds a ROR sandbox PKI; use --force to overwrite it.");
        }

        var generated = string.IsNullOrEmpty(password);
        var pwd = generated ? RandomNumberGenerator.GetString("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789", 24) : password!;
        var now = DateTimeOffset.UtcNow;
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=TEST AC IGC-SANTE ROR SANDBOX, OU=IGC-SANTE TEST, O=SANTEGATEWAY SANDBOX, C=FR", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddYears(10));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal)
        {
            [CaPemFile] = Encoding.ASCII.GetBytes(ca.ExportCertificatePem() + "\n"),
            [ServerP12File] = Issue(ca, "CN=localhost, OU=ROR SANDBOX, O=SANTEGATEWAY SANDBOX, C=FR", ServerAuthOid, san.Build(), now, pwd),
            [ClientP12File] = Issue(ca, ClientSubject, ClientAuthOid, null, now, pwd),
            [ClientProfile3P12File] = Issue(ca, ClientProfile3Subject, ClientAuthOid, null, now, pwd),
            [UnregisteredP12File] = Issue(ca, UnregisteredSubject, ClientAuthOid, null, now, pwd),
        };
        if (generated)
        {
            files[PasswordFile] = Encoding.UTF8.GetBytes(pwd + "\n");
        }

        foreach (var (name, bytes) in files)
        {
            var path = Path.Combine(dir, name);
            var temp = path + ".tmp";
            File.WriteAllBytes(temp, bytes);
            if (!OperatingSystem.IsWindows() && name != CaPemFile)
            {
                File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            File.Move(temp, path, overwrite: true);
        }

        return pwd;
    }

    /// <summary>Reads the generated password.</summary>
    /// <param name="dir">Folder.</param>
    /// <returns>The password.</returns>
    public static string ReadPassword(string dir) => File.ReadAllText(Path.Combine(dir, PasswordFile)).TrimEnd('\r', '\n');

    /// <summary>Loads one PKCS#12 file of the PKI.</summary>
    /// <param name="dir">Folder.</param>
    /// <param name="file">File name.</param>
    /// <param name="password">Password.</param>
    /// <returns>The certificate with its key.</returns>
    public static X509Certificate2 Load(string dir, string file, string password) =>
        X509CertificateLoader.LoadPkcs12FromFile(Path.Combine(dir, file), password,
            OperatingSystem.IsWindows() ? X509KeyStorageFlags.DefaultKeySet : X509KeyStorageFlags.EphemeralKeySet);

    /// <summary>Loads the CA certificate.</summary>
    /// <param name="dir">Folder.</param>
    /// <returns>The CA.</returns>
    public static X509Certificate2 LoadCa(string dir) => X509CertificateLoader.LoadCertificateFromFile(Path.Combine(dir, CaPemFile));

    private static byte[] Issue(X509Certificate2 ca, string subject, string eku, X509Extension? san, DateTimeOffset now, string password)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(eku)], false));
        if (san is not null)
        {
            request.CertificateExtensions.Add(san);
        }

        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var issued = request.Create(ca, now.AddDays(-1), now.AddYears(2), serial);
        using var withKey = issued.CopyWithPrivateKey(key);
        var collection = new X509Certificate2Collection(withKey) { X509CertificateLoader.LoadCertificate(ca.RawData) };
        return collection.ExportPkcs12(new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 100_000), password);
    }
}
