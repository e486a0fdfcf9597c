using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging.Abstractions;
using SanteGateway.Documents.Sandbox;
using SanteGateway.Documents.Xds;
using SanteGateway.Insi.Sandbox.Pki;
using SanteGateway.Server.Documents;

namespace SanteGateway.Documents.Tests;

/// <summary>A test PKI and a running document-sharing sandbox (mutual TLS on 127.0.0.1), shared by a test class.</summary>
public sealed class SandboxFixture : IAsyncLifetime
{
    public string PkiDirectory { get; } = Path.Combine(Path.GetTempPath(), "santegw-docs-pki-" + Guid.NewGuid().ToString("N"));

    public string Password { get; private set; } = "";

    public DocumentsSandboxServer Sandbox { get; private set; } = null!;

    public DocumentsSandboxStore Store => Sandbox.Handler.Store;

    public async ValueTask InitializeAsync()
    {
        Password = TestPki.Create(PkiDirectory, null, force: false).Password;
        Sandbox = await DocumentsSandboxServer.StartAsync(new DocumentsSandboxOptions { PkiDirectory = PkiDirectory, Password = Password });
    }

    public async ValueTask DisposeAsync()
    {
        await Sandbox.DisposeAsync();
        try
        {
            Directory.Delete(PkiDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Client options towards the sandbox: the structure certificate is the sandbox PKI's INSI-AUTO (clientAuth).</summary>
    public XdsClientOptions ClientOptions(bool production = false, string certificate = TestPki.InsiAutoP12File)
    {
        var o = new XdsClientOptions
        {
            RepositoryEndpoint = Sandbox.RepositoryEndpoint,
            RegistryEndpoint = Sandbox.RegistryEndpoint,
            DmpStatusEndpoint = Sandbox.DmpStatusEndpoint,
            RepositoryUniqueId = Sandbox.Handler.RepositoryUniqueId,
            CertificatePath = Path.Combine(PkiDirectory, certificate),
            CertificatePassword = Password,
            IsProduction = production,
            Vihf = Vihf(),
        };
        o.TrustedCaPaths.Add(Path.Combine(PkiDirectory, TestPki.CaPemFile));
        return o;
    }

    public XdsClient Client(bool production = false) => XdsClient.FromOptions(ClientOptions(production));

    public XdsDocumentPort Port(bool production = false) => new(Client(production), NullLogger<XdsDocumentPort>.Instance);

    /// <summary>A port whose VIHF is signed by a certificate the DMP does not trust: every call gets a soap:Sender fault.</summary>
    public XdsDocumentPort UntrustedVihfPort()
    {
        using var key = System.Security.Cryptography.RSA.Create(2048);
        using var forged = new CertificateRequest("CN=FORGER", key, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        // The client signs with this certificate's key for its whole life: it keeps its own copy.
        var signer = X509CertificateLoader.LoadPkcs12(forged.Export(X509ContentType.Pkcs12), null);
        var ca = TestPki.LoadCa(PkiDirectory);
        return new(new XdsClient(ClientOptions(), Load(TestPki.InsiAutoP12File), [ca], signer), NullLogger<XdsDocumentPort>.Instance);
    }

    /// <summary>PDSm client options towards the sandbox's FHIR base (same structure certificate as XDS).</summary>
    public SanteGateway.Documents.Fhir.PdsmClientOptions PdsmOptions(bool production = false, bool simplified = false)
    {
        var o = new SanteGateway.Documents.Fhir.PdsmClientOptions
        {
            BaseUrl = Sandbox.FhirBase,
            CertificatePath = Path.Combine(PkiDirectory, TestPki.InsiAutoP12File),
            CertificatePassword = Password,
            IsProduction = production,
            SimplifiedPublish = simplified,
        };
        o.TrustedCaPaths.Add(Path.Combine(PkiDirectory, TestPki.CaPemFile));
        return o;
    }

    public SanteGateway.Documents.Fhir.PdsmClient PdsmClient(bool production = false) => SanteGateway.Documents.Fhir.PdsmClient.FromOptions(PdsmOptions(production));

    public PdsmDocumentPort PdsmPort(bool production = false, bool simplified = false) =>
        new(SanteGateway.Documents.Fhir.PdsmClient.FromOptions(PdsmOptions(production, simplified)), NullLogger<PdsmDocumentPort>.Instance);

    public X509Certificate2 Load(string file) => TestPki.LoadP12(PkiDirectory, file, Password);

    public static VihfOptions Vihf() => new()
    {
        StructureId = "3" + "750000001",
        ActivitySector = "SA07^1.2.250.1.71.4.2.4",
        SubjectId = "810000000001",
        SubjectName = "SANTEGATEWAY TESTS",
        RoleCode = "10",
        SoftwareName = "SanteGateway",
        SoftwareVersion = "test",
        HomologationNumber = "TEST-0001",
    };
}
