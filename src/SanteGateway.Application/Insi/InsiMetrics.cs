using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace SanteGateway.Application;

/// <summary>OpenTelemetry instruments for INSi calls (meter <c>SanteGateway.Insi</c>).</summary>
public sealed class InsiMetrics : IDisposable
{
    /// <summary>Name of the meter.</summary>
    public const string MeterName = "SanteGateway.Insi";

    private readonly Meter meter;
    private readonly Counter<long> calls;
    private readonly Histogram<double> duration;

    /// <summary>Creates the instruments through the host's meter factory.</summary>
    /// <param name="factory">Meter factory.</param>
    public InsiMetrics(IMeterFactory factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        meter = factory.Create(MeterName);
        calls = meter.CreateCounter<long>("santegw.insi.calls", unit: "{call}", description: "INSi calls by operation and outcome.");
        duration = meter.CreateHistogram<double>("santegw.insi.duration", unit: "s", description: "INSi call latency.");
    }

    /// <summary>Records one call.</summary>
    /// <param name="operation"><c>search</c> or <c>verify</c>.</param>
    /// <param name="outcome">Outcome.</param>
    /// <param name="elapsed">Duration.</param>
    public void Record(string operation, InsiCallOutcome outcome, TimeSpan elapsed)
    {
        var tags = new TagList { { "operation", operation }, { "outcome", outcome.ToString().ToLowerInvariant() } };
        calls.Add(1, tags);
        duration.Record(elapsed.TotalSeconds, tags);
    }

    /// <inheritdoc />
    public void Dispose() => meter.Dispose();
}
