using Microsoft.EntityFrameworkCore;
using SanteGateway.Store.Audit;
using SanteGateway.Store.Entities;

namespace SanteGateway.Store.Tests;

/// <summary>Multi-row inserts of a context's added rows (<see cref="AddedRows"/>); run once per provider by the subclasses below.</summary>
public abstract class AddedRowsTests<TDb>(TDb database) : IClassFixture<TDb>, IAsyncLifetime
    where TDb : TestDatabase
{
    public ValueTask InitializeAsync()
    {
        database.SkipIfUnavailable();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static InboundItem Item(DateTimeOffset at, int i) => new()
    {
        Id = Guid.CreateVersion7(at),
        PartnerId = "LAB",
        Channel = "mllp",
        ContentType = "x-application/hl7-v2+er7",
        // Larger than PostgreSQL's 2 kB threshold, and one larger than a page: both must read back unchanged.
        Raw = Enumerable.Range(0, i == 0 ? 3000 : 20000).Select(b => (byte)(b * 7 + i)).ToArray(),
        ReceivedAt = at,
        State = "decided",
        Decision = i == 0 ? "attach" : null,
        IdentityId = i == 0 ? Guid.CreateVersion7(at) : null,
        DecidedAt = i == 0 ? at.AddMilliseconds(3) : null,
        Version = 2,
    };

    [Fact]
    public async Task Added_rows_written_table_by_table_read_back_equal_and_the_save_writes_the_rest()
    {
        var at = AuditHasher.Truncate(DateTimeOffset.UtcNow);
        var items = new[] { Item(at, 0), Item(at.AddMilliseconds(1), 1) };
        var actions = items.SelectMany(x => new[]
        {
            new InboundAction { Id = Guid.CreateVersion7(at), ItemId = x.Id, At = at, Actor = "gate", Action = "received", Detail = "3000 bytes" },
            new InboundAction { Id = Guid.CreateVersion7(at), ItemId = x.Id, At = at.AddMilliseconds(1), Actor = "gate", Action = "decided", Decision = x.Decision, Rule = "inbound.matched-traits", IdentityId = x.IdentityId },
        }).ToList();
        long sequence;
        await using (var db = database.CreateContext())
        {
            await using var tx = await db.Database.BeginTransactionAsync();
            // Children added first: the order of the types given, not of the additions, decides.
            db.InboundActions.AddRange(actions);
            db.InboundItems.AddRange(items);
            sequence = (await AuditTrail.AppendAsync(db, new AuditEntry("gate", "inbound", "inbound.decided", "inbound", items[0].Id.ToString(), null, "{\"rule\":\"x\"}"), TimeProvider.System)).Sequence;
            var written = await AddedRows.InsertAsync(db, [typeof(InboundItem), typeof(InboundAction), typeof(AuditEvent)], CancellationToken.None);
            written.Should().Be(db is PostgresGatewayDbContext ? 7 : 0, "PostgreSQL writes them in one statement per table; SQLite leaves them to the save");
            await db.SaveChangesAsync();
            await tx.CommitAsync();
        }

        await using var check = database.CreateContext();
        var read = await check.InboundItems.AsNoTracking().Where(x => x.PartnerId == "LAB").OrderBy(x => x.Id).ToListAsync();
        read.Should().BeEquivalentTo(items.OrderBy(x => x.Id));
        var readActions = await check.InboundActions.AsNoTracking().Where(a => items.Select(x => x.Id).Contains(a.ItemId)).ToListAsync();
        readActions.Should().BeEquivalentTo(actions);
        (await check.AuditEvents.AsNoTracking().SingleAsync(e => e.Sequence == sequence)).EntityId.Should().Be(items[0].Id.ToString());
        (await check.AuditChainHeads.AsNoTracking().SingleAsync()).LastSequence.Should().Be(sequence, "the save wrote the chain head");
        (await AuditTrail.VerifyAsync(check)).IsIntact.Should().BeTrue();
    }
}

public sealed class AddedRowsTests_on_Sqlite(SqliteTestDatabase db) : AddedRowsTests<SqliteTestDatabase>(db);

public sealed class AddedRowsTests_on_Postgres(PostgresTestDatabase db) : AddedRowsTests<PostgresTestDatabase>(db);
