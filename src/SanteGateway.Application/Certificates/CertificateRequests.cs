using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace SanteGateway.Application;

/// <summary>
/// What an establishment orders from the IGC-Santé for one software certificate: the use decides the CN (exactly
/// <c>INSI-AUTO</c> / <c>INSI-MANU</c> for INSi, else the application name the establishment chooses), the structure
/// identifier goes into OU (type prefix + number, read back by the gateway as the INSi <c>Emetteur</c>), the legal name into O.
/// </summary>
/// <param name="Use">What the certificate is for.</param>
/// <param name="Organization">Establishment name as registered (subject O), e.g. <c>CENTRE DE SANTE RPPS15287</c>.</param>
/// <param name="StructureId">Structure identifier with its type prefix (subject OU): <c>1</c>+FINESS, <c>3</c>+SIRET, <c>4</c>+RPPS rank; see <see cref="CertificateRequests.StructureIdFromFiness"/>.</param>
/// <param name="CommonName">CN for <see cref="CertificateUse.OrganisationClient"/> (application or instance name); ignored for INSi (fixed CN).</param>
/// <param name="State">Subject ST as on the ordering form, e.g. <c>Rhône (69)</c>; optional.</param>
/// <param name="DnsNames">DNS names for a server certificate (subjectAltName and the serverAuth purpose are then requested too).</param>
/// <param name="KeySize">RSA key size: 2048 (IGC-Santé software certificates), 3072 or 4096.</param>
public sealed record CertificateRequestSpec(
    CertificateUse Use,
    string Organization,
    string StructureId,
    string? CommonName = null,
    string? State = null,
    IReadOnlyList<string>? DnsNames = null,
    int KeySize = 2048);

/// <summary>A generated request: the PKCS#10 to hand to the IGC-Santé and the private key, encrypted with the passphrase.</summary>
/// <param name="Subject">The subject requested, CN first (as certificate viewers show it).</param>
/// <param name="SigningRequestPem">PKCS#10 request, PEM (<c>CERTIFICATE REQUEST</c>).</param>
/// <param name="EncryptedKeyPem">Private key, encrypted PKCS#8 PEM (AES-256-CBC, PBKDF2-SHA256).</param>
public sealed record GeneratedCertificateRequest(string Subject, string SigningRequestPem, string EncryptedKeyPem);

/// <summary>
/// <c>santegw cert request</c> / <c>cert install</c>: builds the PKCS#10 request and its encrypted private key with the
/// subject fields the IGC-Santé ordering form needs, then pairs the certificate the IGC-Santé returns with that key into
/// a password-protected PKCS#12 the gateway loads (and the checker checks). The key never leaves its encrypted form on disk.
/// </summary>
public static class CertificateRequests
{
    /// <summary>PBKDF2 iterations for the encrypted private key.</summary>
    public const int KeyIterations = 100_000;

    /// <summary>
    /// The structure identifier of an establishment known by its FINESS: <c>1</c> followed by the 9-character FINESS
    /// (the form seen in live INSi certificates, e.g. OU <c>10B0152872</c>, insi.md §4.1).
    /// </summary>
    /// <param name="finess">FINESS number (9 characters, digits and the Corsican <c>A</c>/<c>B</c>).</param>
    /// <returns>The structure id.</returns>
    /// <exception cref="ArgumentException">Not a FINESS number (the message names the rule).</exception>
    public static string StructureIdFromFiness(string finess)
    {
        var f = (finess ?? "").Trim().ToUpperInvariant();
        if (!IsFiness(f))
        {
            throw new ArgumentException($"finess: '{finess}' is not a FINESS number (9 characters: digits, 2A/2B for Corsica, 0B… for test structures).", nameof(finess));
        }

        return "1" + f;
    }

    /// <summary>True for 9 characters of digits and at most one letter A or B at position 2 (Corsica, test numbers).</summary>
    /// <param name="finess">Candidate.</param>
    /// <returns>Whether it has the form of a FINESS number.</returns>
    public static bool IsFiness(string? finess)
    {
        if (finess is not { Length: 9 })
        {
            return false;
        }

        for (var i = 0; i < 9; i++)
        {
            var c = finess[i];
            if (!char.IsAsciiDigit(c) && !(i == 1 && c is 'A' or 'B'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The structure id for a SIRET: <c>3</c> followed by the 14 digits.</summary>
    /// <param name="siret">SIRET.</param>
    /// <returns>The structure id.</returns>
    /// <exception cref="ArgumentException">Not 14 digits.</exception>
    public static string StructureIdFromSiret(string siret)
    {
        var s = (siret ?? "").Replace(" ", "", StringComparison.Ordinal);
        if (s.Length != 14 || !s.All(char.IsAsciiDigit))
        {
            throw new ArgumentException($"siret: '{siret}' is not a SIRET (14 digits).", nameof(siret));
        }

        return "3" + s;
    }

    /// <summary>Every problem of <paramref name="spec"/>, each as <c>field: rule</c>; empty when it can be requested.</summary>
    /// <param name="spec">The request.</param>
    /// <returns>Problems.</returns>
    public static IReadOnlyList<string> Validate(CertificateRequestSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var errors = new List<string>();
        if (spec.Use == CertificateUse.Unknown)
        {
            errors.Add("use: expected insi-auto, insi-manu or org.");
        }

        if (string.IsNullOrWhiteSpace(spec.Organization))
        {
            errors.Add("organisation: the establishment name (subject O) is required.");
        }
        else if (spec.Organization.Length > 64)
        {
            errors.Add("organisation: at most 64 characters (X.520 upper bound of O).");
        }

        if (string.IsNullOrWhiteSpace(spec.StructureId))
        {
            errors.Add("structure-id: the structure identifier (subject OU: 1+FINESS, 3+SIRET, 4+RPPS rank) is required.");
        }
        else if (spec.StructureId.Length < 2 || spec.StructureId[0] is not ('0' or '1' or '2' or '3' or '4' or '5') || !spec.StructureId.All(char.IsAsciiLetterOrDigit))
        {
            errors.Add($"structure-id: '{spec.StructureId}' must be a type digit (1 FINESS, 3 SIRET, 4 RPPS rank…) followed by the number, letters and digits only.");
        }

        if (spec.Use == CertificateUse.OrganisationClient && string.IsNullOrWhiteSpace(spec.CommonName))
        {
            errors.Add("cn: an ORG AUTH_CLI certificate (ROR, DMP) needs the application name as CN.");
        }

        if (spec.CommonName is { Length: > 64 })
        {
            errors.Add("cn: at most 64 characters.");
        }

        if (spec.KeySize is not (2048 or 3072 or 4096))
        {
            errors.Add($"key-size: {spec.KeySize} is not 2048, 3072 or 4096.");
        }

        foreach (var dns in spec.DnsNames ?? [])
        {
            if (Uri.CheckHostName(dns) != UriHostNameType.Dns)
            {
                errors.Add($"dns: '{dns}' is not a DNS name.");
            }
        }

        return errors;
    }

    /// <summary>The CN the request carries for <paramref name="spec"/>.</summary>
    /// <param name="spec">The request.</param>
    /// <returns><c>INSI-AUTO</c>, <c>INSI-MANU</c> or the given CN.</returns>
    public static string CommonNameFor(CertificateRequestSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.Use switch
        {
            CertificateUse.InsiAutomatic => "INSI-AUTO",
            CertificateUse.InsiManual => "INSI-MANU",
            _ => spec.CommonName!.Trim(),
        };
    }

    /// <summary>The subject: C=FR, ST (when given), O, OU, CN, encoded in that order as IGC-Santé certificates are (shown CN first).</summary>
    /// <param name="spec">The request.</param>
    /// <returns>The distinguished name.</returns>
    public static X500DistinguishedName Subject(CertificateRequestSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        // The builder encodes the last-added RDN first: add from CN down to C.
        var b = new X500DistinguishedNameBuilder();
        b.AddCommonName(CommonNameFor(spec));
        b.AddOrganizationalUnitName(spec.StructureId.Trim());
        b.AddOrganizationName(spec.Organization.Trim());
        if (!string.IsNullOrWhiteSpace(spec.State))
        {
            b.AddStateOrProvinceName(spec.State.Trim());
        }

        b.AddCountryOrRegion("FR");
        return b.Build();
    }

    /// <summary>
    /// The extensions a request asks for: key usage, clientAuth (and serverAuth with the DNS names when given). The CA
    /// decides what it issues; asking for them makes the purpose explicit to the operator reading the request.
    /// </summary>
    /// <param name="spec">The request.</param>
    /// <returns>The extensions.</returns>
    public static IReadOnlyList<X509Extension> RequestedExtensions(CertificateRequestSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var list = new List<X509Extension> { new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true) };
        var ekus = new OidCollection { new(CertificateChecker.ClientAuthOid) };
        if (spec.DnsNames is { Count: > 0 } names)
        {
            ekus.Add(new Oid("1.3.6.1.5.5.7.3.1"));
            var san = new SubjectAlternativeNameBuilder();
            foreach (var n in names)
            {
                san.AddDnsName(n);
            }

            list.Add(san.Build());
        }

        list.Add(new X509EnhancedKeyUsageExtension(ekus, false));
        return list;
    }

    /// <summary>Generates the key pair and the PKCS#10 request.</summary>
    /// <param name="spec">The request (validated: invalid fields throw).</param>
    /// <param name="passphrase">Passphrase encrypting the private key (at least 8 characters).</param>
    /// <returns>The request and the encrypted key.</returns>
    /// <exception cref="ArgumentException">A field breaks a rule (the message lists each one) or the passphrase is too short.</exception>
    public static GeneratedCertificateRequest Create(CertificateRequestSpec spec, string passphrase)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var errors = Validate(spec);
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", errors), nameof(spec));
        }

        if (string.IsNullOrEmpty(passphrase) || passphrase.Length < 8)
        {
            throw new ArgumentException("passphrase: at least 8 characters; the private key is never written unencrypted.", nameof(passphrase));
        }

        using var key = RSA.Create(spec.KeySize);
        var subject = Subject(spec);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        foreach (var e in RequestedExtensions(spec))
        {
            request.CertificateExtensions.Add(e);
        }

        var csr = request.CreateSigningRequestPem();
        var keyPem = key.ExportEncryptedPkcs8PrivateKeyPem(passphrase.AsSpan(), new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, KeyIterations));
        return new GeneratedCertificateRequest(subject.Format(multiLine: false), csr, keyPem);
    }

    /// <summary>
    /// Pairs the certificate returned by the IGC-Santé with the private key of its request and exports a PKCS#12 holding
    /// the key, the certificate and the chain given.
    /// </summary>
    /// <param name="certificatePath">Returned certificate: PEM (possibly with its chain) or DER.</param>
    /// <param name="keyPem">Encrypted PKCS#8 PEM written by <see cref="Create"/>.</param>
    /// <param name="passphrase">Its passphrase.</param>
    /// <param name="chain">CA certificates to ship in the PKCS#12 (intermediates), optional.</param>
    /// <param name="pkcs12Password">Password of the PKCS#12.</param>
    /// <returns>The certificate with its key (caller disposes) and the PKCS#12 bytes.</returns>
    /// <exception cref="CryptographicException">Wrong passphrase, unreadable file, or no certificate of the file matches the key.</exception>
    public static (X509Certificate2 Certificate, byte[] Pkcs12) Pair(string certificatePath, string keyPem, string passphrase, X509Certificate2Collection? chain, string pkcs12Password)
    {
        ArgumentException.ThrowIfNullOrEmpty(certificatePath);
        ArgumentNullException.ThrowIfNull(keyPem);
        var bytes = File.ReadAllBytes(certificatePath);
        var found = new X509Certificate2Collection();
        if (bytes.Length > 0 && bytes[0] == (byte)'-')
        {
            found.ImportFromPem(Encoding.ASCII.GetString(bytes));
        }
        else
        {
            found.Add(X509CertificateLoader.LoadCertificate(bytes));
        }

        using var key = RSA.Create();
        try
        {
            key.ImportFromEncryptedPem(keyPem, passphrase);
        }
        catch (ArgumentException ex)
        {
            throw new CryptographicException("The key file is not an encrypted PKCS#8 PEM private key.", ex);
        }

        var spki = key.ExportSubjectPublicKeyInfo();
        var leaf = found.FirstOrDefault(c => c.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(spki))
            ?? throw new CryptographicException(
                $"Aucun certificat de {Path.GetFileName(certificatePath)} ne correspond à la clé privée (émis pour une autre demande ?) / No certificate of {Path.GetFileName(certificatePath)} matches the private key (was it issued for another request?): {string.Join("; ", found.Select(c => c.Subject))}.");
        using var withKey = leaf.CopyWithPrivateKey(key);
        var export = new X509Certificate2Collection { withKey };
        foreach (var c in found)
        {
            if (!ReferenceEquals(c, leaf))
            {
                export.Add(c);
            }
        }

        if (chain is not null)
        {
            foreach (var c in chain)
            {
                if (export.Find(X509FindType.FindByThumbprint, c.Thumbprint, false).Count == 0)
                {
                    export.Add(c);
                }
            }
        }

        var p12 = export.ExportPkcs12(new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 2000), pkcs12Password);
        var flags = OperatingSystem.IsMacOS() ? X509KeyStorageFlags.DefaultKeySet : X509KeyStorageFlags.EphemeralKeySet;
        return (X509CertificateLoader.LoadPkcs12(p12, pkcs12Password, flags), p12);
    }

    /// <summary>Writes <paramref name="content"/> to a new file readable by its owner only (never overwrites).</summary>
    /// <param name="path">File to create.</param>
    /// <param name="content">Bytes.</param>
    /// <exception cref="IOException">The file exists.</exception>
    public static void WritePrivateFile(string path, ReadOnlySpan<byte> content)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, options);
        stream.Write(content);
    }
}
