using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SanteGateway.Ror;
using SanteGateway.Ror.Sandbox;
using SanteGateway.Server;

namespace SanteGateway.Cli;

/// <summary>
/// The ROR target of <c>serve</c> and <c>ror sync</c> (configuration section <c>Ror</c>). <c>Mode</c>: <c>none</c> (default:
/// the ROR is optional, and its sandbox costs a PKI and a data set at start), <c>sandbox</c> (the ROR sandbox on a loopback
/// port with its own PKI in <c>DATA/ror-pki</c>, and the scheduled synchronisation on unless <c>Ror:Sync:Enabled</c> says
/// otherwise) or <c>remote</c> (the national ROR with the structure's client id and ORG AUTH_CLI certificate or secret).
/// </summary>
internal static class ServeRor
{
    public const string DefaultCertificatePasswordVariable = "SANTEGW_ROR_CERT_PASSWORD";
    public const string DefaultSecretVariable = "SANTEGW_ROR_SECRET";

    /// <summary>Builds the client options; starts the sandbox in sandbox mode. Returns an error for bad configuration.</summary>
    public static async Task<(RorClientOptions? Client, RorSandboxServer? Sandbox, string? Error)> PrepareAsync(IConfiguration cfg, GatewayOptions options, CancellationToken ct)
    {
        var section = cfg.GetSection("Ror");
        var mode = (section["Mode"] ?? "none").Trim().ToUpperInvariant();
        switch (mode)
        {
            case "NONE":
                return (null, null, null);
            case "SANDBOX":
            {
                var pki = Path.Combine(options.DataDirectory, "ror-pki");
                var port = int.TryParse(section["SandboxPort"], out var p) ? p : 0;
                var offers = int.TryParse(section["SandboxOffers"], out var n) ? n : 200;
                RorSandboxServer sandbox;
                try
                {
                    sandbox = await RorSandboxServer.StartAsync(new RorSandboxOptions { PkiDirectory = pki, Port = port, GeneratedOffers = offers }, null, ct).ConfigureAwait(false);
                }
                catch (ArgumentException ex)
                {
                    return (null, null, "Ror: " + ex.Message);
                }

                return (sandbox.ClientOptions(), sandbox, null);
            }

            case "REMOTE":
            {
                var client = new RorClientOptions
                {
                    FhirBase = Uri.TryCreate(section["FhirBase"], UriKind.Absolute, out var fhir) ? fhir : RorClientOptions.ProductionFhirBase,
                    TokenEndpoint = Uri.TryCreate(section["TokenEndpoint"], UriKind.Absolute, out var token) ? token : RorClientOptions.ProductionTokenEndpoint,
                    CapacityBase = Uri.TryCreate(section["CapacityBase"], UriKind.Absolute, out var cap) ? cap : null,
                    ClientId = section["ClientId"] ?? "",
                    AccessProfile = int.TryParse(section["AccessProfile"], out var profile) ? profile : 1,
                    ClientCertificatePath = section["CertificatePath"],
                    CheckRevocation = bool.TryParse(section["CheckRevocation"], out var rev) && rev,
                };
                var passwordVariable = section["CertificatePasswordEnv"] ?? DefaultCertificatePasswordVariable;
                client.ClientCertificatePassword = Environment.GetEnvironmentVariable(passwordVariable);
                var secretVariable = section["ClientSecretEnv"] ?? DefaultSecretVariable;
                client.ClientSecret = Environment.GetEnvironmentVariable(secretVariable);
                foreach (var ca in section.GetSection("TrustedCaPaths").Get<string[]>() ?? [])
                {
                    client.TrustedCaPaths.Add(ca);
                }

                if (client.UsesMutualTls && (string.IsNullOrWhiteSpace(client.ClientCertificatePath) || !File.Exists(client.ClientCertificatePath)))
                {
                    return (null, null, "Ror:CertificatePath: a readable PKCS#12 ORG AUTH_CLI certificate is required for access profiles 1–5");
                }

                if (client.UsesMutualTls && client.ClientCertificatePassword is null)
                {
                    return (null, null, $"Ror:CertificatePasswordEnv: the environment variable {passwordVariable} is not set");
                }

                if (!client.UsesMutualTls && string.IsNullOrEmpty(client.ClientSecret))
                {
                    return (null, null, $"Ror:ClientSecretEnv: the environment variable {secretVariable} holding the client secret is not set (access profile 0)");
                }

                var problems = client.Validate();
                return problems.Count > 0 ? (null, null, "Ror: " + string.Join("; ", problems)) : (client, null, null);
            }

            default:
                return (null, null, $"Ror:Mode: expected sandbox, remote or none, got '{section["Mode"]}'");
        }
    }

    /// <summary>In sandbox mode the scheduled synchronisation is on unless the configuration says otherwise.</summary>
    public static void Register(Microsoft.AspNetCore.Builder.WebApplicationBuilder builder, RorClientOptions client, bool sandbox)
    {
        SanteGateway.Server.Ror.RorRegistration.AddGatewayRor(builder.Services, client);
        if (sandbox && builder.Configuration["Ror:Sync:Enabled"] is null)
        {
            builder.Services.PostConfigure<SanteGateway.Application.RorSyncOptions>(o => o.Enabled = true);
        }
    }
}
