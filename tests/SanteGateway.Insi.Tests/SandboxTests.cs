using SanteGateway.Identity;
using SanteGateway.Insi.Sandbox;
using SanteGateway.Insi.Sandbox.Pki;

namespace SanteGateway.Insi.Tests;

/// <summary>A sandbox PKI and a running sandbox (mutual TLS on an ephemeral port), shared by a test class.</summary>
public sealed class SandboxFixture : IAsyncLifetime
{
    public const string Password = "sandbox-test-pass";

    public string PkiDir { get; } = Path.Combine(Path.GetTempPath(), "insi-sandbox-" + Guid.NewGuid().ToString("N"));

    public InsiSandboxServer Server { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        TestPki.Create(PkiDir, Password, force: true);
        Server = await InsiSandboxServer.StartAsync(new InsiSandboxOptions { PkiDirectory = PkiDir, Password = Password, Port = 0 });
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        try
        {
            Directory.Delete(PkiDir, true);
        }
        catch (IOException)
        {
        }
    }

    public InsiClientOptions Options(string autoP12 = TestPki.InsiAutoP12File, string idam = InsiSandboxOptions.DefaultIdam, Uri? endpoint = null)
    {
        var o = new InsiClientOptions
        {
            Endpoint = endpoint ?? Server.Endpoint,
            Idam = idam,
            Instance = "5a0e4a9e-2f6b-4d43-9a53-0c1d2e3f4a5b",
            AutomaticCertificatePath = Path.Combine(PkiDir, autoP12),
            AutomaticCertificatePassword = Password,
            ManualCertificatePath = Path.Combine(PkiDir, TestPki.InsiManuP12File),
            ManualCertificatePassword = Password,
            RetryBaseDelay = TimeSpan.FromMilliseconds(10),
        };
        o.TrustedCaPaths.Add(Path.Combine(PkiDir, TestPki.CaPemFile));
        return o;
    }
}

public sealed class SandboxTests(SandboxFixture sandbox) : IClassFixture<SandboxFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_certificate_whose_cn_is_not_insi_auto_or_insi_manu_gets_desir_560()
    {
        using var client = InsiClient.Create(sandbox.Options(autoP12: TestPki.OtherP12File));

        var act = () => client.SearchByTraitsAsync(new InsiTraitsQuery("ADRTROIS", ["TOUSSAINT"], Sex.Male, "1960-01-01"), InsiCallContext.Automatic, Ct);

        var fault = (await act.Should().ThrowAsync<InsiFaultException>()).Which.Fault;
        fault.IsAccessDenied.Should().BeTrue();
        fault.ErrorCode.Should().Be("DESIR_560");
    }

    [Fact]
    public async Task An_unknown_software_authorisation_number_gets_siram_100_desir_550_with_the_message_id()
    {
        var traces = new ListTraceSink();
        using var client = new InsiClient(sandbox.Options(idam: "FAKE-IDAM"), HttpInsiTransport.FromOptions(sandbox.Options()), traces: traces, ownsTransport: true);

        var act = () => client.SearchByTraitsAsync(new InsiTraitsQuery("ADRTROIS", ["TOUSSAINT"], Sex.Male, "1960-01-01"), InsiCallContext.Automatic, Ct);

        var fault = (await act.Should().ThrowAsync<InsiFaultException>()).Which.Fault;
        fault.Subcode.Should().Be("siram_100");
        fault.ErrorCode.Should().Be("desir_550");
        fault.Code.Should().Be("Sender");
        fault.MessageId.Should().Be(traces.Traces.Single().MessageId, "the service echoes wsa:MessageID");
    }

    [Theory]
    [InlineData(InsiCertificateKind.Automatic)]
    [InlineData(InsiCertificateKind.Manual)]
    public async Task Adrtrois_toussaint_is_found_with_either_certificate(InsiCertificateKind kind)
    {
        using var client = InsiClient.Create(sandbox.Options());

        var r = await client.SearchByTraitsAsync(new InsiTraitsQuery("ADRTROIS", ["TOUSSAINT"], Sex.Male, "1960-01-01"), new InsiCallContext(kind), Ct);

        r.Code.Should().Be("00");
        r.Individual!.Active.Matricule!.Value.Value.Should().Be("160012B02077713");
        r.Individual.Traits.BirthPlace.Should().Be("2B020");
        r.Warnings.Should().BeEmpty();
    }

    [Theory]
    [InlineData("ADRTROIS", "DOMINIQUE", "F", "1997-02-26", null, "297022A02077878")]
    [InlineData("D'ARTAGNAN DE L'HERAULT", "PIERRE-ALAIN", "M", "2001-06-17", null, "101066322075460")]
    [InlineData("D'ARTAGNAN DE L'HERAULT", "PIERRE-ALAIN", "M", "2001-06-17", "63220", "101066322075460")]
    [InlineData("ADRTROIS", "TOUSSAINT", "M", "1960-01-01", "2B020", "160012B02077713")]
    [InlineData("ADRUN", "ZOE", "F", "1975-12-31", null, "275126322074974")]
    [InlineData("CORSE", "ANTHONY", "M", "1980-03-02", null, "180032B02040123")]
    [InlineData("NESSI", "NATHALIE", "F", "1977-07-14", null, "277076322082910")]
    [InlineData("HERMANN", "GATIEN", "M", "1981-03-24", null, "181036322045676")]
    public async Task Public_test_identities_are_found_with_a_checked_matricule(string name, string firstName, string sex, string date, string? place, string matricule)
    {
        using var client = InsiClient.Create(sandbox.Options());

        var r = await client.SearchByTraitsAsync(new InsiTraitsQuery(name, [firstName], sex == "F" ? Sex.Female : Sex.Male, date, place), InsiCallContext.Automatic, Ct);

        r.Code.Should().Be("00");
        r.Individual!.Active.Matricule!.Value.Value.Should().Be(matricule);
        r.Individual.Traits.BirthName.Should().Be(name);
    }

    [Fact]
    public async Task De_vinci_leonardo_is_ambiguous_without_birth_place_and_found_with_it()
    {
        using var client = InsiClient.Create(sandbox.Options());
        var query = new InsiTraitsQuery("DE VINCI", ["LEONARDO"], Sex.Male, "2014-02-01");

        var without = await client.SearchByTraitsAsync(query, InsiCallContext.Automatic, Ct);
        var with = await client.SearchByTraitsAsync(query with { BirthPlace = "63220" }, InsiCallContext.Automatic, Ct);
        var strategy = await client.SearchWithStrategyAsync(query with { BirthPlace = "63220" }, InsiCallContext.Automatic, Ct);

        without.Code.Should().Be("02");
        with.Code.Should().Be("00");
        with.Individual!.Traits.BirthPlace.Should().Be("63220");
        strategy.Attempts.Select(a => (a.Result!.Code, a.WithBirthPlace)).Should().Equal(("02", false), ("00", true));
    }

    [Fact]
    public async Task Tchitchi_is_found_by_the_first_name_strategy_on_her_listed_first_name()
    {
        using var client = InsiClient.Create(sandbox.Options());

        var r = await client.SearchWithStrategyAsync(new InsiTraitsQuery("TCHITCHI", ["OLA", "CATARINA", "BELLA"], Sex.Female, "1936-06-21"), InsiCallContext.Manual, Ct);

        r.Attempts.Select(a => (a.FirstNames, a.Result!.Code)).Should().Equal(("OLA", "01"), ("CATARINA", "00"));
        r.Final.Individual!.Traits.FirstNames.Should().Be("CATARINA BELLA");
        r.Final.Individual.Active.Raw.Should().Be("236066322083656");
    }

    [Fact]
    public async Task Houilles_is_not_found_after_every_first_name_and_all_of_them()
    {
        using var client = InsiClient.Create(sandbox.Options());

        var r = await client.SearchWithStrategyAsync(new InsiTraitsQuery("HOUILLES", ["PIERRE", "PAUL", "JACQUES"], Sex.Male, "1993-01-27"), InsiCallContext.Automatic, Ct);

        r.Final.Code.Should().Be("01");
        r.Attempts.Select(a => a.FirstNames).Should().Equal("PIERRE", "PAUL", "JACQUES", "PIERRE PAUL JACQUES");
    }

    [Fact]
    public async Task Ecetinsi_comes_with_the_checked_history_and_its_dates()
    {
        using var client = InsiClient.Create(sandbox.Options());

        var r = await client.SearchByTraitsAsync(new InsiTraitsQuery("ECETINSI", ["PIERRE-ALAIN"], Sex.Male, "2009-07-14"), InsiCallContext.Automatic, Ct);

        r.Individual!.Active.Raw.Should().Be("109076322083489");
        var h = r.Individual.History.Should().ContainSingle().Which;
        h.Matricule!.Value.Value.Should().Be("209076322083439");
        (h.From, h.To).Should().Be((new DateOnly(2019, 3, 1), new DateOnly(2019, 2, 28)));
    }

    [Fact]
    public async Task Provisoire_matricule_is_returned_as_an_ins_nia()
    {
        using var client = InsiClient.Create(sandbox.Options());

        var r = await client.SearchByTraitsAsync(new InsiTraitsQuery("PROVISOIRE", ["MATRICULE"], Sex.Male, "2009-07-01"), InsiCallContext.Automatic, Ct);

        r.Individual!.Active.Oid.Should().Be(InsOids.Nia);
        r.Individual.Active.Raw.Should().Be("109076322088835");
    }

    [Fact]
    public async Task Verifying_ecetinsi_with_the_former_matricule_says_it_was_replaced()
    {
        using var client = InsiClient.Create(sandbox.Options());
        var traits = new InsiTraitsQuery("ECETINSI", ["PIERRE-ALAIN", "MURIEL", "FLORIANT"], Sex.Male, "2009-07-14", "63220");

        var replaced = await client.VerifyAsync(new InsVerificationQuery(traits, "209076322083439", InsOids.Nir), InsiCallContext.Automatic, Ct);
        var confirmed = await client.VerifyAsync(new InsVerificationQuery(traits, "109076322083489", InsOids.Nir), InsiCallContext.Automatic, Ct);

        replaced.Outcome.Should().Be(InsVerificationOutcome.ReplacedByNewer);
        replaced.Current!.Raw.Should().Be("109076322083489");
        confirmed.Outcome.Should().Be(InsVerificationOutcome.Confirmed);
    }

    [Fact]
    public async Task A_vitale_card_search_finds_the_beneficiary()
    {
        using var client = InsiClient.Create(sandbox.Options());

        var r = await client.SearchWithVitaleAsync(new InsiVitaleQuery(new InsiCardNir("2770763220831", "08"), new InsiCardNir("1100863220830", "60"), "NESSI", "2010-08-07"), InsiCallContext.Manual, Ct);

        r.Code.Should().Be("00");
        r.Individual!.Active.Raw.Should().Be("110086322083060");
    }

    [Fact]
    public async Task The_client_registered_in_a_service_collection_serves_both_interfaces()
    {
        var template = sandbox.Options();
        var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection();
        services.AddInsiClient(o =>
        {
            o.Endpoint = template.Endpoint;
            o.Idam = template.Idam;
            o.Instance = template.Instance;
            o.AutomaticCertificatePath = template.AutomaticCertificatePath;
            o.AutomaticCertificatePassword = template.AutomaticCertificatePassword;
            o.TrustedCaPaths.Add(template.TrustedCaPaths[0]);
        });
        await using var provider = Microsoft.Extensions.DependencyInjection.ServiceCollectionContainerBuilderExtensions.BuildServiceProvider(services);

        var client = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<IInsiClient>(provider);
        var verifier = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<IInsVerifier>(provider);
        var r = await client.SearchByTraitsAsync(new InsiTraitsQuery("ADRTROIS", ["TOUSSAINT"], Sex.Male, "1960-01-01"), InsiCallContext.Automatic, Ct);

        r.Code.Should().Be("00");
        verifier.Should().BeSameAs(client);
    }

    [Fact]
    public async Task The_written_traces_of_a_sandbox_exchange_hold_request_response_and_metadata()
    {
        var dir = Path.Combine(sandbox.PkiDir, "traces-" + Guid.NewGuid().ToString("N"));
        using var client = InsiClient.Create(sandbox.Options(), new FileInsiTraceSink(dir, TimeSpan.FromDays(1)));

        await client.SearchByTraitsAsync(new InsiTraitsQuery("ADRTROIS", ["DOMINIQUE"], Sex.Female, "1997-02-26"), InsiCallContext.Automatic, Ct);

        var files = Directory.GetFiles(dir).Select(Path.GetFileName).ToList();
        files.Should().HaveCount(3);
        files.Should().Contain(f => f!.EndsWith(".request.xml", StringComparison.Ordinal));
        files.Should().Contain(f => f!.EndsWith(".response.xml", StringComparison.Ordinal));
        var meta = File.ReadAllText(Directory.GetFiles(dir, "*.meta.json").Single());
        meta.Should().Contain("\"outcome\":\"CR 00\"").And.Contain("INSI-AUTO");
    }
}

/// <summary>Sandboxes emulating the 2022–2025 platform: unknown persons answer an "unavailable" fault.</summary>
public sealed class UnavailableSandboxTests
{
    [Theory]
    [InlineData(UnknownIdentityBehaviour.Insi102, "insi_102")]
    [InlineData(UnknownIdentityBehaviour.Desir1020, "desir_1020")]
    public async Task Unavailable_faults_from_the_sandbox_are_retried_then_surface_typed(UnknownIdentityBehaviour behaviour, string errorCode)
    {
        var pki = new SandboxFixture();
        await pki.InitializeAsync();
        try
        {
            await using var server = await InsiSandboxServer.StartAsync(new InsiSandboxOptions { PkiDirectory = pki.PkiDir, Password = SandboxFixture.Password, UnknownIdentity = behaviour }, TestContext.Current.CancellationToken);
            var traces = new ListTraceSink();
            var options = pki.Options(endpoint: server.Endpoint);
            options.MaxRetries = 2;
            using var client = InsiClient.Create(options, traces);

            var act = () => client.SearchByTraitsAsync(new InsiTraitsQuery("DE VINCI", ["RUTH"], Sex.Female, "1976-07-14"), InsiCallContext.Automatic, TestContext.Current.CancellationToken);

            var fault = (await act.Should().ThrowAsync<InsiFaultException>()).Which.Fault;
            fault.ErrorCode.Should().Be(errorCode);
            fault.Subcode.Should().Be("siram_40");
            fault.IsUnavailable.Should().BeTrue();
            traces.Traces.Should().HaveCount(3, "two retries after the first attempt");
        }
        finally
        {
            await pki.DisposeAsync();
        }
    }
}
