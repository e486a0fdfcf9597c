// Short local process and SQLite calls; threading the test token through each adds nothing here.
#pragma warning disable xUnit1051
using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using SanteGateway.Store;
using SanteGateway.Store.Audit;

namespace SanteGateway.Cli.Tests;

[Collection("ins-cli console")]
public sealed class GatewayCommandsTests : IDisposable
{
    private readonly string dataDir = Path.Combine(Path.GetTempPath(), "santegw-cli-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(dataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task Serve_on_a_fresh_data_folder_sets_everything_up_and_answers_ready()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "santegw.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { dll, "serve", "--data", dataDir, "--urls", "http://127.0.0.1:0" })
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        try
        {
            var lines = new List<string>();
            string? url = null;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            while (url is null)
            {
                var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
                if (line is null)
                {
                    throw new InvalidOperationException("serve exited early: " + await process.StandardError.ReadToEndAsync() + string.Join('\n', lines));
                }

                lines.Add(line);
                if (line.StartsWith("santegw: listening on ", StringComparison.Ordinal))
                {
                    url = line["santegw: listening on ".Length..].Trim();
                }
            }

            using var http = new HttpClient { BaseAddress = new Uri(url) };
            var ready = await http.GetAsync("/health/ready");
            ready.StatusCode.Should().Be(System.Net.HttpStatusCode.OK);

            lines.Should().Contain(l => l.StartsWith("santegw: created the account 'admin' with password: ", StringComparison.Ordinal));
            lines.Should().Contain(l => l.StartsWith("santegw: INSi sandbox", StringComparison.Ordinal));
            File.Exists(Path.Combine(dataDir, "santegw.db")).Should().BeTrue();
            File.Exists(Path.Combine(dataDir, "pki", "INSI-AUTO.p12")).Should().BeTrue();

            // The high-trust list is written into the structure's configuration for review, never hidden in code.
            lines.Should().Contain(l => l.StartsWith("santegw: wrote the starter configuration ", StringComparison.Ordinal));
            using var config = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(dataDir, "appsettings.json")));
            config.RootElement.GetProperty("Gateway").GetProperty("HighTrustDocuments").EnumerateArray()
                .Select(e => e.GetString()).Should().Contain(["CN", "PA"]);
            config.RootElement.GetProperty("Insi").GetProperty("Mode").GetString().Should().Be("sandbox");
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task Serve_stops_cleanly_when_termination_signals_keep_coming_during_its_shutdown()
    {
        // systemd, container runtimes and `dotnet run` (which forwards what its process group also receives) may signal
        // a stopping gateway more than once; the stop must stay graceful, not abort on an unhandled exception.
        var dll = Path.Combine(AppContext.BaseDirectory, "santegw.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { dll, "serve", "--data", dataDir, "--urls", "http://127.0.0.1:0" })
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            while (true)
            {
                var line = await process.StandardOutput.ReadLineAsync(timeout.Token)
                    ?? throw new InvalidOperationException("serve exited early: " + await stderr);
                if (line.StartsWith("santegw: listening on ", StringComparison.Ordinal))
                {
                    break;
                }
            }

            var drain = process.StandardOutput.ReadToEndAsync();
            for (var i = 0; i < 100 && !process.HasExited; i++)
            {
                using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
                {
                    await kill.WaitForExitAsync();
                }

                await Task.Delay(100);
            }

            await process.WaitForExitAsync(timeout.Token);
            await drain;
            var errors = await stderr;
            errors.Should().NotContain("Unhandled exception");
            process.ExitCode.Should().Be(0, errors);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }
    }

    [Fact]
    public async Task Audit_verify_exits_0_on_an_intact_chain_and_1_naming_the_edited_event()
    {
        Directory.CreateDirectory(dataDir);
        var store = new StoreOptions { ConnectionString = GatewayStore.SqliteConnectionString(Path.Combine(dataDir, "santegw.db")) };
        await using (var db = GatewayStore.CreateContext(store))
        {
            await db.Database.MigrateAsync();
            for (var i = 1; i <= 3; i++)
            {
                await using var tx = await db.Database.BeginTransactionAsync();
                await AuditTrail.AppendAsync(db, new AuditEntry("tester", "cli-test", "step", "thing", i.ToString(), null, "{}"), TimeProvider.System);
                await db.SaveChangesAsync();
                await tx.CommitAsync();
            }
        }

        var intact = await CliRunner.RunAsync("audit", "verify", "--data", dataDir);
        intact.Exit.Should().Be(0, intact.Err);
        intact.Out.Should().Contain("intact: 3 events");

        await using (var c = new SqliteConnection(store.ConnectionString))
        {
            await c.OpenAsync();
            await using var cmd = c.CreateCommand();
            cmd.CommandText = "UPDATE audit_events SET \"Action\" = 'nothing-happened' WHERE \"Sequence\" = 2";
            (await cmd.ExecuteNonQueryAsync()).Should().Be(1);
        }

        var broken = await CliRunner.RunAsync("audit", "verify", "--data", dataDir);
        broken.Exit.Should().Be(1);
        broken.Out.Should().Contain("BROKEN at event 2");
    }

    [Theory]
    [InlineData("--db", "postgres")]
    [InlineData("--db", "oracle")]
    public async Task Serve_refuses_an_incomplete_database_choice_with_exit_2(string option, string value)
    {
        var (exit, _, err) = await CliRunner.RunAsync("serve", "--data", dataDir, option, value);
        exit.Should().Be(2);
        err.Should().Contain("--");
        File.Exists(Path.Combine(dataDir, "santegw.db")).Should().BeFalse();
    }

    [Fact]
    public async Task Serve_refuses_an_unknown_insi_mode_named_in_the_configuration_file()
    {
        Directory.CreateDirectory(dataDir);
        await File.WriteAllTextAsync(Path.Combine(dataDir, "appsettings.json"), "{\"Insi\": {\"Mode\": \"carrier-pigeon\"}}");
        var (exit, _, err) = await CliRunner.RunAsync("serve", "--data", dataDir, "--urls", "http://127.0.0.1:0");
        exit.Should().Be(2);
        err.Should().Contain("Insi:Mode");
    }

    [Fact]
    public async Task Audit_verify_without_a_database_is_a_usage_error()
    {
        var (exit, _, err) = await CliRunner.RunAsync("audit", "verify", "--data", dataDir);
        exit.Should().Be(2);
        err.Should().Contain("No gateway database");
    }
}
