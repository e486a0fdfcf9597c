using System.Net;
using Hl7.Fhir.Model;

namespace SanteGateway.Ror;

/// <summary>Any failure of a ROR call.</summary>
public class RorException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RorException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong.</param>
    public RorException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="inner">The cause.</param>
    public RorException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>The token endpoint refused the client (wrong client_id, secret or certificate) or answered something unreadable.</summary>
public sealed class RorAuthenticationException : RorException
{
    /// <summary>Creates the exception.</summary>
    public RorAuthenticationException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong.</param>
    public RorAuthenticationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="inner">The cause.</param>
    public RorAuthenticationException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>Creates the exception from the OAuth2 error answer.</summary>
    /// <param name="status">HTTP status.</param>
    /// <param name="error">OAuth2 <c>error</c> code.</param>
    /// <param name="description">OAuth2 <c>error_description</c>.</param>
    public RorAuthenticationException(HttpStatusCode status, string? error, string? description)
        : base($"ROR token endpoint refused the client: HTTP {(int)status} {error} {description}".TrimEnd())
    {
        StatusCode = status;
        Error = error;
        Description = description;
    }

    /// <summary>HTTP status of the token endpoint.</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>OAuth2 <c>error</c> (e.g. <c>invalid_client</c>).</summary>
    public string? Error { get; }

    /// <summary>OAuth2 <c>error_description</c>.</summary>
    public string? Description { get; }
}

/// <summary>No answer: connection, TLS (server certificate refused) or timeout.</summary>
public sealed class RorTransportException : RorException
{
    /// <summary>Creates the exception.</summary>
    public RorTransportException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong.</param>
    public RorTransportException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="inner">The cause.</param>
    public RorTransportException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>What an HTTP error of the ROR means for the caller.</summary>
public enum RorErrorKind
{
    /// <summary>400: bad parameter or rejected content.</summary>
    BadRequest,

    /// <summary>401: token missing, invalid or expired.</summary>
    Unauthorized,

    /// <summary>403: the access profile or the write rights do not allow it (or a missing <c>Ror-*</c> header).</summary>
    Forbidden,

    /// <summary>404: unknown resource.</summary>
    NotFound,

    /// <summary>409/412: conflict or several matches for a conditional request.</summary>
    Conflict,

    /// <summary>410: gone (e.g. an expired paging link or export job).</summary>
    Gone,

    /// <summary>422: unprocessable content.</summary>
    Unprocessable,

    /// <summary>429: too many requests.</summary>
    Throttled,

    /// <summary>5xx.</summary>
    Server,

    /// <summary>Another status.</summary>
    Other,
}

/// <summary>An HTTP error answer of the ROR, with its OperationOutcome when the body carried one.</summary>
public sealed class RorRequestException : RorException
{
    /// <summary>Creates the exception.</summary>
    public RorRequestException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong.</param>
    public RorRequestException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="inner">The cause.</param>
    public RorRequestException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="method">HTTP method.</param>
    /// <param name="path">Path of the request (no query: it may carry search criteria).</param>
    /// <param name="status">HTTP status.</param>
    /// <param name="outcome">The OperationOutcome, or null.</param>
    public RorRequestException(string method, string path, HttpStatusCode status, OperationOutcome? outcome)
        : base(Describe(method, path, status, outcome))
    {
        Method = method;
        Path = path;
        StatusCode = status;
        Outcome = outcome;
        Kind = (int)status switch
        {
            400 => RorErrorKind.BadRequest,
            401 => RorErrorKind.Unauthorized,
            403 => RorErrorKind.Forbidden,
            404 => RorErrorKind.NotFound,
            409 or 412 => RorErrorKind.Conflict,
            410 => RorErrorKind.Gone,
            422 => RorErrorKind.Unprocessable,
            429 => RorErrorKind.Throttled,
            >= 500 => RorErrorKind.Server,
            _ => RorErrorKind.Other,
        };
    }

    /// <summary>HTTP method.</summary>
    public string? Method { get; }

    /// <summary>Request path.</summary>
    public string? Path { get; }

    /// <summary>HTTP status.</summary>
    public HttpStatusCode StatusCode { get; }

    /// <summary>What the status means.</summary>
    public RorErrorKind Kind { get; }

    /// <summary>The OperationOutcome of the answer, when there was one.</summary>
    public OperationOutcome? Outcome { get; }

    /// <summary>The first issue's code (<c>not-found</c>, <c>multiple-matches</c>, <c>business-rule</c>…).</summary>
    public string? IssueCode => Outcome?.Issue.FirstOrDefault()?.Code is { } code ? Hl7.Fhir.Utility.EnumUtility.GetLiteral(code) : null;

    /// <summary>The first issue's expressions.</summary>
    public IReadOnlyList<string> IssueExpressions => Outcome?.Issue.FirstOrDefault()?.Expression?.OfType<string>().ToArray() ?? [];

    private static string Describe(string method, string path, HttpStatusCode status, OperationOutcome? outcome)
    {
        var issue = outcome?.Issue.FirstOrDefault();
        var detail = issue is null ? string.Empty : $": {(issue.Code is { } c ? Hl7.Fhir.Utility.EnumUtility.GetLiteral(c) : "?")} {issue.Diagnostics ?? issue.Details?.Text}";
        return $"ROR {method} {path} failed with HTTP {(int)status}{detail}".TrimEnd();
    }
}
