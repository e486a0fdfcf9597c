using System.Diagnostics.Metrics;

namespace SanteGateway.Application.Batch;

/// <summary>OpenTelemetry instruments of batch jobs (meter <c>SanteGateway.Batch</c>).</summary>
public sealed class BatchMetrics : IDisposable
{
    /// <summary>Name of the meter.</summary>
    public const string MeterName = "SanteGateway.Batch";

    private readonly Meter meter;
    private readonly Counter<long> items;
    private long queued;

    /// <summary>Creates the instruments.</summary>
    /// <param name="factory">Meter factory.</param>
    public BatchMetrics(IMeterFactory factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        meter = factory.Create(MeterName);
        items = meter.CreateCounter<long>("santegw.batch.items", unit: "{item}", description: "Batch items ended, by kind and outcome (rate = its derivative).");
        meter.CreateObservableGauge("santegw.batch.queue_depth", () => Interlocked.Read(ref queued), unit: "{item}", description: "Items without an outcome in running jobs, as last seen by this instance.");
    }

    /// <summary>Counts an ended item.</summary>
    /// <param name="kind">verify or search.</param>
    /// <param name="outcome">Outcome.</param>
    public void Ended(string kind, string outcome) => items.Add(1, new KeyValuePair<string, object?>("kind", kind), new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>Sets the queue depth last observed.</summary>
    /// <param name="depth">Items without outcome.</param>
    public void QueueDepth(long depth) => Interlocked.Exchange(ref queued, depth);

    /// <inheritdoc />
    public void Dispose() => meter.Dispose();
}
