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

        return await parse.InvokeAsync().ConfigureAwait(false);
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
