using Microsoft.Extensions.DependencyInjection;

namespace SanteGateway.Application;

/// <summary>Registration of the inbound gate.</summary>
public static class InboundServiceCollectionExtensions
{
    /// <summary>Registers <see cref="InboundService"/> (scoped) and <see cref="InboundOptions"/>. The host registers the <see cref="IInboundExtractor"/>.</summary>
    /// <param name="services">Services.</param>
    /// <returns>The same services.</returns>
    public static IServiceCollection AddInboundGate(this IServiceCollection services)
    {
        services.AddOptions<InboundOptions>();
        services.AddScoped<InboundService>();
        return services;
    }
}
