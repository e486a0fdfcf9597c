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
        services.AddSingleton<IDocumentSharingPort>(sp => new XdsDocumentPort(client, sp.GetRequiredService<ILogger<XdsDocumentPort>>()));
        return services;
    }
}
