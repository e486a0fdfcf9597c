using Microsoft.Extensions.Configuration;
using SanteGateway.Identity;
using SanteGateway.Insi;
using SanteGateway.Insi.Sandbox;
using SanteGateway.Insi.Sandbox.Pki;
using SanteGateway.Server;

namespace SanteGateway.Cli;

/// <summary>
/// The INSi endpoint of <c>serve</c> (configuration section <c>Insi</c>). <c>Mode</c>: <c>sandbox</c> (default: a test
/// PKI in <c>DATA/pki</c> and the INSi sandbox on a loopback port), <c>remote</c> (the real INSi with IGC-Santé
/// certificates) or <c>none</c>.
/// </summary>
internal static class ServeInsi
{
    public const string DefaultPasswordVariable = "SANTEGW_INSI_CERT_PASSWORD";

    /// <summary>Builds the client options; starts the sandbox in sandbox mode. Returns an error for bad configuration.</summary>
    public static async Task<(InsiClientOptions? Client, InsiSandboxServer? Sandbox, string? Error)> PrepareAsync(IConfiguration cfg, GatewayOptions options, CancellationToken ct)
    {
        var section = cfg.GetSection("Insi");
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
                // Insi:SandboxPersonsCsv adds the publisher's own test persons (checked at start; README of Insi.Sandbox).
                var persons = section["SandboxPersonsCsv"];
                if (!string.IsNullOrWhiteSpace(persons) && !File.Exists(persons))
                {
                    return (null, null, $"Insi:SandboxPersonsCsv: file not found: {persons}");
                }

                var sandbox = await InsiSandboxServer.StartAsync(new InsiSandboxOptions { PkiDirectory = pki, Password = password, Port = port, PersonsCsvFile = string.IsNullOrWhiteSpace(persons) ? null : persons }, ct).ConfigureAwait(false);
                var client = new InsiClientOptions
                {
                    Endpoint = sandbox.Endpoint,
                    Idam = InsiSandboxOptions.DefaultIdam,
                    Instance = InstanceId(options.DataDirectory),
                    SoftwareName = LpsName(section),
                    // Insi:RecordDirectory keeps every exchange as a replayable fixture (santegw sandbox insi --replay).
                    RecordDirectory = section["RecordDirectory"],
                    AutomaticCertificatePath = Path.Combine(pki, TestPki.InsiAutoP12File),
                    AutomaticCertificatePassword = password,
                    ManualCertificatePath = Path.Combine(pki, TestPki.InsiManuP12File),
                    ManualCertificatePassword = password,
                };
                client.TrustedCaPaths.Add(Path.Combine(pki, TestPki.CaPemFile));
                // The sandbox serves test identities; production deployments keep the strict policy.
                options.InsPolicy = InsPolicy.AllowTestAndDemo;
                return (client, sandbox, null);
            }

            case "REMOTE":
            {
                if (!Uri.TryCreate(section["Endpoint"], UriKind.Absolute, out var endpoint) || endpoint.Scheme != Uri.UriSchemeHttps)
                {
                    return (null, null, "Insi:Endpoint: an https URL is required in remote mode");
                }

                var idam = section["Idam"];
                var cert = section["CertificatePath"];
                var variable = section["CertificatePasswordEnv"] ?? DefaultPasswordVariable;
                var password = Environment.GetEnvironmentVariable(variable);
                var cas = section.GetSection("TrustedCaPaths").Get<string[]>() ?? [];
                if (string.IsNullOrWhiteSpace(idam))
                {
                    return (null, null, "Insi:Idam: the CNDA authorisation number is required in remote mode");
                }

                if (string.IsNullOrWhiteSpace(cert) || !File.Exists(cert))
                {
                    return (null, null, "Insi:CertificatePath: a readable PKCS#12 IGC-Santé certificate (INSI-AUTO) is required in remote mode");
                }

                if (password is null)
                {
                    return (null, null, $"Insi:CertificatePasswordEnv: the environment variable {variable} is not set");
                }

                if (cas.Length == 0 || cas.Any(c => !File.Exists(c)))
                {
                    return (null, null, "Insi:TrustedCaPaths: readable CA files for the server chain are required (IGC-Santé ACR-EL.cer, ACI-EL-ORG.cer)");
                }

                var client = new InsiClientOptions
                {
                    Endpoint = endpoint,
                    Idam = idam,
                    Instance = section["Instance"] ?? InstanceId(options.DataDirectory),
                    SoftwareName = LpsName(section),
                    AutomaticCertificatePath = cert,
                    AutomaticCertificatePassword = password,
                    ManualCertificatePath = section["ManualCertificatePath"],
                    ManualCertificatePassword = section["ManualCertificatePath"] is null ? null : password,
                    CheckRevocation = bool.TryParse(section["CheckRevocation"], out var rev) && rev,
                    // Refused by the client against a production endpoint or certificate (test identities only).
                    RecordDirectory = section["RecordDirectory"],
                };
                foreach (var ca in cas)
                {
                    client.TrustedCaPaths.Add(ca);
                }

                return (client, null, null);
            }

            default:
                return (null, null, $"Insi:Mode: expected sandbox, remote or none, got '{section["Mode"]}'");
        }
    }

    /// <summary>
    /// <c>Insi:LpsName</c>: the software name sent in the ContexteLPS (<c>LPS/Nom</c>) and stated in support bundles;
    /// <c>santegw</c> unless the publisher's CNDA authorisation names the software otherwise.
    /// </summary>
    internal static string LpsName(IConfigurationSection section) => string.IsNullOrWhiteSpace(section["LpsName"]) ? "santegw" : section["LpsName"]!.Trim();

    /// <summary>A stable per-installation id (ContexteLPS instance), kept in the data folder.</summary>
    private static string InstanceId(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, "instance-id");
        if (File.Exists(path))
        {
            var text = File.ReadAllText(path).Trim();
            if (Guid.TryParse(text, out _))
            {
                return text;
            }
        }

        var id = Guid.NewGuid().ToString();
        File.WriteAllText(path, id);
        return id;
    }
}
