using System.Collections.Concurrent;

namespace SanteGateway.Server.Security;

/// <summary>
/// Sign-in throttling by account AND source address, with increasing delays: after <see cref="FreeFailures"/> failures
/// from one address on one account name, that pair waits 1 s, 2 s, 4 s ... up to <see cref="MaxDelay"/> before its next
/// attempt is even checked. Another address is not affected, so nobody can lock an administrator out from elsewhere
/// (the global 15-minute account lockout is gone); a success clears the pair. Per instance, in memory: the per-address
/// rate limit (<see cref="GatewayOptions.AuthPermitsPerMinute"/>) bounds what a distributed guesser gains.
/// </summary>
public sealed class LoginThrottle(TimeProvider clock)
{
    /// <summary>Failures allowed before the delays start.</summary>
    public const int FreeFailures = 3;

    /// <summary>Longest delay between two attempts of one pair.</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromMinutes(15);

    private const int MaxEntries = 100_000;
    private readonly ConcurrentDictionary<(string Account, string Source), Entry> entries = new();

    /// <summary>True when the pair must wait; the attempt is then answered like a wrong password, unchecked.</summary>
    public bool IsBlocked(string account, string source) =>
        entries.TryGetValue(Key(account, source), out var e) && e.BlockedUntil > clock.GetUtcNow();

    /// <summary>Records a failure and returns the delay now imposed (zero while failures are free).</summary>
    public TimeSpan Failed(string account, string source)
    {
        var now = clock.GetUtcNow();
        if (entries.Count > MaxEntries)
        {
            foreach (var stale in entries.Where(p => p.Value.LastFailure < now - MaxDelay - MaxDelay).Select(p => p.Key).ToList())
            {
                entries.TryRemove(stale, out _);
            }
        }

        var entry = entries.AddOrUpdate(Key(account, source),
            _ => new Entry(1, now, now),
            (_, old) =>
            {
                var failures = old.Failures + 1;
                var delay = failures <= FreeFailures ? TimeSpan.Zero : Delay(failures - FreeFailures);
                return new Entry(failures, now, now + delay);
            });
        return entry.BlockedUntil > now ? entry.BlockedUntil - now : TimeSpan.Zero;
    }

    /// <summary>Clears the pair after a successful sign-in.</summary>
    public void Succeeded(string account, string source) => entries.TryRemove(Key(account, source), out _);

    private static TimeSpan Delay(int n) =>
        n >= 11 ? MaxDelay : TimeSpan.FromSeconds(Math.Min(MaxDelay.TotalSeconds, Math.Pow(2, n - 1)));

    private static (string, string) Key(string account, string source) => (account.Trim().ToUpperInvariant(), source);

    private sealed record Entry(int Failures, DateTimeOffset LastFailure, DateTimeOffset BlockedUntil);
}
