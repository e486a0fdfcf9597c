using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SanteGateway.Store;
using SanteGateway.Store.Audit;

namespace SanteGateway.Server.Security;

/// <summary>
/// Anchors the audit chain outside the database: a signed checkpoint of the chain head at start, every
/// <see cref="AuditCheckpointOptions.EveryEvents"/> events, at least every <see cref="AuditCheckpointOptions.Interval"/>
/// while events arrive, and at shutdown (<see cref="AuditCheckpoints"/>).
/// </summary>
internal sealed partial class AuditCheckpointService(IServiceScopeFactory scopes, IOptions<GatewayOptions> gatewayOptions, TimeProvider clock, ILogger<AuditCheckpointService> log)
    : BackgroundService
{
    private ECDsa? key;
    private long lastSequence = -1;
    private DateTimeOffset lastWrite;

    private AuditCheckpointOptions Options => gatewayOptions.Value.AuditCheckpoints!;

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await TryWriteAsync(force: true, CancellationToken.None).ConfigureAwait(false);
        key?.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        key = AuditCheckpoints.LoadOrCreateKey(Options.SigningKeyPath);
        await TryWriteAsync(force: true, stoppingToken).ConfigureAwait(false);
        var poll = TimeSpan.FromMilliseconds(Math.Clamp(Options.Interval.TotalMilliseconds / 4, 50, 1000));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(poll, clock, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            await TryWriteAsync(force: false, stoppingToken).ConfigureAwait(false);
        }
    }

    private async Task TryWriteAsync(bool force, CancellationToken ct)
    {
        if (key is null)
        {
            return;
        }

        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
            var head = await db.AuditChainHeads.AsNoTracking().Where(h => h.Id == 1).Select(h => h.LastSequence).SingleAsync(ct).ConfigureAwait(false);
            var due = head > lastSequence && (force || head - lastSequence >= Options.EveryEvents || clock.GetUtcNow() - lastWrite >= Options.Interval);
            if (!due)
            {
                return;
            }

            var written = await AuditCheckpoints.WriteAsync(db, Options, key, clock, ct).ConfigureAwait(false);
            lastSequence = head;
            lastWrite = clock.GetUtcNow();
            if (written is not null)
            {
                LogWritten(log, written.Number, written.Sequence);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DbUpdateException or InvalidOperationException)
        {
            LogFailed(log, e.GetType().Name);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Audit checkpoint {Number} written at event {Sequence}")]
    private static partial void LogWritten(ILogger logger, long number, long sequence);

    [LoggerMessage(Level = LogLevel.Error, Message = "Audit checkpoint could not be written ({Error}); retrying")]
    private static partial void LogFailed(ILogger logger, string error);
}
