using Hl7.Fhir.Model;
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
