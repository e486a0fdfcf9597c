using BenchmarkDotNet.Running;

namespace SanteGateway.Benchmarks;

/// <summary>Runs the benchmarks: <c>dotnet run -c Release --project bench/SanteGateway.Benchmarks -- --filter '*'</c>.</summary>
public static class Program
{
    /// <summary>Entry point; arguments are BenchmarkDotNet's (<c>--filter</c>, <c>--job short</c>, ...).</summary>
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
