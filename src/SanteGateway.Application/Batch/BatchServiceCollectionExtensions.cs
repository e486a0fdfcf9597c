using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace SanteGateway.Application.Batch;

/// <summary>Registration of batch jobs.</summary>
public static class BatchServiceCollectionExtensions
{
    /// <summary>Registers <see cref="BatchService"/> (scoped), <see cref="BatchRunner"/> and <see cref="BatchMetrics"/> (singletons).</summary>
    /// <param name="services">Services (the application layer must be registered too).</param>
    /// <returns>The same services.</returns>
    public static IServiceCollection AddSanteGatewayBatch(this IServiceCollection services)
    {
        services.AddOptions<BatchOptions>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<BatchMetrics>();
        services.TryAddSingleton<BatchRunner>();
        services.TryAddScoped<BatchService>();
        return services;
    }
}
