using System.CommandLine;
using System.Reflection;

namespace SanteGateway.Cli;

/// <summary>Entry point of the <c>santegw</c> command.</summary>
public static class Program
{
    /// <summary>Exit code for a usage error (unknown option, missing argument).</summary>
    public const int UsageError = 2;

    /// <summary>Runs the command line and returns the process exit code.</summary>
    public static async Task<int> Main(string[] args)
    {
        // First thing, or glibc has fixed its arena limit already (ProcessMemory.CapMallocArenas): a local batch run owns
        // its process for a long time, and each arena a thread takes keeps its own free memory.
        if (args is ["batch", ..])
        {
            ProcessMemory.CapMallocArenas(2);
        }

        var root = BuildRoot();
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                await Console.Error.WriteLineAsync(error.Message).ConfigureAwait(false);
            }

            return UsageError;
        }

        // Termination is handled here rather than by System.CommandLine: its handler settles a completion source once per
        // signal, so a second SIGTERM while the process stops (systemd, container runtimes, `dotnet run` forwarding what
        // its process group also got) aborted the process with an unhandled InvalidOperationException, and it forced the
        // exit two seconds after the first signal, cutting a gateway's or a batch's graceful stop short.
        using var stopping = new CancellationTokenSource();
        var command = parse.CommandResult.Command;
        Termination.Watch(stopping, server: command.Name == "serve" || command.Parents.OfType<Command>().Any(p => p.Name == "sandbox"));
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, stopping.Token).ConfigureAwait(false);
        }
        finally
        {
            Termination.Forget(stopping);
        }
    }

    /// <summary>
    /// SIGINT/SIGTERM for the command being run: the first cancels its token and the command ends in its own time. A repeat
    /// is ignored by the servers (<c>serve</c>, <c>sandbox …</c>: a service manager's repeated SIGTERM must not cut their
    /// stop) and ends any other command at once (a second Ctrl+C at the terminal). The handlers stay registered for the
    /// life of the process, so a signal arriving after the command returned, while the runtime exits, changes nothing.
    /// </summary>
    private static class Termination
    {
        private static readonly Lock Gate = new();
        private static System.Runtime.InteropServices.PosixSignalRegistration[]? registrations;
        private static CancellationTokenSource? current;
        private static bool currentIsServer;
        private static int signals;

        public static void Watch(CancellationTokenSource stopping, bool server)
        {
            lock (Gate)
            {
                current = stopping;
                currentIsServer = server;
                signals = 0;
                registrations ??=
                [
                    System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, OnSignal),
                    System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, OnSignal),
                ];
            }
        }

        public static void Forget(CancellationTokenSource stopping)
        {
            lock (Gate)
            {
                if (ReferenceEquals(current, stopping))
                {
                    current = null;
                }
            }
        }

        private static void OnSignal(System.Runtime.InteropServices.PosixSignalContext context)
        {
            lock (Gate)
            {
                if (++signals == 1 || currentIsServer)
                {
                    context.Cancel = true;
                    current?.Cancel();
                }
            }
        }
    }

    /// <summary>The whole command tree, built from every <see cref="ICommandModule"/> of this assembly.</summary>
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("SanteGateway: INS, INSi, identity vigilance, DataMatrix and the gateway server.");
        var modules = typeof(Program).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(ICommandModule).IsAssignableFrom(t))
            .OrderBy(t => t.Name, StringComparer.Ordinal);
        foreach (var type in modules)
        {
            var module = (ICommandModule)Activator.CreateInstance(type)!;
            root.Subcommands.Add(module.Create());
        }

        // --version: the package version and the commit it was built from (see docs/packaging.md).
        foreach (var option in root.Options.OfType<VersionOption>())
        {
            option.Action = new PrintVersionAction();
        }

        return root;
    }

    /// <summary>
    /// The version line: <c>santegw 1.2.3 (commit 0123456789ab)</c>, from the informational version that MinVer and
    /// SourceLink stamp as <c>1.2.3+fullsha</c>; <c>(commit unknown)</c> when built outside git.
    /// </summary>
    public static string VersionLine()
    {
        var informational = typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? typeof(Program).Assembly.GetName().Version?.ToString()
            ?? "0.0.0";
        var plus = informational.IndexOf('+', StringComparison.Ordinal);
        var version = plus < 0 ? informational : informational[..plus];
        var commit = plus < 0 ? "unknown" : informational[(plus + 1)..];
        if (commit.Length > 12)
        {
            commit = commit[..12];
        }

        return $"santegw {version} (commit {commit})";
    }

    private sealed class PrintVersionAction : System.CommandLine.Invocation.SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            parseResult.InvocationConfiguration.Output.WriteLine(VersionLine());
            return 0;
        }
    }
}
