using System.Text;
using CsCheck;
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

    [Fact]
    public void Rows_are_the_quote_aware_split_of_each_line_trimmed_with_empty_cells_left_out_whatever_the_line()
    {
        Gen.Char["ab \u00e9\t\";,"].Array[0, 14].Select(c => new string(c)).List[0, 40].Sample(lines =>
        {
            var text = "localId;birthName;sex\n" + string.Join("\n", lines) + "\n";
            var rows = BatchCsv.Read(Encoding.UTF8.GetBytes(text), out _, out var error).Select(Flat).ToList();
            error.Should().BeNull();
            rows.Should().Equal(Reference(lines, ';'));
        });
    }

    [Fact]
    public void A_file_read_as_a_stream_gives_the_rows_of_the_same_bytes_in_memory_across_buffer_ends()
    {
        var random = new Random(3);
        var text = new StringBuilder("\uFEFFlocalId,birthName,sex\r\n");
        for (var i = 0; i < 30_000; i++)
        {
            var cells = Enumerable.Range(0, random.Next(1, 5)).Select(_ => new string(Enumerable.Range(0, random.Next(0, 9)).Select(_ => "ab\u00e9 \"x"[random.Next(6)]).ToArray()));
            text.Append(string.Join(',', cells)).Append(random.Next(3) == 0 ? "\r\n" : "\n");
        }

        text.Append("last,line,F"); // no final line break
        var bytes = Encoding.UTF8.GetBytes(text.ToString()); // with a BOM
        var inMemory = BatchCsv.Read(bytes, out _, out var e1).Select(Flat).ToList();
        var streamed = BatchCsv.Read(new MemoryStream(bytes), ["localId", "birthName", "sex"], out _, out var e2).Select(Flat).ToList();
        e1.Should().BeNull();
        e2.Should().BeNull();
        bytes.Length.Should().BeGreaterThan(3 << 16, "lines must straddle the reader's 64 KB buffer");
        streamed.Should().Equal(inMemory);
        streamed[^1].Should().Be((30_002, "birthname=line|localid=last|sex=F", (string?)null));
    }

    private static (int Line, string Fields, string? Rule) Flat(CsvRow row) =>
        (row.Line, string.Join("|", row.Fields.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => f.Key + "=" + f.Value)), row.Error?.Rule);

    /// <summary>What the reader must give for these data lines (line 2 on), written with the field-by-field splitter.</summary>
    private static List<(int Line, string Fields, string? Rule)> Reference(List<string> lines, char sep)
    {
        string[] cols = ["localid", "birthname", "sex"];
        var expected = new List<(int, string, string?)>();
        for (var i = 0; i < lines.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i]))
            {
                continue;
            }

            if (!BatchCsv.TrySplit(lines[i], sep, out var values, out _))
            {
                expected.Add((i + 2, "", "csv.quote"));
                continue;
            }

            var fields = new SortedDictionary<string, string>(StringComparer.Ordinal);
            for (var c = 0; c < Math.Min(cols.Length, values.Count); c++)
            {
                if (values[c].Trim() is { Length: > 0 } v)
                {
                    fields[cols[c]] = v;
                }
            }

            expected.Add((i + 2, string.Join("|", fields.Select(f => f.Key + "=" + f.Value)), values.Count == cols.Length ? null : "csv.columns"));
        }

        return expected;
    }
}
