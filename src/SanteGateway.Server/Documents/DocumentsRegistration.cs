using Microsoft.Extensions.DependencyInjection.Extensions;
using SanteGateway.Application;
using SanteGateway.Documents.Xds;

namespace SanteGateway.Server.Documents;

/// <summary>Registers the document-sharing transports as the application's <see cref="IDocumentSharingPort"/>s.</summary>
public static class DocumentsRegistration
{
    /// <summary>Registers the XDS.b transport over a client built from <paramref name="options"/> (PKCS#12 and CAs loaded now).</summary>
    /// <param name="services">Services.</param>
    /// <param name="options">XDS client settings (from configuration, or from the sandbox <c>serve</c> started).</param>
    /// <returns>The same services.</returns>
    public static IServiceCollection AddGatewayXds(this IServiceCollection services, XdsClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var client = XdsClient.FromOptions(options);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<IDocumentSharingPort>(sp => SanteGateway.Server.Certificates.EstablishmentTransports.Xds(sp, client, options));
        AddDocumentOutbox(services);
        return services;
    }

    /// <summary>Registers the PDSm transport over a client built from <paramref name="options"/> (PKCS#12 and CAs loaded now).</summary>
    /// <param name="services">Services.</param>
    /// <param name="options">PDSm client settings.</param>
    /// <returns>The same services.</returns>
    public static IServiceCollection AddGatewayPdsm(this IServiceCollection services, SanteGateway.Documents.Fhir.PdsmClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var client = SanteGateway.Documents.Fhir.PdsmClient.FromOptions(options);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<IDocumentSharingPort>(sp => SanteGateway.Server.Certificates.EstablishmentTransports.Pdsm(sp, client, options));
        AddDocumentOutbox(services);
        return services;
    }

    /// <summary>Registers the document outbox worker once (it retries transient failures of every transport).</summary>
    /// <param name="services">Services.</param>
    /// <returns>The same services.</returns>
    public static IServiceCollection AddDocumentOutbox(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, DocumentOutboxWorker>());
        return services;
    }
}
