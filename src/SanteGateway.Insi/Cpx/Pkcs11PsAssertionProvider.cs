using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography.X509Certificates;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace SanteGateway.Insi.Cpx;

/// <summary>Settings of <see cref="Pkcs11PsAssertionProvider"/>.</summary>
public sealed class Pkcs11CardOptions
{
    /// <summary>PKCS#11 module (CPS middleware <c>libcps3_pkcs11_lux.so</c> / <c>cps3_pkcs11_w64.dll</c>, or SoftHSM2 in tests).</summary>
    public string ModulePath { get; set; } = string.Empty;

    /// <summary>Label of the token (card); null = the first token present.</summary>
    public string? TokenLabel { get; set; }

    /// <summary>User PIN (card PIN code).</summary>
    public string Pin { get; set; } = string.Empty;

    /// <summary>Label (<c>CKA_LABEL</c>) of the signature certificate and private key; null = the first certificate with a matching key.</summary>
    public string? KeyLabel { get; set; }

    /// <summary>Professional attributes of the assertion.</summary>
    public PsAttributes Attributes { get; set; } = new(string.Empty, string.Empty);

    /// <summary>Validity written in the assertion (<c>Conditions</c>).</summary>
    public TimeSpan Validity { get; set; } = TimeSpan.FromMinutes(20);

    /// <summary>The cached assertion is regenerated this long before it expires.</summary>
    public TimeSpan RenewBefore { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Card types (<see cref="PsAssertionBuilder.CardType"/>) accepted by INSi: the nominative cards CPS, CPF and CPE
    /// (<c>CDE-CPE</c>). Any other card (CPA, or a card without the GIP card-type extension) is refused before any
    /// call, with a French message. Configurable because which card types INSi refuses is not confirmed by the
    /// agency's documents (see docs/conformance.md).
    /// </summary>
    public IList<string> AcceptedCardTypes { get; } = ["CPS", "CPF", "CDE-CPE"];
}

/// <summary>
/// Signs PS assertions on a PKCS#11 token (CPS card): the private key never leaves the token — the canonical
/// <c>SignedInfo</c> is signed on the token with <c>CKM_SHA256_RSA_PKCS</c>. The assertion is cached and regenerated
/// <see cref="Pkcs11CardOptions.RenewBefore"/> before it expires. Thread-safe.
/// </summary>
public sealed class Pkcs11PsAssertionProvider : IPsAssertionProvider, IDisposable
{
    private readonly Pkcs11CardOptions _options;
    private readonly TimeProvider _time;
    private readonly Pkcs11InteropFactories _factories = new();
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IPkcs11Library? _library;
    private PsAssertion? _cached;

    static Pkcs11PsAssertionProvider()
    {
        // Pkcs11Interop loads "libdl" to open the module; glibc ≥ 2.34 systems only ship libdl.so.2 (no dev symlink).
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(Pkcs11InteropFactories).Assembly, ResolveLibdl);
        }
        catch (InvalidOperationException)
        {
            // The host application already installed a resolver for Pkcs11Interop.
        }
    }

    /// <summary>Creates the provider; the module is loaded on first use.</summary>
    public Pkcs11PsAssertionProvider(Pkcs11CardOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.RenewBefore >= options.Validity)
        {
            throw new ArgumentException("RenewBefore must be shorter than Validity.", nameof(options));
        }

        _options = options;
        _time = time ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public async ValueTask<PsAssertion> GetAssertionAsync(CancellationToken cancellationToken)
    {
        var cached = _cached;
        if (cached is not null && _time.GetUtcNow() < cached.ExpiresAt - _options.RenewBefore)
        {
            return cached;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            cached = _cached;
            if (cached is not null && _time.GetUtcNow() < cached.ExpiresAt - _options.RenewBefore)
            {
                return cached;
            }

            _cached = Generate();
            return _cached;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Drops the cached assertion (card pulled out, PS changed).</summary>
    public void Invalidate() => _cached = null;

    /// <inheritdoc />
    public void Dispose()
    {
        _library?.Dispose();
        _gate.Dispose();
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

    private PsAssertion Generate()
    {
        _library ??= _factories.Pkcs11LibraryFactory.LoadPkcs11Library(_factories, _options.ModulePath, AppType.MultiThreaded);
        var slot = _library.GetSlotList(SlotsType.WithTokenPresent)
            .FirstOrDefault(s => _options.TokenLabel is null || s.GetTokenInfo().Label.Trim() == _options.TokenLabel)
            ?? throw new InvalidOperationException("No PKCS#11 token (card) matching the configured label is present.");
        using var session = slot.OpenSession(SessionType.ReadOnly);
        session.Login(CKU.CKU_USER, _options.Pin);
        try
        {
            var (certificateObject, id) = FindCertificate(session);
            var raw = session.GetAttributeValue(certificateObject, [CKA.CKA_VALUE])[0].GetValueAsByteArray();
            using var certificate = X509CertificateLoader.LoadCertificate(raw);
            EnsureNominative(certificate);
            var key = FindPrivateKey(session, id);
            var mechanism = _factories.MechanismFactory.Create(CKM.CKM_SHA256_RSA_PKCS);
            return PsAssertionBuilder.Build(certificate, _options.Attributes, _time.GetUtcNow(), _options.Validity, data => session.Sign(mechanism, key, data));
        }
        finally
        {
            session.Logout();
        }
    }

    /// <summary>
    /// Refuses a non-nominative card before anything is signed or sent: INSi answers such a card with an obscure
    /// failure, so the staff member is told which cards work instead.
    /// </summary>
    private void EnsureNominative(X509Certificate2 certificate)
    {
        var type = PsAssertionBuilder.CardType(certificate);
        if (_options.AcceptedCardTypes.Contains(type, StringComparer.OrdinalIgnoreCase))
        {
            return;
        }

        var accepted = string.Join(", ", _options.AcceptedCardTypes.Select(t => t == "CDE-CPE" ? "CPE" : t));
        var shown = type == "CPX" ? "carte sans type de carte reconnu (extension GIP 1.2.250.1.71.1.2.2 absente ou inconnue)" : $"carte {type}";
        throw new InsiCardException(
            $"Carte refusée avant tout appel à INSi : {shown}, non nominative. Le téléservice INSi n'accepte que les cartes nominatives " +
            $"({accepted} : carte de professionnel de santé, de personnel en formation ou d'établissement nominative). " +
            "Insérez votre propre carte CPS, CPF ou CPE, ou utilisez le certificat logiciel de l'établissement (INSI-MANU).");
    }

    private (IObjectHandle Handle, byte[] Id) FindCertificate(ISession session)
    {
        var template = new List<IObjectAttribute> { _factories.ObjectAttributeFactory.Create(CKA.CKA_CLASS, CKO.CKO_CERTIFICATE) };
        if (_options.KeyLabel is not null)
        {
            template.Add(_factories.ObjectAttributeFactory.Create(CKA.CKA_LABEL, _options.KeyLabel));
        }

        var handle = session.FindAllObjects(template).FirstOrDefault()
            ?? throw new InvalidOperationException("No signature certificate found on the token.");
        var id = session.GetAttributeValue(handle, [CKA.CKA_ID])[0].GetValueAsByteArray();
        return (handle, id);
    }

    private IObjectHandle FindPrivateKey(ISession session, byte[] id)
    {
        var template = new List<IObjectAttribute>
        {
            _factories.ObjectAttributeFactory.Create(CKA.CKA_CLASS, CKO.CKO_PRIVATE_KEY),
            _factories.ObjectAttributeFactory.Create(CKA.CKA_ID, id),
        };
        return session.FindAllObjects(template).FirstOrDefault()
            ?? throw new InvalidOperationException("No private key matching the signature certificate on the token.");
    }
}
