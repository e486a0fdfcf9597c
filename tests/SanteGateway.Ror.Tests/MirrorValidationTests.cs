using Hl7.Fhir.Model;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SanteGateway.Application;
using SanteGateway.Ror.Sandbox;
using SanteGateway.Server.Ror;
using SanteGateway.Store;
using SanteGateway.Store.Tests;
using Task = System.Threading.Tasks.Task;

namespace SanteGateway.Ror.Tests;

/// <summary>
/// The mirror's validation against the official ROR profiles (Firely, IG 0.1.0 from shared/), on a real database and the
/// sandbox over mutual TLS: resources are stored first, validated after, each flagged with its result; the run counts.
/// </summary>
public abstract class MirrorValidationTests(TestDatabase database, RorValidatorFixture profiles) : IAsyncLifetime
{
    private RorSandboxServer? sandbox;
    private RorClient? client;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        database.SkipIfUnavailable();
        // Generated data only (the IG's CI-build examples follow a later IG than the 0.1.0 profiles).
        sandbox = await Sandboxes.StartAsync(o =>
        {
            o.GeneratedOffers = 4;
            o.LoadExamples = false;
            o.ExportPollsBeforeReady = 0;
        });
        client = RorClient.Create(sandbox.ClientOptions());
        await using var db = database.CreateContext();
        await db.RorResources.ExecuteDeleteAsync(Ct);
        await db.RorSearchKeys.ExecuteDeleteAsync(Ct);
        await db.RorSearchWords.ExecuteDeleteAsync(Ct);
        await db.RorSyncStates.ExecuteUpdateAsync(s => s.SetProperty(x => x.Phase, "idle").SetProperty(x => x.ExportJob, (string?)null).SetProperty(x => x.SinceTicks, 0L)
            .SetProperty(x => x.LeaseOwner, (string?)null).SetProperty(x => x.LeaseUntilTicks, 0L).SetProperty(x => x.LastFullAtTicks, (long?)null)
            .SetProperty(x => x.LastValidated, 0).SetProperty(x => x.LastInvalid, 0), Ct);
    }

    public async ValueTask DisposeAsync()
    {
        client?.Dispose();
        if (sandbox is not null)
        {
            await sandbox.DisposeAsync();
        }
    }

    private int Visible => sandbox!.Handler.Data.Count;

    private IRorResourceValidator Validator => new FirelyRorResourceValidator(profiles.Profiles);

    private async Task<RorSyncResult> RunAsync(RorSyncMode mode, RorValidationOptions validation, IRorResourceValidator? validator)
    {
        await using var db = database.CreateContext();
        var service = new RorSyncService(db, new RorClientPort(client!, NullLogger<RorClientPort>.Instance), Options.Create(new RorSyncOptions { BatchSize = 7 }),
            TimeProvider.System, NullLogger<RorSyncService>.Instance, validator, Options.Create(validation));
        var result = await service.RunAsync(mode, null, Ct);
        result.Status.Should().Be(RorSyncStatus.Succeeded, result.Error);
        return result;
    }

    private async Task<Dictionary<string, string?>> StatusesAsync()
    {
        await using var db = database.CreateContext();
        return await db.RorResources.AsNoTracking().ToDictionaryAsync(r => r.ResourceType + "/" + r.ResourceId, r => r.ValidationStatus, Ct);
    }

    private void Change<T>(string type, string id, Action<T> change)
        where T : Resource
    {
        var copy = (T)sandbox!.Handler.Data.Get(type, id)!.DeepCopy();
        change(copy);
        sandbox.Handler.Data.Touch(copy);
    }

    private string AnOffer() => sandbox!.Handler.Data.All("HealthcareService").First(h => h.Id!.StartsWith("hs-", StringComparison.Ordinal)).Id!;

    [Fact]
    public async Task In_mode_All_every_resource_the_sandbox_serves_is_stored_then_validated_and_recorded_valid()
    {
        var result = await RunAsync(RorSyncMode.Full, new RorValidationOptions { Mode = RorValidationMode.All }, Validator);

        result.ValidationMode.Should().Be(RorValidationMode.All);
        result.Stored.Should().Be(Visible);
        result.Validated.Should().Be(Visible, "mode All validates every resource received");
        result.Invalid.Should().Be(0);
        result.ValidationPending.Should().Be(0);
        (await StatusesAsync()).Values.Should().OnlyContain(s => s == RorValidationStatus.Valid);
        await using var db = database.CreateContext();
        var status = await new RorDirectory(db, TimeProvider.System).GetStatusAsync(Ct);
        status.LastValidated.Should().Be(Visible);
        status.LastInvalid.Should().Be(0);
        status.Invalid.Should().Be(0);
        status.ValidationPending.Should().Be(0);
        (await db.RorResources.CountAsync(r => r.ValidatedAtTicks == null, Ct)).Should().Be(0);

        var again = await RunAsync(RorSyncMode.Full, new RorValidationOptions { Mode = RorValidationMode.All }, Validator);
        again.Stored.Should().Be(0);
        again.Validated.Should().Be(Visible, "mode All validates unchanged resources too");
        // A figure for docs (not asserted: timing belongs to bench/): schemas compiled, time per resource.
        TestContext.Current.TestOutputHelper?.WriteLine($"validation: {again.Validated} resources in {again.ValidationTime.TotalMilliseconds:F0} ms = {again.ValidationTime.TotalMilliseconds / again.Validated:F1} ms/resource");
    }

    [Fact]
    public async Task A_resource_made_invalid_is_kept_searchable_and_flagged_with_a_message_naming_the_missing_element()
    {
        await RunAsync(RorSyncMode.Full, new RorValidationOptions { Mode = RorValidationMode.Changed, SampleRate = 0 }, Validator);
        var offerId = AnOffer();
        var identifiers = ((HealthcareService)sandbox!.Handler.Data.Get("HealthcareService", offerId)!).Identifier.Select(i => (Identifier)i.DeepCopy()).ToList();
        // RORHealthcareService requires identifier (1..*).
        Change<HealthcareService>("HealthcareService", offerId, h => h.Identifier.Clear());

        var delta = await RunAsync(RorSyncMode.Delta, new RorValidationOptions { Mode = RorValidationMode.Changed, SampleRate = 0 }, Validator);

        delta.Stored.Should().Be(1);
        delta.Validated.Should().Be(1);
        delta.Invalid.Should().Be(1);
        await using var db = database.CreateContext();
        var row = await db.RorResources.AsNoTracking().SingleAsync(r => r.ResourceType == "HealthcareService" && r.ResourceId == offerId, Ct);
        row.ValidationStatus.Should().Be(RorValidationStatus.Invalid);
        row.ValidationIssues.Should().Contain("identifier", "the stored message names the element the profile requires");
        row.ValidationIssues!.Length.Should().BeLessThanOrEqualTo(1024);
        row.Json.Should().Contain(offerId, "the resource is stored as the ROR served it");
        var directory = new RorDirectory(db, TimeProvider.System);
        (await directory.GetOfferAsync(offerId, Ct)).Should().NotBeNull("a resource failing validation is kept, never dropped");
        var status = await directory.GetStatusAsync(Ct);
        status.Invalid.Should().Be(1);
        status.LastValidated.Should().Be(1);
        status.LastInvalid.Should().Be(1);
        var invalid = await directory.ListInvalidAsync(10, Ct);
        invalid.Should().ContainSingle().Which.Id.Should().Be(offerId);
        invalid[0].Issues.Should().Contain("identifier");

        // The ROR corrects it: the next delta stores the new version, validates it and the flag goes.
        Change<HealthcareService>("HealthcareService", offerId, h => h.Identifier.AddRange(identifiers));
        var fixedRun = await RunAsync(RorSyncMode.Delta, new RorValidationOptions { Mode = RorValidationMode.Changed, SampleRate = 0 }, Validator);
        fixedRun.Invalid.Should().Be(0);
        (await new RorDirectory(db, TimeProvider.System).GetStatusAsync(Ct)).Invalid.Should().Be(0);
    }

    [Fact]
    public async Task Validation_on_several_threads_gives_every_resource_the_verdict_and_messages_of_one_thread()
    {
        // Invalid offers among valid resources, spread over several batches.
        foreach (var id in sandbox!.Handler.Data.All("HealthcareService").Where(h => h.Id!.StartsWith("hs-", StringComparison.Ordinal)).Take(3).Select(h => h.Id!).ToList())
        {
            Change<HealthcareService>("HealthcareService", id, h => h.Identifier.Clear());
        }

        var one = await RunAsync(RorSyncMode.Full, new RorValidationOptions { Mode = RorValidationMode.All, Parallelism = 1, BatchSize = 5 }, Validator);
        var sequential = await VerdictsAsync();
        var several = await RunAsync(RorSyncMode.Full, new RorValidationOptions { Mode = RorValidationMode.All, Parallelism = 4, BatchSize = 5 }, Validator);
        var parallel = await VerdictsAsync();

        one.Invalid.Should().Be(3);
        several.Validated.Should().Be(one.Validated).And.Be(Visible, "mode All validates every resource again");
        several.Invalid.Should().Be(3);
        sequential.Values.Count(v => v.Status == RorValidationStatus.Invalid).Should().Be(3);
        parallel.Should().BeEquivalentTo(sequential, "the verdicts and their messages do not depend on how many resources are validated at once");
    }

    private async Task<Dictionary<string, (string? Status, string? Issues)>> VerdictsAsync()
    {
        await using var db = database.CreateContext();
        return await db.RorResources.AsNoTracking().ToDictionaryAsync(r => r.ResourceType + "/" + r.ResourceId, r => (r.ValidationStatus, r.ValidationIssues), Ct);
    }

    [Fact]
    public async Task A_delta_validates_only_the_resources_it_changed()
    {
        var initial = await RunAsync(RorSyncMode.Full, new RorValidationOptions { Mode = RorValidationMode.Changed, SampleRate = 0 }, Validator);
        initial.Validated.Should().Be(0, "the initial load validates only its sample, here none");
        (await StatusesAsync()).Values.Should().OnlyContain(s => s == null);
        var offerId = AnOffer();
        Change<HealthcareService>("HealthcareService", offerId, h => h.Name = "Unité renommée par le ROR");

        var delta = await RunAsync(RorSyncMode.Delta, new RorValidationOptions { Mode = RorValidationMode.Changed, SampleRate = 0 }, Validator);

        delta.Kind.Should().Be("delta");
        delta.Stored.Should().Be(1);
        delta.Validated.Should().Be(1, "only the changed offer is validated");
        delta.Invalid.Should().Be(0);
        var statuses = await StatusesAsync();
        statuses["HealthcareService/" + offerId].Should().Be(RorValidationStatus.Valid);
        statuses.Where(s => s.Key != "HealthcareService/" + offerId).Select(s => s.Value).Should().OnlyContain(s => s == null);
    }

    [Fact]
    public async Task The_initial_load_in_mode_Changed_validates_a_stable_sample_and_a_later_full_run_validates_only_changes()
    {
        var initial = await RunAsync(RorSyncMode.Full, new RorValidationOptions { Mode = RorValidationMode.Changed, SampleRate = 0.4 }, Validator);

        initial.Validated.Should().BeGreaterThan(0).And.BeLessThan(Visible, "a 40 % sample of the initial load");
        (await StatusesAsync()).Values.Count(s => s == RorValidationStatus.Valid).Should().Be(initial.Validated);

        var reconciliation = await RunAsync(RorSyncMode.Full, new RorValidationOptions { Mode = RorValidationMode.Changed, SampleRate = 0.4 }, Validator);
        reconciliation.Stored.Should().Be(0);
        reconciliation.Validated.Should().Be(0, "after the initial load, only new or changed resources are validated");
    }

    [Fact]
    public async Task Off_mode_validates_nothing_and_marks_nothing()
    {
        var result = await RunAsync(RorSyncMode.Full, new RorValidationOptions { Mode = RorValidationMode.Off }, Validator);

        result.ValidationMode.Should().Be(RorValidationMode.Off);
        result.Validated.Should().Be(0);
        result.ValidationNote.Should().BeNull();
        (await StatusesAsync()).Values.Should().OnlyContain(s => s == null);
        Change<HealthcareService>("HealthcareService", AnOffer(), h => h.Identifier.Clear());
        (await RunAsync(RorSyncMode.Delta, new RorValidationOptions { Mode = RorValidationMode.Off }, Validator)).Validated.Should().Be(0);
        (await StatusesAsync()).Values.Should().OnlyContain(s => s == null);
    }

    [Fact]
    public async Task Without_ROR_profiles_nothing_is_validated_and_the_run_says_why()
    {
        var result = await RunAsync(RorSyncMode.Full, new RorValidationOptions { Mode = RorValidationMode.All }, validator: null);

        result.ValidationMode.Should().Be(RorValidationMode.Off);
        result.Validated.Should().Be(0);
        result.ValidationNote.Should().Contain("Ror:Validation:Definitions");
        (await StatusesAsync()).Values.Should().OnlyContain(s => s == null);
    }

    [Fact]
    public async Task Profiles_that_cannot_be_loaded_leave_the_stored_resources_pending_for_the_next_run()
    {
        var broken = new FirelyRorResourceValidator(
            Options.Create(new RorValidationOptions { Definitions = { Path.Combine(Path.GetTempPath(), "santegw-no-such-ror-ig-" + Guid.NewGuid().ToString("N")) } }),
            NullLogger<FirelyRorResourceValidator>.Instance);

        var first = await RunAsync(RorSyncMode.Full, new RorValidationOptions { Mode = RorValidationMode.All }, broken);

        first.Stored.Should().Be(Visible, "storing never waits for validation");
        first.Validated.Should().Be(0);
        first.ValidationPending.Should().Be(Visible);
        first.ValidationNote.Should().Contain("cannot be loaded");
        await using (var db = database.CreateContext())
        {
            (await new RorDirectory(db, TimeProvider.System).GetStatusAsync(Ct)).ValidationPending.Should().Be(Visible);
        }

        var next = await RunAsync(RorSyncMode.Delta, new RorValidationOptions { Mode = RorValidationMode.Changed }, Validator);
        next.Validated.Should().Be(Visible, "the pending backlog is validated by the next run");
        (await StatusesAsync()).Values.Should().OnlyContain(s => s == RorValidationStatus.Valid);
    }
}

public sealed class SqliteMirrorValidationTests(SqliteTestDatabase database, RorValidatorFixture profiles) : MirrorValidationTests(database, profiles), IClassFixture<SqliteTestDatabase>;

public sealed class PostgresMirrorValidationTests(PostgresTestDatabase database, RorValidatorFixture profiles) : MirrorValidationTests(database, profiles), IClassFixture<PostgresTestDatabase>;
