using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SanteGateway.Identity;
using SanteGateway.Interop.Hl7v2.Er7;
using SanteGateway.Interop.Hl7v2.Mllp;
using SanteGateway.Store;

namespace SanteGateway.Server.Hl7;

/// <summary>
/// The file-drop transport: partners drop HL7 v2 files into <see cref="Hl7FileDropSettings.Folder"/>; each file is claimed by an
/// atomic rename into <c>processing/</c>, stored in <c>received_messages</c> (channel <c>hl7v2-file</c>) exactly as read, mapped
/// like an MLLP message, then moved to <c>done/</c> (accepted) or <c>error/</c> (unreadable, with a <c>.error.txt</c> naming the
/// rule). No file is ever deleted: every file ends in <c>done/</c> or <c>error/</c>, or waits in <c>processing/</c> for recovery.
/// </summary>
/// <remarks>
/// <para>Partners must write under another name (<c>.tmp</c>, <c>.part</c>, or a leading dot) and rename when complete: only
/// names matching <see cref="Hl7FileDropSettings.Pattern"/> are taken, and temporary names never are.</para>
/// <para>Crash safety: the claimed name (time stamp + random part + original name) is the row's partner field, so a file found in
/// <c>processing/</c> after a crash is stored once only (a row with that name means "stored; only the move was lost"). A claim
/// older than <see cref="Hl7FileDropSettings.RecoverAfter"/> is taken over by the next pass of any instance.</para>
/// </remarks>
public sealed partial class Hl7FileDropService : BackgroundService
{
    /// <summary>The channel recorded for dropped files.</summary>
    public const string Channel = "hl7v2-file";

    private const string StampFormat = "yyyyMMdd'T'HHmmssfff";

    private readonly Hl7Options _options;
    private readonly IServiceScopeFactory _scopes;
    private readonly TimeProvider _clock;
    private readonly ILogger<Hl7FileDropService> _logger;
    private readonly StoreReceivedMessageHandler _handler;
    private readonly Hl7InboundGateHandler _gate;

    /// <summary>Creates the service.</summary>
    /// <param name="options">HL7 settings (<c>Hl7:FileDrop</c>).</param>
    /// <param name="gateway">Gateway settings (INS policy for the mapping findings).</param>
    /// <param name="scopes">Database scopes.</param>
    /// <param name="clock">Clock.</param>
    /// <param name="logger">Logs file names' storage ids and outcomes, never content.</param>
    public Hl7FileDropService(IOptions<Hl7Options> options, IOptions<GatewayOptions> gateway, IServiceScopeFactory scopes, TimeProvider clock, ILogger<Hl7FileDropService> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(gateway);
        _options = options.Value;
        _scopes = scopes;
        _clock = clock;
        _logger = logger;
        _handler = new StoreReceivedMessageHandler(scopes, gateway.Value.InsPolicy, Channel);
        _gate = new Hl7InboundGateHandler(scopes, _handler, _options.FileDrop.PartnersBySendingFacility, _options.FileDrop.Partner, "folder");
    }

    private bool GoesToGate => Settings.Partner is not null || Settings.PartnersBySendingFacility.Count > 0;

    private Hl7FileDropSettings Settings => _options.FileDrop;

    /// <inheritdoc/>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await _handler.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>One pass: stale claims first (recovery), then every complete file in the folder, oldest first.</summary>
    /// <param name="ct">Cancels between files.</param>
    /// <returns>How many files were moved to <c>done/</c> or <c>error/</c>.</returns>
    internal async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var folder = Settings.Folder ?? throw new InvalidOperationException("Hl7:FileDrop:Folder is not set.");
        var processing = Directory.CreateDirectory(Path.Combine(folder, "processing")).FullName;
        Directory.CreateDirectory(Path.Combine(folder, "done"));
        Directory.CreateDirectory(Path.Combine(folder, "error"));
        var handled = 0;
        var now = _clock.GetUtcNow();
        foreach (var stale in Directory.EnumerateFiles(processing).Where(f => IsStale(Path.GetFileName(f), now)).Order(StringComparer.Ordinal).ToList())
        {
            ct.ThrowIfCancellationRequested();
            handled += await ProcessAsync(stale, true, ct).ConfigureAwait(false) ? 1 : 0;
        }

        var incoming = new DirectoryInfo(folder).EnumerateFiles(Settings.Pattern)
            .Where(f => !IsTemporary(f.Name))
            .OrderBy(f => f.LastWriteTimeUtc).ThenBy(f => f.Name, StringComparer.Ordinal)
            .Take(Settings.BatchSize)
            .ToList();
        foreach (var file in incoming)
        {
            ct.ThrowIfCancellationRequested();
            var claimed = Path.Combine(processing, ClaimedName(file.Name, _clock.GetUtcNow()));
            try
            {
                // The claim: an atomic rename on the same file system. Another instance that got there first makes it fail.
                File.Move(file.FullName, claimed);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException or UnauthorizedAccessException)
            {
                continue;
            }

            handled += await ProcessAsync(claimed, false, ct).ConfigureAwait(false) ? 1 : 0;
        }

        return handled;
    }

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (string.IsNullOrWhiteSpace(Settings.Folder))
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or DbUpdateException or InvalidOperationException or System.Data.Common.DbException)
            {
                LogPassFailed(_logger, e.GetType().Name);
            }

            try
            {
                await Task.Delay(Settings.PollInterval, _clock, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>Stores (once) and moves a claimed file. False when it stays in <c>processing/</c> (the store failed: retried later).</summary>
    private async Task<bool> ProcessAsync(string claimedPath, bool recovering, CancellationToken ct)
    {
        var claimedName = Path.GetFileName(claimedPath);
        var partner = "file:" + claimedName;
        string? error;
        string storageId;
        try
        {
            await using var scope = _scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
            var existing = await db.ReceivedMessages.AsNoTracking().Where(m => m.Channel == Channel && m.Partner == partner)
                .Select(m => new { m.Id, m.Error, m.AckCode }).FirstOrDefaultAsync(ct).ConfigureAwait(false);
            var gateActor = GateActor(claimedName);
            // A fresh claim has a new unique name: only a file found again in processing/ can have been stored already.
            var existingItem = existing is null && GoesToGate && recovering
                ? await db.InboundActions.AsNoTracking().Where(a => a.Action == "received" && a.Actor == gateActor)
                    .Join(db.InboundItems, a => a.ItemId, i => i.Id, (a, i) => new { i.Id, i.Decision, i.Rule, i.Reason }).FirstOrDefaultAsync(ct).ConfigureAwait(false)
                : null;
            if (existing is not null)
            {
                // Stored before a crash; only the move was lost.
                storageId = existing.Id.ToString(CultureInfo.InvariantCulture);
                error = existing.AckCode == "AA" ? null : existing.Error ?? "refused";
            }
            else if (existingItem is not null)
            {
                storageId = existingItem.Id.ToString();
                error = existingItem.Decision == Application.InboundDecisions.Reject ? $"{existingItem.Rule}: {existingItem.Reason}" : null;
            }
            else
            {
                (storageId, error) = await StoreAsync(claimedPath, partner, gateActor, ct).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is DbUpdateException or System.Data.Common.DbException or InvalidOperationException or IOException)
        {
            LogStoreFailed(_logger, claimedName[..Math.Min(claimedName.Length, 27)], e.GetType().Name);
            return false;
        }

        var target = Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(claimedPath))!, error is null ? "done" : "error", claimedName);
        if (error is not null)
        {
            // The reason beside the file, for the partner's operators (rule and position, no content).
            await File.WriteAllTextAsync(target + ".error.txt", $"storage id {storageId}: {error}\n", ct).ConfigureAwait(false);
        }

        File.Move(claimedPath, target);
        LogHandled(_logger, storageId, error is null ? "done" : "error");
        return true;
    }

    /// <summary>The actor of a file stored through the inbound gate: names the claimed file, so recovery finds it stored.</summary>
    private static string GateActor(string claimedName) => "hl7-file:" + claimedName;

    private async Task<(string StorageId, string? Error)> StoreAsync(string path, string partner, string gateActor, CancellationToken ct)
    {
        var length = new FileInfo(path).Length;
        var max = Settings.MaxMessageBytes;
        byte[] raw;
        Hl7Message? message = null;
        Hl7ParseError? parseError = null;
        string? tooLarge = null;
        if (length > max)
        {
            raw = [];
            tooLarge = $"file.too-large: {length.ToString(CultureInfo.InvariantCulture)} bytes, at most {max.ToString(CultureInfo.InvariantCulture)} (the file is kept in error/)";
        }
        else
        {
            raw = await File.ReadAllBytesAsync(path, ct).ConfigureAwait(false);
            if (!Hl7Reader.TryRead(raw, new Hl7ReadOptions { MaxMessageBytes = max }, out message, out parseError))
            {
                message = null;
            }
        }

        var inbound = new Hl7InboundMessage(raw, message, parseError, partner, _clock.GetUtcNow());
        if (tooLarge is null && Hl7PartnerMap.Resolve(message, Settings.PartnersBySendingFacility, Settings.Partner) is { } gatePartner)
        {
            var decided = await _gate.GateAsync(gatePartner, inbound, gateActor, ct).ConfigureAwait(false);
            return (decided.StorageId, decided.Rejection is { } r ? $"{r.Rule}: {r.Message}" : null);
        }

        var receipt = await _handler.StoreAsync(inbound, ct, tooLarge).ConfigureAwait(false);
        return (receipt.StorageId, tooLarge ?? parseError?.ToString());
    }

    private static string ClaimedName(string original, DateTimeOffset now)
    {
        var name = original.Length <= 150 ? original : original[^150..];
        return $"{now.UtcDateTime.ToString(StampFormat, CultureInfo.InvariantCulture)}-{Guid.NewGuid().ToString("N")[..8]}-{name}";
    }

    private bool IsStale(string claimedName, DateTimeOffset now)
    {
        if (claimedName.EndsWith(".error.txt", StringComparison.Ordinal))
        {
            return false;
        }

        // A name without our stamp (put there by hand) is taken at once.
        return claimedName.Length < StampFormat.Length - 2
            || !DateTime.TryParseExact(claimedName[..(StampFormat.Length - 2)], StampFormat, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var at)
            || now.UtcDateTime - at >= Settings.RecoverAfter;
    }

    private static bool IsTemporary(string name) =>
        name.StartsWith('.') || name.EndsWith(".tmp", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".part", StringComparison.OrdinalIgnoreCase)
        || name.EndsWith(".error.txt", StringComparison.Ordinal);

    // File names may carry what partners put in them: logs name the storage id, or the claim stamp only.
    [LoggerMessage(Level = LogLevel.Information, Message = "HL7 file stored as received message {StorageId}, moved to {Folder}")]
    private static partial void LogHandled(ILogger logger, string storageId, string folder);

    [LoggerMessage(Level = LogLevel.Warning, Message = "HL7 file claimed as {Claim}… could not be stored ({Error}); it stays in processing/ and is retried")]
    private static partial void LogStoreFailed(ILogger logger, string claim, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "HL7 file-drop pass failed: {Error}")]
    private static partial void LogPassFailed(ILogger logger, string error);
}
