using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using SanteGateway.Application;
using SanteGateway.Server.Insi;
using SanteGateway.Server.Security;
using SanteGateway.Store;
using SanteGateway.Store.Audit;
using SanteGateway.Store.Entities;
using SanteGateway.Store.Tests;

namespace SanteGateway.Server.Tests;

/// <summary>The REST API end to end; the same suite runs on SQLite and on PostgreSQL (subclasses at the bottom).</summary>
public abstract class ApiTests<TDb>(TDb database) : IClassFixture<TDb>, IAsyncLifetime
    where TDb : TestDatabase
{
    private const string FrontDesk = GatewayRoles.FrontDesk;
    private const string Vigilance = GatewayRoles.IdentityVigilance;
    private TestGateway? gateway;

    private TestGateway Gateway => gateway!;

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

    private static string Unique(string prefix) => prefix + " " + new string(Guid.NewGuid().ToString("N").Where(char.IsLetter).Take(8).Select(char.ToUpperInvariant).ToArray());

    [Fact]
    public async Task Readiness_checks_the_database_and_answers_with_security_headers()
    {
        var r = await Gateway.Anonymous().GetAsync("/health/ready");
        r.StatusCode.Should().Be(HttpStatusCode.OK);
        r.Headers.GetValues("X-Content-Type-Options").Should().Equal("nosniff");
        r.Headers.GetValues("X-Frame-Options").Should().Equal("DENY");
        r.Headers.Contains("Content-Security-Policy").Should().BeTrue();
        (await Gateway.Anonymous().GetAsync("/health/live")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task The_openapi_document_lists_the_identity_routes()
    {
        var doc = await (await Gateway.Anonymous().GetAsync("/openapi/v1.json")).JsonAsync();
        var paths = doc.GetProperty("paths");
        paths.TryGetProperty("/api/identities/{id}/insi-search", out _).Should().BeTrue();
        paths.TryGetProperty("/api/identities/{id}", out _).Should().BeTrue();
    }

    [Fact]
    public async Task An_identity_created_without_evidence_is_provisional_and_carries_its_version()
    {
        var client = await Gateway.ClientAsync(FrontDesk);
        var r = await client.PostAsJsonAsync("/api/identities", Http.Person(Unique("MARTIN")), Http.Json);
        r.StatusCode.Should().Be(HttpStatusCode.Created);
        r.Headers.ETag!.Tag.Should().Be("\"1\"");
        var json = await r.JsonAsync();
        json.GetProperty("status").GetString().Should().Be("PROV");
        json.GetProperty("canTransmitIns").GetBoolean().Should().BeFalse();
        var id = json.GetProperty("id").GetString();
        var get = await client.GetAsync($"/api/identities/{id}");
        get.StatusCode.Should().Be(HttpStatusCode.OK);
        (await get.JsonAsync()).GetProperty("birthFirstNames").GetString().Should().Be("JEAN PIERRE");
    }

    [Fact]
    public async Task An_identity_created_with_a_passport_check_is_validated()
    {
        var client = await Gateway.ClientAsync(FrontDesk);
        var json = await client.CreateAsync(Http.Person(Unique("BERNARD"), evidence: Http.Passport()));
        json.GetProperty("status").GetString().Should().Be("VALI");
        json.GetProperty("evidence")[0].GetProperty("highTrust").GetBoolean().Should().BeTrue();
    }

    [Fact]
    public async Task Without_a_configured_high_trust_list_a_passport_is_recorded_but_validates_nothing()
    {
        // RNIV EXI ID 19: the list is the structure's choice; the code pre-selects no document.
        await using var bare = await TestGateway.StartAsync(database, configure: o => o.HighTrustDocuments.Clear());
        var client = await bare.ClientAsync(FrontDesk);
        var json = await client.CreateAsync(Http.Person(Unique("MOREL"), evidence: Http.Passport()));
        json.GetProperty("status").GetString().Should().Be("PROV");
        json.GetProperty("evidence")[0].GetProperty("highTrust").GetBoolean().Should().BeFalse();
    }

    [Fact]
    public async Task A_driving_licence_is_recorded_but_does_not_validate_the_identity()
    {
        var client = await Gateway.ClientAsync(FrontDesk);
        var json = await client.CreateAsync(Http.Person(Unique("PETIT"), evidence: new { documentType = "PC", checkedOn = "2026-01-10" }));
        json.GetProperty("status").GetString().Should().Be("PROV");
    }

    [Fact]
    public async Task Bad_traits_are_refused_with_a_problem_naming_each_field_and_rule()
    {
        var client = await Gateway.ClientAsync(FrontDesk);
        var r = await client.PostAsJsonAsync("/api/identities", new { birthName = "DUP0NT", birthFirstNames = "JEAN", sex = "X", birthDate = "2999-01-01" }, Http.Json);
        r.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        r.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var errors = (await r.JsonAsync()).GetProperty("errors");
        errors.GetProperty("birthName")[0].GetString().Should().StartWith("character:").And.Contain("position 4");
        errors.GetProperty("sex")[0].GetString().Should().StartWith("code:");
        errors.GetProperty("birthDate")[0].GetString().Should().StartWith("future:");
    }

    [Fact]
    public async Task A_first_first_name_that_does_not_start_the_list_is_refused()
    {
        var client = await Gateway.ClientAsync(FrontDesk);
        var r = await client.PostAsJsonAsync("/api/identities", new { birthName = "DURAND", birthFirstNames = "MARIE LOUISE", firstFirstName = "LOUISE", sex = "F", birthDate = "1970-01-01" }, Http.Json);
        r.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await r.JsonAsync()).GetProperty("errors").GetProperty("firstFirstName")[0].GetString().Should().StartWith("first-name-consistency:");
    }

    [Fact]
    public async Task Search_ignores_accents_and_case_and_flags_homonyms()
    {
        var client = await Gateway.ClientAsync(FrontDesk);
        var name = Unique("LEFÈVRE");
        await client.CreateAsync(Http.Person(name, "ÉLODIE", "F", "1990-02-03"));
        await client.CreateAsync(Http.Person(name, "CLAIRE", "F", "1990-02-03"));
        await client.CreateAsync(Http.Person(name, "ANNE", "F", "1991-02-03"));

        var query = Uri.EscapeDataString(name.Replace("È", "e", StringComparison.Ordinal).ToLowerInvariant());
        var page = await (await client.GetAsync($"/api/identities?birthName={query}")).JsonAsync();
        page.GetProperty("total").GetInt32().Should().Be(3);
        var items = page.GetProperty("items").EnumerateArray().ToList();
        items.Where(i => i.GetProperty("birthDate").GetString() == "1990-02-03")
            .Should().HaveCount(2).And.OnlyContain(i => i.GetProperty("homonymHints").EnumerateArray().Any(h => h.GetString() == "birth-name+birth-date"));
        items.Single(i => i.GetProperty("birthDate").GetString() == "1991-02-03").GetProperty("homonymHints").GetArrayLength().Should().Be(0);

        var byFirst = await (await client.GetAsync($"/api/identities?birthName={query}&firstName=elodie&birthDate=1990-02-03")).JsonAsync();
        byFirst.GetProperty("total").GetInt32().Should().Be(1);
    }

    [Fact]
    public async Task Search_pages_results_and_refuses_pages_over_one_hundred()
    {
        var client = await Gateway.ClientAsync(FrontDesk);
        var name = Unique("ROUX");
        for (var i = 0; i < 3; i++)
        {
            await client.CreateAsync(Http.Person(name, birthDate: $"198{i}-01-01"));
        }

        var page = await (await client.GetAsync($"/api/identities?birthName={Uri.EscapeDataString(name)}&page=2&pageSize=2")).JsonAsync();
        page.GetProperty("total").GetInt32().Should().Be(3);
        page.GetProperty("items").GetArrayLength().Should().Be(1);

        var tooBig = await client.GetAsync("/api/identities?pageSize=101");
        tooBig.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await tooBig.JsonAsync()).GetProperty("errors").GetProperty("pageSize")[0].GetString().Should().StartWith("range:");
    }

    [Fact]
    public async Task Two_concurrent_edits_of_the_same_version_let_one_win_and_the_other_get_409()
    {
        var client = await Gateway.ClientAsync(FrontDesk);
        var created = await client.CreateAsync(Http.Person(Unique("MOREAU")));
        var url = $"/api/identities/{created.GetProperty("id").GetString()}";

        var responses = await Task.WhenAll(
            Task.Run(() => client.PatchAsync(url, new { usedName = "ALPHA" }, 1)),
            Task.Run(() => client.PatchAsync(url, new { usedName = "BETA" }, 1)));

        responses.Select(r => r.StatusCode).Should().BeEquivalentTo([HttpStatusCode.OK, HttpStatusCode.Conflict]);
        var loser = responses.Single(r => r.StatusCode == HttpStatusCode.Conflict);
        (await loser.JsonAsync()).GetProperty("errors").GetProperty("version")[0].GetString().Should().StartWith("concurrency.stale:");
        var winner = await responses.Single(r => r.StatusCode == HttpStatusCode.OK).JsonAsync();
        var stored = await (await client.GetAsync(url)).JsonAsync();
        stored.GetProperty("usedName").GetString().Should().Be(winner.GetProperty("usedName").GetString());
        stored.GetProperty("version").GetInt64().Should().Be(2);
    }

    [Fact]
    public async Task An_edit_with_a_stale_version_is_refused_and_an_edit_without_version_needs_one()
    {
        var client = await Gateway.ClientAsync(FrontDesk);
        var created = await client.CreateAsync(Http.Person(Unique("SIMON")));
        var url = $"/api/identities/{created.GetProperty("id").GetString()}";
        (await client.PatchAsync(url, new { usedName = "ONE" }, 1)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await client.PatchAsync(url, new { usedName = "TWO" }, 1)).StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await client.PatchAsync(url, new { usedName = "TWO" }, null)).StatusCode.Should().Be((HttpStatusCode)428);
        (await client.PatchAsync(url, new { version = 2, usedName = "TWO" }, null)).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Unauthenticated_calls_get_401_and_roles_without_the_right_get_403()
    {
        (await Gateway.Anonymous().GetAsync("/api/identities")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        var bad = Gateway.Anonymous();
        bad.DefaultRequestHeaders.Add(ApiKeys.Header, "sgw_0123456789abcdef_not-the-secret");
        (await bad.GetAsync("/api/identities")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);

        var frontDesk = await Gateway.ClientAsync(FrontDesk);
        var admin = await Gateway.ClientAsync(GatewayRoles.Admin);
        var id = (await frontDesk.CreateAsync(Http.Person(Unique("LAURENT")))).GetProperty("id").GetString();

        (await frontDesk.PostAsJsonAsync($"/api/identities/{id}/attributes", new { homonym = true }, Http.Json)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await frontDesk.PostAsJsonAsync("/api/admin/api-keys", new { name = "x", roles = new[] { "admin" } }, Http.Json)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await admin.PostAsJsonAsync("/api/identities", Http.Person(), Http.Json)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await admin.GetAsync($"/api/identities/{id}")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Only_identity_vigilance_may_unlock_the_strict_traits_of_a_validated_identity()
    {
        var frontDesk = await Gateway.ClientAsync(FrontDesk);
        var vigilance = await Gateway.ClientAsync(Vigilance);
        var created = await frontDesk.CreateAsync(Http.Person(Unique("GARNIER"), evidence: Http.Passport()));
        var url = $"/api/identities/{created.GetProperty("id").GetString()}";

        var refused = await frontDesk.PatchAsync(url, new { birthDate = "1980-05-18" }, 1);
        refused.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await refused.JsonAsync()).GetProperty("rule").GetString().Should().Be("rniv.strict-traits-locked");
        (await frontDesk.PatchAsync(url, new { usedName = "GARNIER-DUVAL" }, 1)).StatusCode.Should().Be(HttpStatusCode.OK);

        var accepted = await vigilance.PatchAsync(url, new { birthDate = "1980-05-18" }, 2);
        accepted.StatusCode.Should().Be(HttpStatusCode.OK);
        (await accepted.JsonAsync()).GetProperty("birthDate").GetString().Should().Be("1980-05-18");
    }

    [Fact]
    public async Task A_doubtful_identity_is_forced_provisional_and_insi_is_refused()
    {
        var name = Unique("DUPONT");
        var insi = FakeInsi.Returning(birthName: name);
        await using var gw = await TestGateway.StartAsync(database, insi);
        var frontDesk = await gw.ClientAsync(FrontDesk);
        var vigilance = await gw.ClientAsync(Vigilance);
        var id = (await frontDesk.CreateAsync(Http.Person(name, evidence: Http.Passport()))).GetProperty("id").GetString();

        var set = await (await vigilance.PostAsJsonAsync($"/api/identities/{id}/attributes", new { doubtful = true }, Http.Json)).JsonAsync();
        set.GetProperty("status").GetString().Should().Be("PROV");
        set.GetProperty("attributes").EnumerateArray().Select(a => a.GetString()).Should().Equal("DOUT");

        var call = await frontDesk.PostAsync($"/api/identities/{id}/insi-search", null);
        call.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await call.JsonAsync()).GetProperty("rule").GetString().Should().Be("rniv.insi-blocked");
        insi.Calls.Should().Be(0);

        var both = await vigilance.PostAsJsonAsync($"/api/identities/{id}/attributes", new { fictitious = true }, Http.Json);
        both.StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_consistent_insi_answer_makes_a_validated_identity_qualified_and_records_the_exchange()
    {
        var name = Unique("DUPONT");
        var insi = FakeInsi.Returning(birthName: name);
        await using var gw = await TestGateway.StartAsync(database, insi);
        var client = await gw.ClientAsync(FrontDesk);
        var id = (await client.CreateAsync(Http.Person(name, evidence: Http.Passport()))).GetProperty("id").GetString();

        var r = await client.PostAsync($"/api/identities/{id}/insi-search", null);
        r.StatusCode.Should().Be(HttpStatusCode.OK);
        var json = await r.JsonAsync();
        json.GetProperty("applied").GetBoolean().Should().BeTrue();
        var identity = json.GetProperty("identity");
        identity.GetProperty("status").GetString().Should().Be("QUAL");
        identity.GetProperty("canTransmitIns").GetBoolean().Should().BeTrue();
        identity.GetProperty("ins").GetProperty("matricule").GetString().Should().Be(insi.ReturnedMatricule);

        var exchanges = await (await client.GetAsync($"/api/identities/{id}/insi-exchanges")).JsonAsync();
        exchanges.GetProperty("total").GetInt32().Should().Be(1);
        var exchange = exchanges.GetProperty("items")[0];
        exchange.GetProperty("operation").GetString().Should().Be("search");
        exchange.GetProperty("outcome").GetString().Should().Be("found");
        exchange.GetProperty("responseXml").GetString().Should().Be("<response/>");
        exchange.GetProperty("certificateCn").GetString().Should().Be("TEST-CLIENT");
    }

    [Fact]
    public async Task An_insi_answer_with_other_traits_is_reported_and_never_overwrites_the_identity()
    {
        var name = Unique("DUPONT");
        await using var gw = await TestGateway.StartAsync(database, FakeInsi.Returning(birthName: name, firstNames: "JEAN PAUL"));
        var client = await gw.ClientAsync(FrontDesk);
        var id = (await client.CreateAsync(Http.Person(name))).GetProperty("id").GetString();

        var json = await (await client.PostAsync($"/api/identities/{id}/insi-search", null)).JsonAsync();
        json.GetProperty("applied").GetBoolean().Should().BeFalse();
        var mismatch = json.GetProperty("mismatches").EnumerateArray().Single();
        mismatch.GetProperty("field").GetString().Should().Be("birthFirstNames");
        mismatch.GetProperty("insi").GetString().Should().Be("JEAN PAUL");

        var stored = await (await client.GetAsync($"/api/identities/{id}")).JsonAsync();
        stored.GetProperty("birthFirstNames").GetString().Should().Be("JEAN PIERRE");
        stored.GetProperty("status").GetString().Should().Be("PROV");
        stored.GetProperty("version").GetInt64().Should().Be(1);
    }

    [Fact]
    public async Task A_crash_between_the_insi_answer_and_the_save_leaves_the_identity_untouched_and_the_exchange_recorded()
    {
        var name = Unique("DUPONT");
        var failing = new FailIdentityUpdates();
        await using var gw = await TestGateway.StartAsync(database, FakeInsi.Returning(birthName: name), o => o.AddInterceptors(failing));
        var client = await gw.ClientAsync(FrontDesk);
        var id = Guid.Parse((await client.CreateAsync(Http.Person(name, evidence: Http.Passport()))).GetProperty("id").GetString()!);
        long auditBefore;
        await using (var scope = gw.Services.CreateAsyncScope())
        {
            auditBefore = await scope.ServiceProvider.GetRequiredService<GatewayDbContext>().AuditEvents.CountAsync();
        }

        failing.Armed = true;
        var r = await client.PostAsync($"/api/identities/{id}/insi-search", null);
        r.StatusCode.Should().Be(HttpStatusCode.InternalServerError);
        failing.Armed = false;

        await using var check = gw.Services.CreateAsyncScope();
        var db = check.ServiceProvider.GetRequiredService<GatewayDbContext>();
        var identity = await db.Identities.AsNoTracking().Include(x => x.InsHistory).SingleAsync(x => x.Id == id);
        identity.Status.Should().Be("VALI");
        identity.InsMatricule.Should().BeNull();
        identity.InsHistory.Should().BeEmpty();
        identity.Version.Should().Be(1);
        (await db.InsiExchanges.CountAsync(x => x.IdentityId == id)).Should().Be(1);
        // Only the "INSi called" event was committed; the rolled-back change left no audit event behind.
        (await db.AuditEvents.CountAsync()).Should().Be((int)auditBefore + 1);
        (await AuditTrail.VerifyAsync(db)).IsIntact.Should().BeTrue();
    }

    [Fact]
    public async Task Verifying_an_identity_without_an_ins_is_refused_before_calling_insi()
    {
        var insi = FakeInsi.Returning();
        await using var gw = await TestGateway.StartAsync(database, insi);
        var client = await gw.ClientAsync(FrontDesk);
        var id = (await client.CreateAsync(Http.Person(Unique("VERIF")))).GetProperty("id").GetString();
        var r = await client.PostAsync($"/api/identities/{id}/insi-verify", null);
        r.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await r.JsonAsync()).GetProperty("rule").GetString().Should().Be("rniv.no-ins");
        insi.Calls.Should().Be(0);
    }

    [Fact]
    public async Task An_unknown_identity_is_a_404_problem()
    {
        var client = await Gateway.ClientAsync(FrontDesk);
        var r = await client.GetAsync($"/api/identities/{Guid.NewGuid()}");
        r.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await r.JsonAsync()).GetProperty("rule").GetString().Should().Be("not-found");
    }

    [Fact]
    public async Task Insi_calls_are_counted_by_outcome_on_the_santegateway_insi_meter()
    {
        var name = Unique("DUPONT");
        var outcomes = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == InsiMetrics.MeterName && instrument.Name == "santegw.insi.calls")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "outcome")
                {
                    outcomes.Add((string)tag.Value!);
                }
            }
        });
        listener.Start();

        await using var gw = await TestGateway.StartAsync(database, FakeInsi.Returning(birthName: "AUTRE"));
        var client = await gw.ClientAsync(FrontDesk);
        var id = (await client.CreateAsync(Http.Person(name))).GetProperty("id").GetString();
        (await client.PostAsync($"/api/identities/{id}/insi-search", null)).EnsureSuccessStatusCode();

        outcomes.Should().Contain("found");
    }

    [Fact]
    public async Task Insi_errors_are_recorded_and_answered_with_502()
    {
        await using var gw = await TestGateway.StartAsync(database, new FakeInsi(() => new InsiPortResult(InsiCallOutcome.Error, "transport", null, null, [], [new InsiRawExchange("<request/>", null, null, TimeSpan.Zero, "TransportError")], "timeout", [])));
        var client = await gw.ClientAsync(FrontDesk);
        var id = (await client.CreateAsync(Http.Person(Unique("FAURE")))).GetProperty("id").GetString();
        var r = await client.PostAsync($"/api/identities/{id}/insi-search", null);
        r.StatusCode.Should().Be(HttpStatusCode.BadGateway);
        (await r.JsonAsync()).GetProperty("rule").GetString().Should().Be("insi.error");
    }

    [Fact]
    public async Task Only_identity_vigilance_may_revert_a_qualified_identity_which_becomes_recovered()
    {
        var name = Unique("DUPONT");
        await using var gw = await TestGateway.StartAsync(database, FakeInsi.Returning(birthName: name));
        var frontDesk = await gw.ClientAsync(FrontDesk);
        var vigilance = await gw.ClientAsync(Vigilance);
        var id = (await frontDesk.CreateAsync(Http.Person(name, evidence: Http.Passport()))).GetProperty("id").GetString();
        (await (await frontDesk.PostAsync($"/api/identities/{id}/insi-search", null)).JsonAsync()).GetProperty("identity").GetProperty("status").GetString().Should().Be("QUAL");

        (await frontDesk.PostAsJsonAsync($"/api/identities/{id}/revert-qualification", new { reason = "doubt on the document" }, Http.Json)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        var reverted = await (await vigilance.PostAsJsonAsync($"/api/identities/{id}/revert-qualification", new { reason = "doubt on the document" }, Http.Json)).JsonAsync();
        reverted.GetProperty("status").GetString().Should().Be("RECUP");
        reverted.GetProperty("canTransmitIns").GetBoolean().Should().BeFalse();
    }

    [Fact]
    public async Task The_identity_audit_lists_every_change_with_previous_and_new_values()
    {
        var client = await Gateway.ClientAsync(FrontDesk);
        var id = (await client.CreateAsync(Http.Person(Unique("BLANC")))).GetProperty("id").GetString();
        (await client.PatchAsync($"/api/identities/{id}", new { usedName = "NOIR" }, 1)).EnsureSuccessStatusCode();
        (await client.PostAsJsonAsync($"/api/identities/{id}/evidence", new { documentType = "CN", checkedOn = "2026-02-01" }, Http.Json)).EnsureSuccessStatusCode();

        var audit = await (await client.GetAsync($"/api/identities/{id}/audit")).JsonAsync();
        var events = audit.GetProperty("items").EnumerateArray().ToList();
        events.Select(e => e.GetProperty("action").GetString()).Should().Equal("identity.created", "identity.traits-changed", "identity.evidence-added");
        events[1].GetProperty("previousValues").GetString().Should().Contain("\"usedName\":null");
        events[1].GetProperty("newValues").GetString().Should().Contain("\"usedName\":\"NOIR\"");
        events[2].GetProperty("newValues").GetString().Should().Contain("\"status\":\"VALI\"");
        events.Should().OnlyContain(e => e.GetProperty("actor").GetString()!.StartsWith("apikey:"));
    }

    [Fact]
    public async Task An_admin_creates_an_api_key_that_works_and_a_user_that_can_log_in()
    {
        var admin = await Gateway.ClientAsync(GatewayRoles.Admin);
        var created = await admin.PostAsJsonAsync("/api/admin/api-keys", new { name = "lab system", roles = new[] { FrontDesk } }, Http.Json);
        created.StatusCode.Should().Be(HttpStatusCode.Created);
        var key = (await created.JsonAsync()).GetProperty("key").GetString()!;
        var keyed = Gateway.Anonymous();
        keyed.DefaultRequestHeaders.Add(ApiKeys.Header, key);
        (await keyed.GetAsync("/api/identities")).StatusCode.Should().Be(HttpStatusCode.OK);

        var badRole = await admin.PostAsJsonAsync("/api/admin/api-keys", new { name = "x", roles = new[] { "root" } }, Http.Json);
        (await badRole.JsonAsync()).GetProperty("errors").GetProperty("roles")[0].GetString().Should().StartWith("role:");

        var userName = "agent" + Guid.NewGuid().ToString("N")[..6];
        (await admin.PostAsJsonAsync("/api/admin/users", new { userName, password = "Correct-Horse-42", roles = new[] { Vigilance } }, Http.Json))
            .StatusCode.Should().Be(HttpStatusCode.Created);
        var browser = Gateway.Anonymous();
        var login = await browser.PostAsJsonAsync("/api/auth/login", new { userName, password = "Correct-Horse-42" }, Http.Json);
        login.StatusCode.Should().Be(HttpStatusCode.NoContent);
        var cookie = login.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("santegw=", StringComparison.Ordinal));
        cookie.Should().Contain("httponly").And.Contain("samesite=strict");
        var me = new HttpRequestMessage(HttpMethod.Get, "/api/auth/me");
        me.Headers.Add("Cookie", cookie.Split(';')[0]);
        var meJson = await (await browser.SendAsync(me)).JsonAsync();
        meJson.GetProperty("roles").EnumerateArray().Select(r => r.GetString()).Should().Equal(Vigilance);
    }

    [Fact]
    public async Task The_first_start_creates_an_admin_whose_password_logs_in()
    {
        // InitializeAsync returned a password only if this database had no user yet; either way the account exists.
        var login = await Gateway.Anonymous().PostAsJsonAsync("/api/auth/login", new { userName = GatewayApp.AdminUserName, password = "wrong-password-123" }, Http.Json);
        login.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Login_attempts_are_rate_limited()
    {
        await using var gw = await TestGateway.StartAsync(database, configure: o => o.AuthPermitsPerMinute = 2);
        var client = gw.Anonymous();
        var codes = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            codes.Add((await client.PostAsJsonAsync("/api/auth/login", new { userName = "nobody", password = "nothing-at-all" }, Http.Json)).StatusCode);
        }

        codes.Should().Equal(HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests);
    }

    [Fact]
    public async Task Editing_an_audit_row_with_sql_is_detected_at_that_event()
    {
        var client = await Gateway.ClientAsync(FrontDesk);
        var id = (await client.CreateAsync(Http.Person(Unique("ROBIN")))).GetProperty("id").GetString();
        var audit = await (await client.GetAsync($"/api/identities/{id}/audit")).JsonAsync();
        var seq = audit.GetProperty("items")[0].GetProperty("sequence").GetInt64();
        var actor = audit.GetProperty("items")[0].GetProperty("actor").GetString();

        await database.ExecuteAsync($"UPDATE audit_events SET \"Actor\" = 'mallory' WHERE \"Sequence\" = {seq}");
        try
        {
            var admin = await Gateway.ClientAsync(GatewayRoles.Admin);
            var verify = await (await admin.GetAsync("/api/admin/audit/verify")).JsonAsync();
            verify.GetProperty("isIntact").GetBoolean().Should().BeFalse();
            verify.GetProperty("firstBrokenSequence").GetInt64().Should().Be(seq);
        }
        finally
        {
            // Other tests of this class share the database: restore the row.
            await database.ExecuteAsync($"UPDATE audit_events SET \"Actor\" = '{actor}' WHERE \"Sequence\" = {seq}");
        }
    }
}

/// <summary>Throws on any save that updates an identity row while armed (simulates a crash after INSi answered).</summary>
internal sealed class FailIdentityUpdates : SaveChangesInterceptor
{
    public volatile bool Armed;

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        if (Armed && eventData.Context!.ChangeTracker.Entries<IdentityRecord>().Any(e => e.State == EntityState.Modified))
        {
            throw new IOException("simulated crash before the identity save");
        }

        return base.SavingChangesAsync(eventData, result, cancellationToken);
    }
}

public sealed class ApiTests_on_Sqlite(SqliteTestDatabase db) : ApiTests<SqliteTestDatabase>(db);

public sealed class ApiTests_on_Postgres(PostgresTestDatabase db) : ApiTests<PostgresTestDatabase>(db);
