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

        return root;
    }
}
