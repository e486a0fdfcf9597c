using System.CommandLine;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using SanteGateway.Application;
using SanteGateway.Insi;
using SanteGateway.Server.Certificates;

namespace SanteGateway.Cli;

/// <summary>
/// <c>santegw certs check FILE|--store</c> (alias <c>cert</c>): what matters about an IGC-Santé software certificate,
/// in French and English. Exit 0 when usable for its use (warnings allowed), 1 when a finding is an error, 2 on a usage error.
/// </summary>
internal sealed class CertCommands : ICommandModule
{
    public Command Create()
    {
        var certs = new Command("certs", "Establishment certificates (INSI-AUTO, INSI-MANU, ORG AUTH_CLI for ROR/DMP): check and track expiry.");
        certs.Aliases.Add("cert");
        var check = new Command("check", "Check a PKCS#12/PEM/DER certificate (or, with --store, every certificate the gateway is configured with).");
        var file = new Argument<string?>("FILE") { Description = "Certificate file (.p12/.pfx, .pem, .cer).", Arity = ArgumentArity.ZeroOrOne };
        var store = new Option<bool>("--store") { Description = "Check the certificates configured in the gateway (Gateway:Certificates and the INSi certificates of DATA/appsettings.json)." };
        var passwordEnv = new Option<string>("--password-env") { Description = "Environment variable holding the PKCS#12 password.", DefaultValueFactory = _ => "SANTEGW_INSI_CERT_PASSWORD" };
        var use = new Option<string?>("--use") { Description = "Intended use: insi-auto, insi-manu or org (ROR/DMP AUTH_CLI). Default: read from the CN." };
        var ca = new Option<string[]>("--ca") { Description = "IGC-Santé CA file(s) the chain must end at (e.g. ACR-EL.cer ACI-EL-ORG.cer); default $SANTEGW_INSI_CA.", AllowMultipleArgumentsPerToken = true };
        var warnDays = new Option<int>("--warn-days") { Description = "Warn when fewer days are left.", DefaultValueFactory = _ => 60 };
        var json = new Option<bool>("--json") { Description = "JSON output." };
        var data = new Option<string?>("--data") { Description = "Gateway data folder (with --store)." };
        var config = new Option<string?>("--config") { Description = "Configuration file (with --store)." };
        check.Arguments.Add(file);
        foreach (var o in new Option[] { store, passwordEnv, use, ca, warnDays, json, data, config })
        {
            check.Options.Add(o);
        }

        check.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(file);
            if (parse.GetValue(store) == (path is not null))
            {
                await Console.Error.WriteLineAsync("Give either FILE or --store.").ConfigureAwait(false);
                return Program.UsageError;
            }

            CertificateUse? intended = null;
            if (parse.GetValue(use) is { } u)
            {
                if (!CertificateChecker.TryParseUse(u, out var parsed))
                {
                    await Console.Error.WriteLineAsync($"--use: expected insi-auto, insi-manu or org, got '{u}'.").ConfigureAwait(false);
                    return Program.UsageError;
                }

                intended = parsed;
            }

            var options = new CertificateCheckOptions { WarnDays = parse.GetValue(warnDays) };
            var cas = parse.GetValue(ca) is { Length: > 0 } given ? given : (Environment.GetEnvironmentVariable(InsiCommands.CaVariable)?.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries) ?? []);
            try
            {
                foreach (var c in cas)
                {
                    options.TrustAnchors.ImportFromPemOrDer(c);
                }
            }
            catch (Exception ex) when (ex is IOException or CryptographicException or UnauthorizedAccessException)
            {
                await Console.Error.WriteLineAsync($"--ca: {ex.Message}").ConfigureAwait(false);
                return Program.UsageError;
            }

            var targets = new List<(string Name, string Path, string? Password, CertificateUse? Use)>();
            if (path is not null)
            {
                targets.Add((Path.GetFileName(path), path, Environment.GetEnvironmentVariable(parse.GetValue(passwordEnv)!), intended));
            }
            else
            {
                var (gateway, cfg, error) = GatewaySettings.Resolve(parse.GetValue(data), parse.GetValue(config), null, null, null);
                if (gateway is null || cfg is null)
                {
                    await Console.Error.WriteLineAsync(error).ConfigureAwait(false);
                    return Program.UsageError;
                }

                var insi = cfg.GetSection("Insi");
                InsiClientOptions? insiOptions = null;
                if (insi["CertificatePath"] is { Length: > 0 } auto)
                {
                    var pwd = Environment.GetEnvironmentVariable(insi["CertificatePasswordEnv"] ?? ServeInsi.DefaultPasswordVariable);
                    insiOptions = new InsiClientOptions { AutomaticCertificatePath = auto, AutomaticCertificatePassword = pwd, ManualCertificatePath = insi["ManualCertificatePath"], ManualCertificatePassword = pwd };
                    foreach (var t in insi.GetSection("TrustedCaPaths").Get<string[]>() ?? [])
                    {
                        insiOptions.TrustedCaPaths.Add(t);
                    }
                }

                var inventory = CertificateEndpoints.ReadOptions(cfg, insiOptions);
                foreach (var a in options.TrustAnchors.Count == 0 ? inventory.TrustAnchorPaths : [])
                {
                    options.TrustAnchors.ImportFromPemOrDer(a);
                }

                targets.AddRange(inventory.Certificates.Select(t => (t.Name, t.Path, t.Password, (CertificateUse?)t.Use)));
                if (targets.Count == 0)
                {
                    Console.WriteLine("No certificate is configured (Gateway:Certificates, Insi:CertificatePath).");
                    return 0;
                }
            }

            var worst = CertificateSeverity.Ok;
            var reports = new List<object>();
            foreach (var (name, p, password, intendedUse) in targets)
            {
                CertificateReport report;
                try
                {
                    var (leaf, others) = CertificateChecker.Load(p, password);
                    using (leaf)
                    {
                        report = CertificateChecker.Check(leaf, intendedUse, options, others);
                    }
                }
                catch (Exception ex) when (ex is IOException or CryptographicException or UnauthorizedAccessException)
                {
                    await Console.Error.WriteLineAsync($"{name}: cannot read {p}: {ex.Message} (mot de passe ou fichier incorrect / wrong password or file)").ConfigureAwait(false);
                    worst = CertificateSeverity.Error;
                    continue;
                }

                worst = (CertificateSeverity)Math.Max((int)worst, (int)report.Severity);
                if (parse.GetValue(json))
                {
                    reports.Add(new { name, path = p, report });
                }
                else
                {
                    Print(name, report);
                }
            }

            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(reports, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true, Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } }));
            }

            return worst == CertificateSeverity.Error ? 1 : 0;
        });
        certs.Subcommands.Add(check);
        return certs;
    }

    private static void Print(string name, CertificateReport r)
    {
        Console.WriteLine($"== {name}");
        Console.WriteLine($"  Sujet / Subject     : {r.Subject}");
        Console.WriteLine($"  Émetteur / Issuer   : {r.Issuer}  [{r.Environment}]");
        Console.WriteLine($"  Validité / Validity : {r.NotBefore:yyyy-MM-dd} → {r.NotAfter:yyyy-MM-dd} ({CertificateChecker.DaysText(r)} jours/days left)");
        Console.WriteLine($"  Usage détecté / Use : {r.DetectedUse}");
        Console.WriteLine($"  Clé / Key           : {r.KeyAlgorithm} {r.KeySize} bits, clé privée / private key: {(r.HasPrivateKey ? "oui/yes" : "non/no")}");
        Console.WriteLine($"  KU                  : {string.Join(", ", r.KeyUsages)}");
        Console.WriteLine($"  EKU                 : {string.Join(", ", r.ExtendedKeyUsages)}");
        Console.WriteLine($"  Chaîne / Chain      : {string.Join(" → ", r.Chain)}");
        foreach (var f in r.Findings)
        {
            var mark = f.Severity switch
            {
                CertificateSeverity.Error => "ERREUR/ERROR",
                CertificateSeverity.Warning => "ATTENTION/WARNING",
                CertificateSeverity.Info => "INFO",
                _ => "OK",
            };
            Console.WriteLine($"  [{mark}] {f.Code}");
            Console.WriteLine($"      fr: {f.French}");
            Console.WriteLine($"      en: {f.English}");
        }

        Console.WriteLine($"  Verdict : {(r.IsUsable ? "utilisable / usable" : "INUTILISABLE / NOT USABLE")}");
    }
}
