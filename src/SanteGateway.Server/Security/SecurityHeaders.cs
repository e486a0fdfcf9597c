using System.Diagnostics;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace SanteGateway.Server.Security;

/// <summary>
/// Adds the response headers every answer carries (no sniffing, no framing, no referrer, strict CSP) and
/// <c>Cache-Control: no-store</c> on every API answer: identities, DataMatrix images and account data must not stay
/// in a browser or proxy cache.
/// </summary>
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
            if (context.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase)
                || context.Request.Path.StartsWithSegments("/fhir", StringComparison.OrdinalIgnoreCase))
            {
                context.Response.OnStarting(() =>
                {
                    // Set when the answer starts, so that endpoints or result writers cannot leave a cacheable answer.
                    context.Response.Headers.CacheControl = "no-store";
                    context.Response.Headers.Pragma = "no-cache";
                    return Task.CompletedTask;
                });
            }

            await next(context).ConfigureAwait(false);
        });

    /// <summary>
    /// Where HTTPS is configured, an API key presented over plain HTTP is refused with 400 (never redirected: the key
    /// has already crossed the network in clear, and a redirect would make clients send it twice). The operator should
    /// revoke it; the answer says so.
    /// </summary>
    public static IApplicationBuilder UseApiKeyTransportCheck(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            var options = context.RequestServices.GetRequiredService<IOptions<GatewayOptions>>().Value;
            if (options.RequireHttps && !context.Request.IsHttps && ApiKeys.IsPresented(context.Request))
            {
                var problem = new ProblemDetails
                {
                    Status = StatusCodes.Status400BadRequest,
                    Title = "API keys are accepted over HTTPS only. This key was sent in clear: revoke it and create a new one.",
                    Type = "https://santegw.local/problems/api-key.plain-http",
                };
                problem.Extensions["rule"] = "api-key.plain-http";
                await Results.Problem(problem).ExecuteAsync(context).ConfigureAwait(false);
                return;
            }

            await next(context).ConfigureAwait(false);
        });

    /// <summary>Every problem answer carries a correlation id that the logs carry too.</summary>
    public static void AddCorrelationId(ProblemDetailsContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.ProblemDetails.Extensions["correlationId"] = CorrelationId(context.HttpContext);
    }

    /// <summary>The request's correlation id (the W3C trace id when tracing, else the connection-level request id).</summary>
    public static string CorrelationId(HttpContext http) => Activity.Current?.TraceId.ToString() ?? http.TraceIdentifier;
}

/// <summary>
/// Unexpected failures: a bare 500 problem with a correlation id, never the exception's text (which may carry identity
/// data or internals). The log line at Error carries the exception type and the correlation id; the full exception is
/// logged at Debug only, where identity data is allowed.
/// </summary>
internal sealed partial class GatewayExceptionHandler(IProblemDetailsService problems, ILogger<GatewayExceptionHandler> log) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var correlation = SecurityHeaders.CorrelationId(httpContext);
        LogFailure(log, exception.GetType().FullName ?? "exception", correlation);
        LogDetail(log, correlation, exception);
        httpContext.Response.StatusCode = StatusCodes.Status500InternalServerError;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status500InternalServerError,
                Title = "Unexpected error; quote the correlation id to the administrator.",
                Type = "https://santegw.local/problems/internal",
            },
        }).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled {ExceptionType} (correlation {CorrelationId})")]
    private static partial void LogFailure(ILogger logger, string exceptionType, string correlationId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Unhandled exception detail (correlation {CorrelationId})")]
    private static partial void LogDetail(ILogger logger, string correlationId, Exception exception);
}
