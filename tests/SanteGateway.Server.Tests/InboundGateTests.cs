using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SanteGateway.Application;
using SanteGateway.Server.Security;
using SanteGateway.Store;
using SanteGateway.Store.Entities;
using SanteGateway.Store.Tests;
using SanteGateway.Testing;

namespace SanteGateway.Server.Tests;

/// <summary>
/// The inbound gate's decision table (docs/inbound.md), one test per rule, with messages and documents built from the official
/// examples in shared/data (HL7 v2 ORU/ADT/MDM, FR Core Patient, CI-SIS CDA). Same suite on SQLite and PostgreSQL.
/// </summary>
public abstract partial class InboundGateTests<TDb>(TDb database) : IClassFixture<TDb>, IAsyncLifetime
    where TDb : TestDatabase
{
    private const string TestOid = "1.2.250.1.213.1.4.10";

    public ValueTask InitializeAsync()
    {
        database.SkipIfUnavailable();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>A birth name of letters only, new for each test (the database is shared by the class).</summary>
    private static string NewName() => "PAT-" + new string(Guid.NewGuid().ToString("N").Where(char.IsLetter).Take(8).Select(char.ToUpperInvariant).ToArray());

    private sealed class Scripted
    {
        public Func<InsiPortResult> Next { get; set; } = () => InsiPortResult.Failed("transport", "unset");

        public FakeInsi Port => field ??= new FakeInsi(() => Next());
    }

    private static string Shared(params string[] parts) => File.ReadAllText(TestPaths.SharedFile(["data", .. parts]));

    /// <summary>The ANS ORU^R01 (CR de biologie) for another patient: name, INS, status, OID and birth place replaced.</summary>
    private static string Oru(string name, string matricule, string status = "VALI", string oid = TestOid, string birthDate = "19790328") =>
        WithStatus(Shared("hl7v2", "oru-r01-cr-bio-init.hl7"), status)
            .Replace("PAT-TROIS", name, StringComparison.Ordinal)
            .Replace("279035121518989", matricule, StringComparison.Ordinal)
            .Replace("&" + TestOid + "&", "&" + oid + "&", StringComparison.Ordinal)
            .Replace("19790328", birthDate, StringComparison.Ordinal)
            .Replace("63220", "75056", StringComparison.Ordinal);

    /// <summary>The ANS ADT^A01 (PAM FR) with the IPP of CHU-X (authority 000897406).</summary>
    private static string Adt(string name, string matricule, string ipp, string status = "VALI") =>
        WithStatus(Shared("hl7v2", "adt-a01-admission.er7"), status)
            .Replace("PAT-TROIS", name, StringComparison.Ordinal)
            .Replace("279035121518989", matricule, StringComparison.Ordinal)
            .Replace("000003^^^CHU-X", ipp + "^^^CHU-X", StringComparison.Ordinal)
            .Replace("63220", "75056", StringComparison.Ordinal);

    /// <summary>PID-32 of the example replaced (the examples send VALI).</summary>
    private static string WithStatus(string message, string status) => status == "VALI"
        ? message
        : string.Join('\r', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries).Select(line =>
        {
            if (!line.StartsWith("PID|", StringComparison.Ordinal))
            {
                return line;
            }

            var fields = line.Split('|');
            fields[32] = status;
            return string.Join('|', fields);
        }));

    /// <summary>The CI-SIS CR de biologie header (TSH) for another patient.</summary>
    private static string Cda(string name, string matricule) =>
        Shared("cda", "TestContenuCDA-3-0", "ExemplesCDA", "BIO-CR-BIO_2024.01_TSH_1.xml")
            .Replace("PAT-TROIS", name, StringComparison.Ordinal)
            .Replace("279035121518989", matricule, StringComparison.Ordinal)
            .Replace("51215", "75056", StringComparison.Ordinal);

    /// <summary>The FR Core 2.2.0 Patient INS example, for another patient with a valid INS (the example's key is wrong).</summary>
    private static string FhirPatient(string name, string? matricule, string oid = TestOid) =>
        Shared("fhir", "fr-core", "2.2.0", "examples", "Patient-FRCorePatientExample.json")
            .Replace("\"Durand\"", $"\"{name}\"", StringComparison.Ordinal)
            .Replace("123456789012244", matricule ?? "123456789012244", StringComparison.Ordinal)
            .Replace("urn:oid:1.2.250.1.213.1.4.8", "urn:oid:" + oid, StringComparison.Ordinal)
            .Replace("01006", "75056", StringComparison.Ordinal);

    private static async Task<HttpClient> PartnerAsync(TestGateway gw, string id, bool allowCreate = false, bool verify = false, string authority = "000897406", params string[] aliases)
    {
        var vigilance = await gw.ClientAsync(GatewayRoles.IdentityVigilance);
        var r = await vigilance.PutAsJsonAsync($"/api/inbound/partners/{id}", new
        {
            name = "Partner " + id,
            assigningAuthority = authority,
            authorityAliases = aliases,
            transport = "api",
            verifyInsWithInsi = verify,
            allowCreate,
            qualifiedCode = "VALI",
        }, Http.Json);
        r.StatusCode.Should().Be(HttpStatusCode.OK, await r.Content.ReadAsStringAsync());
        return await gw.ClientAsync(GatewayRoles.FrontDesk);
    }

    private static async Task<JsonElement> SendAsync(HttpClient client, string partner, string body, string contentType = "x-application/hl7-v2+er7")
    {
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        using var req = new HttpRequestMessage(HttpMethod.Post, "/api/inbound") { Content = content };
        req.Headers.Add("X-Partner", partner);
        var r = await client.SendAsync(req);
        var json = await r.JsonAsync();
        r.StatusCode.Should().Be(HttpStatusCode.Accepted, json.ToString());
        r.Headers.Location!.ToString().Should().Be($"/api/inbound/{json.GetProperty("id").GetString()}");
        return json;
    }

    private static async Task<JsonElement> ItemAsync(HttpClient client, JsonElement accepted) =>
        await (await client.GetAsync($"/api/inbound/{accepted.GetProperty("id").GetString()}")).JsonAsync();

    /// <summary>A local QUAL identity holding <paramref name="matricule"/> (OID .10), made through the API and a scripted INSi.</summary>
    private static async Task<string> QualifiedAsync(HttpClient client, Scripted insi, string name, string matricule, string firstNames = "DOMINIQUE", string birthDate = "1979-03-28")
    {
        insi.Next = () => FakeInsi.Found(birthName: name, firstNames: firstNames, sex: "F", birthDate: birthDate, matricule: matricule);
        var id = (await client.CreateAsync(Http.Person(name, firstNames, "F", birthDate, Http.Passport()))).GetProperty("id").GetString()!;
        var json = await (await client.PostAsync($"/api/identities/{id}/insi-search", null)).JsonAsync();
        json.GetProperty("identity").GetProperty("status").GetString().Should().Be("QUAL", json.ToString());
        return id;
    }

    private static string? Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static IEnumerable<string> Actions(JsonElement item) => item.GetProperty("actions").EnumerateArray().Select(a => a.GetProperty("action").GetString()!);

    [Fact]
    public async Task A_qualified_INS_held_by_a_local_identity_attaches_the_partners_ORU_to_it()
    {
        var insi = new Scripted();
        await using var gw = await TestGateway.StartAsync(database, insi.Port);
        var client = await PartnerAsync(gw, "LAB-A");
        var name = NewName();
        var matricule = FakeInsi.NewMatricule();
        var local = await QualifiedAsync(client, insi, name, matricule);

        var answer = await SendAsync(client, "LAB-A", Oru(name, matricule));

        Str(answer, "decision").Should().Be("attach", answer.ToString());
        Str(answer, "identityId").Should().Be(local);
        Str(answer, "rule").Should().Be("inbound.matched-ins");
        var item = await ItemAsync(client, answer);
        Str(item, "kind").Should().Be("ORU^R01");
        Str(item, "format").Should().Be("hl7v2");
        item.GetProperty("received").GetProperty("insTrusted").GetBoolean().Should().BeTrue();
        Actions(item).Should().Equal("received", "decided");
        var raw = await client.GetByteArrayAsync($"/api/inbound/{Str(answer, "id")}/raw");
        Encoding.UTF8.GetString(raw).Should().Be(Oru(name, matricule), "the message is kept exactly as received");
    }

    [Fact]
    public async Task An_INS_sent_without_a_qualified_status_is_stripped_and_the_patient_matched_on_traits_only()
    {
        var insi = new Scripted();
        await using var gw = await TestGateway.StartAsync(database, insi.Port);
        var client = await PartnerAsync(gw, "LAB-B");
        var name = NewName();
        var local = (await client.CreateAsync(Http.Person(name, "DOMINIQUE", "F", "1979-03-28"))).GetProperty("id").GetString();

        var answer = await SendAsync(client, "LAB-B", Oru(name, FakeInsi.NewMatricule(), status: "PROV"));

        Str(answer, "decision").Should().Be("attach", answer.ToString());
        Str(answer, "identityId").Should().Be(local);
        Str(answer, "rule").Should().Be("inbound.matched-traits");
        var item = await ItemAsync(client, answer);
        item.GetProperty("received").GetProperty("insTrusted").GetBoolean().Should().BeFalse();
        item.GetProperty("actions").EnumerateArray().Should().Contain(a => Str(a, "action") == "ins-stripped" && Str(a, "rule") == "rniv.ins-not-qualified");
        var identity = await (await client.GetAsync($"/api/identities/{local}")).JsonAsync();
        identity.GetProperty("status").GetString().Should().Be("PROV", "an untrusted INS is never written on the identity");
        identity.GetProperty("ins").ValueKind.Should().Be(JsonValueKind.Null);
    }

    [Fact]
    public async Task An_untrusted_INS_never_attaches_the_data_to_the_identity_holding_that_INS()
    {
        var insi = new Scripted();
        await using var gw = await TestGateway.StartAsync(database, insi.Port);
        var client = await PartnerAsync(gw, "LAB-C");
        var matricule = FakeInsi.NewMatricule();
        var holder = await QualifiedAsync(client, insi, NewName(), matricule);

        var answer = await SendAsync(client, "LAB-C", Oru(NewName(), matricule, status: "PROV"));

        Str(answer, "decision").Should().Be("hold", answer.ToString());
        Str(answer, "rule").Should().Be("inbound.no-match");
        Str(answer, "identityId").Should().NotBe(holder);
    }

    [Fact]
    public async Task A_partner_allowed_to_create_gets_a_provisional_identity_and_its_next_message_attaches_by_its_patient_id()
    {
        var insi = new Scripted();
        await using var gw = await TestGateway.StartAsync(database, insi.Port);
        var client = await PartnerAsync(gw, "CHU-X", allowCreate: true, aliases: "CHU-X");
        var name = NewName();
        var ipp = Guid.NewGuid().ToString("N")[..10];

        var first = await SendAsync(client, "CHU-X", Adt(name, FakeInsi.NewMatricule(), ipp));
        Str(first, "decision").Should().Be("create", first.ToString());
        var created = Str(first, "identityId")!;
        var identity = await (await client.GetAsync($"/api/identities/{created}")).JsonAsync();
        identity.GetProperty("status").GetString().Should().Be("PROV");
        identity.GetProperty("ins").ValueKind.Should().Be(JsonValueKind.Null, "a received INS is not copied on a created identity");
        identity.GetProperty("externalIds").EnumerateArray().Should().ContainSingle(x => Str(x, "value") == ipp && Str(x, "authority") == "000897406");

        // Same patient id, now sent without a qualified status: the domain's own id is enough.
        var second = await SendAsync(client, "CHU-X", Adt(name, FakeInsi.NewMatricule(), ipp, status: "PROV"));
        Str(second, "decision").Should().Be("attach", second.ToString());
        Str(second, "identityId").Should().Be(created);
        Str(second, "rule").Should().Be("inbound.matched-partner-id");
    }

    [Fact]
    public async Task A_known_partner_id_whose_identity_has_other_strict_traits_is_held()
    {
        var insi = new Scripted();
        await using var gw = await TestGateway.StartAsync(database, insi.Port);
        var client = await PartnerAsync(gw, "CHU-Y", allowCreate: true, aliases: "CHU-X");
        var ipp = Guid.NewGuid().ToString("N")[..10];
        var first = await SendAsync(client, "CHU-Y", Adt(NewName(), FakeInsi.NewMatricule(), ipp, status: "PROV"));
        Str(first, "decision").Should().Be("create", first.ToString());

        var second = await SendAsync(client, "CHU-Y", Adt(NewName(), FakeInsi.NewMatricule(), ipp, status: "PROV"));

        Str(second, "decision").Should().Be("hold", second.ToString());
        Str(second, "rule").Should().Be("inbound.traits-contradict");
    }

    [Fact]
    public async Task Nobody_matching_for_a_partner_not_allowed_to_create_holds_the_item_in_the_review_queue()
    {
        var insi = new Scripted();
        await using var gw = await TestGateway.StartAsync(database, insi.Port);
        var client = await PartnerAsync(gw, "LAB-D");

        var answer = await SendAsync(client, "LAB-D", Oru(NewName(), FakeInsi.NewMatricule()));

        Str(answer, "decision").Should().Be("hold", answer.ToString());
        Str(answer, "rule").Should().Be("inbound.no-match");
        var queue = await (await client.GetAsync("/api/inbound?state=held&partner=LAB-D")).JsonAsync();
        queue.GetProperty("items").EnumerateArray().Should().ContainSingle(i => Str(i, "id") == Str(answer, "id"));
    }

    [Fact]
    public async Task Several_identities_with_the_same_strict_traits_hold_the_item_with_both_as_candidates()
    {
        var insi = new Scripted();
        await using var gw = await TestGateway.StartAsync(database, insi.Port);
        var client = await PartnerAsync(gw, "LAB-E", allowCreate: true);
        var vigilance = await gw.ClientAsync(GatewayRoles.IdentityVigilance);
        var name = NewName();
        var a = (await vigilance.CreateAsync(Http.Person(name, "DOMINIQUE", "F", "1979-03-28"))).GetProperty("id").GetString();
        var r = await vigilance.PostAsJsonAsync("/api/identities", new { birthName = name, birthFirstNames = "DOMINIQUE", sex = "F", birthDate = "1979-03-28", birthPlaceCog = "75056", force = true, reason = "homonymes vérifiés" }, Http.Json);
        var b = (await r.JsonAsync()).GetProperty("id").GetString();

        var answer = await SendAsync(client, "LAB-E", Oru(name, FakeInsi.NewMatricule(), status: "PROV"));

        Str(answer, "decision").Should().Be("hold", answer.ToString());
        Str(answer, "rule").Should().Be("inbound.several-candidates");
        var item = await ItemAsync(client, answer);
        item.GetProperty("candidates").EnumerateArray().Select(c => c.GetString()).Should().BeEquivalentTo([a, b]);
    }

    [Fact]
    public async Task A_close_identity_with_another_first_name_is_a_potential_homonym_and_holds_instead_of_creating()
    {
        var insi = new Scripted();
        await using var gw = await TestGateway.StartAsync(database, insi.Port);
        var client = await PartnerAsync(gw, "LAB-F", allowCreate: true);
        var name = NewName();
        var other = (await client.CreateAsync(Http.Person(name, "DOMINIC", "F", "1979-03-28"))).GetProperty("id").GetString();

        var answer = await SendAsync(client, "LAB-F", Oru(name, FakeInsi.NewMatricule(), status: "PROV"));

        Str(answer, "decision").Should().Be("hold", answer.ToString());
        Str(answer, "rule").Should().Be("inbound.potential-duplicates");
        (await ItemAsync(client, answer)).GetProperty("candidates").EnumerateArray().Select(c => c.GetString()).Should().Equal(other);
    }

    [Fact]
    public async Task Traits_that_contradict_the_identity_holding_the_received_INS_hold_the_item()
    {
        var insi = new Scripted();
        await using var gw = await TestGateway.StartAsync(database, insi.Port);
        var client = await PartnerAsync(gw, "LAB-G");
        var name = NewName();
        var matricule = FakeInsi.NewMatricule();
        var holder = await QualifiedAsync(client, insi, name, matricule);

        var answer = await SendAsync(client, "LAB-G", Oru(name, matricule, birthDate: "19800328"));

        Str(answer, "decision").Should().Be("hold", answer.ToString());
        Str(answer, "rule").Should().Be("inbound.traits-contradict-ins");
        (await ItemAsync(client, answer)).GetProperty("candidates").EnumerateArray().Select(c => c.GetString()).Should().Equal(holder);
    }

    [Fact]
    public async Task The_identity_with_the_same_traits_holding_another_INS_is_a_collision_and_holds_the_item()
    {
        var insi = new Scripted();
        await using var gw = await TestGateway.StartAsync(database, insi.Port);
        var client = await PartnerAsync(gw, "LAB-H", allowCreate: true);
        var name = NewName();
        await QualifiedAsync(client, insi, name, FakeInsi.NewMatricule());

        var answer = await SendAsync(client, "LAB-H", Oru(name, FakeInsi.NewMatricule()));

        Str(answer, "decision").Should().Be("hold", answer.ToString());
        Str(answer, "rule").Should().Be("inbound.ins-collision");
    }

    [Fact]
    public async Task A_test_INS_is_rejected_in_production_with_the_rule_named()
    {
        await using var gw = await TestGateway.StartAsync(database, configure: o => o.InsPolicy = SanteGateway.Identity.InsPolicy.Production);
        var client = await PartnerAsync(gw, "LAB-I");

        // The ANS example exactly as published: test patient PAT-TROIS, INS-NIR de test (.10).
        var answer = await SendAsync(client, "LAB-I", Shared("hl7v2", "oru-r01-cr-bio-init.hl7"));

        Str(answer, "decision").Should().Be("reject", answer.ToString());
        Str(answer, "rule").Should().Be("ins.environment");
        Str(answer, "reason").Should().Contain(TestOid);
    }

    [Fact]
    public async Task A_qualified_identity_sent_with_a_wrong_INS_key_is_held_as_the_official_FR_Core_example_shows()
    {
        var insi = new Scripted();
        await using var gw = await TestGateway.StartAsync(database, insi.Port);
        var client = await PartnerAsync(gw, "FHIR-A", allowCreate: true);

        // FR Core 2.2.0 Patient INS example: VALI with the INS 123456789012244, whose key is wrong (ins-rules §1.3).
        var answer = await SendAsync(client, "FHIR-A", Shared("fhir", "fr-core", "2.2.0", "examples", "Patient-FRCorePatientExample.json"), "application/fhir+json");

        Str(answer, "decision").Should().Be("hold", answer.ToString());
        Str(answer, "rule").Should().Be("inbound.ins-invalid");
    }

    [Fact]
    public async Task An_unreadable_message_or_one_without_a_patient_is_stored_and_rejected_with_the_readers_rule()
    {
        await using var gw = await TestGateway.StartAsync(database);
        var client = await PartnerAsync(gw, "LAB-J");

        var garbage = await SendAsync(client, "LAB-J", "PID|1||000003^^^CHU-X&000897406&M^PI", "x-application/hl7-v2+er7");
        var noPatient = await SendAsync(client, "LAB-J", "MSH|^~\\&|broken", "x-application/hl7-v2+er7");
        var notJson = await SendAsync(client, "LAB-J", "{\"resourceType\":\"Patient\",", "application/fhir+json");

        Str(garbage, "decision").Should().Be("reject", garbage.ToString());
        Str(garbage, "rule").Should().StartWith("hl7.");
        Str(noPatient, "decision").Should().Be("reject");
        Str(noPatient, "rule").Should().Be("inbound.no-patient");
        Str(notJson, "decision").Should().Be("reject");
        Str(notJson, "rule").Should().Be("inbound.unreadable");
        var raw = await client.GetByteArrayAsync($"/api/inbound/{Str(noPatient, "id")}/raw");
        Encoding.UTF8.GetString(raw).Should().Be("MSH|^~\\&|broken", "what is received is kept as received, even when refused");
    }

    [Fact]
    public async Task An_unknown_partner_or_an_empty_body_is_refused_naming_the_field_and_nothing_is_stored()
    {
        await using var gw = await TestGateway.StartAsync(database);
        var client = await PartnerAsync(gw, "LAB-K");
        using var unknown = new HttpRequestMessage(HttpMethod.Post, "/api/inbound") { Content = new StringContent("MSH|^~\\&|x", Encoding.UTF8, "x-application/hl7-v2+er7") };
        unknown.Headers.Add("X-Partner", "NOBODY");
        var r = await client.SendAsync(unknown);
        r.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await r.JsonAsync()).GetProperty("errors").GetProperty("X-Partner")[0].GetString().Should().StartWith("inbound.unknown-partner");

        using var empty = new HttpRequestMessage(HttpMethod.Post, "/api/inbound") { Content = new ByteArrayContent([]) };
        empty.Headers.Add("X-Partner", "LAB-K");
        r = await client.SendAsync(empty);
        r.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await r.JsonAsync()).GetProperty("errors").GetProperty("body")[0].GetString().Should().StartWith("required");
        var list = await (await client.GetAsync("/api/inbound?partner=LAB-K")).JsonAsync();
        list.GetProperty("total").GetInt32().Should().Be(0);
    }

    [Fact]
    public async Task When_the_partner_requires_it_INSi_must_confirm_the_received_INS_before_the_data_is_attached()
    {
        var insi = new Scripted();
        await using var gw = await TestGateway.StartAsync(database, insi.Port);
        var client = await PartnerAsync(gw, "LAB-L", verify: true);
        var name = NewName();
        var matricule = FakeInsi.NewMatricule();
        var local = await QualifiedAsync(client, insi, name, matricule);

        insi.Next = () => FakeInsi.Found(name, "DOMINIQUE", "F", "1979-03-28", matricule, InsiVerificationOutcome.Confirmed);
        var confirmed = await SendAsync(client, "LAB-L", Oru(name, matricule));
        Str(confirmed, "decision").Should().Be("attach", confirmed.ToString());
        Str(confirmed, "identityId").Should().Be(local);
        (await ItemAsync(client, confirmed)).GetProperty("actions").EnumerateArray().Should().Contain(a => Str(a, "action") == "insi-verify");
        var request = insi.Port.Requests.OfType<InsiVerifyRequest>().Last();
        request.Certificate.Should().Be(InsiCertificate.Automatic, "an unattended check presents INSI-AUTO");
        request.Ins.Matricule.Value.Should().Be(matricule);

        insi.Next = () => FakeInsi.Found(name, "DOMINIQUE", "F", "1979-03-28", FakeInsi.NewMatricule(), InsiVerificationOutcome.Mismatch);
        var refused = await SendAsync(client, "LAB-L", Oru(name, matricule));
        Str(refused, "decision").Should().Be("hold", refused.ToString());
        Str(refused, "rule").Should().Be("inbound.insi-not-confirmed");

        insi.Next = () => InsiPortResult.Failed("transport", "down");
        var down = await SendAsync(client, "LAB-L", Oru(name, matricule));
        Str(down, "rule").Should().Be("inbound.insi-unavailable");
    }

    [Fact]
    public async Task A_CDA_document_alone_attaches_by_its_INS_and_records_the_partners_IPP()
    {
        var insi = new Scripted();
        await using var gw = await TestGateway.StartAsync(database, insi.Port);
        var client = await PartnerAsync(gw, "ES-CDA", authority: "1.2.3.4.567.8.9.10");
        var name = NewName();
        var matricule = FakeInsi.NewMatricule();
        var local = await QualifiedAsync(client, insi, name, matricule, firstNames: "DOMINIQUE MARIE-LOUISE");

        var answer = await SendAsync(client, "ES-CDA", Cda(name, matricule), "application/hl7-cda+xml");

        Str(answer, "decision").Should().Be("attach", answer.ToString());
        Str(answer, "identityId").Should().Be(local);
        var item = await ItemAsync(client, answer);
        Str(item, "format").Should().Be("cda");
        Str(item, "partnerPatientId").Should().Be("1234567890121");
        var identity = await (await client.GetAsync($"/api/identities/{local}")).JsonAsync();
        identity.GetProperty("externalIds").EnumerateArray().Should().ContainSingle(x => Str(x, "value") == "1234567890121" && Str(x, "authority") == "1.2.3.4.567.8.9.10");
    }

    [Theory]
    [InlineData("Patient")]
    [InlineData("Bundle")]
    [InlineData("DocumentReference")]
    public async Task A_FHIR_patient_alone_in_a_Bundle_or_contained_in_a_DocumentReference_attaches_by_its_INS(string wrapper)
    {
        var insi = new Scripted();
        await using var gw = await TestGateway.StartAsync(database, insi.Port);
        var client = await PartnerAsync(gw, "FHIR-B");
        var name = NewName();
        var matricule = FakeInsi.NewMatricule();
        var local = await QualifiedAsync(client, insi, name, matricule, firstNames: "PIERRE YVES", birthDate: "1974-12-25");
        // The example is a man named Pierre; the local identity was made a woman by QualifiedAsync: align the sex.
        var patient = FhirPatient(name, matricule).Replace("\"male\"", "\"female\"", StringComparison.Ordinal);
        var body = wrapper switch
        {
            "Bundle" => $$$"""{"resourceType":"Bundle","type":"collection","entry":[{"resource":{{{patient}}}}]}""",
            "DocumentReference" => $$$"""{"resourceType":"DocumentReference","status":"current","contained":[{{{patient}}}],"subject":{"reference":"#FRCorePatientExample"},"content":[{"attachment":{"contentType":"application/pdf"}}]}""",
            _ => patient,
        };

        var answer = await SendAsync(client, "FHIR-B", body, "application/fhir+json");

        Str(answer, "decision").Should().Be("attach", answer.ToString());
        Str(answer, "identityId").Should().Be(local);
        Str(await ItemAsync(client, answer), "kind").Should().Be(wrapper);
    }

    [Fact]
    public async Task An_ORU_whose_embedded_CDA_names_another_INS_than_PID_is_held()
    {
        var insi = new Scripted();
        await using var gw = await TestGateway.StartAsync(database, insi.Port);
        var client = await PartnerAsync(gw, "LAB-M");
        var name = NewName();
        var matricule = FakeInsi.NewMatricule();
        await QualifiedAsync(client, insi, name, matricule);
        var cda = Convert.ToBase64String(Encoding.UTF8.GetBytes(Shared("hl7v2", "cda-cr-bio-niv1.xml")));
        var oru = string.Join('\r', Oru(name, matricule).Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries).Select(line =>
            line.StartsWith("OBX|1|ED|", StringComparison.Ordinal) ? $"OBX|1|ED|11502-2^CR d'examens biologiques^LN||^TEXT^XML^Base64^{cda}||||||F|" : line));

        var answer = await SendAsync(client, "LAB-M", oru);

        Str(answer, "decision").Should().Be("hold", answer.ToString());
        Str(answer, "rule").Should().Be("inbound.cda-pid-mismatch");
    }

    [Fact]
    public async Task Identity_vigilance_attaches_a_held_item_with_a_reason_and_front_desk_may_not()
    {
        var insi = new Scripted();
        await using var gw = await TestGateway.StartAsync(database, insi.Port);
        var client = await PartnerAsync(gw, "LAB-N");
        var vigilance = await gw.ClientAsync(GatewayRoles.IdentityVigilance);
        var held = await SendAsync(client, "LAB-N", Oru(NewName(), FakeInsi.NewMatricule(), status: "PROV"));
        Str(held, "decision").Should().Be("hold");
        var target = (await client.CreateAsync(Http.Person(NewName(), "DOMINIQUE", "F", "1979-03-28"))).GetProperty("id").GetString();
        var url = $"/api/inbound/{Str(held, "id")}";

        (await client.PostAsJsonAsync(url + "/attach", new { identityId = target, reason = "x" }, Http.Json)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        var noReason = await vigilance.PostAsJsonAsync(url + "/attach", new { identityId = target }, Http.Json);
        noReason.StatusCode.Should().Be(HttpStatusCode.BadRequest);

        var r = await vigilance.PostAsJsonAsync(url + "/attach", new { identityId = target, reason = "nom d'usage confirmé par téléphone" }, Http.Json);
        var item = await r.JsonAsync();
        r.StatusCode.Should().Be(HttpStatusCode.OK, item.ToString());
        Str(item, "state").Should().Be("resolved");
        Str(item, "decision").Should().Be("attach");
        Str(item, "identityId").Should().Be(target);
        Actions(item).Should().Equal("received", "ins-stripped", "decided", "attached");

        var again = await vigilance.PostAsJsonAsync(url + "/reject", new { reason = "again" }, Http.Json);
        again.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await again.JsonAsync()).GetProperty("rule").GetString().Should().Be("inbound.not-held");
        var audit = await (await vigilance.GetAsync($"/api/identities/{target}/audit")).JsonAsync();
        audit.GetProperty("items").EnumerateArray().Should().Contain(e => Str(e, "action") == "identity.inbound-attached");
    }

    [Fact]
    public async Task Identity_vigilance_creates_an_identity_from_a_held_item_or_rejects_one()
    {
        var insi = new Scripted();
        await using var gw = await TestGateway.StartAsync(database, insi.Port);
        var client = await PartnerAsync(gw, "LAB-O");
        var vigilance = await gw.ClientAsync(GatewayRoles.IdentityVigilance);
        var name = NewName();
        var held = await SendAsync(client, "LAB-O", Oru(name, FakeInsi.NewMatricule()));
        var other = await SendAsync(client, "LAB-O", Oru(NewName(), FakeInsi.NewMatricule()));

        var r = await vigilance.PostAsJsonAsync($"/api/inbound/{Str(held, "id")}/create", new { reason = "nouveau patient du laboratoire" }, Http.Json);
        var created = await r.JsonAsync();
        r.StatusCode.Should().Be(HttpStatusCode.OK, created.ToString());
        Str(created, "decision").Should().Be("create");
        var identity = await (await client.GetAsync($"/api/identities/{Str(created, "identityId")}")).JsonAsync();
        identity.GetProperty("birthName").GetString().Should().Be(name);
        identity.GetProperty("status").GetString().Should().Be("PROV");

        r = await vigilance.PostAsJsonAsync($"/api/inbound/{Str(other, "id")}/reject", new { reason = "patient inconnu de l'établissement" }, Http.Json);
        var rejected = await r.JsonAsync();
        Str(rejected, "decision").Should().Be("reject", rejected.ToString());
        Str(rejected, "state").Should().Be("resolved");

        var summary = await (await client.GetAsync("/api/inbound/summary")).JsonAsync();
        var line = summary.EnumerateArray().Single(l => Str(l, "partner") == "LAB-O");
        line.GetProperty("received").GetInt32().Should().Be(2);
        line.GetProperty("created").GetInt32().Should().Be(1);
        line.GetProperty("rejected").GetInt32().Should().Be(1);
        line.GetProperty("held").GetInt32().Should().Be(0);
    }

    [Fact]
    public async Task The_list_filters_on_a_decision_and_a_partner_as_the_vigilance_dashboard_counts_them()
    {
        var insi = new Scripted();
        await using var gw = await TestGateway.StartAsync(database, insi.Port);
        var client = await PartnerAsync(gw, "LAB-Q");
        var vigilance = await gw.ClientAsync(GatewayRoles.IdentityVigilance);
        var held = await SendAsync(client, "LAB-Q", Oru(NewName(), FakeInsi.NewMatricule()));
        var rejected = await SendAsync(client, "LAB-Q", Oru(NewName(), FakeInsi.NewMatricule()));
        var unreadable = await SendAsync(client, "LAB-Q", "MSH|^~\\&|broken");
        var r = await vigilance.PostAsJsonAsync($"/api/inbound/{Str(rejected, "id")}/reject", new { reason = "envoi en double" }, Http.Json);
        r.StatusCode.Should().Be(HttpStatusCode.OK, await r.Content.ReadAsStringAsync());

        await using var scope = gw.Services.CreateAsyncScope();
        var inbound = scope.ServiceProvider.GetRequiredService<InboundService>();
        var ct = TestContext.Current.CancellationToken;
        var rejects = (await inbound.ListAsync(null, "LAB-Q", InboundDecisions.Reject, 1, 50, ct)).Unwrap();
        rejects.Items.Select(i => i.Id.ToString()).Should().BeEquivalentTo([Str(rejected, "id"), Str(unreadable, "id")], "rejected by the gate or by a reviewer");
        var holds = (await inbound.ListAsync("held", "LAB-Q", null, 1, 50, ct)).Unwrap();
        holds.Items.Should().ContainSingle().Which.Id.ToString().Should().Be(Str(held, "id"));
        (await inbound.ListAsync(null, "LAB-Q", InboundDecisions.Attach, 1, 50, ct)).Unwrap().Total.Should().Be(0);
        var counts = (await inbound.CountsAsync(ct)).Unwrap().Single(c => c.Partner == "LAB-Q");
        counts.Rejected.Should().Be(rejects.Total);
        counts.Held.Should().Be(holds.Total);
        counts.Received.Should().Be(3);

        var refused = await inbound.ListAsync(null, null, "maybe", 1, 50, ct);
        refused.IsSuccess.Should().BeFalse();
        refused.Error!.Fields.Should().ContainKey("decision");
    }

    [Fact]
    public async Task A_held_item_survives_a_restart_and_an_item_stored_but_not_decided_is_decided_at_start()
    {
        var insi = new Scripted();
        Guid pending;
        JsonElement held;
        await using (var gw = await TestGateway.StartAsync(database, insi.Port))
        {
            var client = await PartnerAsync(gw, "LAB-P");
            held = await SendAsync(client, "LAB-P", Oru(NewName(), FakeInsi.NewMatricule()));

            // As if the process died between storing and deciding: a row in state "received".
            await using var scope = gw.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
            pending = Guid.CreateVersion7();
            db.InboundItems.Add(new InboundItem
            {
                Id = pending,
                PartnerId = "LAB-P",
                ContentType = "x-application/hl7-v2+er7",
                Raw = Encoding.UTF8.GetBytes(Oru(NewName(), FakeInsi.NewMatricule())),
                ReceivedAt = DateTimeOffset.UtcNow.AddMinutes(-5),
                State = InboundStates.Received,
                Version = 1,
            });
            await db.SaveChangesAsync();
        }

        await using var restarted = await TestGateway.StartAsync(database, insi.Port);
        var reader = await restarted.ClientAsync(GatewayRoles.FrontDesk);
        var item = await ItemAsync(reader, held);
        Str(item, "state").Should().Be("held");
        for (var i = 0; i < 100; i++)
        {
            item = await (await reader.GetAsync($"/api/inbound/{pending}")).JsonAsync();
            if (Str(item, "state") != "received")
            {
                break;
            }

            await Task.Delay(100);
        }

        Str(item, "state").Should().Be("held", item.ToString());
        Str(item, "rule").Should().Be("inbound.no-match");
    }

    [Fact]
    public async Task A_decision_that_cannot_be_committed_still_stores_the_item_as_received_and_it_is_decided_later()
    {
        var failDecision = new FailInboundDecisions();
        var insi = new Scripted();
        await using var gw = await TestGateway.StartAsync(database, insi.Port, o => o.AddInterceptors(failDecision));
        var client = await PartnerAsync(gw, "LAB-F");
        failDecision.Armed = true;

        var accepted = await SendAsync(client, "LAB-F", Oru(NewName(), FakeInsi.NewMatricule()));

        Str(accepted, "decision").Should().BeNull("the decision's commit failed");
        Str(accepted, "reason").Should().Contain("pending");
        var stored = await ItemAsync(client, accepted);
        Str(stored, "state").Should().Be("received", "what was answered 202 is stored, undecided");
        Actions(stored).Should().Equal("received");

        failDecision.Armed = false;
        await using var scope = gw.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<InboundService>().DecidePendingAsync(10, TimeSpan.Zero, TestContext.Current.CancellationToken);
        var decided = await ItemAsync(client, accepted);
        Str(decided, "state").Should().Be("held", decided.ToString());
        Str(decided, "rule").Should().Be("inbound.no-match");
    }

    [Fact]
    public async Task Partner_settings_are_validated_and_only_identity_vigilance_changes_them()
    {
        await using var gw = await TestGateway.StartAsync(database);
        var frontDesk = await gw.ClientAsync(GatewayRoles.FrontDesk);
        var vigilance = await gw.ClientAsync(GatewayRoles.IdentityVigilance);
        var body = new { assigningAuthority = "1.2.250.1.999", qualifiedCode = "QUAL", transport = "mllp" };
        (await frontDesk.PutAsJsonAsync("/api/inbound/partners/P1", body, Http.Json)).StatusCode.Should().Be(HttpStatusCode.Forbidden);

        var bad = await vigilance.PutAsJsonAsync("/api/inbound/partners/P1", new { qualifiedCode = "PROV", transport = "fax" }, Http.Json);
        bad.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var errors = (await bad.JsonAsync()).GetProperty("errors");
        errors.GetProperty("assigningAuthority")[0].GetString().Should().StartWith("required");
        errors.GetProperty("qualifiedCode")[0].GetString().Should().StartWith("code");
        errors.GetProperty("transport")[0].GetString().Should().StartWith("code");

        (await vigilance.PutAsJsonAsync("/api/inbound/partners/P1", body, Http.Json)).StatusCode.Should().Be(HttpStatusCode.OK);
        var list = await (await frontDesk.GetAsync("/api/inbound/partners")).JsonAsync();
        var p1 = list.EnumerateArray().Single(p => Str(p, "id") == "P1");
        Str(p1, "qualifiedCode").Should().Be("QUAL");
        p1.GetProperty("allowCreate").GetBoolean().Should().BeFalse("creation is opt-in");
    }

    [Fact]
    public async Task A_partner_whose_qualified_code_is_QUAL_has_its_INS_trusted_only_with_QUAL()
    {
        var insi = new Scripted();
        await using var gw = await TestGateway.StartAsync(database, insi.Port);
        var vigilance = await gw.ClientAsync(GatewayRoles.IdentityVigilance);
        (await vigilance.PutAsJsonAsync("/api/inbound/partners/RNIV-1", new { assigningAuthority = "1.2.250.1.998", qualifiedCode = "QUAL" }, Http.Json)).EnsureSuccessStatusCode();
        var client = await gw.ClientAsync(GatewayRoles.FrontDesk);
        var name = NewName();
        var matricule = FakeInsi.NewMatricule();
        var local = await QualifiedAsync(client, insi, name, matricule);

        var vali = await SendAsync(client, "RNIV-1", Oru(name, matricule, status: "VALI"));
        (await ItemAsync(client, vali)).GetProperty("received").GetProperty("insTrusted").GetBoolean().Should().BeFalse();
        Str(vali, "rule").Should().Be("inbound.matched-traits");

        var qual = await SendAsync(client, "RNIV-1", Oru(name, matricule, status: "QUAL"));
        Str(qual, "rule").Should().Be("inbound.matched-ins", qual.ToString());
        Str(qual, "identityId").Should().Be(local);
    }
}

public sealed class InboundGateTests_on_Sqlite(SqliteTestDatabase db) : InboundGateTests<SqliteTestDatabase>(db);

public sealed class InboundGateTests_on_Postgres(PostgresTestDatabase db) : InboundGateTests<PostgresTestDatabase>(db);

/// <summary>Throws on a save that records an inbound decision while armed (the item's own "received" save passes).</summary>
internal sealed class FailInboundDecisions : Microsoft.EntityFrameworkCore.Diagnostics.SaveChangesInterceptor
{
    public volatile bool Armed;

    public override ValueTask<Microsoft.EntityFrameworkCore.Diagnostics.InterceptionResult<int>> SavingChangesAsync(
        Microsoft.EntityFrameworkCore.Diagnostics.DbContextEventData eventData, Microsoft.EntityFrameworkCore.Diagnostics.InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        if (Armed && eventData.Context!.ChangeTracker.Entries<InboundItem>().Any(e => e.Entity.State != InboundStates.Received))
        {
            throw new Microsoft.EntityFrameworkCore.DbUpdateException("simulated failure of the decision's commit");
        }

        return base.SavingChangesAsync(eventData, result, cancellationToken);
    }
}
