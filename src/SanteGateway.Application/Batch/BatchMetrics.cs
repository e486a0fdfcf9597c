using System.Diagnostics.Metrics;

namespace SanteGateway.Application.Batch;

/// <summary>OpenTelemetry instruments of batch jobs (meter <c>SanteGateway.Batch</c>).</summary>
public sealed class BatchMetrics : IDisposable
{
    /// <summary>Name of the meter.</summary>
    public const string MeterName = "SanteGateway.Batch";

    private readonly Meter meter;
    private readonly Counter<long> items;
    private readonly Histogram<double> chunkWrite;
    private long queued;
    private long writeTicks;
    private long writeChunks;
    private long writeItems;
    private long callTicks;

    /// <summary>Creates the instruments.</summary>
    /// <param name="factory">Meter factory.</param>
    public BatchMetrics(IMeterFactory factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        meter = factory.Create(MeterName);
        items = meter.CreateCounter<long>("santegw.batch.items", unit: "{item}", description: "Batch items ended, by kind and outcome (rate = its derivative).");
        chunkWrite = meter.CreateHistogram<double>("santegw.batch.chunk_write.duration", unit: "s", description: "Time to write one called chunk (one transaction; on SQLite the serial step of a job).");
        meter.CreateObservableGauge("santegw.batch.queue_depth", () => Interlocked.Read(ref queued), unit: "{item}", description: "Items without an outcome in running jobs, as last seen by this instance.");
    }

    /// <summary>Counts an ended item.</summary>
    /// <param name="kind">verify or search.</param>
    /// <param name="outcome">Outcome.</param>
    public void Ended(string kind, string outcome) => items.Add(1, new KeyValuePair<string, object?>("kind", kind), new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>Sets the queue depth last observed.</summary>
    /// <param name="depth">Items without outcome.</param>
    public void QueueDepth(long depth) => Interlocked.Exchange(ref queued, depth);

    /// <summary>Total time this process spent writing chunks (each one transaction), since it started.</summary>
    public TimeSpan WriteTime => TimeSpan.FromTicks(Interlocked.Read(ref writeTicks));

    /// <summary>Chunks written by this process.</summary>
    public long WrittenChunks => Interlocked.Read(ref writeChunks);

    /// <summary>Items ended by the chunk writes of this process.</summary>
    public long WrittenItems => Interlocked.Read(ref writeItems);

    /// <summary>Total time this process spent in the call phase of chunks (reads and INSi calls, overlapping the writes).</summary>
    public TimeSpan CallTime => TimeSpan.FromTicks(Interlocked.Read(ref callTicks));

    /// <summary>Records one chunk write.</summary>
    /// <param name="elapsed">Its duration.</param>
    /// <param name="itemsEnded">Items it ended.</param>
    public void ChunkWritten(TimeSpan elapsed, int itemsEnded)
    {
        chunkWrite.Record(elapsed.TotalSeconds);
        Interlocked.Add(ref writeTicks, elapsed.Ticks);
        Interlocked.Increment(ref writeChunks);
        Interlocked.Add(ref writeItems, itemsEnded);
    }

    /// <summary>Records one chunk's call phase.</summary>
    /// <param name="elapsed">Its duration.</param>
    public void ChunkCalled(TimeSpan elapsed) => Interlocked.Add(ref callTicks, elapsed.Ticks);

    /// <inheritdoc />
    public void Dispose() => meter.Dispose();
}
