using Microsoft.EntityFrameworkCore;
using SanteGateway.Store.Audit;
using SanteGateway.Store.Entities;

namespace SanteGateway.Store.Tests;

/// <summary><see cref="GatewayDbContext.SaveRowsAsync"/> (multi-row statements) on a real database, once per provider.</summary>
public abstract class RowSaveTests<TDb>(TDb database) : IClassFixture<TDb>, IAsyncLifetime
    where TDb : TestDatabase
{
    private static readonly DateTimeOffset Created = new(2026, 11, 30, 8, 15, 0, 123, TimeSpan.Zero);

    public ValueTask InitializeAsync()
    {
        database.SkipIfUnavailable();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task Rows_saved_with_multi_row_statements_read_back_as_written_and_the_audit_chain_commits_to_them()
    {
        var id = await CreateIdentityAsync();
        var verifiedAt = new DateTimeOffset(2026, 12, 2, 21, 40, 5, 678, TimeSpan.Zero);
        var exchanges = Enumerable.Range(0, 3).Select(i => new InsiExchange
        {
            Id = Guid.CreateVersion7(verifiedAt.AddTicks(i)),
            IdentityId = id,
            Operation = "verify",
            RequestXml = $"<request n=\"{i}\"/>",
            ResponseXml = i == 1 ? null : "<response/>",
            Outcome = "found",
            Detail = i == 2 ? "détail é" : null,
            CertificateCn = "INSI-AUTO",
            DurationMs = 40 + i,
            Actor = "batch:test",
            OccurredAt = verifiedAt,
        }).ToList();
        await using (var db = database.CreateContext())
        {
            await using var tx = await db.Database.BeginTransactionAsync();
            var row = await db.Identities.SingleAsync(x => x.Id == id);
            row.InsVerifiedAt = verifiedAt;
            row.UpdatedAt = verifiedAt;
            db.InsiExchanges.AddRange(exchanges);
            await AuditTrail.AppendAsync(db, new AuditEntry("batch:test", "batch", "insi.verify", "identity", id.ToString(), null, "{}"), TimeProvider.System);
            await AuditTrail.AppendAsync(db, new AuditEntry("batch:test", "batch", "identity.ins-verified", "identity", id.ToString(), null, "{\"version\":2}"), TimeProvider.System);
            var written = await db.SaveRowsAsync();
            await tx.CommitAsync();
            written.Should().Be(3 + 2 + 1 + 1, "three exchanges, two audit events, the identity and the chain head");
        }

        await using var check = database.CreateContext();
        var saved = await check.Identities.AsNoTracking().SingleAsync(x => x.Id == id);
        saved.Version.Should().Be(2, "the version is stamped as by SaveChanges");
        saved.InsVerifiedAt.Should().Be(verifiedAt);
        saved.UpdatedAt.Should().Be(verifiedAt);
        saved.CreatedAt.Should().Be(Created, "columns not changed are left as they were");
        var read = await check.InsiExchanges.AsNoTracking().Where(x => x.IdentityId == id).OrderBy(x => x.DurationMs).ToListAsync();
        read.Should().BeEquivalentTo(exchanges, o => o.WithStrictOrdering());
        var chain = await AuditTrail.VerifyAsync(check);
        chain.IsIntact.Should().BeTrue(chain.Reason);
        // The class shares its database (the other test edits a row behind the gateway's back): this identity's row only.
        var last = await check.AuditEvents.AsNoTracking().Where(e => e.EntityType == "identity" && e.EntityId == id.ToString()).OrderByDescending(e => e.Sequence).FirstAsync();
        last.Action.Should().Be("identity.ins-verified");
        last.AfterImageHash.Should().Be(RowImage.Hash(saved), "the event commits to the row as saved");
    }

    [Fact]
    public async Task A_row_changed_since_it_was_read_makes_the_row_save_throw_and_nothing_of_it_is_committed()
    {
        var id = await CreateIdentityAsync();
        var exchangeId = Guid.CreateVersion7();
        await using (var db = database.CreateContext())
        {
            var row = await db.Identities.SingleAsync(x => x.Id == id);
            await database.ExecuteAsync($"UPDATE identities SET \"Version\" = \"Version\" + 1 WHERE \"Id\" = '{Key(id)}'"); // another writer
            await using var tx = await db.Database.BeginTransactionAsync();
            row.InsVerifiedAt = DateTimeOffset.UtcNow;
            db.InsiExchanges.Add(new InsiExchange { Id = exchangeId, IdentityId = id, Operation = "verify", Outcome = "found", Actor = "batch:test", OccurredAt = Created });
            var save = () => db.SaveRowsAsync();
            await save.Should().ThrowAsync<DbUpdateConcurrencyException>();
        }

        await using var check = database.CreateContext();
        (await check.InsiExchanges.AnyAsync(x => x.Id == exchangeId)).Should().BeFalse("the transaction was not committed");
        (await check.Identities.AsNoTracking().SingleAsync(x => x.Id == id)).InsVerifiedAt.Should().BeNull();
    }

    /// <summary>An identity created through SaveChanges with its audit event (version 1).</summary>
    private async Task<Guid> CreateIdentityAsync()
    {
        var id = Guid.NewGuid();
        await using var db = database.CreateContext();
        await using var tx = await db.Database.BeginTransactionAsync();
        db.Identities.Add(new IdentityRecord
        {
            Id = id,
            BirthName = "MARTIN",
            BirthFirstNames = "ANNE MARIE",
            FirstFirstName = "ANNE",
            Sex = "F",
            BirthDate = new DateOnly(1980, 1, 2),
            BirthNameKey = "MARTIN",
            FirstNameKey = "ANNE",
            BirthNamePhonetic = "MARTIN",
            CreatedAt = Created,
            UpdatedAt = Created,
        });
        await AuditTrail.AppendAsync(db, new AuditEntry("tester", "test", "identity.created", "identity", id.ToString(), null, "{}"), TimeProvider.System);
        await db.SaveChangesAsync();
        await tx.CommitAsync();
        return id;
    }

    // SQLite stores a Guid as upper-case text; PostgreSQL compares a uuid with its text in any case.
    private static string Key(Guid id) => id.ToString().ToUpperInvariant();
}

public sealed class RowSaveTests_on_Sqlite(SqliteTestDatabase db) : RowSaveTests<SqliteTestDatabase>(db);

public sealed class RowSaveTests_on_Postgres(PostgresTestDatabase db) : RowSaveTests<PostgresTestDatabase>(db);
