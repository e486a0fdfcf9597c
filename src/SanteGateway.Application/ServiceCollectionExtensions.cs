using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace SanteGateway.Application;

/// <summary>Registration of the use cases.</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IdentityService"/>, <see cref="IdentityImporter"/> and <see cref="VigilanceService"/> (scoped, like the database context),
    /// <see cref="InsiMetrics"/>, and <see cref="UnconfiguredInsiPort"/> unless an <see cref="IInsiPort"/> is registered.
    /// </summary>
    /// <param name="services">Services.</param>
    /// <returns>The same services.</returns>
    public static IServiceCollection AddSanteGatewayApplication(this IServiceCollection services)
    {
        services.AddOptions<ApplicationOptions>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<InsiMetrics>();
        services.TryAddSingleton<IInsiPort, UnconfiguredInsiPort>();
        services.AddScoped<IdentityService>();
        services.AddScoped<IdentityImporter>();
        services.AddScoped<VigilanceService>();
        services.AddOptions<DocumentSharingOptions>();
        services.AddScoped<DocumentService>();
        services.AddOptions<SupportBundleOptions>().Services.AddScoped<SupportBundleService>();
        return services;
    }
}
