using System.Globalization;
using Hl7.Fhir.Model;

namespace SanteGateway.Ror;

/// <summary>
/// Code systems of the capacity indicator codes. The IG binds them to the JDV value sets below; which TRE code system the
/// national ROR expects in the codings is given only in ANS's onboarding documents (UNCONFIRMED, docs/conformance.md),
/// so they are settable.
/// </summary>
public sealed record RorCapacityCodeSystems
{
    /// <summary>Nature of the capacity (J187: <c>01</c> lit…).</summary>
    public string CapacityType { get; init; } = "https://mos.esante.gouv.fr/NOS/JDV_J187-NatureCapacite-ROR/FHIR/JDV-J187-NatureCapacite-ROR";

    /// <summary>Status (J188: <c>02</c> disponible…).</summary>
    public string CapacityStatus { get; init; } = "https://mos.esante.gouv.fr/NOS/JDV_J188-TypeStatutCapacite-ROR/FHIR/JDV-J188-TypeStatutCapacite-ROR";

    /// <summary>Temporality (J189: <c>01</c> courant…).</summary>
    public string Temporality { get; init; } = "https://mos.esante.gouv.fr/NOS/JDV_J189-TemporaliteCapacite-ROR/FHIR/JDV-J189-TemporaliteCapacite-ROR";

    /// <summary>Gender (J190).</summary>
    public string Gender { get; init; } = "https://mos.esante.gouv.fr/NOS/JDV_J190-GenreCapacite-ROR/FHIR/JDV-J190-GenreCapacite-ROR";

    /// <summary>Closing type (J191).</summary>
    public string ClosingType { get; init; } = "https://mos.esante.gouv.fr/NOS/JDV_J191-TypeFermetureCapacite-ROR/FHIR/JDV-J191-TypeFermetureCapacite-ROR";

    /// <summary>Additional bed type (J192).</summary>
    public string AdditionalBedType { get; init; } = "https://mos.esante.gouv.fr/NOS/JDV_J192-TypeLitSupplementaire-ROR/FHIR/JDV-J192-TypeLitSupplementaire-ROR";

    /// <summary>Source of the capacity figure (J193).</summary>
    public string SourceType { get; init; } = "https://mos.esante.gouv.fr/NOS/JDV_J193-TypeSourceCapacite-ROR/FHIR/JDV-J193-TypeSourceCapacite-ROR";

    /// <summary>Crisis type (J194).</summary>
    public string CrisisType { get; init; } = "https://mos.esante.gouv.fr/NOS/JDV_J194-TypeCrise-ROR/FHIR/JDV-J194-TypeCrise-ROR";

    /// <summary>Temporary assignment (J195: <c>02</c> Covid+…).</summary>
    public string TemporaryAssignment { get; init; } = "https://mos.esante.gouv.fr/NOS/JDV_J195-AffectationTemporaire-ROR/FHIR/JDV-J195-AffectationTemporaire-ROR";
}

/// <summary>
/// One capacity figure to send to the ROR: which Location (the EG's national id and the external sync id of the bed-hosting
/// zone), which indicator (type, status, temporality, temporary assignment and the optional discriminators) and the count.
/// </summary>
public sealed record RorCapacityUpdate
{
    /// <summary>National structure id (IdNatStruct) of the EG, e.g. <c>1350054680</c>.</summary>
    public required string EgIdentifier { get; init; }

    /// <summary>External sync id (idExterneSynchro) of the Location, e.g. <c>SSR38888</c>.</summary>
    public required string ExternalId { get; init; }

    /// <summary>Capacity type code (J187), e.g. <c>01</c> (lit).</summary>
    public required string CapacityType { get; init; }

    /// <summary>Capacity status code (J188), e.g. <c>02</c> (disponible).</summary>
    public required string CapacityStatus { get; init; }

    /// <summary>Temporality code (J189), e.g. <c>01</c> (courant).</summary>
    public string Temporality { get; init; } = "01";

    /// <summary>Temporary assignment code (J195).</summary>
    public string TemporaryAssignment { get; init; } = "01";

    /// <summary>Gender code (J190), optional discriminator.</summary>
    public string? Gender { get; init; }

    /// <summary>Crisis type code (J194), optional discriminator.</summary>
    public string? CrisisType { get; init; }

    /// <summary>Additional bed type code (J192), optional discriminator.</summary>
    public string? AdditionalBedType { get; init; }

    /// <summary>Closing type (J191), sent only when the indicator is added.</summary>
    public string? ClosingType { get; init; }

    /// <summary>Source of the figure (J193), sent when the indicator is added.</summary>
    public string SourceType { get; init; } = "01";

    /// <summary>The number of beds/places.</summary>
    public required int Count { get; init; }

    /// <summary>When the figure was observed.</summary>
    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>The conditional-patch identifier: <c>EG/externalId</c>.</summary>
    public string LocationIdentifier => EgIdentifier + "/" + ExternalId;

    /// <summary>Checks the fields; one message per broken rule, naming the field.</summary>
    /// <returns>The problems.</returns>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(EgIdentifier) || EgIdentifier.Contains('/', StringComparison.Ordinal))
        {
            problems.Add("egIdentifier: the EG's national structure id is required and has no '/'.");
        }

        if (string.IsNullOrWhiteSpace(ExternalId))
        {
            problems.Add("externalId: the Location's external sync id is required.");
        }

        foreach (var (field, value) in new[] { ("capacityType", CapacityType), ("capacityStatus", CapacityStatus), ("temporality", Temporality), ("temporaryAssignment", TemporaryAssignment), ("sourceType", SourceType) })
        {
            if (string.IsNullOrWhiteSpace(value) || value.Contains('\'', StringComparison.Ordinal))
            {
                problems.Add($"{field}: a code is required (no quote).");
            }
        }

        foreach (var (field, value) in new[] { ("gender", Gender), ("crisisType", CrisisType), ("additionalBedType", AdditionalBedType), ("closingType", ClosingType) })
        {
            if (value is not null && (value.Length == 0 || value.Contains('\'', StringComparison.Ordinal)))
            {
                problems.Add($"{field}: when given, a code without quote.");
            }
        }

        if (Count < 0)
        {
            problems.Add("count: must be ≥ 0.");
        }

        return problems;
    }
}

/// <summary>What happened to a capacity update.</summary>
public enum RorCapacityOutcome
{
    /// <summary>The indicator existed and its count was replaced.</summary>
    Replaced,

    /// <summary>The indicator did not exist on the Location and was added.</summary>
    Added,

    /// <summary>No Location has this EG/external id: alert the GRADeS (it must map the service code in the ROR).</summary>
    LocationNotFound,

    /// <summary>Several Locations share this sync id: alert the GRADeS and the establishment.</summary>
    MultipleMatches,

    /// <summary>The ROR refused the indicator (invalid combination, wrong code): alert the GRADeS and the establishment.</summary>
    BusinessRuleRejected,
}

/// <summary>The result of <see cref="RorClient.SetCapacityAsync"/>.</summary>
/// <param name="Outcome">What happened.</param>
/// <param name="OperationOutcome">The ROR's OperationOutcome for the three alert cases (and for success when one was returned).</param>
/// <param name="Requests">How many PATCH requests were sent (1 for replace, 2 for replace then add).</param>
public sealed record RorCapacityResult(RorCapacityOutcome Outcome, OperationOutcome? OperationOutcome, int Requests)
{
    /// <summary>True when the ROR now holds the figure.</summary>
    public bool Succeeded => Outcome is RorCapacityOutcome.Replaced or RorCapacityOutcome.Added;

    /// <summary>Who must be alerted (<c>GRADeS</c>, <c>GRADeS+establishment</c>) or null.</summary>
    public string? AlertRecipients => Outcome switch
    {
        RorCapacityOutcome.LocationNotFound => "GRADeS",
        RorCapacityOutcome.MultipleMatches or RorCapacityOutcome.BusinessRuleRejected => "GRADeS+establishment",
        _ => null,
    };
}

/// <summary>Builds the FHIRPath Patch bodies of the capacity feed.</summary>
public static class RorCapacityPatch
{
    /// <summary>The expression the ROR returns in a 404 when the indicator is absent (then send an add).</summary>
    public const string MissingIndicatorExpression =
        "Location.extension.where(url='" + RorConstants.SupportedCapacityExtension + "')";

    /// <summary>The FHIRPath selecting the capacity record of <paramref name="update"/>'s indicator.</summary>
    /// <param name="update">The update (only codes are compared, so the code systems do not appear in the path).</param>
    /// <returns>The expression (ends at the record extension).</returns>
    public static string IndicatorPath(RorCapacityUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        var conditions = new List<string>
        {
            $"url='{RorConstants.SupportedCapacityExtension}'",
            Sub("capacityType", update.CapacityType),
            Sub("capacityStatus", update.CapacityStatus),
            Sub("temporalityCapacity", update.Temporality),
            Sub("temporaryAssignement", update.TemporaryAssignment),
        };
        if (update.Gender is { } g)
        {
            conditions.Add(Sub("genderCapacityAvailable", g));
        }

        if (update.CrisisType is { } c)
        {
            conditions.Add(Sub("crisisType", c));
        }

        if (update.AdditionalBedType is { } a)
        {
            conditions.Add(Sub("additionalBedType", a));
        }

        return "Location.extension.where(" + string.Join(" and ", conditions) + ")";
    }

    /// <summary>The <c>replace</c> body: the count and the update date of the existing record.</summary>
    /// <param name="update">The update.</param>
    /// <returns>A Parameters resource.</returns>
    public static Parameters Replace(RorCapacityUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        var record = IndicatorPath(update);
        var p = new Parameters();
        p.Parameter.Add(Operation("replace", record + ".extension.where(url='nbCapacity').value", null, new Integer(update.Count)));
        p.Parameter.Add(Operation("replace", record + ".extension.where(url='capacityUpdateDate').value", null, new FhirDateTime(update.UpdatedAt.ToUniversalTime())));
        return p;
    }

    /// <summary>The <c>add</c> body: a whole new capacity record on the Location.</summary>
    /// <param name="update">The update.</param>
    /// <param name="systems">Code systems of the codings.</param>
    /// <returns>A Parameters resource (the value is given as parts: <c>url</c> and one <c>extension</c> per sub-extension).</returns>
    public static Parameters Add(RorCapacityUpdate update, RorCapacityCodeSystems systems)
    {
        ArgumentNullException.ThrowIfNull(update);
        ArgumentNullException.ThrowIfNull(systems);
        var record = Record(update, systems);
        var value = new Parameters.ParameterComponent { Name = "value" };
        value.Part.Add(new Parameters.ParameterComponent { Name = "url", Value = new FhirUri(record.Url) });
        foreach (var sub in record.Extension)
        {
            var part = new Parameters.ParameterComponent { Name = "extension" };
            part.Part.Add(new Parameters.ParameterComponent { Name = "url", Value = new FhirUri(sub.Url) });
            part.Part.Add(new Parameters.ParameterComponent { Name = "value", Value = sub.Value });
            value.Part.Add(part);
        }

        var op = Operation("add", "Location", "extension", null);
        op.Part.Add(value);
        var p = new Parameters();
        p.Parameter.Add(op);
        return p;
    }

    /// <summary>The capacity record extension for <paramref name="update"/>, as the profile describes it.</summary>
    /// <param name="update">The update.</param>
    /// <param name="systems">Code systems.</param>
    /// <returns>The extension.</returns>
    public static Extension Record(RorCapacityUpdate update, RorCapacityCodeSystems systems)
    {
        ArgumentNullException.ThrowIfNull(update);
        ArgumentNullException.ThrowIfNull(systems);
        var e = new Extension { Url = RorConstants.SupportedCapacityExtension };
        e.Extension.Add(new Extension("capacityType", Cc(systems.CapacityType, update.CapacityType)));
        e.Extension.Add(new Extension("capacityStatus", Cc(systems.CapacityStatus, update.CapacityStatus)));
        e.Extension.Add(new Extension("temporalityCapacity", Cc(systems.Temporality, update.Temporality)));
        e.Extension.Add(new Extension("nbCapacity", new Integer(update.Count)));
        e.Extension.Add(new Extension("capacitySourceType", Cc(systems.SourceType, update.SourceType)));
        if (update.Gender is { } g)
        {
            e.Extension.Add(new Extension("genderCapacityAvailable", Cc(systems.Gender, g)));
        }

        e.Extension.Add(new Extension("capacityUpdateDate", new FhirDateTime(update.UpdatedAt.ToUniversalTime())));
        if (update.ClosingType is { } ct)
        {
            e.Extension.Add(new Extension("capacityClosingType", Cc(systems.ClosingType, ct)));
        }

        if (update.AdditionalBedType is { } ab)
        {
            e.Extension.Add(new Extension("additionalBedType", Cc(systems.AdditionalBedType, ab)));
        }

        if (update.CrisisType is { } cr)
        {
            e.Extension.Add(new Extension("crisisType", Cc(systems.CrisisType, cr)));
        }

        e.Extension.Add(new Extension("temporaryAssignement", Cc(systems.TemporaryAssignment, update.TemporaryAssignment)));
        return e;
    }

    /// <summary>Reads the capacity records of a Location.</summary>
    /// <param name="location">The Location.</param>
    /// <returns>One entry per <c>ror-location-supported-capacity</c> record.</returns>
    public static IReadOnlyList<RorCapacityRecord> Read(Location location)
    {
        ArgumentNullException.ThrowIfNull(location);
        var list = new List<RorCapacityRecord>();
        foreach (var e in location.Extension.Where(x => x.Url == RorConstants.SupportedCapacityExtension))
        {
            string? Code(string url) => (e.GetExtension(url)?.Value as CodeableConcept)?.Coding.FirstOrDefault()?.Code
                                        ?? (e.GetExtension(url)?.Value as Code)?.Value;
            var count = (e.GetExtension("nbCapacity")?.Value as Integer)?.Value;
            var when = (e.GetExtension("capacityUpdateDate")?.Value as FhirDateTime)?.TryToDateTimeOffset(out var dto) == true ? dto : (DateTimeOffset?)null;
            list.Add(new RorCapacityRecord(Code("capacityType"), Code("capacityStatus"), Code("temporalityCapacity"), Code("temporaryAssignement"),
                Code("genderCapacityAvailable"), Code("crisisType"), Code("additionalBedType"), count, when));
        }

        return list;
    }

    private static string Sub(string url, string code) =>
        $"extension.where(url='{url}' and valueCodeableConcept.coding.code='{code}').exists()";

    private static CodeableConcept Cc(string system, string code) => new(system, code);

    private static Parameters.ParameterComponent Operation(string type, string path, string? name, DataType? value)
    {
        var op = new Parameters.ParameterComponent { Name = "operation" };
        op.Part.Add(new Parameters.ParameterComponent { Name = "type", Value = new Code(type) });
        op.Part.Add(new Parameters.ParameterComponent { Name = "path", Value = new FhirString(path) });
        if (name is not null)
        {
            op.Part.Add(new Parameters.ParameterComponent { Name = "name", Value = new FhirString(name) });
        }

        if (value is not null)
        {
            op.Part.Add(new Parameters.ParameterComponent { Name = "value", Value = value });
        }

        return op;
    }

    internal static string Describe(RorCapacityUpdate u) =>
        string.Create(CultureInfo.InvariantCulture, $"{u.LocationIdentifier} {u.CapacityType}/{u.CapacityStatus}/{u.Temporality}/{u.TemporaryAssignment} = {u.Count}");
}

/// <summary>One capacity record read from a Location.</summary>
/// <param name="CapacityType">J187 code.</param>
/// <param name="CapacityStatus">J188 code.</param>
/// <param name="Temporality">J189 code.</param>
/// <param name="TemporaryAssignment">J195 code.</param>
/// <param name="Gender">J190 code.</param>
/// <param name="CrisisType">J194 code.</param>
/// <param name="AdditionalBedType">J192 code.</param>
/// <param name="Count">Beds/places.</param>
/// <param name="UpdatedAt">capacityUpdateDate.</param>
public sealed record RorCapacityRecord(
    string? CapacityType, string? CapacityStatus, string? Temporality, string? TemporaryAssignment,
    string? Gender, string? CrisisType, string? AdditionalBedType, int? Count, DateTimeOffset? UpdatedAt);
