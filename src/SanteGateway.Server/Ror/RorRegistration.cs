using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using SanteGateway.Ror;

namespace SanteGateway.Server.Ror;

/// <summary>Registers the ROR use cases, the background synchronisation and the port over the ROR client.</summary>
public static class RorRegistration
{
    /// <summary>
    /// Use cases, <c>Ror:Sync</c> and <c>Ror:Validation</c> settings (the Firely validator of the ROR profiles when
    /// <c>Ror:Validation:Definitions</c> is set), the run coordinator, the background worker (idle unless <c>Ror:Sync:Enabled</c>)
    /// and the <c>ror</c> readiness check. Without <see cref="AddGatewayRor"/> the port is the unconfigured one.
    /// </summary>
    /// <param name="services">Services.</param>
    /// <param name="configuration">Configuration (section <c>Ror:Sync</c>).</param>
    /// <returns>The same services.</returns>
    public static IServiceCollection AddGatewayRorServices(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddRorUseCases();
        services.Configure<RorSyncOptions>(configuration.GetSection("Ror:Sync"));
        services.Configure<RorValidationOptions>(configuration.GetSection("Ror:Validation"));
        if (configuration.GetSection("Ror:Validation:Definitions").GetChildren().Any())
        {
            // Only with profiles configured: without a validator the synchronisation marks and validates nothing.
            services.TryAddSingleton<IRorResourceValidator, FirelyRorResourceValidator>();
        }

        services.TryAddSingleton<RorSyncRunner>();
        services.AddHostedService<RorSyncWorker>();
        services.AddHealthChecks().AddCheck<RorSyncHealthCheck>("ror", tags: ["ready"]);
        return services;
    }

    /// <summary>The ROR client (certificate and CAs loaded now) as the application's <see cref="IRorPort"/>.</summary>
    /// <param name="services">Services.</param>
    /// <param name="options">Client settings (from configuration, or from the sandbox <c>serve</c> started).</param>
    /// <returns>The same services.</returns>
    /// <exception cref="ArgumentException">The settings are incomplete.</exception>
    public static IServiceCollection AddGatewayRor(this IServiceCollection services, RorClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException("Ror: " + string.Join("; ", problems), nameof(options));
        }

        services.AddSingleton(sp => RorClient.Create(options, sp.GetRequiredService<ILoggerFactory>()));
        services.RemoveAll<IRorPort>();
        services.AddSingleton<IRorPort>(sp => SanteGateway.Server.Certificates.EstablishmentTransports.Ror(sp, options));
        return services;
    }
}

/// <summary>
/// Runs synchronisations of this instance one at a time, in their own scope: the API starts one in the background, the
/// worker awaits its own. Across instances the lease in the store decides.
/// </summary>
public sealed class RorSyncRunner(IServiceScopeFactory scopes, ILogger<RorSyncRunner> log)
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>True while this instance runs a synchronisation.</summary>
    public bool IsRunning => _gate.CurrentCount == 0;

    /// <summary>The last result of this instance, or null.</summary>
    public RorSyncResult? Last { get; private set; }

    /// <summary>Runs one synchronisation now, or answers busy when this instance already runs one.</summary>
    /// <param name="mode">What to run.</param>
    /// <param name="progress">Progress.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The result.</returns>
    public async Task<RorSyncResult> RunAsync(RorSyncMode mode, IProgress<RorSyncProgress>? progress, CancellationToken ct)
    {
        if (!await _gate.WaitAsync(0, ct).ConfigureAwait(false))
        {
            return new RorSyncResult(RorSyncStatus.Busy, null, 0, 0, 0, false, "ROR synchronisation already running on this instance");
        }

        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var result = await scope.ServiceProvider.GetRequiredService<RorSyncService>().RunAsync(mode, progress, ct).ConfigureAwait(false);
            Last = result;
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Starts a run in the background unless one runs here already.</summary>
    /// <param name="mode">What to run.</param>
    /// <param name="stopping">The host's stopping token.</param>
    /// <returns>False when this instance is already running one.</returns>
    public bool TryStart(RorSyncMode mode, CancellationToken stopping)
    {
        if (IsRunning)
        {
            return false;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await RunAsync(mode, null, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
#pragma warning disable CA1031 // A background run must not crash the host; the state row records the failure.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                log.LogError(ex, "ROR synchronisation crashed");
            }
        }, CancellationToken.None);
        return true;
    }
}

/// <summary>The scheduled synchronisation of <c>serve</c> (<c>Ror:Sync:Enabled</c>): a run at start, then every <c>Interval</c>.</summary>
internal sealed class RorSyncWorker(RorSyncRunner runner, IOptions<RorSyncOptions> options, IRorPort port, ILogger<RorSyncWorker> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled || port is UnconfiguredRorPort)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            var wait = options.Value.Interval;
            try
            {
                var result = await runner.RunAsync(RorSyncMode.Auto, null, stoppingToken).ConfigureAwait(false);
                if (result.Status == RorSyncStatus.Failed)
                {
                    // Retry sooner after a failure (a full load resumes where it stopped).
                    wait = TimeSpan.FromTicks(Math.Min(wait.Ticks, TimeSpan.FromMinutes(1).Ticks));
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The worker outlives one failed run.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                log.LogError(ex, "ROR synchronisation crashed");
            }

            try
            {
                await Task.Delay(wait, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}

/// <summary>
/// Readiness of the ROR mirror when the scheduled synchronisation is on: healthy when loaded and fresh; degraded (still
/// ready: the rest of the gateway works) before the first load, after a failed run, or when the last success is older
/// than three intervals.
/// </summary>
internal sealed class RorSyncHealthCheck(IServiceScopeFactory scopes, IOptions<RorSyncOptions> options, IRorPort port, TimeProvider time) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!options.Value.Enabled || port is UnconfiguredRorPort)
        {
            return HealthCheckResult.Healthy("ROR synchronisation off");
        }

        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var status = await scope.ServiceProvider.GetRequiredService<RorDirectory>().GetStatusAsync(cancellationToken).ConfigureAwait(false);
            if (status.LastSucceededAt is null)
            {
                return HealthCheckResult.Degraded(status.Running ? "ROR mirror: first load running" : "ROR mirror not loaded yet");
            }

            if (status.LastError is not null && status.LastFailedAt > status.LastSucceededAt)
            {
                return HealthCheckResult.Degraded("ROR mirror: last synchronisation failed");
            }

            return time.GetUtcNow() - status.LastSucceededAt > 3 * options.Value.Interval
                ? HealthCheckResult.Degraded("ROR mirror stale")
                : HealthCheckResult.Healthy("ROR mirror up to date");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return HealthCheckResult.Degraded("ROR mirror state unreadable: " + ex.GetType().Name);
        }
    }
}
