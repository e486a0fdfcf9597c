using System.Reflection;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SanteGateway.Identity;
using SanteGateway.Interop.Fhir;
using SanteGateway.Server.Inbound;
using SanteGateway.Server.Security;

namespace SanteGateway.Server.Fhir;

/// <summary>
/// The FHIR R4 endpoint <c>/fhir</c>: <c>metadata</c>, <c>Patient/{id}</c> and <c>Patient?…</c> search, as FR Core Patient
/// (Patient INS for a qualified identity only), in <c>application/fhir+json</c> or <c>application/fhir+xml</c>; every error
/// is an OperationOutcome. Read-only: a Patient from a partner enters through the inbound gate, not here.
/// </summary>
public static partial class FhirEndpoints
{
    /// <summary>Binds <c>Fhir</c> and registers what the endpoint needs (OperationOutcome on 401/403 under <c>/fhir</c>).</summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The configuration root (section <c>Fhir</c>).</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddFhirEndpoint(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<FhirOptions>().Bind(configuration.GetSection(FhirOptions.Section));
        services.TryAddSingleton<AuthorizationMiddlewareResultHandler>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, FhirAuthorizationResultHandler>();
        return services;
    }

    /// <summary>Maps <c>/fhir/metadata</c>, <c>/fhir/Patient/{id}</c>, <c>/fhir/Patient</c> and an OperationOutcome for anything else under <c>/fhir</c>.</summary>
    /// <param name="app">The application.</param>
    public static void MapFhirEndpoints(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var g = app.MapGroup("/fhir").WithTags("FHIR").ExcludeFromDescription().AddEndpointFilter(CatchAll);

        g.MapGet("/metadata", (HttpContext http, IOptions<FhirOptions> options, TimeProvider clock) =>
            FhirHttp.Resource(FhirCapability.Build(FhirHttp.BaseUrl(http.Request), options.Value, clock.GetUtcNow())))
            .AllowAnonymous().WithName("FhirMetadata");

        g.MapGet("/Patient/{id}", ReadPatientAsync).RequireAuthorization(GatewayRoles.ReadPolicy).WithName("FhirPatientRead");
        g.MapGet("/Patient", SearchPatientsAsync).RequireAuthorization(GatewayRoles.ReadPolicy).WithName("FhirPatientSearch");

        // A partner's Patient is never written straight into the store: it enters through the inbound gate, which stores
        // it, then attaches, creates, holds for identity vigilance or rejects it (FHIR "create" done asynchronously).
        g.MapPost("/Patient", ReceivePatientAsync).RequireAuthorization(GatewayRoles.WritePolicy).WithName("FhirPatientReceive");

        // Everything else under /fhir: an OperationOutcome, never the REST API's problem details or an empty 404.
        g.Map("/{**rest}", (HttpContext http, string? rest) =>
        {
            var path = rest ?? string.Empty;
            var known = path is "metadata" or "Patient" || path.StartsWith("Patient/", StringComparison.Ordinal);
            return known
                ? FhirHttp.Outcome(http, StatusCodes.Status405MethodNotAllowed, OperationOutcome.IssueType.NotSupported,
                    $"{http.Request.Method} is not supported here: Patients are read and searched; a partner's Patient is POSTed to /fhir/Patient and enters through the inbound gate.", rule: "fhir.method")
                : FhirHttp.Outcome(http, StatusCodes.Status404NotFound, OperationOutcome.IssueType.NotSupported,
                    "Only metadata and Patient (read, search) are served.", rule: "fhir.not-supported");
        }).RequireAuthorization(GatewayRoles.ReadPolicy).WithName("FhirOther");
    }

    private static async Task<IResult> ReadPatientAsync(string id, HttpContext http, IdentityService identities, IOptions<FhirOptions> options, CancellationToken ct)
    {
        if (!Guid.TryParse(id, out var guid))
        {
            return FhirHttp.Outcome(http, StatusCodes.Status404NotFound, OperationOutcome.IssueType.NotFound, $"Patient/{Clip(id)} does not exist.", rule: "not-found");
        }

        var found = await identities.GetDomainAsync(guid, ct).ConfigureAwait(false);
        if (!found.IsSuccess)
        {
            return FhirHttp.Problem(http, found.Error);
        }

        var patient = FhirPatients.Write(found.Value.Domain, found.Value.View, options.Value);
        return FhirHttp.Resource(patient, etag: FhirHttp.ETag(found.Value.View.Version));
    }

    private static async Task<IResult> ReceivePatientAsync(HttpContext http, SanteGateway.Application.InboundService inbound, PartnerCertificates certificates, IOptions<SanteGateway.Application.InboundOptions> options, CancellationToken ct)
    {
        var mediaType = (http.Request.ContentType ?? "").Split(';')[0].Trim().ToLowerInvariant();
        var contentType = mediaType switch
        {
            FhirHttp.JsonMediaType or "application/json" or "application/json+fhir" => FhirHttp.JsonMediaType,
            FhirHttp.XmlMediaType or "application/xml" or "text/xml" or "application/xml+fhir" => FhirHttp.XmlMediaType,
            _ => null,
        };
        if (contentType is null)
        {
            return FhirHttp.Outcome(http, StatusCodes.Status415UnsupportedMediaType, OperationOutcome.IssueType.NotSupported,
                $"Send the Patient as {FhirHttp.JsonMediaType} or {FhirHttp.XmlMediaType}.", "Content-Type", "fhir.content-type");
        }

        // Who sends is settled before a byte is stored: X-Partner, checked against the client certificate under mutual TLS.
        var partner = certificates.Resolve(http);
        if (partner.Error is { } refused)
        {
            return FhirHttp.Problem(http, refused);
        }

        var max = options.Value.MaxBytes;
        var body = await BoundedBody.ReadAsync(http, max, ct).ConfigureAwait(false);
        if (body is null)
        {
            return FhirHttp.Outcome(http, StatusCodes.Status413PayloadTooLarge, OperationOutcome.IssueType.TooLong, BoundedBody.TooLargeMessage(max), BoundedBody.Field, BoundedBody.TooLargeRule);
        }

        var received = await inbound.ReceiveAsync(partner.Partner, contentType, body, "fhir", SanteGateway.Server.Identities.Actors.From(http.User), ct).ConfigureAwait(false);
        if (!received.IsSuccess)
        {
            return FhirHttp.Problem(http, received.Error);
        }

        var item = received.Value;
        http.Response.Headers.Location = $"/api/inbound/{item.Id}";
        var text = item.Decision switch
        {
            null => $"Stored as inbound item {item.Id}; the decision follows.",
            _ when item.IdentityId is { } identity => $"Stored as inbound item {item.Id}: {item.Decision} (Patient/{identity}).",
            _ => $"Stored as inbound item {item.Id}: {item.Decision}" + (item.Reason is { } reason ? $" — {reason.TrimEnd('.')}" : "") + ".",
        };
        var severity = item.Decision is SanteGateway.Application.InboundDecisions.Reject ? OperationOutcome.IssueSeverity.Error : OperationOutcome.IssueSeverity.Information;
        return FhirHttp.Outcome(http, StatusCodes.Status202Accepted,
            [FhirHttp.Issue(severity, OperationOutcome.IssueType.Informational, text, null, item.Rule ?? "inbound.received")]);
    }

    private static Task<IResult> SearchPatientsAsync(HttpContext http, IdentityService identities, IOptions<FhirOptions> options, CancellationToken ct) =>
        new FhirPatientSearch(http, identities, options.Value).RunAsync(ct);

    /// <summary>Unexpected failures under <c>/fhir</c> become a 500 OperationOutcome with the correlation id (no exception text).</summary>
    private static async ValueTask<object?> CatchAll(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var http = context.HttpContext;
            var log = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(FhirEndpoints));
            var message = e is StoredIdentityException s
                ? $"Stored identity {s.IdentityId} cannot be read ({string.Join(", ", s.Fields)}); an administrator must repair it."
                : "The server failed; the correlation id identifies the failure in the gateway's log.";
            LogFailure(log, e.GetType().Name, SecurityHeaders.CorrelationId(http), e);
            return FhirHttp.Outcome(http, StatusCodes.Status500InternalServerError, OperationOutcome.IssueType.Exception, message, rule: "internal");
        }
    }

    internal static string Clip(string s) => s.Length <= 64 ? s : s[..64] + "…";

    [LoggerMessage(Level = LogLevel.Error, Message = "FHIR request failed ({Error}), correlation id {CorrelationId}")]
    private static partial void LogFailure(ILogger logger, string error, string correlationId, Exception exception);

    /// <summary>Under <c>/fhir</c>, a refused authentication or authorisation answers with an OperationOutcome (FHIR clients expect one).</summary>
    private sealed class FhirAuthorizationResultHandler(AuthorizationMiddlewareResultHandler inner) : IAuthorizationMiddlewareResultHandler
    {
        public async System.Threading.Tasks.Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
        {
            await inner.HandleAsync(next, context, policy, authorizeResult).ConfigureAwait(false);
            if (!context.Request.Path.StartsWithSegments("/fhir", StringComparison.Ordinal) || context.Response.HasStarted
                || (!authorizeResult.Challenged && !authorizeResult.Forbidden))
            {
                return;
            }

            var status = context.Response.StatusCode is StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden
                ? context.Response.StatusCode
                : authorizeResult.Forbidden ? StatusCodes.Status403Forbidden : StatusCodes.Status401Unauthorized;
            if (status == StatusCodes.Status401Unauthorized)
            {
                // RFC 6750: FHIR clients read the challenge to know a bearer token is expected.
                context.Response.Headers.WWWAuthenticate = "Bearer realm=\"santegw\"";
            }

            var result = status == StatusCodes.Status401Unauthorized
                ? FhirHttp.Outcome(context, status, OperationOutcome.IssueType.Login, $"Authentication required: an API key in {ApiKeys.Header} or as Authorization: Bearer, or a signed-in session.", rule: "auth.required")
                : FhirHttp.Outcome(context, status, OperationOutcome.IssueType.Forbidden, "The authenticated account has no role that may read identities.", rule: "auth.forbidden");
            await result.ExecuteAsync(context).ConfigureAwait(false);
        }
    }
}

/// <summary>Identity → FR Core Patient for the endpoint.</summary>
internal static class FhirPatients
{
    /// <summary>The Patient: INS only when qualified (the writer's gate), local ids, <c>link</c> replaced-by for a merged identity, version and last change in <c>meta</c>.</summary>
    public static Patient Write(RnivIdentity domain, IdentityView view, FhirOptions options)
    {
        var id = view.Id.ToString();
        var locals = new List<LocalIdentifier>();
        if (options.LocalIdentifierSystem is { Length: > 0 } system)
        {
            locals.Add(new LocalIdentifier(system, id));
        }

        locals.AddRange(view.ExternalIds.Where(e => e.Kind == "PI").Select(e => new LocalIdentifier(e.Authority, e.Value)));
        var written = FrCorePatientWriter.Write(
            new FhirPatientSource(domain) { Id = id, LocalIdentifiers = locals, ReplacedById = view.MergedInto?.ToString() },
            options.PartnerProfile);
        var patient = written.Patient;
        patient.Meta ??= new Meta();
        patient.Meta.VersionId = view.Version.ToString(System.Globalization.CultureInfo.InvariantCulture);
        patient.Meta.LastUpdated = view.UpdatedAt;
        return patient;
    }
}

/// <summary>The CapabilityStatement of <c>/fhir/metadata</c>.</summary>
internal static class FhirCapability
{
    private static readonly string Version = typeof(FhirCapability).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0";

    public static CapabilityStatement Build(string baseUrl, FhirOptions options, DateTimeOffset now)
    {
        var patient = new CapabilityStatement.ResourceComponent
        {
            Type = "Patient",
            Profile = FrCore.PatientProfile,
            SupportedProfile = [FrCore.PatientInsProfile],
            Interaction =
            [
                new CapabilityStatement.ResourceInteractionComponent { Code = CapabilityStatement.TypeRestfulInteraction.Read },
                new CapabilityStatement.ResourceInteractionComponent { Code = CapabilityStatement.TypeRestfulInteraction.SearchType },
                new CapabilityStatement.ResourceInteractionComponent
                {
                    Code = CapabilityStatement.TypeRestfulInteraction.Create,
                    Documentation = "A partner's Patient (header X-Partner names its identification domain; under mutual TLS its client certificate does, and X-Partner may not name another) enters the inbound gate: 202 Accepted, " +
                        "Location = the inbound item (/api/inbound/{id}), an OperationOutcome with the decision (attach, create, hold for identity vigilance, reject).",
                },
            ],
            Versioning = CapabilityStatement.ResourceVersionPolicy.Versioned,
            ReadHistory = false,
            UpdateCreate = false,
            SearchParam =
            [
                Param("identifier", SearchParamType.Token, "INS (system urn:oid:1.2.250.1.213.1.4.8, .9, .10, .11 — matches qualified identities only)"
                    + (options.LocalIdentifierSystem is { } s ? $", the gateway's id (system {s})" : string.Empty) + " or an identifier of another domain (system|value)."),
                Param("family", SearchParamType.String, "Birth name (official name), accent- and case-insensitive, whole name."),
                Param("given", SearchParamType.String, "First birth first name, accent- and case-insensitive, whole name."),
                Param("birthdate", SearchParamType.Date, "Birth date YYYY-MM-DD (eq only)."),
                Param("gender", SearchParamType.Token, "male, female, unknown (other matches nothing)."),
                Param("_count", SearchParamType.Number, $"Page size, 0–100 (default {options.DefaultPageSize})."),
                Param("page", SearchParamType.Number, "Page number from 1."),
            ],
        };
        return new CapabilityStatement
        {
            Url = baseUrl + "/metadata",
            Name = "SanteGateway",
            Title = "SanteGateway FHIR endpoint",
            Status = PublicationStatus.Active,
            Date = now.ToString("yyyy-MM-ddTHH:mm:ssK", System.Globalization.CultureInfo.InvariantCulture),
            Publisher = "SanteGateway",
            Kind = CapabilityStatementKind.Instance,
            Software = new CapabilityStatement.SoftwareComponent { Name = "SanteGateway", Version = Version },
            Implementation = new CapabilityStatement.ImplementationComponent { Description = "SanteGateway identity gateway", Url = baseUrl },
            FhirVersion = FHIRVersion.N4_0_1,
            Format = ["json", "xml", FhirHttp.JsonMediaType, FhirHttp.XmlMediaType],
            ImplementationGuide = ["https://hl7.fr/ig/fhir/core/ImplementationGuide/hl7.fhir.fr.core"],
            Rest =
            [
                new CapabilityStatement.RestComponent
                {
                    Mode = CapabilityStatement.RestfulCapabilityMode.Server,
                    Documentation = "Read-only identities as FR Core Patient; the INS only for qualified identities.",
                    Security = new CapabilityStatement.SecurityComponent
                    {
                        Cors = false,
                        Description = $"An API key in the {ApiKeys.Header} header or as `Authorization: Bearer <key>` (or a signed-in session) with role front-desk, identity-vigilance or admin.",
                    },
                    Resource = [patient],
                },
            ],
        };
    }

    private static CapabilityStatement.SearchParamComponent Param(string name, SearchParamType type, string doc) =>
        new() { Name = name, Type = type, Documentation = doc };
}
