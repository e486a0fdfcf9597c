using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using SanteGateway.Ror;

namespace SanteGateway.Server.Ror;

/// <summary>Turns a ROR FHIR resource into the application's neutral <see cref="RorResourceData"/> (JSON plus search columns).</summary>
public static class RorResourceIndexer
{
    private static readonly FhirJsonSerializer Serializer = new();

    /// <summary>The five main resource types the mirror keeps.</summary>
    public static IReadOnlySet<string> Types => RorConstants.MainResourceTypes;

    /// <summary>Indexes one resource.</summary>
    /// <param name="resource">A resource of one of the five main types, with an id.</param>
    /// <param name="json">Its JSON as received (kept as is); null serialises <paramref name="resource"/>.</param>
    /// <returns>The neutral form, or null for another type or a resource without id.</returns>
    public static RorResourceData? Index(Resource resource, string? json = null)
    {
        ArgumentNullException.ThrowIfNull(resource);
        if (string.IsNullOrEmpty(resource.Id) || !Types.Contains(resource.TypeName))
        {
            return null;
        }

        var data = new RorResourceData
        {
            ResourceType = resource.TypeName,
            Id = resource.Id,
            VersionId = resource.Meta?.VersionId,
            LastUpdated = resource.Meta?.LastUpdated ?? DateTimeOffset.UnixEpoch,
            Json = json ?? Serializer.SerializeToString(resource),
            Region = resource.Meta?.Tag.FirstOrDefault(t => t.System == RorConstants.RegionSystem)?.Code,
        };
        return resource switch
        {
            Organization o => Organization(data, o),
            HealthcareService h => Service(data, h),
            Location l => Location(data, l),
            Practitioner p => data with
            {
                Name = p.Name.FirstOrDefault() is { } n ? string.Join(' ', n.Prefix.Concat(n.Given).Append(n.Family).Where(s => !string.IsNullOrWhiteSpace(s))) : null,
                Identifier = p.Identifier.FirstOrDefault(i => i.System == RorConstants.IdNatPsSystem)?.Value ?? p.Identifier.FirstOrDefault()?.Value,
            },
            PractitionerRole r => data with
            {
                Identifier = r.Identifier.FirstOrDefault()?.Value,
                OrganizationId = Id(r.Organization),
                ServiceId = Id(r.HealthcareService.FirstOrDefault()),
                LocationId = Id(r.Location.FirstOrDefault()),
                PractitionerId = Id(r.Practitioner),
                Codes = [.. Codes("profession", r.Code), .. Codes("specialty", r.Specialty)],
            },
            _ => data,
        };
    }

    private static RorResourceData Organization(RorResourceData data, Organization o)
    {
        var address = o.Address.FirstOrDefault();
        return data with
        {
            Name = o.Name,
            Identifier = o.Identifier.FirstOrDefault(i => i.System == RorConstants.IdNatStructSystem)?.Value ?? o.Identifier.FirstOrDefault()?.Value,
            OrganizationId = Id(o.PartOf),
            City = address?.City,
            PostalCode = address?.PostalCode,
            CommuneCode = InseeCode(address),
            Address = Line(address),
            Codes = Codes("org-type", o.Type),
        };
    }

    private static RorResourceData Service(RorResourceData data, HealthcareService h)
    {
        var codes = new List<RorCode>();
        foreach (var s in h.Specialty)
        {
            foreach (var c in s.Coding.Where(c => c.Code is not null))
            {
                codes.Add(new RorCode(c.System == RorConstants.OperationalActivitySystem || (c.System?.Contains("J17", StringComparison.Ordinal) ?? false) ? "activity" : "family", c.Code!, c.Display ?? s.Text));
            }
        }

        codes.AddRange(Codes("type", h.Type));
        codes.AddRange(Codes("category", h.Category));
        return data with
        {
            Name = h.Name,
            Identifier = h.Identifier.FirstOrDefault()?.Value,
            OrganizationId = Id(h.ProvidedBy),
            LocationId = Id(h.Location.FirstOrDefault()),
            Codes = codes,
            Sensitive = h.GetExtension(RorConstants.SensitiveUnitExtension)?.Value is FhirBoolean { Value: true },
        };
    }

    private static RorResourceData Location(RorResourceData data, Location l)
    {
        static bool Typed(Identifier i, string code) => i.Type?.Coding.Any(c => c.Code == code) == true;
        var cog = l.GetExtension(RorConstants.CommuneCogExtension)?.Value switch
        {
            CodeableConcept cc => cc.Coding.FirstOrDefault()?.Code,
            Code c => c.Value,
            FhirString s => s.Value,
            _ => null,
        };
        return data with
        {
            Name = l.Name,
            Identifier = l.Identifier.FirstOrDefault(i => Typed(i, "25"))?.Value ?? l.Identifier.FirstOrDefault()?.Value,
            ExternalId = l.Identifier.FirstOrDefault(i => Typed(i, "26"))?.Value,
            OrganizationId = Id(l.ManagingOrganization),
            LocationId = Id(l.PartOf),
            CommuneCode = cog ?? InseeCode(l.Address),
            City = l.Address?.City,
            PostalCode = l.Address?.PostalCode,
            Address = Line(l.Address),
            Codes = Codes("location-type", l.Type),
            Capacities = RorCapacityPatch.Read(l).Select(c => new RorCapacityFigure(c.CapacityType, c.CapacityStatus, c.Temporality, c.TemporaryAssignment, c.Gender, c.Count, c.UpdatedAt)).ToList(),
        };
    }

    private static string? InseeCode(Address? address) =>
        address?.Extension.FirstOrDefault(e => e.Url?.EndsWith("inseeCode", StringComparison.Ordinal) == true || e.Url?.EndsWith("insee-code", StringComparison.Ordinal) == true)?.Value switch
        {
            Coding c => c.Code,
            CodeableConcept cc => cc.Coding.FirstOrDefault()?.Code,
            PrimitiveType p => p.ToString(),
            _ => null,
        };

    private static string? Line(Address? a) =>
        a is null ? null : string.Join(", ", a.Line.Append(string.Join(' ', new[] { a.PostalCode, a.City }.Where(s => !string.IsNullOrWhiteSpace(s)))).Where(s => !string.IsNullOrWhiteSpace(s)));

    private static List<RorCode> Codes(string kind, IEnumerable<CodeableConcept> concepts) =>
        concepts.SelectMany(cc => cc.Coding.Where(c => c.Code is not null).Select(c => new RorCode(kind, c.Code!, c.Display ?? cc.Text))).ToList();

    private static string? Id(ResourceReference? reference) =>
        reference?.Reference is { } text && text.Split('/', StringSplitOptions.RemoveEmptyEntries) is { Length: >= 2 } parts
            ? (parts.Length >= 4 && parts[^2] == "_history" ? parts[^3] : parts[^1])
            : null;
}
