using CsCheck;
using SanteGateway.Identity;
using SanteGateway.Interop.Fhir.Validation;
using SanteGateway.Interop.Testing;

namespace SanteGateway.Interop.Fhir.Tests;

public sealed class FrCoreProfileValidationTests(FrCoreValidatorFixture fixture)
{
    public static IEnumerable<TheoryDataRow<string>> Labels => TestIdentities.Labels;

    private FhirValidationReport Validate(FhirWriteResult written)
    {
        // Through JSON, as a partner would receive it.
        var parsed = FhirFormats.ParseJson<Hl7.Fhir.Model.Patient>(FhirFormats.ToJson(written.Patient));
        parsed.Issues.Should().BeEmpty();
        return fixture.Validator.Validate(parsed.Resource, written.Profile);
    }

    [Theory]
    [MemberData(nameof(Labels))]
    public void Every_patient_we_write_validates_against_FR_Core_with_zero_errors(string label)
    {
        var person = TestIdentities.Get(label);
        foreach (var partner in new[] { FhirPartnerProfile.FrCore21, FhirPartnerProfile.FrCoreRniv })
        {
            foreach (var status in Enum.GetValues<IdentityStatus>())
            {
                var identity = TestIdentities.At(person, status, usedName: "MARTIN", usedFirstName: "JO");
                var written = FrCorePatientWriter.Write(
                    new FhirPatientSource(identity) { Id = "id-1", LocalIdentifiers = [new LocalIdentifier("1.2.250.1.71.4.2.7", "000003")] },
                    partner);

                var report = Validate(written);

                report.Errors.Should().BeEmpty($"{partner.Dialect} {status}: {string.Join(" | ", report.Errors)}");
            }
        }
    }

    [Fact]
    public void A_qualified_patient_claims_the_INS_profile_and_others_the_base_profile()
    {
        var person = TestIdentities.All[0];

        FrCorePatientWriter.Write(new FhirPatientSource(TestIdentities.At(person, IdentityStatus.Qual))).Profile.Should().Be(FrCore.PatientInsProfile);
        foreach (var status in new[] { IdentityStatus.Prov, IdentityStatus.Recup, IdentityStatus.Vali })
        {
            var written = FrCorePatientWriter.Write(new FhirPatientSource(TestIdentities.At(person, status)));
            written.Profile.Should().Be(FrCore.PatientProfile);
            written.Patient.Identifier.Where(i => InsOids.TryGetKind(i.System, out var _)).Should().BeEmpty($"a {status} identity never carries the INS");
        }
    }

    [Fact]
    public void Merged_doubtful_and_homonym_identities_validate_too()
    {
        var person = TestIdentities.All[3];
        var merged = FrCorePatientWriter.Write(new FhirPatientSource(TestIdentities.At(person, IdentityStatus.Qual)) { ReplacedById = "survivor" });
        var doubtful = FrCorePatientWriter.Write(new FhirPatientSource(TestIdentities.At(person, IdentityStatus.Prov, attributes: IdentityAttributes.Doubtful | IdentityAttributes.Homonym)));
        var fictitious = FrCorePatientWriter.Write(new FhirPatientSource(TestIdentities.At(person, IdentityStatus.Prov, attributes: IdentityAttributes.Fictitious)), FhirPartnerProfile.FrCoreRniv);

        foreach (var written in new[] { merged, doubtful, fictitious })
        {
            Validate(written).Errors.Should().BeEmpty();
        }
    }

    [Fact]
    public void Random_valid_identities_validate_with_zero_errors()
    {
        FrCorePatientRoundTripTests.GenIdentity.Sample(identity =>
        {
            var written = FrCorePatientWriter.Write(new FhirPatientSource(identity), FhirPartnerProfile.FrCore21);
            var report = Validate(written);
            report.Errors.Should().BeEmpty(string.Join(" | ", report.Errors));
        }, iter: 40, threads: 1);
    }

    [Fact]
    public void A_broken_INS_patient_is_caught_by_the_validator()
    {
        // The validator must be able to fail: an INS patient without birth date or birth place breaks fr-core-patient-ins.
        var written = FrCorePatientWriter.Write(new FhirPatientSource(TestIdentities.At(TestIdentities.All[0], IdentityStatus.Qual)));
        written.Patient.BirthDate = null;
        written.Patient.Extension.RemoveAll(e => e.Url == FrCore.BirthPlace);

        var report = fixture.Validator.Validate(written.Patient, FrCore.PatientInsProfile);

        report.Errors.Should().NotBeEmpty();
        report.Errors.Should().Contain(e => e.Location.Contains("Patient", StringComparison.Ordinal));
    }

    [Fact]
    public void Evidence_the_INS_profile_does_not_allow_is_left_out_and_reported()
    {
        var traits = TestIdentities.Traits(TestIdentities.All[0]);
        var identity = RnivIdentity.Restore(traits, IdentityStatus.Qual, IdentityAttributes.None, TestIdentities.Ins(TestIdentities.All[0].Matricule, InsOids.Nir), [],
            new Evidence(DocumentTypes.ResidencePermit, new DateOnly(2025, 1, 2), new DateOnly(2030, 1, 1)), CollectionChannel.AV, null).Value!;

        var written = FrCorePatientWriter.Write(new FhirPatientSource(identity));

        written.Omissions.Should().HaveCount(3); // AV channel, CS document type, expiry date
        Validate(written).Errors.Should().BeEmpty();
    }

    [Fact]
    public void The_validator_reports_which_versioned_extensions_it_resolved_from_the_R4_core()
    {
        Validate(FrCorePatientWriter.Write(new FhirPatientSource(TestIdentities.At(TestIdentities.All[0], IdentityStatus.Qual))));

        fixture.Validator.Substitutions.Should().Contain("http://hl7.org/fhir/StructureDefinition/patient-birthPlace|5.2.0");
    }
}
