using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SanteGateway.Interop.Hl7v2.Mllp;
using SanteGateway.Store;
using SanteGateway.Store.Entities;

namespace SanteGateway.Server.Hl7;

/// <summary>
/// Delivers the outbox to the configured MLLP subscribers: at least once, in <see cref="OutboxMessage.Id"/> order per
/// subscriber and patient (a patient's next message waits while an earlier one is pending), retries with exponential
/// back-off, dead letter after <see cref="Hl7DeliveryOptions.MaxAttempts"/> or when the partner answers AE/CE.
/// </summary>
/// <remarks>
/// <para>State lives in the database only, so a restart resumes where it stopped. A crash between the partner's ACK and the
/// save sends that message again (at-least-once; partners de-duplicate on MSH-10).</para>
/// <para>Several gateway instances may share one database: a worker claims each row with a conditional update (a lease:
/// <see cref="OutboxMessage.LeaseOwner"/> until <see cref="OutboxMessage.LeaseUntil"/>) before sending it, so no two workers
/// send the same row at once; the lease of a worker that died mid-attempt expires and another worker takes the row over.
/// A patient's next message is due only once the earlier one is no longer pending, so order holds across instances too.</para>
/// <para>A dead letter no longer holds back the patient's later messages (waiting forever would stop the whole feed for that
/// patient); operators see it with <see cref="Hl7Outbox.DeadLettersAsync"/> and requeue it with <see cref="Hl7Outbox.RequeueAsync"/>.</para>
/// </remarks>
public sealed partial class Hl7OutboxWorker : BackgroundService
{
    private readonly IServiceScopeFactory _scopes;
    private readonly Hl7Options _options;
    private readonly TimeProvider _clock;
    private readonly ILogger<Hl7OutboxWorker> _logger;
    private readonly ConcurrentDictionary<string, MllpClient> _clients = new(StringComparer.Ordinal);

    /// <summary>This worker in <see cref="OutboxMessage.LeaseOwner"/>: machine, process and a random part (two workers in one process differ).</summary>
    private readonly string _workerId = Truncate($"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}", 64);

    /// <summary>Creates the worker.</summary>
    /// <param name="scopes">Creates a database context per pass and subscriber.</param>
    /// <param name="options">HL7 settings.</param>
    /// <param name="clock">Clock for back-off.</param>
    /// <param name="logger">Logs ids and outcomes, never content.</param>
    public Hl7OutboxWorker(IServiceScopeFactory scopes, IOptions<Hl7Options> options, TimeProvider clock, ILogger<Hl7OutboxWorker> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _scopes = scopes;
        _options = options.Value;
        _clock = clock;
        _logger = logger;
    }

    /// <inheritdoc/>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        foreach (var client in _clients.Values)
        {
            await client.DisposeAsync().ConfigureAwait(false);
        }

        _clients.Clear();
    }

    /// <summary>One pass: every subscriber in parallel, its due messages in order.</summary>
    /// <param name="ct">Cancels the pass.</param>
    /// <returns>How many messages were attempted.</returns>
    internal async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var counts = await Task.WhenAll(_options.Subscribers.Select(s => DeliverToAsync(s, ct))).ConfigureAwait(false);
        return counts.Sum();
    }

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_options.Subscribers.Count == 0)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var attempted = await RunOnceAsync(stoppingToken).ConfigureAwait(false);
                if (attempted > 0)
                {
                    continue;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is DbUpdateException or InvalidOperationException or System.Data.Common.DbException)
            {
                LogPassFailed(_logger, e.GetType().Name);
            }

            try
            {
                await Task.Delay(_options.Delivery.PollInterval, _clock, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private async Task<int> DeliverToAsync(Hl7SubscriberOptions subscriber, CancellationToken ct)
    {
        await using var scope = _scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        var now = _clock.GetUtcNow();
        var name = subscriber.Name;
        // The head of each patient's queue only: a message is due when no earlier message of the same patient is pending.
        var due = await db.Outbox.AsNoTracking()
            .Where(m => m.Destination == name && m.State == OutboxStates.Pending && m.NextAttemptAt <= now
                && (m.LeaseUntil == null || m.LeaseUntil < now)
                && !db.Outbox.Any(o => o.Destination == name && o.OrderingKey == m.OrderingKey && o.State == OutboxStates.Pending && o.Id < m.Id))
            .OrderBy(m => m.Id)
            .Select(m => m.Id)
            .Take(_options.Delivery.BatchSize)
            .ToListAsync(ct).ConfigureAwait(false);
        var attempted = 0;
        var lease = LeaseFor(subscriber);
        foreach (var id in due)
        {
            // Claim: only one worker's conditional update succeeds; the others skip the row (another instance is sending it).
            var claimedAt = _clock.GetUtcNow();
            var until = claimedAt + lease;
            var claimed = await db.Outbox
                .Where(m => m.Id == id && m.State == OutboxStates.Pending && (m.LeaseUntil == null || m.LeaseUntil < claimedAt))
                .ExecuteUpdateAsync(u => u.SetProperty(m => m.LeaseOwner, _workerId).SetProperty(m => m.LeaseUntil, until), ct)
                .ConfigureAwait(false);
            if (claimed == 0)
            {
                continue;
            }

            OutboxMessage? message = null;
            try
            {
                message = await db.Outbox.SingleAsync(m => m.Id == id, ct).ConfigureAwait(false);
                attempted++;
                await DeliverAsync(subscriber, message, ct).ConfigureAwait(false);
            }
            finally
            {
                // Released whatever happened (a stop in the middle included), so the next worker need not wait for the lease to end.
                if (message is not null)
                {
                    message.LeaseOwner = null;
                    message.LeaseUntil = null;
                    await db.SaveChangesAsync(CancellationToken.None).ConfigureAwait(false);
                }
                else
                {
                    await db.Outbox.Where(m => m.Id == id && m.LeaseOwner == _workerId)
                        .ExecuteUpdateAsync(u => u.SetProperty(m => m.LeaseOwner, (string?)null).SetProperty(m => m.LeaseUntil, (DateTimeOffset?)null), CancellationToken.None)
                        .ConfigureAwait(false);
                }
            }
        }

        return attempted;
    }

    /// <summary>Longer than one attempt can last (connect + ACK wait, twice over), never shorter than the configured lease.</summary>
    private TimeSpan LeaseFor(Hl7SubscriberOptions subscriber)
    {
        var attempt = TimeSpan.FromSeconds((2 * subscriber.AckTimeoutSeconds) + 10);
        return attempt > _options.Delivery.Lease ? attempt : _options.Delivery.Lease;
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max];

    private async Task DeliverAsync(Hl7SubscriberOptions subscriber, OutboxMessage message, CancellationToken ct)
    {
        var client = _clients.GetOrAdd(subscriber.Name, _ => new MllpClient(new MllpClientOptions
        {
            Host = subscriber.Host,
            Port = subscriber.Port,
            UseTls = subscriber.Tls,
            ConnectTimeout = TimeSpan.FromSeconds(subscriber.AckTimeoutSeconds),
            AckTimeout = TimeSpan.FromSeconds(subscriber.AckTimeoutSeconds),
        }));
        message.Attempts++;
        string error;
        var permanent = false;
        try
        {
            var ack = await client.SendAsync(message.Payload, message.MessageId, ct).ConfigureAwait(false);
            if (ack.IsAccepted)
            {
                message.State = OutboxStates.Delivered;
                message.DeliveredAt = _clock.GetUtcNow();
                message.LastError = null;
                LogDelivered(_logger, message.Id, message.MessageId, subscriber.Name, message.Attempts);
                return;
            }

            var err = ack.Errors.FirstOrDefault();
            error = $"{ack.Code}{(err is null ? string.Empty : $" rule {err.ApplicationErrorCode} ({err.Hl7ErrorCode}): {err.UserMessage}")}";
            // AE/CE: the partner processed and refused the content; sending the same bytes again cannot succeed.
            permanent = ack.Code is "AE" or "CE";
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            message.Attempts--;
            throw;
        }
        catch (Exception e) when (e is IOException or TimeoutException or System.Net.Sockets.SocketException or System.Security.Authentication.AuthenticationException)
        {
            error = $"{e.GetType().Name}: {e.Message}";
        }

        message.LastError = error.Length <= 1024 ? error : error[..1024];
        if (permanent || message.Attempts >= _options.Delivery.MaxAttempts)
        {
            message.State = OutboxStates.DeadLetter;
            LogDeadLetter(_logger, message.Id, message.MessageId, subscriber.Name, message.Attempts);
            return;
        }

        var delay = Backoff(message.Attempts);
        message.NextAttemptAt = _clock.GetUtcNow() + delay;
        LogRetry(_logger, message.Id, message.MessageId, subscriber.Name, message.Attempts, delay);
    }

    /// <summary>Initial × 2^(attempts − 1), capped.</summary>
    private TimeSpan Backoff(int attempts)
    {
        var d = _options.Delivery;
        var factor = Math.Pow(2, Math.Min(attempts - 1, 30));
        var ticks = Math.Min(d.InitialBackoff.Ticks * factor, d.MaxBackoff.Ticks);
        return TimeSpan.FromTicks((long)ticks);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "HL7 outbox {OutboxId} (control id {MessageId}) delivered to {Destination} at attempt {Attempts}")]
    private static partial void LogDelivered(ILogger logger, long outboxId, string? messageId, string destination, int attempts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "HL7 outbox {OutboxId} (control id {MessageId}) to {Destination} failed at attempt {Attempts}; next try in {Delay}")]
    private static partial void LogRetry(ILogger logger, long outboxId, string? messageId, string destination, int attempts, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Error, Message = "HL7 outbox {OutboxId} (control id {MessageId}) to {Destination} is a dead letter after {Attempts} attempts")]
    private static partial void LogDeadLetter(ILogger logger, long outboxId, string? messageId, string destination, int attempts);

    [LoggerMessage(Level = LogLevel.Error, Message = "HL7 outbox pass failed: {Error}")]
    private static partial void LogPassFailed(ILogger logger, string error);
}

/// <summary>Operator views of the outbox: dead letters and requeue.</summary>
public static class Hl7Outbox
{
    /// <summary>Dead letters, newest first.</summary>
    /// <param name="db">A context.</param>
    /// <param name="take">How many.</param>
    /// <param name="ct">Cancels.</param>
    /// <returns>The rows.</returns>
    public static Task<List<OutboxMessage>> DeadLettersAsync(GatewayDbContext db, int take = 100, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        return db.Outbox.AsNoTracking().Where(m => m.State == OutboxStates.DeadLetter).OrderByDescending(m => m.Id).Take(take).ToListAsync(ct);
    }

    /// <summary>Puts a dead letter back in the queue (attempts reset).</summary>
    /// <param name="db">A context.</param>
    /// <param name="id">The outbox id.</param>
    /// <param name="now">Now.</param>
    /// <param name="ct">Cancels.</param>
    /// <returns>False when there is no such dead letter.</returns>
    public static async Task<bool> RequeueAsync(GatewayDbContext db, long id, DateTimeOffset now, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        var row = await db.Outbox.SingleOrDefaultAsync(m => m.Id == id && m.State == OutboxStates.DeadLetter, ct).ConfigureAwait(false);
        if (row is null)
        {
            return false;
        }

        row.State = OutboxStates.Pending;
        row.Attempts = 0;
        row.NextAttemptAt = now;
        row.LeaseOwner = null;
        row.LeaseUntil = null;
        await db.SaveChangesAsync(ct).ConfigureAwait(false);
        return true;
    }
}
