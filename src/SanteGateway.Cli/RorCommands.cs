using System.CommandLine;
using System.Globalization;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Task = System.Threading.Tasks.Task;
using SanteGateway.Ror;
using SanteGateway.Ror.Sandbox;

namespace SanteGateway.Cli;

/// <summary>
/// <c>santegw ror search|export|capacity set</c> (the national ROR or the sandbox) and <c>santegw sandbox ror</c> (added to
/// the sandbox command by <see cref="SandboxCommands"/>).
/// </summary>
internal sealed class RorCommands : ICommandModule
{
    private static readonly Option<string> FhirBase = new("--fhir-base") { Description = "FHIR base of the consultation service (…/ws-diffusion-fhir/).", Required = true };
    private static readonly Option<string> TokenEndpoint = new("--token-endpoint") { Description = "OAuth2 token endpoint.", Required = true };
    private static readonly Option<string?> CapacityBase = new("--capacity-base") { Description = "Base of the capacity service (default: /ws-synchro-dispo-lits-fhir/ on the FHIR host)." };
    private static readonly Option<string> ClientId = new("--client-id") { Description = "client_id given by ANS.", Required = true };
    private static readonly Option<int> AccessProfile = new("--access-profile") { Description = "Access profile 0–5 (0: secret; 1–5: certificate).", DefaultValueFactory = _ => 1 };
    private static readonly Option<string?> SecretEnv = new("--secret-env") { Description = "Environment variable holding the client secret (profile 0)." };
    private static readonly Option<string?> Certificate = new("--cert") { Description = "IGC-Santé ORG AUTH_CLI PKCS#12 file (profiles 1–5)." };
    private static readonly Option<string?> CertificatePasswordEnv = new("--cert-password-env") { Description = "Environment variable holding the PKCS#12 password." };
    private static readonly Option<string[]> Ca = new("--ca") { Description = "Trusted CA certificate (PEM/DER), repeatable: the IGC-Santé chain, or the sandbox's ror-ca.pem." };

    public Command Create()
    {
        var ror = new Command("ror", "The national ROR (offer and resources, FHIR MEV3): search, export, feed capacities.");
        var search = new Command("search", "Search one of the five main resources; prints one line per match (type/id, name).");
        var type = new Argument<string>("type") { Description = "Organization, HealthcareService, Location, Practitioner or PractitionerRole." };
        var parameters = new Option<string[]>("--param") { Description = "Search parameter name=value, repeatable (e.g. specialty=…|022, location.commune-cog=69123, _tag=…|84)." };
        var count = new Option<int>("--count") { Description = "Page size.", DefaultValueFactory = _ => 50 };
        var all = new Option<bool>("--all") { Description = "Follow next links to the end (the ROR stops at 10,000: use export beyond)." };
        search.Arguments.Add(type);
        foreach (var o in new Option[] { parameters, count, all })
        {
            search.Options.Add(o);
        }

        AddConnection(search);
        search.SetAction(async (parse, ct) => await Run(parse, async client =>
        {
            var query = new RorSearch(parse.GetValue(type)!).Count(parse.GetValue(count));
            foreach (var p in parse.GetValue(parameters) ?? [])
            {
                var eq = p.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    await Console.Error.WriteLineAsync($"--param {p}: expected name=value.").ConfigureAwait(false);
                    return 2;
                }

                query.Where(p[..eq], p[(eq + 1)..]);
            }

            var shown = 0;
            await foreach (var page in client.SearchPagesAsync(query, ct).ConfigureAwait(false))
            {
                if (shown == 0)
                {
                    Console.WriteLine($"total: {page.Total}");
                }

                foreach (var e in page.Entry.Where(e => e.Search?.Mode == Bundle.SearchEntryMode.Match))
                {
                    Console.WriteLine($"{e.Resource?.TypeName}/{e.Resource?.Id}\t{(e.Resource is null ? string.Empty : Name(e.Resource))}");
                    shown++;
                }

                if (!parse.GetValue(all))
                {
                    break;
                }
            }

            return 0;
        }).ConfigureAwait(false));

        var export = new Command("export", "Run an asynchronous $export and write its files (NDJSON) to a folder.");
        var output = new Option<string>("--out") { Description = "Output folder.", Required = true };
        var typeFilter = new Option<string[]>("--type-filter") { Description = "_typeFilter, repeatable (e.g. HealthcareService?_tag=…|27)." };
        export.Options.Add(output);
        export.Options.Add(typeFilter);
        AddConnection(export);
        export.SetAction(async (parse, ct) => await Run(parse, async client =>
        {
            var dir = parse.GetValue(output)!;
            Directory.CreateDirectory(dir);
            var job = await client.StartExportAsync(new RorExportRequest { TypeFilters = parse.GetValue(typeFilter) ?? [] }, ct).ConfigureAwait(false);
            var manifest = await client.WaitForExportAsync(job, new Progress<RorExportStatus>(s => Console.Error.Write(s.IsComplete ? "\rexport ready.            \n" : $"\rexport running ({s.Progress})…")), ct).ConfigureAwait(false);
            var serializer = new FhirJsonSerializer();
            var totals = new SortedDictionary<string, long>(StringComparer.Ordinal);
            for (var i = 0; i < manifest.Files.Count; i++)
            {
                var file = manifest.Files[i];
                var path = Path.Combine(dir, string.Create(CultureInfo.InvariantCulture, $"{file.Type}-{i:D3}.ndjson"));
                var writer = new StreamWriter(path + ".tmp");
                await using (writer.ConfigureAwait(false))
                {
                    await foreach (var r in client.ReadExportFileAsync(file, ct).ConfigureAwait(false))
                    {
                        await writer.WriteLineAsync(serializer.SerializeToString(r)).ConfigureAwait(false);
                        totals[r.TypeName] = totals.GetValueOrDefault(r.TypeName) + 1;
                    }
                }

                File.Move(path + ".tmp", path, overwrite: true);
            }

            Console.WriteLine($"transactionTime: {manifest.TransactionTime:O}");
            foreach (var (t, n) in totals)
            {
                Console.WriteLine($"{t}: {n}");
            }

            return 0;
        }).ConfigureAwait(false));

        var capacity = new Command("capacity", "Feed bed/place capacities.");
        var set = new Command("set", "Send one capacity figure (replace, then add when the indicator is absent). Exit code 3 = alert the GRADeS.");
        var eg = new Option<string>("--eg") { Description = "IdNatStruct of the EG.", Required = true };
        var location = new Option<string>("--location") { Description = "External sync id (idExterneSynchro) of the Location.", Required = true };
        var capacityType = new Option<string>("--type") { Description = "Capacity type (J187), e.g. 01 = lit.", DefaultValueFactory = _ => "01" };
        var status = new Option<string>("--status") { Description = "Capacity status (J188), e.g. 02 = disponible.", Required = true };
        var temporality = new Option<string>("--temporality") { Description = "Temporality (J189).", DefaultValueFactory = _ => "01" };
        var assignment = new Option<string>("--assignment") { Description = "Temporary assignment (J195).", DefaultValueFactory = _ => "01" };
        var n = new Option<int>("--count") { Description = "Number of beds/places.", Required = true };
        foreach (var o in new Option[] { eg, location, capacityType, status, temporality, assignment, n })
        {
            set.Options.Add(o);
        }

        AddConnection(set);
        set.SetAction(async (parse, ct) => await Run(parse, async client =>
        {
            var update = new RorCapacityUpdate
            {
                EgIdentifier = parse.GetValue(eg)!,
                ExternalId = parse.GetValue(location)!,
                CapacityType = parse.GetValue(capacityType)!,
                CapacityStatus = parse.GetValue(status)!,
                Temporality = parse.GetValue(temporality)!,
                TemporaryAssignment = parse.GetValue(assignment)!,
                Count = parse.GetValue(n),
                UpdatedAt = DateTimeOffset.UtcNow,
            };
            var problems = update.Validate();
            if (problems.Count > 0)
            {
                await Console.Error.WriteLineAsync(string.Join(Environment.NewLine, problems)).ConfigureAwait(false);
                return 2;
            }

            var result = await client.SetCapacityAsync(update, cancellationToken: ct).ConfigureAwait(false);
            Console.WriteLine($"{result.Outcome} ({result.Requests} request(s)){(result.AlertRecipients is { } who ? $"; alert: {who}" : string.Empty)}");
            if (result.OperationOutcome?.Issue.FirstOrDefault()?.Diagnostics is { } diagnostics && !result.Succeeded)
            {
                Console.WriteLine(diagnostics);
            }

            return result.Succeeded ? 0 : 3;
        }).ConfigureAwait(false));
        capacity.Subcommands.Add(set);

        ror.Subcommands.Add(search);
        ror.Subcommands.Add(export);
        ror.Subcommands.Add(capacity);
        ror.Subcommands.Add(RorSyncCommand.Create());
        return ror;
    }

    /// <summary><c>santegw sandbox ror</c>: runs the ROR sandbox until Ctrl-C.</summary>
    internal static Command CreateSandboxCommand()
    {
        var command = new Command("ror", "Run the ROR sandbox (HTTPS on 127.0.0.1, token endpoint with secret or mTLS) until Ctrl-C; prints the endpoints and clients.");
        var pki = new Option<string>("--pki") { Description = "Folder of the ROR sandbox PKI (created when missing; can be the INSi PKI folder).", Required = true };
        var port = new Option<int>("--port") { Description = "Port (0 = ephemeral).", DefaultValueFactory = _ => 0 };
        var offers = new Option<int>("--offers") { Description = "Generated offers (with their organisations, locations, professionals).", DefaultValueFactory = _ => 200 };
        var seed = new Option<int>("--seed") { Description = "Generator seed.", DefaultValueFactory = _ => 1 };
        var maxResults = new Option<int>("--max-results") { Description = "Cap of plain searches (the ROR: 10000).", DefaultValueFactory = _ => 10_000 };
        foreach (var o in new Option[] { pki, port, offers, seed, maxResults })
        {
            command.Options.Add(o);
        }

        command.SetAction(async (parse, ct) =>
        {
            RorSandboxServer server;
            try
            {
                server = await RorSandboxServer.StartAsync(new RorSandboxOptions
                {
                    PkiDirectory = parse.GetValue(pki),
                    Port = parse.GetValue(port),
                    GeneratedOffers = parse.GetValue(offers),
                    Seed = parse.GetValue(seed),
                    MaxResults = parse.GetValue(maxResults),
                }, cancellationToken: ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ArgumentException or IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
            {
                await Console.Error.WriteLineAsync($"ROR sandbox not started: {ex.Message}").ConfigureAwait(false);
                return 1;
            }

            await using (server.ConfigureAwait(false))
            {
                Console.WriteLine($"ROR sandbox FHIR base: {server.FhirBase}");
                Console.WriteLine($"Token endpoint: {server.TokenEndpoint}");
                Console.WriteLine($"Capacity base: {server.CapacityBase}");
                Console.WriteLine($"Trust: {server.CaPemPath}; resources: {server.Handler.Data.Count}");
                Console.WriteLine($"Clients: {RorSandboxOptions.DefaultMtlsClientId} (profile 1, {Path.Combine(server.PkiDirectory, Ror.Sandbox.Pki.RorSandboxPki.ClientP12File)}), "
                    + $"{RorSandboxOptions.DefaultProfile3ClientId} (profile 3), {RorSandboxOptions.DefaultSecretClientId} (profile 0, secret '{RorSandboxOptions.DefaultSecret}')");
                Console.WriteLine("Ctrl-C to stop.");
                try
                {
                    await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Ctrl-C: normal stop.
                }
            }

            return 0;
        });
        return command;
    }

    private static void AddConnection(Command command)
    {
        foreach (var o in new Option[] { FhirBase, TokenEndpoint, CapacityBase, ClientId, AccessProfile, SecretEnv, Certificate, CertificatePasswordEnv, Ca })
        {
            command.Options.Add(o);
        }
    }

    private static async Task<int> Run(ParseResult parse, Func<RorClient, Task<int>> action)
    {
        var options = new RorClientOptions
        {
            FhirBase = ToUri(parse.GetValue(RorCommands.FhirBase))!,
            TokenEndpoint = ToUri(parse.GetValue(RorCommands.TokenEndpoint))!,
            CapacityBase = ToUri(parse.GetValue(RorCommands.CapacityBase)),
            ClientId = parse.GetValue(ClientId)!,
            AccessProfile = parse.GetValue(AccessProfile),
            ClientSecret = parse.GetValue(SecretEnv) is { } se ? Environment.GetEnvironmentVariable(se) : null,
            ClientCertificatePath = parse.GetValue(Certificate),
            ClientCertificatePassword = parse.GetValue(CertificatePasswordEnv) is { } pe ? Environment.GetEnvironmentVariable(pe) : null,
        };
        foreach (var ca in parse.GetValue(Ca) ?? [])
        {
            options.TrustedCaPaths.Add(ca);
        }

        var problems = options.Validate();
        if (problems.Count > 0)
        {
            await Console.Error.WriteLineAsync(string.Join(Environment.NewLine, problems)).ConfigureAwait(false);
            return 2;
        }

        try
        {
            using var client = RorClient.Create(options);
            return await action(client).ConfigureAwait(false);
        }
        catch (RorException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message).ConfigureAwait(false);
            return 1;
        }
    }

    // System.CommandLine does not bind Uri; an unparsable URL becomes null and Validate() names the option.
    private static Uri? ToUri(string? text) => Uri.TryCreate(text, UriKind.Absolute, out var uri) ? uri : null;

    private static string Name(Resource r) => r switch
    {
        Organization o => o.Name ?? string.Empty,
        HealthcareService h => h.Name ?? string.Empty,
        Location l => l.Name ?? string.Empty,
        _ => string.Empty,
    };
}
