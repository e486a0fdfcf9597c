using System.Globalization;
using Hl7.Fhir.Model;
using Microsoft.Net.Http.Headers;
using SanteGateway.Interop.Fhir;
using SanteGateway.Server.Security;

namespace SanteGateway.Server.Fhir;

/// <summary>The two FHIR wire formats the endpoint speaks.</summary>
internal enum FhirWireFormat
{
    /// <summary><c>application/fhir+json</c>.</summary>
    Json,

    /// <summary><c>application/fhir+xml</c>.</summary>
    Xml,
}

/// <summary>Content negotiation (<c>_format</c>, then <c>Accept</c>) and the resource / OperationOutcome answers.</summary>
internal static class FhirHttp
{
    public const string JsonMediaType = "application/fhir+json";
    public const string XmlMediaType = "application/fhir+xml";

    /// <summary>
    /// The format the client asked for: <c>_format</c> wins over <c>Accept</c> (FHIR R4 §3.1.0.1.9); no preference or a wildcard
    /// gives JSON. Null when the client accepts neither JSON nor XML (the caller answers 406).
    /// </summary>
    public static FhirWireFormat? Negotiate(HttpRequest request)
    {
        if (request.Query.TryGetValue("_format", out var formats) && formats.Count > 0 && !string.IsNullOrWhiteSpace(formats[0]))
        {
            // An unencoded '+' arrives as a space: "application/fhir json".
            var f = formats[0]!.Trim().Replace(' ', '+').ToLowerInvariant();
            var semicolon = f.IndexOf(';', StringComparison.Ordinal);
            if (semicolon >= 0)
            {
                f = f[..semicolon].Trim();
            }

            return f switch
            {
                "json" or "application/json" or JsonMediaType or "application/json+fhir" => FhirWireFormat.Json,
                "xml" or "text/xml" or "application/xml" or XmlMediaType or "application/xml+fhir" => FhirWireFormat.Xml,
                _ => null,
            };
        }

        var accept = request.Headers.Accept;
        if (accept.Count == 0 || !MediaTypeHeaderValue.TryParseList(accept, out var types) || types.Count == 0)
        {
            return FhirWireFormat.Json;
        }

        foreach (var t in types.Where(t => t.Quality is not 0).OrderByDescending(t => t.Quality ?? 1))
        {
            var media = t.MediaType.Value?.ToLowerInvariant();
            switch (media)
            {
                case JsonMediaType or "application/json" or "application/json+fhir" or "*/*" or "application/*":
                    return FhirWireFormat.Json;
                case XmlMediaType or "application/xml" or "text/xml" or "application/xml+fhir":
                    return FhirWireFormat.Xml;
            }
        }

        return null;
    }

    /// <summary><c>_pretty=true</c>.</summary>
    public static bool Pretty(HttpRequest request) =>
        request.Query.TryGetValue("_pretty", out var v) && string.Equals(v.ToString(), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>A resource in the negotiated format (406 OperationOutcome when there is none).</summary>
    public static IResult Resource(Resource resource, int status = StatusCodes.Status200OK, string? etag = null) =>
        new FhirResourceResult(resource, status, etag);

    /// <summary>An OperationOutcome with one issue; the HTTP status goes with it.</summary>
    public static IResult Outcome(HttpContext http, int status, OperationOutcome.IssueType code, string diagnostics, string? expression = null, string? rule = null) =>
        new FhirResourceResult(OutcomeOf(http, OperationOutcome.IssueSeverity.Error, code, diagnostics, expression, rule), status, null);

    /// <summary>An OperationOutcome with the given issues and the correlation id.</summary>
    public static IResult Outcome(HttpContext http, int status, IEnumerable<OperationOutcome.IssueComponent> issues)
    {
        var outcome = new OperationOutcome { Issue = [.. issues] };
        AddCorrelation(http, outcome);
        return new FhirResourceResult(outcome, status, null);
    }

    /// <summary>The OperationOutcome of an application error: field errors become one issue each, named by the search parameter.</summary>
    public static IResult Problem(HttpContext http, AppError error, Func<string, string>? fieldToParameter = null)
    {
        var status = SanteGateway.Server.Identities.Http.Status(error.Kind);
        var code = error.Kind switch
        {
            ErrorKind.Invalid => OperationOutcome.IssueType.Invalid,
            ErrorKind.NotFound => OperationOutcome.IssueType.NotFound,
            ErrorKind.Conflict => OperationOutcome.IssueType.Conflict,
            ErrorKind.Forbidden => OperationOutcome.IssueType.Forbidden,
            _ => OperationOutcome.IssueType.Exception,
        };
        var outcome = new OperationOutcome();
        if (error.Fields is { Count: > 0 } fields)
        {
            foreach (var (field, messages) in fields)
            {
                foreach (var message in messages)
                {
                    outcome.Issue.Add(Issue(OperationOutcome.IssueSeverity.Error, code, message, fieldToParameter?.Invoke(field) ?? field, error.Rule));
                }
            }
        }
        else
        {
            outcome.Issue.Add(Issue(OperationOutcome.IssueSeverity.Error, code, error.Message, null, error.Rule));
        }

        AddCorrelation(http, outcome);
        return new FhirResourceResult(outcome, status, null);
    }

    /// <summary>An OperationOutcome with one issue and the correlation id.</summary>
    public static OperationOutcome OutcomeOf(HttpContext http, OperationOutcome.IssueSeverity severity, OperationOutcome.IssueType code, string diagnostics, string? expression = null, string? rule = null)
    {
        var outcome = new OperationOutcome { Issue = [Issue(severity, code, diagnostics, expression, rule)] };
        AddCorrelation(http, outcome);
        return outcome;
    }

    public static OperationOutcome.IssueComponent Issue(OperationOutcome.IssueSeverity severity, OperationOutcome.IssueType code, string diagnostics, string? expression, string? rule)
    {
        var issue = new OperationOutcome.IssueComponent { Severity = severity, Code = code, Diagnostics = diagnostics };
        if (rule is not null)
        {
            // The gateway's rule name, as in the REST API's problem details.
            issue.Details = new CodeableConcept("https://santegw.local/problems", rule);
        }

        if (expression is not null)
        {
            issue.Expression = [expression];
        }

        return issue;
    }

    private static void AddCorrelation(HttpContext http, OperationOutcome outcome) =>
        outcome.Issue.Add(new OperationOutcome.IssueComponent
        {
            Severity = OperationOutcome.IssueSeverity.Information,
            Code = OperationOutcome.IssueType.Informational,
            Diagnostics = "correlationId: " + SecurityHeaders.CorrelationId(http),
        });

    /// <summary>The endpoint's base URL as the client reached it (<c>https://host/fhir</c>).</summary>
    public static string BaseUrl(HttpRequest request) => $"{request.Scheme}://{request.Host}{request.PathBase}/fhir";

    /// <summary>Writes the resource in the negotiated format; a client accepting neither format gets a JSON OperationOutcome 406.</summary>
    private sealed class FhirResourceResult(Resource resource, int status, string? etag) : IResult
    {
        public async System.Threading.Tasks.Task ExecuteAsync(HttpContext httpContext)
        {
            var format = Negotiate(httpContext.Request);
            var body = resource;
            var code = status;
            if (format is null)
            {
                code = StatusCodes.Status406NotAcceptable;
                body = OutcomeOf(httpContext, OperationOutcome.IssueSeverity.Error, OperationOutcome.IssueType.NotSupported,
                    "Only application/fhir+json and application/fhir+xml are served (Accept or _format).", "_format", "fhir.format");
                format = FhirWireFormat.Json;
            }

            var pretty = Pretty(httpContext.Request);
            var text = format == FhirWireFormat.Xml ? FhirFormats.ToXml(body, pretty) : FhirFormats.ToJson(body, pretty);
            httpContext.Response.StatusCode = code;
            httpContext.Response.ContentType = (format == FhirWireFormat.Xml ? XmlMediaType : JsonMediaType) + "; charset=utf-8";
            if (etag is not null && code < 300)
            {
                httpContext.Response.Headers.ETag = etag;
            }

            await httpContext.Response.WriteAsync(text, httpContext.RequestAborted).ConfigureAwait(false);
        }
    }

    /// <summary>The version as a weak ETag, as FHIR servers write it (<c>W/"3"</c>).</summary>
    public static string ETag(long version) => "W/\"" + version.ToString(CultureInfo.InvariantCulture) + "\"";
}
