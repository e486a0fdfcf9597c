using BenchmarkDotNet.Running;

namespace SanteGateway.Benchmarks;

/// <summary>Runs the benchmarks: <c>dotnet run -c Release --project bench/SanteGateway.Benchmarks -- --filter '*'</c>.</summary>
public static class Program
{
    /// <summary>Entry point; arguments are BenchmarkDotNet's (<c>--filter</c>, <c>--job short</c>, ...), or <c>store-search ...</c>, <c>validator-startup [SHARED]</c>, <c>interop-throughput</c>, <c>inbound-intake ...</c> or <c>hl7-throughput [--messages N] [--connections 1,4,16]</c> or <c>documents-throughput [--count N] [--kb 100] [--concurrency 1,4]</c>.</summary>
    public static int Main(string[] args)
    {
        if (args is ["store-search", ..])
        {
            // Not a BenchmarkDotNet run: bulk load + latency distribution (see StoreSearchLoad).
            return StoreSearchLoad.RunAsync(args[1..]).GetAwaiter().GetResult();
        }

        if (args is ["batch-data", ..])
        {
            return BatchData.Run(args[1..]);
        }

        if (args is ["ror-sync", ..])
        {
            return RorSyncLoad.RunAsync(args[1..]).GetAwaiter().GetResult();
        }

        if (args is ["inbound-intake", ..])
        {
            return InboundIntakeLoad.RunAsync(args[1..]).GetAwaiter().GetResult();
        }

        if (args is ["interop-throughput", ..])
        {
            return InteropThroughput.Run();
        }

        if (args is ["hl7-throughput", ..])
        {
            return Hl7Throughput.RunAsync(args[1..]).GetAwaiter().GetResult();
        }

        if (args is ["documents-throughput", ..])
        {
            return DocumentsThroughput.RunAsync(args[1..]).GetAwaiter().GetResult();
        }

        if (args is ["validator-startup", ..])
        {
            return ValidatorStartup.Run(args[1..]);
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
