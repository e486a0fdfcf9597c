using System.Globalization;
using System.Security.Cryptography;
using Hl7.Fhir.Model;

namespace SanteGateway.Documents.Fhir;

/// <summary>Builds the PDSm resources: the ITI-65 provide document bundle of one document.</summary>
public static class PdsmBundles
{
    /// <summary>
    /// The ITI-65 <c>transaction</c> Bundle (profile <c>pdsm-comprehensive-provide-document-bundle</c>): one
    /// SubmissionSet <c>List</c>, one <c>DocumentReference</c> and the <c>Binary</c> its attachment points to
    /// (<c>urn:uuid:</c> full URLs). The patient is the conditional reference on the INS (PDSm4DMP); the source patient,
    /// the author (a <c>PractitionerRole</c> with its <c>Practitioner</c> and <c>Organization</c>, the annuaire's
    /// <c>as-practitionerrole</c> shape), the authenticator (see <see cref="PdsmDocument.LegalAuthenticator"/>) and the
    /// custodian are contained.
    /// </summary>
    /// <param name="d">The document and its metadata.</param>
    /// <returns>The bundle.</returns>
    public static Bundle Provide(PdsmDocument d)
    {
        ArgumentNullException.ThrowIfNull(d);
        var listUrl = "urn:uuid:" + Guid.NewGuid().ToString("D");
        var docUrl = d.EntryUuid is { } entryUuid && entryUuid.StartsWith("urn:uuid:", StringComparison.Ordinal) ? entryUuid : "urn:uuid:" + Guid.NewGuid().ToString("D");
        var binaryUrl = "urn:uuid:" + Guid.NewGuid().ToString("D");
        var content = d.Content.ToArray();
        var subject = new ResourceReference($"Patient?identifier=urn:oid:{d.InsOid}|{d.InsValue}");

        var docRef = Reference(d, Pdsm.DocumentReferenceProfile, docUrl, subject);
        docRef.Content[0].Attachment.Url = binaryUrl;
        var list = new List
        {
            Meta = new Meta { Profile = [Pdsm.SubmissionSetProfile] },
            Contained = [SourcePatient(d), .. Role(d.Authors[0], "author")],
            Extension =
            [
                new Extension(Pdsm.DesignationTypeExtension, Concept(d.ContentTypeCode)),
                new Extension(Pdsm.SourceIdExtension, new Identifier(Pdsm.UriSystem, "urn:oid:" + d.SourceId)),
                new Extension(Pdsm.SourcePatientIdExtension, new ResourceReference("#source-patient")),
            ],
            Identifier =
            [
                new Identifier(Pdsm.UriSystem, "urn:oid:" + d.SubmissionSetUniqueId) { Use = Identifier.IdentifierUse.Usual },
                new Identifier(Pdsm.UriSystem, listUrl) { Use = Identifier.IdentifierUse.Official },
            ],
            Status = List.ListStatus.Current,
            Mode = ListMode.Working,
            Code = new CodeableConcept(Pdsm.ListTypes, "submissionset"),
            Subject = subject,
            DateElement = new FhirDateTime(d.SubmissionTime),
            Source = new ResourceReference("#author"),
            Entry = [new List.EntryComponent { Item = new ResourceReference(docUrl) }],
        };

        var binary = new Binary { ContentType = d.MimeType, Data = content };
        return new Bundle
        {
            Meta = new Meta { Profile = [Pdsm.ProvideBundleProfile] },
            Type = Bundle.BundleType.Transaction,
            Entry =
            [
                Entry(listUrl, list, "List"),
                Entry(docUrl, docRef, "DocumentReference"),
                Entry(binaryUrl, binary, "Binary"),
            ],
        };
    }

    /// <summary>
    /// The ITI-105 simplified publish resource (profile <c>pdsm-simplified-publish</c>, <c>POST [base]/DocumentReference</c>):
    /// the same metadata as the ITI-65 DocumentReference with the document itself in <c>content.attachment.data</c>; the
    /// document-sharing manager makes the submission set.
    /// </summary>
    /// <param name="d">The document and its metadata.</param>
    /// <returns>The DocumentReference.</returns>
    public static DocumentReference SimplifiedPublish(PdsmDocument d)
    {
        ArgumentNullException.ThrowIfNull(d);
        var docUrl = d.EntryUuid is { } entryUuid && entryUuid.StartsWith("urn:uuid:", StringComparison.Ordinal) ? entryUuid : "urn:uuid:" + Guid.NewGuid().ToString("D");
        var docRef = Reference(d, Pdsm.SimplifiedPublishProfile, docUrl, new ResourceReference($"Patient?identifier=urn:oid:{d.InsOid}|{d.InsValue}"));
        docRef.Content[0].Attachment.Data = d.Content.ToArray();
        // pdsm-simplified-publish forbids identifier (0..0): the manager assigns the entry's id.
        docRef.Identifier = [];
        return docRef;
    }

    private static DocumentReference Reference(PdsmDocument d, string profile, string docUrl, ResourceReference subject)
    {
        var content = d.Content.Span;
        List<Resource> contained = [SourcePatient(d), .. Role(d.Authors[0], "author"), Custodian(d)];
        var authenticator = Authenticator(d, contained);
        var docRef = new DocumentReference
        {
            Meta = new Meta { Profile = [profile] },
            Contained = contained,
            MasterIdentifier = MasterIdentifier(d.UniqueId),
            Identifier = [new Identifier(Pdsm.UriSystem, docUrl) { Use = Identifier.IdentifierUse.Official }],
            Status = DocumentReferenceStatus.Current,
            Type = Concept(d.TypeCode),
            Category = [Concept(d.ClassCode)],
            Subject = subject,
            Date = d.SubmissionTime,
            Author = [new ResourceReference("#author")],
            Authenticator = authenticator,
            Custodian = new ResourceReference("#custodian"),
            SecurityLabel = [Concept(d.ConfidentialityCode)],
            Content =
            [
                new DocumentReference.ContentComponent
                {
                    Attachment = new Attachment
                    {
                        ContentType = d.MimeType,
                        Language = d.LanguageCode,
                        Size = content.Length,
                        Hash = SHA1.HashData(content),
                        Title = d.Title,
                        CreationElement = new FhirDateTime(d.CreationTime),
                    },
                    Format = Coding(d.FormatCode),
                },
            ],
            Context = new DocumentReference.ContextComponent
            {
                Period = new Period { StartElement = new FhirDateTime(d.ServiceStartTime ?? d.CreationTime) },
                FacilityType = Concept(d.FacilityTypeCode),
                PracticeSetting = Concept(d.PracticeSettingCode),
                SourcePatientInfo = new ResourceReference("#source-patient"),
            },
        };
        if (d.ReplacesId is { } replaced)
        {
            docRef.RelatesTo = [new DocumentReference.RelatesToComponent { Code = DocumentRelationshipType.Replaces, Target = new ResourceReference("DocumentReference/" + replaced) }];
        }

        return docRef;
    }

    /// <summary>The masterIdentifier of an XDS uniqueId (see <see cref="Pdsm.MasterIdentifier"/>).</summary>
    /// <param name="uniqueId">uniqueId.</param>
    /// <returns>The identifier.</returns>
    public static Identifier MasterIdentifier(string uniqueId)
    {
        var (system, value) = Pdsm.MasterIdentifier(uniqueId);
        return new Identifier(system, value);
    }

    private static Bundle.EntryComponent Entry(string fullUrl, Resource resource, string type) => new()
    {
        FullUrl = fullUrl,
        Resource = resource,
        Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = type },
    };

    /// <summary>
    /// The source patient (the sourcePatientInfo, FR Core Patient): the IPP typed <c>PI</c> (use usual), or the INS typed
    /// with its FR Core identifier type (use official) when there is no IPP. FR Core slices identifiers on their type.
    /// </summary>
    private static Patient SourcePatient(PdsmDocument d) => new()
    {
        Id = "source-patient",
        Identifier = [d.SourcePatientValue is { Length: > 0 } ipp && d.SourcePatientOid is { Length: > 0 } oid
            ? new Identifier("urn:oid:" + oid, ipp) { Use = Identifier.IdentifierUse.Usual, Type = new CodeableConcept("http://terminology.hl7.org/CodeSystem/v2-0203", "PI") }
            : new Identifier("urn:oid:" + d.InsOid, d.InsValue) { Use = Identifier.IdentifierUse.Official, Type = InsType(d.InsOid) }],
    };

    /// <summary>The FR Core identifier type of an INS by its OID (<c>INS-NIR</c>, <c>INS-NIA</c>, <c>INS-NIR-TEST</c>, <c>INS-NIR-DEMO</c>).</summary>
    private static CodeableConcept? InsType(string oid) => (oid switch
    {
        "1.2.250.1.213.1.4.8" => "INS-NIR",
        "1.2.250.1.213.1.4.9" => "INS-NIA",
        "1.2.250.1.213.1.4.10" => "INS-NIR-TEST",
        "1.2.250.1.213.1.4.11" => "INS-NIR-DEMO",
        _ => null,
    }) is { } code ? new CodeableConcept("https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203", code) : null;

    /// <summary>
    /// A professional acting for a structure, as PDSm references authors and authenticators (annuaire
    /// <c>as-practitionerrole</c>, contained): the <c>PractitionerRole</c> <paramref name="id"/>, pointing at the contained
    /// <c>Practitioner</c> (idNat_PS, name) and <c>Organization</c> (structure id, name) when they are known.
    /// </summary>
    private static IEnumerable<Resource> Role(PdsmAuthor a, string id)
    {
        var role = new PractitionerRole { Id = id };
        var person = PersonOf(a, id + "-practitioner");
        var organization = OrganizationOf(a, id + "-organization");
        if (person is not null)
        {
            role.Practitioner = new ResourceReference("#" + person.Id);
        }

        if (organization is not null)
        {
            role.Organization = new ResourceReference("#" + organization.Id);
        }

        yield return role;
        if (person is not null)
        {
            yield return person;
        }

        if (organization is not null)
        {
            yield return organization;
        }
    }

    /// <summary>
    /// <c>DocumentReference.authenticator</c> from the legal authenticator: the author's role when it is the same person,
    /// else a contained role (or the contained organisation alone when no person is named), added to
    /// <paramref name="contained"/>; null without a legal authenticator.
    /// </summary>
    private static ResourceReference? Authenticator(PdsmDocument d, List<Resource> contained)
    {
        if (d.LegalAuthenticator is not { } legal)
        {
            return null;
        }

        var author = d.Authors[0];
        if (legal.Id is { Length: > 0 } && legal.Id == author.Id && (legal.IdSystem ?? string.Empty) == (author.IdSystem ?? string.Empty)
            && (legal.InstitutionId is null || legal.InstitutionId == author.InstitutionId))
        {
            return new ResourceReference("#author");
        }

        if (PersonOf(legal, "authenticator-practitioner") is null)
        {
            if (OrganizationOf(legal, "authenticator") is not { } organization)
            {
                return null;
            }

            contained.Add(organization);
            return new ResourceReference("#authenticator");
        }

        contained.AddRange(Role(legal, "authenticator"));
        return new ResourceReference("#authenticator");
    }

    private static Practitioner? PersonOf(PdsmAuthor a, string id)
    {
        if (a.Id is not { Length: > 0 } && a.Family is null && a.Given is null)
        {
            return null;
        }

        var p = new Practitioner { Id = id };
        if (a.Id is { Length: > 0 } value)
        {
            p.Identifier.Add(new Identifier(a.IdSystem is { Length: > 0 } s ? "urn:oid:" + s : Pdsm.IdNatPs, value));
        }

        if (a.Family is not null || a.Given is not null)
        {
            p.Name.Add(new HumanName { Family = a.Family, Given = a.Given is null ? [] : [a.Given] });
        }

        return p;
    }

    private static Organization? OrganizationOf(PdsmAuthor a, string id)
    {
        if (a.InstitutionId is not { Length: > 0 } && a.InstitutionName is null)
        {
            return null;
        }

        var o = new Organization { Id = id, Name = a.InstitutionName };
        if (a.InstitutionId is { Length: > 0 } value)
        {
            o.Identifier.Add(StructureId(value));
        }

        return o;
    }

    private static Organization Custodian(PdsmDocument d)
    {
        var author = d.Authors[0];
        var o = new Organization { Id = "custodian", Name = d.CustodianName ?? author.InstitutionName };
        if ((d.CustodianId ?? author.InstitutionId) is { Length: > 0 } id)
        {
            o.Identifier.Add(StructureId(id));
        }

        return o;
    }

    /// <summary>A national structure id (idNat_Struct) as FR Core Organization slices it: type <c>IDNST</c>, use official.</summary>
    private static Identifier StructureId(string value) => new(Pdsm.IdNatStruct, value)
    {
        Use = Identifier.IdentifierUse.Official,
        Type = new CodeableConcept("https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203", "IDNST"),
    };

    private static Coding Coding(PdsmCode c) => new(Pdsm.System(c.System), c.Code, c.Display);

    private static CodeableConcept Concept(PdsmCode c) => new() { Coding = [Coding(c)] };

    /// <summary>FHIR instant text of a time (for search parameters).</summary>
    /// <param name="t">Time.</param>
    /// <returns>ISO 8601.</returns>
    internal static string Instant(DateTimeOffset t) => t.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);
}
