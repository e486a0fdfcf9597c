using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SanteGateway.Identity;
using SanteGateway.Interop.Hl7v2.Er7;
using SanteGateway.Interop.Hl7v2.Mllp;
using SanteGateway.Interop.Hl7v2.Pam;
using SanteGateway.Interop.Hl7v2.Segments;
using SanteGateway.Server.Hl7;
using SanteGateway.Store;
using SanteGateway.Store.Entities;
using SanteGateway.Store.Tests;
using SanteGateway.Testing;

namespace SanteGateway.Server.Tests;

/// <summary>The HL7 outbox (delivery, order per patient, back-off, dead letters, restart) and the inbound listener, on SQLite and PostgreSQL.</summary>
public abstract class Hl7MessagingTests<TDb>(TDb database) : IClassFixture<TDb>, IAsyncLifetime
    where TDb : TestDatabase
{
    private readonly List<IAsyncDisposable> _cleanup = [];

    public ValueTask InitializeAsync()
    {
        database.SkipIfUnavailable();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var d in Enumerable.Reverse(_cleanup))
        {
            await d.DisposeAsync();
        }
    }

    [Fact]
    public async Task An_identity_change_is_delivered_to_every_subscriber_and_marked_delivered()
    {
        var (a, portA) = await SubscriberAsync();
        var (b, portB) = await SubscriberAsync();
        var options = Options(("a-" + Guid.NewGuid().ToString("N")[..8], portA), ("b-" + Guid.NewGuid().ToString("N")[..8], portB));
        var patient = Guid.NewGuid().ToString();

        var rows = await EnqueueAsync(options, patient, Qual(), Hl7ChangeKind.Created);
        var worker = Worker(options);
        await worker.RunOnceAsync(TestContext.Current.CancellationToken);

        rows.Should().HaveCount(2);
        foreach (var subscriber in new[] { a, b })
        {
            var received = subscriber.Received.Should().ContainSingle().Subject;
            received.Msh.TriggerEvent.Should().Be("A28");
            PamIdentityReader.Read(received, new PamReadOptions { InsPolicy = InsPolicy.AllowTestAndDemo })!.Ins!.Matricule.Value.Should().Be("279035121518989");
        }

        await using var db = database.CreateContext();
        var stored = await db.Outbox.Where(m => m.OrderingKey == patient).ToListAsync(TestContext.Current.CancellationToken);
        stored.Should().HaveCount(2).And.OnlyContain(m => m.State == OutboxStates.Delivered && m.Attempts == 1 && m.DeliveredAt != null);
    }

    [Fact]
    public async Task A_patients_later_message_waits_for_the_earlier_one_while_other_patients_go_on()
    {
        var (subscriber, port) = await SubscriberAsync();
        var options = Options(("s-" + Guid.NewGuid().ToString("N")[..8], port));
        options.Delivery.InitialBackoff = TimeSpan.FromMilliseconds(200);
        var p1 = Guid.NewGuid().ToString();
        var p2 = Guid.NewGuid().ToString();
        var first = (await EnqueueAsync(options, p1, Qual(), Hl7ChangeKind.Created)).Single();
        await EnqueueAsync(options, p1, Qual(), Hl7ChangeKind.Updated);
        await EnqueueAsync(options, p2, Qual(), Hl7ChangeKind.Created);
        subscriber.FailOnce.Add(first.MessageId!);
        var worker = Worker(options);

        await worker.RunOnceAsync(TestContext.Current.CancellationToken);
        subscriber.Received.Select(m => m.Msh.ControlId).Should().ContainSingle("only patient 2's message may go while patient 1's first one waits");
        await Task.Delay(300, TestContext.Current.CancellationToken);
        await worker.RunOnceAsync(TestContext.Current.CancellationToken);
        await worker.RunOnceAsync(TestContext.Current.CancellationToken);

        subscriber.Failed.Should().Equal(first.MessageId);
        subscriber.Received.Select(m => m.Msh.TriggerEvent).Should().Equal("A28", "A28", "A31");
        subscriber.Received[1].Msh.ControlId.Should().Be(first.MessageId, "patient 1's A28 is delivered on retry, before its A31");
        await using var db = database.CreateContext();
        var p1Rows = await db.Outbox.Where(m => m.OrderingKey == p1).OrderBy(m => m.Id).ToListAsync(TestContext.Current.CancellationToken);
        p1Rows.Select(m => (m.State, m.Attempts)).Should().Equal((OutboxStates.Delivered, 2), (OutboxStates.Delivered, 1));
        p1Rows[0].DeliveredAt.Should().BeBefore(p1Rows[1].DeliveredAt!.Value);
    }

    [Fact]
    public async Task After_the_last_attempt_a_message_is_a_visible_dead_letter_that_can_be_requeued()
    {
        var options = Options(("down-" + Guid.NewGuid().ToString("N")[..8], FreePort()));
        options.Delivery.MaxAttempts = 2;
        options.Delivery.InitialBackoff = TimeSpan.FromMilliseconds(1);
        var row = (await EnqueueAsync(options, Guid.NewGuid().ToString(), Qual(), Hl7ChangeKind.Updated)).Single();
        var worker = Worker(options);

        await worker.RunOnceAsync(TestContext.Current.CancellationToken);
        await Task.Delay(20, TestContext.Current.CancellationToken);
        await worker.RunOnceAsync(TestContext.Current.CancellationToken);

        await using var db = database.CreateContext();
        var dead = await Hl7Outbox.DeadLettersAsync(db, ct: TestContext.Current.CancellationToken);
        var letter = dead.Should().ContainSingle(m => m.Id == row.Id).Subject;
        letter.Attempts.Should().Be(2);
        letter.LastError.Should().NotBeNullOrEmpty();
        (await Hl7Outbox.RequeueAsync(db, row.Id, DateTimeOffset.UtcNow, TestContext.Current.CancellationToken)).Should().BeTrue();
        (await db.Outbox.AsNoTracking().SingleAsync(m => m.Id == row.Id, TestContext.Current.CancellationToken)).State.Should().Be(OutboxStates.Pending);
    }

    [Fact]
    public async Task A_message_the_partner_refuses_with_AE_is_a_dead_letter_at_once_naming_the_rule()
    {
        var (subscriber, port) = await SubscriberAsync();
        subscriber.Refuse = true;
        var options = Options(("ae-" + Guid.NewGuid().ToString("N")[..8], port));
        var row = (await EnqueueAsync(options, Guid.NewGuid().ToString(), Qual(), Hl7ChangeKind.Created)).Single();

        await Worker(options).RunOnceAsync(TestContext.Current.CancellationToken);

        await using var db = database.CreateContext();
        var stored = await db.Outbox.AsNoTracking().SingleAsync(m => m.Id == row.Id, TestContext.Current.CancellationToken);
        stored.State.Should().Be(OutboxStates.DeadLetter);
        stored.Attempts.Should().Be(1);
        stored.LastError.Should().Contain("AE").And.Contain("unknown-patient");
    }

    [Fact]
    public async Task Messages_queued_while_the_subscriber_is_down_are_delivered_after_a_restart_of_the_gateway()
    {
        var port = FreePort();
        var options = Options(("restart-" + Guid.NewGuid().ToString("N")[..8], port));
        options.Delivery.PollInterval = TimeSpan.FromMilliseconds(50);
        options.Delivery.InitialBackoff = TimeSpan.FromMilliseconds(50);
        options.Delivery.MaxBackoff = TimeSpan.FromMilliseconds(100);
        var patient = Guid.NewGuid().ToString();
        await EnqueueAsync(options, patient, Qual(), Hl7ChangeKind.Created);
        await EnqueueAsync(options, patient, Qual(), Hl7ChangeKind.Updated);

        // First gateway run: the subscriber is down; the worker tries, then the gateway stops.
        var before = Worker(options);
        await before.StartAsync(TestContext.Current.CancellationToken);
        await WaitUntilAsync(async db => await db.Outbox.AnyAsync(m => m.OrderingKey == patient && m.Attempts > 0, TestContext.Current.CancellationToken));
        await before.StopAsync(TestContext.Current.CancellationToken);

        // The subscriber comes up; a new gateway process (new services, new worker) delivers what was left, in order.
        var (subscriber, _) = await SubscriberAsync(port);
        var after = Worker(options);
        await after.StartAsync(TestContext.Current.CancellationToken);
        await WaitUntilAsync(async db => await db.Outbox.CountAsync(m => m.OrderingKey == patient && m.State == OutboxStates.Delivered, TestContext.Current.CancellationToken) == 2);
        await after.StopAsync(TestContext.Current.CancellationToken);

        subscriber.Received.Select(m => m.Msh.TriggerEvent).Should().Equal("A28", "A31");
    }

    [Fact]
    public async Task The_listener_stores_each_message_before_its_ACK_including_unreadable_ones_and_INS_findings()
    {
        var port = FreePort();
        var options = new Hl7Options { Listener = { Port = port } };
        var services = Services(options);
        var listener = new Hl7ListenerService(Microsoft.Extensions.Options.Options.Create(options), Microsoft.Extensions.Options.Options.Create(new GatewayOptions { InsPolicy = InsPolicy.AllowTestAndDemo }), services.GetRequiredService<IServiceScopeFactory>(), TimeProvider.System, NullLogger<MllpListener>.Instance);
        await listener.StartAsync(TestContext.Current.CancellationToken);
        _cleanup.Add(listener);
        await using var client = new MllpClient(new MllpClientOptions { Host = "127.0.0.1", Port = port });
        var admission = await File.ReadAllBytesAsync(TestPaths.SharedFile("data", "hl7v2-ans", "hl7V2-exemples", "SGL", "admission.er7"), TestContext.Current.CancellationToken);
        var wrongKey = Hl7Reader.Read(admission);
        wrongKey.Msh.Segment.SetField(10, "WK-" + Guid.NewGuid().ToString("N")[..8]);
        wrongKey.Pid!.Segment.SetFieldRaw(3, "000003^^^CHU-X&000897406&M^PI~279035121518988^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^INS");
        var garbage = "MSH|^~\\&|A|B\rnot a segment\r"u8.ToArray();

        var ok = await client.SendAsync(admission, "3975", TestContext.Current.CancellationToken);
        var warned = await client.SendAsync(wrongKey, TestContext.Current.CancellationToken);
        var refused = await client.SendAsync(garbage, null, TestContext.Current.CancellationToken);

        ok.Code.Should().Be("AA");
        ok.Errors.Should().BeEmpty();
        warned.Code.Should().Be("AA");
        warned.Errors.Should().ContainSingle().Which.Severity.Should().Be("W");
        warned.Errors.Single().ApplicationErrorCode.Should().Be("ins-wrong-key");
        refused.Code.Should().Be("AE");
        await using var db = database.CreateContext();
        var rows = await db.ReceivedMessages.AsNoTracking().Where(r => r.Partner.StartsWith("127.0.0.1:")).OrderByDescending(r => r.Id).Take(3).ToListAsync(TestContext.Current.CancellationToken);
        rows.Reverse();
        rows[0].Raw.Should().Equal(admission);
        rows[0].Kind.Should().Be("ADT^A01");
        rows[0].AckCode.Should().Be("AA");
        rows[1].Error.Should().Contain("ins-wrong-key");
        rows[2].Raw.Should().Equal(garbage);
        rows[2].Error.Should().StartWith("segment-name");
        rows[2].AckCode.Should().Be("AE");
    }

    [Fact]
    public async Task Two_workers_on_one_database_send_every_message_exactly_once_and_in_order_per_patient()
    {
        var (subscriber, port) = await SubscriberAsync();
        var options = Options(("two-" + Guid.NewGuid().ToString("N")[..8], port));
        options.Delivery.BatchSize = 10;
        var patients = Enumerable.Range(0, 8).Select(_ => Guid.NewGuid().ToString()).ToList();
        var expected = new List<string>();
        for (var round = 0; round < 5; round++)
        {
            foreach (var p in patients)
            {
                expected.AddRange((await EnqueueAsync(options, p, Qual(), round == 0 ? Hl7ChangeKind.Created : Hl7ChangeKind.Updated)).Select(r => r.MessageId!));
            }
        }

        var a = Worker(options);
        var b = Worker(options);
        var ct = TestContext.Current.CancellationToken;
        async Task DrainAsync(Hl7OutboxWorker w)
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (subscriber.Queue.Count < expected.Count && DateTime.UtcNow < deadline)
            {
                try
                {
                    await w.RunOnceAsync(ct);
                }
                catch (Exception e) when (e is DbUpdateException or InvalidOperationException or System.Data.Common.DbException)
                {
                    // SQLite: the two workers contend for the single writer; the pass is retried as the hosted loop would.
                }
            }
        }

        await Task.WhenAll(Task.Run(() => DrainAsync(a), ct), Task.Run(() => DrainAsync(b), ct));

        var received = subscriber.Received.Select(m => m.Msh.ControlId!).ToList();
        received.Should().OnlyHaveUniqueItems("no message is sent by both workers");
        received.Should().BeEquivalentTo(expected);
        await using var db = database.CreateContext();
        var rows = await db.Outbox.AsNoTracking().Where(m => patients.Contains(m.OrderingKey)).ToListAsync(ct);
        rows.Should().OnlyContain(m => m.State == OutboxStates.Delivered && m.Attempts == 1 && m.LeaseOwner == null);
        foreach (var patient in patients)
        {
            var sent = rows.Where(r => r.OrderingKey == patient).OrderBy(r => r.Id).Select(r => r.MessageId).ToList();
            received.Where(sent.Contains).Should().Equal(sent, "a patient's messages arrive in the order they were queued");
        }
    }

    [Fact]
    public async Task A_message_claimed_by_a_worker_that_died_is_taken_over_when_its_lease_expires()
    {
        var (subscriber, port) = await SubscriberAsync();
        var options = Options(("lease-" + Guid.NewGuid().ToString("N")[..8], port));
        var row = (await EnqueueAsync(options, Guid.NewGuid().ToString(), Qual(), Hl7ChangeKind.Created)).Single();
        var ct = TestContext.Current.CancellationToken;
        await using (var db = database.CreateContext())
        {
            await db.Outbox.Where(m => m.Id == row.Id).ExecuteUpdateAsync(u => u.SetProperty(m => m.LeaseOwner, "dead-instance").SetProperty(m => m.LeaseUntil, DateTimeOffset.UtcNow.AddMinutes(5)), ct);
        }

        var worker = Worker(options);
        (await worker.RunOnceAsync(ct)).Should().Be(0, "another instance holds the message");
        subscriber.Queue.Should().BeEmpty();

        await using (var db = database.CreateContext())
        {
            await db.Outbox.Where(m => m.Id == row.Id).ExecuteUpdateAsync(u => u.SetProperty(m => m.LeaseUntil, DateTimeOffset.UtcNow.AddSeconds(-1)), ct);
        }

        (await worker.RunOnceAsync(ct)).Should().Be(1);
        subscriber.Received.Should().ContainSingle().Which.Msh.ControlId.Should().Be(row.MessageId);
    }

    [Fact]
    public async Task Dropped_files_are_stored_then_moved_to_done_or_error_and_temporary_names_are_left_alone()
    {
        var folder = Directory.CreateTempSubdirectory("santegw-drop-").FullName;
        _cleanup.Add(new AsyncDisposer(() => { Directory.Delete(folder, true); return Task.CompletedTask; }));
        var adt = await File.ReadAllBytesAsync(TestPaths.SharedFile("data", "hl7v2", "adt-a01-admission.er7"), TestContext.Current.CancellationToken);
        await File.WriteAllBytesAsync(Path.Combine(folder, "a01.hl7"), adt, TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(folder, "garbage.hl7"), "NOT HL7 AT ALL", TestContext.Current.CancellationToken);
        await File.WriteAllBytesAsync(Path.Combine(folder, "half-written.hl7.tmp"), adt, TestContext.Current.CancellationToken);
        var drop = FileDrop(folder);

        (await drop.RunOnceAsync(TestContext.Current.CancellationToken)).Should().Be(2);

        Directory.GetFiles(folder).Select(Path.GetFileName).Should().Equal("half-written.hl7.tmp");
        Directory.GetFiles(Path.Combine(folder, "processing")).Should().BeEmpty();
        var done = Directory.GetFiles(Path.Combine(folder, "done")).Should().ContainSingle().Subject;
        done.Should().EndWith("-a01.hl7");
        (await File.ReadAllBytesAsync(done, TestContext.Current.CancellationToken)).Should().Equal(adt, "the file is moved, never rewritten");
        var errors = Directory.GetFiles(Path.Combine(folder, "error")).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        errors.Should().HaveCount(2).And.Contain(f => f!.EndsWith("-garbage.hl7", StringComparison.Ordinal)).And.Contain(f => f!.EndsWith("-garbage.hl7.error.txt", StringComparison.Ordinal));

        await using var db = database.CreateContext();
        var names = new[] { "file:" + Path.GetFileName(done), "file:" + errors.Single(f => f!.EndsWith(".hl7", StringComparison.Ordinal)) };
        var rows = await db.ReceivedMessages.AsNoTracking().Where(m => names.Contains(m.Partner)).OrderBy(m => m.Id).ToListAsync(TestContext.Current.CancellationToken);
        rows.Should().HaveCount(2).And.OnlyContain(r => r.Channel == Hl7FileDropService.Channel);
        rows[0].Raw.Should().Equal(adt);
        rows[0].AckCode.Should().Be("AA");
        rows[0].Kind.Should().Be("ADT^A01");
        rows[1].AckCode.Should().Be("AE");
        rows[1].Error.Should().NotBeNullOrEmpty();
    }

    [Fact]
    public async Task A_file_left_in_processing_by_a_crash_is_stored_once_and_moved_on_the_next_pass()
    {
        var folder = Directory.CreateTempSubdirectory("santegw-drop-").FullName;
        _cleanup.Add(new AsyncDisposer(() => { Directory.Delete(folder, true); return Task.CompletedTask; }));
        var processing = Directory.CreateDirectory(Path.Combine(folder, "processing")).FullName;
        var adt = await File.ReadAllBytesAsync(TestPaths.SharedFile("data", "hl7v2", "adt-a01-admission.er7"), TestContext.Current.CancellationToken);
        var stamp = DateTime.UtcNow.AddMinutes(-10).ToString("yyyyMMdd'T'HHmmssfff", System.Globalization.CultureInfo.InvariantCulture);
        // One crashed after the store (its row exists), one before it; one claim is fresh (another instance is on it).
        var stored = $"{stamp}-aaaaaaaa-{Guid.NewGuid():N}.hl7";
        var notStored = $"{stamp}-bbbbbbbb-{Guid.NewGuid():N}.hl7";
        var fresh = $"{DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmssfff", System.Globalization.CultureInfo.InvariantCulture)}-cccccccc-{Guid.NewGuid():N}.hl7";
        foreach (var name in new[] { stored, notStored, fresh })
        {
            await File.WriteAllBytesAsync(Path.Combine(processing, name), adt, TestContext.Current.CancellationToken);
        }

        await using (var db = database.CreateContext())
        {
            db.ReceivedMessages.Add(new ReceivedMessage { Channel = Hl7FileDropService.Channel, Partner = "file:" + stored, ReceivedAt = DateTimeOffset.UtcNow, Raw = adt, AckCode = "AA", Kind = "ADT^A01" });
            await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        }

        (await FileDrop(folder).RunOnceAsync(TestContext.Current.CancellationToken)).Should().Be(2);

        Directory.GetFiles(processing).Select(Path.GetFileName).Should().Equal(fresh);
        Directory.GetFiles(Path.Combine(folder, "done")).Select(Path.GetFileName).Should().BeEquivalentTo([stored, notStored]);
        await using var check = database.CreateContext();
        var partners = new[] { "file:" + stored, "file:" + notStored, "file:" + fresh };
        var counts = await check.ReceivedMessages.AsNoTracking().Where(m => partners.Contains(m.Partner)).GroupBy(m => m.Partner).Select(g => new { g.Key, N = g.Count() }).ToListAsync(TestContext.Current.CancellationToken);
        counts.Should().BeEquivalentTo([new { Key = "file:" + stored, N = 1 }, new { Key = "file:" + notStored, N = 1 }]);
    }

    private Hl7FileDropService FileDrop(string folder)
    {
        var options = new Hl7Options { FileDrop = { Folder = folder } };
        var provider = Services(options);
        return new Hl7FileDropService(Microsoft.Extensions.Options.Options.Create(options), Microsoft.Extensions.Options.Options.Create(new GatewayOptions { InsPolicy = InsPolicy.AllowTestAndDemo }),
            provider.GetRequiredService<IServiceScopeFactory>(), TimeProvider.System, NullLogger<Hl7FileDropService>.Instance);
    }

    private static RnivIdentity Qual()
    {
        var traits = IdentityTraits.Create("PAT-TROIS", ["DOMINIQUE"], "DOMINIQUE", Sex.Female, new BirthDate(new DateOnly(1979, 3, 28), false), "63220").Value!;
        var identity = RnivIdentity.CreateProvisional(traits);
        identity.RecordInsiResult(new InsIdentifier(InsMatricule.Parse("279035121518989"), InsOids.Test), [], traits, DateTimeOffset.UtcNow).Succeeded.Should().BeTrue();
        identity.RecordHighTrustEvidence(new Evidence("CN", new DateOnly(2024, 3, 6), null), new HighTrustDocumentPolicy(["CN"])).Succeeded.Should().BeTrue();
        return identity;
    }

    private static Hl7Options Options(params (string Name, int Port)[] subscribers)
    {
        var options = new Hl7Options { SendingFacility = "CHU-X" };
        foreach (var (name, port) in subscribers)
        {
            options.Subscribers.Add(new Hl7SubscriberOptions { Name = name, Host = "127.0.0.1", Port = port, AckTimeoutSeconds = 5, ReceivingApplication = "DPI" });
        }

        return options;
    }

    private async Task<IReadOnlyList<OutboxMessage>> EnqueueAsync(Hl7Options options, string patient, RnivIdentity identity, Hl7ChangeKind kind)
    {
        await using var db = database.CreateContext();
        var rows = Hl7Notifications.Enqueue(db, options, patient, identity, new PamPatientContext(new Cx("000003", new Hd("CHU-X", "000897406", "M"), "PI")), kind);
        await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        return rows;
    }

    private ServiceProvider Services(Hl7Options options)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddGatewayStore(database.Store);
        services.AddSingleton(Microsoft.Extensions.Options.Options.Create(options));
        var provider = services.BuildServiceProvider();
        _cleanup.Add(provider);
        return provider;
    }

    private Hl7OutboxWorker Worker(Hl7Options options)
    {
        var provider = Services(options);
        var worker = new Hl7OutboxWorker(provider.GetRequiredService<IServiceScopeFactory>(), Microsoft.Extensions.Options.Options.Create(options), TimeProvider.System, NullLogger<Hl7OutboxWorker>.Instance);
        _cleanup.Add(new AsyncDisposer(async () => { await worker.StopAsync(CancellationToken.None); worker.Dispose(); }));
        return worker;
    }

    private async Task WaitUntilAsync(Func<GatewayDbContext, Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            await using (var db = database.CreateContext())
            {
                if (await condition(db))
                {
                    return;
                }
            }

            DateTime.UtcNow.Should().BeBefore(deadline, "the condition must become true");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    private async Task<(Subscriber Subscriber, int Port)> SubscriberAsync(int port = 0)
    {
        var subscriber = new Subscriber();
        var listener = new MllpListener(new MllpListenerOptions { Port = port }, subscriber);
        listener.Start();
        _cleanup.Add(listener);
        return (subscriber, listener.LocalEndpoint.Port);
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>A partner: records what it stores; can fail a message once (AR) or refuse everything (AE).</summary>
    private sealed class Subscriber : IHl7InboundHandler
    {
        private int _count;

        public ConcurrentQueue<Hl7Message> Queue { get; } = new();

        public IReadOnlyList<Hl7Message> Received => [.. Queue];

        public ConcurrentBag<string> FailOnce { get; } = [];

        public ConcurrentBag<string> Failed { get; } = [];

        public bool Refuse { get; set; }

        public ValueTask<Hl7StoreReceipt> StoreAsync(Hl7InboundMessage message, CancellationToken cancellationToken)
        {
            var id = message.Message!.Msh.ControlId!;
            if (FailOnce.Contains(id) && !Failed.Contains(id))
            {
                Failed.Add(id);
                throw new IOException("down for a moment");
            }

            Queue.Enqueue(message.Message);
            var storage = "s" + Interlocked.Increment(ref _count);
            return ValueTask.FromResult(Refuse
                ? Hl7StoreReceipt.StoredButRejected(storage, new Hl7AckError("unknown-patient", "No such patient.", "204"))
                : Hl7StoreReceipt.Stored(storage));
        }
    }

    private sealed class AsyncDisposer(Func<Task> dispose) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await dispose();
    }
}

public sealed class Hl7MessagingTests_on_Sqlite(SqliteTestDatabase db) : Hl7MessagingTests<SqliteTestDatabase>(db);

public sealed class Hl7MessagingTests_on_Postgres(PostgresTestDatabase db) : Hl7MessagingTests<PostgresTestDatabase>(db);
