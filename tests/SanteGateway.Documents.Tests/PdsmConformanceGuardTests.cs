using Hl7.Fhir.Model;
using SanteGateway.Documents.Fhir;
using SanteGateway.Interop.Fhir.Validation;
using SanteGateway.Testing;

namespace SanteGateway.Documents.Tests;

/// <summary>
/// Guards of the PDSm conformance checks themselves: the official DocumentReference profiles really compile and refuse
/// what they must (a check that validates nothing fails here, not silently), and the MHD provide-bundle rules checked in
/// code refuse each broken bundle naming the rule and the place.
/// </summary>
public sealed class PdsmConformanceGuardTests(PdsmValidatorFixture profiles)
{
    private static Bundle NewBundle() => PdsmBundles.Provide(PdsmTests<SanteGateway.Store.Tests.SqliteTestDatabase>.Document(XdsClientTests.Cda()));

    /// <summary>The ITI-65 DocumentReference as it goes on the wire (<see cref="PdsmClient.ToJson"/> writes the R4
    /// <c>attachment.size</c> as the unsignedInt it is; Firely 6's in-memory POCO holds an integer64).</summary>
    private static DocumentReference DocRef(Bundle b) => Wire(b.Entry.Select(e => e.Resource).OfType<DocumentReference>().Single());

    private static T Wire<T>(T resource)
        where T : Resource => PdsmClient.Parse<T>(System.Text.Encoding.UTF8.GetBytes(PdsmClient.ToJson(resource)))!;

    [Fact]
    public void Without_the_stand_ins_the_official_profile_does_not_compile_and_the_fixture_says_so_instead_of_validating_nothing()
    {
        // The PDSm package alone, as published: its profiles derive from IHE MHD and target the annuaire, both absent.
        Exception? thrown = null;
        profiles.Exclusive(() =>
        {
            var bare = new FhirProfileValidator(new FhirValidatorOptions
            {
                DefinitionPaths =
                [
                    TestPaths.SharedFile("data", "fhir", "pdsm", "PDSm_3.1.1", "package.tgz"),
                    TestPaths.SharedFile("data", "fhir", "fr-core", "2.1.0", "package.tgz"),
                ],
            });
            thrown = Record.Exception(() => PdsmValidatorFixture.RequireCompiled(bare, Pdsm.DocumentReferenceProfile));
        });

        thrown.Should().BeOfType<InvalidOperationException>().Which.Message.Should().Contain($"{Pdsm.DocumentReferenceProfile} did not compile");
    }

    [Fact]
    public void The_ITI_65_DocumentReference_we_build_meets_the_official_profile()
    {
        profiles.Errors(DocRef(NewBundle()), Pdsm.DocumentReferenceProfile).Should().BeEmpty();
    }

    [Fact]
    public void The_authenticator_is_the_legal_authenticators_contained_role_the_authors_when_the_same_person_or_the_organisation_alone()
    {
        var d = PdsmTests<SanteGateway.Store.Tests.SqliteTestDatabase>.Document(XdsClientTests.Cda());

        var other = DocRef(PdsmBundles.Provide(d));
        var same = DocRef(PdsmBundles.Provide(d with { LegalAuthenticator = d.Authors[0] }));
        var organisation = DocRef(PdsmBundles.Provide(d with { LegalAuthenticator = new PdsmAuthor(null, null, null, null, "3750000001", "CABINET") }));

        other.Authenticator!.Reference.Should().Be("#authenticator");
        var role = other.Contained.OfType<PractitionerRole>().Should().ContainSingle(r => r.Id == "authenticator").Subject;
        role.Practitioner!.Reference.Should().Be("#authenticator-practitioner");
        role.Organization!.Reference.Should().Be("#authenticator-organization");
        other.Contained.OfType<Practitioner>().Single(p => p.Id == "authenticator-practitioner").Identifier.Should().ContainSingle()
            .Which.Value.Should().Be("810000000002");
        same.Authenticator!.Reference.Should().Be("#author");
        same.Contained.Should().NotContain(r => r.Id == "authenticator");
        organisation.Authenticator!.Reference.Should().Be("#authenticator");
        organisation.Contained.Single(r => r.Id == "authenticator").Should().BeOfType<Organization>();
        profiles.Errors(same, Pdsm.DocumentReferenceProfile).Should().BeEmpty();
        profiles.Errors(organisation, Pdsm.DocumentReferenceProfile).Should().BeEmpty();
    }

    [Fact]
    public void The_same_validator_refuses_a_DocumentReference_without_authenticator_naming_it()
    {
        var docRef = DocRef(NewBundle());
        docRef.Authenticator = null;

        profiles.Errors(docRef, Pdsm.DocumentReferenceProfile).Should().Contain(e => e.Contains("authenticator", StringComparison.Ordinal));
    }

    [Fact]
    public void The_same_validator_refuses_a_DocumentReference_without_subject_naming_it()
    {
        var docRef = DocRef(NewBundle());
        docRef.Subject = null;

        profiles.Errors(docRef, Pdsm.DocumentReferenceProfile).Should().Contain(e => e.Contains("subject", StringComparison.Ordinal));
    }

    [Fact]
    public void An_authenticator_that_is_not_a_professional_role_or_an_organisation_is_refused_by_the_official_profile()
    {
        var docRef = DocRef(NewBundle());
        // The source patient is contained too: a Patient is not among the annuaire targets PDSm allows.
        docRef.Authenticator = new ResourceReference("#source-patient");

        profiles.Errors(docRef, Pdsm.DocumentReferenceProfile).Should().NotBeEmpty();
    }

    [Fact]
    public void The_ITI_105_DocumentReference_we_build_meets_the_official_simplified_publish_profile_which_refuses_it_without_subject()
    {
        var published = Wire(PdsmBundles.SimplifiedPublish(PdsmTests<SanteGateway.Store.Tests.SqliteTestDatabase>.Document(XdsClientTests.Cda())));

        profiles.Errors(published, Pdsm.SimplifiedPublishProfile).Should().BeEmpty();
        published.Subject = null;
        profiles.Errors(published, Pdsm.SimplifiedPublishProfile).Should().Contain(e => e.Contains("subject", StringComparison.Ordinal));
    }

    [Fact]
    public void Only_prose_constraints_are_left_out_and_every_stand_in_is_a_declared_one()
    {
        var validator = profiles.Validator;

        // The PDSm constraints with no FHIRPath expression are all the "constr-" ones of the ANS profiles.
        profiles.Dropped.Should().NotBeEmpty().And.OnlyContain(d => d.Key.StartsWith("constr-", StringComparison.Ordinal));
        profiles.Dropped.Where(d => d.Profile == "pdsm-comprehensive-document-reference").Should().HaveCount(11);
        // The validator's own version fallbacks stay the core extensions FR Core points at (hl7.fhir.uv.extensions.r4).
        validator.Substitutions.Should().OnlyContain(s => s.StartsWith("http://hl7.org/fhir/StructureDefinition/", StringComparison.Ordinal));
        PdsmValidatorFixture.Substitutions.Select(s => s.Missing).Should().OnlyHaveUniqueItems();
    }

    [Fact]
    public void The_bundle_we_send_meets_the_MHD_provide_bundle_rules()
    {
        PdsmProvideBundleRules.Check(NewBundle()).Should().BeEmpty();
    }

    public static TheoryData<string, string, string> Breakages { get; } = new()
    {
        { "batch", "mhd-transaction", "Bundle.type" },
        { "no-submissionset", "mhd-submissionset", "Bundle.entry" },
        { "two-submissionsets", "mhd-submissionset", "Bundle.entry" },
        { "no-source-id", "mhd-submissionset", "Bundle.entry[0].resource.extension" },
        { "no-designation-type", "mhd-submissionset", "Bundle.entry[0].resource.extension" },
        { "no-set-subject", "mhd-submissionset", "Bundle.entry[0].resource.subject" },
        { "set-mode-snapshot", "mhd-submissionset", "Bundle.entry[0].resource.mode" },
        { "unlisted-document", "mhd-submissionset-entries", "Bundle.entry[0].resource.entry" },
        { "unpaired-binary", "mhd-binary-pairing", "Bundle.entry[1].resource.content[0].attachment.url" },
        { "no-binary", "mhd-binary-pairing", "Bundle.entry[1].resource.content[0].attachment.url" },
        { "put-document", "mhd-entry", "Bundle.entry[1].request" },
        { "no-full-url", "mhd-entry", "Bundle.entry[2].fullUrl" },
        { "other-patient", "mhd-same-patient", "Bundle.entry[1].resource.subject" },
    };

    [Theory]
    [MemberData(nameof(Breakages))]
    public void A_bundle_breaking_an_MHD_rule_is_refused_naming_the_rule_and_the_place(string breakage, string rule, string location)
    {
        var b = NewBundle();
        var set = (List)b.Entry[0].Resource!;
        var doc = b.Entry.Select(e => e.Resource).OfType<DocumentReference>().Single();
        switch (breakage)
        {
            case "batch":
                b.Type = Hl7.Fhir.Model.Bundle.BundleType.Batch;
                break;
            case "no-submissionset":
                b.Entry.RemoveAt(0);
                break;
            case "two-submissionsets":
                b.Entry.Add(new Hl7.Fhir.Model.Bundle.EntryComponent { FullUrl = "urn:uuid:" + Guid.NewGuid(), Resource = (List)set.DeepCopy(), Request = b.Entry[0].Request });
                break;
            case "no-source-id":
                set.RemoveExtension(Pdsm.SourceIdExtension);
                break;
            case "no-designation-type":
                set.RemoveExtension(Pdsm.DesignationTypeExtension);
                break;
            case "no-set-subject":
                set.Subject = null;
                break;
            case "set-mode-snapshot":
                set.Mode = ListMode.Snapshot;
                break;
            case "unlisted-document":
                set.Entry.Clear();
                break;
            case "unpaired-binary":
                doc.Content[0].Attachment.Url = "urn:uuid:" + Guid.NewGuid();
                break;
            case "no-binary":
                b.Entry.RemoveAt(2);
                break;
            case "put-document":
                b.Entry[1].Request!.Method = Hl7.Fhir.Model.Bundle.HTTPVerb.PUT;
                break;
            case "no-full-url":
                b.Entry[2].FullUrl = null;
                break;
            case "other-patient":
                doc.Subject = new ResourceReference("Patient?identifier=urn:oid:1.2.250.1.213.1.4.10|279035121518989x");
                break;
        }

        var found = PdsmProvideBundleRules.Check(b);

        found.Should().Contain(v => v.Rule == rule && v.Location == location, string.Join("; ", found));
    }
}
