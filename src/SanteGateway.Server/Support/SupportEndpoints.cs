using System.Reflection;
using Microsoft.Extensions.Options;
using SanteGateway.Application;
using SanteGateway.Insi;
using SanteGateway.Server.Identities;
using SanteGateway.Server.Security;

namespace SanteGateway.Server.Support;

/// <summary>
/// <c>GET /api/insi/exchanges/{id}/support-bundle</c>: the zip a help desk asks for about one INSi exchange
/// (identity-vigilance and administrators only; identity data masked unless <c>includeIdentityData=true</c>).
/// </summary>
public static class SupportEndpoints
{
    /// <summary>Policy: identity vigilance or administration.</summary>
    public const string SupportPolicy = "support.bundle";

    /// <summary>
    /// Fills <see cref="SupportBundleOptions"/> from the INSi client settings and the configuration (<c>Insi:LpsName</c>,
    /// <c>Insi:AuthorisationNumber</c>, as <c>santegw support bundle</c> reads them) and adds the policy.
    /// </summary>
    /// <param name="services">Services.</param>
    /// <returns>The same services.</returns>
    public static IServiceCollection AddGatewaySupport(this IServiceCollection services)
    {
        services.AddOptions<SupportBundleOptions>().Configure<IServiceProvider>((o, sp) =>
        {
            o.SoftwareName = "santegw";
            o.SoftwareVersion = typeof(SupportEndpoints).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
            // The help desk asks for the authorisation number; the gateway itself never sends it, so only the configuration knows it.
            var section = sp.GetService<IConfiguration>()?.GetSection("Insi");
            o.AuthorisationNumber = NullIfBlank(section?["AuthorisationNumber"]);
            o.LpsName = NullIfBlank(section?["LpsName"]);
            if (sp.GetService<IOptions<InsiClientOptions>>()?.Value is not { } insi)
            {
                return;
            }

            // serve sends Insi:LpsName in the ContexteLPS; a host that configures the client alone states the client's name.
            o.LpsName ??= insi.SoftwareName;
            o.Idam = insi.Idam;
            o.Instance = insi.Instance;
            o.Endpoint = insi.Endpoint;
            o.Mode = insi.Endpoint.IsLoopback ? "sandbox" : "remote";
            if (insi.AutomaticCertificatePath is { Length: > 0 } auto)
            {
                o.Certificates.Add(new SupportCertificate("insi-auto", auto, insi.AutomaticCertificatePassword));
            }

            if (insi.ManualCertificatePath is { Length: > 0 } manual)
            {
                o.Certificates.Add(new SupportCertificate("insi-manu", manual, insi.ManualCertificatePassword));
            }
        });
        services.AddAuthorizationBuilder().AddPolicy(SupportPolicy, p => p.RequireRole(GatewayRoles.IdentityVigilance, GatewayRoles.Admin));
        return services;
    }

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    /// <summary>Maps the support endpoints.</summary>
    /// <param name="app">Routes.</param>
    /// <returns>The same routes.</returns>
    public static IEndpointRouteBuilder MapSupportEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/insi/exchanges/{id:guid}/support-bundle", async (Guid id, bool? includeIdentityData, SupportBundleService service, HttpContext http, CancellationToken ct) =>
            Http.Map(await service.BuildAsync(id, includeIdentityData ?? false, Actors.From(http.User), ct).ConfigureAwait(false), http, b => Results.File(b.Content, "application/zip", b.FileName)))
            .RequireAuthorization(SupportPolicy)
            .WithTags("Vigilance")
            .WithName("InsiExchangeSupportBundle")
            .WithSummary("Support bundle of an INSi exchange (zip: context, environment, request/response XML, timings, fault)")
            .WithDescription("For the national help desk (GIE SESAM-Vitale). Identity data (names, birth date and place, NIR/INS) is masked in the traces unless includeIdentityData=true. Never contains a private key. Every download is audited (who, which exchange, whether identity data was included).")
            .Produces(StatusCodes.Status200OK, contentType: "application/zip")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }
}
