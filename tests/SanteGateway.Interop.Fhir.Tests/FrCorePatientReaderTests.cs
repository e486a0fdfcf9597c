using Hl7.Fhir.Model;
using SanteGateway.Identity;
using SanteGateway.Interop.Testing;
using SanteGateway.Testing;

namespace SanteGateway.Interop.Fhir.Tests;

public sealed class FrCorePatientReaderTests
{
    /// <summary>Every shared JSON file holding a Patient: alone, in a Bundle or contained.</summary>
    public static IEnumerable<TheoryDataRow<string>> OfficialPatientExamples =>
        Directory.EnumerateFiles(TestPaths.SharedFile("data", "fhir"), "*.json", SearchOption.AllDirectories)
            .Where(f => PatientsIn(f).Any())
            .Order(StringComparer.Ordinal)
            .Select(f => new TheoryDataRow<string>(Path.GetRelativePath(TestPaths.SharedFile("data", "fhir"), f)));

    private static IEnumerable<Patient> PatientsIn(string file)
    {
        var text = File.ReadAllText(file);
        if (!text.Contains("\"Patient\"", StringComparison.Ordinal))
        {
            return [];
        }

        Resource root;
        try
        {
            root = FhirFormats.ParseJson<Resource>(text).Resource;
        }
        catch (FhirFormatException)
        {
            return []; // StructureDefinitions and logical models are not resources with patients
        }

        var all = new List<Resource> { root };
        if (root is Bundle bundle)
        {
            all.AddRange(bundle.Entry.Select(e => e.Resource).Where(r => r is not null)!);
        }

        all.AddRange(all.OfType<DomainResource>().SelectMany(r => r.Contained).ToArray());
        return all.OfType<Patient>().ToArray();
    }

    private static FhirPatientReadResult ReadShared(string relative) =>
        FrCorePatientText.Read(File.ReadAllText(Path.Combine(TestPaths.SharedFile("data", "fhir"), relative)));

    [Fact]
    public void The_shared_folder_holds_the_three_official_patient_examples()
    {
        OfficialPatientExamples.Select(r => r.Data).Should().Contain(
            "fr-core/2.2.0/examples/Patient-FRCorePatientExample.json",
            "fr-core/2.1.0/Patient-ExampleFRCorePatient001.json",
            "pdsm/PDSm_3.1.1/Patient-fr-patient-123.json");
    }

    [Theory]
    [MemberData(nameof(OfficialPatientExamples))]
    public void Every_official_patient_example_is_read_into_traits(string relative)
    {
        var patients = PatientsIn(Path.Combine(TestPaths.SharedFile("data", "fhir"), relative));

        foreach (var patient in patients)
        {
            var read = FrCorePatientReader.Read(patient);
            if (patient.Name.Count > 0 && patient.BirthDate is not null)
            {
                read.Traits.Should().NotBeNull($"{relative} {patient.Id}: {string.Join(" | ", read.Refused)}");
            }
            else
            {
                // PDSm sourcePatientId patients carry identifiers only: the reader says precisely what is missing.
                read.Traits.Should().BeNull();
                read.Refused.Should().Contain(r => r.Rule == "official-name-required" || (r.Path == "Patient.birthDate" && r.Rule == "required"));
            }
        }
    }

    [Theory]
    [InlineData("fr-core/2.2.0/examples/Patient-FRCorePatientExample.json")]
    [InlineData("fr-core/2.1.0/Patient-ExampleFRCorePatient001.json")]
    public void The_FR_Core_INS_examples_give_Pierre_Durand_and_their_INS_is_refused_for_its_wrong_key(string relative)
    {
        var read = ReadShared(relative);

        read.Traits!.BirthName.Should().Be("Durand");
        read.Traits.FirstFirstName.Should().Be("Pierre");
        read.Traits.BirthFirstNames.Should().Equal("Pierre", "Yves");
        read.Traits.Sex.Should().Be(Sex.Male);
        read.Traits.BirthDate.Should().Be(new BirthDate(new DateOnly(1974, 12, 25), false));
        read.Traits.BirthPlaceCog.Should().Be("01006");
        read.StatusCode.Should().Be("VALI");
        read.Active.Should().BeTrue();

        // 123456789012244: the key of 1234567890122 is 12, not 44 (the official example is not a valid INS).
        read.Ins.Should().BeNull();
        read.Refused.Should().ContainSingle(r => r.Path == "Patient.identifier[0].value" && r.Rule == "ins-matricule");
        read.Status.Should().Be(IdentityStatus.Vali);
    }

    [Fact]
    public void The_PDSm_patient_without_status_or_birth_place_is_read_with_notes()
    {
        var read = ReadShared("pdsm/PDSm_3.1.1/Patient-fr-patient-123.json");

        read.Traits!.BirthName.Should().Be("Claire");
        read.Traits.FirstFirstName.Should().Be("Martin");
        read.Traits.BirthPlaceCog.Should().BeNull();
        read.Status.Should().BeNull();
        read.Notes.Should().Contain(n => n.Rule == "name-use-missing");
        read.Refused.Should().BeEmpty();
    }

    private static Patient QualifiedPatient(string matricule = "279035121518989", string system = "urn:oid:1.2.250.1.213.1.4.10", string statusCode = "VALI")
    {
        var identity = TestIdentities.At(TestIdentities.All[^1], IdentityStatus.Qual);
        var patient = FrCorePatientWriter.Write(new FhirPatientSource(identity)).Patient;
        patient.Identifier[0].Value = matricule;
        patient.Identifier[0].System = system;
        InsOids.TryGetKind(system, out var kind);
        patient.Identifier[0].Type = new CodeableConcept(FrCore.IdentifierTypeSystem, FrCore.IdentifierTypeOf(kind));
        patient.Extension[0].Extension.Single(e => e.Url == "identityStatus").Value = new Coding(FrCore.Table0445System, statusCode);
        return patient;
    }

    private static readonly FhirPartnerProfile AllowTest = FhirPartnerProfile.FrCore21 with { InsPolicy = InsPolicy.AllowTestAndDemo };

    [Fact]
    public void A_test_OID_is_refused_under_the_production_policy_with_its_path()
    {
        var read = FrCorePatientReader.Read(QualifiedPatient());

        read.Ins.Should().BeNull();
        read.Refused.Should().Contain(r => r.Path == "Patient.identifier[0].system" && r.Rule == "ins-oid-policy");
        read.Status.Should().Be(IdentityStatus.Vali, "VALI without an acceptable INS is a validated identity");
    }

    [Fact]
    public void A_test_OID_is_accepted_when_the_partner_allows_test_identities()
    {
        var read = FrCorePatientReader.Read(QualifiedPatient(), AllowTest);

        read.Refused.Should().BeEmpty();
        read.Ins!.Kind.Should().Be(InsOidKind.Test);
        read.Status.Should().Be(IdentityStatus.Qual);
    }

    [Fact]
    public void An_INS_sent_with_a_provisional_status_is_refused()
    {
        var read = FrCorePatientReader.Read(QualifiedPatient(statusCode: "PROV"), AllowTest);

        read.Ins.Should().BeNull();
        read.Refused.Should().ContainSingle().Which.Should().Be(read.Refused.Single(r => r.Rule == "ins-requires-qualified-status" && r.Path == "Patient.identifier[0]"));
    }

    [Fact]
    public void A_matricule_with_a_wrong_key_is_refused_and_the_message_says_which_key()
    {
        var read = FrCorePatientReader.Read(QualifiedPatient(matricule: "279035121518988"), AllowTest);

        var refusal = read.Refused.Single(r => r.Rule == "ins-matricule");
        refusal.Path.Should().Be("Patient.identifier[0].value");
        refusal.Message.Should().Contain("89");
    }

    [Fact]
    public void What_partners_send_is_tolerated_bare_OID_no_type_and_all_first_names_in_given()
    {
        var patient = QualifiedPatient(system: "1.2.250.1.213.1.4.10");
        patient.Identifier[0].Type = null;
        patient.Name[0].Extension.Clear();
        patient.Name[0].Given = ["PIERRE", "PAUL JACQUES"];
        patient.Name[0].Family = "HOUILLES";

        var read = FrCorePatientReader.Read(patient, AllowTest);

        read.Refused.Should().BeEmpty();
        read.Ins!.Matricule.Value.Should().Be("279035121518989");
        read.Traits!.BirthFirstNames.Should().Equal("PIERRE", "PAUL", "JACQUES");
        read.Traits.FirstFirstName.Should().Be("PIERRE");
        read.Notes.Should().Contain(n => n.Rule == "birth-list-given-name-missing");
    }

    [Fact]
    public void A_NIA_and_a_NIR_together_keep_the_NIR_and_a_NIA_with_use_temp_is_read()
    {
        var patient = QualifiedPatient(matricule: "109076322083489", system: "urn:oid:1.2.250.1.213.1.4.8");
        patient.Identifier.Add(new Identifier("urn:oid:1.2.250.1.213.1.4.9", "109076322088835") { Use = Identifier.IdentifierUse.Temp });

        var read = FrCorePatientReader.Read(patient);

        read.Ins!.Kind.Should().Be(InsOidKind.Nir);
        read.InsHistory.Should().ContainSingle().Which.Kind.Should().Be(InsOidKind.Nia);
        read.Notes.Should().Contain(n => n.Rule == "nia-use-temp").And.Contain(n => n.Rule == "nia-superseded");
    }

    [Fact]
    public void A_billing_NIR_typed_NH_is_not_taken_for_an_INS()
    {
        var patient = QualifiedPatient(matricule: "109076322083489", system: "urn:oid:1.2.250.1.213.1.4.8");
        patient.Identifier[0].Type = new CodeableConcept(FrCore.Hl7IdentifierTypeSystem, "NH");

        var read = FrCorePatientReader.Read(patient);

        read.Ins.Should().BeNull();
        read.Notes.Should().Contain(n => n.Rule == "nss-not-ins" && n.Path == "Patient.identifier[0].type");
    }

    [Fact]
    public void Two_different_active_NIRs_are_both_refused()
    {
        var patient = QualifiedPatient(matricule: "109076322083489", system: "urn:oid:1.2.250.1.213.1.4.8");
        patient.Identifier.Add(new Identifier("urn:oid:1.2.250.1.213.1.4.8", "277076322082910") { Use = Identifier.IdentifierUse.Official });

        var read = FrCorePatientReader.Read(patient);

        read.Ins.Should().BeNull();
        read.Refused.Where(r => r.Rule == "ins-ambiguous").Select(r => r.Path).Should().Equal("Patient.identifier[0]", "Patient.identifier[1]");
    }

    [Fact]
    public void A_bad_birth_place_code_and_a_missing_birth_date_are_refused_with_their_paths()
    {
        var patient = QualifiedPatient();
        patient.BirthDate = null;
        var place = (Address)patient.Extension.Single(e => e.Url == FrCore.BirthPlace).Value!;
        ((Coding)place.Extension[0].Value!).Code = "6322";

        var read = FrCorePatientReader.Read(patient, AllowTest);

        read.Traits.Should().BeNull();
        read.Refused.Should().Contain(r => r.Path == "Patient.birthDate" && r.Rule == "required");
        read.Refused.Should().Contain(r => r.Rule == "cog-format" && r.Path.EndsWith(".valueCoding.code", StringComparison.Ordinal));
    }

    [Fact]
    public void Trait_rule_violations_point_at_the_FHIR_element()
    {
        var patient = QualifiedPatient();
        patient.Name[0].Family = new string('A', 101);

        var read = FrCorePatientReader.Read(patient, AllowTest);

        read.Refused.Should().Contain(r => r.Path == "Patient.name[0].family" && r.Rule == "max-length");
    }

    [Fact]
    public void Status_codes_of_the_RNIV_code_system_are_read_as_such()
    {
        var patient = QualifiedPatient(statusCode: "VALI");
        patient.Extension[0].Extension.Single(e => e.Url == "identityStatus").Value = new Coding(FrCore.IdentityStatusSystem, "VALI");

        var read = FrCorePatientReader.Read(patient, AllowTest);

        // In the RNIV code system VALI means validated: the INS that came with it is not kept.
        read.Status.Should().Be(IdentityStatus.Vali);
        read.Ins.Should().BeNull();
        read.Refused.Should().Contain(r => r.Rule == "ins-requires-qualified-status");
    }

    [Fact]
    public void Text_that_is_not_a_patient_is_refused_cleanly()
    {
        var notJson = () => FrCorePatientText.Read("{ not json");
        var notPatient = () => FrCorePatientText.Read("""{"resourceType":"Organization","id":"x"}""");
        var dtd = () => FrCorePatientText.Read("""<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]><Patient xmlns="http://hl7.org/fhir"><id value="&x;"/></Patient>""");

        notJson.Should().Throw<FhirFormatException>();
        notPatient.Should().Throw<FhirFormatException>().WithMessage("*Organization*");
        dtd.Should().Throw<FhirFormatException>().WithMessage("*DTD*");
    }

    [Fact]
    public void Unknown_elements_are_tolerated_and_reported()
    {
        var json = FhirFormats.ToJson(QualifiedPatient()).Replace("\"gender\"", "\"genderX\":\"x\",\"gender\"", StringComparison.Ordinal);

        var read = FrCorePatientText.Read(json, AllowTest);

        read.Traits.Should().NotBeNull();
        read.Notes.Should().Contain(n => n.Rule == "format");
    }
}

public sealed class FhirFormatsTests
{
    [Fact]
    public void Skipping_the_value_checks_gives_the_same_patient_but_reports_nothing()
    {
        var json = """{"resourceType":"Patient","id":"x","genderX":"x","gender":"male","birthDate":"1980-02-03"}""";

        var checkedParse = FhirFormats.ParseJson<Hl7.Fhir.Model.Patient>(json);
        var fast = FhirFormats.ParseJson<Hl7.Fhir.Model.Patient>(json, checkValues: false);

        checkedParse.Issues.Should().NotBeEmpty();
        fast.Issues.Should().BeEmpty();
        fast.Resource.BirthDate.Should().Be(checkedParse.Resource.BirthDate);
        fast.Resource.Gender.Should().Be(Hl7.Fhir.Model.AdministrativeGender.Male);
    }

    [Fact]
    public void The_value_checks_report_a_malformed_date()
    {
        var json = """{"resourceType":"Patient","birthDate":"03/02/1980"}""";

        FhirFormats.ParseJson<Hl7.Fhir.Model.Patient>(json).Issues.Should().NotBeEmpty();
    }
}
