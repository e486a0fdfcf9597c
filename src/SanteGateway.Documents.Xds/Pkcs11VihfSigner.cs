using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography.X509Certificates;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace SanteGateway.Documents.Xds;

/// <summary>Where the professional's card (CPS/CPE) is: PKCS#11 module, token, PIN, key label.</summary>
public sealed class Pkcs11VihfCardOptions
{
    /// <summary>Path of the PKCS#11 module (e.g. the CPS middleware's <c>libcps3_pkcs11_lux.so</c>, or SoftHSM2 in tests).</summary>
    public string ModulePath { get; set; } = string.Empty;

    /// <summary>Label of the token (card); null: the first token present.</summary>
    public string? TokenLabel { get; set; }

    /// <summary>PIN of the card (from a secret store, never from a file in the repository).</summary>
    public string Pin { get; set; } = string.Empty;

    /// <summary>Label of the signature certificate and key; null: the first certificate on the token.</summary>
    public string? KeyLabel { get; set; }
}

/// <summary>
/// Direct VIHF mode: the assertion is signed on the professional's card through PKCS#11 (<c>CKM_SHA256_RSA_PKCS</c>);
/// the private key never leaves the token. Hand <see cref="Certificate"/> and <see cref="Sign"/> to
/// <see cref="XdsClient"/> (<c>signingCertificate</c>, <c>sign</c>) with <see cref="VihfOptions.Mode"/> =
/// <see cref="VihfMode.Direct"/>. One session is kept open and logged in; calls are serialised (a card signs one
/// thing at a time).
/// </summary>
public sealed class Pkcs11VihfSigner : IDisposable
{
    private readonly Lock gate = new();
    private readonly IPkcs11Library library;
    private readonly ISession session;
    private readonly IObjectHandle key;
    private readonly IMechanism mechanism;

    static Pkcs11VihfSigner()
    {
        // Pkcs11Interop loads "libdl"; glibc ≥ 2.34 systems only ship libdl.so.2 (no dev symlink).
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(Pkcs11InteropFactories).Assembly, ResolveLibdl);
        }
        catch (InvalidOperationException)
        {
            // A resolver is already installed for Pkcs11Interop (the INSi CPS provider installs the same one).
        }
    }

    /// <summary>Opens the token, logs in and finds the signature certificate and its key.</summary>
    /// <param name="options">The card.</param>
    /// <exception cref="InvalidOperationException">No token, certificate or key.</exception>
    /// <exception cref="Pkcs11Exception">The module refused (wrong PIN, card removed…).</exception>
    public Pkcs11VihfSigner(Pkcs11VihfCardOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var factories = new Pkcs11InteropFactories();
        library = factories.Pkcs11LibraryFactory.LoadPkcs11Library(factories, options.ModulePath, AppType.MultiThreaded);
        try
        {
            var slot = library.GetSlotList(SlotsType.WithTokenPresent)
                .FirstOrDefault(s => options.TokenLabel is null || s.GetTokenInfo().Label.Trim() == options.TokenLabel)
                ?? throw new InvalidOperationException("No PKCS#11 token (card) matching the configured label is present.");
            session = slot.OpenSession(SessionType.ReadOnly);
            session.Login(CKU.CKU_USER, options.Pin);
            var template = new List<IObjectAttribute> { factories.ObjectAttributeFactory.Create(CKA.CKA_CLASS, CKO.CKO_CERTIFICATE) };
            if (options.KeyLabel is not null)
            {
                template.Add(factories.ObjectAttributeFactory.Create(CKA.CKA_LABEL, options.KeyLabel));
            }

            var certificateObject = session.FindAllObjects(template).FirstOrDefault()
                ?? throw new InvalidOperationException("No signature certificate found on the token.");
            var attributes = session.GetAttributeValue(certificateObject, [CKA.CKA_VALUE, CKA.CKA_ID]);
            Certificate = X509CertificateLoader.LoadCertificate(attributes[0].GetValueAsByteArray());
            key = session.FindAllObjects(
                [
                    factories.ObjectAttributeFactory.Create(CKA.CKA_CLASS, CKO.CKO_PRIVATE_KEY),
                    factories.ObjectAttributeFactory.Create(CKA.CKA_ID, attributes[1].GetValueAsByteArray()),
                ]).FirstOrDefault()
                ?? throw new InvalidOperationException("No private key matching the signature certificate on the token.");
            mechanism = factories.MechanismFactory.Create(CKM.CKM_SHA256_RSA_PKCS);
        }
        catch
        {
            library.Dispose();
            throw;
        }
    }

    /// <summary>The card's signature certificate (public part).</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>Signs data on the card (RSA PKCS#1 v1.5 with SHA-256, the hash computed by the token).</summary>
    /// <param name="data">The bytes to sign (the canonical <c>SignedInfo</c>).</param>
    /// <returns>The signature.</returns>
    public byte[] Sign(byte[] data)
    {
        lock (gate)
        {
            return session.Sign(mechanism, key, data);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (gate)
        {
            try
            {
                session.Logout();
            }
            catch (Pkcs11Exception)
            {
                // Card already removed: nothing to log out of.
            }

            session.Dispose();
            library.Dispose();
            Certificate.Dispose();
        }
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
}
