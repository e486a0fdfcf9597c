using Microsoft.Extensions.Time.Testing;

namespace SanteGateway.Insi.Tests;

public sealed class FileInsiTraceSinkTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "insi-traces-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_dir, true);

    private static InsiTrace Trace(DateTimeOffset at, string id) =>
        new(at, InsiActions.SearchByTraits, id, "INSI-AUTO", TimeSpan.FromMilliseconds(12.5), "CR 00", 200, "<req/>"u8.ToArray(), "<resp/>"u8.ToArray(), "c1");

    [Fact]
    public async Task Each_exchange_is_written_as_request_response_and_metadata_readable_by_the_owner_only()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 22, 18, 0, 0, TimeSpan.Zero));
        var sink = new FileInsiTraceSink(_dir, TimeSpan.FromDays(30), time);

        await sink.WriteAsync(Trace(time.GetUtcNow(), "uuid:abc"), TestContext.Current.CancellationToken);

        var files = Directory.GetFiles(_dir).Select(Path.GetFileName).Order().ToList();
        files.Should().Equal("20261122T180000000_uuid_abc.meta.json", "20261122T180000000_uuid_abc.request.xml", "20261122T180000000_uuid_abc.response.xml");
        File.ReadAllText(Path.Combine(_dir, files[1]!)).Should().Be("<req/>");
        var meta = File.ReadAllText(Path.Combine(_dir, files[0]!));
        meta.Should().Contain("\"outcome\":\"CR 00\"").And.Contain("\"durationMs\":12.5").And.Contain("\"messageId\":\"uuid:abc\"");
        if (!OperatingSystem.IsWindows())
        {
            File.GetUnixFileMode(Path.Combine(_dir, files[1]!)).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    [Fact]
    public async Task Files_older_than_the_retention_are_purged_and_recent_ones_kept()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var sink = new FileInsiTraceSink(_dir, TimeSpan.FromDays(30), time);
        await sink.WriteAsync(Trace(time.GetUtcNow(), "uuid:old"), TestContext.Current.CancellationToken);
        time.Advance(TimeSpan.FromDays(31));

        await sink.WriteAsync(Trace(time.GetUtcNow(), "uuid:new"), TestContext.Current.CancellationToken);

        Directory.GetFiles(_dir).Should().HaveCount(3).And.OnlyContain(f => f.Contains("uuid_new", StringComparison.Ordinal));
    }
}
