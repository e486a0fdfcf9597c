using System.Globalization;
using System.Text.Json;
using SanteGateway.Ror;

namespace SanteGateway.Server.Ror;

/// <summary>
/// Turns a ROR resource's JSON into the application's neutral <see cref="RorResourceData"/> with System.Text.Json alone: the
/// same fields as <see cref="RorResourceIndexer"/> (which reads Firely objects), without building the FHIR object model. The
/// full synchronisation reads every resource of the export this way; conformance to the ROR profiles is the validator's job.
/// Lenient like a FHIR parser without validation: an element of an unexpected JSON kind is treated as absent.
/// </summary>
public static class RorJsonIndexer
{
    /// <summary>Indexes one resource.</summary>
    /// <param name="root">The resource's JSON object.</param>
    /// <param name="json">Its JSON text, stored as is.</param>
    /// <returns>The neutral form, or null for another type or a resource without id.</returns>
    public static RorResourceData? Index(JsonElement root, string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        if (root.ValueKind != JsonValueKind.Object || Str(root, "resourceType") is not { } type || !RorResourceIndexer.Types.Contains(type)
            || Str(root, "id") is not { Length: > 0 } id)
        {
            return null;
        }

        var meta = Obj(root, "meta");
        var data = new RorResourceData
        {
            ResourceType = type,
            Id = id,
            VersionId = Str(meta, "versionId"),
            LastUpdated = Instant(Str(meta, "lastUpdated")) ?? DateTimeOffset.UnixEpoch,
            Json = json,
            Region = First(Arr(meta, "tag"), t => Str(t, "system") == RorConstants.RegionSystem) is { } tag ? Str(tag, "code") : null,
        };
        return type switch
        {
            "Organization" => Organization(data, root),
            "HealthcareService" => Service(data, root),
            "Location" => Location(data, root),
            "Practitioner" => data with
            {
                Name = First(Arr(root, "name"), _ => true) is { } n
                    ? string.Join(' ', Strings(n, "prefix").Concat(Strings(n, "given")).Append(Str(n, "family")).Where(s => !string.IsNullOrWhiteSpace(s)))
                    : null,
                Identifier = SystemValue(root, RorConstants.IdNatPsSystem),
            },
            "PractitionerRole" => data with
            {
                Identifier = Str(First(Arr(root, "identifier"), _ => true), "value"),
                OrganizationId = Ref(Obj(root, "organization")),
                ServiceId = Ref(First(Arr(root, "healthcareService"), _ => true)),
                LocationId = Ref(First(Arr(root, "location"), _ => true)),
                PractitionerId = Ref(Obj(root, "practitioner")),
                Codes = [.. Codes("profession", Arr(root, "code")), .. Codes("specialty", Arr(root, "specialty"))],
            },
            _ => data,
        };
    }

    private static RorResourceData Organization(RorResourceData data, JsonElement o)
    {
        var address = First(Arr(o, "address"), _ => true);
        return data with
        {
            Name = Str(o, "name"),
            Identifier = SystemValue(o, RorConstants.IdNatStructSystem),
            OrganizationId = Ref(Obj(o, "partOf")),
            City = Str(address, "city"),
            PostalCode = Str(address, "postalCode"),
            CommuneCode = InseeCode(address),
            Address = Line(address),
            Codes = Codes("org-type", Arr(o, "type")),
        };
    }

    private static RorResourceData Service(RorResourceData data, JsonElement h)
    {
        var codes = new List<RorCode>();
        foreach (var s in Arr(h, "specialty"))
        {
            foreach (var c in Arr(s, "coding"))
            {
                if (Str(c, "code") is { } code)
                {
                    var system = Str(c, "system");
                    var kind = system == RorConstants.OperationalActivitySystem || (system?.Contains("J17", StringComparison.Ordinal) ?? false) ? "activity" : "family";
                    codes.Add(new RorCode(kind, code, Str(c, "display") ?? Str(s, "text")));
                }
            }
        }

        codes.AddRange(Codes("type", Arr(h, "type")));
        codes.AddRange(Codes("category", Arr(h, "category")));
        return data with
        {
            Name = Str(h, "name"),
            Identifier = Str(First(Arr(h, "identifier"), _ => true), "value"),
            OrganizationId = Ref(Obj(h, "providedBy")),
            LocationId = Ref(First(Arr(h, "location"), _ => true)),
            Codes = codes,
            Sensitive = Extension(h, RorConstants.SensitiveUnitExtension) is { } e && e.TryGetProperty("valueBoolean", out var b) && b.ValueKind == JsonValueKind.True,
        };
    }

    private static RorResourceData Location(RorResourceData data, JsonElement l)
    {
        static bool Typed(JsonElement i, string code) => Arr(Obj(i, "type"), "coding").Any(c => Str(c, "code") == code);
        string? cog = null;
        if (Extension(l, RorConstants.CommuneCogExtension) is { } ce)
        {
            cog = ce.TryGetProperty("valueCodeableConcept", out var cc) ? Str(First(Arr(cc, "coding"), _ => true), "code")
                : Str(ce, "valueCode") ?? Str(ce, "valueString");
        }

        var address = Obj(l, "address");
        var identifiers = Arr(l, "identifier");
        return data with
        {
            Name = Str(l, "name"),
            Identifier = Str(First(identifiers, i => Typed(i, "25")), "value") ?? Str(First(identifiers, _ => true), "value"),
            ExternalId = Str(First(identifiers, i => Typed(i, "26")), "value"),
            OrganizationId = Ref(Obj(l, "managingOrganization")),
            LocationId = Ref(Obj(l, "partOf")),
            CommuneCode = cog ?? InseeCode(address),
            City = Str(address, "city"),
            PostalCode = Str(address, "postalCode"),
            Address = Line(address),
            Codes = Codes("location-type", Arr(l, "type")),
            Capacities = Capacities(l),
        };
    }

    /// <summary>The capacity records, read like <see cref="RorCapacityPatch.Read"/> reads a Location.</summary>
    private static List<RorCapacityFigure> Capacities(JsonElement l)
    {
        var list = new List<RorCapacityFigure>();
        foreach (var e in Arr(l, "extension"))
        {
            if (Str(e, "url") != RorConstants.SupportedCapacityExtension)
            {
                continue;
            }

            string? Code(string url) => Extension(e, url) is { } x
                ? (x.TryGetProperty("valueCodeableConcept", out var cc) && cc.ValueKind == JsonValueKind.Object ? Str(First(Arr(cc, "coding"), _ => true), "code") : null) ?? Str(x, "valueCode")
                : null;
            int? count = Extension(e, "nbCapacity") is { } n && n.TryGetProperty("valueInteger", out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : null;
            var when = Extension(e, "capacityUpdateDate") is { } d ? ParseDateTime(Str(d, "valueDateTime")) : null;
            list.Add(new RorCapacityFigure(Code("capacityType"), Code("capacityStatus"), Code("temporalityCapacity"), Code("temporaryAssignement"), Code("genderCapacityAvailable"), count, when));
        }

        return list;
    }

    /// <summary>The value of the identifier of <paramref name="system"/>, else of the first identifier.</summary>
    private static string? SystemValue(JsonElement resource, string system)
    {
        var identifiers = Arr(resource, "identifier");
        return Str(First(identifiers, i => Str(i, "system") == system), "value") ?? Str(First(identifiers, _ => true), "value");
    }

    private static string? InseeCode(JsonElement? address)
    {
        var e = First(Arr(address, "extension"), x => Str(x, "url") is { } u && (u.EndsWith("inseeCode", StringComparison.Ordinal) || u.EndsWith("insee-code", StringComparison.Ordinal)));
        if (e is not { } ext)
        {
            return null;
        }

        foreach (var p in ext.EnumerateObject())
        {
            if (!p.Name.StartsWith("value", StringComparison.Ordinal))
            {
                continue;
            }

            return p.Name switch
            {
                "valueCoding" => Str(p.Value, "code"),
                "valueCodeableConcept" => Str(First(Arr(p.Value, "coding"), _ => true), "code"),
                _ => p.Value.ValueKind switch
                {
                    JsonValueKind.String => p.Value.GetString(),
                    JsonValueKind.Number => p.Value.GetRawText(),
                    JsonValueKind.True => "true",
                    JsonValueKind.False => "false",
                    _ => null,
                },
            };
        }

        return null;
    }

    private static string? Line(JsonElement? a)
    {
        if (a is not { ValueKind: JsonValueKind.Object } address)
        {
            return null;
        }

        var place = string.Join(' ', new[] { Str(address, "postalCode"), Str(address, "city") }.Where(s => !string.IsNullOrWhiteSpace(s)));
        return string.Join(", ", Strings(address, "line").Append(place).Where(s => !string.IsNullOrWhiteSpace(s)));
    }

    private static List<RorCode> Codes(string kind, IEnumerable<JsonElement> concepts)
    {
        var list = new List<RorCode>();
        foreach (var cc in concepts)
        {
            foreach (var c in Arr(cc, "coding"))
            {
                if (Str(c, "code") is { } code)
                {
                    list.Add(new RorCode(kind, code, Str(c, "display") ?? Str(cc, "text")));
                }
            }
        }

        return list;
    }

    private static string? Ref(JsonElement? reference) =>
        Str(reference, "reference") is { } text && text.Split('/', StringSplitOptions.RemoveEmptyEntries) is { Length: >= 2 } parts
            ? (parts.Length >= 4 && parts[^2] == "_history" ? parts[^3] : parts[^1])
            : null;

    /// <summary>The first extension of <paramref name="url"/> (FHIR's <c>GetExtension</c>).</summary>
    private static JsonElement? Extension(JsonElement element, string url) => First(Arr(element, "extension"), e => Str(e, "url") == url);

    private static JsonElement? Obj(JsonElement? e, string name) =>
        e is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object ? v : null;

    private static IEnumerable<JsonElement> Arr(JsonElement? e, string name) =>
        e is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array
            ? v.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.Object)
            : [];

    private static string? Str(JsonElement? e, string name) =>
        e is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static IEnumerable<string?> Strings(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array
            ? v.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString())
            : [];

    private static JsonElement? First(IEnumerable<JsonElement> items, Func<JsonElement, bool> predicate)
    {
        foreach (var x in items)
        {
            if (predicate(x))
            {
                return x;
            }
        }

        return null;
    }

    /// <summary>A FHIR instant (always with a time zone).</summary>
    private static DateTimeOffset? Instant(string? text) =>
        text is not null && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var v) ? v : null;

    /// <summary>A FHIR dateTime: a full date-time (UTC when it has no zone) or a partial date (its first instant, UTC).</summary>
    private static DateTimeOffset? ParseDateTime(string? text)
    {
        if (text is null)
        {
            return null;
        }

        if (text.Length == 4 && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var year))
        {
            return year >= 1 ? new DateTimeOffset(year, 1, 1, 0, 0, 0, TimeSpan.Zero) : null;
        }

        if (text.Length == 7 && DateTimeOffset.TryParseExact(text, "yyyy-MM", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var month))
        {
            return month;
        }

        return Instant(text);
    }
}
