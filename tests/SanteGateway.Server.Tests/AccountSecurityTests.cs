using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SanteGateway.Server.Security;
using SanteGateway.Store;
using SanteGateway.Store.Tests;

namespace SanteGateway.Server.Tests;

/// <summary>
/// Sessions (F2), credentials (F3), sign-in (F6) and answer hygiene: each test fails on the gateway before issue 10.
/// Runs on SQLite and PostgreSQL.
/// </summary>
public abstract class AccountSecurityTests<TDb>(TDb database) : IAsyncLifetime
    where TDb : TestDatabase
{
    private const string Password = "Correct-Horse-42";
    private readonly MutableClock clock = new();
    private TestGateway? gateway;

    private TestGateway Gateway => gateway!;

    public async ValueTask InitializeAsync()
    {
        database.SkipIfUnavailable();
        gateway = await StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (gateway is not null)
        {
            await gateway.DisposeAsync();
        }
    }

    private Task<TestGateway> StartAsync(Action<GatewayOptions>? configure = null, Action<DbContextOptionsBuilder>? configureDb = null) =>
        TestGateway.StartAsync(database, configureDb: configureDb, configure: o =>
        {
            o.AuthPermitsPerMinute = 10_000;
            o.SessionAbsoluteLifetime = TimeSpan.FromHours(1);
            configure?.Invoke(o);
        }, configureBuilder: b =>
        {
            b.Services.RemoveAll<TimeProvider>();
            b.Services.AddSingleton<TimeProvider>(clock);
        });

    private static string NewName() => "user" + Guid.NewGuid().ToString("N")[..8];

    private async Task<(HttpClient Admin, string Id, string Name)> NewUserAsync(params string[] roles)
    {
        var admin = await Gateway.ClientAsync(GatewayRoles.Admin);
        var name = NewName();
        var created = await admin.PostAsJsonAsync("/api/admin/users", new { userName = name, password = Password, roles = roles.Length == 0 ? [GatewayRoles.FrontDesk] : roles }, Http.Json);
        created.StatusCode.Should().Be(HttpStatusCode.Created);
        return (admin, (await created.JsonAsync()).GetProperty("id").GetString()!, name);
    }

    private async Task<string> SignInAsync(string name, string password = Password)
    {
        var login = await Gateway.Anonymous().PostAsJsonAsync("/api/auth/login", new { userName = name, password }, Http.Json);
        login.StatusCode.Should().Be(HttpStatusCode.NoContent);
        return login.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("santegw=", StringComparison.Ordinal)).Split(';')[0];
    }

    private async Task<HttpStatusCode> MeAsync(string cookie)
    {
        using var me = new HttpRequestMessage(HttpMethod.Get, "/api/auth/me");
        me.Headers.Add("Cookie", cookie);
        return (await Gateway.Anonymous().SendAsync(me)).StatusCode;
    }

    private async Task<HttpResponseMessage> WithCookieAsync(HttpMethod method, string url, string cookie, object? body = null)
    {
        using var request = new HttpRequestMessage(method, url) { Content = body is null ? null : JsonContent.Create(body, options: Http.Json) };
        request.Headers.Add("Cookie", cookie);
        return await Gateway.Anonymous().SendAsync(request);
    }

    [Fact]
    public async Task Logout_ends_every_session_of_the_user_including_copies_of_the_cookie()
    {
        var (_, _, name) = await NewUserAsync();
        var first = await SignInAsync(name);
        var second = await SignInAsync(name);
        (await MeAsync(first)).Should().Be(HttpStatusCode.OK);

        (await WithCookieAsync(HttpMethod.Post, "/api/auth/logout", first)).StatusCode.Should().Be(HttpStatusCode.NoContent);

        (await MeAsync(first)).Should().Be(HttpStatusCode.Unauthorized, "a copy of the logged-out cookie");
        (await MeAsync(second)).Should().Be(HttpStatusCode.Unauthorized, "the user's other session");
    }

    [Fact]
    public async Task Role_change_disabling_and_password_reset_each_end_the_users_sessions_at_once()
    {
        var (admin, id, name) = await NewUserAsync(GatewayRoles.FrontDesk);

        var cookie = await SignInAsync(name);
        (await admin.PatchAsync($"/api/admin/users/{id}", new { roles = new[] { GatewayRoles.IdentityVigilance } }, null)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await MeAsync(cookie)).Should().Be(HttpStatusCode.Unauthorized, "roles changed");

        cookie = await SignInAsync(name);
        (await admin.PatchAsync($"/api/admin/users/{id}", new { disabled = true }, null)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await MeAsync(cookie)).Should().Be(HttpStatusCode.Unauthorized, "account disabled");
        var refused = await Gateway.Anonymous().PostAsJsonAsync("/api/auth/login", new { userName = name, password = Password }, Http.Json);
        refused.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await admin.PatchAsync($"/api/admin/users/{id}", new { disabled = false }, null)).StatusCode.Should().Be(HttpStatusCode.OK);

        cookie = await SignInAsync(name);
        var reset = await admin.PostAsJsonAsync($"/api/admin/users/{id}/reset-password", new { }, Http.Json);
        reset.StatusCode.Should().Be(HttpStatusCode.OK);
        var newPassword = (await reset.JsonAsync()).GetProperty("password").GetString()!;
        (await MeAsync(cookie)).Should().Be(HttpStatusCode.Unauthorized, "password reset");
        await SignInAsync(name, newPassword);

        var users = await (await admin.GetAsync("/api/admin/users")).JsonAsync();
        var listed = users.EnumerateArray().Single(u => u.GetProperty("id").GetString() == id);
        listed.GetProperty("roles").EnumerateArray().Select(r => r.GetString()).Should().Equal(GatewayRoles.IdentityVigilance);
        listed.GetProperty("disabled").GetBoolean().Should().BeFalse();

        var audit = await AuditActionsAsync(id);
        audit.Should().ContainInOrder("user.created", "user.roles-changed", "user.disabled", "user.enabled", "user.password-reset");
    }

    [Fact]
    public async Task Changing_ones_own_password_keeps_this_session_and_ends_the_others()
    {
        var (_, id, name) = await NewUserAsync();
        var here = await SignInAsync(name);
        var elsewhere = await SignInAsync(name);

        var wrong = await WithCookieAsync(HttpMethod.Post, "/api/auth/password", here, new { currentPassword = "not-the-password", newPassword = "Another-Horse-43" });
        wrong.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var changed = await WithCookieAsync(HttpMethod.Post, "/api/auth/password", here, new { currentPassword = Password, newPassword = "Another-Horse-43" });
        changed.StatusCode.Should().Be(HttpStatusCode.NoContent);
        var renewed = changed.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("santegw=", StringComparison.Ordinal)).Split(';')[0];

        (await MeAsync(renewed)).Should().Be(HttpStatusCode.OK);
        (await MeAsync(elsewhere)).Should().Be(HttpStatusCode.Unauthorized);
        await SignInAsync(name, "Another-Horse-43");
        (await AuditActionsAsync(id)).Should().Contain("user.password-changed");
    }

    [Fact]
    public async Task An_active_session_still_ends_at_the_absolute_lifetime()
    {
        var (_, _, name) = await NewUserAsync();
        var cookie = await SignInAsync(name);
        clock.Advance(TimeSpan.FromMinutes(40));
        (await MeAsync(cookie)).Should().Be(HttpStatusCode.OK);
        clock.Advance(TimeSpan.FromMinutes(30));
        (await MeAsync(cookie)).Should().Be(HttpStatusCode.Unauthorized, "70 minutes after sign-in with a 1-hour absolute lifetime");
    }

    [Fact]
    public async Task Api_keys_are_listed_without_secret_and_a_revoked_or_expired_key_stops_working_at_once()
    {
        var admin = await Gateway.ClientAsync(GatewayRoles.Admin);
        var created = await admin.PostAsJsonAsync("/api/admin/api-keys", new { name = "lab", roles = new[] { GatewayRoles.FrontDesk } }, Http.Json);
        created.StatusCode.Should().Be(HttpStatusCode.Created);
        var key = (await created.JsonAsync()).GetProperty("key").GetString()!;
        var id = (await created.JsonAsync()).GetProperty("id").GetString()!;
        var expiring = await (await admin.PostAsJsonAsync("/api/admin/api-keys",
            new { name = "short", roles = new[] { GatewayRoles.FrontDesk }, expiresAt = clock.GetUtcNow().AddHours(1) }, Http.Json)).JsonAsync();

        using var lab = Gateway.Anonymous();
        lab.DefaultRequestHeaders.Add(ApiKeys.Header, key);
        using var shortLived = Gateway.Anonymous();
        shortLived.DefaultRequestHeaders.Add(ApiKeys.Header, expiring.GetProperty("key").GetString());
        (await lab.GetAsync("/api/identities?birthName=NOBODY")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await shortLived.GetAsync("/api/identities?birthName=NOBODY")).StatusCode.Should().Be(HttpStatusCode.OK);

        var list = await (await admin.GetAsync("/api/admin/api-keys")).JsonAsync();
        var row = list.EnumerateArray().Single(k => k.GetProperty("id").GetString() == id);
        row.GetProperty("prefix").GetString().Should().Be($"sgw_{id}");
        row.GetProperty("name").GetString().Should().Be("lab");
        row.GetProperty("lastUsedAt").ValueKind.Should().Be(JsonValueKind.String);
        row.GetProperty("status").GetString().Should().Be("active");
        list.ToString().Should().NotContain(key[21..], "the secret is never listed");

        (await admin.DeleteAsync($"/api/admin/api-keys/{id}")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await lab.GetAsync("/api/identities?birthName=NOBODY")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await admin.DeleteAsync("/api/admin/api-keys/0000000000000000")).StatusCode.Should().Be(HttpStatusCode.NotFound);

        clock.Advance(TimeSpan.FromHours(2));
        (await shortLived.GetAsync("/api/identities?birthName=NOBODY")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await AuditActionsAsync(id)).Should().Equal("apikey.created", "apikey.revoked");
    }

    [Fact]
    public async Task Creating_a_user_answers_201_with_its_location_and_the_last_admin_cannot_be_disabled()
    {
        var admin = await Gateway.ClientAsync(GatewayRoles.Admin);
        var name = NewName();
        var created = await admin.PostAsJsonAsync("/api/admin/users", new { userName = name, password = Password, roles = new[] { GatewayRoles.Admin } }, Http.Json);
        created.StatusCode.Should().Be(HttpStatusCode.Created);
        var id = (await created.JsonAsync()).GetProperty("id").GetString();
        created.Headers.Location!.ToString().Should().Be($"/api/admin/users/{id}");
        (await admin.PostAsJsonAsync("/api/admin/users", new { userName = name, password = Password, roles = new[] { GatewayRoles.Admin } }, Http.Json))
            .StatusCode.Should().Be(HttpStatusCode.Conflict);

        // Disable every administrator but one; the last one is refused.
        var users = await (await admin.GetAsync("/api/admin/users")).JsonAsync();
        var admins = users.EnumerateArray().Where(u => !u.GetProperty("disabled").GetBoolean()
            && u.GetProperty("roles").EnumerateArray().Any(r => r.GetString() == GatewayRoles.Admin)).Select(u => u.GetProperty("id").GetString()).ToList();
        foreach (var other in admins.Skip(1))
        {
            (await admin.PatchAsync($"/api/admin/users/{other}", new { disabled = true }, null)).StatusCode.Should().Be(HttpStatusCode.OK);
        }

        var last = await admin.PatchAsync($"/api/admin/users/{admins[0]}", new { disabled = true }, null);
        last.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await last.JsonAsync()).GetProperty("rule").GetString().Should().Be("last-admin");
        foreach (var other in admins.Skip(1))
        {
            (await admin.PatchAsync($"/api/admin/users/{other}", new { disabled = false }, null)).StatusCode.Should().Be(HttpStatusCode.OK);
        }
    }

    [Fact]
    public async Task Unknown_wrong_disabled_and_throttled_sign_ins_get_one_identical_answer()
    {
        var (_, _, name) = await NewUserAsync();
        var client = Gateway.Anonymous();

        async Task<(HttpStatusCode, string)> Attempt(string user, string password)
        {
            var r = await client.PostAsJsonAsync("/api/auth/login", new { userName = user, password }, Http.Json);
            var json = await r.JsonAsync();
            return (r.StatusCode, json.GetProperty("title").GetString() + "|" + json.GetProperty("status"));
        }

        var unknown = await Attempt("nobody-" + name, "wrong-password-1");
        var answers = new List<(HttpStatusCode, string)>();
        for (var i = 0; i < LoginThrottle.FreeFailures + 2; i++)
        {
            answers.Add(await Attempt(name, "wrong-password-1"));
        }

        // Now throttled: even the right password gets the same answer, unchecked.
        var throttled = await Attempt(name, Password);
        answers.Add(throttled);
        answers.Should().AllBeEquivalentTo(unknown);
        unknown.Item1.Should().Be(HttpStatusCode.Unauthorized);
        unknown.Item2.Should().StartWith(AccountEndpoints.SignInRefused);

        clock.Advance(LoginThrottle.MaxDelay);
        var login = await client.PostAsJsonAsync("/api/auth/login", new { userName = name, password = Password }, Http.Json);
        login.StatusCode.Should().Be(HttpStatusCode.NoContent, "the delay is over");
    }

    [Fact]
    public async Task The_first_administrator_gets_the_name_chosen_at_first_start_and_is_audited()
    {
        await using var db = new SqliteTestDatabase();
        await db.InitializeAsync();
        await using var gw = await TestGateway.StartAsync(db, configure: o => o.InitialAdminUserName = "chief");
        gw.AdminPassword.Should().NotBeEmpty();
        var login = await gw.Anonymous().PostAsJsonAsync("/api/auth/login", new { userName = "chief", password = gw.AdminPassword }, Http.Json);
        login.StatusCode.Should().Be(HttpStatusCode.NoContent);
        await using var ctx = db.CreateContext();
        (await ctx.AuditEvents.AnyAsync(e => e.Action == "user.created" && e.NewValues!.Contains("chief"))).Should().BeTrue();
    }

    [Fact]
    public async Task Every_api_answer_is_marked_no_store()
    {
        var client = await Gateway.ClientAsync(GatewayRoles.FrontDesk);
        var created = await client.PostAsJsonAsync("/api/identities", Http.Person(), Http.Json);
        created.Headers.CacheControl!.NoStore.Should().BeTrue();
        var id = (await created.JsonAsync()).GetProperty("id").GetString();
        (await client.GetAsync($"/api/identities/{id}")).Headers.CacheControl!.NoStore.Should().BeTrue();
        (await Gateway.Anonymous().GetAsync("/api/auth/me")).Headers.CacheControl!.NoStore.Should().BeTrue();
    }

    [Fact]
    public async Task An_unexpected_failure_answers_500_with_a_correlation_id_and_never_the_exception_text()
    {
        await using var gw = await TestGateway.StartAsync(database, configureDb: o => o.AddInterceptors(new FailingReads()));
        var client = await gw.ClientAsync(GatewayRoles.FrontDesk);
        FailingReads.Armed = true;
        HttpResponseMessage r;
        try
        {
            r = await client.GetAsync("/api/identities?birthName=ADRTROIS");
        }
        finally
        {
            FailingReads.Armed = false;
        }

        r.StatusCode.Should().Be(HttpStatusCode.InternalServerError);
        var text = await r.Content.ReadAsStringAsync();
        text.Should().NotContain("ADRTROIS").And.NotContain("secret").And.NotContain("   at ");
        (await r.JsonAsync()).GetProperty("correlationId").GetString().Should().NotBeNullOrEmpty();
    }

    [Fact]
    public async Task An_api_key_sent_over_plain_http_is_refused_and_not_redirected_when_https_is_configured()
    {
        await using var gw = await TestGateway.StartAsync(database, configure: o =>
        {
            o.RequireHttps = true;
            o.HttpsPort = 5443;
        });
        var (key, record) = ApiKeys.Create("plain", [GatewayRoles.FrontDesk], "tests", DateTimeOffset.UtcNow);
        await using (var scope = gw.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
            db.ApiKeys.Add(record);
            await db.SaveChangesAsync();
        }

        using var client = gw.NoRedirects();
        client.DefaultRequestHeaders.Add(ApiKeys.Header, key);
        var r = await client.GetAsync("/api/identities?birthName=X");
        r.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        r.Headers.Location.Should().BeNull();
        (await r.JsonAsync()).GetProperty("rule").GetString().Should().Be("api-key.plain-http");

        using var bearer = gw.NoRedirects();
        bearer.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        var asBearer = await bearer.GetAsync("/fhir/Patient?family=X");
        asBearer.StatusCode.Should().Be(HttpStatusCode.BadRequest, "the same key sent as a bearer token is just as exposed");
        asBearer.Headers.Location.Should().BeNull();
    }

    [Fact]
    public void The_default_listening_urls_have_no_plain_http()
    {
        GatewayOptions.DefaultUrls.Should().NotContain("http:");
        new GatewayOptions().Urls.Should().StartWith("https://");
    }

    private async Task<List<string>> AuditActionsAsync(string entityId)
    {
        await using var db = database.CreateContext();
        return await db.AuditEvents.Where(e => e.EntityId == entityId).OrderBy(e => e.Sequence).Select(e => e.Action).ToListAsync();
    }
}

public sealed class AccountSecurityTests_on_Sqlite(SqliteTestDatabase db) : AccountSecurityTests<SqliteTestDatabase>(db), IClassFixture<SqliteTestDatabase>;

public sealed class AccountSecurityTests_on_Postgres(PostgresTestDatabase db) : AccountSecurityTests<PostgresTestDatabase>(db), IClassFixture<PostgresTestDatabase>;

/// <summary>Fails identity reads with an exception whose text carries identity data, while armed.</summary>
internal sealed class FailingReads : DbCommandInterceptor
{
    public static volatile bool Armed;

    public override ValueTask<InterceptionResult<System.Data.Common.DbDataReader>> ReaderExecutingAsync(System.Data.Common.DbCommand command, CommandEventData eventData,
        InterceptionResult<System.Data.Common.DbDataReader> result, CancellationToken cancellationToken = default)
    {
        if (Armed && command.CommandText.Contains("identities", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("secret: patient ADRTROIS TOUSSAINT born 1960-01-01");
        }

        return base.ReaderExecutingAsync(command, eventData, result, cancellationToken);
    }
}

public sealed class LoginThrottleTests
{
    [Fact]
    public void Failures_delay_one_account_from_one_source_with_growing_delays_and_never_another_source()
    {
        var clock = new MutableClock();
        var throttle = new LoginThrottle(clock);
        for (var i = 0; i < LoginThrottle.FreeFailures; i++)
        {
            throttle.Failed("admin", "10.0.0.66").Should().Be(TimeSpan.Zero);
        }

        var delays = Enumerable.Range(0, 4).Select(_ => throttle.Failed("admin", "10.0.0.66")).ToList();
        delays.Should().BeInAscendingOrder().And.OnlyHaveUniqueItems();
        delays[0].Should().Be(TimeSpan.FromSeconds(1));
        throttle.IsBlocked("ADMIN", "10.0.0.66").Should().BeTrue("account names are compared case-insensitively");
        throttle.IsBlocked("admin", "10.0.0.1").Should().BeFalse("the administrator's own workstation is not locked out");
        throttle.IsBlocked("other", "10.0.0.66").Should().BeFalse();

        for (var i = 0; i < 20; i++)
        {
            throttle.Failed("admin", "10.0.0.66").Should().BeLessThanOrEqualTo(LoginThrottle.MaxDelay);
        }

        clock.Advance(LoginThrottle.MaxDelay);
        throttle.IsBlocked("admin", "10.0.0.66").Should().BeFalse();
        throttle.Succeeded("admin", "10.0.0.66");
        throttle.Failed("admin", "10.0.0.66").Should().Be(TimeSpan.Zero, "a success starts over");
    }
}
