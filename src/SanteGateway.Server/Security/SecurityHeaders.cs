namespace SanteGateway.Server.Security;

/// <summary>Adds the response headers every answer carries (no sniffing, no framing, no referrer, strict CSP).</summary>
internal static class SecurityHeaders
{
    public static IApplicationBuilder UseGatewaySecurityHeaders(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            var h = context.Response.Headers;
            h.XContentTypeOptions = "nosniff";
            h.XFrameOptions = "DENY";
            h["Referrer-Policy"] = "no-referrer";
            h.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
            h["Cross-Origin-Opener-Policy"] = "same-origin";
            await next(context).ConfigureAwait(false);
        });
}
