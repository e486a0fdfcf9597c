using System.Text.Json;

namespace SanteGateway.Web.Components.Shared;

/// <summary>A short French reading of an audit event's before/after values (status change, attributes, reason).</summary>
public static class AuditDetail
{
    /// <summary>Describes the change.</summary>
    /// <param name="a">The event.</param>
    /// <returns>Text, or a dash.</returns>
    public static string Describe(AuditView a)
    {
        ArgumentNullException.ThrowIfNull(a);
        var before = Read(a.PreviousValues);
        var after = Read(a.NewValues);
        var parts = new List<string>();
        var s0 = Get(before, "status");
        var s1 = Get(after, "status");
        if (s1 is not null && s0 is not null && s0 != s1)
        {
            parts.Add($"statut : {s0} → {s1}");
        }
        else if (s1 is not null && s0 is null && a.Action == "identity.created")
        {
            parts.Add($"statut : {s1}");
        }

        if (Get(after, "reason") is { Length: > 0 } reason)
        {
            parts.Add($"motif : {reason}");
        }

        return parts.Count == 0 ? "—" : string.Join(" ; ", parts);
    }

    private static JsonElement? Read(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Get(JsonElement? e, string name)
    {
        if (e is not { ValueKind: JsonValueKind.Object } o)
        {
            return null;
        }

        foreach (var p in o.EnumerateObject())
        {
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : p.Value.ToString();
            }
        }

        return null;
    }
}
