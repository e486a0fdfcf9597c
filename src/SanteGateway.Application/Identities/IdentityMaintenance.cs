using Microsoft.EntityFrameworkCore;
using SanteGateway.Store;

namespace SanteGateway.Application;

/// <summary>Start-up upkeep of derived columns, for databases created before the column existed.</summary>
public static class IdentityMaintenance
{
    /// <summary>
    /// Identities whose derived keys are missing. The Store's partial index <c>IX_identities_missing_keys</c> has the same
    /// expression, so this is a read of a (normally empty) index, not a walk through every identity.
    /// </summary>
    /// <param name="identities">The identity rows.</param>
    /// <returns>The rows to fill.</returns>
    public static IQueryable<SanteGateway.Store.Entities.IdentityRecord> MissingKeys(IQueryable<SanteGateway.Store.Entities.IdentityRecord> identities) =>
        identities.Where(x => (x.BirthNamePhonetic == "" && x.BirthName != "") || (x.UsedName != null && x.UsedNameKey == null));

    /// <summary>
    /// Fills the phonetic key of identities stored before potential-duplicate detection existed (empty key) and the used
    /// name key of identities stored before prefix search existed, in batches, so that an upgraded database finds the
    /// same candidates as a new one.
    /// </summary>
    /// <param name="db">Database context.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>How many rows were filled.</returns>
    public static async Task<int> BackfillPhoneticKeysAsync(GatewayDbContext db, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        var total = 0;
        while (true)
        {
            var rows = await MissingKeys(db.Identities).OrderBy(x => x.Id).Take(1000).ToListAsync(ct).ConfigureAwait(false);
            var changed = 0;
            foreach (var r in rows)
            {
                var key = SanteGateway.Identity.FrenchPhonetic.Key(r.BirthName);
                var used = string.IsNullOrWhiteSpace(r.UsedName) ? null : SearchKeys.Normalize(r.UsedName);
                if ((key.Length > 0 && key != r.BirthNamePhonetic) || (used is { Length: > 0 } && used != r.UsedNameKey))
                {
                    r.BirthNamePhonetic = key.Length > 0 ? key : r.BirthNamePhonetic;
                    r.UsedNameKey = used is { Length: > 0 } ? used : r.UsedNameKey;
                    changed++;
                }
            }

            if (changed == 0)
            {
                return total;
            }

            await db.SaveChangesAsync(ct).ConfigureAwait(false);
            db.ChangeTracker.Clear();
            total += changed;
        }
    }
}
