using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using SanteGateway.Store;
using SanteGateway.Store.Entities;

namespace SanteGateway.Cli.Tests;

/// <summary><c>santegw hl7 dead-letters list|show|replay</c> on a data folder.</summary>
[Collection("ins-cli console")]
public sealed class Hl7DeadLetterCommandsTests : IDisposable
{
    private readonly string dataDir = Path.Combine(Path.GetTempPath(), "santegw-deadletters-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(dataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private GatewayDbContext Open() =>
        GatewayStore.CreateContext(new StoreOptions { ConnectionString = GatewayStore.SqliteConnectionString(Path.Combine(dataDir, "santegw.db")) });

    [Fact]
    public async Task Dead_letters_are_listed_shown_and_replayed_once_and_a_second_replay_is_refused_with_exit_1()
    {
        Directory.CreateDirectory(dataDir);
        long deadId;
        await using (var db = Open())
        {
            await db.Database.MigrateAsync(TestContext.Current.CancellationToken);
            var now = DateTimeOffset.UtcNow;
            var dead = new OutboxMessage
            {
                Channel = "inbound-http", Destination = "inbound:dpi", OrderingKey = Guid.NewGuid().ToString(), Kind = "ORU^R01", MessageId = Guid.NewGuid().ToString("N"),
                Payload = Encoding.UTF8.GetBytes("{\"itemId\":\"x\"}"), State = OutboxStates.DeadLetter, Attempts = 10, CreatedAt = now, NextAttemptAt = now, LastError = "HTTP 503 Service Unavailable",
            };
            db.Outbox.Add(dead);
            db.Outbox.Add(new OutboxMessage { Channel = "hl7v2", Destination = "ris", OrderingKey = "p", Payload = [1], State = OutboxStates.Delivered, CreatedAt = now, NextAttemptAt = now });
            await db.SaveChangesAsync(TestContext.Current.CancellationToken);
            deadId = dead.Id;
        }

        var list = await CliRunner.RunAsync("hl7", "dead-letters", "list", "--data", dataDir);
        list.Exit.Should().Be(0, list.Err);
        list.Out.Should().Contain("inbound:dpi").And.Contain("HTTP 503").And.Contain("1 of 1 dead letters").And.NotContain("ris");

        var show = await CliRunner.RunAsync("hl7", "dead-letters", "show", deadId.ToString(System.Globalization.CultureInfo.InvariantCulture), "--data", dataDir);
        show.Exit.Should().Be(0, show.Err);
        show.Out.Should().Contain("dead, inbound-http to inbound:dpi").And.Contain("{\"itemId\":\"x\"}");

        var replay = await CliRunner.RunAsync("hl7", "dead-letters", "replay", deadId.ToString(System.Globalization.CultureInfo.InvariantCulture), "--data", dataDir);
        replay.Exit.Should().Be(0, replay.Err);
        replay.Out.Should().Contain("pending again");
        await using (var db = Open())
        {
            var row = await db.Outbox.AsNoTracking().SingleAsync(m => m.Id == deadId, TestContext.Current.CancellationToken);
            row.State.Should().Be(OutboxStates.Pending);
            row.Attempts.Should().Be(0);
            (await db.AuditEvents.AsNoTracking().CountAsync(e => e.Action == "hl7.outbox.replay", TestContext.Current.CancellationToken)).Should().Be(1, "a replay is audited");
        }

        var again = await CliRunner.RunAsync("hl7", "dead-letters", "replay", deadId.ToString(System.Globalization.CultureInfo.InvariantCulture), "--data", dataDir);
        again.Exit.Should().Be(1);
        again.Err.Should().Contain("outbox.not-dead-letter");
        var unknown = await CliRunner.RunAsync("hl7", "dead-letters", "show", "999999", "--data", dataDir);
        unknown.Exit.Should().Be(2);
        unknown.Err.Should().Contain("not-found");
    }

    [Fact]
    public async Task With_url_but_no_api_key_the_command_is_refused_with_exit_2()
    {
        var saved = Environment.GetEnvironmentVariable("SANTEGW_API_KEY");
        Environment.SetEnvironmentVariable("SANTEGW_API_KEY", null);
        try
        {
            var r = await CliRunner.RunAsync("hl7", "dead-letters", "list", "--url", "http://127.0.0.1:1");
            r.Exit.Should().Be(2);
            r.Err.Should().Contain("santegw hl7 dead-letters: --url needs an API key");
        }
        finally
        {
            Environment.SetEnvironmentVariable("SANTEGW_API_KEY", saved);
        }
    }
}
