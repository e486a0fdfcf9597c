using System.CommandLine;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using SanteGateway.Application;
using SanteGateway.Server;

namespace SanteGateway.Cli;

/// <summary>
/// <c>santegw import identities FILE.csv</c>: initial load of an existing patient base (batch CSV dialect, every row
/// validated, rejects by line into a CSV file; see <see cref="IdentityImporter"/>).
/// </summary>
internal sealed class ImportCommands : ICommandModule
{
    public Command Create()
    {
        var import = new Command("import", "Bulk loads into the gateway database.");
        import.Subcommands.Add(Identities());
        return import;
    }

    private static Command Identities()
    {
        var cmd = new Command("identities", "Imports identities from a CSV file (localId;birthName;birthFirstNames;firstFirstName;sex;birthDate;birthPlaceCog;usedName;usedFirstName;ins;insOid).");
        var file = new Argument<string>("FILE") { Description = "CSV file (UTF-8, ';' or ',', header names as for batch jobs)." };
        var authority = new Option<string>("--authority") { Description = "Assigning authority of the localIds (OID or namespace): stores each localId as an identifier of that domain." };
        var rejects = new Option<string>("--rejects") { Description = "Where to write refused rows (default FILE.rejects.csv)." };
        cmd.Arguments.Add(file);
        cmd.Options.Add(authority);
        cmd.Options.Add(rejects);
        var o = DbCommands.DatabaseOptions.AddTo(cmd);
        cmd.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(file)!;
            if (!File.Exists(path))
            {
                await Console.Error.WriteLineAsync($"santegw import identities: no file {path}.").ConfigureAwait(false);
                return Program.UsageError;
            }

            var (options, _, error) = o.Resolve(parse);
            if (options is null)
            {
                await Console.Error.WriteLineAsync(error).ConfigureAwait(false);
                return Program.UsageError;
            }

            await using var app = GatewayApp.Build(GatewayApp.CreateBuilder([], options));
            await GatewayApp.InitializeAsync(app.Services, ct).ConfigureAwait(false);
            var rejectsPath = parse.GetValue(rejects) ?? path + ".rejects.csv";
            await using var input = File.OpenRead(path);
            await using var report = new StreamWriter(rejectsPath, append: false, new UTF8Encoding(false));
            await report.WriteLineAsync("line;localId;rule;reason").ConfigureAwait(false);
            await using var scope = app.Services.CreateAsyncScope();
            var importer = scope.ServiceProvider.GetRequiredService<IdentityImporter>();
            var result = await importer.ImportCsvAsync(input, parse.GetValue(authority), Actor.Process(Environment.UserName, "cli"),
                r => report.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{r.Line};{Quote(r.LocalId)};{Quote(r.Rule)};{Quote(r.Reason)}")), ct).ConfigureAwait(false);
            if (!result.IsSuccess)
            {
                await Console.Error.WriteLineAsync("santegw import identities: " + result.Error!.Message).ConfigureAwait(false);
                return Program.UsageError;
            }

            var v = result.Value!;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{v.Rows} rows: {v.Imported} imported, {v.Rejected} rejected{(v.Rejected > 0 ? " (" + rejectsPath + ")" : "")} in {v.Elapsed.TotalSeconds:F1} s ({v.Imported / Math.Max(v.Elapsed.TotalSeconds, 0.001):F0}/s: {string.Join(", ", v.Steps.Select(x => x.Step + " " + x.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture) + " s"))}); import {v.ImportId}."));
            return v.Rejected == 0 ? 0 : 1;
        });
        return cmd;
    }

    private static string Quote(string? v) =>
        v is null ? "" : v.AsSpan().IndexOfAny(";,\"\r\n") >= 0 ? "\"" + v.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : v;
}
