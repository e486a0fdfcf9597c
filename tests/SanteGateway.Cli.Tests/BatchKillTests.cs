using System.Diagnostics;
using System.Text;
using Microsoft.Data.Sqlite;
using SanteGateway.Insi.Sandbox.Data;

namespace SanteGateway.Cli.Tests;

/// <summary>
/// Crash safety of batch jobs with real processes: <c>santegw batch</c> killed with SIGKILL at random points, again and
/// again, then resumed, ends with the report of a run that was never interrupted — no row lost, none counted twice.
/// </summary>
public sealed class BatchKillTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "santegw-kill-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task A_batch_killed_twenty_times_at_random_points_then_resumed_ends_with_the_report_of_an_uninterrupted_run()
    {
        var ct = TestContext.Current.CancellationToken;
        var csv = Path.Combine(root, "patients.csv");
        Directory.CreateDirectory(root);
        await File.WriteAllTextAsync(csv, Csv(), new UTF8Encoding(false), ct);

        var reference = DataFolder("reference");
        var (exit, output) = await RunToEndAsync(["batch", "search", "--input", csv, "--data", reference, "--rate", "0", "--output", Path.Combine(root, "reference.csv")], ct);
        exit.Should().Be(0, output);
        var expected = await File.ReadAllLinesAsync(Path.Combine(root, "reference.csv"), ct);
        expected.Should().HaveCount(81, "a header and one line per row");
        expected.Should().Contain(l => l.Contains(";confirmed;", StringComparison.Ordinal))
            .And.Contain(l => l.Contains(";not-found;", StringComparison.Ordinal))
            .And.Contain(l => l.Contains(";input-refused;", StringComparison.Ordinal));

        var killed = DataFolder("killed");
        var random = new Random(20261201);
        Guid? job = null;
        var kills = 0;
        var attempts = 0;
        while (kills < 20 && attempts++ < 60)
        {
            string[] args = job is null
                ? ["batch", "search", "--input", csv, "--data", killed]
                : ["batch", "resume", job.Value.ToString(), "--data", killed];
            var (id, wasKilled) = await RunAndKillAsync(args, TimeSpan.FromMilliseconds(random.Next(0, 900)), ct);
            job ??= id;
            if (wasKilled)
            {
                kills++;
            }
            else
            {
                break; // the job ended before the kill: nothing left to interrupt
            }
        }

        job.Should().NotBeNull("the first run printed its job id before being killed");
        kills.Should().Be(20, "the job (70 calls at 5/s) is long enough to be interrupted twenty times");
        var report = Path.Combine(root, "killed.csv");
        (exit, output) = await RunToEndAsync(["batch", "resume", job!.Value.ToString(), "--data", killed, "--output", report], ct);
        exit.Should().Be(0, output);
        (await File.ReadAllLinesAsync(report, ct)).Should().Equal(expected, $"killed {kills} times");
    }

    [Theory]
    [InlineData(64, "santegw: managed heap limited to 64 MB")]
    [InlineData(0, null)]
    public async Task A_local_batch_in_its_own_process_runs_under_the_configured_managed_heap_limit(int megabytes, string? line)
    {
        var ct = TestContext.Current.CancellationToken;
        var dir = Path.Combine(root, "bounded" + megabytes);
        Directory.CreateDirectory(dir);
        await File.WriteAllTextAsync(Path.Combine(dir, "appsettings.json"), $$"""
            { "Insi": { "Mode": "sandbox", "SandboxPort": 0 }, "Batch": { "LocalHeapLimitMB": {{megabytes}} } }
            """, ct);

        var (exit, output) = await RunToEndAsync(["batch", "verify", "--from-store", "all", "--data", dir], ct);

        exit.Should().Be(0, output);
        if (line is null)
        {
            output.Should().NotContain("managed heap limited", "0 leaves the heap unbounded");
        }
        else
        {
            output.Should().Contain(line, "the GC reports the limit as the memory it may use");
        }
    }

    /// <summary>80 rows: sandbox persons (found), unknown persons (not found) and broken rows (refused).</summary>
    private static string Csv()
    {
        var persons = SandboxIdentityBase.LoadDefault().Persons
            .Where(p => p.History.Count == 0 && p.BirthName.All(c => c is >= 'A' and <= 'Z' or ' ' or '-' or '\''))
            .Take(40).ToList();
        var sb = new StringBuilder("localId;birthName;birthFirstNames;sex;birthDate\n");
        for (var i = 0; i < 80; i++)
        {
            var line = (i % 8) switch
            {
                7 => $"P{i};DUP0NT;JEAN;M;1980-05-17",
                6 => $"P{i};INCONNU;PERSONNE;F;1999-09-{(i % 27) + 1:00}",
                _ => persons[i % persons.Count] is var p ? $"P{i};{p.BirthName};{p.FirstNamesJoined};{p.Sex};{p.BirthDate}" : "",
            };
            sb.Append(line).Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>A data folder on the built-in INSi sandbox, with short leases so a killed worker's items come back fast.</summary>
    private string DataFolder(string name)
    {
        var dir = Path.Combine(root, name);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "appsettings.json"), """
            {
              "Insi": { "Mode": "sandbox", "SandboxPort": 0 },
              "Batch": { "Lease": "00:00:01", "ChunkSize": 4, "DefaultRatePerSecond": 5, "DefaultConcurrency": 2 }
            }
            """);
        return dir;
    }

    private static ProcessStartInfo Start(IEnumerable<string> args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "santegw.dll"));
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        return start;
    }

    private static async Task<(int Exit, string Output)> RunToEndAsync(string[] args, CancellationToken ct)
    {
        using var process = Process.Start(Start(args))!;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>
    /// Starts the command, waits until it works on the job (its first line), then SIGKILLs it after the delay.
    /// Returns the job id and whether it was killed (false: it ended on its own first).
    /// </summary>
    private static async Task<(Guid? Job, bool Killed)> RunAndKillAsync(string[] args, TimeSpan delay, CancellationToken ct)
    {
        using var process = Process.Start(Start(args))!;
        _ = process.StandardError.ReadToEndAsync(ct);
        Guid? job = null;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(2));
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            // "santegw: job <id> (search, …)" or "santegw: resuming job <id>"
            var words = line.Split(' ');
            var at = Array.IndexOf(words, "job");
            if (at >= 0 && at + 1 < words.Length && Guid.TryParse(words[at + 1], out var id))
            {
                job = id;
                break;
            }
        }

        await Task.Delay(delay, ct);
        if (process.HasExited)
        {
            return (job, false);
        }

        // SIGKILL: no shutdown hook, no flush, no finally — what a power cut or the OOM killer does.
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync(ct);
        return (job, true);
    }
}

/// <summary><c>santegw batch … --from-store FILTER</c> and <c>--url</c>: what is refused before any work starts.</summary>
[Collection("ins-cli console")]
public sealed class BatchCommandTests : IDisposable
{
    private readonly string dataDir = Path.Combine(Path.GetTempPath(), "santegw-batchcli-" + Guid.NewGuid().ToString("N"));

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

    [Theory]
    [InlineData("status=QUAL;since=2024-01-01", "'since=2024-01-01'")]
    [InlineData("from=01/01/2024", "'from=01/01/2024'")]
    [InlineData("olderThan=-3", "'olderThan=-3'")]
    public async Task A_store_filter_with_an_unknown_or_malformed_part_is_refused_with_exit_2_naming_the_part(string filter, string named)
    {
        var (exit, _, err) = await CliRunner.RunAsync("batch", "verify", "--from-store", filter, "--data", dataDir);
        exit.Should().Be(2);
        err.Should().Contain("--from-store").And.Contain(named);
        File.Exists(Path.Combine(dataDir, "santegw.db")).Should().BeFalse("nothing is created for a refused command");
    }

    [Fact]
    public async Task A_store_filter_selecting_nothing_ends_at_once_with_an_empty_report()
    {
        Directory.CreateDirectory(dataDir);
        await File.WriteAllTextAsync(Path.Combine(dataDir, "appsettings.json"), """{ "Insi": { "Mode": "sandbox", "SandboxPort": 0 } }""", TestContext.Current.CancellationToken);
        var report = Path.Combine(dataDir, "report.csv");
        var (exit, output, err) = await CliRunner.RunAsync("batch", "verify", "--from-store", "status=QUAL;from=2024-01-01;to=2024-12-31;olderThan=30", "--data", dataDir, "--output", report);
        exit.Should().Be(0, err);
        output.Should().Contain("0 items").And.Contain("done: 0/0");
        err.Should().NotContain("managed heap limited", "a host calling the CLI's entry point (this test) keeps its own heap settings");
        (await File.ReadAllLinesAsync(report, TestContext.Current.CancellationToken)).Should().Equal("line;localId;identityId;outcome;rule;detail;ins");
    }

    [Fact]
    public async Task The_remote_mode_needs_an_api_key_and_says_where_to_put_it()
    {
        Environment.GetEnvironmentVariable("SANTEGW_API_KEY").Should().BeNull("the test environment sets no key");
        var (exit, _, err) = await CliRunner.RunAsync("batch", "search", "--from-store", "all", "--url", "https://127.0.0.1:1");
        exit.Should().Be(2);
        err.Should().Contain("--api-key").And.Contain("SANTEGW_API_KEY");
    }
}
