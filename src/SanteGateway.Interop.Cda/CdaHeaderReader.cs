using System.Globalization;
using System.Xml;
using System.Xml.Linq;
using SanteGateway.Identity;

namespace SanteGateway.Interop.Cda;

/// <summary>A document that is not a readable CDA (not XML, a DTD, too large or too deep, not a ClinicalDocument).</summary>
public sealed class CdaFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CdaFormatException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong.</param>
    public CdaFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="inner">The cause.</param>
    public CdaFormatException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>Limits and policy for reading CDA documents.</summary>
public sealed record CdaReadOptions
{
    /// <summary>Which INS OIDs are accepted (production refuses the test <c>.10</c> and demonstration <c>.11</c> OIDs).</summary>
    public InsPolicy InsPolicy { get; init; } = InsPolicy.Production;

    /// <summary>Largest document read, in characters (DMP documents reach tens of MB with embedded PDFs).</summary>
    public long MaxCharacters { get; init; } = 64L * 1024 * 1024;

    /// <summary>Deepest element nesting accepted.</summary>
    public int MaxDepth { get; init; } = 64;
}

/// <summary>
/// Reads the CDA R2 header (CI-SIS): document metadata and <c>recordTarget/patientRole</c>. Streams the document and stops at
/// the body, so its cost does not depend on the body's size.
/// </summary>
/// <remarks>The XML reader prohibits DTDs (so no entity is ever expanded or resolved), has no resolver, and bounds the size and
/// the depth. Names follow the CI-SIS: <c>family@qualifier=BR</c> birth name, <c>CL</c> (or <c>SP</c>) used name; <c>given</c>
/// without qualifier the birth first names, <c>given@qualifier=BR</c> the first first-name, <c>CL</c> the used first name.</remarks>
public static class CdaHeaderReader
{
    /// <summary>The HL7 v3 namespace.</summary>
    public static readonly XNamespace V3 = "urn:hl7-org:v3";

    /// <summary>Reads a header from text.</summary>
    /// <param name="xml">The document.</param>
    /// <param name="options">Limits and INS policy.</param>
    /// <returns>The header.</returns>
    /// <exception cref="CdaFormatException">Not a readable CDA document.</exception>
    public static CdaHeader Read(string xml, CdaReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(xml);
        using var reader = new StringReader(xml);
        return Read(reader, options);
    }

    /// <summary>Reads a header from a stream (encoding from the XML declaration).</summary>
    /// <param name="stream">The document.</param>
    /// <param name="options">Limits and INS policy.</param>
    /// <returns>The header.</returns>
    /// <exception cref="CdaFormatException">Not a readable CDA document.</exception>
    public static CdaHeader Read(Stream stream, CdaReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        options ??= new CdaReadOptions();
        using var xr = XmlReader.Create(stream, Settings(options));
        return Read(xr, options);
    }

    /// <summary>Reads a header from a text reader.</summary>
    /// <param name="text">The document.</param>
    /// <param name="options">Limits and INS policy.</param>
    /// <returns>The header.</returns>
    /// <exception cref="CdaFormatException">Not a readable CDA document.</exception>
    public static CdaHeader Read(TextReader text, CdaReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        options ??= new CdaReadOptions();
        using var xr = XmlReader.Create(text, Settings(options));
        return Read(xr, options);
    }

    /// <summary>Hardened reader settings: no DTD, no resolver, bounded size.</summary>
    /// <param name="options">The limits.</param>
    /// <returns>The settings.</returns>
    public static XmlReaderSettings Settings(CdaReadOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersInDocument = options.MaxCharacters,
            MaxCharactersFromEntities = 0,
            IgnoreComments = true,
            IgnoreProcessingInstructions = true,
            IgnoreWhitespace = true,
        };
    }

    /// <summary>The header elements the patient and metadata are read from; the others are skipped.</summary>
    private static readonly HashSet<string> HeaderElementsRead = new(StringComparer.Ordinal)
    {
        "id", "code", "title", "effectiveTime", "confidentialityCode", "languageCode", "setId", "versionNumber",
        "recordTarget", "author", "custodian",
    };

    private static CdaHeader Read(XmlReader xr, CdaReadOptions options)
    {
        var header = new Dictionary<string, List<XElement>>(StringComparer.Ordinal);
        try
        {
            if (xr.MoveToContent() != XmlNodeType.Element || xr.LocalName != "ClinicalDocument" || xr.NamespaceURI != V3.NamespaceName)
            {
                throw new CdaFormatException("The root element is not ClinicalDocument in the urn:hl7-org:v3 namespace.");
            }

            xr.Read();
            while (!xr.EOF)
            {
                if (xr.NodeType != XmlNodeType.Element)
                {
                    xr.Read();
                    continue;
                }

                if (xr.LocalName == "component" && xr.NamespaceURI == V3.NamespaceName)
                {
                    break; // the body: the header is complete
                }

                if (xr.NamespaceURI != V3.NamespaceName || !HeaderElementsRead.Contains(xr.LocalName))
                {
                    // Not needed for the patient or the sharing metadata: skipped without building a tree (Skip is
                    // iterative, so a hostile depth there costs nothing but reading). Half the header's cost otherwise.
                    xr.Skip();
                    continue;
                }

                var element = ReadBounded(xr, options.MaxDepth);
                if (element.Name.Namespace == V3)
                {
                    if (!header.TryGetValue(element.Name.LocalName, out var list))
                    {
                        header[element.Name.LocalName] = list = [];
                    }

                    list.Add(element);
                }
            }
        }
        catch (XmlException ex)
        {
            throw new CdaFormatException("Not well-formed XML, or it declares a DTD (refused: entities are never expanded): " + ex.Message, ex);
        }

        var refused = new List<CdaReadIssue>();
        var document = ReadMetadata(header, refused);
        var patient = ReadPatient(header.GetValueOrDefault("recordTarget")?.FirstOrDefault(), options);
        return new CdaHeader(document, patient, refused);
    }

    /// <summary>Reads one element subtree, refusing nesting deeper than the limit.</summary>
    private static XElement ReadBounded(XmlReader xr, int maxDepth)
    {
        var root = new XElement(XName.Get(xr.LocalName, xr.NamespaceURI));
        using (var sub = xr.ReadSubtree())
        {
            sub.Read();
            CopyAttributes(sub, root);
            var stack = new Stack<XElement>();
            stack.Push(root);
            var empty = sub.IsEmptyElement;
            while (!empty && sub.Read())
            {
                switch (sub.NodeType)
                {
                    case XmlNodeType.Element:
                        if (xr.Depth > maxDepth)
                        {
                            throw new CdaFormatException($"The document nests elements deeper than {maxDepth} levels.");
                        }

                        var child = new XElement(XName.Get(sub.LocalName, sub.NamespaceURI));
                        var childEmpty = sub.IsEmptyElement;
                        CopyAttributes(sub, child);
                        stack.Peek().Add(child);
                        if (!childEmpty)
                        {
                            stack.Push(child);
                        }

                        break;
                    case XmlNodeType.EndElement:
                        stack.Pop();
                        break;
                    case XmlNodeType.Text or XmlNodeType.CDATA or XmlNodeType.SignificantWhitespace:
                        stack.Peek().Add(new XText(sub.Value));
                        break;
                }
            }
        }

        // Disposing the subtree reader leaves the outer reader on the subtree's end: step past it.
        xr.Read();
        return root;
    }

    private static void CopyAttributes(XmlReader r, XElement e)
    {
        if (r.MoveToFirstAttribute())
        {
            do
            {
                if (r.NamespaceURI != "http://www.w3.org/2000/xmlns/")
                {
                    e.SetAttributeValue(XName.Get(r.LocalName, r.NamespaceURI), r.Value);
                }
            }
            while (r.MoveToNextAttribute());
            r.MoveToElement();
        }
    }

    private static CdaId? Id(XElement? e)
    {
        var root = (string?)e?.Attribute("root");
        return string.IsNullOrWhiteSpace(root) ? null : new CdaId(root.Trim(), NullIfBlank((string?)e!.Attribute("extension")));
    }

    private static CdaCode? Code(XElement? e)
    {
        var code = (string?)e?.Attribute("code");
        return code is null ? null : new CdaCode(code, (string?)e!.Attribute("codeSystem"), (string?)e.Attribute("displayName"));
    }

    private static CdaDocumentMetadata? ReadMetadata(Dictionary<string, List<XElement>> h, List<CdaReadIssue> refused)
    {
        XElement? One(string name) => h.GetValueOrDefault(name)?.FirstOrDefault();
        var id = Id(One("id"));
        var code = Code(One("code"));
        var effective = (string?)One("effectiveTime")?.Attribute("value");
        var confidentiality = Code(One("confidentialityCode"));
        if (id is null)
        {
            refused.Add(new CdaReadIssue("ClinicalDocument/id", "required", "The document has no id."));
        }

        if (code is null)
        {
            refused.Add(new CdaReadIssue("ClinicalDocument/code", "required", "The document has no type code."));
        }

        if (effective is null || !CdaTime.TryParse(effective, out _))
        {
            refused.Add(new CdaReadIssue("ClinicalDocument/effectiveTime/@value", "timestamp", "The effective time is missing or not an HL7 timestamp."));
        }

        if (confidentiality is null)
        {
            refused.Add(new CdaReadIssue("ClinicalDocument/confidentialityCode", "required", "The document has no confidentiality code."));
        }

        int? version = null;
        if ((string?)One("versionNumber")?.Attribute("value") is { } v)
        {
            if (int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                version = n;
            }
            else
            {
                refused.Add(new CdaReadIssue("ClinicalDocument/versionNumber/@value", "integer", "The version number is not a positive integer."));
            }
        }

        var authors = (h.GetValueOrDefault("author") ?? []).Select(a =>
        {
            var assigned = a.Element(V3 + "assignedAuthor");
            var person = assigned?.Element(V3 + "assignedPerson")?.Element(V3 + "name");
            var org = assigned?.Element(V3 + "representedOrganization");
            return new CdaAuthor(
                (string?)a.Element(V3 + "time")?.Attribute("value"),
                Id(assigned?.Element(V3 + "id")),
                NullIfBlank(person?.Element(V3 + "family")?.Value),
                NullIfBlank(person?.Element(V3 + "given")?.Value),
                Id(org?.Element(V3 + "id")),
                NullIfBlank(org?.Element(V3 + "name")?.Value));
        }).ToArray();
        var custodian = One("custodian")?.Element(V3 + "assignedCustodian")?.Element(V3 + "representedCustodianOrganization");

        if (id is null || code is null || effective is null || confidentiality is null)
        {
            return null;
        }

        return new CdaDocumentMetadata
        {
            Id = id,
            Code = code,
            Title = NullIfBlank(One("title")?.Value),
            EffectiveTime = effective,
            Confidentiality = confidentiality,
            LanguageCode = (string?)One("languageCode")?.Attribute("code"),
            SetId = Id(One("setId")),
            VersionNumber = version,
            Authors = authors,
            Custodian = Id(custodian?.Element(V3 + "id")),
            CustodianName = NullIfBlank(custodian?.Element(V3 + "name")?.Value),
        };
    }

    private static CdaPatient ReadPatient(XElement? recordTarget, CdaReadOptions options)
    {
        var refused = new List<CdaReadIssue>();
        var notes = new List<CdaReadIssue>();
        var role = recordTarget?.Element(V3 + "patientRole");
        if (role is null)
        {
            refused.Add(new CdaReadIssue("ClinicalDocument/recordTarget/patientRole", "required", "The document has no patientRole."));
            return new CdaPatient { Refused = refused };
        }

        const string rolePath = "recordTarget/patientRole";
        var insCandidates = new List<(InsIdentifier Ins, string Path)>();
        var locals = new List<CdaId>();
        var ids = role.Elements(V3 + "id").ToArray();
        for (var i = 0; i < ids.Length; i++)
        {
            var at = $"{rolePath}/id[{i + 1}]";
            var root = (string?)ids[i].Attribute("root");
            var extension = (string?)ids[i].Attribute("extension");
            if (ids[i].Attribute("nullFlavor") is not null || string.IsNullOrWhiteSpace(root))
            {
                notes.Add(new CdaReadIssue(at, "id-null-flavor", "An id without root (nullFlavor) is ignored."));
                continue;
            }

            if (!InsOids.TryGetKind(root.Trim(), out _))
            {
                locals.Add(new CdaId(root.Trim(), NullIfBlank(extension)));
                continue;
            }

            if (!InsIdentifier.TryCreate(extension ?? string.Empty, root.Trim(), options.InsPolicy, out var ins, out var error))
            {
                var isOid = error.StartsWith("oid", StringComparison.Ordinal);
                refused.Add(new CdaReadIssue(at + (isOid ? "/@root" : "/@extension"), isOid ? "ins-oid-policy" : "ins-matricule", error));
                continue;
            }

            insCandidates.Add((ins, at));
        }

        InsIdentifier? active = null;
        var distinct = insCandidates.DistinctBy(c => c.Ins).ToArray();
        if (distinct.Length == 1)
        {
            active = distinct[0].Ins;
        }
        else if (distinct.Length == 2 && distinct.Count(c => c.Ins.Kind == InsOidKind.Nia) == 1)
        {
            active = distinct.Single(c => c.Ins.Kind != InsOidKind.Nia).Ins;
            notes.Add(new CdaReadIssue(distinct.Single(c => c.Ins.Kind == InsOidKind.Nia).Path, "nia-superseded", "Both a NIA and a NIR were sent: the NIR is the INS."));
        }
        else
        {
            foreach (var c in distinct.Where(_ => distinct.Length > 1))
            {
                refused.Add(new CdaReadIssue(c.Path, "ins-ambiguous", $"{distinct.Length} different INS were sent; none is kept."));
            }
        }

        var traits = ReadTraits(role.Element(V3 + "patient"), $"{rolePath}/patient", refused, notes);
        return new CdaPatient { Traits = traits, Ins = active, LocalIds = locals, Refused = refused, Notes = notes };
    }

    private static IdentityTraits? ReadTraits(XElement? patient, string at, List<CdaReadIssue> refused, List<CdaReadIssue> notes)
    {
        if (patient is null)
        {
            refused.Add(new CdaReadIssue(at, "required", "patientRole has no patient."));
            return null;
        }

        string? birthName = null;
        string? plainFamily = null;
        string? usedName = null;
        string? firstFirstName = null;
        string? usedFirstName = null;
        var firstNames = new List<string>();
        foreach (var name in patient.Elements(V3 + "name"))
        {
            foreach (var part in name.Elements())
            {
                var qualifier = ((string?)part.Attribute("qualifier"))?.Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [];
                var value = NullIfBlank(part.Value)?.Trim();
                if (value is null)
                {
                    continue;
                }

                switch (part.Name.LocalName)
                {
                    case "family" when qualifier.Contains("BR"):
                        birthName ??= value;
                        break;
                    case "family" when qualifier.Contains("CL") || qualifier.Contains("SP"):
                        usedName ??= value;
                        break;
                    case "family":
                        plainFamily ??= value;
                        break;
                    case "given" when qualifier.Contains("BR"):
                        firstFirstName ??= value;
                        break;
                    case "given" when qualifier.Contains("CL"):
                        usedFirstName ??= value;
                        break;
                    case "given":
                        firstNames.AddRange(value.Split(' ', StringSplitOptions.RemoveEmptyEntries));
                        break;
                }
            }
        }

        if (birthName is null && plainFamily is not null)
        {
            birthName = plainFamily;
            notes.Add(new CdaReadIssue(at + "/name/family", "family-without-qualifier", "No family@qualifier=BR: the family name without qualifier is read as the birth name."));
        }

        if (firstFirstName is not null && firstNames.Count > 0 && !IdentityTraits.IsConsistentFirstFirstName(firstFirstName, firstNames))
        {
            // Some CI-SIS examples list only the other first names without qualifier (given BR=RUTH, given=ISABELLE).
            firstNames.Insert(0, firstFirstName);
            notes.Add(new CdaReadIssue(at + "/name/given", "first-names-without-first", "The given names without qualifier do not start with the first first-name: it is put first."));
        }

        if (firstFirstName is null && firstNames.Count > 0)
        {
            firstFirstName = firstNames[0];
            notes.Add(new CdaReadIssue(at + "/name/given", "first-given-without-qualifier", "No given@qualifier=BR: the first birth first name is read as the first first-name."));
        }
        else if (firstNames.Count == 0 && firstFirstName is not null)
        {
            notes.Add(new CdaReadIssue(at + "/name/given", "birth-first-names-missing", "No given without qualifier: the birth first-name list is unknown."));
        }

        var sex = ((string?)patient.Element(V3 + "administrativeGenderCode")?.Attribute("code")) switch
        {
            "F" => Sex.Female,
            "M" => Sex.Male,
            _ => Sex.Unknown,
        };

        BirthDate? birthDate = null;
        var ts = (string?)patient.Element(V3 + "birthTime")?.Attribute("value");
        if (ts is null)
        {
            refused.Add(new CdaReadIssue(at + "/birthTime/@value", "required", "No birth date."));
        }
        else
        {
            var iso = ts.Length switch
            {
                4 => ts,
                6 => $"{ts[..4]}-{ts[4..6]}",
                >= 8 => $"{ts[..4]}-{ts[4..6]}-{ts[6..8]}",
                _ => ts,
            };
            if (BirthDate.TryParseIso(iso, out var bd, out var error))
            {
                birthDate = bd;
            }
            else
            {
                refused.Add(new CdaReadIssue(at + "/birthTime/@value", "birth-date", error!));
            }
        }

        string? cog = null;
        var addr = patient.Element(V3 + "birthplace")?.Element(V3 + "place")?.Element(V3 + "addr");
        if (addr is not null)
        {
            var county = NullIfBlank(addr.Element(V3 + "county")?.Value)?.Trim().ToUpperInvariant();
            var country = NullIfBlank(addr.Element(V3 + "country")?.Value)?.Trim().ToUpperInvariant();
            if (county is not null && BirthPlaceCog.IsValid(county))
            {
                cog = county;
            }
            else if (county is not null)
            {
                refused.Add(new CdaReadIssue(at + "/birthplace/place/addr/county", "cog-format", "An INSEE COG code has 5 characters: 2 digits or 2A/2B, then 3 digits."));
            }
            else if (country is not null && BirthPlaceCog.IsAbroad(country))
            {
                cog = country;
            }
        }

        if (cog == "99999")
        {
            notes.Add(new CdaReadIssue(at + "/birthplace", "birth-place-unknown", "COG 99999 (unknown place) read as an unknown birth place."));
            cog = null;
        }

        if (birthName is null)
        {
            refused.Add(new CdaReadIssue(at + "/name/family", "required", "No birth name."));
        }

        if (birthName is null || birthDate is null)
        {
            return null;
        }

        var traits = IdentityTraits.Create(birthName, firstNames, firstFirstName, sex, birthDate.Value, cog, usedName, usedFirstName);
        if (!traits.IsValid)
        {
            foreach (var e in traits.Errors)
            {
                var path = e.Field switch
                {
                    nameof(IdentityTraits.BirthName) => "/name/family[@qualifier='BR']",
                    nameof(IdentityTraits.FirstFirstName) => "/name/given[@qualifier='BR']",
                    nameof(IdentityTraits.BirthFirstNames) => "/name/given",
                    nameof(IdentityTraits.UsedName) => "/name/family[@qualifier='CL']",
                    nameof(IdentityTraits.UsedFirstName) => "/name/given[@qualifier='CL']",
                    _ => string.Empty,
                };
                refused.Add(new CdaReadIssue(at + path, e.Rule, e.Message));
            }

            return null;
        }

        return traits.Value;
    }

    private static string? NullIfBlank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;
}
