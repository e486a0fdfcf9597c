using System.Collections.Frozen;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using SanteGateway.Web.Components;

namespace SanteGateway.Web;

/// <summary>Registration and mapping of the staff web UI.</summary>
public static class WebUi
{
    /// <summary>Path of the sign-in page, where the host sends UI requests without a valid session.</summary>
    public const string SignInPath = "/connexion";

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    private static readonly Lazy<FrozenDictionary<string, Asset>> Assets = new(Load);

    /// <summary>Registers the Razor components (static server rendering only).</summary>
    /// <param name="services">Services.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddSanteGatewayWeb(this IServiceCollection services)
    {
        services.AddRazorComponents();
        services.AddCascadingAuthenticationState();
        services.AddHttpContextAccessor();
        return services;
    }

    /// <summary>Maps the pages, the sign-out endpoint and the embedded assets under <c>/ui/</c>.</summary>
    /// <param name="app">Endpoints.</param>
    /// <returns>The endpoints.</returns>
    public static IEndpointRouteBuilder MapSanteGatewayWeb(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/ui/{name}", (string name, HttpContext http) => Serve(http, name)).AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/favicon.ico", (HttpContext http) => Serve(http, "favicon.svg")).AllowAnonymous().ExcludeFromDescription();

        // Sign-out is a form post with the antiforgery token (a link would let any page sign the user out).
        app.MapPost("/deconnexion", async (HttpContext http, IStaffAccounts accounts, IAntiforgery antiforgery) =>
        {
            // Checked here: the antiforgery middleware only validates endpoints that bind a form.
            try
            {
                await antiforgery.ValidateRequestAsync(http).ConfigureAwait(false);
            }
            catch (AntiforgeryValidationException)
            {
                return Results.BadRequest();
            }

            await accounts.SignOutAsync(http.RequestAborted).ConfigureAwait(false);
            return Results.Redirect(SignInPath + "?deconnecte=1");
        }).AllowAnonymous().ExcludeFromDescription();

        // The report of a batch job: a file, so an endpoint beside the pages (same roles as the jobs page).
        app.MapGet("/traitements/{id:guid}/rapport.csv", async (Guid id, SanteGateway.Application.Batch.BatchService batch, HttpContext http) =>
        {
            var found = await batch.GetAsync(id, http.RequestAborted).ConfigureAwait(false);
            if (!found.IsSuccess)
            {
                return Results.NotFound();
            }

            http.Response.ContentType = "text/csv; charset=utf-8";
            http.Response.Headers.ContentDisposition = $"attachment; filename=\"traitement-{id:N}.csv\"";
            var w = new StreamWriter(http.Response.Body, new System.Text.UTF8Encoding(false), 64 * 1024, leaveOpen: true);
            await using (w.ConfigureAwait(false))
            {
                // The application's report plus a French "motif" column for refused rows (its own messages stay English).
                await batch.WriteReportAsync(id, new FrenchReportWriter(w), http.RequestAborted).ConfigureAwait(false);
                await w.FlushAsync(http.RequestAborted).ConfigureAwait(false);
            }

            return Results.Empty;
        }).RequireAuthorization(p => p.RequireRole(StaffRoles.IdentityVigilance, StaffRoles.Admin)).ExcludeFromDescription();

        // The support bundle of an INSi exchange (the REST API's application code; identity data only when ticked).
        // SupportBundleService audits each download with the signed-in user.
        app.MapGet("/identites/echanges/{id:guid}/dossier-support", async (Guid id, bool? includeIdentityData, SupportBundleService bundles, HttpContext http) =>
        {
            var built = await bundles.BuildAsync(id, includeIdentityData == true, new StaffUser(http.User).Actor, http.RequestAborted).ConfigureAwait(false);
            return built.IsSuccess ? Results.File(built.Value.Content, "application/zip", built.Value.FileName) : Results.NotFound();
        }).RequireAuthorization(p => p.RequireRole(StaffRoles.IdentityVigilance, StaffRoles.Admin)).ExcludeFromDescription();

        app.MapRazorComponents<App>();
        return app;
    }

    private static IResult Serve(HttpContext http, string name)
    {
        if (!Assets.Value.TryGetValue(name, out var asset))
        {
            return Results.NotFound();
        }

        var headers = http.Response.Headers;
        headers.CacheControl = "no-cache";
        headers.ETag = asset.ETag;
        if (http.Request.Headers.IfNoneMatch.ToString().Contains(asset.ETag, StringComparison.Ordinal))
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }

        return Results.Bytes(asset.Content, asset.ContentType);
    }

    private static FrozenDictionary<string, Asset> Load()
    {
        var assembly = typeof(WebUi).Assembly;
        var result = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith("webui/", StringComparison.Ordinal)))
        {
            var name = resource["webui/".Length..];
            if (!ContentTypes.TryGetValue(Path.GetExtension(name), out var type))
            {
                continue;
            }

            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var bytes = buffer.ToArray();
            result[name] = new Asset(bytes, type, "\"" + Convert.ToHexStringLower(SHA256.HashData(bytes).AsSpan(0, 12)) + "\"");
        }

        return result.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private sealed record Asset(byte[] Content, string ContentType, string ETag);
}
