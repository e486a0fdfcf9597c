namespace SanteGateway.Server.Identities;

/// <summary>
/// A business refusal carried up to the endpoint and written as RFC 7807 problem details. <see cref="Errors"/> maps
/// a field name to <c>rule: message</c> strings.
/// </summary>
internal sealed class GatewayProblem : Exception
{
    public GatewayProblem(int status, string rule, string message, IDictionary<string, string[]>? errors = null)
        : base(message)
    {
        Status = status;
        Rule = rule;
        Errors = errors;
    }

    public GatewayProblem()
        : this(500, "internal", "error")
    {
    }

    public GatewayProblem(string message)
        : this(500, "internal", message)
    {
    }

    public GatewayProblem(string message, Exception innerException)
        : base(message, innerException)
    {
        Status = 500;
        Rule = "internal";
    }

    public int Status { get; }

    public string Rule { get; }

    public IDictionary<string, string[]>? Errors { get; }

    public static GatewayProblem Validation(IDictionary<string, string[]> errors) =>
        new(400, "validation", "One or more fields are invalid.", errors);

    public static GatewayProblem Field(int status, string field, string rule, string message) =>
        new(status, rule, message, new Dictionary<string, string[]> { [field] = [$"{rule}: {message}"] });

    public static GatewayProblem NotFound(Guid id) => new(404, "not-found", $"Identity {id} does not exist.");

    public static GatewayProblem Stale(long current) =>
        Field(409, "version", "concurrency.stale", $"The identity was changed by someone else (current version {current}); reload and retry.");
}

/// <summary>Collects field errors as <c>rule: message</c>.</summary>
internal sealed class FieldErrors
{
    private readonly Dictionary<string, List<string>> errors = new(StringComparer.Ordinal);

    public bool Any => errors.Count > 0;

    public void Add(string field, string rule, string message)
    {
        if (!errors.TryGetValue(field, out var list))
        {
            errors[field] = list = [];
        }

        list.Add($"{rule}: {message}");
    }

    public void ThrowIfAny()
    {
        if (Any)
        {
            throw GatewayProblem.Validation(errors.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray(), StringComparer.Ordinal));
        }
    }
}
