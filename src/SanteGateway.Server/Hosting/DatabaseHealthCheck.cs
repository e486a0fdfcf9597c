using Microsoft.Extensions.Diagnostics.HealthChecks;
using SanteGateway.Store;

namespace SanteGateway.Server.Hosting;

/// <summary>Readiness: the database answers.</summary>
internal sealed class DatabaseHealthCheck(GatewayDbContext db) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            return await db.Database.CanConnectAsync(cancellationToken).ConfigureAwait(false)
                ? HealthCheckResult.Healthy("database reachable")
                : HealthCheckResult.Unhealthy("database unreachable");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("database error: " + ex.GetType().Name);
        }
    }
}
