namespace SanteGateway.Application.Batch;

/// <summary>
/// The global rate limit as a shared pace: the job row holds the next free call slot; a worker claiming k items
/// reserves k consecutive slots (one every 1/rate second) in the claim's transaction and starts item i no earlier than
/// its slot. Every instance draws from the same row, so the limit holds across instances; slots of a worker that dies
/// are simply lost (the pace errs on the slow side).
/// </summary>
public static class RatePace
{
    /// <summary>Ticks between two calls at a rate (0 for unlimited).</summary>
    /// <param name="ratePerSecond">Calls per second; 0 or less = unlimited.</param>
    /// <returns>Interval in ticks, rounded up so the rate is never exceeded.</returns>
    public static long Interval(double ratePerSecond) => ratePerSecond <= 0 ? 0 : (long)Math.Ceiling(TimeSpan.TicksPerSecond / ratePerSecond);

    /// <summary>Reserves <paramref name="count"/> slots.</summary>
    /// <param name="nextSlot">Next free slot stored on the job (ticks).</param>
    /// <param name="now">Now (ticks).</param>
    /// <param name="count">Items claimed.</param>
    /// <param name="ratePerSecond">Rate.</param>
    /// <returns>The first slot and the new next free slot.</returns>
    public static (long First, long Next) Reserve(long nextSlot, long now, int count, double ratePerSecond)
    {
        var interval = Interval(ratePerSecond);
        var first = Math.Max(nextSlot, now);
        return (first, first + (interval * count));
    }
}
