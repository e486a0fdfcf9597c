using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using SanteGateway.Insi.Sandbox.Pki;
using SanteGateway.Server.Insi;
using SanteGateway.Server.Security;
using SanteGateway.Store.Tests;
using SanteGateway.Testing;

namespace SanteGateway.Server.Tests;

/// <summary>
/// The establishment an INSi call acts for comes from who or what makes it — the signed-in account, the API key, the
/// batch job, the inbound partner — and the INSi service (the sandbox behind a listener noting each TLS client
/// certificate) sees that establishment's certificate. Everything goes through the gateway's real paths.
/// </summary>
public sealed class EstablishmentEndToEndTests(ObservingSandbox sandbox) : IClassFixture<ObservingSandbox>, IAsyncDisposable
{
    private const string Main = "0B0000001";
    private const string Lyon = "690000123";
    private const string LyonStructure = "1690000123";
    private const string PasswordEnv = "SANTEGW_E2E_ESTAB_PWD";
    private const string UserPassword = "Correct-Horse-42";

    /// <summary>A database of its own for each test: the sandbox knows few persons, so tests create the same ones.</summary>
    private readonly SqliteTestDatabase database = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask DisposeAsync() => database.DisposeAsync();

    private async Task<TestGateway> StartAsync()
    {
        await database.InitializeAsync();
        var manual = sandbox.Issue("e2e-lyon-manu.p12", LyonStructure, "INSI-MANU");
        var automatic = sandbox.Issue("e2e-lyon-auto.p12", LyonStructure, "INSI-AUTO");
        Environment.SetEnvironmentVariable(PasswordEnv, ObservingSandbox.Password);
        return await TestGateway.StartAsync(database, configureBuilder: b =>
        {
            var c = b.Configuration;
            c["Gateway:Establishments:0:Finess"] = Main;
            c["Gateway:Establishments:0:Name"] = "Site principal (certificats de la passerelle)";
            c["Gateway:Establishments:0:Default"] = "true";
            c["Gateway:Establishments:1:Finess"] = Lyon;
            c["Gateway:Establishments:1:Name"] = "Site de Lyon";
            c["Gateway:Establishments:1:Certificates:InsiManu:Path"] = manual;
            c["Gateway:Establishments:1:Certificates:InsiManu:PasswordEnv"] = PasswordEnv;
            c["Gateway:Establishments:1:Certificates:InsiAuto:Path"] = automatic;
            c["Gateway:Establishments:1:Certificates:InsiAuto:PasswordEnv"] = PasswordEnv;
            c["Gateway:CertificateTrustAnchors:0"] = Path.Combine(sandbox.Pki, TestPki.CaPemFile);
            c["Batch:PollInterval"] = "00:00:00.200";
            b.Services.AddGatewayInsi(sandbox.Options());
        });
    }

    /// <summary>ADRTROIS TOUSSAINT, a person the INSi sandbox knows, with a passport (a found INS makes him QUAL).</summary>
    private static object Toussaint() => new
    {
        birthName = "ADRTROIS",
        birthFirstNames = "TOUSSAINT",
        sex = "M",
        birthDate = "1960-01-01",
        birthPlaceCog = "2B020",
        evidence = Http.Passport(),
    };

    private List<string> Drain()
    {
        var seen = new List<string>();
        while (sandbox.SeenStructureIds.TryDequeue(out var s))
        {
            seen.Add(s);
        }

        return seen;
    }

    private static async Task<JsonElement> SearchAsync(HttpClient client, string? cookie = null)
    {
        var created = await SendAsync(client, HttpMethod.Post, "/api/identities", cookie, Toussaint());
        created.StatusCode.Should().Be(HttpStatusCode.Created, await created.Content.ReadAsStringAsync(Ct));
        var id = (await created.JsonAsync()).GetProperty("id").GetString()!;
        var search = await SendAsync(client, HttpMethod.Post, $"/api/identities/{id}/insi-search", cookie);
        var json = await search.JsonAsync();
        search.StatusCode.Should().Be(HttpStatusCode.OK, json.ToString());
        return json;
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string url, string? cookie, object? body = null)
    {
        var request = new HttpRequestMessage(method, url) { Content = body is null ? null : JsonContent.Create(body, options: Http.Json) };
        if (cookie is not null)
        {
            request.Headers.Add("Cookie", cookie);
        }

        return client.SendAsync(request, Ct);
    }

    private static async Task<(string Id, HttpClient Client)> KeyAsync(TestGateway gw, HttpClient admin, string role, string? establishment)
    {
        var created = await admin.PostAsJsonAsync("/api/admin/api-keys", new { name = "key " + Guid.NewGuid().ToString("N")[..6], roles = new[] { role } }, Http.Json, Ct);
        var json = await created.JsonAsync();
        created.StatusCode.Should().Be(HttpStatusCode.Created, json.ToString());
        var id = json.GetProperty("id").GetString()!;
        if (establishment is not null)
        {
            var bound = await admin.PutAsJsonAsync($"/api/admin/api-keys/{id}/establishment", new { establishment }, Http.Json, Ct);
            bound.StatusCode.Should().Be(HttpStatusCode.OK, await bound.Content.ReadAsStringAsync(Ct));
        }

        var client = gw.Anonymous();
        client.DefaultRequestHeaders.Add(ApiKeys.Header, json.GetProperty("key").GetString());
        return (id, client);
    }

    [Fact]
    public async Task An_API_key_bound_to_an_establishment_searches_INSi_with_that_establishments_certificate_and_an_unbound_one_with_the_default()
    {
        await using var gw = await StartAsync();
        var admin = await gw.ClientAsync(GatewayRoles.Admin);
        var (_, lyonDesk) = await KeyAsync(gw, admin, GatewayRoles.FrontDesk, Lyon);
        var (_, mainDesk) = await KeyAsync(gw, admin, GatewayRoles.FrontDesk, null);
        Drain();

        var lyon = await SearchAsync(lyonDesk);
        var lyonSeen = Drain();
        // The same identity searched again by the unbound key (the sandbox knows few persons; the answer does not matter here).
        await mainDesk.PostAsync($"/api/identities/{lyon.GetProperty("identity").GetProperty("id").GetString()}/insi-search", null, Ct);
        var mainSeen = Drain();

        lyon.GetProperty("identity").GetProperty("status").GetString().Should().Be("QUAL", lyon.ToString());
        lyonSeen.Should().NotBeEmpty().And.OnlyContain(ou => ou == LyonStructure, "the key acts for Lyon: INSi sees Lyon's INSI-MANU");
        mainSeen.Should().NotBeEmpty().And.OnlyContain(ou => ou == TestPki.StructureId, "an unbound key acts for the default establishment");
    }

    [Fact]
    public async Task A_signed_in_account_bound_to_an_establishment_searches_INSi_with_its_certificate_and_rebinding_ends_its_sessions()
    {
        await using var gw = await StartAsync();
        var admin = await gw.ClientAsync(GatewayRoles.Admin);
        var name = "lyon-" + Guid.NewGuid().ToString("N")[..8];
        var user = await admin.PostAsJsonAsync("/api/admin/users", new { userName = name, password = UserPassword, roles = new[] { GatewayRoles.FrontDesk } }, Http.Json, Ct);
        user.StatusCode.Should().Be(HttpStatusCode.Created);
        var userId = (await user.JsonAsync()).GetProperty("id").GetString();
        var before = await SignInAsync(gw, name);

        var bound = await admin.PutAsJsonAsync($"/api/admin/users/{userId}/establishment", new { establishment = Lyon }, Http.Json, Ct);
        var boundJson = await bound.JsonAsync();
        var stale = await SendAsync(gw.Anonymous(), HttpMethod.Get, "/api/auth/me", before);
        var cookie = await SignInAsync(gw, name);
        Drain();
        var search = await SearchAsync(gw.Anonymous(), cookie);
        var seen = Drain();

        bound.StatusCode.Should().Be(HttpStatusCode.OK, boundJson.ToString());
        boundJson.GetProperty("establishment").GetString().Should().Be(Lyon);
        stale.StatusCode.Should().Be(HttpStatusCode.Unauthorized, "a session carries the establishment it was opened with: binding ends it");
        search.GetProperty("identity").GetProperty("status").GetString().Should().Be("QUAL");
        seen.Should().NotBeEmpty().And.OnlyContain(ou => ou == LyonStructure);
    }

    [Fact]
    public async Task Binding_to_an_unknown_establishment_is_refused_naming_the_field_and_the_rule()
    {
        await using var gw = await StartAsync();
        var admin = await gw.ClientAsync(GatewayRoles.Admin);
        var (keyId, _) = await KeyAsync(gw, admin, GatewayRoles.FrontDesk, null);

        var refused = await admin.PutAsJsonAsync($"/api/admin/api-keys/{keyId}/establishment", new { establishment = "750000999" }, Http.Json, Ct);
        var missing = await admin.PutAsJsonAsync("/api/admin/users/nobody-here/establishment", new { establishment = Lyon }, Http.Json, Ct);

        refused.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var problem = await refused.JsonAsync();
        problem.GetProperty("rule").GetString().Should().Be("establishment.unknown");
        problem.GetProperty("errors").GetProperty("establishment")[0].GetString().Should().Contain("750000999");
        missing.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_batch_job_created_for_an_establishment_calls_INSi_with_its_INSI_AUTO_certificate_and_a_bound_creator_cannot_lend_another_one()
    {
        await using var gw = await StartAsync();
        var admin = await gw.ClientAsync(GatewayRoles.Admin);
        var desk = await gw.ClientAsync(GatewayRoles.FrontDesk);
        var created = await desk.CreateAsync(new { birthName = "ADRTROIS", birthFirstNames = "TOUSSAINT", sex = "M", birthDate = "1960-01-01", birthPlaceCog = "2B020" });
        var id = created.GetProperty("id").GetString();
        var (_, vigilance) = await KeyAsync(gw, admin, GatewayRoles.IdentityVigilance, null);
        var (_, lyonVigilance) = await KeyAsync(gw, admin, GatewayRoles.IdentityVigilance, Lyon);
        Drain();

        var post = await vigilance.PostAsync($"/api/jobs?kind=search&name=lyon.csv&establishment={Lyon}", new StringContent($"localId\n{id}\n", Encoding.UTF8, "text/csv"), Ct);
        var job = await post.JsonAsync();
        post.StatusCode.Should().Be(HttpStatusCode.Created, job.ToString());
        var done = await BatchWaitAsync(vigilance, job.GetProperty("id").GetString()!);
        var seen = Drain();
        var lent = await lyonVigilance.PostAsJsonAsync("/api/jobs", new { kind = "verify", establishment = Main }, Http.Json, Ct);
        var unknown = await vigilance.PostAsJsonAsync("/api/jobs", new { kind = "verify", establishment = "750000999" }, Http.Json, Ct);

        job.GetProperty("establishment").GetString().Should().Be(Lyon);
        done.GetProperty("counts").GetProperty("confirmed").GetInt32().Should().Be(1, done.ToString());
        seen.Should().NotBeEmpty().And.OnlyContain(ou => ou == LyonStructure, "the job acts for Lyon: its unattended calls present Lyon's INSI-AUTO");
        lent.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await lent.JsonAsync()).GetProperty("rule").GetString().Should().Be("batch.establishment-forbidden");
        unknown.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await unknown.JsonAsync()).GetProperty("rule").GetString().Should().Be("establishment.unknown");
    }

    [Fact]
    public async Task The_inbound_gate_verifies_a_partners_INS_with_the_certificate_of_the_partners_establishment()
    {
        await using var gw = await StartAsync();
        var admin = await gw.ClientAsync(GatewayRoles.Admin);
        var desk = await gw.ClientAsync(GatewayRoles.FrontDesk);
        var local = await SearchAsync(desk);
        var ins = local.GetProperty("identity").GetProperty("ins");
        var matricule = ins.GetProperty("matricule").GetString()!;
        var oid = ins.GetProperty("oid").GetString()!;
        var (_, vigilance) = await KeyAsync(gw, admin, GatewayRoles.IdentityVigilance, null);
        var partner = await vigilance.PutAsJsonAsync("/api/inbound/partners/LAB-LYON", new
        {
            name = "Laboratoire de Lyon",
            assigningAuthority = "1.2.250.1.999.69",
            transport = "api",
            verifyInsWithInsi = true,
            allowCreate = false,
            qualifiedCode = "VALI",
            establishment = Lyon,
        }, Http.Json, Ct);
        var partnerJson = await partner.JsonAsync();
        var wrong = await vigilance.PutAsJsonAsync("/api/inbound/partners/LAB-NOWHERE", new { assigningAuthority = "1.2.3", establishment = "750000999" }, Http.Json, Ct);
        Drain();

        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(Oru(matricule, oid)));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("x-application/hl7-v2+er7");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/inbound") { Content = content };
        request.Headers.Add("X-Partner", "LAB-LYON");
        var received = await desk.SendAsync(request, Ct);
        var item = await received.JsonAsync();
        var seen = Drain();

        partner.StatusCode.Should().Be(HttpStatusCode.OK, partnerJson.ToString());
        partnerJson.GetProperty("establishment").GetString().Should().Be(Lyon);
        wrong.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await wrong.JsonAsync()).GetProperty("errors").GetProperty("establishment").GetArrayLength().Should().Be(1);
        received.StatusCode.Should().Be(HttpStatusCode.Accepted, item.ToString());
        item.GetProperty("decision").GetString().Should().Be("attach", item.ToString());
        seen.Should().NotBeEmpty().And.OnlyContain(ou => ou == LyonStructure, "the gate acts for the partner's establishment: INSi sees Lyon's INSI-AUTO");
    }

    [Fact]
    public async Task An_administrator_binds_a_stored_inbound_partner_through_the_API_and_no_other_role_may()
    {
        await using var gw = await StartAsync();
        var admin = await gw.ClientAsync(GatewayRoles.Admin);
        var (_, vigilance) = await KeyAsync(gw, admin, GatewayRoles.IdentityVigilance, null);
        var code = "LAB-" + Guid.NewGuid().ToString("N")[..6].ToUpperInvariant();
        (await vigilance.PutAsJsonAsync($"/api/inbound/partners/{code}", new { assigningAuthority = "1.2.250.1.999.69" }, Http.Json, Ct)).StatusCode.Should().Be(HttpStatusCode.OK);

        var bound = await admin.PutAsJsonAsync($"/api/admin/inbound-partners/{code}/establishment", new { establishment = Lyon }, Http.Json, Ct);
        var boundJson = await bound.JsonAsync();
        var listed = await (await vigilance.GetAsync("/api/inbound/partners", Ct)).JsonAsync();
        var byVigilance = await vigilance.PutAsJsonAsync($"/api/admin/inbound-partners/{code}/establishment", new { establishment = Main }, Http.Json, Ct);
        var missing = await admin.PutAsJsonAsync("/api/admin/inbound-partners/LAB-NOBODY/establishment", new { establishment = Lyon }, Http.Json, Ct);

        bound.StatusCode.Should().Be(HttpStatusCode.OK, boundJson.ToString());
        boundJson.GetProperty("id").GetString().Should().Be(code);
        boundJson.GetProperty("establishment").GetString().Should().Be(Lyon);
        listed.EnumerateArray().Single(p => p.GetProperty("id").GetString() == code).GetProperty("establishment").GetString().Should().Be(Lyon);
        byVigilance.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        missing.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await missing.JsonAsync()).GetProperty("rule").GetString().Should().Be("not-found");
    }

    /// <summary>The ANS ORU^R01 example with ADRTROIS TOUSSAINT's traits and INS (its OID as INSi returned it; qualified: VALI).</summary>
    private static string Oru(string matricule, string oid)
    {
        var message = File.ReadAllText(TestPaths.SharedFile("data", "hl7v2", "oru-r01-cr-bio-init.hl7"));
        return string.Join('\r', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries).Select(line =>
        {
            if (!line.StartsWith("PID|", StringComparison.Ordinal))
            {
                return line;
            }

            var f = line.Split('|');
            f[3] = f[3].Replace("279035121518989", matricule, StringComparison.Ordinal).Replace("&1.2.250.1.213.1.4.10&", "&" + oid + "&", StringComparison.Ordinal);
            f[5] = "ADRTROIS^TOUSSAINT^TOUSSAINT^^^^L";
            f[7] = "19600101";
            f[8] = "M";
            f[11] = f[11].Replace("63220", "2B020", StringComparison.Ordinal);
            return string.Join('|', f);
        }));
    }

    private static async Task<string> SignInAsync(TestGateway gw, string name)
    {
        var login = await gw.Anonymous().PostAsJsonAsync("/api/auth/login", new { userName = name, password = UserPassword }, Http.Json, Ct);
        login.StatusCode.Should().Be(HttpStatusCode.NoContent);
        return login.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("santegw=", StringComparison.Ordinal)).Split(';')[0];
    }

    private static async Task<JsonElement> BatchWaitAsync(HttpClient client, string id)
    {
        var until = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            var json = await (await client.GetAsync($"/api/jobs/{id}", Ct)).JsonAsync();
            if (json.GetProperty("status").GetString() != "running" || DateTime.UtcNow > until)
            {
                return json;
            }

            await Task.Delay(100, Ct);
        }
    }
}
