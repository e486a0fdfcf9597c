using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace SanteGateway.Insi;

/// <summary>Registration of the INSi client in a service collection.</summary>
public static class InsiServiceCollectionExtensions
{
    /// <summary>
    /// Registers one <see cref="InsiClient"/> (singleton) as <see cref="IInsiClient"/> and <see cref="IInsVerifier"/>.
    /// An <see cref="IInsiTraceSink"/> and an <see cref="IPsAssertionProvider"/> registered in the container are used when present.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Fills the options (endpoint, IDAM, instance, certificates, CAs, resilience).</param>
    public static IServiceCollection AddInsiClient(this IServiceCollection services, Action<InsiClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.Configure(configure);
        services.TryAddSingleton(sp => new InsiClient(
            sp.GetRequiredService<IOptions<InsiClientOptions>>().Value,
            HttpInsiTransport.FromOptions(sp.GetRequiredService<IOptions<InsiClientOptions>>().Value),
            sp.GetService<IPsAssertionProvider>(),
            sp.GetService<IInsiTraceSink>(),
            sp.GetService<ILogger<InsiClient>>(),
            sp.GetService<TimeProvider>(),
            ownsTransport: true));
        services.TryAddSingleton<IInsiClient>(sp => sp.GetRequiredService<InsiClient>());
        services.TryAddSingleton<IInsVerifier>(sp => sp.GetRequiredService<InsiClient>());
        return services;
    }
}
