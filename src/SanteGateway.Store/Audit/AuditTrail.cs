using Microsoft.EntityFrameworkCore;

namespace SanteGateway.Store.Audit;

/// <summary>
/// Appends to and verifies the audit hash chain. Appends must run inside the caller's transaction: the chain head
/// row is locked (<c>SELECT ... FOR UPDATE</c> on PostgreSQL; SQLite write transactions are already exclusive), so
/// two concurrent writers cannot both extend the same head.
/// </summary>
public static class AuditTrail
{
    /// <summary>
    /// Adds an event to the context (saved by the caller's <c>SaveChanges</c>, in the same transaction as the
    /// change it describes). Requires an open transaction. The event's sequence is taken now; its link and hash are
    /// computed once, when the context saves it (after the row it describes is final, see <c>SealPending</c>).
    /// </summary>
    public static async Task<AuditEvent> AppendAsync(GatewayDbContext db, AuditEntry entry, TimeProvider clock, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(clock);
        if (db.Database.CurrentTransaction is null)
        {
            throw new InvalidOperationException("Audit appends must run inside a transaction.");
        }

        // The head row stays tracked after a commit: reuse it only inside the transaction that locked it. In any later
        // transaction of this context another writer (worker, instance) may have extended the chain, so read it again
        // under lock; reusing the stale copy would give two events the same sequence number.
        var transaction = db.Database.CurrentTransaction;
        var head = ReferenceEquals(db.AuditHeadLockedIn, transaction) ? db.AuditChainHeads.Local.FirstOrDefault(h => h.Id == 1) : null;
        if (head is null)
        {
            foreach (var stale in db.AuditChainHeads.Local.ToList())
            {
                db.Entry(stale).State = EntityState.Detached;
            }

            head = await LockHeadAsync(db, ct).ConfigureAwait(false);
            db.AuditHeadLockedIn = transaction;
        }

        var e = new AuditEvent
        {
            Sequence = head.LastSequence + 1,
            OccurredAt = AuditHasher.Truncate(clock.GetUtcNow()),
            Actor = entry.Actor,
            Source = entry.Source,
            Action = entry.Action,
            EntityType = entry.EntityType,
            EntityId = entry.EntityId,
            PreviousValues = entry.PreviousValues,
            NewValues = entry.NewValues,
            PreviousHash = head.LastHash, // provisional for all but the first pending event: linked at save
        };
        // Hashed once, at save: an identity event's hash covers the after-image of the row as saved, which is only
        // known then (hashing here too hashed every such event twice).
        head.LastSequence = e.Sequence;
        db.AuditEvents.Add(e);
        return e;
    }

    /// <summary>Walks the chain in order and reports the first event whose content hash or link does not check.</summary>
    public static async Task<AuditVerification> VerifyAsync(GatewayDbContext db, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        var previous = AuditHasher.Genesis;
        long expected = 1;
        long count = 0;
        await foreach (var e in db.AuditEvents.AsNoTracking().OrderBy(x => x.Sequence).AsAsyncEnumerable().WithCancellation(ct).ConfigureAwait(false))
        {
            count++;
            if (e.Sequence != expected)
            {
                return new(false, count, e.Sequence, $"sequence gap: expected {expected}, found {e.Sequence}");
            }

            if (!string.Equals(e.PreviousHash, previous, StringComparison.Ordinal))
            {
                return new(false, count, e.Sequence, "previous-hash link does not match the preceding event");
            }

            if (!string.Equals(AuditHasher.Compute(e), e.Hash, StringComparison.Ordinal))
            {
                return new(false, count, e.Sequence, "content hash does not match (event altered)");
            }

            previous = e.Hash;
            expected++;
        }

        var head = await db.AuditChainHeads.AsNoTracking().FirstOrDefaultAsync(h => h.Id == 1, ct).ConfigureAwait(false);
        if (head is not null && (head.LastSequence != expected - 1 || !string.Equals(head.LastHash, previous, StringComparison.Ordinal)))
        {
            return new(false, count, expected, $"chain head points at event {head.LastSequence}; events after {expected - 1} are missing or the last was replaced");
        }

        return new(true, count, null, null);
    }

    /// <summary>
    /// Called by <see cref="GatewayDbContext"/> just before a save: stamps the after-image hash of every pending identity
    /// event whose identity row is tracked (the row as this save writes it), then links and hashes the pending events in
    /// order (the only time they are hashed) and moves the head, so the chain commits to the rows.
    /// </summary>
    internal static void SealPending(GatewayDbContext db)
    {
        var pending = db.ChangeTracker.Entries<AuditEvent>().Where(e => e.State == EntityState.Added).Select(e => e.Entity).OrderBy(e => e.Sequence).ToList();
        if (pending.Count == 0)
        {
            return;
        }

        Dictionary<string, Entities.IdentityRecord>? rows = null; // built once: a group save holds hundreds of events
        foreach (var e in pending.Where(e => e.EntityType == RowImage.IdentityEntityType && e.AfterImageHash is null))
        {
            rows ??= db.ChangeTracker.Entries<Entities.IdentityRecord>().Where(x => x.State != EntityState.Deleted && x.State != EntityState.Detached)
                .GroupBy(x => x.Entity.Id.ToString()).ToDictionary(g => g.Key, g => g.First().Entity, StringComparer.Ordinal);
            if (rows.TryGetValue(e.EntityId, out var row))
            {
                e.AfterImageHash = RowImage.Hash(row);
            }
        }

        // The first pending event was linked to the head as locked; the others are linked here.
        var previous = pending[0].PreviousHash;
        foreach (var e in pending)
        {
            e.PreviousHash = previous;
            e.Hash = AuditHasher.Compute(e);
            previous = e.Hash;
        }

        if (db.AuditChainHeads.Local.FirstOrDefault(h => h.Id == 1) is { } head && head.LastSequence == pending[^1].Sequence)
        {
            head.LastHash = previous;
            // Marked here: a save whose changes were detected before this call (a group's) would not write it otherwise.
            db.Entry(head).Property(h => h.LastHash).IsModified = true;
        }
    }

    private static async Task<AuditChainHead> LockHeadAsync(GatewayDbContext db, CancellationToken ct)
    {
        if (db.Database.IsNpgsql())
        {
            return await db.AuditChainHeads
                .FromSqlRaw("SELECT * FROM audit_chain_head WHERE \"Id\" = 1 FOR UPDATE")
                .SingleAsync(ct).ConfigureAwait(false);
        }

        return await db.AuditChainHeads.SingleAsync(h => h.Id == 1, ct).ConfigureAwait(false);
    }
}
