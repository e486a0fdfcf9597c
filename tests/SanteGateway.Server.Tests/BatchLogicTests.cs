using System.Text;
using SanteGateway.Application.Batch;

namespace SanteGateway.Server.Tests;

/// <summary>The CSV dialect and the shared pace of the rate limit, as pure logic (no clock, no database).</summary>
public sealed class BatchLogicTests
{
    [Theory]
    [InlineData(7.3, 5)]
    [InlineData(5, 3)]
    [InlineData(120, 8)]
    public void Slots_reserved_by_many_workers_never_exceed_the_rate_in_any_second_and_keep_it_within_five_percent_over_a_minute(double rate, int workers)
    {
        var random = new Random(42);
        long next = 0;
        var slots = new List<long>();
        var ready = new long[workers];
        const long minute = 60 * TimeSpan.TicksPerSecond;
        while (true)
        {
            // The worker that becomes free first claims a chunk of random size, as the runner does after its previous chunk.
            var w = Array.IndexOf(ready, ready.Min());
            var now = ready[w] + random.Next(0, 2_000_000);
            if (now >= minute)
            {
                break;
            }

            var count = random.Next(1, 60);
            var (first, newNext) = RatePace.Reserve(next, now, count, rate);
            next = newNext;
            for (var i = 0; i < count; i++)
            {
                slots.Add(first + (i * RatePace.Interval(rate)));
            }

            ready[w] = newNext;
        }

        slots.Sort();
        slots.Should().OnlyHaveUniqueItems();
        var inMinute = slots.Where(s => s < minute).ToList();
        var max = (int)Math.Ceiling(rate);
        for (int i = 0, j = 0; i < inMinute.Count; i++)
        {
            while (inMinute[i] - inMinute[j] >= TimeSpan.TicksPerSecond)
            {
                j++;
            }

            (i - j + 1).Should().BeLessThanOrEqualTo(max, "no one-second window holds more calls than the rate");
        }

        inMinute.Count.Should().BeInRange((int)(rate * 60 * 0.95), (int)Math.Ceiling(rate * 60), "with enough demand the pace delivers the configured rate");
    }

    [Fact]
    public void An_unlimited_rate_reserves_every_slot_now()
    {
        RatePace.Reserve(0, 1000, 50, 0).Should().Be((1000L, 1000L));
        RatePace.Reserve(5000, 1000, 2, 1).Should().Be((5000L, 5000L + (2 * TimeSpan.TicksPerSecond)));
    }

    [Fact]
    public void The_separator_is_detected_on_the_header_and_quotes_are_honoured()
    {
        var rows = BatchCsv.Read(Encoding.UTF8.GetBytes("localId,birthName\r\nA,\"DE, LA \"\"X\"\"\"\r\n"), out var header, out var error).ToList();
        error.Should().BeNull();
        header.Should().Equal("localid", "birthname");
        rows.Single().Fields["birthname"].Should().Be("DE, LA \"X\"");

        var semi = BatchCsv.Read(Encoding.UTF8.GetBytes("LOCALID;BirthName;ins\nA;B,C;\n"), out _, out _).Single();
        semi.Fields.Should().ContainKey("birthname").WhoseValue.Should().Be("B,C");
        semi.Fields.Should().NotContainKey("ins", "empty cells are absent");
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("name;sex\n", "unknown column")]
    [InlineData("birthName;sex\n", "localId column is required")]
    [InlineData("localId;localId\n", "twice")]
    public void A_file_without_a_usable_header_is_refused_with_the_reason(string content, string reason)
    {
        _ = BatchCsv.Read(Encoding.UTF8.GetBytes(content), out _, out var error).ToList();
        error.Should().Contain(reason);
    }

    [Fact]
    public void An_unclosed_quote_is_a_bad_row_not_a_crash()
    {
        var rows = BatchCsv.Read(Encoding.UTF8.GetBytes("localId;birthName\nA;\"open\nB;ok\n"), out _, out _).ToList();
        rows[0].Error!.Value.Rule.Should().Be("csv.quote");
        rows[0].Line.Should().Be(2);
        rows[1].Fields["localid"].Should().Be("B");
        rows[1].Line.Should().Be(3);
    }

    [Fact]
    public void Random_bytes_never_crash_the_reader()
    {
        var random = new Random(7);
        for (var n = 0; n < 2000; n++)
        {
            var bytes = new byte[random.Next(0, 200)];
            random.NextBytes(bytes);
            var head = Encoding.UTF8.GetBytes(n % 2 == 0 ? "localId;birthName\n" : "");
            var act = () => BatchCsv.Read([.. head, .. bytes], out _, out _).ToList();
            act.Should().NotThrow();
        }
    }
}
