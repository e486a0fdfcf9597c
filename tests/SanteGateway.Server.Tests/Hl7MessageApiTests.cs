using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using SanteGateway.Server.Security;
using SanteGateway.Store.Entities;
using SanteGateway.Store.Tests;

namespace SanteGateway.Server.Tests;

/// <summary><c>/api/hl7</c>: received messages and dead letters (list, show, replay), on SQLite and PostgreSQL.</summary>
public abstract class Hl7MessageApiTests<TDb>(TDb database) : IClassFixture<TDb>, IAsyncLifetime
    where TDb : TestDatabase
{
    private const string Adt = "MSH|^~\\&|DPI|CHU|SANTEGW|GW|20260101120000||ADT^A28^ADT_A05|MSG-{0}|P|2.5|||||FRA|8859/1\rEVN||20260101120000\rPID|||000042^^^CHU&1.2.250.1.999.1&ISO^PI||MARTIN^JEANNE^^^^^L||19800101|F\r";
    private TestGateway? gateway;

    public async ValueTask InitializeAsync()
    {
        database.SkipIfUnavailable();
        gateway = await TestGateway.StartAsync(database);
    }

    public async ValueTask DisposeAsync()
    {
        if (gateway is not null)
        {
            await gateway.DisposeAsync();
        }
    }

    private async Task<(long Received, long Failed, long Dead, long Pending)> SeedAsync(string tag)
    {
        await using var db = database.CreateContext();
        var ok = new ReceivedMessage { Channel = "hl7v2-mllp", Partner = "127.0.0.1:5000", ReceivedAt = DateTimeOffset.UtcNow, Raw = Encoding.Latin1.GetBytes(string.Format(System.Globalization.CultureInfo.InvariantCulture, Adt, tag) + "ZZZ|é\r"), MessageId = "MSG-" + tag, Kind = "ADT^A28", AckCode = "AA" };
        var bad = new ReceivedMessage { Channel = "hl7v2-file", Partner = "file:x-" + tag, ReceivedAt = DateTimeOffset.UtcNow, Raw = [0x41, 0x42], AckCode = "AE", Error = "segment-name: no MSH" };
        var dead = new OutboxMessage { Channel = "hl7v2", Destination = "dpi-" + tag, OrderingKey = Guid.NewGuid().ToString(), Kind = "ADT^A31", MessageId = "OUT-" + tag, Payload = Encoding.UTF8.GetBytes(string.Format(System.Globalization.CultureInfo.InvariantCulture, Adt, "OUT")), State = OutboxStates.DeadLetter, Attempts = 12, CreatedAt = DateTimeOffset.UtcNow, NextAttemptAt = DateTimeOffset.UtcNow, LastError = "AE rule unknown-patient" };
        var pending = new OutboxMessage { Channel = "hl7v2", Destination = "dpi-" + tag, OrderingKey = Guid.NewGuid().ToString(), Kind = "ADT^A28", Payload = [1], State = OutboxStates.Pending, CreatedAt = DateTimeOffset.UtcNow, NextAttemptAt = DateTimeOffset.UtcNow.AddHours(1) };
        db.AddRange(ok, bad, dead, pending);
        await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        return (ok.Id, bad.Id, dead.Id, pending.Id);
    }

    [Fact]
    public async Task Received_messages_are_listed_newest_first_filtered_and_shown_with_their_text()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var (ok, failed, _, _) = await SeedAsync(tag);
        var client = await gateway!.ClientAsync(GatewayRoles.IdentityVigilance);

        var list = await (await client.GetAsync("/api/hl7/received?pageSize=200")).JsonAsync();
        var ids = list.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetInt64()).ToList();
        ids.Should().Contain([ok, failed]).And.BeInDescendingOrder();
        list.GetProperty("items").EnumerateArray().Where(i => i.TryGetProperty("text", out _)).Should().BeEmpty("lists carry no content");

        var onlyFailed = await (await client.GetAsync("/api/hl7/received?failed=true&channel=hl7v2-file&pageSize=200")).JsonAsync();
        onlyFailed.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetInt64()).Should().Contain(failed).And.NotContain(ok);

        var shown = await (await client.GetAsync($"/api/hl7/received/{ok}")).JsonAsync();
        shown.GetProperty("summary").GetProperty("kind").GetString().Should().Be("ADT^A28");
        shown.GetProperty("encoding").GetString().Should().Be("iso-8859-1");
        shown.GetProperty("text").GetString().Should().StartWith("MSH|").And.Contain("MARTIN^JEANNE").And.Contain("ZZZ|é", "MSH-18 8859/1 decodes the accented byte");
        (await client.GetAsync("/api/hl7/received/999999999")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await client.GetAsync("/api/hl7/received?pageSize=500")).StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_dead_letter_is_listed_shown_and_replayed_once_with_an_audit_event()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var (_, _, dead, pending) = await SeedAsync(tag);
        var admin = await gateway!.ClientAsync(GatewayRoles.Admin);

        var list = await (await admin.GetAsync($"/api/hl7/dead-letters?destination=dpi-{tag}")).JsonAsync();
        var item = list.GetProperty("items").EnumerateArray().Should().ContainSingle().Subject;
        item.GetProperty("id").GetInt64().Should().Be(dead);
        item.GetProperty("lastError").GetString().Should().Contain("unknown-patient");
        (await (await admin.GetAsync($"/api/hl7/outbox?state=pending&destination=dpi-{tag}")).JsonAsync()).GetProperty("items").EnumerateArray()
            .Select(i => i.GetProperty("id").GetInt64()).Should().Equal(pending);
        (await (await admin.GetAsync($"/api/hl7/outbox/{dead}")).JsonAsync()).GetProperty("text").GetString().Should().Contain("MSG-OUT");

        var replay = await admin.PostAsync($"/api/hl7/dead-letters/{dead}/replay", null);
        replay.StatusCode.Should().Be(HttpStatusCode.OK);
        var replayed = await replay.JsonAsync();
        replayed.GetProperty("state").GetString().Should().Be(OutboxStates.Pending);
        replayed.GetProperty("attempts").GetInt32().Should().Be(0);

        var again = await admin.PostAsync($"/api/hl7/dead-letters/{dead}/replay", null);
        again.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await again.JsonAsync()).GetProperty("rule").GetString().Should().Be("outbox.not-dead-letter");
        (await admin.PostAsync($"/api/hl7/dead-letters/{pending}/replay", null)).StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await admin.PostAsync("/api/hl7/dead-letters/999999999/replay", null)).StatusCode.Should().Be(HttpStatusCode.NotFound);

        await using var db = database.CreateContext();
        (await db.Outbox.AsNoTracking().SingleAsync(m => m.Id == dead, TestContext.Current.CancellationToken)).State.Should().Be(OutboxStates.Pending);
        var audit = await db.AuditEvents.AsNoTracking().Where(e => e.Action == "hl7.outbox.replay" && e.EntityId == dead.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToListAsync(TestContext.Current.CancellationToken);
        audit.Should().ContainSingle();
    }

    [Fact]
    public async Task Front_desk_and_anonymous_callers_may_not_read_raw_HL7_traffic()
    {
        var frontDesk = await gateway!.ClientAsync(GatewayRoles.FrontDesk);
        (await frontDesk.GetAsync("/api/hl7/received")).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await frontDesk.PostAsync("/api/hl7/dead-letters/1/replay", null)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await gateway.Anonymous().GetAsync("/api/hl7/dead-letters")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task The_openapi_document_describes_the_HL7_routes()
    {
        var doc = await (await gateway!.Anonymous().GetAsync("/openapi/v1.json")).JsonAsync();
        var paths = doc.GetProperty("paths");
        foreach (var path in new[] { "/api/hl7/received", "/api/hl7/received/{id}", "/api/hl7/dead-letters", "/api/hl7/outbox", "/api/hl7/outbox/{id}", "/api/hl7/dead-letters/{id}/replay" })
        {
            paths.TryGetProperty(path, out _).Should().BeTrue(path);
        }

        paths.TryGetProperty("/fhir/Patient", out _).Should().BeFalse("the FHIR endpoint is described by its CapabilityStatement");
    }
}

public sealed class Hl7MessageApiTests_on_Sqlite(SqliteTestDatabase db) : Hl7MessageApiTests<SqliteTestDatabase>(db);

public sealed class Hl7MessageApiTests_on_Postgres(PostgresTestDatabase db) : Hl7MessageApiTests<PostgresTestDatabase>(db);
