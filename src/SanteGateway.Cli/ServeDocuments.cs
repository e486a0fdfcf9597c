using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SanteGateway.Application;
using SanteGateway.Documents.Sandbox;
using SanteGateway.Documents.Xds;
using SanteGateway.Insi.Sandbox.Pki;
using SanteGateway.Server;
using SanteGateway.Server.Documents;

namespace SanteGateway.Cli;

/// <summary>The document-sharing transports configured: XDS.b, PDSm, or both (sandbox mode serves both).</summary>
/// <param name="Xds">XDS.b client settings, when configured.</param>
/// <param name="Pdsm">PDSm client settings, when configured.</param>
internal sealed record DocumentTargets(XdsClientOptions? Xds, SanteGateway.Documents.Fhir.PdsmClientOptions? Pdsm)
{
    /// <summary>Where documents go (for the start-up line): the XDS repository, else the PDSm base.</summary>
    public Uri? RepositoryEndpoint => Xds?.RepositoryEndpoint ?? Pdsm?.BaseUrl;
}

/// <summary>
/// The document-sharing target (configuration section <c>Documents</c>). <c>Mode</c>: <c>sandbox</c> (default: the
/// documents sandbox on a loopback port with the test PKI of <c>DATA/pki</c>), <c>remote</c> (the DMP with the
/// structure's IGC-Santé certificate) or <c>none</c>. In remote mode the XDS.b endpoints
/// (<c>RepositoryEndpoint</c>, <c>RegistryEndpoint</c>, <c>DmpStatusEndpoint</c>) and/or <c>Pdsm:BaseUrl</c> select
/// the transports; <c>DefaultTransport</c> (xds or pdsm) is the one used when a request names none;
/// <c>Pdsm:SimplifiedPublish</c> = true sends PDSm documents with ITI-105 instead of the ITI-65 bundle. <c>Card:ModulePath</c>
/// (+ <c>TokenLabel</c>, <c>KeyLabel</c>, <c>PinEnv</c>) switches the VIHF to the direct mode, signed on the CPx card.
/// </summary>
internal static class ServeDocuments
{
    public const string DefaultPasswordVariable = "SANTEGW_DMP_CERT_PASSWORD";

    /// <summary>Builds the XDS client options; starts the sandbox in sandbox mode. Returns an error for bad configuration.</summary>
    public static async Task<(DocumentTargets? Client, DocumentsSandboxServer? Sandbox, string? Error)> PrepareAsync(IConfiguration cfg, GatewayOptions options, CancellationToken ct)
    {
        var section = cfg.GetSection("Documents");
        var mode = (section["Mode"] ?? "sandbox").Trim().ToUpperInvariant();
        switch (mode)
        {
            case "NONE":
                return (null, null, null);
            case "SANDBOX":
            {
                var pki = Path.Combine(options.DataDirectory, "pki");
                if (!File.Exists(Path.Combine(pki, TestPki.CaPemFile)))
                {
                    TestPki.Create(pki, null, force: false);
                }

                var password = TestPki.ReadPasswordFile(pki);
                var port = int.TryParse(section["SandboxPort"], out var p) ? p : 0;
                var sandbox = await DocumentsSandboxServer.StartAsync(new DocumentsSandboxOptions { PkiDirectory = pki, Password = password, Port = port }, ct).ConfigureAwait(false);
                var client = new XdsClientOptions
                {
                    RepositoryEndpoint = sandbox.RepositoryEndpoint,
                    RegistryEndpoint = sandbox.RegistryEndpoint,
                    DmpStatusEndpoint = sandbox.DmpStatusEndpoint,
                    RepositoryUniqueId = sandbox.Handler.RepositoryUniqueId,
                    CertificatePath = Path.Combine(pki, TestPki.InsiAutoP12File),
                    CertificatePassword = password,
                    IsProduction = false,
                    Vihf = SandboxVihf(section.GetSection("Vihf")),
                };
                client.TrustedCaPaths.Add(Path.Combine(pki, TestPki.CaPemFile));
                var pdsm = new SanteGateway.Documents.Fhir.PdsmClientOptions
                {
                    BaseUrl = sandbox.FhirBase,
                    CertificatePath = client.CertificatePath,
                    CertificatePassword = password,
                    IsProduction = false,
                    SimplifiedPublish = bool.TryParse(section["Pdsm:SimplifiedPublish"], out var simple) && simple,
                };
                pdsm.TrustedCaPaths.Add(Path.Combine(pki, TestPki.CaPemFile));
                return (new DocumentTargets(client, pdsm), sandbox, null);
            }

            case "REMOTE":
            {
                Uri? Url(string key) => Uri.TryCreate(section[key], UriKind.Absolute, out var u) && u.Scheme == Uri.UriSchemeHttps ? u : null;
                var repository = Url("RepositoryEndpoint");
                var registry = Url("RegistryEndpoint");
                var status = Url("DmpStatusEndpoint");
                var pdsmBase = Uri.TryCreate(section["Pdsm:BaseUrl"], UriKind.Absolute, out var pu) && pu.Scheme == Uri.UriSchemeHttps ? pu : null;
                var xdsConfigured = section["RepositoryEndpoint"] is not null || section["RegistryEndpoint"] is not null || section["DmpStatusEndpoint"] is not null;
                if (section["Pdsm:BaseUrl"] is not null && pdsmBase is null)
                {
                    return (null, null, "Documents:Pdsm:BaseUrl: an https URL is required");
                }

                if ((xdsConfigured || pdsmBase is null) && (repository is null || registry is null || status is null))
                {
                    return (null, null, "Documents:RepositoryEndpoint, RegistryEndpoint and DmpStatusEndpoint: https URLs are required in remote mode (or Documents:Pdsm:BaseUrl for PDSm only)");
                }

                var cert = section["CertificatePath"];
                var variable = section["CertificatePasswordEnv"] ?? DefaultPasswordVariable;
                var password = Environment.GetEnvironmentVariable(variable);
                var cas = section.GetSection("TrustedCaPaths").Get<string[]>() ?? [];
                if (string.IsNullOrWhiteSpace(cert) || !File.Exists(cert))
                {
                    return (null, null, "Documents:CertificatePath: a readable PKCS#12 IGC-Santé certificate of the structure is required in remote mode");
                }

                if (password is null)
                {
                    return (null, null, $"Documents:CertificatePasswordEnv: the environment variable {variable} is not set");
                }

                if (cas.Length == 0 || cas.Any(c => !File.Exists(c)))
                {
                    return (null, null, "Documents:TrustedCaPaths: readable CA files for the server chain are required");
                }

                // A remote endpoint is production unless the configuration says it is a test platform.
                var production = !bool.TryParse(section["IsProduction"], out var prodFlag) || prodFlag;
                SanteGateway.Documents.Fhir.PdsmClientOptions? pdsmOptions = null;
                if (pdsmBase is not null)
                {
                    pdsmOptions = new SanteGateway.Documents.Fhir.PdsmClientOptions
                    {
                        BaseUrl = pdsmBase,
                        CertificatePath = cert,
                        CertificatePassword = password,
                        CheckRevocation = bool.TryParse(section["CheckRevocation"], out var prev) && prev,
                        IsProduction = production,
                        SimplifiedPublish = bool.TryParse(section["Pdsm:SimplifiedPublish"], out var simplified) && simplified,
                    };
                    foreach (var ca in cas)
                    {
                        pdsmOptions.TrustedCaPaths.Add(ca);
                    }
                }

                if (!xdsConfigured)
                {
                    return (new DocumentTargets(null, pdsmOptions), null, null);
                }

                var vihf = new VihfOptions();
                section.GetSection("Vihf").Bind(vihf);
                if (string.IsNullOrWhiteSpace(vihf.StructureId) || string.IsNullOrWhiteSpace(vihf.SubjectId) || string.IsNullOrWhiteSpace(vihf.HomologationNumber))
                {
                    return (null, null, "Documents:Vihf: StructureId, SubjectId and HomologationNumber are required in remote mode");
                }

                var client = new XdsClientOptions
                {
                    RepositoryEndpoint = repository!,
                    RegistryEndpoint = registry,
                    DmpStatusEndpoint = status,
                    DmpStatusAction = section["DmpStatusAction"] ?? XdsActions.DmpStatus,
                    RepositoryUniqueId = section["RepositoryUniqueId"],
                    CertificatePath = cert,
                    CertificatePassword = password,
                    CheckRevocation = bool.TryParse(section["CheckRevocation"], out var rev) && rev,
                    // A remote endpoint is production unless the configuration says it is a test platform.
                    IsProduction = !bool.TryParse(section["IsProduction"], out var prod) || prod,
                    Vihf = vihf,
                };
                foreach (var ca in cas)
                {
                    client.TrustedCaPaths.Add(ca);
                }

                // Direct VIHF mode: the professional's card signs each VIHF (Documents:Card; PIN from an environment variable).
                var cardSection = section.GetSection("Card");
                if (cardSection["ModulePath"] is { Length: > 0 } module)
                {
                    var pinVariable = cardSection["PinEnv"] ?? "SANTEGW_CPS_PIN";
                    if (Environment.GetEnvironmentVariable(pinVariable) is not { Length: > 0 } pin)
                    {
                        return (null, null, $"Documents:Card:PinEnv: the environment variable {pinVariable} is not set");
                    }

                    client.Card = new Pkcs11VihfCardOptions { ModulePath = module, TokenLabel = cardSection["TokenLabel"], KeyLabel = cardSection["KeyLabel"], Pin = pin };
                }

                return (new DocumentTargets(client, pdsmOptions), null, null);
            }

            default:
                return (null, null, $"Documents:Mode: expected sandbox, remote or none, got '{section["Mode"]}'");
        }
    }

    /// <summary>Registers the configured transports (and the outbox worker); in sandbox mode also fills the structure settings the sandbox needs when unset.</summary>
    public static void Register(IServiceCollection services, DocumentTargets targets, bool sandbox)
    {
        if (targets.Xds is not null)
        {
            services.AddGatewayXds(targets.Xds);
        }

        if (targets.Pdsm is not null)
        {
            services.AddGatewayPdsm(targets.Pdsm);
            if (targets.Xds is null)
            {
                services.PostConfigure<DocumentSharingOptions>(o => o.DefaultTransport = "pdsm");
            }
        }

        if (sandbox)
        {
            services.PostConfigure<DocumentSharingOptions>(o =>
            {
                o.SourceId ??= "1.2.250.1.999.1";
                o.HealthcareFacilityTypeCode ??= "SA07";
                o.PracticeSettingCode ??= "ETABLISSEMENT";
                o.ContentTypeCode ??= "04";
            });
        }
    }

    private static VihfOptions SandboxVihf(IConfigurationSection section)
    {
        var vihf = new VihfOptions
        {
            StructureId = "3" + "750000001",
            ActivitySector = "SA07^1.2.250.1.71.4.2.4",
            SubjectId = "810000000001",
            SubjectName = "santegw sandbox",
            RoleCode = "10",
            SoftwareName = "santegw",
            HomologationNumber = "SANDBOX",
        };
        section.Bind(vihf);
        return vihf;
    }
}
