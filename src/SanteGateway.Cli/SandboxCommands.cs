using System.CommandLine;
using System.Globalization;
using SanteGateway.Insi.Sandbox;
using SanteGateway.Insi.Sandbox.Data;

namespace SanteGateway.Cli;

/// <summary><c>santegw sandbox insi</c> (run the INSi sandbox) and <c>santegw sandbox insi generate</c> (synthetic identity base).</summary>
internal sealed class SandboxCommands : ICommandModule
{
    public Command Create()
    {
        var sandbox = new Command("sandbox", "Local stand-ins for external services.");
        var insi = new Command("insi", "Run the INSi sandbox (mutual TLS on 127.0.0.1) until Ctrl-C; prints the endpoint.");
        var port = new Option<int>("--port") { Description = "Port of the mutual-TLS listener (0 = ephemeral).", DefaultValueFactory = _ => 0 };
        var cpxPort = new Option<int?>("--cpx-port") { Description = "Also open a CPx listener (server TLS only, PS assertion) on this port (0 = ephemeral)." };
        var pki = new Option<string>("--pki") { Description = "PKI folder made by 'santegw pki init'.", Required = true };
        var passwordEnv = new Option<string?>("--password-env") { Description = "Environment variable holding the PKCS#12 password (default: PKI/password.txt)." };
        var data = new Option<string?>("--data") { Description = "Identity base JSON file (default: the embedded base)." };
        var idam = new Option<string[]>("--idam") { Description = $"Accepted IDAM, repeatable ({InsiSandboxOptions.DefaultIdam} is always accepted)." };
        var unknown = new Option<string>("--unknown-identity")
        {
            Description = "Answer for a person absent from the base.",
            DefaultValueFactory = _ => "cr01",
        };
        unknown.AcceptOnlyFromAmong("cr01", "insi_102", "desir_1020");
        var latency = new Option<int>("--latency-ms") { Description = "Fixed delay added to every answer (same as --latency Nms).", DefaultValueFactory = _ => 0 };
        var latencyProfile = new Option<string?>("--latency")
        {
            Description = "Answer delay: none, 200ms, 1.5s, uniform:100ms-400ms, lognormal:MEDIAN,P95, live (close to the real service) or recorded (replayed answers take their recorded time).",
        };
        var unavailableBurst = new Option<string?>("--unavailable-burst") { Description = "Windows of unavailability faults, DURATION/PERIOD (e.g. 5s/60s: 5 s of siram_40 faults every minute)." };
        var slowBurst = new Option<string?>("--slow-burst") { Description = "Windows of slow answers, DURATION/PERIOD (e.g. 10s/120s); answers inside wait --slow-latency." };
        var slowLatency = new Option<string>("--slow-latency") { Description = "Delay of answers inside a slow burst.", DefaultValueFactory = _ => "25s" };
        var randomSeed = new Option<int?>("--seed") { Description = "Seed of the random draws (latency, fault rate) for repeatable runs." };
        var faultLayout = new Option<string>("--fault-layout") { Description = "Fault serialisation: current (live service today) or 2022 (as the recorded FakeIdam.fault.xml).", DefaultValueFactory = _ => "current" };
        faultLayout.AcceptOnlyFromAmong("current", "2022");
        var replay = new Option<string?>("--replay") { Description = "Folder recorded with 'santegw insi ... --record' (or Insi:RecordDirectory): matching requests get the recorded answers." };
        var persons = new Option<string?>("--persons") { Description = "CSV of your own test persons added to the base (columns local_id;birth_name;first_names;sex;birth_date;birth_place_cog;ins_matricule;oid)." };
        var faultRate = new Option<double>("--fault-rate") { Description = "Share (0..1) of requests answered with an unavailability fault.", DefaultValueFactory = _ => 0 };
        var scripted = new Option<string?>("--scripted") { Description = "Folder of scripted answers (index.json + response files)." };
        foreach (var option in new Option[] { port, cpxPort, pki, passwordEnv, data, idam, unknown, latency, latencyProfile, unavailableBurst, slowBurst, slowLatency, randomSeed, faultLayout, faultRate, scripted, replay, persons })
        {
            insi.Options.Add(option);
        }

        insi.SetAction(async (parseResult, ct) =>
        {
            SandboxLatency? profile;
            SandboxBurst? unavailable, slow;
            TimeSpan slowDelay;
            try
            {
                profile = parseResult.GetValue(latencyProfile) is { } spec ? SandboxLatency.Parse(spec) : null;
                unavailable = parseResult.GetValue(unavailableBurst) is { } u ? SandboxBurst.Parse(u) : null;
                slow = parseResult.GetValue(slowBurst) is { } sb ? SandboxBurst.Parse(sb) : null;
                slowDelay = SandboxLatency.ParseDuration(parseResult.GetValue(slowLatency)!);
            }
            catch (FormatException ex)
            {
                await Console.Error.WriteLineAsync(ex.Message).ConfigureAwait(false);
                return 2;
            }

            var options = new InsiSandboxOptions
            {
                Latency = profile,
                UnavailableBurst = unavailable,
                SlowBurst = slow,
                SlowLatency = slowDelay,
                FaultSeed = parseResult.GetValue(randomSeed),
                FaultLayout = parseResult.GetValue(faultLayout) == "2022" ? SandboxFaultLayout.Recorded2022 : SandboxFaultLayout.Current,
                ReplayDirectory = parseResult.GetValue(replay),
                PersonsCsvFile = parseResult.GetValue(persons),
                Port = parseResult.GetValue(port),
                CpxPort = parseResult.GetValue(cpxPort),
                PkiDirectory = parseResult.GetValue(pki),
                DataFile = parseResult.GetValue(data),
                LatencyMs = parseResult.GetValue(latency),
                FaultRate = parseResult.GetValue(faultRate),
                ScriptedResponsesDirectory = parseResult.GetValue(scripted),
                UnknownIdentity = parseResult.GetValue(unknown) switch
                {
                    "insi_102" => UnknownIdentityBehaviour.Insi102,
                    "desir_1020" => UnknownIdentityBehaviour.Desir1020,
                    _ => UnknownIdentityBehaviour.Cr01,
                },
            };
            foreach (var value in parseResult.GetValue(idam) ?? [])
            {
                options.Idams.Add(value);
            }

            var envName = parseResult.GetValue(passwordEnv);
            if (envName is not null)
            {
                options.Password = Environment.GetEnvironmentVariable(envName);
                if (string.IsNullOrEmpty(options.Password))
                {
                    await Console.Error.WriteLineAsync($"--password-env: the environment variable {envName} is not set or empty.").ConfigureAwait(false);
                    return 1;
                }
            }

            InsiSandboxServer server;
            try
            {
                server = await InsiSandboxServer.StartAsync(options, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidDataException or IOException or UnauthorizedAccessException
                                           or System.Security.Cryptography.CryptographicException)
            {
                await Console.Error.WriteLineAsync($"INSi sandbox not started: {ex.Message}").ConfigureAwait(false);
                return 1;
            }

            await using (server.ConfigureAwait(false))
            {
                Console.WriteLine($"INSi sandbox (mutual TLS) listening on {server.Endpoint}");
                if (server.CpxEndpoint is not null)
                {
                    Console.WriteLine($"INSi sandbox (CPx) listening on {server.CpxEndpoint}");
                }

                Console.WriteLine($"Identity base: {server.Handler.IdentityBase.Persons.Count} persons; IDAM accepted: {string.Join(", ", server.Handler.Idams.Order(StringComparer.Ordinal))}; latency: {server.Handler.Latency}.");
                if (server.Handler.Recording is { } recording)
                {
                    Console.WriteLine($"Replaying {recording} from {options.ReplayDirectory}; other requests use the identity base.");
                }

                Console.WriteLine("Ctrl-C to stop.");
                try
                {
                    await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Ctrl-C / SIGTERM: normal stop.
                }
            }

            return 0;
        });

        var generate = new Command("generate", "Write a synthetic identity base (valid keys, French names, homonyms, NIA) for the sandbox.");
        var count = new Option<int>("--count") { Description = "Number of persons.", Required = true };
        var output = new Option<string>("--out") { Description = "Output JSON file.", Required = true };
        var seed = new Option<int>("--seed") { Description = "Random seed.", DefaultValueFactory = _ => 1 };
        var homonymRate = new Option<double>("--homonym-rate") { Description = "Share of homonyms (0..1).", DefaultValueFactory = _ => 0.01 };
        var niaRate = new Option<double>("--nia-rate") { Description = "Share of INS-NIA (0..1).", DefaultValueFactory = _ => 0.01 };
        foreach (var option in new Option[] { count, output, seed, homonymRate, niaRate })
        {
            generate.Options.Add(option);
        }

        generate.SetAction(parseResult =>
        {
            var n = parseResult.GetValue(count);
            var h = parseResult.GetValue(homonymRate);
            var r = parseResult.GetValue(niaRate);
            if (n < 0)
            {
                Console.Error.WriteLine("--count: must be ≥ 0.");
                return 2;
            }

            if (h is < 0 or > 1 || r is < 0 or > 1)
            {
                Console.Error.WriteLine("--homonym-rate / --nia-rate: must be between 0 and 1.");
                return 2;
            }

            var path = parseResult.GetValue(output)!;
            var temp = path + ".tmp";
            try
            {
                using (var stream = File.Create(temp))
                {
                    SandboxIdentityBase.Write(stream, SyntheticIdentityGenerator.Generate(n, parseResult.GetValue(seed), h, r),
                        string.Create(CultureInfo.InvariantCulture, $"Synthetic INSi sandbox base: {n} persons, seed {parseResult.GetValue(seed)}, homonym rate {h}, NIA rate {r}."));
                }

                File.Move(temp, path, overwrite: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                File.Delete(temp);
                Console.Error.WriteLine($"--out: {ex.Message}");
                return 1;
            }

            Console.WriteLine($"{n} persons written to {path}");
            return 0;
        });

        insi.Subcommands.Add(generate);
        sandbox.Subcommands.Add(insi);
        sandbox.Subcommands.Add(DocumentsCommands.SandboxCommand());
        sandbox.Subcommands.Add(RorCommands.CreateSandboxCommand());
        return sandbox;
    }
}
