using System.CommandLine;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using SanteGateway.Application;
using SanteGateway.Insi.Sandbox.Pki;
using SanteGateway.Store;

namespace SanteGateway.Cli;

/// <summary>
/// <c>santegw support bundle --exchange ID [--output FILE] [--include-identity-data]</c>: the zip a national help desk
/// asks for about one INSi exchange (context, environment, request and response XML, timings, fault), built by
/// <see cref="SupportBundleService"/>. Identity data in the traces is masked unless explicitly asked for.
/// </summary>
internal sealed class SupportCommands : ICommandModule
{
    public Command Create()
    {
        var support = new Command("support", "What a help desk asks for (GIE SESAM-Vitale for INSi).");
        var bundle = new Command("bundle", "Write the support bundle (zip) of one INSi exchange: context, environment, request/response XML, timings, fault.");
        var exchange = new Option<string>("--exchange") { Description = "INSi exchange id (GET /api/identities/{id}/insi-exchanges lists them).", Required = true };
        var output = new Option<string?>("--output") { Description = "Zip file to write (default ./santegw-support-ID.zip)." };
        var identity = new Option<bool>("--include-identity-data") { Description = "Keep names, birth date and place, NIR/INS in the traces (masked otherwise); send the file only over a secure channel." };
        var data = new Option<string?>("--data") { Description = "Gateway data folder (default $SANTEGW_DATA or ~/.santegw)." };
        var config = new Option<string?>("--config") { Description = "Configuration file (default DATA/appsettings.json)." };
        foreach (var o in new Option[] { exchange, output, identity, data, config })
        {
            bundle.Options.Add(o);
        }

        bundle.SetAction(async (parse, ct) =>
        {
            if (!Guid.TryParse(parse.GetValue(exchange), out var id))
            {
                await Console.Error.WriteLineAsync($"--exchange: expected an exchange id (GUID), got '{parse.GetValue(exchange)}'.").ConfigureAwait(false);
                return Program.UsageError;
            }

            var (gateway, cfg, error) = GatewaySettings.Resolve(parse.GetValue(data), parse.GetValue(config), null, null, null);
            if (gateway is null || cfg is null)
            {
                await Console.Error.WriteLineAsync(error).ConfigureAwait(false);
                return Program.UsageError;
            }

            await using var db = GatewayStore.CreateContext(gateway.Store);
            var service = new SupportBundleService(db, Options.Create(OptionsFrom(cfg, gateway.DataDirectory)), TimeProvider.System);
            var result = await service.BuildAsync(id, parse.GetValue(identity), new Actor(Environment.UserName, "cli", false), ct).ConfigureAwait(false);
            if (!result.IsSuccess)
            {
                await Console.Error.WriteLineAsync(result.Error!.Message).ConfigureAwait(false);
                return 1;
            }

            var path = Path.GetFullPath(parse.GetValue(output) ?? result.Value!.FileName);
            await File.WriteAllBytesAsync(path, result.Value!.Content, ct).ConfigureAwait(false);
            Console.WriteLine($"santegw: support bundle written to {path} ({(result.Value.IdentityDataIncluded ? "identity data KEPT: send it over a secure channel only" : "identity data masked")})");
            return 0;
        });
        support.Subcommands.Add(bundle);
        return support;
    }

    /// <summary>The bundle's context from the INSi configuration, as <c>serve</c> reads it (see <see cref="ServeInsi"/>).</summary>
    internal static SupportBundleOptions OptionsFrom(IConfiguration cfg, string dataDirectory)
    {
        var insi = cfg.GetSection("Insi");
        var mode = (insi["Mode"] ?? "sandbox").Trim().ToLowerInvariant();
        var informational = typeof(SupportCommands).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        var instancePath = Path.Combine(dataDirectory, "instance-id");
        var o = new SupportBundleOptions
        {
            SoftwareName = "santegw",
            SoftwareVersion = informational,
            LpsName = ServeInsi.LpsName(insi),
            Idam = insi["Idam"] ?? (mode == "sandbox" ? SanteGateway.Insi.Sandbox.InsiSandboxOptions.DefaultIdam : null),
            AuthorisationNumber = insi["AuthorisationNumber"],
            Instance = insi["Instance"] ?? (File.Exists(instancePath) ? File.ReadAllText(instancePath).Trim() : null),
            Mode = mode,
            Endpoint = Uri.TryCreate(insi["Endpoint"], UriKind.Absolute, out var u) ? u : null,
        };
        if (mode == "sandbox")
        {
            var pki = Path.Combine(dataDirectory, "pki");
            if (File.Exists(Path.Combine(pki, TestPki.PasswordFile)))
            {
                var password = TestPki.ReadPasswordFile(pki);
                o.Certificates.Add(new SupportCertificate("insi-auto", Path.Combine(pki, TestPki.InsiAutoP12File), password));
                o.Certificates.Add(new SupportCertificate("insi-manu", Path.Combine(pki, TestPki.InsiManuP12File), password));
            }
        }
        else
        {
            var password = Environment.GetEnvironmentVariable(insi["CertificatePasswordEnv"] ?? ServeInsi.DefaultPasswordVariable);
            if (insi["CertificatePath"] is { Length: > 0 } auto)
            {
                o.Certificates.Add(new SupportCertificate("insi-auto", auto, password));
            }

            if (insi["ManualCertificatePath"] is { Length: > 0 } manual)
            {
                o.Certificates.Add(new SupportCertificate("insi-manu", manual, password));
            }
        }

        return o;
    }
}
