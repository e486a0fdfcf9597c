using System.Globalization;

namespace SanteGateway.Insi.Sandbox;

/// <summary>
/// How long the sandbox waits before answering: none, fixed, uniform, log-normal (given by its median and 95th
/// percentile), the named <c>live</c> profile, or <c>recorded</c> (replayed answers take their recorded time).
/// Parsed from the <c>--latency</c> syntax by <see cref="Parse"/>.
/// </summary>
public abstract class SandboxLatency
{
    /// <summary>Median of the <c>live</c> profile. UNCONFIRMED: no timed live exchange is recorded (docs/conformance.md).</summary>
    public static readonly TimeSpan LiveMedian = TimeSpan.FromMilliseconds(350);

    /// <summary>95th percentile of the <c>live</c> profile. UNCONFIRMED, see <see cref="LiveMedian"/>.</summary>
    public static readonly TimeSpan LiveP95 = TimeSpan.FromMilliseconds(900);

    // z-score of the 95th percentile of the standard normal distribution.
    private const double Z95 = 1.6448536269514722;

    /// <summary>No added delay.</summary>
    public static SandboxLatency None { get; } = new FixedLatency(TimeSpan.Zero, "none");

    /// <summary>The <c>live</c> profile: log-normal with median <see cref="LiveMedian"/> and p95 <see cref="LiveP95"/>.</summary>
    public static SandboxLatency Live { get; } = new LogNormalLatency(LiveMedian, LiveP95, "live");

    /// <summary>Replayed answers wait their recorded duration; every other answer follows <see cref="Live"/>.</summary>
    public static SandboxLatency Recorded { get; } = new RecordedLatency();

    /// <summary>Human-readable form (e.g. <c>uniform:100ms-400ms</c>), as accepted by <see cref="Parse"/>.</summary>
    public abstract string Description { get; }

    /// <summary>True when replayed answers should wait their recorded duration instead of a sampled one.</summary>
    public virtual bool UsesRecordedDurations => false;

    /// <summary>Always this delay.</summary>
    public static SandboxLatency Fixed(TimeSpan delay) =>
        delay < TimeSpan.Zero ? throw new ArgumentOutOfRangeException(nameof(delay), "A delay cannot be negative.") : new FixedLatency(delay, Format(delay));

    /// <summary>Uniformly distributed between <paramref name="min"/> and <paramref name="max"/>.</summary>
    public static SandboxLatency Uniform(TimeSpan min, TimeSpan max) =>
        min < TimeSpan.Zero || max < min
            ? throw new ArgumentOutOfRangeException(nameof(max), "uniform needs 0 ≤ min ≤ max.")
            : new UniformLatency(min, max);

    /// <summary>Log-normal with the given median and 95th percentile (a long right tail, like network services).</summary>
    public static SandboxLatency LogNormal(TimeSpan median, TimeSpan p95) =>
        median <= TimeSpan.Zero || p95 < median
            ? throw new ArgumentOutOfRangeException(nameof(p95), "lognormal needs 0 < median ≤ p95.")
            : new LogNormalLatency(median, p95, $"lognormal:{Format(median)},{Format(p95)}");

    /// <summary>
    /// Parses <c>none</c>, <c>0</c>, <c>200ms</c> / <c>1.5s</c> / <c>200</c> (fixed, milliseconds by default),
    /// <c>uniform:100ms-400ms</c>, <c>lognormal:300ms,900ms</c> (median, p95), <c>live</c> or <c>recorded</c>.
    /// </summary>
    /// <exception cref="FormatException">The text is none of these; the message shows the accepted forms.</exception>
    public static SandboxLatency Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Trim().ToLowerInvariant();
        try
        {
            switch (t)
            {
                case "none" or "0" or "":
                    return None;
                case "live":
                    return Live;
                case "recorded":
                    return Recorded;
            }

            if (t.StartsWith("uniform:", StringComparison.Ordinal))
            {
                var parts = t["uniform:".Length..].Split(['-'], 2);
                return parts.Length == 2 ? Uniform(ParseDuration(parts[0]), ParseDuration(parts[1])) : throw Bad(text);
            }

            if (t.StartsWith("lognormal:", StringComparison.Ordinal))
            {
                var parts = t["lognormal:".Length..].Split(',', 2);
                return parts.Length == 2 ? LogNormal(ParseDuration(parts[0]), ParseDuration(parts[1])) : throw Bad(text);
            }

            return Fixed(ParseDuration(t));
        }
        catch (ArgumentOutOfRangeException ex)
        {
            throw new FormatException($"latency '{text}': {ex.Message.Split(" (Parameter", 2)[0]}", ex);
        }
    }

    /// <summary>Parses <c>250ms</c>, <c>1.5s</c>, <c>2m</c> or a bare number of milliseconds.</summary>
    /// <exception cref="FormatException">Not a duration.</exception>
    public static TimeSpan ParseDuration(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Trim().ToLowerInvariant();
        var (number, unit) = t.EndsWith("ms", StringComparison.Ordinal) ? (t[..^2], 1.0)
            : t.EndsWith('s') ? (t[..^1], 1000.0)
            : t.EndsWith('m') ? (t[..^1], 60_000.0)
            : (t, 1.0);
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value < 0 || double.IsInfinity(value))
        {
            throw new FormatException($"'{text}' is not a duration (examples: 250ms, 1.5s, 2m, 300).");
        }

        return TimeSpan.FromMilliseconds(value * unit);
    }

    /// <summary>Draws one delay.</summary>
    public abstract TimeSpan Sample(Random random);

    /// <summary>The <paramref name="quantile"/> (0..1) of the configured distribution (what a long run should show).</summary>
    public abstract TimeSpan Quantile(double quantile);

    /// <inheritdoc />
    public override string ToString() => Description;

    private static string Format(TimeSpan t) => t.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture) + "ms";

    private static FormatException Bad(string text) =>
        new($"latency '{text}': expected none, 200ms, 1.5s, uniform:100ms-400ms, lognormal:MEDIAN,P95 (e.g. lognormal:300ms,900ms), live or recorded.");

    private sealed class FixedLatency(TimeSpan delay, string description) : SandboxLatency
    {
        public override string Description => description;

        public override TimeSpan Sample(Random random) => delay;

        public override TimeSpan Quantile(double quantile) => delay;
    }

    private sealed class UniformLatency(TimeSpan min, TimeSpan max) : SandboxLatency
    {
        public override string Description => $"uniform:{Format(min)}-{Format(max)}";

        public override TimeSpan Sample(Random random) => min + ((max - min) * random.NextDouble());

        public override TimeSpan Quantile(double quantile) => min + ((max - min) * quantile);
    }

    private sealed class LogNormalLatency : SandboxLatency
    {
        private readonly double _mu;
        private readonly double _sigma;
        private readonly string _description;

        public LogNormalLatency(TimeSpan median, TimeSpan p95, string description)
        {
            _mu = Math.Log(median.TotalMilliseconds);
            _sigma = (Math.Log(p95.TotalMilliseconds) - _mu) / Z95;
            _description = description;
        }

        public override string Description => _description;

        public override TimeSpan Sample(Random random)
        {
            // Box–Muller; 1 - NextDouble() is in (0, 1], so the logarithm is finite.
            var u1 = 1.0 - random.NextDouble();
            var u2 = random.NextDouble();
            var z = Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
            return TimeSpan.FromMilliseconds(Math.Exp(_mu + (_sigma * z)));
        }

        public override TimeSpan Quantile(double quantile) =>
            TimeSpan.FromMilliseconds(Math.Exp(_mu + (_sigma * InverseStandardNormal(quantile))));

        /// <summary>Acklam's rational approximation (relative error below 1.2e-9), enough for documentation and tests.</summary>
        private static double InverseStandardNormal(double p)
        {
            if (p <= 0 || p >= 1)
            {
                throw new ArgumentOutOfRangeException(nameof(p), "quantile must be in (0, 1).");
            }

            double[] a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00];
            double[] b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01];
            double[] c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00];
            double[] d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00];
            const double low = 0.02425;
            if (p < low)
            {
                var q = Math.Sqrt(-2 * Math.Log(p));
                return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
            }

            if (p > 1 - low)
            {
                var q = Math.Sqrt(-2 * Math.Log(1 - p));
                return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
            }

            var r = p - 0.5;
            var s = r * r;
            return (((((a[0] * s + a[1]) * s + a[2]) * s + a[3]) * s + a[4]) * s + a[5]) * r / (((((b[0] * s + b[1]) * s + b[2]) * s + b[3]) * s + b[4]) * s + 1);
        }
    }

    private sealed class RecordedLatency : SandboxLatency
    {
        public override string Description => "recorded";

        public override bool UsesRecordedDurations => true;

        public override TimeSpan Sample(Random random) => Live.Sample(random);

        public override TimeSpan Quantile(double quantile) => Live.Quantile(quantile);
    }
}

/// <summary>
/// A recurring window: active during the first <see cref="Duration"/> of every <see cref="Period"/>, counted from the
/// sandbox start. Used for bursts of unavailability faults and of slow answers.
/// </summary>
/// <param name="Duration">Length of each window.</param>
/// <param name="Period">Time between the starts of two windows.</param>
public sealed record SandboxBurst(TimeSpan Duration, TimeSpan Period)
{
    /// <summary>Parses <c>DURATION/PERIOD</c>, e.g. <c>5s/60s</c> (5 seconds in every minute).</summary>
    /// <exception cref="FormatException">Not that form, or duration ≤ 0, or period ≤ duration.</exception>
    public static SandboxBurst Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split('/', 2);
        if (parts.Length != 2)
        {
            throw new FormatException($"burst '{text}': expected DURATION/PERIOD, e.g. 5s/60s.");
        }

        var burst = new SandboxBurst(SandboxLatency.ParseDuration(parts[0]), SandboxLatency.ParseDuration(parts[1]));
        return burst.Duration <= TimeSpan.Zero || burst.Period <= burst.Duration
            ? throw new FormatException($"burst '{text}': needs 0 < duration < period.")
            : burst;
    }

    /// <summary>Whether the window is open <paramref name="elapsed"/> after the start.</summary>
    public bool IsActive(TimeSpan elapsed) => elapsed >= TimeSpan.Zero && elapsed.Ticks % Period.Ticks < Duration.Ticks;

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Duration.TotalSeconds:0.###}s/{Period.TotalSeconds:0.###}s");
}
