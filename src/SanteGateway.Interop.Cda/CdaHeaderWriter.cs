using System.Globalization;
using System.Xml.Linq;
using SanteGateway.Identity;

namespace SanteGateway.Interop.Cda;

/// <summary>Writes the CDA R2 header: <c>recordTarget</c> and the document metadata (CI-SIS conventions).</summary>
/// <remarks>The INS is written as the first <c>patientRole/id</c> only when <see cref="RnivIdentity.CanTransmitIns"/> (EXI SI 08).
/// A partial birth date is written partial (<c>YYYY</c> or <c>YYYYMM</c>, from <see cref="BirthDate.UnknownParts"/>) so that it reads
/// back as it was; a date with only the month unknown cannot be written partial in HL7 TS and is written completed.</remarks>
public static class CdaHeaderWriter
{
    private static readonly XNamespace V3 = CdaHeaderReader.V3;

    /// <summary>The <c>recordTarget</c> element.</summary>
    /// <param name="source">The identity and its local ids.</param>
    /// <returns>The element.</returns>
    public static XElement RecordTarget(CdaPatientSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var identity = source.Identity;
        var traits = identity.Traits;
        var role = new XElement(V3 + "patientRole");
        if (identity.TransmittableIns is { } ins)
        {
            role.Add(new XElement(V3 + "id", new XAttribute("root", ins.Oid), new XAttribute("extension", ins.Matricule.Value)));
        }

        foreach (var local in source.LocalIds)
        {
            role.Add(IdElement("id", local));
        }

        var name = new XElement(V3 + "name", new XElement(V3 + "family", new XAttribute("qualifier", "BR"), traits.BirthName));
        if (traits.BirthFirstNames.Count > 0)
        {
            name.Add(new XElement(V3 + "given", traits.BirthFirstNamesJoined));
        }

        name.Add(new XElement(V3 + "given", new XAttribute("qualifier", "BR"), traits.FirstFirstName));
        if (traits.UsedName is not null)
        {
            name.Add(new XElement(V3 + "family", new XAttribute("qualifier", "CL"), traits.UsedName));
        }

        if (traits.UsedFirstName is not null)
        {
            name.Add(new XElement(V3 + "given", new XAttribute("qualifier", "CL"), traits.UsedFirstName));
        }

        var patient = new XElement(V3 + "patient", new XAttribute("classCode", "PSN"), name,
            new XElement(V3 + "administrativeGenderCode",
                new XAttribute("code", SexCodes.ToCode(traits.Sex)),
                new XAttribute("codeSystem", "2.16.840.1.113883.5.1")),
            new XElement(V3 + "birthTime", new XAttribute("value", BirthTime(traits.BirthDate))));
        if (traits.BirthPlaceCog is { } cog)
        {
            var addr = BirthPlaceCog.IsAbroad(cog) ? new XElement(V3 + "addr", new XElement(V3 + "country", cog)) : new XElement(V3 + "addr", new XElement(V3 + "county", cog));
            patient.Add(new XElement(V3 + "birthplace", new XElement(V3 + "place", addr)));
        }

        role.Add(patient);
        return new XElement(V3 + "recordTarget", role);
    }

    /// <summary>A complete CDA document: the CI-SIS header elements in schema order, then the body the caller provides.</summary>
    /// <param name="metadata">The document metadata.</param>
    /// <param name="patient">The patient.</param>
    /// <param name="component">The <c>component</c> element holding the body (structured or <c>nonXMLBody</c>).</param>
    /// <returns>The document.</returns>
    public static XDocument Document(CdaDocumentMetadata metadata, CdaPatientSource patient, XElement component)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(patient);
        ArgumentNullException.ThrowIfNull(component);
        var doc = new XElement(V3 + "ClinicalDocument",
            new XAttribute(XNamespace.Xmlns + "xsi", "http://www.w3.org/2001/XMLSchema-instance"),
            new XElement(V3 + "realmCode", new XAttribute("code", "FR")),
            new XElement(V3 + "typeId", new XAttribute("root", "2.16.840.1.113883.1.3"), new XAttribute("extension", "POCD_HD000040")),
            new XElement(V3 + "templateId", new XAttribute("root", "2.16.840.1.113883.2.8.2.1")),
            new XElement(V3 + "templateId", new XAttribute("root", "1.2.250.1.213.1.1.1.1")),
            IdElement("id", metadata.Id),
            CodeElement("code", metadata.Code));
        if (metadata.Title is not null)
        {
            doc.Add(new XElement(V3 + "title", metadata.Title));
        }

        doc.Add(new XElement(V3 + "effectiveTime", new XAttribute("value", metadata.EffectiveTime)));
        doc.Add(CodeElement("confidentialityCode", metadata.Confidentiality));
        if (metadata.LanguageCode is not null)
        {
            doc.Add(new XElement(V3 + "languageCode", new XAttribute("code", metadata.LanguageCode)));
        }

        if (metadata.SetId is not null)
        {
            doc.Add(IdElement("setId", metadata.SetId));
        }

        if (metadata.VersionNumber is { } version)
        {
            doc.Add(new XElement(V3 + "versionNumber", new XAttribute("value", version.ToString(CultureInfo.InvariantCulture))));
        }

        doc.Add(RecordTarget(patient));
        foreach (var author in metadata.Authors)
        {
            doc.Add(Author(author, metadata.EffectiveTime));
        }

        var custodianOrg = new XElement(V3 + "representedCustodianOrganization",
            metadata.Custodian is null ? new XElement(V3 + "id", new XAttribute("nullFlavor", "UNK")) : IdElement("id", metadata.Custodian));
        if (metadata.CustodianName is not null)
        {
            custodianOrg.Add(new XElement(V3 + "name", metadata.CustodianName));
        }

        doc.Add(new XElement(V3 + "custodian", new XElement(V3 + "assignedCustodian", custodianOrg)));
        doc.Add(component);
        return new XDocument(new XDeclaration("1.0", "utf-8", null), doc);
    }

    /// <summary>The HL7 TS of a birth date (partial when the date was completed, see the type remarks).</summary>
    /// <param name="date">The birth date.</param>
    /// <returns><c>YYYYMMDD</c>, <c>YYYYMM</c> or <c>YYYY</c>.</returns>
    public static string BirthTime(BirthDate date)
    {
        var d = date.Value;
        return date.UnknownParts switch
        {
            BirthDateParts.Day | BirthDateParts.Month => d.ToString("yyyy", CultureInfo.InvariantCulture),
            BirthDateParts.Day => d.ToString("yyyyMM", CultureInfo.InvariantCulture),
            _ => d.ToString("yyyyMMdd", CultureInfo.InvariantCulture),
        };
    }

    private static XElement Author(CdaAuthor author, string fallbackTime)
    {
        var assigned = new XElement(V3 + "assignedAuthor",
            author.Id is null ? new XElement(V3 + "id", new XAttribute("nullFlavor", "UNK")) : IdElement("id", author.Id));
        if (author.Family is not null || author.Given is not null)
        {
            var name = new XElement(V3 + "name");
            if (author.Given is not null)
            {
                name.Add(new XElement(V3 + "given", author.Given));
            }

            if (author.Family is not null)
            {
                name.Add(new XElement(V3 + "family", author.Family));
            }

            assigned.Add(new XElement(V3 + "assignedPerson", name));
        }

        if (author.Organization is not null || author.OrganizationName is not null)
        {
            var org = new XElement(V3 + "representedOrganization");
            if (author.Organization is not null)
            {
                org.Add(IdElement("id", author.Organization));
            }

            if (author.OrganizationName is not null)
            {
                org.Add(new XElement(V3 + "name", author.OrganizationName));
            }

            assigned.Add(org);
        }

        return new XElement(V3 + "author", new XElement(V3 + "time", new XAttribute("value", author.Time ?? fallbackTime)), assigned);
    }

    private static XElement IdElement(string name, CdaId id)
    {
        var e = new XElement(V3 + name, new XAttribute("root", id.Root));
        if (id.Extension is not null)
        {
            e.Add(new XAttribute("extension", id.Extension));
        }

        return e;
    }

    private static XElement CodeElement(string name, CdaCode code)
    {
        var e = new XElement(V3 + name, new XAttribute("code", code.Code));
        if (code.CodeSystem is not null)
        {
            e.Add(new XAttribute("codeSystem", code.CodeSystem));
        }

        if (code.DisplayName is not null)
        {
            e.Add(new XAttribute("displayName", code.DisplayName));
        }

        return e;
    }
}
