using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace SanteGateway.Insi.Sandbox.Pki;

/// <summary>
/// A throw-away local PKI standing in for IGC-Santé: one CA, a server certificate for 127.0.0.1/localhost,
/// the two INSi client certificates (<c>INSI-AUTO</c>, <c>INSI-MANU</c>), a client certificate with a wrong CN
/// (<c>OTHER</c>) and a CPS-like signing certificate for CPx (PS assertion) tests.
/// </summary>
/// <remarks>
/// File names are fixed (see the constants) so that every tool (the sandbox, the INSi client, node-soap, curl) finds them.
/// PKCS#12 files use PBES2 AES-256/SHA-256 so that OpenSSL 3 loads them without its legacy provider.
/// </remarks>
public static class TestPki
{
    /// <summary>The CA certificate, PEM.</summary>
    public const string CaPemFile = "ca.pem";

    /// <summary>The CA certificate, DER.</summary>
    public const string CaDerFile = "ca.cer";

    /// <summary>The CA key pair, PKCS#12 (kept so a PKI can be extended; same password as the others).</summary>
    public const string CaP12File = "ca.p12";

    /// <summary>The server certificate and key (SAN DNS localhost + IP 127.0.0.1, serverAuth).</summary>
    public const string ServerP12File = "server.p12";

    /// <summary>Client certificate accepted by the sandbox for automated calls (CN INSI-AUTO).</summary>
    public const string InsiAutoP12File = "INSI-AUTO.p12";

    /// <summary>Client certificate accepted by the sandbox for user-triggered calls (CN INSI-MANU).</summary>
    public const string InsiManuP12File = "INSI-MANU.p12";

    /// <summary>Client certificate issued by the CA but with a CN the INSi service refuses (CN OTHER → DESIR_560).</summary>
    public const string OtherP12File = "OTHER.p12";

    /// <summary>CPS-like signing certificate (PS identifier as CN) used to sign PS assertions for the CPx listener.</summary>
    public const string CpsP12File = "CPS.p12";

    /// <summary>OID of the GIP-CPS card-type extension that <see cref="CpsP12File"/> carries (value 0: CPS, a nominative card).</summary>
    public const string CpsCardTypeExtensionOid = "1.2.250.1.71.1.2.2";

    /// <summary>The generated password, written only when no password was supplied.</summary>
    public const string PasswordFile = "password.txt";

    /// <summary>Structure identifier (certificate OU, INSi <c>Emetteur</c>) of the sandbox client certificates.</summary>
    public const string StructureId = "10B0000001";

    /// <summary>PS identifier (CN of <see cref="CpsP12File"/>, assertion NameID).</summary>
    public const string PsIdentifier = "899700000001";

    /// <summary>Organisation name in every sandbox certificate subject.</summary>
    public const string Organisation = "SANTEGATEWAY SANDBOX";

    /// <summary>CN of the sandbox CA.</summary>
    public const string CaCommonName = "TEST AC SANTEGATEWAY SANDBOX";

    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";

    /// <summary>Every file <see cref="Create"/> writes (besides <see cref="PasswordFile"/>).</summary>
    public static IReadOnlyList<string> Files { get; } =
        [CaPemFile, CaDerFile, CaP12File, ServerP12File, InsiAutoP12File, InsiManuP12File, OtherP12File, CpsP12File];

    /// <summary>
    /// Creates the PKI in <paramref name="dir"/> (created if missing).
    /// </summary>
    /// <param name="dir">Target folder.</param>
    /// <param name="password">Password of every PKCS#12 file; when null or empty a random one is generated and written
    /// to <see cref="PasswordFile"/> with owner-only permissions.</param>
    /// <param name="force">Overwrite existing PKI files; without it an existing file makes the call fail before anything is written.</param>
    /// <returns>What was written, including the password in use.</returns>
    /// <exception cref="IOException">A PKI file already exists and <paramref name="force"/> is false.</exception>
    public static TestPkiResult Create(string dir, string? password, bool force)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dir);
        Directory.CreateDirectory(dir);
        var generated = string.IsNullOrEmpty(password);
        var targets = generated ? [.. Files, PasswordFile] : Files;
        if (!force)
        {
            var existing = targets.Where(f => File.Exists(Path.Combine(dir, f))).ToList();
            if (existing.Count > 0)
            {
                throw new IOException(
                    $"The folder {dir} already holds a PKI ({string.Join(", ", existing)}); use --force (force: true) to overwrite it.");
            }
        }

        var pwd = generated ? GeneratePassword() : password!;
        var now = DateTimeOffset.UtcNow;
        var notBefore = now.AddDays(-1);

        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest(
            Dn(("2.5.4.6", "FR"), ("2.5.4.10", Organisation), ("2.5.4.11", "IGC-SANTE SANDBOX"), ("2.5.4.3", CaCommonName)),
            caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var ca = caRequest.CreateSelfSigned(notBefore, now.AddYears(10));

        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal)
        {
            [CaPemFile] = Encoding.ASCII.GetBytes(ca.ExportCertificatePem() + "\n"),
            [CaDerFile] = ca.Export(X509ContentType.Cert),
            [CaP12File] = ExportP12(ca, pwd),
        };

        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        files[ServerP12File] = Issue(ca, Dn(("2.5.4.6", "FR"), ("2.5.4.10", Organisation), ("2.5.4.11", StructureId), ("2.5.4.3", "localhost")), ServerAuthOid, san.Build(), notBefore, now.AddYears(2), pwd);
        files[InsiAutoP12File] = Issue(ca, ClientSubject("INSI-AUTO"), ClientAuthOid, null, notBefore, now.AddYears(2), pwd);
        files[InsiManuP12File] = Issue(ca, ClientSubject("INSI-MANU"), ClientAuthOid, null, notBefore, now.AddYears(2), pwd);
        files[OtherP12File] = Issue(ca, ClientSubject("OTHER"), ClientAuthOid, null, notBefore, now.AddYears(2), pwd);
        files[CpsP12File] = Issue(ca, Dn(("2.5.4.6", "FR"), ("2.5.4.10", Organisation), ("2.5.4.12", "Medecin"), ("2.5.4.4", "SANDBOX"), ("2.5.4.42", "PS"), ("2.5.4.3", PsIdentifier)), null, null, notBefore, now.AddYears(2), pwd,
            // A real nominative CPS carries the GIP-CPS card-type extension (1.2.250.1.71.1.2.2, 0 = CPS): without it the
            // card would be taken for a non-nominative one and refused before any INSi call.
            new X509Extension(CpsCardTypeExtensionOid, [0x02, 0x01, 0x00], false));

        // Write everything only once every certificate exists, so a failure leaves no half-made PKI.
        foreach (var (name, bytes) in files)
        {
            WriteAtomically(Path.Combine(dir, name), bytes, privateFile: name.EndsWith(".p12", StringComparison.Ordinal));
        }

        string? passwordPath = null;
        if (generated)
        {
            passwordPath = Path.Combine(dir, PasswordFile);
            WriteAtomically(passwordPath, Encoding.UTF8.GetBytes(pwd + "\n"), privateFile: true);
        }

        return new TestPkiResult(Path.GetFullPath(dir), pwd, passwordPath, files.Keys.Order(StringComparer.Ordinal).ToList());
    }

    /// <summary>Reads the password written by <see cref="Create"/> when it generated one (trailing newline removed).</summary>
    public static string ReadPasswordFile(string dir) => File.ReadAllText(Path.Combine(dir, PasswordFile)).TrimEnd('\r', '\n');

    /// <summary>Loads one PKCS#12 file of the PKI (with its private key, ephemeral key set on Linux).</summary>
    public static X509Certificate2 LoadP12(string dir, string fileName, string password) =>
        X509CertificateLoader.LoadPkcs12FromFile(Path.Combine(dir, fileName), password,
            OperatingSystem.IsWindows() ? X509KeyStorageFlags.DefaultKeySet : X509KeyStorageFlags.EphemeralKeySet);

    /// <summary>Loads the CA certificate (no key) of the PKI.</summary>
    public static X509Certificate2 LoadCa(string dir) => X509CertificateLoader.LoadCertificateFromFile(Path.Combine(dir, CaDerFile));

    private static X500DistinguishedName ClientSubject(string cn) =>
        Dn(("2.5.4.6", "FR"), ("2.5.4.10", Organisation), ("2.5.4.11", StructureId), ("2.5.4.3", cn));

    /// <summary>Builds a DN whose RDNs are encoded in the given order (C first, CN last), as IGC-Santé certificates are.</summary>
    private static X500DistinguishedName Dn(params (string Oid, string Value)[] rdns)
    {
        // The builder encodes the last-added RDN first (like the string form), hence the reversal.
        var builder = new X500DistinguishedNameBuilder();
        foreach (var (oid, value) in rdns.Reverse())
        {
            builder.Add(oid, value, oid == "2.5.4.6" ? System.Formats.Asn1.UniversalTagNumber.PrintableString : null);
        }

        return builder.Build();
    }

    private static byte[] Issue(X509Certificate2 ca, X500DistinguishedName subject, string? ekuOid, X509Extension? san,
        DateTimeOffset notBefore, DateTimeOffset notAfter, string password, X509Extension? extra = null)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            ekuOid is null
                ? X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation
                : X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment,
            true));
        if (ekuOid is not null)
        {
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ekuOid)], false));
        }

        if (san is not null)
        {
            request.CertificateExtensions.Add(san);
        }

        if (extra is not null)
        {
            request.CertificateExtensions.Add(extra);
        }

        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var issued = request.Create(ca, notBefore, notAfter, serial);
        using var withKey = issued.CopyWithPrivateKey(key);
        return ExportP12(withKey, password, ca);
    }

    private static byte[] ExportP12(X509Certificate2 cert, string password, X509Certificate2? issuer = null)
    {
        // Pkcs12Builder would allow finer control; the collection export with PBES2 parameters is enough and keeps the chain.
        var collection = new X509Certificate2Collection(cert);
        if (issuer is not null)
        {
            collection.Add(X509CertificateLoader.LoadCertificate(issuer.RawData));
        }

        var pbe = new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 100_000);
        return collection.ExportPkcs12(pbe, password);
    }

    private static string GeneratePassword()
    {
        // 24 characters from an unambiguous alphabet: ~140 bits, easy to paste into an environment variable.
        const string alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
        return RandomNumberGenerator.GetString(alphabet, 24);
    }

    private static void WriteAtomically(string path, byte[] bytes, bool privateFile)
    {
        var temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            if (privateFile && !OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            stream.Write(bytes);
        }

        File.Move(temp, path, overwrite: true);
    }
}

/// <summary>Outcome of <see cref="TestPki.Create"/>.</summary>
/// <param name="Directory">Absolute folder of the PKI.</param>
/// <param name="Password">Password of every PKCS#12 file.</param>
/// <param name="PasswordFile">Path of the written password file, or null when the password was supplied.</param>
/// <param name="Files">Names of the certificate files written.</param>
public sealed record TestPkiResult(string Directory, string Password, string? PasswordFile, IReadOnlyList<string> Files);
