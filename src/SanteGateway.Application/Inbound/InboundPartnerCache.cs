using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace SanteGateway.Application;

/// <summary>
/// Partners' settings kept in memory for the gate's hot path (one store read per partner every
/// <see cref="InboundOptions.PartnerCacheSeconds"/> instead of one per item). Writers in this process
/// (<see cref="InboundService.PutPartnerAsync"/>, <see cref="EstablishmentAssignmentService.AssignPartnerAsync"/>) call
/// <see cref="Invalidate"/> once their change is committed; other instances on the same database see the change when the
/// entry expires (a time-to-live, not a version check: no read at all on a hit).
/// </summary>
public sealed class InboundPartnerCache
{
    private readonly ConcurrentDictionary<string, Entry> entries = new(StringComparer.Ordinal);
    private readonly TimeProvider clock;
    private readonly long ttlTicks;
    private long generation;

    /// <summary>Creates the cache.</summary>
    /// <param name="clock">Clock (expiry).</param>
    /// <param name="options">Gate settings (<see cref="InboundOptions.PartnerCacheSeconds"/>).</param>
    public InboundPartnerCache(TimeProvider clock, IOptions<InboundOptions> options)
    {
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(options);
        this.clock = clock;
        var seconds = Math.Max(0, options.Value.PartnerCacheSeconds);
        ttlTicks = (long)(seconds * clock.TimestampFrequency);
    }

    /// <summary>The cached settings of <paramref name="id"/> (null: no such partner), loaded when absent or expired.</summary>
    /// <param name="id">Partner code.</param>
    /// <param name="load">Reads the store (and configuration).</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The settings or null.</returns>
    public async ValueTask<InboundPartnerSettings?> GetAsync(string id, Func<CancellationToken, Task<InboundPartnerSettings?>> load, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(load);
        var now = clock.GetTimestamp();
        if (ttlTicks > 0 && entries.TryGetValue(id, out var hit) && now - hit.LoadedAt < ttlTicks)
        {
            return hit.Settings;
        }

        // Read the generation before the store: an invalidation that lands while loading leaves the entry out of the cache.
        var before = Interlocked.Read(ref generation);
        var settings = await load(ct).ConfigureAwait(false);
        if (ttlTicks > 0 && Interlocked.Read(ref generation) == before)
        {
            entries[id] = new Entry(settings, now);
        }

        return settings;
    }

    /// <summary>Forgets a partner (its settings were changed in this process): the next item reads the store.</summary>
    /// <param name="id">Partner code.</param>
    public void Invalidate(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        Interlocked.Increment(ref generation);
        entries.TryRemove(id, out _);
    }

    private sealed record Entry(InboundPartnerSettings? Settings, long LoadedAt);
}
