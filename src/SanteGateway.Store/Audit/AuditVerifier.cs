using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;

namespace SanteGateway.Store.Audit;

/// <summary>One thing <c>audit verify</c> found wrong; <see cref="Kind"/> names the tampering it reveals.</summary>
/// <param name="Kind">
/// <c>chain-broken</c> (an event edited, removed or re-linked without recomputing), <c>truncated</c> (events after a
/// signed checkpoint are gone), <c>deleted-all</c> (no event left although checkpoints exist), <c>rewritten</c> (the
/// chain was edited and every hash recomputed: it no longer matches a signed checkpoint), <c>checkpoint-signature</c>,
/// <c>checkpoint-missing</c> (a checkpoint line was deleted), <c>uncovered-events</c> (events older than the checkpoint
/// interval covered by no checkpoint: the last checkpoints were deleted, or the writer stopped),
/// <c>identity-row-mismatch</c>, <c>identity-row-missing</c>, <c>identity-without-audit</c>.
/// </param>
/// <param name="Detail">What exactly (sequences, ids; never identity traits).</param>
public sealed record AuditFinding(string Kind, string Detail);

/// <summary>The full verification: the chain, its external checkpoints and the identity rows.</summary>
/// <param name="Chain">The hash-chain walk.</param>
/// <param name="CheckpointCount">Checkpoints read.</param>
/// <param name="IdentitiesChecked">Identity rows compared with their last after-image.</param>
/// <param name="Findings">Everything wrong, empty when intact.</param>
public sealed record AuditReport(AuditVerification Chain, int CheckpointCount, int IdentitiesChecked, IReadOnlyList<AuditFinding> Findings)
{
    /// <summary>True when nothing was found.</summary>
    public bool IsIntact => Findings.Count == 0;
}

/// <summary>Verifies the audit trail against its external anchors and the identity rows against their audit events.</summary>
public static class AuditVerifier
{
    /// <summary>Runs every check.</summary>
    /// <param name="db">The gateway database.</param>
    /// <param name="checkpointPath">The checkpoint file, or null to skip the checkpoint checks.</param>
    /// <param name="key">The verification key (required with <paramref name="checkpointPath"/>).</param>
    /// <param name="uncoveredGrace">Events older than this (relative to <paramref name="now"/>) must be covered by a checkpoint.</param>
    /// <param name="now">The time of the check.</param>
    /// <param name="ct">Cancellation.</param>
    public static async Task<AuditReport> VerifyAsync(GatewayDbContext db, string? checkpointPath, ECDsa? key, TimeSpan uncoveredGrace, DateTimeOffset now, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        var findings = new List<AuditFinding>();
        var chain = await AuditTrail.VerifyAsync(db, ct).ConfigureAwait(false);
        if (!chain.IsIntact)
        {
            findings.Add(new("chain-broken", $"at event {chain.FirstBrokenSequence}: {chain.Reason}"));
        }

        var checkpoints = 0;
        if (checkpointPath is not null)
        {
            ArgumentNullException.ThrowIfNull(key);
            checkpoints = await CheckCheckpointsAsync(db, checkpointPath, key, uncoveredGrace, now, findings, ct).ConfigureAwait(false);
        }

        var identities = await CheckIdentitiesAsync(db, findings, ct).ConfigureAwait(false);
        return new AuditReport(chain, checkpoints, identities, findings);
    }

    private static async Task<int> CheckCheckpointsAsync(GatewayDbContext db, string path, ECDsa key, TimeSpan grace, DateTimeOffset now, List<AuditFinding> findings, CancellationToken ct)
    {
        var lines = AuditCheckpoints.Read(path);
        var maxSequence = await db.AuditEvents.MaxAsync(e => (long?)e.Sequence, ct).ConfigureAwait(false) ?? 0;
        var previousLine = (string?)null;
        long expectedNumber = 1;
        AuditCheckpoint? lastValid = null;
        foreach (var (line, cp) in lines)
        {
            if (cp is null || !AuditCheckpoints.IsValid(cp, key))
            {
                findings.Add(new("checkpoint-signature", cp is null ? "an unreadable checkpoint line" : $"checkpoint {cp.Number} (event {cp.Sequence}) has a bad signature"));
                previousLine = line;
                expectedNumber++;
                continue;
            }

            var link = previousLine is null ? AuditHasher.Genesis : AuditCheckpoint.LineHash(previousLine);
            if (cp.Number != expectedNumber || !string.Equals(cp.Previous, link, StringComparison.Ordinal))
            {
                findings.Add(new("checkpoint-missing", $"checkpoint {cp.Number} does not follow checkpoint {expectedNumber - 1}: a checkpoint line was deleted or reordered"));
            }

            previousLine = line;
            expectedNumber = cp.Number + 1;
            lastValid = cp;
            if (cp.Sequence == 0)
            {
                continue;
            }

            if (maxSequence == 0)
            {
                findings.Add(new("deleted-all", $"checkpoint {cp.Number} signed {cp.Sequence} events; the database has none"));
                return lines.Count;
            }

            if (cp.Sequence > maxSequence)
            {
                findings.Add(new("truncated", $"checkpoint {cp.Number} signed {cp.Sequence} events; the database ends at event {maxSequence}"));
                continue;
            }

            var hash = await db.AuditEvents.AsNoTracking().Where(e => e.Sequence == cp.Sequence).Select(e => e.Hash).SingleOrDefaultAsync(ct).ConfigureAwait(false);
            if (!string.Equals(hash, cp.Hash, StringComparison.Ordinal))
            {
                findings.Add(new("rewritten", $"event {cp.Sequence} differs from the one checkpoint {cp.Number} signed: the chain was rewritten and its hashes recomputed"));
            }
        }

        // Events that should have been anchored by now but are not: the tail of the checkpoint file was cut.
        var coveredUpTo = lastValid?.Sequence ?? 0;
        var oldestUncovered = await db.AuditEvents.AsNoTracking().Where(e => e.Sequence > coveredUpTo).OrderBy(e => e.Sequence)
            .Select(e => new { e.Sequence, e.OccurredAt }).FirstOrDefaultAsync(ct).ConfigureAwait(false);
        if (oldestUncovered is not null && now - oldestUncovered.OccurredAt > grace)
        {
            findings.Add(new("uncovered-events", $"events {oldestUncovered.Sequence}..{maxSequence} are older than {grace} and covered by no checkpoint: the last checkpoints were deleted or the writer is not running"));
        }

        return lines.Count;
    }

    private static async Task<int> CheckIdentitiesAsync(GatewayDbContext db, List<AuditFinding> findings, CancellationToken ct)
    {
        var images = new Dictionary<string, (long Sequence, string Hash)>(StringComparer.Ordinal);
        var audited = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var e in db.AuditEvents.AsNoTracking().Where(e => e.EntityType == RowImage.IdentityEntityType)
            .OrderBy(e => e.Sequence).Select(e => new { e.Sequence, e.EntityId, e.AfterImageHash }).AsAsyncEnumerable().WithCancellation(ct).ConfigureAwait(false))
        {
            audited.Add(e.EntityId);
            if (e.AfterImageHash is not null)
            {
                images[e.EntityId] = (e.Sequence, e.AfterImageHash);
            }
        }

        var imports = await ImportedSeries.ReadAsync(db, ct).ConfigureAwait(false);
        var checkedRows = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var row in db.Identities.AsNoTracking().AsAsyncEnumerable().WithCancellation(ct).ConfigureAwait(false))
        {
            var id = row.Id.ToString();
            seen.Add(id);
            if (!audited.Contains(id))
            {
                // An identity loaded by `santegw import` and never changed since has no event of its own: the import's
                // event (chained like any other) names the series of ids it gave and how many identities it created.
                if (!imports.Claim(row.Id))
                {
                    findings.Add(new("identity-without-audit", $"identity {id} has no audit event: inserted behind the gateway's back"));
                }
            }
            else if (images.TryGetValue(id, out var image))
            {
                checkedRows++;
                if (!string.Equals(RowImage.Hash(row), image.Hash, StringComparison.Ordinal))
                {
                    findings.Add(new("identity-row-mismatch", $"identity {id} does not match what audit event {image.Sequence} recorded: edited behind the gateway's back"));
                }
            }
        }

        foreach (var (id, image) in images.Where(p => !seen.Contains(p.Key)))
        {
            findings.Add(new("identity-row-missing", $"identity {id} (audit event {image.Sequence}) is no longer in the database"));
        }

        foreach (var (importId, claimed, imported) in imports.Overclaimed())
        {
            findings.Add(new("identity-without-audit", $"import {importId} created {imported} identities but {claimed} unaudited identities carry its ids: inserted behind the gateway's back"));
        }

        return checkedRows;
    }
}

/// <summary>
/// The id series of the imports on record (<c>identities.imported</c> events): each import gives UUIDv7 ids that share
/// its millisecond (bytes 0–5) and a random tail (bytes 11–15), with a counter between, from <c>firstId</c> to
/// <c>lastId</c>. An unaudited identity is the import's if its id lies in that series, and no import may claim more
/// unaudited identities than it created.
/// </summary>
internal sealed class ImportedSeries
{
    private readonly List<Series> series;

    private ImportedSeries(List<Series> series) => this.series = series;

    private sealed class Series(string importId, byte[] first, byte[] last, int imported)
    {
        public string ImportId => importId;

        public int Imported => imported;

        public int Claimed { get; set; }

        public bool Holds(ReadOnlySpan<byte> id) =>
            id[..6].SequenceEqual(first.AsSpan(0, 6)) && id[11..].SequenceEqual(first.AsSpan(11))
            && id.SequenceCompareTo(first) >= 0 && id.SequenceCompareTo(last) <= 0;
    }

    public static async Task<ImportedSeries> ReadAsync(GatewayDbContext db, CancellationToken ct)
    {
        var list = new List<Series>();
        await foreach (var e in db.AuditEvents.AsNoTracking().Where(e => e.EntityType == "import" && e.Action == "identities.imported")
            .Select(e => new { e.EntityId, e.NewValues }).AsAsyncEnumerable().WithCancellation(ct).ConfigureAwait(false))
        {
            try
            {
                using var json = System.Text.Json.JsonDocument.Parse(e.NewValues ?? "{}");
                var root = json.RootElement;
                if (root.TryGetProperty("firstId", out var first) && first.TryGetGuid(out var f)
                    && root.TryGetProperty("lastId", out var last) && last.TryGetGuid(out var l)
                    && root.TryGetProperty("imported", out var imported) && imported.TryGetInt32(out var n))
                {
                    list.Add(new Series(e.EntityId, f.ToByteArray(bigEndian: true), l.ToByteArray(bigEndian: true), n));
                }
            }
            catch (System.Text.Json.JsonException)
            {
                // An event whose payload is not the import's summary vouches for nothing (the chain check judges the event).
            }
        }

        return new ImportedSeries(list);
    }

    /// <summary>Counts the identity against the import whose series holds its id; false when none does.</summary>
    public bool Claim(Guid id)
    {
        if (series.Count == 0)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[16];
        id.TryWriteBytes(bytes, bigEndian: true, out _);
        foreach (var s in series)
        {
            if (s.Holds(bytes))
            {
                s.Claimed++;
                return true;
            }
        }

        return false;
    }

    /// <summary>Imports whose series hold more unaudited identities than they created.</summary>
    public IEnumerable<(string ImportId, int Claimed, int Imported)> Overclaimed() =>
        series.Where(s => s.Claimed > s.Imported).Select(s => (s.ImportId, s.Claimed, s.Imported));
}
