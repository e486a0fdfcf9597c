using System.Formats.Asn1;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace SanteGateway.Cli;

/// <summary>
/// An RSA key pair generated on a PKCS#11 token (HSM, smart card; SoftHSM2 in tests) for <c>santegw cert request</c>:
/// the private key is created sensitive and non-extractable, so it never exists outside the token; the PKCS#10 request is
/// signed on the token (<c>CKM_SHA256_RSA_PKCS</c>).
/// </summary>
internal sealed class Pkcs11KeyPair : IDisposable
{
    private static readonly Pkcs11InteropFactories Factories = new();
    private readonly IPkcs11Library library;
    private readonly ISession session;
    private readonly IObjectHandle privateKey;

    static Pkcs11KeyPair()
    {
        // Pkcs11Interop opens the module through "libdl"; glibc ≥ 2.34 ships only libdl.so.2 (no development symlink).
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(Pkcs11InteropFactories).Assembly, ResolveLibdl);
        }
        catch (InvalidOperationException)
        {
            // Another part of the process (the CPx provider) installed the same resolver already.
        }
    }

    private Pkcs11KeyPair(IPkcs11Library library, ISession session, IObjectHandle privateKey, RSAParameters publicKey, string tokenLabel)
    {
        this.library = library;
        this.session = session;
        this.privateKey = privateKey;
        PublicKey = publicKey;
        TokenLabel = tokenLabel;
    }

    /// <summary>Modulus and exponent read back from the token.</summary>
    public RSAParameters PublicKey { get; }

    /// <summary>Label of the token holding the key.</summary>
    public string TokenLabel { get; }

    /// <summary>Generates a key pair on the token, refusing to reuse a label already present there.</summary>
    /// <param name="module">PKCS#11 module (shared library).</param>
    /// <param name="tokenLabel">Token label; null = the only token present.</param>
    /// <param name="pin">User PIN.</param>
    /// <param name="keyLabel">CKA_LABEL of both keys (and CKA_ID derived from it).</param>
    /// <param name="keySize">RSA modulus size.</param>
    /// <returns>The key pair, with its session open until disposed.</returns>
    /// <exception cref="InvalidOperationException">No such token, several tokens without a label, label taken, or a token error (the message says which).</exception>
    public static Pkcs11KeyPair Generate(string module, string? tokenLabel, string pin, string keyLabel, int keySize)
    {
        IPkcs11Library? library = null;
        ISession? session = null;
        try
        {
            (library, session, var token) = OpenSession(module, tokenLabel, pin);
            if (session.FindAllObjects([session.Factories.ObjectAttributeFactory.Create(CKA.CKA_LABEL, keyLabel)]).Count > 0)
            {
                throw new InvalidOperationException($"The token '{token}' already holds an object labelled '{keyLabel}': choose another --name (an existing key is never replaced).");
            }

            var attributes = session.Factories.ObjectAttributeFactory;
            var id = SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(keyLabel))[..16];
            List<IObjectAttribute> publicTemplate =
            [
                attributes.Create(CKA.CKA_CLASS, CKO.CKO_PUBLIC_KEY),
                attributes.Create(CKA.CKA_KEY_TYPE, CKK.CKK_RSA),
                attributes.Create(CKA.CKA_TOKEN, true),
                attributes.Create(CKA.CKA_PRIVATE, false),
                attributes.Create(CKA.CKA_LABEL, keyLabel),
                attributes.Create(CKA.CKA_ID, id),
                attributes.Create(CKA.CKA_VERIFY, true),
                attributes.Create(CKA.CKA_ENCRYPT, true),
                attributes.Create(CKA.CKA_MODULUS_BITS, (ulong)keySize),
                attributes.Create(CKA.CKA_PUBLIC_EXPONENT, new byte[] { 0x01, 0x00, 0x01 }),
            ];
            List<IObjectAttribute> privateTemplate =
            [
                attributes.Create(CKA.CKA_CLASS, CKO.CKO_PRIVATE_KEY),
                attributes.Create(CKA.CKA_KEY_TYPE, CKK.CKK_RSA),
                attributes.Create(CKA.CKA_TOKEN, true),
                attributes.Create(CKA.CKA_PRIVATE, true),
                attributes.Create(CKA.CKA_SENSITIVE, true),
                attributes.Create(CKA.CKA_EXTRACTABLE, false),
                attributes.Create(CKA.CKA_LABEL, keyLabel),
                attributes.Create(CKA.CKA_ID, id),
                attributes.Create(CKA.CKA_SIGN, true),
                attributes.Create(CKA.CKA_DECRYPT, true),
            ];
            using var mechanism = session.Factories.MechanismFactory.Create(CKM.CKM_RSA_PKCS_KEY_PAIR_GEN);
            session.GenerateKeyPair(mechanism, publicTemplate, privateTemplate, out var publicHandle, out var privateHandle);
            var values = session.GetAttributeValue(publicHandle, [CKA.CKA_MODULUS, CKA.CKA_PUBLIC_EXPONENT]);
            var parameters = new RSAParameters { Modulus = values[0].GetValueAsByteArray(), Exponent = values[1].GetValueAsByteArray() };
            return new Pkcs11KeyPair(library, session, privateHandle, parameters, token);
        }
        catch (Pkcs11Exception ex)
        {
            session?.Dispose();
            library?.Dispose();
            throw new InvalidOperationException($"PKCS#11: {ex.RV} ({ex.Method}).", ex);
        }
        catch
        {
            session?.Dispose();
            library?.Dispose();
            throw;
        }
    }

    /// <summary>Loads the module, finds the one token (by label when given) and opens a logged-in read-write session.</summary>
    /// <param name="module">PKCS#11 module (shared library).</param>
    /// <param name="tokenLabel">Token label; null = the only token present.</param>
    /// <param name="pin">User PIN.</param>
    /// <returns>The library and session (the caller disposes both) and the token's label.</returns>
    /// <exception cref="InvalidOperationException">No such token, or several tokens without a label.</exception>
    /// <exception cref="Pkcs11Exception">A token error (wrong PIN...).</exception>
    internal static (IPkcs11Library Library, ISession Session, string Token) OpenSession(string module, string? tokenLabel, string pin)
    {
        var library = Factories.Pkcs11LibraryFactory.LoadPkcs11Library(Factories, module, AppType.MultiThreaded);
        ISession? session = null;
        try
        {
            var slots = library.GetSlotList(SlotsType.WithTokenPresent)
                .Select(s => (Slot: s, Label: s.GetTokenInfo().Label.Trim()))
                .Where(s => tokenLabel is null || s.Label == tokenLabel)
                .ToList();
            if (slots.Count != 1)
            {
                throw new InvalidOperationException(slots.Count == 0
                    ? $"No PKCS#11 token{(tokenLabel is null ? "" : $" labelled '{tokenLabel}'")} is present in {module}."
                    : "Several tokens are present: name one with --token-label.");
            }

            session = slots[0].Slot.OpenSession(SessionType.ReadWrite);
            session.Login(CKU.CKU_USER, pin);
            return (library, session, slots[0].Label);
        }
        catch
        {
            session?.Dispose();
            library.Dispose();
            throw;
        }
    }

    /// <summary>The PKCS#10 request for <paramref name="subject"/> with <paramref name="extensions"/>, signed on the token.</summary>
    /// <param name="subject">Subject.</param>
    /// <param name="extensions">Requested extensions.</param>
    /// <returns>PEM.</returns>
    public string CreateSigningRequestPem(X500DistinguishedName subject, IEnumerable<X509Extension> extensions)
    {
        var generator = new TokenSignatureGenerator(this);
        var request = new CertificateRequest(subject, generator.PublicKey, HashAlgorithmName.SHA256);
        foreach (var e in extensions)
        {
            request.CertificateExtensions.Add(e);
        }

        var der = request.CreateSigningRequest(generator);
        return PemEncoding.WriteString("CERTIFICATE REQUEST", der);
    }

    /// <summary>Signs data on the token with SHA-256 and PKCS#1 v1.5.</summary>
    /// <param name="data">Data.</param>
    /// <returns>Signature.</returns>
    public byte[] SignSha256(byte[] data)
    {
        using var mechanism = session.Factories.MechanismFactory.Create(CKM.CKM_SHA256_RSA_PKCS);
        return session.Sign(mechanism, privateKey, data);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        try
        {
            session.Logout();
        }
        catch (Pkcs11Exception)
        {
            // Already logged out (token removed): nothing to undo.
        }

        session.Dispose();
        library.Dispose();
    }

    private static IntPtr ResolveLibdl(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name == "libdl" && OperatingSystem.IsLinux()
            && (NativeLibrary.TryLoad("libdl.so.2", assembly, path, out var handle) || NativeLibrary.TryLoad("libc.so.6", assembly, path, out handle)))
        {
            return handle;
        }

        return IntPtr.Zero;
    }

    /// <summary>sha256WithRSAEncryption computed on the token.</summary>
    private sealed class TokenSignatureGenerator(Pkcs11KeyPair key) : X509SignatureGenerator
    {
        public override byte[] GetSignatureAlgorithmIdentifier(HashAlgorithmName hashAlgorithm)
        {
            if (hashAlgorithm != HashAlgorithmName.SHA256)
            {
                throw new ArgumentOutOfRangeException(nameof(hashAlgorithm), "The token signs with SHA-256 only.");
            }

            var writer = new AsnWriter(AsnEncodingRules.DER);
            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier("1.2.840.113549.1.1.11");
                writer.WriteNull();
            }

            return writer.Encode();
        }

        public override byte[] SignData(byte[] data, HashAlgorithmName hashAlgorithm) =>
            hashAlgorithm == HashAlgorithmName.SHA256
                ? key.SignSha256(data)
                : throw new ArgumentOutOfRangeException(nameof(hashAlgorithm), "The token signs with SHA-256 only.");

        protected override PublicKey BuildPublicKey()
        {
            using var rsa = RSA.Create(key.PublicKey);
            return new PublicKey(rsa);
        }
    }
}
