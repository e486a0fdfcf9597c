using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using SanteGateway.Application;
using SanteGateway.Documents.Sandbox;
using SanteGateway.Documents.Xds;
using SanteGateway.Store;
using SanteGateway.Store.Entities;

namespace SanteGateway.Cli;

/// <summary>
/// <c>santegw documents send [--data DIR] --identity ID FILE.xml [--transport xds] [--replaces UNIQUEID]</c>: send a CDA to
/// the shared record (DMP) behind the qualified-INS gate; <c>santegw documents list --identity ID</c>: the history.
/// Exit codes: 0 accepted, 1 refused (the rule is named on stderr), 2 usage, 3 not delivered (queued for retry by serve, or a dead letter that can be resent).
/// </summary>
internal sealed class DocumentsCommands : ICommandModule
{
    public const int Refused = 1;
    public const int DeliveryFailed = 3;

    public Command Create()
    {
        var documents = new Command("documents", "Feed the DMP / Mon espace santé (qualified INS only).");
        documents.Subcommands.Add(Send());
        documents.Subcommands.Add(List());
        return documents;
    }

    /// <summary><c>santegw sandbox documents</c>, added under <c>sandbox</c>.</summary>
    public static Command SandboxCommand()
    {
        var command = new Command("documents", "Run the document-sharing sandbox (XDS.b registry/repository, DMP states; mutual TLS on 127.0.0.1) until Ctrl-C.");
        var port = new Option<int>("--port") { Description = "Port (0 = ephemeral).", DefaultValueFactory = _ => 0 };
        var pki = new Option<string>("--pki") { Description = "PKI folder made by 'santegw pki init'.", Required = true };
        var passwordEnv = new Option<string?>("--password-env") { Description = "Environment variable holding the PKCS#12 password (default: PKI/password.txt)." };
        var states = new Option<string[]>("--dmp-state") { Description = "DMP state of a patient, MATRICULE=active|none|closed|opposed (repeatable)." };
        var fallback = new Option<string>("--default-dmp-state") { Description = "State of a DMP not listed.", DefaultValueFactory = _ => "active" };
        foreach (var o in new Option[] { port, pki, passwordEnv, states, fallback })
        {
            command.Options.Add(o);
        }

        command.SetAction(async (parse, ct) =>
        {
            var options = new DocumentsSandboxOptions { Port = parse.GetValue(port), PkiDirectory = parse.GetValue(pki) };
            if (DmpStates.Parse(parse.GetValue(fallback)) is not { } defaultState)
            {
                await Console.Error.WriteLineAsync("--default-dmp-state: expected active, none, closed or opposed.").ConfigureAwait(false);
                return Program.UsageError;
            }

            options.DefaultDmpState = defaultState;
            foreach (var spec in parse.GetValue(states) ?? [])
            {
                var parts = spec.Split('=', 2);
                if (parts.Length != 2 || parts[0].Length != 15 || DmpStates.Parse(parts[1]) is not { } state)
                {
                    await Console.Error.WriteLineAsync($"--dmp-state {spec}: expected MATRICULE(15)=active|none|closed|opposed.").ConfigureAwait(false);
                    return Program.UsageError;
                }

                options.DmpStates[parts[0]] = state;
            }

            if (parse.GetValue(passwordEnv) is { } env)
            {
                options.Password = Environment.GetEnvironmentVariable(env);
                if (string.IsNullOrEmpty(options.Password))
                {
                    await Console.Error.WriteLineAsync($"--password-env: the environment variable {env} is not set or empty.").ConfigureAwait(false);
                    return 1;
                }
            }

            DocumentsSandboxServer server;
            try
            {
                server = await DocumentsSandboxServer.StartAsync(options, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ArgumentException or IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
            {
                await Console.Error.WriteLineAsync($"Documents sandbox not started: {ex.Message}").ConfigureAwait(false);
                return 1;
            }

            await using (server.ConfigureAwait(false))
            {
                Console.WriteLine($"Documents sandbox (mutual TLS) repository {server.RepositoryEndpoint}");
                Console.WriteLine($"Documents sandbox registry {server.RegistryEndpoint}");
                Console.WriteLine($"Documents sandbox DMP status {server.DmpStatusEndpoint}");
                Console.WriteLine($"repositoryUniqueId {server.Handler.RepositoryUniqueId}; default DMP state {DmpStates.ToWire(options.DefaultDmpState)}. Ctrl-C to stop.");
                try
                {
                    await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }
            }

            return 0;
        });
        return command;
    }

    private static (Option<string> Data, Option<string> Config, Option<string> Db, Option<string> Connection) StoreOptions() => (
        new Option<string>("--data") { Description = "Data folder (default $SANTEGW_DATA or ~/.santegw)." },
        new Option<string>("--config") { Description = "Configuration file (default DATA/appsettings.json)." },
        new Option<string>("--db") { Description = "Database provider: sqlite (default) or postgres." },
        new Option<string>("--connection") { Description = "Database connection string." });

    private static Command Send()
    {
        var (data, config, db, connection) = StoreOptions();
        var identity = new Option<Guid>("--identity") { Description = "The identity id in the gateway store.", Required = true };
        var transport = new Option<string?>("--transport") { Description = "xds (default) or pdsm." };
        var replaces = new Option<string?>("--replaces") { Description = "uniqueId of a document sent earlier that this one replaces." };
        var file = new Argument<FileInfo>("FILE") { Description = "The CDA R2 document." };
        var send = new Command("send", "Send a CDA R2 document for an identity (refused unless the identity is qualified and the CDA carries its INS and traits).");
        send.Arguments.Add(file);
        foreach (var o in new Option[] { data, config, db, connection, identity, transport, replaces })
        {
            send.Options.Add(o);
        }

        send.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(file)!;
            if (!path.Exists)
            {
                await Console.Error.WriteLineAsync($"{path.FullName}: no such file.").ConfigureAwait(false);
                return Program.UsageError;
            }

            var (options, cfg, error) = GatewaySettings.Resolve(parse.GetValue(data), parse.GetValue(config), parse.GetValue(db), parse.GetValue(connection), null);
            if (options is null)
            {
                await Console.Error.WriteLineAsync(error).ConfigureAwait(false);
                return Program.UsageError;
            }

            var (client, sandbox, documentsError) = await ServeDocuments.PrepareAsync(cfg!, options, ct).ConfigureAwait(false);
            if (documentsError is not null)
            {
                await Console.Error.WriteLineAsync(documentsError).ConfigureAwait(false);
                return Program.UsageError;
            }

            await using var sandboxLifetime = sandbox;
            if (sandbox is not null)
            {
                await Console.Error.WriteLineAsync($"santegw: Documents:Mode sandbox: sending to a temporary documents sandbox at {sandbox.BaseUri} (configure Documents:Mode remote for a real target).").ConfigureAwait(false);
            }

            var services = new ServiceCollection();
            services.AddLogging();
            services.AddMetrics();
            services.AddGatewayStore(options.Store);
            services.AddSanteGatewayApplication();
            services.Configure<DocumentSharingOptions>(cfg!.GetSection("Documents"));
            if (client is not null)
            {
                ServeDocuments.Register(services, client, sandbox is not null);
            }

            await using var provider = services.BuildServiceProvider();
            await using var scope = provider.CreateAsyncScope();
            var svc = scope.ServiceProvider.GetRequiredService<DocumentService>();
            var content = await File.ReadAllBytesAsync(path.FullName, ct).ConfigureAwait(false);
            var result = await svc.SendAsync(parse.GetValue(identity), new SendDocumentRequest(content, parse.GetValue(transport), parse.GetValue(replaces)), new Actor(Environment.UserName, "cli", false), ct).ConfigureAwait(false);
            if (result.IsSuccess)
            {
                Print(result.Value);
                if (result.Value.State != DocumentSubmissionStates.Accepted)
                {
                    // Queued in the outbox: `santegw serve` on the same data retries it (this command has no worker).
                    await Console.Error.WriteLineAsync($"santegw: not delivered yet ({result.Value.ErrorCode}); queued for retry at {result.Value.NextAttemptAt:u} by santegw serve on this data.").ConfigureAwait(false);
                    return DeliveryFailed;
                }

                return 0;
            }

            var e = result.Error!;
            await Console.Error.WriteLineAsync($"{e.Rule}: {e.Message}").ConfigureAwait(false);
            foreach (var (field, messages) in e.Fields ?? new Dictionary<string, string[]>())
            {
                foreach (var m in messages)
                {
                    await Console.Error.WriteLineAsync($"  {field}: {m}").ConfigureAwait(false);
                }
            }

            if (e.Data?.GetValueOrDefault("submission") is DocumentSubmissionView view)
            {
                Print(view);
            }

            return e.Kind == ErrorKind.Upstream ? DeliveryFailed : e.Kind == ErrorKind.Invalid ? Program.UsageError : Refused;
        });
        return send;
    }

    private static Command List()
    {
        var (data, config, db, connection) = StoreOptions();
        var identity = new Option<Guid>("--identity") { Description = "The identity id in the gateway store.", Required = true };
        var list = new Command("list", "The documents sent for an identity, newest first.");
        foreach (var o in new Option[] { data, config, db, connection, identity })
        {
            list.Options.Add(o);
        }

        list.SetAction(async (parse, ct) =>
        {
            var (options, _, error) = GatewaySettings.Resolve(parse.GetValue(data), parse.GetValue(config), parse.GetValue(db), parse.GetValue(connection), null);
            if (options is null)
            {
                await Console.Error.WriteLineAsync(error).ConfigureAwait(false);
                return Program.UsageError;
            }

            var services = new ServiceCollection();
            services.AddLogging();
            services.AddMetrics();
            services.AddGatewayStore(options.Store);
            services.AddSanteGatewayApplication();
            await using var provider = services.BuildServiceProvider();
            await using var scope = provider.CreateAsyncScope();
            var result = await scope.ServiceProvider.GetRequiredService<DocumentService>().ListAsync(parse.GetValue(identity), ct).ConfigureAwait(false);
            if (!result.IsSuccess)
            {
                await Console.Error.WriteLineAsync($"{result.Error!.Rule}: {result.Error.Message}").ConfigureAwait(false);
                return Refused;
            }

            foreach (var v in result.Value)
            {
                Print(v);
            }

            return 0;
        });
        return list;
    }

    private static void Print(DocumentSubmissionView v) =>
        Console.WriteLine(string.Join('\t', v.Id, v.State, v.Transport, v.DocumentUniqueId, v.TypeCode, v.Attempts.ToString(CultureInfo.InvariantCulture),
            v.CreatedAt.ToString("u", CultureInfo.InvariantCulture), v.ErrorCode ?? string.Empty));
}
