using System.Diagnostics;

namespace SanteGateway.Benchmarks;

/// <summary>
/// <c>interop-throughput</c>: operations per second of <see cref="InteropBenchmarks"/>' methods on one thread, measured against both
/// wall-clock time and the process's CPU time. On a shared, overloaded machine the CPU-time figure is the closer estimate of what
/// one dedicated core does; BenchmarkDotNet's wall-clock means are then dominated by waiting for a core.
/// </summary>
internal static class InteropThroughput
{
    public static int Run()
    {
        var b = new InteropBenchmarks();
        b.Setup();
        Measure("FHIR write+serialise+parse+read", () => b.FhirWriteSerializeParseRead(), 20_000);
        Measure("FHIR serialise", () => b.FhirSerialize(), 20_000);
        Measure("FHIR parse", () => b.FhirParse(), 20_000);
        Measure("FHIR parse, no SDK value checks", () => b.FhirParseUnchecked(), 20_000);
        Measure("FR Core validation (warm)", () => b.FhirValidate(), 200);
        Measure("CDA header, 24 kB document", () => b.CdaHeaderSmall(), 20_000);
        Measure("CDA header, 448 kB document", () => b.CdaHeaderLarge(), 20_000);
        return 0;
    }

    private static void Measure(string name, Func<object> op, int n)
    {
        // Warm up for two seconds at least: tiered compilation (and dynamic PGO) replaces the first code of the hot
        // methods only after a delay, so a short warm-up measures partly unoptimised code.
        var warm = Stopwatch.StartNew();
        for (var i = 0; i < n / 10 || warm.Elapsed < TimeSpan.FromSeconds(2); i++)
        {
            op();
        }

        var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpu = process.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < n; i++)
        {
            op();
        }

        sw.Stop();
        process.Refresh();
        var cpuUsed = process.TotalProcessorTime - cpu;
        Console.WriteLine($"{name}: {n / sw.Elapsed.TotalSeconds:F0}/s wall ({sw.Elapsed.TotalMicroseconds / n:F1} µs), "
            + $"{n / cpuUsed.TotalSeconds:F0}/s of CPU time ({cpuUsed.TotalMicroseconds / n:F1} µs)");
    }
}
