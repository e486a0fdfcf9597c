using System.Globalization;
using System.Text.Json;

namespace SanteGateway.Web.Components.Shared;

/// <summary>
/// A short French reading of an audit event's stored values: status change, changed traits and attributes, the reason
/// given (at the top level of the new values, or under <c>context</c> where the application layer puts the reason of a
/// revert, a trait change, an INSi-trait adoption or a merge), INSi outcome and code, merge and inbound references.
/// </summary>
public static class AuditDetail
{
    private static readonly (string Key, string Label)[] Traits =
    [
        ("birthName", Texts.AuditDetailNomDeNaissance), ("birthFirstNames", Texts.AuditDetailPrenomsDeNaissance), ("sex", Texts.AuditDetailSexe), ("birthDate", Texts.AuditDetailDateDeNaissance),
        ("birthPlaceCog", Texts.AuditDetailLieuDeNaissance), ("usedName", Texts.AuditDetailNomUtilise), ("usedFirstName", Texts.AuditDetailPrenomUtilise), ("ins", Texts.AuditDetailIns),
    ];

    /// <summary>Describes the change.</summary>
    /// <param name="a">The event.</param>
    /// <returns>Text, or a dash.</returns>
    public static string Describe(AuditView a)
    {
        ArgumentNullException.ThrowIfNull(a);
        var before = Read(a.PreviousValues);
        var after = Read(a.NewValues);
        var context = Child(after, "context");
        var parts = new List<string>();
        var s0 = Get(before, "status");
        var s1 = Get(after, "status");
        if (s1 is not null && s0 is not null && s0 != s1)
        {
            parts.Add(string.Format(CultureInfo.InvariantCulture, Texts.AuditDetailStatutChange, s0, s1));
        }
        else if (s1 is not null && s0 is null && a.Action == "identity.created")
        {
            parts.Add(string.Format(CultureInfo.InvariantCulture, Texts.AuditDetailStatutValeur, s1));
        }

        if (before is not null && after is not null && a.Action is "identity.traits-changed" or "identity.merged")
        {
            var changed = Traits.Where(t => Get(before, t.Key) != Get(after, t.Key)).Select(t => t.Label).ToList();
            if (changed.Count > 0)
            {
                parts.Add(Texts.AuditDetailModifie + string.Join(", ", changed));
            }
        }

        if (before is not null && after is not null && Get(before, "attributes") is { } at0 && Get(after, "attributes") is { } at1 && at0 != at1)
        {
            parts.Add(string.Format(CultureInfo.InvariantCulture, Texts.AuditDetailAttributs, Codes(at0), Codes(at1)));
        }

        if (Get(after, "outcome") is { } outcome && a.Action.StartsWith("insi.", StringComparison.Ordinal))
        {
            var code = Get(after, "code");
            parts.Add(string.Format(CultureInfo.InvariantCulture, Texts.AuditDetailResultat, Labels.Of(Labels.InsiOutcomes, outcome)) + (code is null ? "" : string.Format(CultureInfo.InvariantCulture, Texts.AuditDetailCode, code)));
        }

        if ((Get(after, "mergedInto") ?? Get(context, "mergedInto")) is { } into && a.Action == "identity.merged-into")
        {
            parts.Add(string.Format(CultureInfo.InvariantCulture, Texts.AuditDetailConservee, Short(into)));
        }

        if (Get(context, "from") is { } from)
        {
            parts.Add(string.Format(CultureInfo.InvariantCulture, Texts.AuditDetailFusionneeDepuis, Short(from)));
        }

        if (a.Action == "insi.support-bundle")
        {
            parts.Add(Get(after, "identityDataIncluded") == "true" ? Texts.AuditDetailDonneesDIdentiteIncluses : Texts.AuditDetailDonneesDIdentiteMasquees);
        }

        if (Get(after, "partner") is { } partner)
        {
            parts.Add(string.Format(CultureInfo.InvariantCulture, Texts.AuditDetailPartenaire, partner));
        }

        if ((Get(after, "reason") ?? Get(context, "reason")) is { Length: > 0 } reason)
        {
            parts.Add(string.Format(CultureInfo.InvariantCulture, Texts.AuditDetailMotif, reason));
        }

        return parts.Count == 0 ? "—" : string.Join(" ; ", parts);
    }

    private static string Codes(string jsonArray)
    {
        try
        {
            using var doc = JsonDocument.Parse(jsonArray);
            var codes = doc.RootElement.ValueKind == JsonValueKind.Array
                ? doc.RootElement.EnumerateArray().Select(e => Labels.Of(Labels.Attributes, e.GetString() ?? "")).ToList()
                : [];
            return codes.Count == 0 ? Texts.AuditDetailAucun : string.Join(", ", codes);
        }
        catch (JsonException)
        {
            return jsonArray;
        }
    }

    private static string Short(string id) => id.Length > 8 ? id[..8] + "…" : id;

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

    private static JsonElement? Child(JsonElement? e, string name)
    {
        if (e is not { ValueKind: JsonValueKind.Object } o)
        {
            return null;
        }

        foreach (var p in o.EnumerateObject())
        {
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return p.Value;
            }
        }

        return null;
    }

    private static string? Get(JsonElement? e, string name) => Child(e, name) is not { } v || v.ValueKind == JsonValueKind.Null
        ? null
        : v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText();
}
