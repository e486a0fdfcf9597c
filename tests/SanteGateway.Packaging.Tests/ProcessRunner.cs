using System.Diagnostics;
using System.Text;

namespace SanteGateway.Packaging.Tests;

/// <summary>The outcome of a finished child process: exit code and interleaved stdout/stderr.</summary>
public sealed record ProcessOutcome(int ExitCode, string Output)
{
    /// <summary>For assertion messages: the command's output, trimmed to its tail.</summary>
    public override string ToString() => $"exit {ExitCode}\n{(Output.Length > 6000 ? "..." + Output[^6000..] : Output)}";
}

/// <summary>Runs <c>dotnet</c> and the built programs as real child processes, with a clean environment.</summary>
public static class ProcessRunner
{
    /// <summary>The dotnet host running the tests (so children use the same SDK and runtime).</summary>
    public static string DotnetHost
    {
        get
        {
            var fromEnv = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
            if (!string.IsNullOrEmpty(fromEnv) && File.Exists(fromEnv))
            {
                return fromEnv;
            }

            var running = Environment.ProcessPath;
            return running is not null && Path.GetFileNameWithoutExtension(running) == "dotnet" ? running : "dotnet";
        }
    }

    /// <summary>The folder of the dotnet installation (for DOTNET_ROOT, which a tool's apphost needs).</summary>
    public static string? DotnetRoot
    {
        get
        {
            var host = DotnetHost;
            if (!Path.IsPathRooted(host))
            {
                host = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator)
                    .Select(d => Path.Combine(d, "dotnet")).FirstOrDefault(File.Exists) ?? host;
            }

            var info = new FileInfo(host);
            var resolved = info.LinkTarget is not null ? info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? info.FullName : info.FullName;
            return Path.GetDirectoryName(resolved);
        }
    }

    /// <summary>Prepares a start info whose environment carries nothing of the test host's MSBuild or test platform.</summary>
    public static ProcessStartInfo StartInfo(string fileName, IEnumerable<string> args, string workingDirectory, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        // `dotnet test` sets MSBuild variables that would make a nested build resolve the wrong SDK pieces.
        foreach (var key in psi.Environment.Keys.ToList())
        {
            if (key.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || key.StartsWith("TESTINGPLATFORM", StringComparison.OrdinalIgnoreCase)
                || key.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase) || key == "DOTNET_HOST_PATH")
            {
                psi.Environment.Remove(key);
            }
        }

        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        psi.Environment["DOTNET_CLI_UI_LANGUAGE"] = "en";
        if (DotnetRoot is { } root)
        {
            psi.Environment["DOTNET_ROOT"] = root;
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            psi.Environment[key] = value;
        }

        return psi;
    }

    /// <summary>Runs a process to its end (killed after <paramref name="timeout"/>) and returns its exit code and output.</summary>
    public static async Task<ProcessOutcome> RunAsync(
        string fileName, IEnumerable<string> args, string workingDirectory, TimeSpan timeout,
        IReadOnlyDictionary<string, string?>? environment = null, CancellationToken ct = default)
    {
        using var process = new Process { StartInfo = StartInfo(fileName, args, workingDirectory, environment) };
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            Append(output, $"[killed after {timeout}]");
        }

        // The asynchronous readers may still be delivering the last lines.
        process.WaitForExit();
        lock (output)
        {
            return new ProcessOutcome(process.ExitCode, output.ToString());
        }
    }

    /// <summary>Runs <c>dotnet</c> with the given arguments.</summary>
    public static Task<ProcessOutcome> DotnetAsync(
        IEnumerable<string> args, string workingDirectory, TimeSpan timeout,
        IReadOnlyDictionary<string, string?>? environment = null, CancellationToken ct = default) =>
        RunAsync(DotnetHost, args, workingDirectory, timeout, environment, ct);

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }
}
