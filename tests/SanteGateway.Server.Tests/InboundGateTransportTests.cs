using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SanteGateway.Interop.Hl7v2.Er7;
using SanteGateway.Interop.Hl7v2.Mllp;
using SanteGateway.Server.Hl7;
using SanteGateway.Server.Security;
using SanteGateway.Store.Entities;
using SanteGateway.Testing;

namespace SanteGateway.Server.Tests;

/// <summary>
/// The inbound gate behind its HL7 transports (MLLP listener, file-drop folder) and its delivery to the publisher's software
/// (webhook, MLLP peer, folder), with the review role. Same suite on SQLite and PostgreSQL.
/// </summary>
public abstract partial class InboundGateTests<TDb>
{
    /// <summary>A gateway with the MLLP listener (ephemeral port), the file drop and delivery routes configured.</summary>
    private Task<TestGateway> GatewayAsync(Scripted insi, IReadOnlyDictionary<string, string?> settings) =>
        TestGateway.StartAsync(database, insi.Port, configureBuilder: b => b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(settings)
        {
            ["Inbound:Delivery:PollInterval"] = "00:00:00.050",
            ["Inbound:Delivery:InitialBackoff"] = "00:00:00.050",
            ["Inbound:Delivery:MaxBackoff"] = "00:00:00.100",
        }));

    private static int Port(TestGateway gw) => gw.Services.GetRequiredService<Hl7ListenerService>().LocalEndpoint!.Port;

    private static string Temp() => Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "santegw-inbound-" + Guid.NewGuid().ToString("N"))).FullName;

    private static async Task<T> EventuallyAsync<T>(Func<Task<T?>> probe, string because)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (await probe() is { } value)
            {
                return value;
            }

            DateTime.UtcNow.Should().BeBefore(deadline, because);
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    private static byte[] Bytes(string er7) => Encoding.UTF8.GetBytes(er7.Replace("\r\n", "\r", StringComparison.Ordinal).Replace('\n', '\r'));

    [Fact]
    public async Task A_partners_messages_over_MLLP_are_stored_by_the_gate_and_acknowledged_per_decision()
    {
        var insi = new Scripted();
        await using var gw = await GatewayAsync(insi, new Dictionary<string, string?> { ["Hl7:Listener:Port"] = "0", ["Hl7:Listener:Partner"] = "LAB-MLLP" });
        var client = await PartnerAsync(gw, "LAB-MLLP");
        var name = NewName();
        var matricule = FakeInsi.NewMatricule();
        var local = await QualifiedAsync(client, insi, name, matricule);
        await using var mllp = new MllpClient(new MllpClientOptions { Host = "127.0.0.1", Port = Port(gw) });
        var ct = TestContext.Current.CancellationToken;

        var oru = Hl7Reader.Read(Bytes(Oru(name, matricule)));
        var controlId = "GATE-" + Guid.NewGuid().ToString("N")[..8];
        oru.Msh.Segment.SetField(10, controlId);
        var attached = await mllp.SendAsync(oru, ct);
        var held = await mllp.SendAsync(Hl7Reader.Read(Bytes(Oru(NewName(), FakeInsi.NewMatricule(), status: "PROV"))), ct);
        var withoutPid = string.Join('\r', Oru(NewName(), FakeInsi.NewMatricule()).Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("PID|", StringComparison.Ordinal)));
        var rejected = await mllp.SendAsync(Hl7Reader.Read(Bytes(withoutPid)), ct);
        var hostile = await mllp.SendAsync("MSH|^~\\&|LAB|X\r\u0001\u0002 not a segment\r"u8.ToArray(), null, ct);

        attached.Code.Should().Be("AA");
        attached.Errors.Should().BeEmpty();
        held.Code.Should().Be("AA", "a held item is stored and accepted: identity vigilance decides, the sender must not resend");
        held.Errors.Should().ContainSingle().Which.Severity.Should().Be("W");
        rejected.Code.Should().Be("AE");
        rejected.Errors.Single().ApplicationErrorCode.Should().Be("inbound.no-patient");
        hostile.Code.Should().Be("AR", "hostile input is refused outright");
        hostile.Errors.Single().ApplicationErrorCode.Should().StartWith("hl7.");
        hostile.Errors.Single().UserMessage.Should().NotBeNullOrEmpty();

        var items = await (await client.GetAsync("/api/inbound?partner=LAB-MLLP&pageSize=10")).JsonAsync();
        var list = items.GetProperty("items").EnumerateArray().ToList();
        list.Should().HaveCount(4, "every message, the hostile one included, is stored before its acknowledgment");
        list.Select(i => Str(i, "decision")).Should().BeEquivalentTo(["attach", "hold", "reject", "reject"]);
        var item = list.Single(i => Str(i, "decision") == "attach");
        Str(item, "identityId").Should().Be(local);
        var full = await (await client.GetAsync($"/api/inbound/{Str(item, "id")}")).JsonAsync();
        Str(full, "channel").Should().Be("mllp");
        await using var db = database.CreateContext();
        db.ReceivedMessages.Count(m => m.MessageId == controlId).Should().Be(0, "a partner's message is stored once, by the gate");
        db.InboundItems.Count(i => i.MessageId == controlId).Should().Be(1);
    }

    [Fact]
    public async Task A_message_of_no_configured_partner_keeps_the_plain_HL7_intake()
    {
        var insi = new Scripted();
        await using var gw = await GatewayAsync(insi, new Dictionary<string, string?> { ["Hl7:Listener:Port"] = "0", ["Hl7:Listener:PartnersBySendingFacility:SOMEWHERE"] = "LAB-SF" });
        await PartnerAsync(gw, "LAB-SF");
        await using var mllp = new MllpClient(new MllpClientOptions { Host = "127.0.0.1", Port = Port(gw) });
        var message = Hl7Reader.Read(Bytes(Oru(NewName(), FakeInsi.NewMatricule())));
        var controlId = "PLAIN-" + Guid.NewGuid().ToString("N")[..8];
        message.Msh.Segment.SetField(10, controlId);

        var ack = await mllp.SendAsync(message, TestContext.Current.CancellationToken);

        ack.Code.Should().Be("AA");
        await using var db = database.CreateContext();
        db.ReceivedMessages.Count(m => m.MessageId == controlId).Should().Be(1, "the sending facility names no partner: the message is stored as plain HL7 intake");
        db.InboundItems.Count(i => i.MessageId == controlId).Should().Be(0);
    }

    [Fact]
    public async Task A_partners_dropped_file_goes_through_the_gate_and_an_unreadable_one_lands_in_error_with_the_rule()
    {
        var insi = new Scripted();
        var folder = Temp();
        await using var gw = await GatewayAsync(insi, new Dictionary<string, string?> { ["Hl7:FileDrop:Folder"] = folder, ["Hl7:FileDrop:Partner"] = "LAB-FILE", ["Hl7:FileDrop:PollInterval"] = "00:00:00.050" });
        var client = await PartnerAsync(gw, "LAB-FILE", allowCreate: true);
        await File.WriteAllBytesAsync(Path.Combine(folder, "oru.hl7"), Bytes(Oru(NewName(), FakeInsi.NewMatricule())), TestContext.Current.CancellationToken);
        await File.WriteAllBytesAsync(Path.Combine(folder, "bad.hl7"), "MSH|^~\\&|X\rnot a segment\r"u8.ToArray(), TestContext.Current.CancellationToken);

        var done = await EventuallyAsync(() => Task.FromResult(Directory.Exists(Path.Combine(folder, "done")) ? Directory.GetFiles(Path.Combine(folder, "done")).SingleOrDefault() : null), "the good file is moved to done/");
        var errorNote = await EventuallyAsync(() => Task.FromResult(Directory.Exists(Path.Combine(folder, "error")) ? Directory.GetFiles(Path.Combine(folder, "error"), "*.error.txt").SingleOrDefault() : null), "the bad file is moved to error/");

        done.Should().EndWith("oru.hl7");
        (await File.ReadAllTextAsync(errorNote, TestContext.Current.CancellationToken)).Should().Contain("hl7.");
        var items = (await (await client.GetAsync("/api/inbound?partner=LAB-FILE")).JsonAsync()).GetProperty("items").EnumerateArray().ToList();
        items.Select(i => Str(i, "decision")).Should().BeEquivalentTo(["create", "reject"]);
        var created = items.Single(i => Str(i, "decision") == "create");
        Str(await (await client.GetAsync($"/api/inbound/{Str(created, "id")}")).JsonAsync(), "channel").Should().Be("folder");
    }

    [Fact]
    public async Task An_attached_item_is_delivered_on_every_route_with_the_local_identity_and_its_qualified_INS_only()
    {
        var insi = new Scripted();
        var folder = Temp();
        await using var hook = new Webhook();
        var peer = new Peer();
        await using var peerListener = new MllpListener(new MllpListenerOptions { Port = 0 }, peer);
        peerListener.Start();
        await using var gw = await GatewayAsync(insi, new Dictionary<string, string?>
        {
            ["Inbound:Routes:0:Name"] = "ehr-hook",
            ["Inbound:Routes:0:Kind"] = "http",
            ["Inbound:Routes:0:Url"] = hook.Url,
            ["Inbound:Routes:0:Headers:X-Api-Key"] = "publisher-secret",
            ["Inbound:Routes:1:Name"] = "ehr-mllp",
            ["Inbound:Routes:1:Kind"] = "mllp",
            ["Inbound:Routes:1:Host"] = "127.0.0.1",
            ["Inbound:Routes:1:Port"] = peerListener.LocalEndpoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Inbound:Routes:2:Name"] = "ehr-folder",
            ["Inbound:Routes:2:Kind"] = "folder",
            ["Inbound:Routes:2:Folder"] = folder,
        });
        var client = await PartnerAsync(gw, "LAB-DLV");
        var name = NewName();
        var matricule = FakeInsi.NewMatricule();
        var local = await QualifiedAsync(client, insi, name, matricule);

        var answer = await SendAsync(client, "LAB-DLV", Oru(name, matricule));
        Str(answer, "decision").Should().Be("attach", answer.ToString());
        var key = Guid.Parse(Str(answer, "id")!).ToString("N");

        var notice = await EventuallyAsync(() => Task.FromResult(hook.Requests.FirstOrDefault()), "the webhook receives the notice");
        var file = await EventuallyAsync(() => Task.FromResult(Directory.GetFiles(folder, "*.hl7").SingleOrDefault()), "the folder receives the message");
        var sent = await EventuallyAsync(() => Task.FromResult(peer.Received.FirstOrDefault()), "the MLLP peer receives the message");

        notice.Headers["Idempotency-Key"].Should().Be(key);
        notice.Headers["X-Api-Key"].Should().Be("publisher-secret");
        var json = JsonDocument.Parse(notice.Body).RootElement;
        Str(json, "identityId").Should().Be(local);
        Str(json, "decision").Should().Be("attach");
        Str(json, "identityStatus").Should().Be("QUAL");
        json.GetProperty("ins").GetProperty("matricule").GetString().Should().Be(matricule);
        Path.GetFileName(file).Should().Be(key + ".hl7", "the idempotency key names the file");
        foreach (var hl7 in new[] { Encoding.UTF8.GetString(Convert.FromBase64String(Str(json, "content")!)), await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken), sent.ToEr7() })
        {
            var ids = Hl7Reader.Read(Encoding.UTF8.GetBytes(hl7)).Pid!.Segment.Text.ToString();
            ids.Should().Contain(Guid.Parse(local).ToString("N"), "the local identity id is the patient id delivered");
            ids.Should().Contain(matricule, "the INS of a QUAL identity travels");
            ids.Should().NotContain("000897406", "the partner's identifiers are not passed on");
            hl7.Should().Contain("OBX", "the health data itself is delivered");
        }

        await using var db = database.CreateContext();
        var rows = db.Outbox.Where(m => m.MessageId == key).ToList();
        rows.Select(r => r.Destination).Should().BeEquivalentTo(["inbound:ehr-hook", "inbound:ehr-mllp", "inbound:ehr-folder"]);
        await EventuallyAsync(async () =>
        {
            await using var fresh = database.CreateContext();
            return fresh.Outbox.Count(m => m.MessageId == key && m.State == OutboxStates.Delivered) == 3 ? "done" : null;
        }, "every route is marked delivered");
        var item = await ItemAsync(client, answer);
        Actions(item).Should().Equal("received", "decided", "delivery-queued");
    }

    [Fact]
    public async Task A_delivery_refused_by_the_publisher_is_a_dead_letter_until_replayed_and_an_unreachable_one_after_the_last_attempt()
    {
        var insi = new Scripted();
        await using var hook = new Webhook { Status = HttpStatusCode.UnprocessableEntity };
        await using var gw = await GatewayAsync(insi, new Dictionary<string, string?>
        {
            ["Inbound:Routes:0:Name"] = "refusing",
            ["Inbound:Routes:0:Url"] = hook.Url,
            ["Inbound:Routes:1:Name"] = "down",
            ["Inbound:Routes:1:Url"] = $"http://127.0.0.1:{FreePort()}/none",
            ["Inbound:Routes:1:TimeoutSeconds"] = "2",
            ["Inbound:Delivery:MaxAttempts"] = "3",
        });
        var client = await PartnerAsync(gw, "LAB-DL", allowCreate: true);
        var answer = await SendAsync(client, "LAB-DL", Oru(NewName(), FakeInsi.NewMatricule(), status: "PROV"));
        Str(answer, "decision").Should().Be("create", answer.ToString());
        var key = Guid.Parse(Str(answer, "id")!).ToString("N");
        var admin = await gw.ClientAsync(GatewayRoles.Admin);

        var dead = await EventuallyAsync(async () =>
        {
            var page = await (await admin.GetAsync("/api/hl7/dead-letters?pageSize=200")).JsonAsync();
            var mine = page.GetProperty("items").EnumerateArray().Where(m => Str(m, "messageId") == key).ToList();
            return mine.Count == 2 ? mine : null;
        }, "both deliveries become dead letters");

        var refused = dead.Single(m => Str(m, "destination") == "inbound:refusing");
        refused.GetProperty("attempts").GetInt32().Should().Be(1, "a 4xx answer is the publisher refusing the content: no retry");
        Str(refused, "lastError").Should().Contain("422");
        var down = dead.Single(m => Str(m, "destination") == "inbound:down");
        down.GetProperty("attempts").GetInt32().Should().Be(3);

        hook.Status = HttpStatusCode.OK;
        var replay = await admin.PostAsync($"/api/hl7/dead-letters/{refused.GetProperty("id").GetInt64()}/replay", null);
        replay.StatusCode.Should().Be(HttpStatusCode.OK);
        await EventuallyAsync(() => Task.FromResult(hook.Requests.Count(r => r.Status == HttpStatusCode.OK) == 1 ? "ok" : null), "the replayed delivery reaches the publisher");
        hook.Requests.Select(r => r.Headers["Idempotency-Key"]).Distinct().Should().Equal([key], "a replay carries the same idempotency key");
        hook.Requests.Select(r => r.Body).Distinct().Should().HaveCount(1, "a replay sends the same bytes");
    }

    [Fact]
    public async Task An_inbound_reviewer_decides_held_items_which_are_then_delivered_but_may_not_change_partners()
    {
        var insi = new Scripted();
        var folder = Temp();
        await using var gw = await GatewayAsync(insi, new Dictionary<string, string?>
        {
            ["Inbound:Routes:0:Name"] = "after-review",
            ["Inbound:Routes:0:Kind"] = "folder",
            ["Inbound:Routes:0:Folder"] = folder,
        });
        var client = await PartnerAsync(gw, "LAB-RV");
        var reviewer = await gw.ClientAsync(GatewayRoles.InboundReviewer);
        var held = await SendAsync(client, "LAB-RV", Oru(NewName(), FakeInsi.NewMatricule(), status: "PROV"));
        Str(held, "decision").Should().Be("hold");
        Directory.GetFiles(folder).Should().BeEmpty("a held item is not delivered");
        var target = (await client.CreateAsync(Http.Person(NewName(), "DOMINIQUE", "F", "1979-03-28"))).GetProperty("id").GetString();

        (await client.PostAsJsonAsync($"/api/inbound/{Str(held, "id")}/attach", new { identityId = target, reason = "x" }, Http.Json)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await reviewer.PutAsJsonAsync("/api/inbound/partners/LAB-RV", new { assigningAuthority = "1.2.3", allowCreate = true }, Http.Json)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await reviewer.GetAsync($"/api/identities/{target}")).StatusCode.Should().Be(HttpStatusCode.OK, "a reviewer sees the candidates");
        var r = await reviewer.PostAsJsonAsync($"/api/inbound/{Str(held, "id")}/attach", new { identityId = target, reason = "confirmé avec le laboratoire" }, Http.Json);
        var item = await r.JsonAsync();
        r.StatusCode.Should().Be(HttpStatusCode.OK, item.ToString());

        Actions(item).Should().Equal("received", "ins-stripped", "decided", "attached", "delivery-queued");
        var file = await EventuallyAsync(() => Task.FromResult(Directory.GetFiles(folder, "*.hl7").SingleOrDefault()), "the reviewed item is delivered");
        (await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken)).Should().Contain(Guid.Parse(target!).ToString("N"));
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>The publisher's software over MLLP: keeps what it receives.</summary>
    private sealed class Peer : IHl7InboundHandler
    {
        public ConcurrentQueue<Hl7Message> Received { get; } = new();

        public ValueTask<Hl7StoreReceipt> StoreAsync(Hl7InboundMessage message, CancellationToken cancellationToken)
        {
            Received.Enqueue(message.Message!);
            return ValueTask.FromResult(Hl7StoreReceipt.Stored("p" + Received.Count));
        }
    }

    /// <summary>The publisher's webhook: a real HTTP server on loopback answering <see cref="Status"/>.</summary>
    private sealed class Webhook : IAsyncDisposable
    {
        private readonly WebApplication app;

        public Webhook()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            app = builder.Build();
            app.MapPost("/hook", async (HttpContext http) =>
            {
                using var reader = new StreamReader(http.Request.Body);
                var body = await reader.ReadToEndAsync();
                var status = Status;
                Requests.Enqueue(new HookRequest(http.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), body, status));
                return Results.StatusCode((int)status);
            });
            app.StartAsync().GetAwaiter().GetResult();
            Url = app.Urls.First() + "/hook";
        }

        public string Url { get; }

        public HttpStatusCode Status { get; set; } = HttpStatusCode.OK;

        public ConcurrentQueue<HookRequest> Requests { get; } = new();

        public async ValueTask DisposeAsync() => await app.DisposeAsync();
    }

    private sealed record HookRequest(Dictionary<string, string> Headers, string Body, HttpStatusCode Status);
}
