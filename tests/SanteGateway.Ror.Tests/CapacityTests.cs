using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;
using SanteGateway.Ror.Sandbox;
using static SanteGateway.Ror.Tests.ClientTests;

namespace SanteGateway.Ror.Tests;

/// <summary>The capacity feed (replace first, add on the specific 404, the alert cases) against the sandbox.</summary>
public sealed class CapacityTests(RorValidatorFixture profiles)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_existing_indicator_is_replaced_in_one_request()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var client = RorClient.Create(sandbox.ClientOptions());

        var result = await client.SetCapacityAsync(Update("loc-000002", sandbox, "01", 42), cancellationToken: Ct);

        result.Outcome.Should().Be(RorCapacityOutcome.Replaced);
        result.Requests.Should().Be(1);
        var stored = RorCapacityPatch.Read((Location)sandbox.Handler.Data.Get("Location", "loc-000002")!);
        stored.Single(r => r.CapacityStatus == "01").Count.Should().Be(42);
    }

    [Fact]
    public async Task An_absent_indicator_is_added_after_the_specific_404_and_the_location_still_validates()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        profiles.Errors(sandbox.Handler.Data.Get("Location", "loc-000004")!); // compile the schema before the timed call
        sandbox.Handler.ResourceValidator = r => profiles.Errors(r).Select(e => e.ToString()).ToList();
        using var client = RorClient.Create(sandbox.ClientOptions());

        var result = await client.SetCapacityAsync(Update("loc-000004", sandbox, "02", 3, assignment: "02"), cancellationToken: Ct);

        result.Outcome.Should().Be(RorCapacityOutcome.Added);
        result.Requests.Should().Be(2);
        var patches = sandbox.Handler.Requests.Where(r => r.Method == "PATCH").Select(r => r.Status).ToList();
        patches.Should().Equal(404, 200);
        var location = (Location)sandbox.Handler.Data.Get("Location", "loc-000004")!;
        RorCapacityPatch.Read(location).Should().Contain(r => r.TemporaryAssignment == "02" && r.Count == 3);
        profiles.Errors(location).Should().BeEmpty();
    }

    [Fact]
    public async Task An_unknown_sync_id_comes_back_as_an_alert_for_the_GRADeS()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var client = RorClient.Create(sandbox.ClientOptions());

        var result = await client.SetCapacityAsync(Update("loc-000001", sandbox, "01", 5) with { ExternalId = "UNKNOWN" }, cancellationToken: Ct);

        result.Outcome.Should().Be(RorCapacityOutcome.LocationNotFound);
        result.AlertRecipients.Should().Be("GRADeS");
        result.OperationOutcome!.Issue.Single().Expression.Should().Equal("Location");
    }

    [Fact]
    public async Task Two_locations_sharing_a_sync_id_come_back_as_multiple_matches()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        var twin = (Location)sandbox.Handler.Data.Get("Location", "loc-000001")!.DeepCopy();
        twin.Id = "loc-twin";
        sandbox.Handler.Data.Seed(twin);
        using var client = RorClient.Create(sandbox.ClientOptions());

        var result = await client.SetCapacityAsync(Update("loc-000001", sandbox, "01", 5), cancellationToken: Ct);

        result.Outcome.Should().Be(RorCapacityOutcome.MultipleMatches);
        result.AlertRecipients.Should().Be("GRADeS+establishment");
    }

    [Fact]
    public async Task An_invalid_indicator_combination_comes_back_as_a_business_rule_rejection()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var client = RorClient.Create(sandbox.ClientOptions());

        var unknownCode = await client.SetCapacityAsync(Update("loc-000001", sandbox, "09", 5), cancellationToken: Ct);
        var moreAvailableThanInstalled = await client.SetCapacityAsync(Update("loc-000001", sandbox, "02", 10_000), cancellationToken: Ct);

        unknownCode.Outcome.Should().Be(RorCapacityOutcome.BusinessRuleRejected);
        moreAvailableThanInstalled.Outcome.Should().Be(RorCapacityOutcome.BusinessRuleRejected);
        moreAvailableThanInstalled.OperationOutcome!.Issue.Single().Diagnostics.Should().Contain("installés");
    }

    [Fact]
    public async Task A_client_without_write_rights_on_the_establishment_gets_a_typed_403()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var client = RorClient.Create(sandbox.ClientOptions(RorSandboxOptions.DefaultProfile3ClientId));

        var act = () => client.SetCapacityAsync(Update("loc-000001", sandbox, "01", 5), cancellationToken: Ct);

        (await act.Should().ThrowAsync<RorRequestException>()).Which.Kind.Should().Be(RorErrorKind.Forbidden);
    }

    [Fact]
    public async Task A_capacity_update_breaking_a_field_rule_is_refused_before_anything_is_sent()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var client = RorClient.Create(sandbox.ClientOptions());

        var act = () => client.SetCapacityAsync(Update("loc-000001", sandbox, "01", -1), cancellationToken: Ct);

        (await act.Should().ThrowAsync<ArgumentException>()).Which.Message.Should().Contain("count");
        sandbox.Handler.Requests.Should().BeEmpty();
    }
}
