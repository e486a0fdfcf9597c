// Short local process and SQLite calls; threading the test token through each adds nothing here.
#pragma warning disable xUnit1051
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using SanteGateway.Store;
using SanteGateway.Store.Audit;
using SanteGateway.Store.Entities;

namespace SanteGateway.Cli.Tests;

/// <summary>
/// F4, the tamper suite: someone who can write the database (not the checkpoint file or the signing key) tries to
/// rewrite history; <c>santegw audit verify --data DIR</c> names each attempt.
/// </summary>
[Collection("ins-cli console")]
public sealed class AuditTamperTests : IDisposable
{
    private readonly string dataDir = Path.Combine(Path.GetTempPath(), "santegw-tamper-" + Guid.NewGuid().ToString("N"));

    private SanteGateway.Store.StoreOptions Store => new() { ConnectionString = GatewayStore.SqliteConnectionString(Path.Combine(dataDir, "santegw.db")) };

    private AuditCheckpointOptions Anchors => AuditCheckpointOptions.InDataFolder(dataDir);

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

    /// <summary>Six identities created then changed through the audited path, with a checkpoint after each half.</summary>
    private async Task<List<Guid>> SetUpAsync()
    {
        Directory.CreateDirectory(dataDir);
        var ids = new List<Guid>();
        using var key = AuditCheckpoints.LoadOrCreateKey(Anchors.SigningKeyPath);
        await using var db = GatewayStore.CreateContext(Store);
        await db.Database.MigrateAsync();
        for (var i = 0; i < 6; i++)
        {
            var now = DateTimeOffset.UtcNow;
            var record = new IdentityRecord
            {
                Id = Guid.CreateVersion7(), BirthName = "ADRTROIS", BirthFirstNames = "TOUSSAINT", FirstFirstName = "TOUSSAINT", Sex = "M",
                BirthDate = new DateOnly(1960, 1, 1), Status = "PROV", CollectionChannel = "SM", BirthNameKey = "ADRTROIS", FirstNameKey = "TOUSSAINT",
                CreatedAt = now, UpdatedAt = now,
            };
            await using (var tx = await db.Database.BeginTransactionAsync())
            {
                db.Identities.Add(record);
                await AuditTrail.AppendAsync(db, new AuditEntry("tester", "test", "identity.created", "identity", record.Id.ToString(), null, "{}"), TimeProvider.System);
                await db.SaveChangesAsync();
                await tx.CommitAsync();
            }

            await using (var tx = await db.Database.BeginTransactionAsync())
            {
                record.Status = "VALI";
                record.UpdatedAt = DateTimeOffset.UtcNow;
                await AuditTrail.AppendAsync(db, new AuditEntry("tester", "test", "identity.validated", "identity", record.Id.ToString(), null, "{}"), TimeProvider.System);
                await db.SaveChangesAsync();
                await tx.CommitAsync();
            }

            ids.Add(record.Id);
            if (i is 2 or 5)
            {
                (await AuditCheckpoints.WriteAsync(db, Anchors, key, TimeProvider.System)).Should().NotBeNull();
            }
        }

        (await db.AuditEvents.CountAsync(e => e.AfterImageHash != null)).Should().Be(12, "every identity event commits to the row it left");
        return ids;
    }

    private async Task SqlAsync(string sql)
    {
        await using var c = new SqliteConnection(Store.ConnectionString);
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>Points the head at the last remaining event, as a careful attacker would.</summary>
    private async Task MoveHeadToLastAsync()
    {
        await using var db = GatewayStore.CreateContext(Store);
        var last = await db.AuditEvents.OrderByDescending(e => e.Sequence).FirstOrDefaultAsync();
        await SqlAsync($"UPDATE audit_chain_head SET \"LastSequence\" = {last?.Sequence ?? 0}, \"LastHash\" = '{last?.Hash ?? AuditHasher.Genesis}'");
    }

    private static Task<(int Exit, string Out, string Err)> VerifyAsync(string dataDir, params string[] extra) =>
        CliRunner.RunAsync(["audit", "verify", "--data", dataDir, .. extra]);

    [Fact]
    public async Task An_untouched_trail_is_intact_with_its_checkpoints_and_identity_rows()
    {
        await SetUpAsync();
        var r = await VerifyAsync(dataDir, "--uncovered-grace", "00:00:00");
        r.Exit.Should().Be(0, r.Out + r.Err);
        r.Out.Should().Contain("intact: 12 events, 2 signed checkpoints").And.Contain("6 identity rows match");
    }

    [Fact]
    public async Task Deleting_the_last_events_and_moving_the_head_is_detected_as_truncated()
    {
        await SetUpAsync();
        await SqlAsync("DELETE FROM audit_events WHERE \"Sequence\" > 9");
        await MoveHeadToLastAsync();
        var r = await VerifyAsync(dataDir);
        r.Exit.Should().Be(1);
        r.Out.Should().Contain("truncated").And.Contain("signed 12 events");
        r.Out.Should().NotContain("chain BROKEN", "the chain itself is consistent: only the anchor reveals it");
    }

    [Fact]
    public async Task Deleting_every_event_is_detected_as_deleted_all()
    {
        await SetUpAsync();
        await SqlAsync("DELETE FROM audit_events");
        await MoveHeadToLastAsync();
        var r = await VerifyAsync(dataDir);
        r.Exit.Should().Be(1);
        r.Out.Should().Contain("deleted-all");
    }

    [Fact]
    public async Task Editing_an_event_and_recomputing_every_hash_is_detected_as_rewritten()
    {
        await SetUpAsync();
        await using (var db = GatewayStore.CreateContext(Store))
        {
            var events = await db.AuditEvents.AsNoTracking().OrderBy(e => e.Sequence).ToListAsync();
            events[1].Actor = "mallory";
            var previous = AuditHasher.Genesis;
            foreach (var e in events)
            {
                e.PreviousHash = previous;
                e.Hash = AuditHasher.Compute(e);
                previous = e.Hash;
                await SqlAsync($"UPDATE audit_events SET \"Actor\" = '{e.Actor}', \"PreviousHash\" = '{e.PreviousHash}', \"Hash\" = '{e.Hash}' WHERE \"Sequence\" = {e.Sequence}");
            }
        }

        await MoveHeadToLastAsync();
        var r = await VerifyAsync(dataDir);
        r.Exit.Should().Be(1);
        r.Out.Should().Contain("rewritten").And.NotContain("chain BROKEN");
    }

    [Fact]
    public async Task Editing_an_identity_row_directly_is_detected_as_an_identity_row_mismatch()
    {
        var ids = await SetUpAsync();
        await SqlAsync($"UPDATE identities SET \"BirthName\" = 'MALLORY' WHERE \"Id\" = '{ids[3].ToString().ToUpperInvariant()}'");
        var r = await VerifyAsync(dataDir);
        r.Exit.Should().Be(1);
        r.Out.Should().Contain("identity-row-mismatch").And.Contain(ids[3].ToString()).And.NotContain("MALLORY");
    }

    [Fact]
    public async Task Deleting_a_checkpoint_is_detected_in_the_middle_as_missing_and_at_the_end_as_uncovered_events()
    {
        await SetUpAsync();
        var lines = await File.ReadAllLinesAsync(Anchors.CheckpointPath);
        lines.Should().HaveCount(2);

        await File.WriteAllLinesAsync(Anchors.CheckpointPath, [lines[1]]);
        var middle = await VerifyAsync(dataDir);
        middle.Exit.Should().Be(1);
        middle.Out.Should().Contain("checkpoint-missing");

        await File.WriteAllLinesAsync(Anchors.CheckpointPath, [lines[0]]);
        var end = await VerifyAsync(dataDir, "--uncovered-grace", "00:00:00");
        end.Exit.Should().Be(1);
        end.Out.Should().Contain("uncovered-events").And.Contain("events 7..12");
    }

    [Fact]
    public async Task A_forged_checkpoint_signed_with_another_key_is_detected()
    {
        await SetUpAsync();
        var other = Path.Combine(dataDir, "other-key", "k.pem");
        using (var key = AuditCheckpoints.LoadOrCreateKey(other))
        {
            await using var db = GatewayStore.CreateContext(Store);
            await SqlAsync("UPDATE audit_chain_head SET \"LastSequence\" = 13");
            await AuditCheckpoints.WriteAsync(db, Anchors, key, TimeProvider.System);
            await SqlAsync("UPDATE audit_chain_head SET \"LastSequence\" = 12");
        }

        var r = await VerifyAsync(dataDir);
        r.Exit.Should().Be(1);
        r.Out.Should().Contain("checkpoint-signature");
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task The_signing_key_and_checkpoints_are_private_and_outside_the_database_folder_files()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix permissions");
        await SetUpAsync();
        File.GetUnixFileMode(Anchors.SigningKeyPath).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.GetUnixFileMode(Path.GetDirectoryName(Anchors.SigningKeyPath)!).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.GetUnixFileMode(Anchors.CheckpointPath).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }
}
