#nullable disable warnings
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Hl7.Fhir.Model;
using SanteGateway.Interop.Fhir;
using SanteGateway.Interop.Fhir.Validation;
using SanteGateway.Server.Security;
using SanteGateway.Store.Tests;
using SanteGateway.Testing;
using Task = System.Threading.Tasks.Task;

namespace SanteGateway.Server.Tests;

/// <summary>One FR Core validator for every FHIR test class (building it costs seconds).</summary>
internal static class FrCoreValidator
{
    private static readonly Lazy<FhirProfileValidator> Lazy = new(() => new FhirProfileValidator(FhirValidatorOptions.FrCore(TestPaths.Shared)));

    public static FhirProfileValidator Instance => Lazy.Value;

    /// <summary>Asserts zero errors against the resource's claimed profile (or the core definition).</summary>
    public static void ShouldValidate(Resource resource, string? profile = null)
    {
        var report = Instance.Validate(resource, profile ?? resource.Meta?.Profile?.FirstOrDefault());
        report.Errors.Should().BeEmpty(string.Join("\n", report.Errors));
    }
}

/// <summary>The <c>/fhir</c> endpoint end to end on SQLite and PostgreSQL; every resource it returns is validated against the official FR Core profiles.</summary>
public abstract class FhirEndpointTests<TDb>(TDb database) : IClassFixture<TDb>, IAsyncLifetime
    where TDb : TestDatabase
{
    private const string InsSystem = "urn:oid:1.2.250.1.213.1.4.10";

    public ValueTask InitializeAsync()
    {
        database.SkipIfUnavailable();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static string Unique(string prefix) => prefix + " " + new string(Guid.NewGuid().ToString("N").Where(char.IsLetter).Take(8).Select(char.ToUpperInvariant).ToArray());

    private static async Task<T> ReadJsonAsync<T>(HttpResponseMessage r)
        where T : Resource
    {
        r.Content.Headers.ContentType!.MediaType.Should().Be("application/fhir+json");
        var parsed = FhirFormats.ParseJson<T>(await r.Content.ReadAsStringAsync());
        parsed.Issues.Should().BeEmpty();
        return parsed.Resource;
    }

    private static async Task<OperationOutcome> OutcomeAsync(HttpResponseMessage r, HttpStatusCode status)
    {
        r.StatusCode.Should().Be(status);
        var outcome = await ReadJsonAsync<OperationOutcome>(r);
        outcome.Issue.Should().Contain(i => i.Severity == OperationOutcome.IssueSeverity.Error);
        FrCoreValidator.ShouldValidate(outcome);
        return outcome;
    }

    /// <summary>A QUAL identity: passport at creation, then a consistent INSi answer.</summary>
    private static async Task<(string Id, string Matricule)> QualifiedAsync(TestGateway gw, HttpClient client, FakeInsi insi, string name)
    {
        var id = (await client.CreateAsync(Http.Person(name, evidence: Http.Passport()))).GetProperty("id").GetString()!;
        var call = await (await client.PostAsync($"/api/identities/{id}/insi-search", null)).JsonAsync();
        call.GetProperty("identity").GetProperty("status").GetString().Should().Be("QUAL");
        return (id, insi.ReturnedMatricule!);
    }

    [Fact]
    public async Task The_capability_statement_is_served_without_authentication_in_json_and_xml_and_validates()
    {
        await using var gw = await TestGateway.StartAsync(database);
        var r = await gw.Anonymous().GetAsync("/fhir/metadata");
        r.StatusCode.Should().Be(HttpStatusCode.OK);
        var cs = await ReadJsonAsync<CapabilityStatement>(r);
        cs.Kind.Should().Be(CapabilityStatementKind.Instance);
        cs.FhirVersion.Should().Be(FHIRVersion.N4_0_1);
        var patient = cs.Rest.Single().Resource.Single();
        patient.Type.Should().Be("Patient");
        patient.Profile.Should().Be(FrCore.PatientProfile);
        patient.Interaction.Select(i => i.Code).Should().BeEquivalentTo([CapabilityStatement.TypeRestfulInteraction.Read, CapabilityStatement.TypeRestfulInteraction.SearchType, CapabilityStatement.TypeRestfulInteraction.Create]);
        patient.SearchParam.Select(p => p.Name).Should().Contain(["identifier", "family", "given", "birthdate", "gender"]);
        FrCoreValidator.ShouldValidate(cs);

        var xml = await gw.Anonymous().GetAsync("/fhir/metadata?_format=xml");
        xml.Content.Headers.ContentType!.MediaType.Should().Be("application/fhir+xml");
        FhirFormats.ParseXml<CapabilityStatement>(await xml.Content.ReadAsStringAsync()).Resource.Kind.Should().Be(CapabilityStatementKind.Instance);
    }

    [Fact]
    public async Task A_qualified_identity_is_read_as_FR_Core_Patient_INS_with_its_INS_in_json_and_xml_and_validates()
    {
        var name = Unique("DUPONT");
        var insi = FakeInsi.Returning(birthName: name);
        await using var gw = await TestGateway.StartAsync(database, insi);
        var client = await gw.ClientAsync(GatewayRoles.FrontDesk);
        var (id, matricule) = await QualifiedAsync(gw, client, insi, name);

        var r = await client.GetAsync($"/fhir/Patient/{id}");
        r.StatusCode.Should().Be(HttpStatusCode.OK);
        r.Headers.ETag!.IsWeak.Should().BeTrue();
        var patient = await ReadJsonAsync<Patient>(r);
        patient.Id.Should().Be(id);
        patient.Meta.Profile.Should().Equal(FrCore.PatientInsProfile);
        patient.Meta.VersionId.Should().Be(r.Headers.ETag.Tag.Trim('"'));
        patient.Identifier.Should().ContainSingle(i => i.System == InsSystem && i.Value == matricule && i.Use == Identifier.IdentifierUse.Official);
        patient.Name.Should().Contain(n => n.Family == name);
        FrCoreValidator.ShouldValidate(patient);

        var req = new HttpRequestMessage(HttpMethod.Get, $"/fhir/Patient/{id}");
        req.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/fhir+xml"));
        var xml = await client.SendAsync(req);
        xml.Content.Headers.ContentType!.MediaType.Should().Be("application/fhir+xml");
        var fromXml = FhirFormats.ParseXml<Patient>(await xml.Content.ReadAsStringAsync()).Resource;
        fromXml.Identifier.Should().Contain(i => i.Value == matricule);
        FrCoreValidator.ShouldValidate(fromXml);
    }

    [Fact]
    public async Task An_identity_that_is_no_longer_qualified_is_read_and_searched_without_its_INS()
    {
        var name = Unique("MARTIN");
        var insi = FakeInsi.Returning(birthName: name);
        await using var gw = await TestGateway.StartAsync(database, insi);
        var client = await gw.ClientAsync(GatewayRoles.FrontDesk);
        var vigilance = await gw.ClientAsync(GatewayRoles.IdentityVigilance);
        var (id, matricule) = await QualifiedAsync(gw, client, insi, name);
        (await (await vigilance.PostAsJsonAsync($"/api/identities/{id}/revert-qualification", new { reason = "doubt on the document" }, Http.Json)).JsonAsync())
            .GetProperty("status").GetString().Should().Be("RECUP");

        var patient = await ReadJsonAsync<Patient>(await client.GetAsync($"/fhir/Patient/{id}"));
        patient.Meta.Profile.Should().Equal(FrCore.PatientProfile);
        patient.Identifier.Should().NotContain(i => i.Value == matricule || (i.System != null && i.System.StartsWith("urn:oid:1.2.250.1.213.1.4.", StringComparison.Ordinal)));
        FrCoreValidator.ShouldValidate(patient);

        // Searching by the INS must not reveal whose it is.
        var byIns = await ReadJsonAsync<Bundle>(await client.GetAsync($"/fhir/Patient?identifier={Uri.EscapeDataString(InsSystem + "|" + matricule)}"));
        byIns.Total.Should().Be(0);
        byIns.Entry.Should().BeEmpty();
        var bare = await ReadJsonAsync<Bundle>(await client.GetAsync($"/fhir/Patient?identifier={matricule}"));
        bare.Entry.Should().BeEmpty();
    }

    [Fact]
    public async Task Patients_are_found_by_INS_by_traits_and_by_another_domains_identifier_and_every_entry_validates()
    {
        var name = Unique("BERNARD");
        var insi = FakeInsi.Returning(birthName: name);
        await using var gw = await TestGateway.StartAsync(database, insi, configure: o => { });
        var client = await gw.ClientAsync(GatewayRoles.FrontDesk);
        var (qualified, matricule) = await QualifiedAsync(gw, client, insi, name);
        var ipp = "IPP-" + Guid.NewGuid().ToString("N")[..8];
        var local = (await client.CreateAsync(new
        {
            birthName = name, birthFirstNames = "MARIE", sex = "F", birthDate = "1975-03-02", birthPlaceCog = "75056",
            externalIds = new[] { new { authority = "1.2.250.1.999.1", value = ipp } },
        })).GetProperty("id").GetString();

        var byIns = await ReadJsonAsync<Bundle>(await client.GetAsync($"/fhir/Patient?identifier={Uri.EscapeDataString(InsSystem + "|" + matricule)}"));
        byIns.Type.Should().Be(Bundle.BundleType.Searchset);
        byIns.Total.Should().Be(1);
        byIns.Entry.Single().Resource.Id.Should().Be(qualified);
        byIns.Entry.Single().FullUrl.Should().EndWith($"/fhir/Patient/{qualified}");
        byIns.Entry.Single().Search.Mode.Should().Be(Bundle.SearchEntryMode.Match);
        (await ReadJsonAsync<Bundle>(await client.GetAsync($"/fhir/Patient?identifier={Uri.EscapeDataString("urn:oid:1.2.250.1.213.1.4.8|" + matricule)}"))).Total
            .Should().Be(0, "the INS is held under the test authority, not the NIR one");

        var byLocal = await ReadJsonAsync<Bundle>(await client.GetAsync($"/fhir/Patient?identifier={Uri.EscapeDataString("urn:oid:1.2.250.1.999.1|" + ipp)}"));
        var found = (Patient)byLocal.Entry.Single().Resource;
        found.Id.Should().Be(local);
        found.Identifier.Should().ContainSingle(i => i.System == "urn:oid:1.2.250.1.999.1" && i.Value == ipp && i.Type.Coding[0].Code == "PI");
        (await ReadJsonAsync<Bundle>(await client.GetAsync($"/fhir/Patient?identifier={Uri.EscapeDataString("urn:oid:1.2.250.1.999.2|" + ipp)}"))).Total.Should().Be(0);

        var byTraits = await ReadJsonAsync<Bundle>(await client.GetAsync($"/fhir/Patient?family={Uri.EscapeDataString(name.ToLowerInvariant())}&gender=female&birthdate=1975-03-02"));
        byTraits.Entry.Select(e => e.Resource.Id).Should().Equal(local);
        var byGiven = await ReadJsonAsync<Bundle>(await client.GetAsync($"/fhir/Patient?family={Uri.EscapeDataString(name)}&given=jean"));
        byGiven.Entry.Select(e => e.Resource.Id).Should().Equal(qualified);
        (await ReadJsonAsync<Bundle>(await client.GetAsync($"/fhir/Patient?family={Uri.EscapeDataString(name)}&gender=other"))).Total.Should().Be(0);

        var both = await ReadJsonAsync<Bundle>(await client.GetAsync($"/fhir/Patient?family={Uri.EscapeDataString(name)}&_count=1"));
        both.Total.Should().Be(2);
        both.Entry.Should().ContainSingle();
        var next = both.Link.Single(l => l.Relation == "next").Url;
        var second = await ReadJsonAsync<Bundle>(await client.GetAsync(new Uri(next).PathAndQuery));
        second.Entry.Should().ContainSingle().Which.Resource.Id.Should().NotBe(both.Entry[0].Resource.Id);

        foreach (var bundle in new[] { byIns, byLocal, byTraits, both, second })
        {
            foreach (var entry in bundle.Entry)
            {
                FrCoreValidator.ShouldValidate(entry.Resource);
            }
        }
    }

    [Fact]
    public async Task A_merged_identity_is_read_inactive_with_a_replaced_by_link_and_is_not_found_by_search()
    {
        await using var gw = await TestGateway.StartAsync(database);
        var vigilance = await gw.ClientAsync(GatewayRoles.IdentityVigilance);
        var name = Unique("FUSION");
        object Person() => new { birthName = name, birthFirstNames = "PAUL", sex = "M", birthDate = "1990-01-01", birthPlaceCog = "75056", force = true, reason = "created twice" };
        var survivor = (await vigilance.CreateAsync(Person())).GetProperty("id").GetString();
        var merged = (await vigilance.CreateAsync(Person())).GetProperty("id").GetString();
        (await vigilance.PostAsJsonAsync($"/api/identities/{survivor}/merge", new { from = merged, reason = "same person" }, Http.Json)).StatusCode.Should().Be(HttpStatusCode.OK);

        var patient = await ReadJsonAsync<Patient>(await vigilance.GetAsync($"/fhir/Patient/{merged}"));
        patient.Active.Should().BeFalse();
        patient.Link.Should().ContainSingle(l => l.Type == Patient.LinkType.ReplacedBy && l.Other.Reference == $"Patient/{survivor}");
        FrCoreValidator.ShouldValidate(patient);

        var search = await ReadJsonAsync<Bundle>(await vigilance.GetAsync($"/fhir/Patient?family={Uri.EscapeDataString(name)}"));
        search.Entry.Select(e => e.Resource.Id).Should().Equal(survivor);
    }

    [Fact]
    public async Task A_FHIR_client_authenticates_with_its_API_key_as_a_bearer_token_and_is_challenged_for_one_without_it()
    {
        await using var gw = await TestGateway.StartAsync(database);
        var headerClient = await gw.ClientAsync(GatewayRoles.FrontDesk);
        var key = headerClient.DefaultRequestHeaders.GetValues(ApiKeys.Header).Single();
        var name = Unique("BEARER");
        await headerClient.CreateAsync(Http.Person(name));

        var bearer = gw.Anonymous();
        bearer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var found = await ReadJsonAsync<Bundle>(await bearer.GetAsync($"/fhir/Patient?family={Uri.EscapeDataString(name)}"));
        found.Entry.Should().ContainSingle(e => e.Search.Mode == Bundle.SearchEntryMode.Match);
        (await bearer.GetAsync("/api/identities?birthName=" + Uri.EscapeDataString(name))).StatusCode.Should().Be(HttpStatusCode.OK, "the REST API takes the same bearer form");

        var anonymous = await gw.Anonymous().GetAsync("/fhir/Patient?family=X");
        await OutcomeAsync(anonymous, HttpStatusCode.Unauthorized);
        anonymous.Headers.WwwAuthenticate.Should().ContainSingle(h => h.Scheme == "Bearer");

        var wrong = gw.Anonymous();
        wrong.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key[..^2] + "xx");
        await OutcomeAsync(await wrong.GetAsync("/fhir/Patient?family=X"), HttpStatusCode.Unauthorized);

        // A bearer token that is not a gateway key (an OAuth token meant for someone else) authenticates nobody.
        var foreign = gw.Anonymous();
        foreign.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln");
        await OutcomeAsync(await foreign.GetAsync("/fhir/Patient?family=X"), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_partners_Patient_posted_to_the_endpoint_enters_the_inbound_gate_and_is_never_written_straight_into_the_store()
    {
        await using var gw = await TestGateway.StartAsync(database);
        var vigilance = await gw.ClientAsync(GatewayRoles.IdentityVigilance);
        var partner = "FHIRPARTNER" + Guid.NewGuid().ToString("N")[..6].ToUpperInvariant();
        (await vigilance.PutAsJsonAsync($"/api/inbound/partners/{partner}", new
        {
            name = "Partner " + partner,
            assigningAuthority = "1.2.250.1.999." + Random.Shared.Next(1, 99999),
            transport = "api",
            verifyInsWithInsi = false,
            allowCreate = true,
            qualifiedCode = "VALI",
        }, Http.Json)).StatusCode.Should().Be(HttpStatusCode.OK);
        var client = await gw.ClientAsync(GatewayRoles.FrontDesk);
        var name = Unique("FHIRIN").Replace(" ", "", StringComparison.Ordinal);
        // The official example, for a new person and without its INS (the example's INS key is wrong: the gate would hold it).
        var example = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(TestPaths.SharedFile(["data", "fhir", "fr-core", "2.2.0", "examples", "Patient-FRCorePatientExample.json"]))
            .Replace("\"Durand\"", $"\"{name}\"", StringComparison.Ordinal)
            .Replace("01006", "75056", StringComparison.Ordinal))!.AsObject();
        var identifiers = example["identifier"]!.AsArray();
        foreach (var ins in identifiers.Where(i => i!["system"]?.GetValue<string>().StartsWith("urn:oid:1.2.250.1.213.1.4.", StringComparison.Ordinal) == true).ToList())
        {
            identifiers.Remove(ins);
        }

        var body = example.ToJsonString();

        async Task<HttpResponseMessage> PostAsync(string content, string mediaType, string? partnerHeader)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/fhir/Patient") { Content = new StringContent(content) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
            if (partnerHeader is not null)
            {
                request.Headers.Add("X-Partner", partnerHeader);
            }

            return await client.SendAsync(request);
        }

        var accepted = await PostAsync(body, "application/fhir+json", partner);
        accepted.StatusCode.Should().Be(HttpStatusCode.Accepted, await accepted.Content.ReadAsStringAsync());
        var location = accepted.Headers.Location!.ToString();
        location.Should().StartWith("/api/inbound/");
        var outcome = await ReadJsonAsync<OperationOutcome>(accepted);
        FrCoreValidator.ShouldValidate(outcome);
        outcome.Issue.Should().ContainSingle(i => i.Diagnostics.StartsWith("Stored as inbound item", StringComparison.Ordinal))
            .Which.Severity.Should().Be(OperationOutcome.IssueSeverity.Information);

        var item = await (await client.GetAsync(location)).JsonAsync();
        item.GetProperty("decision").GetString().Should().Be("create", item.ToString());
        var created = item.GetProperty("identityId").GetString();
        outcome.Issue.Should().Contain(i => i.Diagnostics.Contains($"Patient/{created}", StringComparison.Ordinal));
        var patient = await ReadJsonAsync<Patient>(await client.GetAsync($"/fhir/Patient/{created}"));
        patient.Name.Should().Contain(n => n.Family == name);

        (await OutcomeAsync(await PostAsync(body, "application/fhir+json", null), HttpStatusCode.BadRequest)).Issue[0].Expression.Should().Equal("X-Partner");
        await OutcomeAsync(await PostAsync(body, "text/plain", partner), HttpStatusCode.UnsupportedMediaType);
        var reader = await gw.ClientAsync(GatewayRoles.Admin);
        var refused = await reader.PostAsync("/fhir/Patient", new StringContent(body, System.Text.Encoding.UTF8, "application/fhir+json"));
        await OutcomeAsync(refused, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Every_error_is_an_OperationOutcome_with_the_right_status()
    {
        await using var gw = await TestGateway.StartAsync(database);
        var client = await gw.ClientAsync(GatewayRoles.FrontDesk);
        var anonymous = gw.Anonymous();

        await OutcomeAsync(await anonymous.GetAsync($"/fhir/Patient/{Guid.NewGuid()}"), HttpStatusCode.Unauthorized);
        await OutcomeAsync(await anonymous.GetAsync("/fhir/Patient?family=X"), HttpStatusCode.Unauthorized);
        var wrongKey = gw.Anonymous();
        wrongKey.DefaultRequestHeaders.Add(ApiKeys.Header, "sgw_nope.nope");
        await OutcomeAsync(await wrongKey.GetAsync("/fhir/Patient?family=X"), HttpStatusCode.Unauthorized);

        (await OutcomeAsync(await client.GetAsync($"/fhir/Patient/{Guid.NewGuid()}"), HttpStatusCode.NotFound)).Issue[0].Code.Should().Be(OperationOutcome.IssueType.NotFound);
        await OutcomeAsync(await client.GetAsync("/fhir/Patient/not-a-guid"), HttpStatusCode.NotFound);
        var badDate = await OutcomeAsync(await client.GetAsync("/fhir/Patient?birthdate=1980"), HttpStatusCode.BadRequest);
        badDate.Issue[0].Expression.Should().Equal("birthdate");
        (await OutcomeAsync(await client.GetAsync("/fhir/Patient?birthdate=gt1980-01-01"), HttpStatusCode.BadRequest)).Issue[0].Expression.Should().Equal("birthdate");
        (await OutcomeAsync(await client.GetAsync("/fhir/Patient?gender=x"), HttpStatusCode.BadRequest)).Issue[0].Expression.Should().Equal("gender");
        (await OutcomeAsync(await client.GetAsync("/fhir/Patient?identifier=urn:oid:1.2.250.1.213.1.4.8%7C123"), HttpStatusCode.BadRequest)).Issue[0].Expression.Should().Equal("identifier");
        await OutcomeAsync(await client.GetAsync("/fhir/Patient?family:contains=DU"), HttpStatusCode.BadRequest);
        await OutcomeAsync(await client.PutAsync("/fhir/Patient/1", new StringContent("{}")), HttpStatusCode.MethodNotAllowed);
        await OutcomeAsync(await client.GetAsync("/fhir/Observation/1"), HttpStatusCode.NotFound);

        // Unknown parameters: ignored and said so, or refused under Prefer: handling=strict.
        var lenient = await ReadJsonAsync<Bundle>(await client.GetAsync("/fhir/Patient?family=NOBODY&address=Paris"));
        lenient.Entry.Should().ContainSingle(e => e.Search.Mode == Bundle.SearchEntryMode.Outcome)
            .Which.Resource.Should().BeOfType<OperationOutcome>().Which.Issue[0].Expression.Should().Equal("address");
        var strict = new HttpRequestMessage(HttpMethod.Get, "/fhir/Patient?family=NOBODY&address=Paris");
        strict.Headers.Add("Prefer", "handling=strict");
        await OutcomeAsync(await client.SendAsync(strict), HttpStatusCode.BadRequest);

        var html = new HttpRequestMessage(HttpMethod.Get, "/fhir/metadata");
        html.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));
        await OutcomeAsync(await client.SendAsync(html), HttpStatusCode.NotAcceptable);

        var xmlError = await client.GetAsync($"/fhir/Patient/{Guid.NewGuid()}?_format=application/fhir%2Bxml");
        xmlError.StatusCode.Should().Be(HttpStatusCode.NotFound);
        xmlError.Content.Headers.ContentType!.MediaType.Should().Be("application/fhir+xml");
        FhirFormats.ParseXml<OperationOutcome>(await xmlError.Content.ReadAsStringAsync()).Resource.Issue.Should().NotBeEmpty();
    }
}

public sealed class FhirEndpointTests_on_Sqlite(SqliteTestDatabase db) : FhirEndpointTests<SqliteTestDatabase>(db);

public sealed class FhirEndpointTests_on_Postgres(PostgresTestDatabase db) : FhirEndpointTests<PostgresTestDatabase>(db);
