using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using SanteGateway.Server.Security;
using SanteGateway.Store.Audit;
using SanteGateway.Store.Tests;

namespace SanteGateway.Server.Tests;

/// <summary>Two gateway instances on one PostgreSQL, as a hospital group runs them behind a load balancer.</summary>
public sealed class MultiInstanceTests(PostgresTestDatabase database) : IClassFixture<PostgresTestDatabase>
{
    [Fact]
    public async Task Two_instances_share_sessions_and_their_concurrent_changes_form_one_chain_with_every_event()
    {
        database.SkipIfUnavailable();
        var ct = TestContext.Current.CancellationToken;
        await using var a = await TestGateway.StartAsync(database, configure: o => o.AuthPermitsPerMinute = 1000);
        await using var b = await TestGateway.StartAsync(database, configure: o => o.AuthPermitsPerMinute = 1000);

        // A session opened on A is accepted by B (data-protection keys in the database).
        var login = await a.Anonymous().PostAsJsonAsync("/api/auth/login", new { userName = GatewayApp.AdminUserName, password = a.AdminPassword }, Http.Json, ct);
        login.StatusCode.Should().Be(HttpStatusCode.NoContent);
        var cookie = login.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("santegw=", StringComparison.Ordinal)).Split(';')[0];
        using (var me = new HttpRequestMessage(HttpMethod.Get, "/api/auth/me"))
        {
            me.Headers.Add("Cookie", cookie);
            var answer = await b.Anonymous().SendAsync(me, ct);
            answer.StatusCode.Should().Be(HttpStatusCode.OK);
            (await answer.JsonAsync()).GetProperty("name").GetString().Should().Be(GatewayApp.AdminUserName);
        }

        // ... and a logout on B ends it on A.
        using (var logout = new HttpRequestMessage(HttpMethod.Post, "/api/auth/logout"))
        {
            logout.Headers.Add("Cookie", cookie);
            (await b.Anonymous().SendAsync(logout, ct)).StatusCode.Should().Be(HttpStatusCode.NoContent);
        }

        using (var me = new HttpRequestMessage(HttpMethod.Get, "/api/auth/me"))
        {
            me.Headers.Add("Cookie", cookie);
            (await a.Anonymous().SendAsync(me, ct)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        }

        long before;
        await using (var db = database.CreateContext())
        {
            before = await db.AuditEvents.CountAsync(ct);
        }

        var clientA = await a.ClientAsync(GatewayRoles.FrontDesk);
        var clientB = await b.ClientAsync(GatewayRoles.FrontDesk);
        var tasks = Enumerable.Range(0, 400).Select(async i =>
        {
            var client = i % 2 == 0 ? clientA : clientB;
            var r = await client.PostAsJsonAsync("/api/identities", Http.Person(birthName: "MULTI" + new string((char)('A' + (i % 26)), 1) + new string((char)('A' + (i / 26)), 1)), Http.Json, ct);
            r.StatusCode.Should().Be(HttpStatusCode.Created, await r.Content.ReadAsStringAsync(ct));
            return (await r.JsonAsync()).GetProperty("id").GetString()!;
        }).ToList();
        var ids = await Task.WhenAll(tasks);

        await using (var db = database.CreateContext())
        {
            var verification = await AuditTrail.VerifyAsync(db, ct);
            verification.IsIntact.Should().BeTrue(verification.Reason);
            verification.EventCount.Should().Be(before + 400);
            var sequences = await db.AuditEvents.OrderBy(e => e.Sequence).Select(e => e.Sequence).ToListAsync(ct);
            sequences.Should().Equal(Enumerable.Range(1, sequences.Count).Select(x => (long)x), "one chain, no gap, no fork");
            var created = await db.AuditEvents.Where(e => e.Action == "identity.created").Select(e => e.EntityId).ToListAsync(ct);
            created.Should().Contain(ids);
            var report = await AuditVerifier.VerifyAsync(db, null, null, TimeSpan.Zero, DateTimeOffset.UtcNow, ct);
            report.Findings.Should().BeEmpty();
        }
    }
}
