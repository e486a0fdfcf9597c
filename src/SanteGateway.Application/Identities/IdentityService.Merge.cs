using Microsoft.EntityFrameworkCore;

namespace SanteGateway.Application;

/// <summary>Merge (fusion) of two identities of the same person, by identity vigilance.</summary>
public sealed partial class IdentityService
{
    /// <summary>
    /// Merges <see cref="MergeRequest.From"/> into the surviving identity: its evidence (withdrawn: it was checked against
    /// the other record), INSi exchanges, INS rows (as history) and external identifiers move to the survivor; the merged
    /// identity becomes a tombstone that answers <c>mergedInto</c> and keeps its pre-merge snapshot. When only the merged
    /// identity holds an INS, or both hold different ones, the merge is refused: the survivor must be the identity INSi
    /// vouches for. Audited on both identities; open alerts between the two are closed.
    /// </summary>
    /// <param name="survivorId">The identity that stays.</param>
    /// <param name="req">The identity that disappears and the reason.</param>
    /// <param name="actor">Who (identity vigilance).</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The survivor after the merge.</returns>
    public Task<Result<IdentityView>> MergeAsync(Guid survivorId, MergeRequest req, Actor actor, CancellationToken ct) => AppFailure.Run(async () =>
    {
        ArgumentNullException.ThrowIfNull(req);
        ArgumentNullException.ThrowIfNull(actor);
        if (!actor.IsVigilance)
        {
            throw new AppFailure(new AppError(ErrorKind.Forbidden, "merge.requires-vigilance", "Only identity vigilance may merge identities."));
        }

        var errors = new FieldErrors();
        if (req.From is not { } fromId)
        {
            errors.Add("from", "required", "Name the identity to merge into this one.");
        }

        if (string.IsNullOrWhiteSpace(req.Reason))
        {
            errors.Add("reason", "required", "Say why the two identities are the same person (audited).");
        }

        errors.ThrowIfAny();
        fromId = req.From!.Value;
        if (fromId == survivorId)
        {
            throw new AppFailure(AppError.Field(ErrorKind.Invalid, "from", "merge.same-identity", "An identity cannot be merged into itself."));
        }

        var now = Now();
        var survivor = await LoadAsync(survivorId, tracking: true, ct).ConfigureAwait(false);
        var merged = await LoadAsync(fromId, tracking: true, ct).ConfigureAwait(false);
        EnsureLive(survivor);
        EnsureLive(merged);
        if (merged.InsMatricule is not null && (survivor.InsMatricule is null || survivor.InsMatricule != merged.InsMatricule || survivor.InsOid != merged.InsOid))
        {
            throw new AppFailure(AppError.Field(ErrorKind.Conflict, "from", "merge.ins-conflict", survivor.InsMatricule is null
                ? "The identity to merge holds an INS and the survivor does not: choose the identity holding the INS as the survivor."
                : "Both identities hold different INS: INSi says they are two persons; they cannot be merged."));
        }

        var survivorBefore = Serialize(IdentityRows.Snapshot(survivor));
        var mergedSnapshot = Serialize(IdentityRows.Snapshot(merged));

        await using var tx = await db.Database.BeginTransactionAsync(ct).ConfigureAwait(false);
        try
        {
            foreach (var e in merged.Evidence.ToList())
            {
                e.IdentityId = survivor.Id;
                e.WithdrawnAt ??= now;
            }

            foreach (var h in merged.InsHistory.ToList())
            {
                h.IdentityId = survivor.Id;
                h.IsActive = false;
            }

            var exchanges = await db.InsiExchanges.Where(x => x.IdentityId == merged.Id).ToListAsync(ct).ConfigureAwait(false);
            foreach (var x in exchanges)
            {
                x.IdentityId = survivor.Id;
            }

            var externalIds = await db.ExternalIdentifiers.Where(x => x.IdentityId == merged.Id).ToListAsync(ct).ConfigureAwait(false);
            foreach (var x in externalIds)
            {
                x.IdentityId = survivor.Id;
            }

            var alerts = await db.VigilanceAlerts.Where(a => a.ResolvedAt == null
                && ((a.IdentityId == merged.Id && (a.OtherIdentityId == survivor.Id || a.OtherIdentityId == null)) || (a.IdentityId == survivor.Id && a.OtherIdentityId == merged.Id)))
                .ToListAsync(ct).ConfigureAwait(false);
            foreach (var a in alerts)
            {
                a.ResolvedAt = now;
                a.ResolvedBy = actor.Name;
                a.Resolution = $"merged into {survivor.Id}";
            }

            // Remaining open alerts of the merged identity follow the survivor.
            foreach (var a in await db.VigilanceAlerts.Where(a => a.ResolvedAt == null && a.IdentityId == merged.Id).ToListAsync(ct).ConfigureAwait(false))
            {
                a.IdentityId = survivor.Id;
            }

            merged.MergedIntoId = survivor.Id;
            merged.MergedAt = now;
            merged.MergeSnapshot = mergedSnapshot;
            merged.UpdatedAt = now;
            survivor.UpdatedAt = now;
            db.Entry(merged).State = EntityState.Modified;
            db.Entry(survivor).State = EntityState.Modified;
            await AuditAsync(actor, "identity.merged", survivor.Id, survivorBefore, IdentityRows.Snapshot(survivor), ct, versionAfter: survivor.Version + 1,
                extra: new { from = merged.Id, reason = req.Reason!.Trim(), moved = new { evidence = merged.Evidence.Count, insRows = merged.InsHistory.Count, exchanges = exchanges.Count, externalIds = externalIds.Count } }).ConfigureAwait(false);
            await AuditAsync(actor, "identity.merged-into", merged.Id, mergedSnapshot, new { mergedInto = survivor.Id }, ct, extra: new { reason = req.Reason.Trim() }).ConfigureAwait(false);
            Notify(new IdentityChange(survivor.Id, IdentityRows.ToDomain(survivor), IdentityChangeKind.Merged, MergedFrom: merged.Id));
            await db.SaveChangesAsync(ct).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
        }
        catch (DbUpdateConcurrencyException)
        {
            throw new AppFailure(new AppError(ErrorKind.Conflict, "concurrency.stale", "One of the identities changed during the merge; reload and retry."));
        }

        LogMerged(log, merged.Id, survivor.Id);
        db.ChangeTracker.Clear();
        return await ViewAsync(await LoadAsync(survivor.Id, tracking: false, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
    });

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Information, Message = "Identity {MergedId} merged into {SurvivorId}")]
    private static partial void LogMerged(Microsoft.Extensions.Logging.ILogger logger, Guid mergedId, Guid survivorId);
}
