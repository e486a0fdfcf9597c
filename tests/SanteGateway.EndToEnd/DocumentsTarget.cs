using Microsoft.Extensions.DependencyInjection;
using SanteGateway.Application;
using SanteGateway.Documents.Fhir;
using SanteGateway.Documents.Sandbox;
using SanteGateway.Documents.Xds;
using SanteGateway.Insi.Sandbox.Pki;
using SanteGateway.Server.Documents;

namespace SanteGateway.EndToEnd;

/// <summary>The documents sandbox (XDS.b and PDSm over mutual TLS) as the gateway's DMP target, as <c>santegw serve</c> sets it up.</summary>
internal static class DocumentsTarget
{
    public static async Task<DocumentsSandboxServer> StartAsync(IServiceCollection services, string pkiDir, string password)
    {
        var sandbox = await DocumentsSandboxServer.StartAsync(new DocumentsSandboxOptions { PkiDirectory = pkiDir, Password = password });
        var xds = new XdsClientOptions
        {
            RepositoryEndpoint = sandbox.RepositoryEndpoint,
            RegistryEndpoint = sandbox.RegistryEndpoint,
            DmpStatusEndpoint = sandbox.DmpStatusEndpoint,
            RepositoryUniqueId = sandbox.Handler.RepositoryUniqueId,
            CertificatePath = Path.Combine(pkiDir, TestPki.InsiAutoP12File),
            CertificatePassword = password,
            IsProduction = false,
            Vihf = new VihfOptions
            {
                StructureId = "3750000001",
                ActivitySector = "SA07^1.2.250.1.71.4.2.4",
                SubjectId = "810000000001",
                SubjectName = "E2E",
                RoleCode = "10",
                HomologationNumber = "E2E",
            },
        };
        xds.TrustedCaPaths.Add(Path.Combine(pkiDir, TestPki.CaPemFile));
        var pdsm = new PdsmClientOptions { BaseUrl = sandbox.FhirBase, CertificatePath = xds.CertificatePath, CertificatePassword = password, IsProduction = false };
        pdsm.TrustedCaPaths.Add(Path.Combine(pkiDir, TestPki.CaPemFile));
        services.AddGatewayXds(xds);
        services.AddGatewayPdsm(pdsm);
        services.PostConfigure<DocumentSharingOptions>(o =>
        {
            o.SourceId = "1.2.250.1.999.1";
            o.HealthcareFacilityTypeCode = "SA07";
            o.PracticeSettingCode = "ETABLISSEMENT";
            o.ContentTypeCode = "04";
        });
        return sandbox;
    }
}
