using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SanteGateway.Store;
using SanteGateway.Store.Entities;

namespace SanteGateway.Application;

/// <summary>Settings of the ROR synchronisation (configuration section <c>Ror:Sync</c>).</summary>
public sealed class RorSyncOptions
{
    /// <summary>Run the background synchronisation in <c>serve</c>.</summary>
    public bool Enabled { get; set; }

    /// <summary>Time between two runs of the background synchronisation (deltas).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>A full reconciliation (which removes what disappeared from the ROR) runs when the last one is older than this.</summary>
    public TimeSpan FullEvery { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Resources stored per transaction (fewer, larger commits: measured 72 s of CPU for 100 000 offers at 2 000, 100 s at 500; a batch holds its lines in memory).</summary>
    public int BatchSize { get; set; } = 2000;

    /// <summary>How long the lease lasts without renewal (renewed after every batch).</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Deltas ask for changes from a little before the last run's start: clocks differ and <c>ge</c> is inclusive.</summary>
    public TimeSpan Overlap { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Name of this instance in the lease (default: the machine name; the process id and a run id are appended).</summary>
    public string? InstanceId { get; set; }
}

/// <summary>What to run.</summary>
public enum RorSyncMode
{
    /// <summary>Resume an interrupted full load, else a full load when none was ever made or the last one is older than <see cref="RorSyncOptions.FullEvery"/>, else a delta.</summary>
    Auto,

    /// <summary>A full load and reconciliation (resumes an interrupted one).</summary>
    Full,

    /// <summary>Changes since the last run (a full load when the mirror was never loaded).</summary>
    Delta,
}

/// <summary>How a run ended.</summary>
public enum RorSyncStatus
{
    /// <summary>Completed.</summary>
    Succeeded,

    /// <summary>Another instance holds the lease: nothing was done.</summary>
    Busy,

    /// <summary>Failed; the state records the error and a full load resumes where it stopped.</summary>
    Failed,
}

/// <summary>Result of <see cref="RorSyncService.RunAsync"/>.</summary>
/// <param name="Status">How it ended.</param>
/// <param name="Kind"><c>full</c> or <c>delta</c> (null when busy).</param>
/// <param name="Stored">Resources added or changed.</param>
/// <param name="Unchanged">Resources received that were already up to date.</param>
/// <param name="Deleted">Resources removed (full reconciliation).</param>
/// <param name="Resumed">The run continued an interrupted full load.</param>
/// <param name="Error">Failure, or the lease holder when busy.</param>
public sealed record RorSyncResult(RorSyncStatus Status, string? Kind, int Stored, int Unchanged, int Deleted, bool Resumed, string? Error)
{
    /// <summary>The validation mode in effect (<see cref="RorValidationMode.Off"/> when no ROR profiles are configured).</summary>
    public RorValidationMode ValidationMode { get; init; }

    /// <summary>Resources validated against the ROR profiles by this run (after they were stored).</summary>
    public int Validated { get; init; }

    /// <summary>Of those, the ones found invalid (kept and flagged).</summary>
    public int Invalid { get; init; }

    /// <summary>Resources still waiting for their validation after the run (validation cancelled or unavailable).</summary>
    public int ValidationPending { get; init; }

    /// <summary>Why validation did not run or stopped early (no profiles configured, profiles unreadable, cancelled), or null.</summary>
    public string? ValidationNote { get; init; }

    /// <summary>Time spent validating (after storing: not part of the synchronisation's own time).</summary>
    public TimeSpan ValidationTime { get; init; }
}

/// <summary>Progress of a run.</summary>
/// <param name="Kind"><c>full</c> or <c>delta</c>.</param>
/// <param name="Received">Resources received so far.</param>
/// <param name="Expected">Resources announced by the export manifest, when known.</param>
/// <param name="Phase">What is happening (<c>export</c>, <c>file 2/5</c>, <c>changes</c>, <c>reconcile</c>, <c>validate</c>: then
/// <paramref name="Received"/> counts the resources validated and <paramref name="Expected"/> those to validate).</param>
public sealed record RorSyncProgress(string Kind, long Received, long? Expected, string Phase);

/// <summary>
/// Mirrors the national ROR into the store: a full load from <c>$export</c> (resumable file by file, then a reconciliation
/// that deletes what the export no longer contains), then deltas by <c>_lastUpdated</c>. Idempotent (a copy that is not
/// newer than the stored one changes nothing) and one instance at a time (a lease on the state row, renewed after each
/// batch; an instance that dies leaves a lease that expires). Resources are validated against the ROR profiles after they
/// are stored (<see cref="RorValidationOptions"/>): each stored row is marked <c>pending</c> when the mode wants it, and a
/// last phase validates the pending rows and records the result; an invalid resource is kept and flagged, never dropped.
/// </summary>
public sealed class RorSyncService
{
    private readonly GatewayDbContext _db;
    private readonly IRorPort _port;
    private readonly RorSyncOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<RorSyncService> _logger;
    private readonly string _owner;
    private readonly IRorResourceValidator? _validator;
    private readonly RorValidationOptions _validation;
    private IRorBulkWriter? _writer;
    private RorSearchIndexWriter? _search;
    private bool _initialLoad;
    private bool _keysAtEnd;

    /// <summary>Creates the service.</summary>
    /// <param name="db">Database context (one run uses it alone).</param>
    /// <param name="port">The ROR.</param>
    /// <param name="options">Settings.</param>
    /// <param name="time">Clock.</param>
    /// <param name="logger">Logger.</param>
    /// <param name="validator">Validator of the ROR profiles; null when none is configured (nothing is validated).</param>
    /// <param name="validation">Validation settings (default: mode Changed, 1 % sample of the initial load).</param>
    public RorSyncService(GatewayDbContext db, IRorPort port, IOptions<RorSyncOptions> options, TimeProvider time, ILogger<RorSyncService> logger,
        IRorResourceValidator? validator = null, IOptions<RorValidationOptions>? validation = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _validator = validator;
        _validation = validation?.Value ?? new RorValidationOptions();
        _db = db;
        _port = port;
        _options = options.Value;
        _time = time;
        _logger = logger;
        // One owner per run: two services in one process (tests, a CLI run beside serve) never share a lease.
        var owner = (_options.InstanceId ?? Environment.MachineName) + string.Create(CultureInfo.InvariantCulture, $":{Environment.ProcessId}:{Guid.NewGuid():N}");
        _owner = owner.Length > 128 ? owner[^128..] : owner;
    }

    /// <summary>Runs one synchronisation.</summary>
    /// <param name="mode">What to run.</param>
    /// <param name="progress">Told of progress.</param>
    /// <param name="cancellationToken">Cancellation (the state stays resumable).</param>
    /// <returns>The result; ROR and storage failures are reported as <see cref="RorSyncStatus.Failed"/>, not thrown.</returns>
    public async Task<RorSyncResult> RunAsync(RorSyncMode mode, IProgress<RorSyncProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (!await TryTakeLeaseAsync(cancellationToken).ConfigureAwait(false))
        {
            var holder = await _db.RorSyncStates.AsNoTracking().Where(s => s.Id == 1).Select(s => s.LeaseOwner).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
            return new RorSyncResult(RorSyncStatus.Busy, null, 0, 0, 0, false, "ROR synchronisation already running on " + holder);
        }

        var state = await _db.RorSyncStates.SingleAsync(s => s.Id == 1, cancellationToken).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        var resume = state.Phase == "full" && state.ExportJob is not null;
        var full = resume || mode == RorSyncMode.Full || state.SinceTicks == 0
                   || (mode == RorSyncMode.Auto && (state.LastFullAtTicks is not { } last || now.UtcTicks - last > _options.FullEvery.Ticks));
        var kind = full ? "full" : "delta";
        var counts = new Counts();
        // The initial load (no full run ever completed; a resumed one included) stores every resource as new: mode Changed samples it.
        _initialLoad = full && state.LastFullAtTicks is null;
        try
        {
            // A full run that starts without search keys (the initial load, a resumed one, a mirror stored before the keys existed)
            // writes them all at once after the last file instead of batch by batch; any other run keeps them current per batch.
            _keysAtEnd = full && !await _db.RorSearchKeys.AnyAsync(cancellationToken).ConfigureAwait(false);
            if (!_keysAtEnd)
            {
                await RebuildSearchKeysIfMissingAsync(cancellationToken).ConfigureAwait(false);
            }

            if (full)
            {
                await RunFullAsync(state, resume, counts, progress, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await RunDeltaAsync(state, counts, progress, cancellationToken).ConfigureAwait(false);
            }

            _logger.LogInformation("ROR {Kind} synchronisation done: {Stored} stored, {Unchanged} unchanged, {Deleted} deleted", kind, counts.Stored, counts.Unchanged, counts.Deleted);
            // Everything received is stored and the state committed: validation comes after and never blocks the mirror.
            var validation = await ValidatePendingAsync(state, kind, progress, cancellationToken).ConfigureAwait(false);
            return validation.ApplyTo(new RorSyncResult(RorSyncStatus.Succeeded, kind, counts.Stored, counts.Unchanged, counts.Deleted, resume, null));
        }
        catch (Exception ex) when (ex is RorPortException or DbUpdateException or InvalidOperationException or TimeoutException or HttpRequestException or JsonException
                                   || (ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            var message = ex is OperationCanceledException ? "cancelled" : ex.Message;
            _logger.LogWarning("ROR {Kind} synchronisation failed: {Error}", kind, message);
            await RecordFailureAsync(message).ConfigureAwait(false);
            if (ex is OperationCanceledException)
            {
                throw;
            }

            return new RorSyncResult(RorSyncStatus.Failed, kind, counts.Stored, counts.Unchanged, counts.Deleted, resume, message) { ValidationMode = EffectiveMode };
        }
        finally
        {
            _writer?.Dispose();
            _writer = null;
            _search = null;
            await ReleaseLeaseAsync().ConfigureAwait(false);
        }
    }

    private async Task RunFullAsync(RorSyncState state, bool resume, Counts counts, IProgress<RorSyncProgress>? progress, CancellationToken ct)
    {
        var started = _time.GetUtcNow();
        if (!resume)
        {
            state.RunNumber++;
            state.Phase = "full";
            state.StartedAtTicks = started.UtcTicks;
            state.ExportFilesDone = 0;
            progress?.Report(new RorSyncProgress("full", 0, null, "export"));
            state.ExportJob = await _port.StartExportAsync(ct).ConfigureAwait(false);
            await SaveStateAsync(ct).ConfigureAwait(false);
        }

        RorExportManifestData manifest;
        try
        {
            manifest = await _port.WaitForExportAsync(state.ExportJob!, ct).ConfigureAwait(false);
        }
        catch (RorPortException ex) when (resume && ex.Kind == RorFailureKind.NotFound)
        {
            // The ROR dropped the interrupted job: export again. Rows stored by this run keep their mark; files are read again.
            _logger.LogInformation("ROR export job of run {Run} expired; starting a new export", state.RunNumber);
            state.ExportJob = await _port.StartExportAsync(ct).ConfigureAwait(false);
            state.ExportFilesDone = 0;
            await SaveStateAsync(ct).ConfigureAwait(false);
            manifest = await _port.WaitForExportAsync(state.ExportJob, ct).ConfigureAwait(false);
        }

        var expected = manifest.Files.Sum(f => f.Count ?? 0);
        long received = 0;
        for (var i = 0; i < manifest.Files.Count; i++)
        {
            if (i < state.ExportFilesDone)
            {
                received += manifest.Files[i].Count ?? 0;
                continue;
            }

            var phase = string.Create(CultureInfo.InvariantCulture, $"file {i + 1}/{manifest.Files.Count}");
            progress?.Report(new RorSyncProgress("full", received, expected, phase));
            var before = received;
            received += await IngestAsync(_port.ReadExportFileAsync(manifest.Files[i], ct), state.RunNumber, counts,
                n => progress?.Report(new RorSyncProgress("full", before + n, expected, phase)), ct).ConfigureAwait(false);
            // Only once every batch of the file is committed: a run killed before resumes at this file.
            state.ExportFilesDone = i + 1;
            await SaveStateAsync(ct).ConfigureAwait(false);
        }

        progress?.Report(new RorSyncProgress("full", received, expected, "reconcile"));
        var run = state.RunNumber;
        var seen = await _db.RorResources.CountAsync(r => r.SeenInRun == run, ct).ConfigureAwait(false);
        var stale = await _db.RorResources.CountAsync(r => r.SeenInRun != run, ct).ConfigureAwait(false);
        if (seen == 0 && stale > 0)
        {
            // An empty export would wipe the mirror: refuse rather than lose the offer (a profile or filter problem upstream).
            throw new InvalidOperationException($"The ROR export was empty; the {stale} resources of the mirror were kept.");
        }

        await RenewLeaseAsync(ct).ConfigureAwait(false);
        counts.Deleted = await _db.RorResources.Where(r => r.SeenInRun != run).ExecuteDeleteAsync(ct).ConfigureAwait(false);
        // A place that disappeared leaves no stale commune on its offers.
        await RefreshOfferPlacesAsync(null, ct).ConfigureAwait(false);
        if (_keysAtEnd)
        {
            // Every key in one transaction: should it fail, the state stays "full" with every file done and the resumed run
            // reconciles and builds them again (the batches wrote none, so a search by code or word finds nothing until then).
            await BuildAllSearchKeysAsync(ct).ConfigureAwait(false);
        }
        else
        {
            // Nor keys of what is gone, nor words no key uses any more.
            await RorSearchIndexWriter.PruneAsync(_db, counts.Deleted > 0, ct).ConfigureAwait(false);
        }

        var job = state.ExportJob!;
        var done = _time.GetUtcNow();
        state.Phase = "idle";
        state.ExportJob = null;
        state.ExportFilesDone = 0;
        state.SinceTicks = manifest.TransactionTime.UtcTicks;
        state.LastFullAtTicks = done.UtcTicks;
        Succeeded(state, "full", counts, done);
        await SaveStateAsync(ct).ConfigureAwait(false);
        await _port.DeleteExportAsync(job, ct).ConfigureAwait(false);
    }

    private async Task RunDeltaAsync(RorSyncState state, Counts counts, IProgress<RorSyncProgress>? progress, CancellationToken ct)
    {
        var started = _time.GetUtcNow();
        state.Phase = "delta";
        state.StartedAtTicks = started.UtcTicks;
        await SaveStateAsync(ct).ConfigureAwait(false);
        var since = new DateTimeOffset(state.SinceTicks, TimeSpan.Zero) - _options.Overlap;
        progress?.Report(new RorSyncProgress("delta", 0, null, "changes"));
        await IngestAsync(_port.ReadChangesAsync(since, ct), state.RunNumber, counts, n => progress?.Report(new RorSyncProgress("delta", n, null, "changes")), ct)
            .ConfigureAwait(false);
        state.Phase = "idle";
        state.SinceTicks = started.UtcTicks;
        Succeeded(state, "delta", counts, _time.GetUtcNow());
        await SaveStateAsync(ct).ConfigureAwait(false);
    }

    private static void Succeeded(RorSyncState state, string kind, Counts counts, DateTimeOffset at)
    {
        state.SucceededAtTicks = at.UtcTicks;
        state.LastKind = kind;
        state.LastStored = counts.Stored;
        state.LastDeleted = counts.Deleted;
        state.LastError = null;
        state.FailedAtTicks = null;
    }

    /// <summary>
    /// A mirror stored before the search keys existed (migration <c>Ror6</c>) has offers and no key: before a delta, their keys
    /// are written from the stored columns (a full run writes them at its end; a later run only rewrites the keys of what it stores).
    /// </summary>
    private async Task RebuildSearchKeysIfMissingAsync(CancellationToken ct)
    {
        if (await _db.RorSearchKeys.AnyAsync(ct).ConfigureAwait(false)
            || !await _db.RorResources.AnyAsync(r => r.ResourceType == RorTypes.Offer || r.ResourceType == RorTypes.Organization, ct).ConfigureAwait(false))
        {
            return;
        }

        _logger.LogInformation("ROR mirror without search keys: writing them from the stored offers and organisations");
        await BuildAllSearchKeysAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Writes every search key from the stored rows in one transaction (see <see cref="RorSearchIndexWriter.RebuildAllAsync"/>).</summary>
    private async Task BuildAllSearchKeysAsync(CancellationToken ct)
    {
        await RenewLeaseAsync(ct).ConfigureAwait(false);
        _writer ??= IRorBulkWriter.For(_db, revalidateUnchanged: EffectiveMode == RorValidationMode.All);
        var strategy = _db.Database.CreateExecutionStrategy();
        await strategy.ExecuteAsync(async () =>
        {
            await using var tx = await _db.Database.BeginTransactionAsync(ct).ConfigureAwait(false);
            await RorSearchIndexWriter.RebuildAllAsync(_db, _writer, Math.Max(1000, _options.BatchSize), ct).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
        }).ConfigureAwait(false);
        await RenewLeaseAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Stores what <paramref name="source"/> yields, batch by batch, as a two-stage pipeline so that both cores work: a reader
    /// task reads and parses the ROR's resources and prepares the rows of the next batches (at most two ahead: memory stays
    /// bounded) while this task writes the previous batch. The store is used by this task only.
    /// </summary>
    /// <returns>How many resources were read.</returns>
    private async Task<long> IngestAsync(IAsyncEnumerable<RorResourceData> source, long run, Counts counts, Action<long> progress, CancellationToken ct)
    {
        var channel = Channel.CreateBounded<(List<RorResource> Rows, long Read)>(new BoundedChannelOptions(2) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var mode = EffectiveMode;
        var size = Math.Max(1, _options.BatchSize);
        var reader = Task.Run(async () =>
        {
            long read = 0;
            try
            {
                var batch = new List<RorResourceData>(size);
                await foreach (var r in source.WithCancellation(stop.Token).ConfigureAwait(false))
                {
                    batch.Add(r);
                    read++;
                    if (batch.Count >= size)
                    {
                        await channel.Writer.WriteAsync((PrepareRows(batch, run, mode), read), stop.Token).ConfigureAwait(false);
                        batch = new List<RorResourceData>(size);
                    }
                }

                if (batch.Count > 0)
                {
                    await channel.Writer.WriteAsync((PrepareRows(batch, run, mode), read), stop.Token).ConfigureAwait(false);
                }

                channel.Writer.Complete();
            }
            catch (Exception ex)
            {
                channel.Writer.Complete(ex);
            }

            return read;
        }, CancellationToken.None);

        try
        {
            await foreach (var (rows, read) in channel.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                await StoreRowsAsync(rows, counts, ct).ConfigureAwait(false);
                progress(read);
            }
        }
        catch (ChannelClosedException ex) when (ex.InnerException is not null)
        {
            // The reader's failure (the ROR, a malformed file) as if read here.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex.InnerException).Throw();
        }
        finally
        {
            // A write that failed stops the reader; it is awaited so that nothing reads the ROR after this run returns.
            await stop.CancelAsync().ConfigureAwait(false);
            await reader.ConfigureAwait(false);
        }

        return await reader.ConfigureAwait(false);
    }

    /// <summary>The rows of one batch (no store access: runs on the reader task).</summary>
    private List<RorResource> PrepareRows(List<RorResourceData> batch, long run, RorValidationMode mode)
    {
        var now = _time.GetUtcNow().UtcTicks;
        // The same resource twice in a batch (pages that shifted): the newest wins.
        return batch.GroupBy(r => (r.ResourceType, r.Id)).Select(g => g.MaxBy(r => r.LastUpdated)!).Select(r =>
        {
            var row = new RorResource { ResourceType = r.ResourceType, ResourceId = r.Id, SeenInRun = run };
            Fill(row, r, now);
            // Written only when this copy is stored (new or newer): an unchanged row keeps its earlier result.
            row.ValidationStatus = mode != RorValidationMode.Off && RorValidationPolicy.WantsChanged(_validation, _initialLoad, r.ResourceType, r.Id) ? RorValidationStatus.Pending : null;
            return row;
        }).ToList();
    }

    /// <summary>
    /// Upserts one batch in one transaction through the bulk writer (no change tracking): new rows added, newer copies
    /// replace, older or equal ones only marked seen; then the offers the batch touches get their place (commune) copied.
    /// </summary>
    private async Task StoreRowsAsync(List<RorResource> rows, Counts counts, CancellationToken ct)
    {
        if (rows.Count == 0)
        {
            return;
        }

        await RenewLeaseAsync(ct).ConfigureAwait(false);
        var mode = EffectiveMode;
        _writer ??= IRorBulkWriter.For(_db, revalidateUnchanged: mode == RorValidationMode.All);
        var strategy = _db.Database.CreateExecutionStrategy();
        _search ??= new RorSearchIndexWriter();
        var (stored, unchanged) = await strategy.ExecuteAsync(async () =>
        {
            await using var tx = await _db.Database.BeginTransactionAsync(ct).ConfigureAwait(false);
            var result = await _writer.WriteAsync(_db, rows, ct).ConfigureAwait(false);
            if (!_keysAtEnd)
            {
                // The offers' places and the search keys of what was stored, in the same transaction: the search never sees a row
                // without its keys. A full run that writes the keys at its end also copies every offer's place at its end.
                await RefreshOfferPlacesAsync(rows, ct).ConfigureAwait(false);
                await _search.UpdateAsync(_db, _writer, result.Stored, ct).ConfigureAwait(false);
            }

            await tx.CommitAsync(ct).ConfigureAwait(false);
            return (result.Stored.Count, result.Unchanged);
        }).ConfigureAwait(false);
        _search.Committed();
        counts.Stored += stored;
        counts.Unchanged += unchanged;
    }

    /// <summary>
    /// Copies onto each offer row the commune of its place (its first Location, else its providing Organization), so that
    /// the search by commune reads the offers' own indexed columns. <paramref name="batch"/> null refreshes every offer.
    /// </summary>
    private Task<int> RefreshOfferPlacesAsync(IReadOnlyList<RorResource>? batch, CancellationToken ct)
    {
        var offers = _db.RorResources.Where(o => o.ResourceType == RorTypes.Offer);
        if (batch is not null)
        {
            var offerIds = batch.Where(r => r.ResourceType == RorTypes.Offer).Select(r => r.ResourceId).ToList();
            var locIds = batch.Where(r => r.ResourceType == RorTypes.Location).Select(r => r.ResourceId).ToList();
            var orgIds = batch.Where(r => r.ResourceType == RorTypes.Organization).Select(r => r.ResourceId).ToList();
            if (offerIds.Count + locIds.Count + orgIds.Count == 0)
            {
                return Task.FromResult(0);
            }

            offers = offers.Where(o => offerIds.Contains(o.ResourceId) || locIds.Contains(o.LocationId!) || orgIds.Contains(o.OrganizationId!));
        }

        var all = _db.RorResources;
        return offers.ExecuteUpdateAsync(
            s => s
                .SetProperty(o => o.CommuneCode, o => all.Where(l => l.ResourceType == RorTypes.Location && l.ResourceId == o.LocationId).Select(l => l.CommuneCode).FirstOrDefault()
                                                     ?? all.Where(g => g.ResourceType == RorTypes.Organization && g.ResourceId == o.OrganizationId).Select(g => g.CommuneCode).FirstOrDefault())
                .SetProperty(o => o.PostalCode, o => all.Where(l => l.ResourceType == RorTypes.Location && l.ResourceId == o.LocationId).Select(l => l.PostalCode).FirstOrDefault()
                                                    ?? all.Where(g => g.ResourceType == RorTypes.Organization && g.ResourceId == o.OrganizationId).Select(g => g.PostalCode).FirstOrDefault())
                .SetProperty(o => o.CityKey, o => all.Where(l => l.ResourceType == RorTypes.Location && l.ResourceId == o.LocationId).Select(l => l.CityKey).FirstOrDefault()
                                                 ?? all.Where(g => g.ResourceType == RorTypes.Organization && g.ResourceId == o.OrganizationId).Select(g => g.CityKey).FirstOrDefault()),
            ct);
    }

    internal static void Fill(RorResource row, RorResourceData r, long now)
    {
        row.VersionId = Truncate(r.VersionId, 64);
        row.LastUpdatedTicks = r.LastUpdated.UtcTicks;
        row.Json = r.Json;
        row.Name = Truncate(r.Name, 512);
        row.NameKey = Truncate(SearchKeys.Normalize(r.Name), 512);
        row.Identifier = Truncate(r.Identifier, 128);
        row.OrganizationId = Truncate(r.OrganizationId, 128);
        row.LocationId = Truncate(r.LocationId, 128);
        row.ServiceId = Truncate(r.ServiceId, 128);
        row.PractitionerId = Truncate(r.PractitionerId, 128);
        row.CommuneCode = Truncate(r.CommuneCode, 16);
        row.CityKey = Truncate(SearchKeys.Normalize(r.City), 128);
        row.PostalCode = Truncate(r.PostalCode, 16);
        row.Region = Truncate(r.Region, 8);
        row.Codes = Truncate(RorIndex.CodesColumn(r.Codes), 2048);
        row.Summary = JsonSerializer.Serialize(new RorSummary(r.City, r.Address, r.Codes, r.Capacities, r.Sensitive, r.ExternalId), RorIndex.Json);
        row.SyncedAtTicks = now;
    }

    /// <summary>The mode in effect: <see cref="RorValidationMode.Off"/> without a validator.</summary>
    private RorValidationMode EffectiveMode => _validator is null ? RorValidationMode.Off : _validation.Mode;

    /// <summary>
    /// Validates the rows marked pending (this run's and any left by an earlier, interrupted pass), batch by batch, and records
    /// each result on its row and the run's counts in the state. Failures of the validator itself stop the pass and leave the
    /// rows pending for the next run; they never fail the synchronisation, whose data is already stored.
    /// </summary>
    private async Task<ValidationSummary> ValidatePendingAsync(RorSyncState state, string kind, IProgress<RorSyncProgress>? progress, CancellationToken ct)
    {
        var mode = EffectiveMode;
        var summary = new ValidationSummary { Mode = mode };
        if (_validator is null)
        {
            summary.Note = _validation.Mode == RorValidationMode.Off ? null : "no ROR profiles configured (Ror:Validation:Definitions)";
            return summary;
        }

        if (mode == RorValidationMode.Off)
        {
            return summary;
        }

        var started = _time.GetTimestamp();
        var total = await _db.RorResources.CountAsync(r => r.ValidationStatus == RorValidationStatus.Pending, ct).ConfigureAwait(false);
        Task<(string Type, string Id, string Status, string? Issues)[]>? running = null;
        try
        {
            progress?.Report(new RorSyncProgress(kind, 0, total, "validate"));
            // A pipeline: the next batch is read and validated (on every core: validation is CPU only) while the results of the
            // previous one are written. Batches follow the key order (keyset paging), so a batch is read before the previous
            // results are written without being read twice.
            var rows = await NextPendingAsync(null, ct).ConfigureAwait(false);
            running = rows.Count > 0 ? ValidateBatchAsync(rows, ct) : null;
            while (running is not null)
            {
                var results = await running.ConfigureAwait(false);
                running = null;
                await RenewLeaseAsync(ct).ConfigureAwait(false);
                var last = rows[^1];
                rows = await NextPendingAsync((last.ResourceType, last.ResourceId), ct).ConfigureAwait(false);
                running = rows.Count > 0 ? ValidateBatchAsync(rows, ct) : null;
                var at = _time.GetUtcNow().UtcTicks;
                var strategy = _db.Database.CreateExecutionStrategy();
                await strategy.ExecuteAsync(async () =>
                {
                    await using var tx = await _db.Database.BeginTransactionAsync(ct).ConfigureAwait(false);
                    foreach (var (type, id, status, issues) in results)
                    {
                        await _db.RorResources.Where(x => x.ResourceType == type && x.ResourceId == id)
                            .ExecuteUpdateAsync(u => u.SetProperty(x => x.ValidationStatus, status).SetProperty(x => x.ValidationIssues, issues).SetProperty(x => x.ValidatedAtTicks, at), ct)
                            .ConfigureAwait(false);
                    }

                    await tx.CommitAsync(ct).ConfigureAwait(false);
                }).ConfigureAwait(false);
                summary.Validated += results.Length;
                summary.Invalid += results.Count(x => x.Status == RorValidationStatus.Invalid);
                progress?.Report(new RorSyncProgress(kind, summary.Validated, total, "validate"));
            }
        }
        catch (RorValidationUnavailableException ex)
        {
            _logger.LogWarning("ROR profile validation unavailable: {Error}", ex.Message);
            summary.Note = "validation unavailable: " + ex.Message;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            summary.Note = "validation cancelled (the rest is validated by the next run)";
        }
        finally
        {
            if (running is not null)
            {
                // A batch validated ahead whose results will not be written (the pass stopped): wait for it, its rows stay pending.
                try
                {
                    await running.ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is RorValidationUnavailableException or OperationCanceledException)
                {
                    _logger.LogDebug("ROR validation batch abandoned: {Error}", ex.GetType().Name);
                }
            }
        }

        summary.Time = _time.GetElapsedTime(started);
        summary.Pending = Math.Max(0, total - summary.Validated);
        _logger.LogInformation("ROR profile validation ({Mode}): {Validated} validated, {Invalid} invalid, {Pending} pending, in {Seconds:F1} s", mode, summary.Validated, summary.Invalid, summary.Pending, summary.Time.TotalSeconds);
        try
        {
            state.LastValidated = summary.Validated;
            state.LastInvalid = summary.Invalid;
            await SaveStateAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is DbUpdateException or InvalidOperationException or DbException)
        {
            _logger.LogWarning("ROR validation counts not recorded: {Error}", ex.Message);
        }

        return summary;
    }

    /// <summary>The next pending rows after <paramref name="after"/> in key order (constants in the filter, so that both databases use the partial index on pending rows).</summary>
    private async Task<List<PendingRow>> NextPendingAsync((string Type, string Id)? after, CancellationToken ct)
    {
        var query = _db.RorResources.AsNoTracking().Where(r => r.ValidationStatus == RorValidationStatus.Pending);
        if (after is var (type, id))
        {
            query = query.Where(r => string.Compare(r.ResourceType, type) > 0 || (r.ResourceType == type && string.Compare(r.ResourceId, id) > 0));
        }

        return await query.OrderBy(r => r.ResourceType).ThenBy(r => r.ResourceId).Take(Math.Max(1, _validation.BatchSize))
            .Select(r => new PendingRow(r.ResourceType, r.ResourceId, r.Json)).ToListAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Validates a batch on up to <see cref="RorValidationOptions.Parallelism"/> threads; results in the batch's order.</summary>
    private Task<(string Type, string Id, string Status, string? Issues)[]> ValidateBatchAsync(List<PendingRow> rows, CancellationToken ct) => Task.Run(() =>
    {
        var results = new (string Type, string Id, string Status, string? Issues)[rows.Count];
        var parallel = new ParallelOptions { CancellationToken = ct, MaxDegreeOfParallelism = Math.Max(1, _validation.Parallelism) };
        try
        {
            Parallel.For(0, rows.Count, parallel, i =>
            {
                var r = rows[i];
                var outcome = Validate(r.ResourceType, r.ResourceId, r.Json);
                results[i] = (r.ResourceType, r.ResourceId, outcome.IsValid ? RorValidationStatus.Valid : RorValidationStatus.Invalid, RorValidationPolicy.Compact(outcome, _validation.MaxIssues));
            });
        }
        catch (AggregateException ex) when (ex.InnerExceptions.Count > 0)
        {
            // The profiles cannot be loaded (or the run is cancelled): the caller handles the first cause as before.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex.InnerExceptions[0]).Throw();
        }

        return results;
    }, ct);

    private RorValidationOutcome Validate(string type, string id, string json)
    {
        try
        {
            return _validator!.Validate(type, json);
        }
        catch (Exception ex) when (ex is not (RorValidationUnavailableException or OperationCanceledException or OutOfMemoryException))
        {
            // One resource the validator chokes on is flagged with the reason; the pass goes on with the others.
            _logger.LogWarning("ROR {Type}/{Id}: the validator failed ({Error})", type, id, ex.GetType().Name);
            return new RorValidationOutcome([new RorValidationIssue(type, "the validator failed: " + ex.Message)]);
        }
    }

    private static string? Truncate(string? value, int max) => value is { Length: > 0 } v ? (v.Length > max ? v[..max] : v) : null;

    private async Task<bool> TryTakeLeaseAsync(CancellationToken ct)
    {
        var now = _time.GetUtcNow().UtcTicks;
        var until = now + _options.Lease.Ticks;
        var owner = _owner;
        // One conditional UPDATE: on PostgreSQL the second instance waits for the row lock, re-reads the row and matches nothing.
        var n = await _db.RorSyncStates.Where(s => s.Id == 1 && (s.LeaseOwner == null || s.LeaseUntilTicks < now || s.LeaseOwner == owner))
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.LeaseOwner, owner).SetProperty(x => x.LeaseUntilTicks, until), ct).ConfigureAwait(false);
        return n == 1;
    }

    private async Task RenewLeaseAsync(CancellationToken ct)
    {
        var until = _time.GetUtcNow().UtcTicks + _options.Lease.Ticks;
        var owner = _owner;
        var n = await _db.RorSyncStates.Where(s => s.Id == 1 && s.LeaseOwner == owner)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.LeaseUntilTicks, until), ct).ConfigureAwait(false);
        if (n != 1)
        {
            throw new InvalidOperationException("The ROR synchronisation lease was lost (another instance took it after it expired); stopping.");
        }
    }

    private async Task SaveStateAsync(CancellationToken ct)
    {
        await RenewLeaseAsync(ct).ConfigureAwait(false);
        await _db.SaveChangesAsync(ct).ConfigureAwait(false);
    }

    private async Task RecordFailureAsync(string message)
    {
        try
        {
            _db.ChangeTracker.Clear();
            var owner = _owner;
            var at = _time.GetUtcNow().UtcTicks;
            var text = message.Length > 1024 ? message[..1024] : message;
            await _db.RorSyncStates.Where(s => s.Id == 1 && s.LeaseOwner == owner)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.LastError, text).SetProperty(x => x.FailedAtTicks, at), CancellationToken.None).ConfigureAwait(false);
        }
        catch (DbException)
        {
            // The database itself failed: the lease expires on its own.
        }
    }

    private async Task ReleaseLeaseAsync()
    {
        try
        {
            var owner = _owner;
            await _db.RorSyncStates.Where(s => s.Id == 1 && s.LeaseOwner == owner)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.LeaseOwner, (string?)null).SetProperty(x => x.LeaseUntilTicks, 0L), CancellationToken.None).ConfigureAwait(false);
        }
        catch (DbException)
        {
            // The lease expires on its own.
        }
    }

    private sealed record PendingRow(string ResourceType, string ResourceId, string Json);

    private sealed class ValidationSummary
    {
        public RorValidationMode Mode { get; init; }

        public int Validated { get; set; }

        public int Invalid { get; set; }

        public int Pending { get; set; }

        public string? Note { get; set; }

        public TimeSpan Time { get; set; }

        public RorSyncResult ApplyTo(RorSyncResult result) => result with
        {
            ValidationMode = Mode, Validated = Validated, Invalid = Invalid, ValidationPending = Pending, ValidationNote = Note, ValidationTime = Time,
        };
    }

    private sealed class Counts
    {
        public int Stored { get; set; }

        public int Unchanged { get; set; }

        public int Deleted { get; set; }
    }
}

/// <summary>The neutral summary stored beside each resource for display.</summary>
/// <param name="City">Commune name.</param>
/// <param name="Address">Address on one line.</param>
/// <param name="Codes">Coded values with labels.</param>
/// <param name="Capacities">Capacity records (Location).</param>
/// <param name="Sensitive">Sensitive unit (offer).</param>
/// <param name="ExternalId">External sync id (Location).</param>
public sealed record RorSummary(string? City, string? Address, IReadOnlyList<RorCode> Codes, IReadOnlyList<RorCapacityFigure> Capacities, bool Sensitive, string? ExternalId);

/// <summary>The resource types the mirror keeps, as stored.</summary>
internal static class RorTypes
{
    public const string Offer = "HealthcareService";
    public const string Location = "Location";
    public const string Organization = "Organization";
}

/// <summary>How coded values are written into the search column.</summary>
public static class RorIndex
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The search column: <c>|kind:code|</c> for every code, then the label keys (<c>|MEDECINE GENERALE|</c>).</summary>
    /// <param name="codes">Coded values.</param>
    /// <returns>The column value, or null.</returns>
    public static string? CodesColumn(IReadOnlyList<RorCode> codes)
    {
        ArgumentNullException.ThrowIfNull(codes);
        if (codes.Count == 0)
        {
            return null;
        }

        var parts = codes.Select(c => c.Kind + ":" + c.Code)
            .Concat(codes.Where(c => !string.IsNullOrWhiteSpace(c.Display)).Select(c => SearchKeys.Normalize(c.Display)))
            .Distinct(StringComparer.Ordinal);
        return "|" + string.Join('|', parts) + "|";
    }

    /// <summary>Reads a stored summary.</summary>
    /// <param name="json">The column.</param>
    /// <returns>The summary (empty when absent).</returns>
    public static RorSummary ReadSummary(string? json) =>
        (json is null ? null : JsonSerializer.Deserialize<RorSummary>(json, Json)) ?? new RorSummary(null, null, [], [], false, null);
}
