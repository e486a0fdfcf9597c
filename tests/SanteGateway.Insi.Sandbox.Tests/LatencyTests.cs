using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;
using SanteGateway.Insi.Sandbox.Pki;
using SanteGateway.Insi.Sandbox.Tests.Support;

namespace SanteGateway.Insi.Sandbox.Tests;

/// <summary>Latency profiles (distribution of the sampler), bursts of faults and slow answers, and one real run.</summary>
public sealed class LatencyTests
{
    private const int Samples = 20_000;

    public static TheoryData<string, double, double> Profiles => new()
    {
        // spec, expected p50 (ms), expected p95 (ms)
        { "200ms", 200, 200 },
        { "uniform:100ms-400ms", 250, 385 },
        { "lognormal:300ms,900ms", 300, 900 },
        { "live", 350, 900 },
        { "lognormal:2ms,5ms", 2, 5 },
    };

    [Theory]
    [MemberData(nameof(Profiles))]
    public void A_profile_draws_delays_whose_median_and_95th_percentile_are_within_10_percent_of_the_configured_ones(string spec, double p50, double p95)
    {
        var profile = SandboxLatency.Parse(spec);
        var random = new Random(42);

        var draws = Enumerable.Range(0, Samples).Select(_ => profile.Sample(random).TotalMilliseconds).Order().ToArray();

        draws[Samples / 2].Should().BeApproximately(p50, p50 * 0.10);
        draws[(int)(Samples * 0.95)].Should().BeApproximately(p95, p95 * 0.10);
        profile.Quantile(0.5).TotalMilliseconds.Should().BeApproximately(p50, p50 * 0.001 + 0.001);
        profile.Quantile(0.95).TotalMilliseconds.Should().BeApproximately(p95, p95 * 0.001 + 0.001);
        draws.Should().OnlyContain(d => d >= 0);
    }

    [Theory]
    [InlineData("none", "none")]
    [InlineData("0", "none")]
    [InlineData("1.5s", "1500ms")]
    [InlineData("250", "250ms")]
    [InlineData("uniform:0.1s-400ms", "uniform:100ms-400ms")]
    [InlineData("LIVE", "live")]
    [InlineData("recorded", "recorded")]
    public void The_latency_syntax_accepts_fixed_uniform_lognormal_and_named_profiles(string spec, string description)
    {
        SandboxLatency.Parse(spec).Description.Should().Be(description);
    }

    [Theory]
    [InlineData("fast")]
    [InlineData("uniform:400ms-100ms")]
    [InlineData("lognormal:300ms")]
    [InlineData("-5ms")]
    public void A_wrong_latency_is_refused_with_the_accepted_forms(string spec)
    {
        var parse = () => SandboxLatency.Parse(spec);

        parse.Should().Throw<FormatException>().WithMessage("*");
    }

    [Fact]
    public void Unavailability_bursts_answer_a_siram_40_fault_inside_each_window_and_normally_outside()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var handler = new InsiSandboxHandler(SandboxClients.Options(o => { o.UnavailableBurst = SandboxBurst.Parse("5s/60s"); o.TimeProvider = time; }));
        using var certificate = SharedPki.Load(TestPki.InsiAutoP12File);
        string Outcome() => handler.Process(Recorded.Request("AdrtroisToussaint"), "application/soap+xml", certificate, InsiSandboxAuthentication.MutualTls).Outcome;

        var outcomes = new List<string>();
        foreach (var at in new[] { 0, 4, 6, 59, 61, 66 })
        {
            time.SetUtcNow(DateTimeOffset.Parse("2026-12-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture).AddSeconds(at));
            outcomes.Add(Outcome());
        }

        outcomes.Should().Equal("desir_1020", "desir_1020", "CR00", "CR00", "desir_1020", "CR00");
    }

    [Fact]
    public void Slow_bursts_make_answers_wait_the_slow_latency_inside_each_window()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var handler = new InsiSandboxHandler(SandboxClients.Options(o =>
        {
            o.SlowBurst = SandboxBurst.Parse("10s/120s");
            o.SlowLatency = TimeSpan.FromSeconds(25);
            o.Latency = SandboxLatency.Fixed(TimeSpan.FromMilliseconds(200));
            o.TimeProvider = time;
        }));
        var answer = new InsiSandboxResponse(200, [], "CR00");

        var inside = handler.NextDelay(answer);
        time.Advance(TimeSpan.FromSeconds(11));
        var outside = handler.NextDelay(answer);
        time.Advance(TimeSpan.FromSeconds(110));
        var next = handler.NextDelay(answer);

        inside.Should().Be(TimeSpan.FromSeconds(25));
        outside.Should().Be(TimeSpan.FromMilliseconds(200));
        next.Should().Be(TimeSpan.FromSeconds(25));
    }

    [Theory]
    [InlineData("5s/60s", 5, 60)]
    [InlineData("500ms/2s", 0.5, 2)]
    public void A_burst_is_written_duration_slash_period(string spec, double duration, double period)
    {
        var burst = SandboxBurst.Parse(spec);

        burst.Duration.Should().Be(TimeSpan.FromSeconds(duration));
        burst.Period.Should().Be(TimeSpan.FromSeconds(period));
    }

    [Theory]
    [InlineData("5s")]
    [InlineData("60s/5s")]
    [InlineData("0s/5s")]
    public void A_wrong_burst_is_refused(string spec)
    {
        var parse = () => SandboxBurst.Parse(spec);

        parse.Should().Throw<FormatException>();
    }

    [Fact]
    public async Task In_a_real_run_every_answer_waits_at_least_the_lower_bound_of_a_uniform_profile()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await InsiSandboxServer.StartAsync(
            SandboxClients.Options(o => { o.Latency = SandboxLatency.Parse("uniform:20ms-40ms"); o.FaultSeed = 7; }), ct);
        using var client = SandboxClients.ForClient(TestPki.InsiAutoP12File);
        await SandboxClients.PostAsync(client, server.Endpoint, Recorded.Request("AdrtroisToussaint"));

        var elapsed = new List<double>();
        for (var i = 0; i < 25; i++)
        {
            var watch = Stopwatch.StartNew();
            var (status, _) = await SandboxClients.PostAsync(client, server.Endpoint, Recorded.Request("AdrtroisToussaint"));
            elapsed.Add(watch.Elapsed.TotalMilliseconds);
            status.Should().Be(200);
        }

        // Only the lower bound is asserted: an upper bound would measure the machine, not the sandbox.
        elapsed.Should().OnlyContain(ms => ms >= 19.5);
    }
}
