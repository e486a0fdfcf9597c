
namespace SanteGateway.Cli.Tests;

/// <summary>
/// Runs <c>santegw</c> in-process with the console captured.
/// Console redirection is process-wide, so callers must belong to a collection with
/// <c>DisableParallelization = true</c> ("ins-cli console" or "insi-cli"): xunit then runs them alone.
/// </summary>
internal static class CliRunner
{
    public static async Task<(int Exit, string Out, string Err)> RunAsync(params string[] args)
    {
        var originalOut = Console.Out;
        var originalErr = Console.Error;
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        Console.SetOut(stdout);
        Console.SetError(stderr);
        try
        {
            var exit = await Program.Main(args);
            return (exit, stdout.ToString(), stderr.ToString());
        }
        finally
        {
            Console.SetOut(originalOut);
            Console.SetError(originalErr);
        }
    }
}
