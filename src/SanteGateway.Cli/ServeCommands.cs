using System.CommandLine;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using SanteGateway.Server.Insi;
using SanteGateway.Server;
using SanteGateway.Server.Security;

namespace SanteGateway.Cli;

/// <summary>
/// <c>santegw serve</c>: runs the gateway. On a fresh machine it creates the data folder, the SQLite database,
/// the HTTPS certificate and an admin account whose password is printed once.
/// </summary>
internal sealed class ServeCommands : ICommandModule
{
    public Command Create()
    {
        var serve = new Command("serve", "Run the gateway (REST API, audit trail, INSi).");
        var data = new Option<string>("--data") { Description = "Data folder (default $SANTEGW_DATA or ~/.santegw)." };
        var config = new Option<string>("--config") { Description = "Configuration file (default DATA/appsettings.json)." };
        var urls = new Option<string>("--urls") { Description = $"Listening URLs, ';'-separated (default {GatewayOptions.DefaultUrls})." };
        var db = new Option<string>("--db") { Description = "Database provider: sqlite (default) or postgres." };
        var connection = new Option<string>("--connection") { Description = "Database connection string (default: DATA/santegw.db)." };
        var adminName = new Option<string>("--admin") { Description = "Name of the first administrator, created on an empty database (default Gateway:InitialAdmin, else 'admin')." };
        foreach (var o in new Option[] { data, config, urls, db, connection, adminName })
        {
            serve.Options.Add(o);
        }

        serve.SetAction(async (parse, ct) =>
        {
            // Everything the server creates (database, journals, keys, certificates) is private to its account.
            DataFolder.RestrictProcessUmask();
            var starter = parse.GetValue(config) is null
                ? GatewaySettings.WriteStarterConfigurationIfMissing(GatewaySettings.DataDirectory(parse.GetValue(data)))
                : null;
            if (starter is not null)
            {
                Console.WriteLine($"santegw: wrote the starter configuration {starter}: review Gateway:HighTrustDocuments, your structure's list of high-trust identity documents.");
            }

            var (options, cfg, error) = GatewaySettings.Resolve(parse.GetValue(data), parse.GetValue(config), parse.GetValue(db), parse.GetValue(connection), parse.GetValue(urls));
            if (options is null)
            {
                await Console.Error.WriteLineAsync(error).ConfigureAwait(false);
                return Program.UsageError;
            }

            DataFolder.EnsurePrivateDirectory(options.DataDirectory);
            if (parse.GetValue(adminName) is { } name)
            {
                options.InitialAdminUserName = name.Trim();
            }

            var urlList = options.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var https = urlList.Any(u => u.StartsWith("https:", StringComparison.OrdinalIgnoreCase));
            options.RequireHttps = https;

            var (composition, compositionError) = await GatewayComposition.PrepareAsync(cfg!, options, documentsAndRor: true, ct).ConfigureAwait(false);
            if (composition is null)
            {
                await Console.Error.WriteLineAsync(compositionError).ConfigureAwait(false);
                return Program.UsageError;
            }

            await using var compositionLifetime = composition;
            var builder = composition.Builder;
            builder.WebHost.UseUrls(urlList);
            if (https)
            {
                var (certificate, httpsError) = ServeHttps.Load(cfg!, options.DataDirectory);
                if (certificate is null)
                {
                    await Console.Error.WriteLineAsync(httpsError).ConfigureAwait(false);
                    return Program.UsageError;
                }

                // Server certificate (Gateway:Https) and the inbound partners' client-certificate mode (Inbound:Tls) in
                // Kestrel's one HTTPS-defaults callback: a second callback would replace the first.
                SanteGateway.Server.Inbound.PartnerCertificates.ConfigureKestrelHttps(builder, certificate);
            }

            await using var app = GatewayApp.Build(builder);
            var password = await GatewayApp.InitializeAsync(app.Services, ct).ConfigureAwait(false);
            if (password is not null)
            {
                // Printed once on the console only: it goes to no log sink.
                Console.WriteLine($"santegw: created the account '{options.InitialAdminUserName}' with password: {password}");
                Console.WriteLine("santegw: store it now; it is not shown again.");
            }

            await app.StartAsync(ct).ConfigureAwait(false);
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            Console.WriteLine($"santegw: data folder {options.DataDirectory}, database {options.Store.Provider.ToString().ToLowerInvariant()}");
            Console.WriteLine(composition.InsiSandbox is { } sandbox
                ? $"santegw: INSi sandbox (test PKI in {Path.Combine(options.DataDirectory, "pki")}) at {sandbox.Endpoint}"
                : composition.Insi is { } insi ? $"santegw: INSi endpoint {insi.Endpoint}" : "santegw: no INSi endpoint configured (Insi:Mode none)");
            Console.WriteLine(composition.DocumentsSandbox is { } documentsSandbox
                ? $"santegw: documents sandbox (DMP XDS.b) at {documentsSandbox.BaseUri}"
                : composition.Documents is { } documents ? $"santegw: DMP repository {documents.RepositoryEndpoint}" : "santegw: no document-sharing target (Documents:Mode none)");
            Console.WriteLine(composition.RorSandbox is { } rorSandbox
                ? $"santegw: ROR sandbox at {rorSandbox.FhirBase}"
                : composition.Ror is { } ror ? $"santegw: ROR {ror.FhirBase}" : "santegw: no ROR (Ror:Mode none)");
            foreach (var address in addresses)
            {
                Console.WriteLine($"santegw: listening on {address}");
            }

            try
            {
                await app.WaitForShutdownAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }

            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
            return 0;
        });
        return serve;
    }
}
