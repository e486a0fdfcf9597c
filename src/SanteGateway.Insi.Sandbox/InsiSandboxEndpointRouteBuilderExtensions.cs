using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace SanteGateway.Insi.Sandbox;

/// <summary>Hosts the sandbox endpoint in another ASP.NET Core application (e.g. <c>santegw serve</c>).</summary>
public static class InsiSandboxEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps <c>POST {pattern}</c> to the sandbox. In <see cref="InsiSandboxAuthentication.MutualTls"/> mode the host's listener must
    /// request client certificates (<c>ClientCertificateMode.RequireCertificate</c> or <c>AllowCertificate</c>); the handler checks the
    /// chain against the sandbox CA and the CN itself.
    /// </summary>
    /// <returns>The endpoint convention builder (add authorization, rate limiting... as needed).</returns>
    public static IEndpointConventionBuilder MapInsiSandbox(this IEndpointRouteBuilder endpoints, InsiSandboxHandler handler,
        string pattern = "/lps", InsiSandboxAuthentication mode = InsiSandboxAuthentication.MutualTls)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(handler);
        return endpoints.MapPost(pattern, context => handler.HandleAsync(context, mode));
    }
}
