using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SanteGateway.Application;
using SanteGateway.Store;
using SanteGateway.Store.Entities;

namespace SanteGateway.Server.Documents;

/// <summary>
/// The document outbox: sends again the submissions that failed transiently (state <c>retrying</c>, once
/// <see cref="DocumentSubmission.NextAttemptAt"/> is due) and takes over those whose sender died mid-call (state
/// <c>sending</c> with an expired lease). Exponential back-off and the dead letter after
/// <see cref="DocumentDeliveryOptions.MaxAttempts"/> are decided by <see cref="DocumentService"/>; refusals are never retried.
/// </summary>
/// <remarks>
/// Several gateway instances may share one database: each row is claimed with a conditional update (lease owner and
/// end) before it is sent, so no two workers send it at once, and a request's own attempt holds the same lease. State
/// lives in the database only: a restart resumes where it stopped, with the same uniqueId (the registry keeps one copy).
/// </remarks>
public sealed partial class DocumentOutboxWorker : BackgroundService
{
    private readonly IServiceScopeFactory scopes;
    private readonly DocumentDeliveryOptions delivery;
    private readonly TimeProvider clock;
    private readonly ILogger<DocumentOutboxWorker> logger;

    /// <summary>Creates the worker.</summary>
    /// <param name="scopes">One scope (database context, service) per submission.</param>
    /// <param name="options">Document settings (<c>Documents:Delivery</c>).</param>
    /// <param name="clock">Clock.</param>
    /// <param name="logger">Ids and codes only.</param>
    public DocumentOutboxWorker(IServiceScopeFactory scopes, IOptions<DocumentSharingOptions> options, TimeProvider clock, ILogger<DocumentOutboxWorker> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.scopes = scopes;
        delivery = options.Value.Delivery;
        this.clock = clock;
        this.logger = logger;
    }

    /// <summary>This worker as a lease owner: machine, process and a random part (two workers in one process differ).</summary>
    public string WorkerId { get; } = Truncate($"outbox:{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}", 64);

    /// <summary>One pass: claims the due submissions and makes one attempt on each.</summary>
    /// <param name="ct">Cancels the pass.</param>
    /// <returns>How many submissions were attempted.</returns>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        List<Guid> due;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
            var now = clock.GetUtcNow();
            due = await Due(db, now).OrderBy(x => x.NextAttemptAt).ThenBy(x => x.Id).Select(x => x.Id).Take(Math.Max(1, delivery.BatchSize)).ToListAsync(ct).ConfigureAwait(false);
        }

        var attempted = 0;
        foreach (var id in due)
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
            var claimedAt = clock.GetUtcNow();
            var until = claimedAt + delivery.Lease;
            // Only one worker's conditional update succeeds; the others skip the row.
            var claimed = await Due(db, claimedAt).Where(x => x.Id == id)
                .ExecuteUpdateAsync(u => u.SetProperty(x => x.LeaseOwner, WorkerId).SetProperty(x => x.LeaseUntil, until), ct).ConfigureAwait(false);
            if (claimed == 0)
            {
                continue;
            }

            attempted++;
            try
            {
                var view = await scope.ServiceProvider.GetRequiredService<DocumentService>().DeliverQueuedAsync(id, WorkerId, ct).ConfigureAwait(false);
                if (view is not null)
                {
                    LogAttempt(logger, id, view.State, view.Attempts, view.ErrorCode);
                }
            }
            finally
            {
                // Released whatever happened (a stop in the middle included): the next pass need not wait for the lease to end.
                // An attempt that completed released it already, so this matches nothing then.
                await db.DocumentSubmissions.Where(x => x.Id == id && x.LeaseOwner == WorkerId)
                    .ExecuteUpdateAsync(u => u.SetProperty(x => x.LeaseOwner, (string?)null).SetProperty(x => x.LeaseUntil, (DateTimeOffset?)null), CancellationToken.None)
                    .ConfigureAwait(false);
            }
        }

        return attempted;
    }

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await RunOnceAsync(stoppingToken).ConfigureAwait(false) > 0)
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
                LogPassFailed(logger, e.GetType().Name);
            }

            try
            {
                await Task.Delay(delivery.PollInterval, clock, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>Retrying and due, or sending with its sender gone (lease over or never taken); nobody holds it now.</summary>
    private static IQueryable<DocumentSubmission> Due(GatewayDbContext db, DateTimeOffset now) => db.DocumentSubmissions
        .Where(x => ((x.State == DocumentSubmissionStates.Retrying && x.NextAttemptAt <= now) || x.State == DocumentSubmissionStates.Sending)
            && (x.LeaseUntil == null || x.LeaseUntil < now));

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max];

    [LoggerMessage(Level = LogLevel.Information, Message = "Document outbox: submission {SubmissionId} is {State} after attempt {Attempts} ({Code})")]
    private static partial void LogAttempt(ILogger logger, Guid submissionId, string state, int attempts, string? code);

    [LoggerMessage(Level = LogLevel.Error, Message = "Document outbox pass failed: {Error}")]
    private static partial void LogPassFailed(ILogger logger, string error);
}
