using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SanteGateway.Application;
using SanteGateway.Documents.Xds;
using SanteGateway.Identity;
using SanteGateway.Insi.Sandbox.Pki;
using SanteGateway.Server.Certificates;
using SanteGateway.Server.Documents;
using SanteGateway.Store;
using SanteGateway.Store.Entities;
using SanteGateway.Store.Tests;

namespace SanteGateway.Documents.Tests;

/// <summary>
/// The document outbox: transient failures retried by the worker with exponential back-off under a lease (several
/// workers on one database), permanent refusals never retried, dead letters after the last attempt, attempts visible.
/// Real sandbox over mTLS, real SQLite and PostgreSQL.
/// </summary>
public abstract class DocumentOutboxTests<TDatabase>(SandboxFixture fx, TDatabase database)
    where TDatabase : TestDatabase
{
    private static readonly Actor Someone = new("alice", "api", IsVigilance: false);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // Whole seconds: the stored form of a time keeps less than a tick's precision.
    private readonly FakeTimeProvider clock = new(DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()));

    private static DocumentSharingOptions Options(int maxAttempts = 4, string? classCode = null)
    {
        var o = DocumentServiceTests<TDatabase>.Options();
        o.Delivery.MaxAttempts = maxAttempts;
        o.Delivery.InitialBackoff = TimeSpan.FromMinutes(1);
        o.Delivery.MaxBackoff = TimeSpan.FromMinutes(10);
        o.Delivery.Lease = TimeSpan.FromMinutes(5);
        if (classCode is not null)
        {
            o.DefaultClassCode = classCode;
        }

        return o;
    }

    /// <summary>A gateway's services on the test database with one transport: what a worker instance runs on.</summary>
    private ServiceProvider Gateway(IDocumentSharingPort port, DocumentSharingOptions? options = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMetrics();
        services.AddGatewayStore(database.Store);
        services.AddSingleton<TimeProvider>(clock);
        services.AddSingleton(Microsoft.Extensions.Options.Options.Create(options ?? Options()));
        services.AddSingleton(port);
        services.AddScoped<DocumentService>();
        services.AddSingleton<DocumentOutboxWorker>();
        return services.BuildServiceProvider();
    }

    private DocumentService Service(GatewayDbContext db, IDocumentSharingPort port, DocumentSharingOptions? options = null) =>
        new(db, clock, [port], Microsoft.Extensions.Options.Options.Create(options ?? Options()), NullLogger<DocumentService>.Instance);

    private XdsDocumentPort BrokenPort()
    {
        var options = fx.ClientOptions();
        // The DMP status answers; the repository port is closed: a transient transport failure.
        options.RepositoryEndpoint = new Uri("https://127.0.0.1:1/xds/repository");
        return new XdsDocumentPort(XdsClient.FromOptions(options), NullLogger<XdsDocumentPort>.Instance);
    }

    /// <summary>A qualified identity for the CDA's patient; the outbox is emptied first (the worker takes every due row of the database).</summary>
    private async Task<(Guid Identity, byte[] Cda, string UniqueId)> QualifiedAsync(GatewayDbContext db, bool clear = true)
    {
        if (clear)
        {
            await db.DocumentSubmissions.ExecuteDeleteAsync(Ct);
        }

        var cda = DocumentServiceTests<TDatabase>.Fresh(XdsClientTests.Cda(), out var uniqueId);
        var id = await DocumentServiceTests<TDatabase>.SeedAsync(db, cda, IdentityStatus.Qual);
        return (id, cda, uniqueId);
    }

    private async Task<DocumentSubmission> RowAsync(string uniqueId)
    {
        await using var db = database.CreateContext();
        return await db.DocumentSubmissions.AsNoTracking().SingleAsync(x => x.DocumentUniqueId == uniqueId, Ct);
    }

    [Fact]
    public async Task A_transient_failure_queues_the_submission_and_the_worker_delivers_it_once_when_it_is_due()
    {
        database.SkipIfUnavailable();
        await using var db = database.CreateContext();
        var (id, cda, uniqueId) = await QualifiedAsync(db);
        using var broken = BrokenPort();

        var sent = await Service(db, broken).SendAsync(id, new SendDocumentRequest(cda), Someone, Ct);

        sent.IsSuccess.Should().BeTrue(sent.Error?.Message);
        sent.Value!.State.Should().Be(DocumentSubmissionStates.Retrying);
        sent.Value.Attempts.Should().Be(1);
        sent.Value.ErrorCode.Should().Be("transport");
        sent.Value.NextAttemptAt.Should().Be(clock.GetUtcNow() + TimeSpan.FromMinutes(1));
        await using var gateway = Gateway(fx.Port());
        var worker = gateway.GetRequiredService<DocumentOutboxWorker>();
        (await worker.RunOnceAsync(Ct)).Should().Be(0, "the back-off has not elapsed");
        fx.Store.Find(uniqueId).Should().BeNull();

        clock.Advance(TimeSpan.FromMinutes(1));
        (await worker.RunOnceAsync(Ct)).Should().Be(1);

        var row = await RowAsync(uniqueId);
        row.State.Should().Be(DocumentSubmissionStates.Accepted);
        row.Attempts.Should().Be(2);
        row.LeaseOwner.Should().BeNull();
        fx.Store.All().Count(d => d.Entry.UniqueId == uniqueId).Should().Be(1);
        (await worker.RunOnceAsync(Ct)).Should().Be(0, "an accepted submission is never sent again");
        var listed = await Service(db, broken).ListAsync(id, Ct);
        listed.Value!.Should().ContainSingle().Which.Attempts.Should().Be(2);
    }

    [Fact]
    public async Task Each_failed_attempt_doubles_the_wait_up_to_the_cap_and_the_last_one_makes_a_dead_letter_that_can_be_resent()
    {
        database.SkipIfUnavailable();
        await using var db = database.CreateContext();
        var (id, cda, uniqueId) = await QualifiedAsync(db);
        var options = Options(maxAttempts: 5);
        options.Delivery.MaxBackoff = TimeSpan.FromMinutes(5);
        using var broken = BrokenPort();
        (await Service(db, broken, options).SendAsync(id, new SendDocumentRequest(cda), Someone, Ct)).Value!.State.Should().Be(DocumentSubmissionStates.Retrying);
        await using var gateway = Gateway(broken, options);
        var worker = gateway.GetRequiredService<DocumentOutboxWorker>();

        var waits = new List<TimeSpan>();
        var previous = clock.GetUtcNow();
        for (var attempt = 2; attempt <= 5; attempt++)
        {
            var row = await RowAsync(uniqueId);
            waits.Add(row.NextAttemptAt!.Value - previous);
            clock.SetUtcNow(row.NextAttemptAt!.Value);
            previous = row.NextAttemptAt!.Value;
            (await worker.RunOnceAsync(Ct)).Should().Be(1);
        }

        waits.Should().Equal(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(5));
        var dead = await RowAsync(uniqueId);
        dead.State.Should().Be(DocumentSubmissionStates.Failed);
        dead.Attempts.Should().Be(5);
        dead.NextAttemptAt.Should().BeNull();
        clock.Advance(TimeSpan.FromDays(1));
        (await worker.RunOnceAsync(Ct)).Should().Be(0, "a dead letter waits for staff");

        using var port = fx.Port();
        await using var staff = database.CreateContext();
        var resent = await Service(staff, port, options).ResendAsync(dead.Id, Someone, Ct);
        resent.Value!.State.Should().Be(DocumentSubmissionStates.Accepted);
        resent.Value.Attempts.Should().Be(6);
        fx.Store.Find(uniqueId).Should().NotBeNull();
    }

    [Fact]
    public async Task A_registry_refusal_is_permanent_and_never_retried()
    {
        database.SkipIfUnavailable();
        await using var db = database.CreateContext();
        var (id, cda, uniqueId) = await QualifiedAsync(db);
        // Another system already registered a document with this uniqueId: the registry refuses ours for good.
        using (var other = fx.Client())
        {
            (await other.ProvideAndRegisterAsync(XdsClientTests.Request(cda, uniqueId: uniqueId), Ct)).IsSuccess.Should().BeTrue();
        }

        using var port = fx.Port();

        var sent = await Service(db, port).SendAsync(id, new SendDocumentRequest(cda), Someone, Ct);

        sent.Error!.Rule.Should().Be("registry.refused");
        await using var gateway = Gateway(port);
        clock.Advance(TimeSpan.FromDays(1));
        (await gateway.GetRequiredService<DocumentOutboxWorker>().RunOnceAsync(Ct)).Should().Be(0);
        var row = await RowAsync(uniqueId);
        row.State.Should().Be(DocumentSubmissionStates.Refused);
        row.ErrorCode.Should().Be("XDSDuplicateUniqueIdInRegistry");
        row.Attempts.Should().Be(1);
        row.NextAttemptAt.Should().BeNull();
    }

    [Fact]
    public async Task A_queued_submission_whose_identity_lost_its_qualification_is_refused_by_the_worker_naming_the_rule_and_never_sent()
    {
        database.SkipIfUnavailable();
        await using var db = database.CreateContext();
        var (id, cda, uniqueId) = await QualifiedAsync(db);
        using var broken = BrokenPort();
        (await Service(db, broken).SendAsync(id, new SendDocumentRequest(cda), Someone, Ct)).Value!.State.Should().Be(DocumentSubmissionStates.Retrying);
        // Meanwhile the identity lost its qualification (its identity document was withdrawn: RECUP).
        await db.Evidence.Where(x => x.IdentityId == id).ExecuteDeleteAsync(Ct);
        await db.Identities.Where(x => x.Id == id).ExecuteUpdateAsync(u => u.SetProperty(x => x.Status, "RECUP"), Ct);
        await using var gateway = Gateway(fx.Port());

        clock.Advance(TimeSpan.FromMinutes(1));
        (await gateway.GetRequiredService<DocumentOutboxWorker>().RunOnceAsync(Ct)).Should().Be(1);

        var row = await RowAsync(uniqueId);
        row.State.Should().Be(DocumentSubmissionStates.Refused);
        row.ErrorCode.Should().Be("rniv.not-qualified");
        row.Attempts.Should().Be(1, "no delivery attempt was made");
        fx.Store.Find(uniqueId).Should().BeNull();
    }

    [Fact]
    public async Task A_queued_submission_whose_DMP_state_request_the_service_refuses_as_wrong_is_refused_by_the_worker_and_never_retried()
    {
        database.SkipIfUnavailable();
        await using var db = database.CreateContext();
        var (id, cda, uniqueId) = await QualifiedAsync(db);
        using var broken = BrokenPort();
        (await Service(db, broken).SendAsync(id, new SendDocumentRequest(cda), Someone, Ct)).Value!.State.Should().Be(DocumentSubmissionStates.Retrying);
        // Meanwhile the VIHF signing certificate was replaced by one the DMP does not trust: every request gets soap:Sender.
        using var refused = fx.UntrustedVihfPort();
        await using var gateway = Gateway(refused);
        var worker = gateway.GetRequiredService<DocumentOutboxWorker>();

        clock.Advance(TimeSpan.FromMinutes(1));
        (await worker.RunOnceAsync(Ct)).Should().Be(1);

        var row = await RowAsync(uniqueId);
        row.State.Should().Be(DocumentSubmissionStates.Refused);
        row.ErrorCode.Should().Be("dmp.status-refused");
        row.ErrorMessage.Should().Contain("soap-fault Sender wsse:FailedAuthentication");
        row.NextAttemptAt.Should().BeNull();
        clock.Advance(TimeSpan.FromDays(1));
        (await worker.RunOnceAsync(Ct)).Should().Be(0, "a permanent refusal is never retried");
        fx.Store.Find(uniqueId).Should().BeNull();
    }

    [Fact]
    public async Task Two_workers_on_one_database_send_each_queued_document_once()
    {
        database.SkipIfUnavailable();
        await using var db = database.CreateContext();
        using var broken = BrokenPort();
        var (id, cda, _) = await QualifiedAsync(db);
        var uniqueIds = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            var document = DocumentServiceTests<TDatabase>.Fresh(cda, out var uniqueId);
            (await Service(db, broken).SendAsync(id, new SendDocumentRequest(document), Someone, Ct)).Value!.State.Should().Be(DocumentSubmissionStates.Retrying);
            uniqueIds.Add(uniqueId);
        }

        await using var a = Gateway(fx.Port());
        await using var b = Gateway(fx.Port());
        clock.Advance(TimeSpan.FromMinutes(1));

        var counts = await Task.WhenAll(a.GetRequiredService<DocumentOutboxWorker>().RunOnceAsync(Ct), b.GetRequiredService<DocumentOutboxWorker>().RunOnceAsync(Ct));

        foreach (var uniqueId in uniqueIds)
        {
            fx.Store.All().Count(d => d.Entry.UniqueId == uniqueId).Should().Be(1);
            var row = await RowAsync(uniqueId);
            row.State.Should().Be(DocumentSubmissionStates.Accepted);
            row.Attempts.Should().Be(2, "one worker claimed it, the other skipped it");
        }

        counts.Sum().Should().Be(4, "each row is claimed by exactly one worker");
    }

    [Fact]
    public async Task A_submission_left_sending_by_a_killed_gateway_is_taken_over_after_its_lease_and_registered_once()
    {
        database.SkipIfUnavailable();
        await using var db = database.CreateContext();
        var (id, cda, uniqueId) = await QualifiedAsync(db);
        using var port = fx.Port();
        var first = await Service(db, port).SendAsync(id, new SendDocumentRequest(cda), Someone, Ct);
        // The gateway died after the registry stored the document and before it recorded the answer: the row is still
        // "sending" under the dead request's lease.
        var until = clock.GetUtcNow() + TimeSpan.FromMinutes(5);
        await db.DocumentSubmissions.Where(x => x.Id == first.Value!.Id).ExecuteUpdateAsync(u => u
            .SetProperty(x => x.State, DocumentSubmissionStates.Sending).SetProperty(x => x.AcceptedAt, (DateTimeOffset?)null)
            .SetProperty(x => x.LeaseOwner, "request:dead").SetProperty(x => x.LeaseUntil, until), Ct);
        await using var gateway = Gateway(fx.Port());
        var worker = gateway.GetRequiredService<DocumentOutboxWorker>();

        (await worker.RunOnceAsync(Ct)).Should().Be(0, "the lease of the sender still runs");
        await using (var other = database.CreateContext())
        {
            var again = await Service(other, port).SendAsync(id, new SendDocumentRequest(cda), Someone, Ct);
            again.Error!.Rule.Should().Be("document.in-progress");
        }


        clock.Advance(TimeSpan.FromMinutes(6));
        (await worker.RunOnceAsync(Ct)).Should().Be(1);

        var row = await RowAsync(uniqueId);
        row.State.Should().Be(DocumentSubmissionStates.Accepted);
        row.Attempts.Should().Be(2);
        fx.Store.All().Count(d => d.Entry.UniqueId == uniqueId).Should().Be(1);
    }

    [Fact]
    public async Task A_submission_made_for_an_establishment_that_fails_transiently_is_retried_with_that_establishments_certificate()
    {
        database.SkipIfUnavailable();
        const string lyon = "690000123";
        await using var db = database.CreateContext();
        var (id, cda, uniqueId) = await QualifiedAsync(db);
        // Lyon presents its own DMP certificate (the sandbox PKI's OTHER); the default establishment the gateway-wide one (INSI-AUTO).
        var establishments = new EstablishmentDirectory(
        [
            new("0B0000001", "Site principal") { IsDefault = true },
            new(lyon, "Site de Lyon") { Dmp = new(Path.Combine(fx.PkiDirectory, TestPki.OtherP12File), fx.Password) },
        ]);
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(establishments);
        await using var transports = services.BuildServiceProvider();
        var options = fx.ClientOptions();
        var port = EstablishmentTransports.Xds(transports, XdsClient.FromOptions(options), options);
        using var owned = port as IDisposable;
        fx.Sandbox.ClearClientCertificateSubjects();
        // The DMP is briefly down: the state request of the first attempt gets a Receiver fault.
        fx.Sandbox.Handler.InjectFaults(1, "Receiver", "Service momentanément indisponible.");

        // Sent by a Lyon user: the host has not entered any establishment, the actor says it.
        var sent = await Service(db, port).SendAsync(id, new SendDocumentRequest(cda), Someone with { Establishment = lyon }, Ct);

        sent.Value!.State.Should().Be(DocumentSubmissionStates.Retrying);
        sent.Value.Establishment.Should().Be(lyon);
        (await RowAsync(uniqueId)).Establishment.Should().Be(lyon);
        var first = fx.Sandbox.ClientCertificateSubjects.ToList();
        fx.Sandbox.ClearClientCertificateSubjects();

        await using var gateway = Gateway(port);
        clock.Advance(TimeSpan.FromMinutes(1));
        EstablishmentContext.Current.Should().BeNull("the worker runs for no establishment of its own");
        (await gateway.GetRequiredService<DocumentOutboxWorker>().RunOnceAsync(Ct)).Should().Be(1);

        (await RowAsync(uniqueId)).State.Should().Be(DocumentSubmissionStates.Accepted);
        fx.Store.Find(uniqueId).Should().NotBeNull();
        first.Should().NotBeEmpty().And.OnlyContain(s => s.Contains("CN=OTHER", StringComparison.Ordinal));
        fx.Sandbox.ClientCertificateSubjects.Should().NotBeEmpty()
            .And.OnlyContain(s => s.Contains("CN=OTHER", StringComparison.Ordinal), "the retry acts for Lyon, not for the default establishment (INSI-AUTO)");
    }
}

public sealed class SqliteDocumentOutboxTests(SandboxFixture fx, SqliteTestDatabase db) : DocumentOutboxTests<SqliteTestDatabase>(fx, db), IClassFixture<SandboxFixture>, IClassFixture<SqliteTestDatabase>;

public sealed class PostgresDocumentOutboxTests(SandboxFixture fx, PostgresTestDatabase db) : DocumentOutboxTests<PostgresTestDatabase>(fx, db), IClassFixture<SandboxFixture>, IClassFixture<PostgresTestDatabase>;
