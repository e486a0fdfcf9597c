using System.Collections.Frozen;
using System.Reflection;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using SanteGateway.Server.Security;

namespace SanteGateway.Server.WebUi;

/// <summary>
/// Serves the staff web UI (plain HTML, ES modules, one stylesheet) from resources embedded in this assembly, so it
/// works the same from <c>santegw serve</c>, a published binary or an in-test server, with no content root and no
/// front-end build step. <c>/</c> is the page; assets live under <c>/ui/</c>; navigation is hash-based, so no
/// server-side fallback route is needed.
/// </summary>
internal static class WebUiEndpoints
{
    private const string Prefix = "webui/";

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
        [".ico"] = "image/x-icon",
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    /// <summary>Embedded files by path relative to the <c>WebUi</c> folder, loaded once.</summary>
    private static readonly Lazy<FrozenDictionary<string, Asset>> Assets = new(Load);

    public static void MapWebUi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", (HttpContext http) => Serve(http, "index.html")).AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/ui/{**path}", (string path, HttpContext http) => Serve(http, path)).AllowAnonymous().ExcludeFromDescription();

        // What the UI needs to know about this installation: the configured high-trust documents and optional features.
        app.MapGet("/api/ui/settings", (IOptions<GatewayOptions> options, EndpointDataSource endpoints) => Results.Ok(new UiSettings(
                [.. options.Value.HighTrustDocuments],
                endpoints.Endpoints.OfType<RouteEndpoint>().Any(e => e.RoutePattern.RawText?.Contains("datamatrix", StringComparison.OrdinalIgnoreCase) == true))))
            .RequireAuthorization(GatewayRoles.ReadPolicy).WithTags("Web UI").WithName("UiSettings").Produces<UiSettings>();
    }

    private static IResult Serve(HttpContext http, string path)
    {
        if (!Assets.Value.TryGetValue(path, out var asset))
        {
            return Results.NotFound();
        }

        // Always revalidate (cheap 304) so a new gateway version is picked up without a stale cached module.
        var headers = http.Response.Headers;
        headers.CacheControl = "no-cache";
        headers.ETag = asset.ETag;
        var ifNoneMatch = http.Request.Headers.IfNoneMatch.ToString();
        if (ifNoneMatch.Length > 0 && ifNoneMatch.Contains(asset.ETag, StringComparison.Ordinal))
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }

        return Results.Bytes(asset.Content, asset.ContentType);
    }

    private static FrozenDictionary<string, Asset> Load()
    {
        var assembly = typeof(WebUiEndpoints).Assembly;
        var result = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            var relative = name[Prefix.Length..].Replace('\\', '/');
            if (!ContentTypes.TryGetValue(Path.GetExtension(relative), out var type))
            {
                continue;
            }

            result[relative] = Read(assembly, name, type);
        }

        return result.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static Asset Read(Assembly assembly, string name, string contentType)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        var bytes = buffer.ToArray();
        var etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(bytes).AsSpan(0, 12)) + "\"";
        return new Asset(bytes, contentType, etag);
    }

    private sealed record Asset(byte[] Content, string ContentType, string ETag);
}

/// <summary>Installation settings the web UI reads after sign-in.</summary>
/// <param name="HighTrustDocuments">Document codes accepted as high-trust identification devices here.</param>
/// <param name="DataMatrix">True when the gateway serves <c>/api/identities/{id}/datamatrix.svg</c>.</param>
internal sealed record UiSettings(IReadOnlyList<string> HighTrustDocuments, bool DataMatrix);
