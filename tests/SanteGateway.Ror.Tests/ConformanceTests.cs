using Hl7.Fhir.Model;
using SanteGateway.Interop.Fhir.Validation;
using SanteGateway.Ror.Sandbox;

namespace SanteGateway.Ror.Tests;

/// <summary>What the sandbox serves and what the client sends, checked against the official ROR profiles (Firely validator).</summary>
public sealed class ConformanceTests(RorValidatorFixture profiles)
{
    [Fact]
    public void Every_generated_resource_validates_against_its_ROR_profile()
    {
        var resources = RorDataGenerator.Generate(25, 7, DateTimeOffset.UtcNow).ToList();
        resources.Select(r => r.TypeName).Distinct().Should().BeEquivalentTo(RorSandboxData.ResourceTypes);
        var failures = resources
            .Select(r => (Key: r.TypeName + "/" + r.Id, Errors: profiles.Errors(r)))
            .Where(x => x.Errors.Count > 0)
            .Select(x => x.Key + ": " + string.Join(" | ", x.Errors))
            .ToList();
        failures.Should().BeEmpty();
    }

    [Fact]
    public void What_each_access_profile_is_served_of_generated_resources_still_validates_against_the_ROR_profiles()
    {
        // Other seeds than above, and the copies the sandbox serves to access profiles 0–4 (telecoms, sensitive data removed).
        var resources = new[] { 23, 31 }.SelectMany(seed => RorDataGenerator.Generate(6, seed, DateTimeOffset.UtcNow)).ToList();
        var failures = resources
            .SelectMany(r => Enumerable.Range(0, 5).Select(p => (Profile: p, Resource: RorRedaction.Apply(r, p))))
            .Select(x => (Key: $"profile {x.Profile} {x.Resource.TypeName}/{x.Resource.Id}", Errors: profiles.Errors(x.Resource)))
            .Where(x => x.Errors.Count > 0)
            .Select(x => x.Key + ": " + string.Join(" | ", x.Errors))
            .ToList();
        failures.Should().BeEmpty();
    }

    [Fact]
    public void The_profile_set_finds_the_five_ROR_profiles_and_lists_each_correction_it_made_in_memory()
    {
        var set = profiles.Profiles;

        set.Version.Should().Be("0.1.0");
        set.Profiles.Should().BeEquivalentTo(new Dictionary<string, string>
        {
            ["Organization"] = RorConstants.OrganizationProfile,
            ["HealthcareService"] = RorConstants.StructureDefinitionBase + "ror-healthcareservice",
            ["Location"] = RorConstants.LocationProfile,
            ["Practitioner"] = RorConstants.StructureDefinitionBase + "ror-practitioner",
            ["PractitionerRole"] = RorConstants.StructureDefinitionBase + "ror-practitionerrole",
        });
        set.Corrections.Should().Contain(c => c.StartsWith("ror-organization: base http://interopsante.org/fhir/StructureDefinition/FrOrganization", StringComparison.Ordinal));
        set.Corrections.Should().Contain(c => c.Contains("slicing", StringComparison.Ordinal) && c.Contains("discriminator url", StringComparison.Ordinal));
        set.Corrections.Should().Contain(c => c.Contains("extension slice", StringComparison.Ordinal) && c.Contains("not loaded", StringComparison.Ordinal));
        set.ToleratedMessages.Should().BeEquivalentTo(RorProfileSet.Release010Drift, "release 0.1.0 contradicts the current IG on three points");
        File.ReadAllText(Path.Combine(RorValidatorFixture.IgDirectory, "StructureDefinition-ror-organization.json"))
            .Should().Contain("http://interopsante.org/fhir/StructureDefinition/FrOrganization", "the files in shared/ are never changed");
    }

    [Fact]
    public void A_resource_read_from_its_JSON_is_checked_against_the_profile_of_its_type_even_without_meta_profile()
    {
        var offer = RorDataGenerator.Generate(1, 3, DateTimeOffset.UtcNow).OfType<HealthcareService>().Single();
        offer.Meta.Profile = [];
        profiles.Profiles.Errors(SanteGateway.Interop.Fhir.FhirFormats.ToJson(offer)).Should().BeEmpty();

        offer.Identifier.Clear();
        profiles.Profiles.Errors(SanteGateway.Interop.Fhir.FhirFormats.ToJson(offer))
            .Should().Contain(e => e.ToString().Contains("identifier", StringComparison.Ordinal), "RORHealthcareService requires an identifier");
    }

    [Fact]
    public void Text_that_is_not_FHIR_JSON_is_a_format_error_and_an_unknown_resource_type_is_an_error()
    {
        var act = () => profiles.Profiles.Errors("this is not JSON");
        act.Should().Throw<SanteGateway.Interop.Fhir.FhirFormatException>();

        // Refused by the parser or by the validator, but never reported as conforming.
        IReadOnlyList<FhirValidationIssue>? errors = null;
        try
        {
            errors = profiles.Profiles.Errors("{\"resourceType\": \"NoSuchThing\"}");
        }
        catch (SanteGateway.Interop.Fhir.FhirFormatException)
        {
        }

        (errors ?? [new FhirValidationIssue("error", "structure", "", "refused")]).Should().NotBeEmpty(string.Join(" | ", errors ?? []));
    }

    [Fact]
    public void The_capacity_record_the_client_adds_validates_inside_a_ror_location()
    {
        var location = RorDataGenerator.Generate(1, 3, DateTimeOffset.UtcNow).OfType<Location>().Single();
        location.Extension.RemoveAll(e => e.Url == RorConstants.SupportedCapacityExtension);
        location.Extension.Add(RorCapacityPatch.Record(new RorCapacityUpdate
        {
            EgIdentifier = "1350054680",
            ExternalId = "SSR38888",
            CapacityType = "01",
            CapacityStatus = "02",
            Gender = "02",
            CrisisType = "01",
            Count = 12,
            UpdatedAt = DateTimeOffset.UtcNow,
        }, new RorCapacityCodeSystems()));
        profiles.Errors(location).Should().BeEmpty();
    }

    [Fact]
    public void A_location_without_its_commune_code_is_refused_by_the_profile()
    {
        var location = RorDataGenerator.Generate(1, 3, DateTimeOffset.UtcNow).OfType<Location>().Single();
        location.Extension.RemoveAll(e => e.Url == RorConstants.CommuneCogExtension);
        profiles.Errors(location).Should().Contain(e => e.Message.Contains("cardinality", StringComparison.OrdinalIgnoreCase) || e.Message.Contains("ror-commune-cog", StringComparison.Ordinal));
    }

    [Fact]
    public void An_offer_without_its_sensitive_unit_flag_is_refused_by_the_profile()
    {
        var offer = RorDataGenerator.Generate(1, 3, DateTimeOffset.UtcNow).OfType<HealthcareService>().Single();
        offer.Extension.RemoveAll(e => e.Url == RorConstants.SensitiveUnitExtension);
        profiles.Errors(offer).Should().NotBeEmpty();
    }
}
