using Microsoft.Extensions.DependencyInjection;

namespace SanteGateway.Application;

/// <summary>Registration of the inbound gate.</summary>
public static class InboundServiceCollectionExtensions
{
    /// <summary>Registers <see cref="InboundService"/> (scoped), its partner cache and group commit (singletons) and <see cref="InboundOptions"/>. The host registers the <see cref="IInboundExtractor"/>.</summary>
    /// <param name="services">Services.</param>
    /// <returns>The same services.</returns>
    public static IServiceCollection AddInboundGate(this IServiceCollection services)
    {
        services.AddOptions<InboundOptions>();
        services.AddScoped<InboundService>();
        services.AddSingleton<InboundPartnerCache>();
        services.AddSingleton<InboundGroupCommit>();
        return services;
    }
}
