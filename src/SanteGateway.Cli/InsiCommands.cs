using System.CommandLine;
using System.Text.Json;
using SanteGateway.Identity;
using SanteGateway.Insi;

namespace SanteGateway.Cli;

/// <summary>
/// <c>santegw insi search|verify</c>: one INSi call from the command line. Exit 0 on a service answer (any CR),
/// 1 on a fault, a refused input or a transport error (reason on stderr), 2 on a usage error.
/// </summary>
internal sealed class InsiCommands : ICommandModule
{
    /// <summary>Environment variable holding the default IDAM.</summary>
    internal const string IdamVariable = "SANTEGW_INSI_IDAM";

    /// <summary>Environment variable holding the default PKCS#12 client certificate path.</summary>
    internal const string CertVariable = "SANTEGW_INSI_CERT";

    /// <summary>Environment variable holding the default trusted CA file(s), separated by the path separator.</summary>
    internal const string CaVariable = "SANTEGW_INSI_CA";

    /// <summary>Environment variable holding the installation UUID (else a file under the user's config folder).</summary>
    internal const string InstanceVariable = "SANTEGW_INSI_INSTANCE";

    /// <summary>IDAM used when neither <c>--idam</c> nor <see cref="IdamVariable"/> is given: the sandbox's built-in one.</summary>
    internal const string SandboxIdam = "SANDBOX-IDAM";

    public Command Create()
    {
        var insi = new Command("insi", "Call the INSi teleservice (search an INS by traits, verify a stored INS).");
        insi.Subcommands.Add(CreateSearch());
        insi.Subcommands.Add(CreateVerify());
        return insi;
    }

    private static Command CreateSearch()
    {
        var cmd = new Command("search", "Search the INS with identity traits (rechercherInsAvecTraitsIdentite).");
        var common = new CommonOptions(cmd);
        var strategy = new Option<bool>("--strategy") { Description = "Use the CNDA first-name strategy (each first name, then all; birth place on CR 02) instead of one call." };
        cmd.Options.Add(strategy);
        cmd.SetAction(async (parse, ct) =>
        {
            return await RunAsync(common, parse, async (client, query, context) =>
            {
                var result = parse.GetValue(strategy)
                    ? (await client.SearchWithStrategyAsync(query, context, ct).ConfigureAwait(false)).Final
                    : await client.SearchByTraitsAsync(query, context, ct).ConfigureAwait(false);
                Print(parse.GetValue(common.Json), result, null);
            }).ConfigureAwait(false);
        });
        return cmd;
    }

    private static Command CreateVerify()
    {
        var cmd = new Command("verify", "Verify a stored INS: search with the stored traits and compare the returned INS (active and history).");
        var common = new CommonOptions(cmd);
        var matricule = new Option<string>("--matricule") { Description = "Stored 15-character matricule.", Required = true };
        var oid = new Option<string>("--oid") { Description = "Stored OID (1.2.250.1.213.1.4.8 NIR, .9 NIA).", Required = true };
        cmd.Options.Add(matricule);
        cmd.Options.Add(oid);
        cmd.SetAction(async (parse, ct) =>
        {
            return await RunAsync(common, parse, async (client, query, context) =>
            {
                var verification = await client.VerifyAsync(new InsVerificationQuery(query, parse.GetValue(matricule)!, parse.GetValue(oid)!), context, ct).ConfigureAwait(false);
                Print(parse.GetValue(common.Json), verification.Search, verification);
            }).ConfigureAwait(false);
        });
        return cmd;
    }

    private static async Task<int> RunAsync(CommonOptions o, ParseResult parse, Func<InsiClient, InsiTraitsQuery, InsiCallContext, Task> call)
    {
        try
        {
            var options = new InsiClientOptions
            {
                Endpoint = new Uri(parse.GetValue(o.Endpoint)!),
                Idam = parse.GetValue(o.Idam) ?? Environment.GetEnvironmentVariable(IdamVariable) ?? SandboxIdam,
                Instance = InstallationId(),
                SoftwareName = "santegw",
                SoftwareVersion = typeof(InsiCommands).Assembly.GetName().Version?.ToString(3) ?? "0.1.0",
                MaxRetries = parse.GetValue(o.Retries),
                RecordDirectory = parse.GetValue(o.Record),
            };
            var cert = parse.GetValue(o.Cert) ?? Environment.GetEnvironmentVariable(CertVariable);
            if (string.IsNullOrEmpty(cert))
            {
                await Console.Error.WriteLineAsync("--cert: a PKCS#12 client certificate (INSI-AUTO or INSI-MANU) is required for mutual TLS.").ConfigureAwait(false);
                return 1;
            }

            var passwordVariable = parse.GetValue(o.CertPasswordEnv)!;
            var password = Environment.GetEnvironmentVariable(passwordVariable);
            if (password is null)
            {
                await Console.Error.WriteLineAsync($"--cert-password-env: the environment variable {passwordVariable} is not set.").ConfigureAwait(false);
                return 1;
            }

            options.AutomaticCertificatePath = cert;
            options.AutomaticCertificatePassword = password;
            var cas = parse.GetValue(o.Ca) is { Length: > 0 } given
                ? given
                : (Environment.GetEnvironmentVariable(CaVariable) ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
            if (cas.Length == 0)
            {
                await Console.Error.WriteLineAsync("--ca: at least one trusted CA file for the server chain is required (sandbox ca.pem, or IGC-Santé ACR-EL.cer + ACI-EL-ORG.cer).").ConfigureAwait(false);
                return 1;
            }

            foreach (var ca in cas)
            {
                options.TrustedCaPaths.Add(ca);
            }

            var traceDir = parse.GetValue(o.TraceDir);
            IInsiTraceSink? traces = traceDir is null ? null : new FileInsiTraceSink(traceDir, TimeSpan.FromDays(parse.GetValue(o.TraceRetentionDays)));
            using var client = InsiClient.Create(options, traces);
            var query = InsiTraitsQuery.FromList(
                parse.GetValue(o.BirthName)!,
                parse.GetValue(o.FirstNames)!,
                parse.GetValue(o.Sex) == "F" ? Sex.Female : Sex.Male,
                parse.GetValue(o.BirthDate)!,
                parse.GetValue(o.BirthPlace));
            var context = new InsiCallContext(parse.GetValue(o.Manual) ? InsiCertificateKind.Manual : InsiCertificateKind.Automatic);
            await call(client, query, context).ConfigureAwait(false);
            return 0;
        }
        catch (InsiInputException ex)
        {
            foreach (var e in ex.Errors)
            {
                await Console.Error.WriteLineAsync($"refused: {e.Field} [{e.Rule}] {e.Message}").ConfigureAwait(false);
            }

            return 1;
        }
        catch (InsiFaultException ex)
        {
            var f = ex.Fault;
            await Console.Error.WriteLineAsync($"INSi fault {f.Code}/{f.Subcode} {f.ErrorCode} ({f.Severity}): {f.Reason} {f.ErrorText} [messageID {f.MessageId}]").ConfigureAwait(false);
            return 1;
        }
        catch (InsiException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message).ConfigureAwait(false);
            return 1;
        }
        catch (ArgumentException ex) when (ex.ParamName is "options" or "endpoint")
        {
            // Refusals of the client's settings (e.g. --record against production), worded for the user.
            await Console.Error.WriteLineAsync("configuration error: " + ex.Message.Split(" (Parameter", 2)[0]).ConfigureAwait(false);
            return 1;
        }
        catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or IOException or UnauthorizedAccessException or UriFormatException)
        {
            await Console.Error.WriteLineAsync("configuration error: " + ex.Message).ConfigureAwait(false);
            return 1;
        }
    }

    private static void Print(bool json, InsiSearchResult result, InsVerificationResult? verification)
    {
        if (json)
        {
            using var stream = new MemoryStream();
            using (var w = new Utf8JsonWriter(stream))
            {
                w.WriteStartObject();
                w.WriteString("cr", result.Code);
                w.WriteString("label", result.Label);
                if (verification is not null)
                {
                    w.WriteString("outcome", verification.Outcome.ToString());
                }

                if (result.Individual is { } i)
                {
                    w.WriteStartObject("individual");
                    w.WriteString("matricule", i.Active.Raw);
                    w.WriteString("oid", i.Active.Oid);
                    w.WriteString("birthName", i.Traits.BirthName);
                    w.WriteString("firstNames", i.Traits.FirstNames);
                    w.WriteString("sex", i.Traits.Sex);
                    w.WriteString("birthDate", i.Traits.BirthDate);
                    w.WriteString("birthPlace", i.Traits.BirthPlace);
                    w.WriteStartArray("history");
                    foreach (var h in i.History)
                    {
                        w.WriteStartObject();
                        w.WriteString("matricule", h.Raw);
                        w.WriteString("oid", h.Oid);
                        w.WriteString("from", h.From?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
                        w.WriteString("to", h.To?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
                        w.WriteEndObject();
                    }

                    w.WriteEndArray();
                    w.WriteEndObject();
                }

                w.WriteStartArray("warnings");
                foreach (var warning in result.Warnings)
                {
                    w.WriteStartObject();
                    w.WriteString("code", warning.Code);
                    w.WriteString("path", warning.Path);
                    w.WriteString("message", warning.Message);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            Console.Out.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
            return;
        }

        Console.Out.WriteLine($"CR {result.Code} {result.Label}");
        if (verification is not null)
        {
            Console.Out.WriteLine($"verification: {verification.Outcome}");
        }

        if (result.Individual is { } ind)
        {
            Console.Out.WriteLine($"INS {ind.Active.Raw} ({ind.Active.Oid}){(ind.Active.IsTrusted ? string.Empty : " NOT TRUSTED")}");
            Console.Out.WriteLine($"{ind.Traits.BirthName} / {ind.Traits.FirstNames} / {ind.Traits.Sex} / {ind.Traits.BirthDate} / {ind.Traits.BirthPlace}");
            foreach (var h in ind.History)
            {
                Console.Out.WriteLine($"history {h.Raw} ({h.Oid}) {h.From:yyyy-MM-dd}..{h.To:yyyy-MM-dd}");
            }
        }

        foreach (var warning in result.Warnings)
        {
            Console.Out.WriteLine($"warning {warning.Code} at {warning.Path}: {warning.Message}");
        }
    }

    /// <summary>Per-installation UUID: the environment variable, else a file created once in the user's config folder.</summary>
    private static string InstallationId()
    {
        var fromEnv = Environment.GetEnvironmentVariable(InstanceVariable);
        if (!string.IsNullOrWhiteSpace(fromEnv))
        {
            return fromEnv;
        }

        var folder = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData, Environment.SpecialFolderOption.Create), "santegw");
        var file = Path.Combine(folder, "insi-instance-id");
        if (File.Exists(file))
        {
            var existing = File.ReadAllText(file).Trim();
            if (Guid.TryParse(existing, out _))
            {
                return existing;
            }
        }

        Directory.CreateDirectory(folder);
        var id = Guid.NewGuid().ToString("D");
        File.WriteAllText(file, id);
        return id;
    }

    /// <summary>Options shared by search and verify.</summary>
    private sealed class CommonOptions
    {
        public CommonOptions(Command cmd)
        {
            Sex.AcceptOnlyFromAmong("M", "F");
            foreach (var o in new Option[] { BirthName, FirstNames, Sex, BirthDate, BirthPlace, Endpoint, Cert, CertPasswordEnv, Ca, Idam, TraceDir, TraceRetentionDays, Record, Manual, Retries, Json })
            {
                cmd.Options.Add(o);
            }
        }

        public Option<string> BirthName { get; } = new("--birth-name") { Description = "Birth name in INSi form (uppercase A-Z, space, ', -).", Required = true };

        public Option<string> FirstNames { get; } = new("--first-names") { Description = "Birth first names separated by spaces.", Required = true };

        public Option<string> Sex { get; } = new("--sex") { Description = "M or F.", Required = true };

        public Option<string> BirthDate { get; } = new("--birth-date") { Description = "YYYY-MM-DD.", Required = true };

        public Option<string?> BirthPlace { get; } = new("--birth-place") { Description = "INSEE COG of the birth place (5 characters)." };

        public Option<string> Endpoint { get; } = new("--endpoint") { Description = $"Service URL (default: the local sandbox {InsiClientOptions.SandboxEndpoint}; start it with 'santegw sandbox insi --pki DIR --port 8443').", DefaultValueFactory = _ => InsiClientOptions.SandboxEndpoint };

        public Option<string?> Cert { get; } = new("--cert") { Description = $"PKCS#12 client certificate (CN INSI-AUTO or INSI-MANU); default ${CertVariable}." };

        public Option<string> CertPasswordEnv { get; } = new("--cert-password-env") { Description = "Environment variable holding the PKCS#12 password.", DefaultValueFactory = _ => "SANTEGW_INSI_CERT_PASSWORD" };

        public Option<string[]> Ca { get; } = new("--ca") { Description = $"Trusted CA file(s) for the server chain (PEM or DER), repeatable; default ${CaVariable} (':'-separated).", AllowMultipleArgumentsPerToken = true };

        public Option<string?> Idam { get; } = new("--idam") { Description = $"CNDA authorisation number (default: ${IdamVariable}, else {SandboxIdam})." };

        public Option<string?> TraceDir { get; } = new("--trace-dir") { Description = "Write each exchange (request, response, metadata) to this folder." };

        public Option<string?> Record { get; } = new("--record") { Description = "Record each exchange (request, response, timing) into this folder for 'santegw sandbox insi --replay' (refused against production)." };

        public Option<int> TraceRetentionDays { get; } = new("--trace-retention-days") { Description = "Delete traces older than this many days.", DefaultValueFactory = _ => 30 };

        public Option<bool> Manual { get; } = new("--manual") { Description = "User-triggered call (the certificate given should be INSI-MANU)." };

        public Option<int> Retries { get; } = new("--retries") { Description = "Retries on transport errors and unavailable faults.", DefaultValueFactory = _ => 1 };

        public Option<bool> Json { get; } = new("--json") { Description = "Print the answer as JSON." };
    }
}
