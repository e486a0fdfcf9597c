using System.Net;
using System.Net.Http.Headers;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;
using Microsoft.Extensions.Time.Testing;
using SanteGateway.Ror.Sandbox;
using SanteGateway.Ror.Sandbox.Pki;
using SanteGateway.Testing;

namespace SanteGateway.Ror.Tests;

/// <summary>The ROR client against the sandbox, over real mutual TLS.</summary>
public sealed class ClientTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_profile_1_client_authenticates_with_its_certificate_and_no_secret_then_searches_offers()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var client = RorClient.Create(sandbox.ClientOptions());

        var page = await client.SearchAsync(new RorSearch("HealthcareService").Count(10), Ct);

        page.Total.Should().Be(sandbox.Handler.Data.All("HealthcareService").Count);
        page.Entry.Should().HaveCount(10).And.OnlyContain(e => e.Search.Mode == Bundle.SearchEntryMode.Match && e.Resource is HealthcareService);
        var token = sandbox.Handler.Requests.Single(r => r.Path == RorSandboxHandler.TokenPath);
        token.ClientCertificateSubject.Should().Contain("CN=CLIENT_TEST_RORN");
        client.Tokens.TokensObtained.Should().Be(1);
    }

    [Fact]
    public async Task A_profile_0_client_authenticates_with_its_secret_without_any_certificate()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var client = RorClient.Create(sandbox.ClientOptions(RorSandboxOptions.DefaultSecretClientId));

        var organization = await client.ReadAsync<Organization>("ror-organization-exemple-ej", Ct);

        organization.Name.Should().Be("Quiétude");
        sandbox.Handler.Requests.Should().OnlyContain(r => r.ClientCertificateSubject == null);
    }

    [Fact]
    public async Task A_wrong_secret_is_a_typed_authentication_error()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        var options = sandbox.ClientOptions(RorSandboxOptions.DefaultSecretClientId);
        options.ClientSecret = "wrong";
        using var client = RorClient.Create(options);

        var act = () => client.SearchAsync(new RorSearch("Organization"), Ct);

        (await act.Should().ThrowAsync<RorAuthenticationException>()).Which.Error.Should().Be("invalid_client");
    }

    [Fact]
    public async Task A_certificate_whose_subject_DN_is_not_registered_is_refused_at_the_token_endpoint()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        var options = sandbox.ClientOptions();
        options.ClientCertificatePath = Path.Combine(sandbox.PkiDirectory, RorSandboxPki.UnregisteredP12File);
        using var client = RorClient.Create(options);

        var act = () => client.SearchAsync(new RorSearch("Organization"), Ct);

        (await act.Should().ThrowAsync<RorAuthenticationException>()).Which.Description.Should().Contain("subject DN");
    }

    [Fact]
    public async Task A_client_trusting_only_the_IGC_Sante_test_CAs_refuses_a_server_they_did_not_issue()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        var options = sandbox.ClientOptions();
        options.TrustedCaPaths.Clear();
        options.TrustedCaPaths.Add(TestPaths.SharedFile("data", "pki", "igc-sante", "ACR-EL.cer"));
        options.TrustedCaPaths.Add(TestPaths.SharedFile("data", "pki", "igc-sante", "ACI-EL-ORG.cer"));
        options.MaxRetries = 0;
        using var client = RorClient.Create(options);

        var act = () => client.SearchAsync(new RorSearch("Organization"), Ct);

        await act.Should().ThrowAsync<RorTransportException>();
    }

    [Fact]
    public async Task The_token_is_reused_until_shortly_before_it_expires_then_renewed()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var sandbox = await Sandboxes.StartAsync(o => o.TokenLifetime = TimeSpan.FromMinutes(5), clock);
        var options = sandbox.ClientOptions();
        options.TokenRenewalMargin = TimeSpan.FromSeconds(30);
        using var client = RorClient.Create(options, time: clock);

        await client.SearchAsync(new RorSearch("Location").Count(1), Ct);
        clock.Advance(TimeSpan.FromMinutes(4));
        await client.SearchAsync(new RorSearch("Location").Count(1), Ct);
        client.Tokens.TokensObtained.Should().Be(1);

        clock.Advance(TimeSpan.FromSeconds(40)); // 20 s before exp: inside the renewal margin
        await client.SearchAsync(new RorSearch("Location").Count(1), Ct);

        client.Tokens.TokensObtained.Should().Be(2);
        sandbox.Handler.TokensIssued.Should().Be(2);
    }

    [Fact]
    public async Task A_token_the_server_considers_expired_is_replaced_once_after_a_401()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var sandbox = await Sandboxes.StartAsync(o => o.TokenLifetime = TimeSpan.FromMinutes(5), clock);
        var options = sandbox.ClientOptions();
        options.TokenRenewalMargin = TimeSpan.Zero;
        var clientClock = new FakeTimeProvider(clock.GetUtcNow()); // the client's clock lags: it still believes its token valid
        using var client = RorClient.Create(options, time: clientClock);
        await client.SearchAsync(new RorSearch("Location").Count(1), Ct);

        clock.Advance(TimeSpan.FromMinutes(6));
        var page = await client.SearchAsync(new RorSearch("Location").Count(1), Ct);

        page.Entry.Should().NotBeEmpty();
        sandbox.Handler.Requests.Where(r => r.Path.EndsWith("/Location", StringComparison.Ordinal)).Select(r => r.Status).Should().Equal(200, 401, 200);
        client.Tokens.TokensObtained.Should().Be(2);
    }

    [Fact]
    public async Task The_Ror_headers_go_with_reads_and_paging_of_the_main_resources_but_never_with_the_capacity_patch_or_export()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var client = RorClient.Create(sandbox.ClientOptions());
        var first = await client.SearchAsync(new RorSearch("HealthcareService").Count(5), Ct);
        await client.NextPageAsync(first, Ct);
        await client.ReadAsync<Location>("loc-000001", Ct);
        await client.SetCapacityAsync(Update("loc-000001", sandbox, "01", 30), cancellationToken: Ct);
        var job = await client.StartExportAsync(new RorExportRequest(), Ct);
        await client.WaitForExportAsync(job, cancellationToken: Ct);

        var requests = sandbox.Handler.Requests.Where(r => r.Path != RorSandboxHandler.TokenPath).ToList();
        var reads = requests.Where(r => r.Method == "GET" && !r.Path.Contains('$', StringComparison.Ordinal)).ToList();
        reads.Should().HaveCount(3);
        reads.Should().OnlyContain(r => RorConstants.RorHeaders.All(h => r.HeaderNames.Contains(h, StringComparer.OrdinalIgnoreCase)));
        requests.Where(r => r.Method == "PATCH" || r.Path.Contains('$', StringComparison.Ordinal))
            .Should().NotBeEmpty().And.OnlyContain(r => !r.HeaderNames.Any(h => h.StartsWith("Ror-", StringComparison.OrdinalIgnoreCase)));
        requests.Should().OnlyContain(r => r.Status < 400);
    }

    [Fact]
    public async Task A_read_without_the_Ror_headers_is_refused_with_an_OperationOutcome_naming_them()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var client = RorClient.Create(sandbox.ClientOptions());
        var token = await client.Tokens.GetAsync(Ct);
        using var http = RawHttp(sandbox);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(sandbox.FhirBase, "Location"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Value);

        using var response = await http.SendAsync(request, Ct);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var outcome = RorClient.TryOutcome(await response.Content.ReadAsStringAsync(Ct));
        outcome!.Issue.Single().Expression.Should().Contain(RorConstants.HeaderProfilUtilisateurCode);
    }

    [Fact]
    public async Task The_canonical_offer_extraction_returns_the_offer_with_its_organisation_hierarchy_locations_roles_and_practitioners()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var client = RorClient.Create(sandbox.ClientOptions());

        var page = await client.SearchAsync(RorSearch.OfferGraph().Where("_id", "1234564"), Ct);

        page.Total.Should().Be(1);
        page.Entry.Where(e => e.Search.Mode == Bundle.SearchEntryMode.Match).Select(e => e.Resource.Id).Should().Equal("1234564");
        page.Entry.Where(e => e.Search.Mode == Bundle.SearchEntryMode.Include).Select(e => e.Resource.TypeName + "/" + e.Resource.Id).Should().BeEquivalentTo(
            "Organization/ror-organisation-exemple-eg",
            "Organization/ror-organization-exemple-ej",
            "Location/ror-location-exemple",
            "PractitionerRole/ror-practitionerrole-exemple",
            "Practitioner/ror-practitioner-exemple");
        page.Entry.Should().OnlyContain(e => e.FullUrl.StartsWith(sandbox.FhirBase.ToString(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Next_links_are_followed_as_opaque_urls_until_every_match_is_read()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var client = RorClient.Create(sandbox.ClientOptions());
        var ids = new List<string>();
        var pages = 0;

        await foreach (var page in client.SearchPagesAsync(new RorSearch("HealthcareService").Count(7), Ct))
        {
            pages++;
            ids.AddRange(page.Entry.Where(e => e.Search.Mode == Bundle.SearchEntryMode.Match).Select(e => e.Resource.Id));
            page.Link.Where(l => l.Relation == "next").Should().OnlyContain(l => l.Url.Contains("_getpages=", StringComparison.Ordinal));
        }

        var expected = sandbox.Handler.Data.All("HealthcareService").Count;
        ids.Should().OnlyHaveUniqueItems().And.HaveCount(expected);
        pages.Should().Be((expected + 6) / 7);
    }

    [Fact]
    public async Task Plain_searches_stop_at_the_cap_with_a_warning_and_export_returns_everything_past_it()
    {
        await using var sandbox = await Sandboxes.StartAsync(o =>
        {
            o.MaxResults = 25;
            o.GeneratedOffers = 60;
            o.ExportFileSize = 20;
            o.ExportPollsBeforeReady = 2;
        });
        using var client = RorClient.Create(sandbox.ClientOptions());
        var searched = new List<string>();
        Bundle? last = null;
        await foreach (var page in client.SearchPagesAsync(new RorSearch("HealthcareService").Count(10), Ct))
        {
            searched.AddRange(page.Entry.Where(e => e.Search.Mode == Bundle.SearchEntryMode.Match).Select(e => e.Resource.Id));
            last = page;
        }

        searched.Should().HaveCount(25);
        last!.Total.Should().Be(61);
        last.Entry.Should().Contain(e => e.Search.Mode == Bundle.SearchEntryMode.Outcome && e.Resource is OperationOutcome);

        var polls = new List<RorExportStatus>();
        var manifest = await client.WaitForExportAsync(await client.StartExportAsync(new RorExportRequest(), Ct), new SyncProgress<RorExportStatus>(polls.Add), Ct);
        var exported = new List<Resource>();
        foreach (var file in manifest.Files)
        {
            await foreach (var r in client.ReadExportFileAsync(file, Ct))
            {
                exported.Add(r);
            }
        }

        polls.Count(p => !p.IsComplete).Should().Be(2);
        exported.OfType<HealthcareService>().Should().HaveCount(61);
        manifest.Files.Where(f => f.Type == "HealthcareService").Should().HaveCount(4);
        exported.Count.Should().Be(sandbox.Handler.Data.Count);
    }

    [Fact]
    public async Task An_export_filtered_on_a_region_brings_the_associated_set_of_that_region_only()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var client = RorClient.Create(sandbox.ClientOptions());
        var region = "84";
        var job = await client.StartExportAsync(new RorExportRequest { TypeFilters = [$"HealthcareService?_tag={RorConstants.RegionSystem}|{region}"] }, Ct);
        var manifest = await client.WaitForExportAsync(job, cancellationToken: Ct);
        var exported = new List<Resource>();
        foreach (var file in manifest.Files)
        {
            await foreach (var r in client.ReadExportFileAsync(file, Ct))
            {
                exported.Add(r);
            }
        }

        var offers = exported.OfType<HealthcareService>().ToList();
        offers.Should().NotBeEmpty().And.OnlyContain(h => h.Meta.Tag.Any(t => t.Code == region));
        exported.OfType<Location>().Should().HaveCount(offers.Count);
        exported.OfType<Organization>().Should().NotBeEmpty();
        exported.OfType<PractitionerRole>().Should().HaveCount(offers.Count);
    }

    [Fact]
    public async Task The_sandbox_refuses_ndjson_as_output_format_like_the_ROR_and_the_error_carries_its_OperationOutcome()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var client = RorClient.Create(sandbox.ClientOptions());

        var act = () => client.StartExportAsync(new RorExportRequest { OutputFormat = "application/fhir+ndjson" }, Ct);

        var error = (await act.Should().ThrowAsync<RorRequestException>()).Which;
        error.Kind.Should().Be(RorErrorKind.BadRequest);
        error.IssueCode.Should().Be("not-supported");
    }

    [Fact]
    public async Task An_unknown_resource_is_a_typed_not_found_with_its_OperationOutcome()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var client = RorClient.Create(sandbox.ClientOptions());

        var act = () => client.ReadAsync<HealthcareService>("nope", Ct);

        var error = (await act.Should().ThrowAsync<RorRequestException>()).Which;
        error.Kind.Should().Be(RorErrorKind.NotFound);
        error.Outcome!.Issue.Should().ContainSingle();
    }

    [Fact]
    public async Task Deltas_by_lastUpdated_return_only_what_changed_and_the_filter_form_catches_organisation_changes()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var sandbox = await Sandboxes.StartAsync(time: clock);
        using var client = RorClient.Create(sandbox.ClientOptions(), time: clock);
        var since = clock.GetUtcNow();
        clock.Advance(TimeSpan.FromMinutes(1));
        await client.SetCapacityAsync(Update("loc-000003", sandbox, "02", 1), cancellationToken: Ct);
        var ej = (Organization)sandbox.Handler.Data.Get("Organization", "ej-000000")!.DeepCopy();
        ej.Name += " (renommé)";
        sandbox.Handler.Data.Touch(ej);

        var locations = await client.SearchAsync(new RorSearch("Location").LastUpdated(since), Ct);
        var plain = await client.SearchAsync(new RorSearch("HealthcareService").LastUpdated(since), Ct);
        var filtered = await client.SearchAsync(new RorSearch("HealthcareService").ChangedSince(since).Count(100), Ct);

        locations.Entry.Select(e => e.Resource.Id).Should().Equal("loc-000003");
        plain.Total.Should().Be(0);
        // EJ 0 holds EG 0 and EG 1, with 10 offers each (through the EG or its OI).
        filtered.Total.Should().Be(2 * RorDataGenerator.OffersPerEstablishment);
    }

    [Fact]
    public async Task Offers_are_found_by_region_tag_specialty_commune_establishment_hierarchy_and_distance()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var client = RorClient.Create(sandbox.ClientOptions());
        var all = sandbox.Handler.Data.All("HealthcareService").OfType<HealthcareService>().ToList();

        var region = await client.SearchAsync(new RorSearch("HealthcareService").Region("93").Count(200), Ct);
        region.Total.Should().Be(all.Count(h => h.Meta.Tag.Any(t => t.Code == "93")));

        var specialty = await client.SearchAsync(new RorSearch("HealthcareService").Where("specialty", RorConstants.OperationalActivitySystem + "|022").Count(200), Ct);
        specialty.Total.Should().Be(all.Count(h => h.Specialty.Any(s => s.Coding.Any(c => c.Code == "022"))));

        var lyon = await client.SearchAsync(new RorSearch("HealthcareService").Where("location.commune-cog", RorConstants.CommuneSystem + "|69123").Count(200), Ct);
        lyon.Total.Should().BeGreaterThan(0);
        lyon.Entry.Should().OnlyContain(e => ((HealthcareService)e.Resource).Meta.Tag.Any(t => t.Code == "84"));

        var ejIdNat = sandbox.Handler.Data.Get("Organization", "ej-000000")!.Let(o => ((Organization)o).Identifier.First(i => i.System == RorConstants.IdNatStructSystem).Value);
        var hierarchy = await client.SearchAsync(new RorSearch("HealthcareService").Where("organization.identifier:above", ejIdNat).Count(200), Ct);
        hierarchy.Total.Should().Be(2 * RorDataGenerator.OffersPerEstablishment);

        var near = await client.SearchAsync(new RorSearch("HealthcareService").Where("location.near", "48.8566|2.3522|5|km").Include("HealthcareService:location").Count(200), Ct);
        near.Total.Should().BeGreaterThan(0);
        near.Entry.Where(e => e.Resource is Location).Should().NotBeEmpty()
            .And.OnlyContain(e => e.Search.Extension.Any(x => x.Url == RorConstants.LocationDistanceExtension && ((Distance)x.Value).Value <= 5));
    }

    [Fact]
    public async Task A_profile_3_client_does_not_see_sensitive_units()
    {
        await using var sandbox = await Sandboxes.StartAsync(o => o.GeneratedOffers = 200);
        using var p1 = RorClient.Create(sandbox.ClientOptions());
        using var p3 = RorClient.Create(sandbox.ClientOptions(RorSandboxOptions.DefaultProfile3ClientId));
        var sensitive = sandbox.Handler.Data.All("HealthcareService").OfType<HealthcareService>().Count(RorRedaction.IsSensitive);

        var seenByP1 = await p1.SearchAsync(new RorSearch("HealthcareService").Count(0), Ct);
        var seenByP3 = await p3.SearchAsync(new RorSearch("HealthcareService").Count(0), Ct);

        sensitive.Should().BeGreaterThan(0);
        seenByP3.Total.Should().Be(seenByP1.Total - sensitive);
    }

    [Fact]
    public async Task An_unknown_search_parameter_is_a_bad_request()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var client = RorClient.Create(sandbox.ClientOptions());

        var act = () => client.SearchAsync(new RorSearch("Location").Where("colour", "blue"), Ct);

        (await act.Should().ThrowAsync<RorRequestException>()).Which.Message.Should().Contain("colour");
    }

    internal static RorCapacityUpdate Update(string locationId, RorSandboxServer sandbox, string status, int count, string assignment = "01")
    {
        var location = (Location)sandbox.Handler.Data.Get("Location", locationId)!;
        var eg = (Organization)sandbox.Handler.Data.Resolve(location.ManagingOrganization)!;
        return new RorCapacityUpdate
        {
            EgIdentifier = eg.Identifier.First(i => i.System == RorConstants.IdNatStructSystem).Value,
            ExternalId = location.Identifier.First(i => i.Type.Coding.Any(c => c.Code == "26")).Value,
            CapacityType = "01",
            CapacityStatus = status,
            TemporaryAssignment = assignment,
            Count = count,
            UpdatedAt = DateTimeOffset.UtcNow,
        };
    }

    internal static HttpClient RawHttp(RorSandboxServer sandbox)
    {
        var ca = RorSandboxPki.LoadCa(sandbox.PkiDirectory);
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, _, errors) =>
            SanteGateway.Insi.OutboundTls.ValidateServer(cert, errors, [ca], false);
        return new HttpClient(handler);
    }

    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}

internal static class Functional
{
    public static TOut Let<TIn, TOut>(this TIn value, Func<TIn, TOut> f) => f(value);
}
