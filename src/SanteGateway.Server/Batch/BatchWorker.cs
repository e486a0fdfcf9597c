using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SanteGateway.Application.Batch;
using SanteGateway.Store;

namespace SanteGateway.Server.Batch;

/// <summary>Settings of this instance's batch worker (configuration section <c>Batch</c>).</summary>
internal sealed class BatchWorkerOptions
{
    /// <summary>False on an instance that must not work on jobs (API only).</summary>
    public bool WorkerEnabled { get; set; } = true;

    /// <summary>How often the worker looks for running jobs.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);
}

/// <summary>
/// The batch worker of this gateway instance: works on every running job, one after the other, through
/// <see cref="BatchRunner"/>. Every instance runs one, so a job is shared by all instances (PostgreSQL).
/// </summary>
internal sealed partial class BatchWorker(IServiceScopeFactory scopes, BatchRunner runner, IOptions<BatchWorkerOptions> options, ILogger<BatchWorker> log) : BackgroundService
{
    private readonly string workerId = WorkerId();

    /// <summary>A lease owner name unique to this process (at most 128 characters).</summary>
    internal static string WorkerId()
    {
        var id = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";
        return id.Length > 128 ? id[^128..] : id;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!options.Value.WorkerEnabled)
                {
                    await Task.Delay(options.Value.PollInterval, stoppingToken).ConfigureAwait(false);
                    continue;
                }

                List<Guid> jobs;
                await using (var scope = scopes.CreateAsyncScope())
                {
                    var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
                    jobs = await db.BatchJobs.AsNoTracking().Where(j => j.Status == BatchStatuses.Running).OrderBy(j => j.CreatedAt).Select(j => j.Id).ToListAsync(stoppingToken).ConfigureAwait(false);
                }

                foreach (var id in jobs)
                {
                    await runner.RunAsync(id, workerId, stoppingToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is DbUpdateException or InvalidOperationException or System.Data.Common.DbException or TimeoutException)
            {
                // The database may be away for a moment; items keep their lease and come back after it.
                LogWorkerError(log, ex.GetType().Name);
            }

            try
            {
                await Task.Delay(options.Value.PollInterval, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Batch worker: {Error}; retrying")]
    private static partial void LogWorkerError(ILogger logger, string error);
}
