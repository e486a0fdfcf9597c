using Microsoft.EntityFrameworkCore;
using SanteGateway.Store.Audit;
using SanteGateway.Store.Entities;

namespace SanteGateway.Store.Tests;

/// <summary><see cref="GatewayDbContext.SaveGroupAsync"/> (one statement per table, one round trip on PostgreSQL) on a real database, once per provider.</summary>
public abstract class GroupSaveTests<TDb>(TDb database) : IClassFixture<TDb>, IAsyncLifetime
    where TDb : TestDatabase
{
    private static readonly DateTimeOffset At = new(2026, 12, 3, 2, 30, 0, 456, TimeSpan.Zero);

    public ValueTask InitializeAsync()
    {
        database.SkipIfUnavailable();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task A_group_of_items_with_their_actions_and_audit_events_reads_back_as_written_and_the_audit_chain_verifies()
    {
        var items = Enumerable.Range(0, 5).Select(i => Item(i)).ToList();
        var actions = items.SelectMany((item, i) => Enumerable.Range(0, 1 + (i % 3)).Select(j => new InboundAction
        {
            Id = Guid.CreateVersion7(At.AddMilliseconds((i * 10) + j)),
            ItemId = item.Id,
            At = At.AddMilliseconds((i * 10) + j),
            Actor = "gate",
            Action = j == 0 ? "received" : "decided",
            Decision = j == 0 ? null : "hold",
            Rule = j == 0 ? null : "inbound.no-match",
            Detail = i == 2 ? "détail « é »" : null,
            IdentityId = j == 2 ? Guid.NewGuid() : null,
        })).ToList();
        await using (var db = database.CreateContext())
        {
            await using var tx = await db.Database.BeginTransactionAsync();
            db.InboundItems.AddRange(items);
            db.InboundActions.AddRange(actions);
            foreach (var item in items)
            {
                await AuditTrail.AppendAsync(db, new AuditEntry("gate", "inbound", "inbound.decided", "inbound-item", item.Id.ToString(), null, "{\"decision\":\"hold\"}"), TimeProvider.System);
            }

            var written = await db.SaveGroupAsync();
            await tx.CommitAsync();
            written.Should().Be(items.Count + actions.Count + items.Count + 1, "the items, their actions, one audit event each and the chain head");
            db.ChangeTracker.Entries().Should().OnlyContain(e => e.State == EntityState.Unchanged, "the rows are saved");
        }

        await using var check = database.CreateContext();
        var ids = items.Select(i => i.Id).ToList();
        var read = await check.InboundItems.AsNoTracking().Where(x => ids.Contains(x.Id)).OrderBy(x => x.Id).ToListAsync();
        read.Should().BeEquivalentTo(items.OrderBy(x => x.Id), o => o.WithStrictOrdering());
        var readActions = await check.InboundActions.AsNoTracking().Where(x => ids.Contains(x.ItemId)).OrderBy(x => x.Id).ToListAsync();
        readActions.Should().BeEquivalentTo(actions.OrderBy(x => x.Id), o => o.WithStrictOrdering());
        var chain = await AuditTrail.VerifyAsync(check);
        chain.IsIntact.Should().BeTrue(chain.Reason);
        chain.EventCount.Should().BeGreaterThanOrEqualTo(items.Count);
    }

    [Fact]
    public async Task An_item_changed_since_it_was_read_makes_the_group_save_throw_and_nothing_of_it_is_committed()
    {
        var stored = Item(0);
        await using (var db = database.CreateContext())
        {
            db.InboundItems.Add(stored);
            await db.SaveChangesAsync();
        }

        var actionId = Guid.CreateVersion7();
        await using (var db = database.CreateContext())
        {
            var row = await db.InboundItems.SingleAsync(x => x.Id == stored.Id);
            await database.ExecuteAsync($"UPDATE inbound_items SET \"Version\" = \"Version\" + 1 WHERE \"Id\" = '{Key(stored.Id)}'"); // another writer
            await using var tx = await db.Database.BeginTransactionAsync();
            row.State = InboundStates.Decided;
            row.Version++;
            db.InboundActions.Add(new InboundAction { Id = actionId, ItemId = stored.Id, At = At, Actor = "gate", Action = "decided" });
            await AuditTrail.AppendAsync(db, new AuditEntry("gate", "inbound", "inbound.decided", "inbound-item", stored.Id.ToString(), null, "{}"), TimeProvider.System);
            var save = () => db.SaveGroupAsync();
            await save.Should().ThrowAsync<DbUpdateConcurrencyException>();
        }

        await using var check = database.CreateContext();
        (await check.InboundActions.AnyAsync(x => x.Id == actionId)).Should().BeFalse("the transaction was not committed");
        (await check.InboundItems.AsNoTracking().SingleAsync(x => x.Id == stored.Id)).State.Should().Be(InboundStates.Received);
        var chain = await AuditTrail.VerifyAsync(check);
        chain.IsIntact.Should().BeTrue(chain.Reason);
    }

    [Fact]
    public async Task A_row_the_database_refuses_makes_the_group_save_throw_a_DbUpdateException()
    {
        var item = Item(7);
        await using var db = database.CreateContext();
        await using var tx = await db.Database.BeginTransactionAsync();
        db.InboundItems.Add(item);
        // An action of an item that does not exist: the foreign key refuses it.
        db.InboundActions.Add(new InboundAction { Id = Guid.CreateVersion7(), ItemId = Guid.NewGuid(), At = At, Actor = "gate", Action = "received" });
        var save = () => db.SaveGroupAsync();
        await save.Should().ThrowAsync<DbUpdateException>();
    }

    private static InboundItem Item(int i) => new()
    {
        Id = Guid.CreateVersion7(At.AddMilliseconds(i)),
        PartnerId = "LAB",
        Channel = "hl7-mllp",
        ContentType = "x-application/hl7-v2+er7",
        Raw = System.Text.Encoding.UTF8.GetBytes($"MSH|^~\\&|LAB|{i}|\rPID|||{i}^^^LAB\r"),
        ReceivedAt = At.AddMilliseconds(i),
        Format = "hl7v2",
        Kind = i % 2 == 0 ? "ORU^R01" : null,
        MessageId = "MSG" + i,
        PartnerPatientId = i % 2 == 1 ? "P" + i : null,
        State = InboundStates.Received,
        IdentityId = i == 3 ? Guid.NewGuid() : null,
        DecidedAt = i == 4 ? At.AddSeconds(1) : null,
        Version = 1,
    };

    // SQLite stores a Guid as upper-case text; PostgreSQL compares a uuid with its text in any case.
    private static string Key(Guid id) => id.ToString().ToUpperInvariant();
}

public sealed class GroupSaveTests_on_Sqlite(SqliteTestDatabase db) : GroupSaveTests<SqliteTestDatabase>(db);

public sealed class GroupSaveTests_on_Postgres(PostgresTestDatabase db) : GroupSaveTests<PostgresTestDatabase>(db);
