using System.Runtime.CompilerServices;
using Hl7.Fhir.Model;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SanteGateway.Application;
using SanteGateway.Ror;
using SanteGateway.Ror.Sandbox;
using SanteGateway.Ror.Sandbox.Pki;
using SanteGateway.Server.Ror;
using SanteGateway.Store;
using SanteGateway.Store.Tests;
using Task = System.Threading.Tasks.Task;

namespace SanteGateway.Server.Tests.Ror;

/// <summary>Starts ROR sandboxes over one PKI made once per test run (RSA key generation is the slow part).</summary>
internal static class RorSandboxes
{
    private static readonly Lazy<(string Dir, string Password)> Pki = new(() =>
    {
        var dir = Path.Combine(Path.GetTempPath(), "santegw-ror-sync-tests-" + Environment.ProcessId);
        return (dir, RorSandboxPki.Create(dir, "ror-test-password", force: true));
    });

    public static Task<RorSandboxServer> StartAsync(Action<RorSandboxOptions>? configure = null)
    {
        var options = new RorSandboxOptions { PkiDirectory = Pki.Value.Dir, Password = Pki.Value.Password, GeneratedOffers = 40, CreatePki = false, ExportPollsBeforeReady = 0 };
        configure?.Invoke(options);
        return RorSandboxServer.StartAsync(options, null, TestContext.Current.CancellationToken);
    }

    /// <summary>Resources a profile-1 client sees (it sees sensitive units).</summary>
    public static int Visible(RorSandboxServer sandbox) => sandbox.Handler.Data.Count;

    /// <summary>Changes a resource the way the ROR would (new version, lastUpdated now).</summary>
    public static void Change<T>(RorSandboxServer sandbox, string type, string id, Action<T> change)
        where T : Resource
    {
        var copy = (T)sandbox.Handler.Data.Get(type, id)!.DeepCopy();
        change(copy);
        sandbox.Handler.Data.Touch(copy);
    }
}

/// <summary>
/// The ROR mirror against the sandbox over mutual TLS, on a real database: full load from $export, deltas by
/// _lastUpdated, reconciliation of deletions, resumption after a failure, one instance at a time, local search.
/// </summary>
public abstract class RorSyncTests(TestDatabase database) : IAsyncLifetime
{
    private RorSandboxServer? sandbox;
    private RorClient? client;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        database.SkipIfUnavailable();
        sandbox = await RorSandboxes.StartAsync(o => o.ExportFileSize = 60);
        client = RorClient.Create(sandbox.ClientOptions());
        // Each test starts from an empty mirror (the database is shared by the class).
        await using var db = database.CreateContext();
        await db.RorResources.ExecuteDeleteAsync(Ct);
        await db.RorSearchKeys.ExecuteDeleteAsync(Ct);
        await db.RorSearchWords.ExecuteDeleteAsync(Ct);
        await db.RorSyncStates.ExecuteUpdateAsync(s => s.SetProperty(x => x.Phase, "idle").SetProperty(x => x.ExportJob, (string?)null).SetProperty(x => x.SinceTicks, 0L)
            .SetProperty(x => x.LeaseOwner, (string?)null).SetProperty(x => x.LeaseUntilTicks, 0L).SetProperty(x => x.LastFullAtTicks, (long?)null), Ct);
    }

    public async ValueTask DisposeAsync()
    {
        client?.Dispose();
        if (sandbox is not null)
        {
            await sandbox.DisposeAsync();
        }
    }

    private IRorPort Port() => new RorClientPort(client!, NullLogger<RorClientPort>.Instance);

    private static RorSyncService Service(GatewayDbContext db, IRorPort port, int batch = 25) =>
        new(db, port, Options.Create(new RorSyncOptions { BatchSize = batch }), TimeProvider.System, NullLogger<RorSyncService>.Instance);

    private async Task<RorSyncResult> RunAsync(RorSyncMode mode, IRorPort? port = null)
    {
        await using var db = database.CreateContext();
        return await Service(db, port ?? Port()).RunAsync(mode, null, Ct);
    }

    private async Task<int> CountAsync(string? type = null)
    {
        await using var db = database.CreateContext();
        return await db.RorResources.CountAsync(r => type == null || r.ResourceType == type, Ct);
    }

    [Fact]
    public async Task A_full_load_mirrors_every_resource_of_the_export_with_its_index_and_a_second_one_changes_nothing()
    {
        var first = await RunAsync(RorSyncMode.Auto);

        first.Status.Should().Be(RorSyncStatus.Succeeded, first.Error);
        first.Kind.Should().Be("full", "a mirror never loaded starts with a full load");
        (await CountAsync()).Should().Be(RorSandboxes.Visible(sandbox!));
        first.Stored.Should().Be(RorSandboxes.Visible(sandbox!));
        await using (var db = database.CreateContext())
        {
            var location = await db.RorResources.SingleAsync(r => r.ResourceType == "Location" && r.ResourceId == "loc-000001", Ct);
            location.CommuneCode.Should().NotBeNullOrEmpty();
            location.OrganizationId.Should().NotBeNullOrEmpty();
            RorIndex.ReadSummary(location.Summary).Capacities.Should().NotBeEmpty();
            var offer = await db.RorResources.FirstAsync(r => r.ResourceType == "HealthcareService" && r.Codes!.Contains("|activity:"), Ct);
            offer.OrganizationId.Should().NotBeNull();
            offer.Json.Should().Contain("\"resourceType\":\"HealthcareService\"");
        }

        var again = await RunAsync(RorSyncMode.Full);
        again.Status.Should().Be(RorSyncStatus.Succeeded, again.Error);
        again.Stored.Should().Be(0, "every copy is the one already stored");
        again.Unchanged.Should().Be(RorSandboxes.Visible(sandbox!));
        again.Deleted.Should().Be(0);
    }

    [Fact]
    public async Task A_delta_stores_only_what_changed_since_the_last_run()
    {
        (await RunAsync(RorSyncMode.Full)).Status.Should().Be(RorSyncStatus.Succeeded);
        var offerId = sandbox!.Handler.Data.All("HealthcareService").OfType<HealthcareService>().First(h => h.Id!.StartsWith("hs-", StringComparison.Ordinal)).Id!;
        RorSandboxes.Change<HealthcareService>(sandbox, "HealthcareService", offerId, h => h.Name = "Unité renommée par le ROR");

        var delta = await RunAsync(RorSyncMode.Auto);

        delta.Status.Should().Be(RorSyncStatus.Succeeded, delta.Error);
        delta.Kind.Should().Be("delta");
        delta.Stored.Should().Be(1, "only the renamed offer changed since the export");
        await using var db = database.CreateContext();
        var row = await db.RorResources.SingleAsync(r => r.ResourceType == "HealthcareService" && r.ResourceId == offerId, Ct);
        row.Name.Should().Be("Unité renommée par le ROR");
        row.NameKey.Should().Be("UNITE RENOMMEE PAR LE ROR");
        (await RunAsync(RorSyncMode.Delta)).Stored.Should().Be(0, "running the same delta again is idempotent");
    }

    [Fact]
    public async Task A_full_reconciliation_removes_what_disappeared_from_the_ROR()
    {
        (await RunAsync(RorSyncMode.Full)).Status.Should().Be(RorSyncStatus.Succeeded);
        var gone = sandbox!.Handler.Data.All("PractitionerRole")[0].Id!;
        sandbox.Handler.Data.Remove("PractitionerRole", gone).Should().BeTrue();

        (await RunAsync(RorSyncMode.Delta)).Deleted.Should().Be(0, "a delta cannot see a deletion");
        var full = await RunAsync(RorSyncMode.Full);

        full.Deleted.Should().Be(1);
        await using var db = database.CreateContext();
        (await db.RorResources.AnyAsync(r => r.ResourceType == "PractitionerRole" && r.ResourceId == gone, Ct)).Should().BeFalse();
        (await CountAsync()).Should().Be(RorSandboxes.Visible(sandbox));
    }

    [Fact]
    public async Task A_full_load_that_fails_midway_resumes_from_the_files_already_stored()
    {
        var failing = new FailingPort(Port(), failInFile: 2);
        var broken = await RunAsync(RorSyncMode.Full, failing);

        broken.Status.Should().Be(RorSyncStatus.Failed);
        broken.Error.Should().Contain("injected");
        await using (var db = database.CreateContext())
        {
            var state = await db.RorSyncStates.AsNoTracking().SingleAsync(Ct);
            state.Phase.Should().Be("full");
            state.ExportJob.Should().NotBeNull();
            state.ExportFilesDone.Should().Be(2);
            state.LeaseOwner.Should().BeNull("a failed run releases its lease");
            (await db.RorSearchKeys.CountAsync(Ct)).Should().Be(0, "an initial load writes its search keys after its last file");
        }

        var recording = new FailingPort(Port(), failInFile: -1);
        var resumed = await RunAsync(RorSyncMode.Auto, recording);

        resumed.Status.Should().Be(RorSyncStatus.Succeeded, resumed.Error);
        resumed.Resumed.Should().BeTrue();
        recording.Exports.Should().Be(0, "the interrupted export job is reused");
        recording.FilesRead.Should().NotContain([0, 1], "files already stored are not read again");
        (await CountAsync()).Should().Be(RorSandboxes.Visible(sandbox!));
        await using (var db = database.CreateContext())
        {
            var offers = await db.RorResources.CountAsync(r => r.ResourceType == "HealthcareService" && r.Codes!.Contains("|activity:"), Ct);
            var withActivity = await db.RorSearchKeys.Where(k => k.Kind == RorSearchTerms.Activity).Select(k => k.ResourceId).Distinct().CountAsync(Ct);
            withActivity.Should().Be(offers, "the resumed load wrote the keys of the offers stored before the failure too");
        }
    }

    [Fact]
    public async Task An_empty_export_never_wipes_the_mirror()
    {
        (await RunAsync(RorSyncMode.Full)).Status.Should().Be(RorSyncStatus.Succeeded);

        var result = await RunAsync(RorSyncMode.Full, new FailingPort(Port(), failInFile: -1) { Empty = true });

        result.Status.Should().Be(RorSyncStatus.Failed);
        result.Error.Should().Contain("empty");
        (await CountAsync()).Should().Be(RorSandboxes.Visible(sandbox!));
    }

    [Fact]
    public async Task Only_one_instance_synchronises_at_a_time_and_the_other_answers_busy()
    {
        var slow = new FailingPort(Port(), failInFile: -1) { Gate = new TaskCompletionSource() };
        var first = RunAsync(RorSyncMode.Full, slow);
        await slow.Started.Task.WaitAsync(TimeSpan.FromSeconds(60), Ct);

        var second = await RunAsync(RorSyncMode.Full);

        second.Status.Should().Be(RorSyncStatus.Busy);
        second.Error.Should().Contain("already running");
        slow.Gate.SetResult();
        (await first).Status.Should().Be(RorSyncStatus.Succeeded);
        (await RunAsync(RorSyncMode.Delta)).Status.Should().Be(RorSyncStatus.Succeeded, "the lease was released");
    }

    [Fact]
    public async Task The_local_search_finds_offers_by_activity_commune_and_name_and_shows_an_offer_with_its_hierarchy()
    {
        (await RunAsync(RorSyncMode.Full)).Status.Should().Be(RorSyncStatus.Succeeded);
        await using var db = database.CreateContext();
        var directory = new RorDirectory(db, TimeProvider.System);

        var byActivity = await directory.SearchOffersAsync(new RorOfferQuery { Activity = "140", PageSize = 100 }, Ct);
        byActivity.Total.Should().BeGreaterThan(0);
        byActivity.Items.Should().OnlyContain(h => h.Activities.Any(a => a.Code == "140"));

        var bySpecialty = await directory.SearchOffersAsync(new RorOfferQuery { Specialty = "réanimation", PageSize = 100 }, Ct);
        bySpecialty.Total.Should().BeGreaterThanOrEqualTo(byActivity.Total, "the label of activity 140 is Réanimation adulte");

        var lyon = await directory.SearchOffersAsync(new RorOfferQuery { Commune = "69123", PageSize = 100 }, Ct);
        lyon.Items.Should().NotBeEmpty().And.OnlyContain(h => h.CommuneCode == "69123");
        (await directory.SearchOffersAsync(new RorOfferQuery { Commune = "lyo", PageSize = 100 }, Ct)).Total.Should().Be(lyon.Total);

        var hit = lyon.Items[0];
        var byName = await directory.SearchOffersAsync(new RorOfferQuery { Name = hit.OrganizationName, Commune = "69123" }, Ct);
        byName.Items.Select(i => i.Id).Should().Contain(hit.Id, "the organisation's name finds its offers");

        var detail = await directory.GetOfferAsync(hit.Id, Ct);
        detail!.Organizations.Should().HaveCountGreaterThanOrEqualTo(2, "the offer's organisation and its parents up to the EJ");
        detail.Organizations[^1].ParentId.Should().BeNull();
        detail.Locations.Should().NotBeEmpty();
        detail.Locations[0].Capacities.Should().OnlyContain(c => c.UpdatedAt != null);
        (await directory.GetOrganizationAsync(detail.Organizations[0].Id, Ct))!.Offers.Select(o => o.Id).Should().Contain(hit.Id);

        var status = await directory.GetStatusAsync(Ct);
        status.LastKind.Should().Be("full");
        status.Counts["HealthcareService"].Should().BeGreaterThan(0);
        status.Running.Should().BeFalse();
    }

    /// <summary>The real port with a failure, an empty export or a pause injected; records what it was asked.</summary>
    private sealed class FailingPort(IRorPort inner, int failInFile) : IRorPort
    {
        public int Exports { get; private set; }

        public List<int> FilesRead { get; } = [];

        public bool Empty { get; init; }

        public TaskCompletionSource? Gate { get; init; }

        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private IReadOnlyList<RorExportFileRef> files = [];

        public string Endpoint => inner.Endpoint;

        public Task<string> StartExportAsync(CancellationToken cancellationToken)
        {
            Exports++;
            return inner.StartExportAsync(cancellationToken);
        }

        public async Task<RorExportManifestData> WaitForExportAsync(string job, CancellationToken cancellationToken)
        {
            Started.TrySetResult();
            if (Gate is not null)
            {
                await Gate.Task.WaitAsync(cancellationToken);
            }

            var m = await inner.WaitForExportAsync(job, cancellationToken);
            files = m.Files;
            return Empty ? m with { Files = [] } : m;
        }

        public async IAsyncEnumerable<RorResourceData> ReadExportFileAsync(RorExportFileRef file, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            var index = files.ToList().FindIndex(f => f.Url == file.Url);
            FilesRead.Add(index);
            var n = 0;
            await foreach (var r in inner.ReadExportFileAsync(file, cancellationToken))
            {
                if (index == failInFile && ++n > 10)
                {
                    throw new RorPortException(RorFailureKind.Unavailable, "injected failure");
                }

                yield return r;
            }
        }

        public Task DeleteExportAsync(string job, CancellationToken cancellationToken) => inner.DeleteExportAsync(job, cancellationToken);

        public IAsyncEnumerable<RorResourceData> ReadChangesAsync(DateTimeOffset since, CancellationToken cancellationToken) => inner.ReadChangesAsync(since, cancellationToken);

        public Task<RorCapacityChangeResult> SetCapacityAsync(RorCapacityChange change, CancellationToken cancellationToken) => inner.SetCapacityAsync(change, cancellationToken);
    }
}

public sealed class SqliteRorSyncTests(SqliteTestDatabase database) : RorSyncTests(database), IClassFixture<SqliteTestDatabase>;

public sealed class PostgresRorSyncTests(PostgresTestDatabase database) : RorSyncTests(database), IClassFixture<PostgresTestDatabase>;
