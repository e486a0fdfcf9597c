using Microsoft.EntityFrameworkCore;
using SanteGateway.Store.Audit;

namespace SanteGateway.Store.Tests;

/// <summary>The audit chain on a real database; run once per provider by the subclasses below.</summary>
public abstract class AuditTrailTests<TDb>(TDb database) : IClassFixture<TDb>, IAsyncLifetime
    where TDb : TestDatabase
{
    protected TDb Database { get; } = database;

    public ValueTask InitializeAsync()
    {
        Database.SkipIfUnavailable();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task<long> AppendAsync(string action, string entityId = "e1")
    {
        await using var db = Database.CreateContext();
        await using var tx = await db.Database.BeginTransactionAsync();
        var e = await AuditTrail.AppendAsync(db, new AuditEntry("tester", "test", action, "thing", entityId, null, "{\"v\":1}"), TimeProvider.System);
        await db.SaveChangesAsync();
        await tx.CommitAsync();
        return e.Sequence;
    }

    [Fact]
    public async Task Appended_events_form_an_intact_chain()
    {
        await AppendAsync("a");
        await AppendAsync("b");
        await using var db = Database.CreateContext();
        var result = await AuditTrail.VerifyAsync(db);
        result.IsIntact.Should().BeTrue(result.Reason);
        result.EventCount.Should().BeGreaterThanOrEqualTo(2);
    }

    [Fact]
    public async Task Concurrent_appends_never_fork_the_chain()
    {
        var sequences = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => Task.Run(() => AppendAsync("parallel", "p" + i))));
        sequences.Should().OnlyHaveUniqueItems();
        await using var db = Database.CreateContext();
        var result = await AuditTrail.VerifyAsync(db);
        result.IsIntact.Should().BeTrue(result.Reason);
    }

    [Fact]
    public async Task The_context_refuses_to_update_or_delete_an_audit_event()
    {
        var seq = await AppendAsync("protected");
        await using var db = Database.CreateContext();
        var e = await db.AuditEvents.SingleAsync(x => x.Sequence == seq);
        e.Actor = "someone else";
        var update = () => db.SaveChangesAsync();
        await update.Should().ThrowAsync<InvalidOperationException>().WithMessage("*append-only*");

        db.ChangeTracker.Clear();
        db.AuditEvents.Remove(await db.AuditEvents.SingleAsync(x => x.Sequence == seq));
        var delete = () => db.SaveChangesAsync();
        await delete.Should().ThrowAsync<InvalidOperationException>().WithMessage("*append-only*");
    }

    [Fact]
    public async Task A_context_that_committed_before_reads_the_chain_head_again_in_its_next_transaction()
    {
        await using var db = Database.CreateContext();
        async Task<long> AppendOnLongLivedContextAsync(string action)
        {
            await using var tx = await db.Database.BeginTransactionAsync();
            var e = await AuditTrail.AppendAsync(db, new AuditEntry("tester", "test", action, "thing", "long", null, null), TimeProvider.System);
            await db.SaveChangesAsync();
            await tx.CommitAsync();
            return e.Sequence;
        }

        var first = await AppendOnLongLivedContextAsync("first");
        var meanwhile = await AppendAsync("another writer"); // another context, as another worker or instance would
        var next = await AppendOnLongLivedContextAsync("next");

        meanwhile.Should().BeGreaterThan(first);
        next.Should().BeGreaterThan(meanwhile, "the head this context tracked from its first transaction is stale");
        await using var check = Database.CreateContext();
        var result = await AuditTrail.VerifyAsync(check);
        result.IsIntact.Should().BeTrue(result.Reason);
    }

    [Fact]
    public async Task An_append_outside_a_transaction_is_refused()
    {
        await using var db = Database.CreateContext();
        var act = () => AuditTrail.AppendAsync(db, new AuditEntry("t", "test", "x", "thing", "1", null, null), TimeProvider.System);
        await act.Should().ThrowAsync<InvalidOperationException>();
    }
}

/// <summary>Tampering is detected; each class gets its own database so the chain can be broken on purpose.</summary>
public abstract class AuditTamperTests<TDb>(TDb database) : IClassFixture<TDb>, IAsyncLifetime
    where TDb : TestDatabase
{
    public ValueTask InitializeAsync()
    {
        database.SkipIfUnavailable();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task Editing_an_event_with_sql_is_reported_at_that_event()
    {
        for (var i = 0; i < 5; i++)
        {
            await using var db = database.CreateContext();
            await using var tx = await db.Database.BeginTransactionAsync();
            await AuditTrail.AppendAsync(db, new AuditEntry("tester", "test", "step", "thing", i.ToString(), null, $"{{\"i\":{i}}}"), TimeProvider.System);
            await db.SaveChangesAsync();
            await tx.CommitAsync();
        }

        (await database.ExecuteAsync("UPDATE audit_events SET \"NewValues\" = '{\"i\":99}' WHERE \"Sequence\" = 3")).Should().Be(1);

        await using var check = database.CreateContext();
        var result = await AuditTrail.VerifyAsync(check);
        result.IsIntact.Should().BeFalse();
        result.FirstBrokenSequence.Should().Be(3);
        result.Reason.Should().Contain("content hash");
    }
}

public sealed class AuditTrailTests_on_Sqlite(SqliteTestDatabase db) : AuditTrailTests<SqliteTestDatabase>(db);

public sealed class AuditTrailTests_on_Postgres(PostgresTestDatabase db) : AuditTrailTests<PostgresTestDatabase>(db);

public sealed class AuditTamperTests_on_Sqlite(SqliteTestDatabase db) : AuditTamperTests<SqliteTestDatabase>(db);

public sealed class AuditTamperTests_on_Postgres(PostgresTestDatabase db) : AuditTamperTests<PostgresTestDatabase>(db);
