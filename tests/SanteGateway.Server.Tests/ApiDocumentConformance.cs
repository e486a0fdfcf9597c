using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace SanteGateway.Server.Tests;

/// <summary>
/// Holds every answer of the gateway to what its OpenAPI document says: the status code must be one the operation
/// documents, the media type one that status documents, and a JSON body must match the documented schema (types,
/// required properties, enums, formats). Every client the tests use goes through it, so each test of the REST API
/// also checks the document against the running behaviour.
/// </summary>
internal sealed partial class ApiDocumentConformance
{
    private readonly JsonElement document;
    private readonly List<(string Method, Regex Path, string Template, JsonElement Operation)> operations = [];

    public ApiDocumentConformance(JsonElement document)
    {
        this.document = document;
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            var pattern = "^" + TemplateParameter().Replace(Regex.Escape(path.Name).Replace("\\{", "{", StringComparison.Ordinal), "[^/]+") + "$";
            foreach (var operation in path.Value.EnumerateObject())
            {
                if (operation.Name is "get" or "post" or "put" or "patch" or "delete")
                {
                    operations.Add((operation.Name.ToUpperInvariant(), new Regex(pattern, RegexOptions.CultureInvariant), path.Name, operation.Value));
                }
            }
        }
    }

    /// <summary>The documented operations: method, path template and operation id.</summary>
    public IEnumerable<(string Method, string Template, string OperationId)> Operations =>
        operations.Select(o => (o.Method, o.Template, o.Operation.TryGetProperty("operationId", out var id) ? id.GetString() ?? "" : ""));

    /// <summary>The violations of the document by one answer; empty when the answer is documented.</summary>
    public IReadOnlyList<string> Check(string method, string path, HttpStatusCode status, string? mediaType, string body)
    {
        var errors = new List<string>();
        var candidates = operations.Where(o => o.Path.IsMatch(path)).ToList();
        var match = candidates.Where(o => o.Method == method)
            // A literal segment beats a parameter: /api/x/summary before /api/x/{id}.
            .OrderBy(o => o.Template.Count(c => c == '{')).FirstOrDefault();
        if (match.Template is null)
        {
            // Routing answers 404/405 for what does not exist; anything else under /api is an undocumented operation.
            if (path.StartsWith("/api/", StringComparison.Ordinal) && status is not (HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed))
            {
                errors.Add($"{method} {path} answered {(int)status} but the document has no such operation");
            }

            return errors;
        }

        var where = $"{method} {match.Template} ({Id(match.Operation)}) answered {(int)status}";
        if (!match.Operation.TryGetProperty("responses", out var responses))
        {
            errors.Add($"{where}: the operation documents no response");
            return errors;
        }

        var code = ((int)status).ToString(CultureInfo.InvariantCulture);
        if (!responses.TryGetProperty(code, out var response) && !responses.TryGetProperty(code[0] + "XX", out response) && !responses.TryGetProperty("default", out response))
        {
            errors.Add($"{where}, which the operation does not document (documented: {string.Join(", ", responses.EnumerateObject().Select(p => p.Name))})");
            return errors;
        }

        response = Resolve(response);
        if (string.IsNullOrEmpty(body) || mediaType is null)
        {
            return errors;
        }

        if (!response.TryGetProperty("content", out var content))
        {
            errors.Add($"{where} with a {mediaType} body, but the document says this answer has no body");
            return errors;
        }

        var media = content.EnumerateObject().FirstOrDefault(m => string.Equals(m.Name, mediaType, StringComparison.OrdinalIgnoreCase));
        if (media.Name is null)
        {
            errors.Add($"{where} as {mediaType}, but the document lists {string.Join(", ", content.EnumerateObject().Select(m => m.Name))}");
            return errors;
        }

        if (mediaType.EndsWith("json", StringComparison.OrdinalIgnoreCase) && media.Value.TryGetProperty("schema", out var schema))
        {
            JsonElement value;
            try
            {
                value = JsonDocument.Parse(body).RootElement;
            }
            catch (JsonException e)
            {
                errors.Add($"{where}: the body is not JSON ({e.Message})");
                return errors;
            }

            Validate(schema, value, "$", errors, where, depth: 0);
        }

        return errors;
    }

    /// <summary>The request examples of the document, each with the violations of its own schema.</summary>
    public IEnumerable<(string OperationId, JsonElement Example, IReadOnlyList<string> Errors)> RequestExamples()
    {
        foreach (var (_, _, _, operation) in operations)
        {
            if (operation.TryGetProperty("requestBody", out var body) && Resolve(body).TryGetProperty("content", out var content)
                && content.TryGetProperty("application/json", out var json) && json.TryGetProperty("example", out var example))
            {
                var errors = new List<string>();
                Validate(json.GetProperty("schema"), example, "$", errors, Id(operation) + " example", depth: 0);
                yield return (Id(operation), example, errors);
            }
        }
    }

    private static string Id(JsonElement operation) => operation.TryGetProperty("operationId", out var id) ? id.GetString() ?? "?" : "?";

    private JsonElement Resolve(JsonElement element)
    {
        for (var i = 0; i < 16 && element.ValueKind == JsonValueKind.Object && element.TryGetProperty("$ref", out var reference); i++)
        {
            element = document;
            foreach (var part in reference.GetString()!.TrimStart('#').Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                element = element.GetProperty(part.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal));
            }
        }

        return element;
    }

    private void Validate(JsonElement schema, JsonElement value, string at, List<string> errors, string where, int depth)
    {
        if (depth > 32)
        {
            return;
        }

        schema = Resolve(schema);
        if (schema.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        if (schema.TryGetProperty("allOf", out var allOf))
        {
            foreach (var part in allOf.EnumerateArray())
            {
                Validate(part, value, at, errors, where, depth + 1);
            }
        }

        foreach (var keyword in new[] { "anyOf", "oneOf" })
        {
            if (schema.TryGetProperty(keyword, out var alternatives))
            {
                var fits = alternatives.EnumerateArray().Any(part =>
                {
                    var trial = new List<string>();
                    Validate(part, value, at, trial, where, depth + 1);
                    return trial.Count == 0;
                });
                if (!fits)
                {
                    errors.Add($"{where}: {at} = {Short(value)} matches none of the documented {keyword} alternatives");
                }
            }
        }

        if (schema.TryGetProperty("type", out var type))
        {
            var allowed = type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()!).ToList() : [type.GetString()!];
            if (!allowed.Any(t => Fits(t, value)))
            {
                errors.Add($"{where}: {at} = {Short(value)} is not of the documented type {string.Join('|', allowed)}");
                return;
            }
        }

        if (schema.TryGetProperty("enum", out var values) && value.ValueKind != JsonValueKind.Null
            && !values.EnumerateArray().Any(v => JsonElement.DeepEquals(v, value)))
        {
            errors.Add($"{where}: {at} = {Short(value)} is not one of the documented values {values}");
        }

        if (value.ValueKind == JsonValueKind.String && schema.TryGetProperty("format", out var format) && !FitsFormat(format.GetString(), value.GetString()!))
        {
            errors.Add($"{where}: {at} = {Short(value)} does not have the documented format {format.GetString()}");
        }

        if (value.ValueKind == JsonValueKind.Object)
        {
            var properties = schema.TryGetProperty("properties", out var p) ? p : default;
            if (schema.TryGetProperty("required", out var required))
            {
                foreach (var name in required.EnumerateArray().Select(r => r.GetString()!))
                {
                    if (!value.TryGetProperty(name, out _))
                    {
                        errors.Add($"{where}: {at}.{name} is documented as required but missing");
                    }
                }
            }

            if (properties.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in value.EnumerateObject())
                {
                    if (properties.TryGetProperty(property.Name, out var propertySchema))
                    {
                        Validate(propertySchema, property.Value, $"{at}.{property.Name}", errors, where, depth + 1);
                    }
                    else if (schema.TryGetProperty("additionalProperties", out var additional) && additional.ValueKind == JsonValueKind.False)
                    {
                        errors.Add($"{where}: {at}.{property.Name} is not documented");
                    }
                }
            }
        }

        if (value.ValueKind == JsonValueKind.Array && schema.TryGetProperty("items", out var items))
        {
            var i = 0;
            foreach (var item in value.EnumerateArray())
            {
                Validate(items, item, $"{at}[{i++}]", errors, where, depth + 1);
                if (errors.Count > 20)
                {
                    return;
                }
            }
        }
    }

    private static bool Fits(string type, JsonElement value) => type switch
    {
        "null" => value.ValueKind == JsonValueKind.Null,
        "string" => value.ValueKind == JsonValueKind.String,
        "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "integer" => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _),
        "number" => value.ValueKind == JsonValueKind.Number,
        "array" => value.ValueKind == JsonValueKind.Array,
        "object" => value.ValueKind == JsonValueKind.Object,
        _ => true,
    };

    private static bool FitsFormat(string? format, string value) => format switch
    {
        "uuid" => Guid.TryParse(value, out _),
        "date" => DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
        "date-time" => DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
        _ => true,
    };

    private static string Short(JsonElement value)
    {
        var text = value.GetRawText();
        return text.Length > 80 ? text[..80] + "…" : text;
    }

    [GeneratedRegex(@"\{[^}]+\}", RegexOptions.CultureInvariant)]
    private static partial Regex TemplateParameter();
}

/// <summary>Checks each answer against the document and fails the request that the document does not describe.</summary>
internal sealed class DocumentCheckingHandler(Func<CancellationToken, Task<ApiDocumentConformance>> conformance) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var path = request.RequestUri!.AbsolutePath;
        // A redirect to HTTPS is the transport's answer (RequireHttps), not the operation's.
        var toHttps = (int)response.StatusCode is 307 or 308 && response.Headers.Location is { IsAbsoluteUri: true, Scheme: "https" };
        if (path.StartsWith("/openapi/", StringComparison.Ordinal) || toHttps)
        {
            return response;
        }

        await response.Content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
        var media = response.Content.Headers.ContentType?.MediaType;
        var body = media is not null && (media.Contains("json", StringComparison.OrdinalIgnoreCase) || media.StartsWith("text/", StringComparison.OrdinalIgnoreCase))
            ? await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)
            : response.Content.Headers.ContentLength is > 0 ? "(binary)" : "";
        var errors = (await conformance(cancellationToken).ConfigureAwait(false)).Check(request.Method.Method, path, response.StatusCode, media, body);
        if (errors.Count > 0)
        {
            throw new ApiDocumentMismatchException(string.Join(Environment.NewLine, errors));
        }

        return response;
    }
}

/// <summary>The gateway answered something its OpenAPI document does not describe.</summary>
internal sealed class ApiDocumentMismatchException(string message) : Exception(message);
