using Microsoft.Extensions.Logging;
using SanteGateway.Identity;

namespace SanteGateway.Insi.Tests;

public class InsiClientTests
{
    internal static InsiClientOptions Options() => new()
    {
        Idam = "PDP17NF21DD0",
        Instance = "b3549edd-4ae9-472a-b26f-fd2fb4ef397f",
        RetryBaseDelay = TimeSpan.FromMilliseconds(1),
        MaxRetries = 2,
    };

    private static InsiClientOptions NoRetries()
    {
        var o = Options();
        o.MaxRetries = 0;
        o.BreakerMinimumThroughput = 100;
        return o;
    }

    private static InsiClient Client(FakeTransport transport, IInsiTraceSink? traces = null, InsiClientOptions? options = null, ILogger<InsiClient>? logger = null) =>
        new(options ?? Options(), transport, traces: traces, logger: logger);

    [Fact]
    public async Task A_found_identity_is_returned_with_the_message_id_of_the_request()
    {
        var transport = new FakeTransport(_ => FakeTransport.File200(InsiFiles.Recorded("AdrtroisToussaint.response.xml")));
        using var client = Client(transport);

        var result = await client.SearchByTraitsAsync(new InsiTraitsQuery("ADRTROIS", ["TOUSSAINT"], Sex.Male, "1960-01-01"), InsiCallContext.Automatic, TestContext.Current.CancellationToken);

        result.ResultCode.Should().Be(InsiResultCode.Found);
        var sent = transport.Requests.Single();
        result.MessageId.Should().Be(sent.Value(InsiNamespaces.Addressing, "MessageID"));
        sent.Action.Should().Be(InsiActions.SearchByTraits);
        sent.Value(InsiNamespaces.ContexteLps, "Emetteur").Should().Be("10B0152872", "Emetteur comes from the certificate OU");
    }

    [Theory]
    [InlineData("D'ÆION", "CŒUR", "birthName")]
    [InlineData("ADRTROIS", "toussaint", "firstNames[0]")]
    [InlineData("ADR3", "TOUSSAINT", "birthName")]
    public async Task A_query_outside_the_insi_lexical_profile_is_refused_without_any_call(string name, string first, string field)
    {
        var transport = new FakeTransport(_ => throw new InvalidOperationException("no call expected"));
        using var client = Client(transport);

        var act = () => client.SearchByTraitsAsync(new InsiTraitsQuery(name, [first], Sex.Male, "1987-01-01", "2B020"), InsiCallContext.Manual, TestContext.Current.CancellationToken);

        var error = (await act.Should().ThrowAsync<InsiInputException>()).Which;
        error.Errors.Should().Contain(e => e.Field == field && !string.IsNullOrEmpty(e.Rule));
        transport.Requests.Should().BeEmpty();
    }

    [Theory]
    [InlineData(Sex.Unknown, "1960-01-01", null, "sex", "FemaleOrMale")]
    [InlineData(Sex.Male, "01/01/1960", null, "birthDate", "DateFormat")]
    [InlineData(Sex.Male, "1960-01-01", "6322", "birthPlace", "CogFormat")]
    public async Task Sex_date_and_birth_place_formats_are_checked_before_the_call(Sex sex, string date, string? place, string field, string rule)
    {
        var transport = new FakeTransport(_ => throw new InvalidOperationException("no call expected"));
        using var client = Client(transport);

        var act = () => client.SearchByTraitsAsync(new InsiTraitsQuery("ADRTROIS", ["TOUSSAINT"], sex, date, place), InsiCallContext.Manual, TestContext.Current.CancellationToken);

        var error = (await act.Should().ThrowAsync<InsiInputException>()).Which.Errors.Should().ContainSingle().Which;
        (error.Field, error.Rule).Should().Be((field, rule));
        transport.Requests.Should().BeEmpty();
    }

    [Fact]
    public async Task The_strategy_goes_on_after_a_fault_and_keeps_the_ambiguous_answer_of_an_earlier_attempt()
    {
        // Live pattern: LEONARDO answers CR 02, DICAPRIO a fault: the CR 02 must not be lost.
        var transport = new FakeTransport(s => s.Prenom == "LEONARDO"
            ? FakeTransport.File200(InsiFiles.Recorded("DeVinciLeonardo.response.xml"))
            : FakeTransport.Fault("siram_40", "insi_102"));
        using var client = Client(transport, options: NoRetries());

        var outcome = await client.SearchWithStrategyAsync(new InsiTraitsQuery("DE VINCI", ["LEONARDO", "DICAPRIO"], Sex.Male, "2014-02-01"), InsiCallContext.Manual, TestContext.Current.CancellationToken);

        outcome.Final.Code.Should().Be("02");
        outcome.Attempts.Select(a => a.FirstNames).Should().Equal("LEONARDO", "DICAPRIO", "LEONARDO DICAPRIO");
        outcome.Attempts[0].Result!.Code.Should().Be("02");
        outcome.Attempts[1].Result.Should().BeNull();
        outcome.Attempts[1].Failure.Should().BeOfType<InsiFaultException>();
    }

    [Fact]
    public async Task The_strategy_fails_only_when_no_attempt_got_an_answer()
    {
        var transport = new FakeTransport(_ => FakeTransport.Fault("siram_40", "insi_102"));
        using var client = Client(transport, options: NoRetries());

        var act = () => client.SearchWithStrategyAsync(new InsiTraitsQuery("DE VINCI", ["LEONARDO", "DICAPRIO"], Sex.Male, "2014-02-01"), InsiCallContext.Manual, TestContext.Current.CancellationToken);

        await act.Should().ThrowAsync<InsiFaultException>();
    }

    [Fact]
    public async Task The_strategy_tries_each_first_name_then_all_of_them_and_stops_at_the_first_match()
    {
        var transport = new FakeTransport(s => s.Prenom == "OLA CATARINA BELLA"
            ? FakeTransport.File200(InsiFiles.Recorded("TchitchiCatarina.response.xml"))
            : FakeTransport.Cr("01"));
        using var client = Client(transport);

        var outcome = await client.SearchWithStrategyAsync(new InsiTraitsQuery("TCHITCHI", ["OLA", "CATARINA", "BELLA"], Sex.Female, "1936-06-21"), InsiCallContext.Manual, TestContext.Current.CancellationToken);

        transport.Requests.Select(r => r.Prenom).Should().Equal("OLA", "CATARINA", "BELLA", "OLA CATARINA BELLA");
        outcome.Final.ResultCode.Should().Be(InsiResultCode.Found);
        outcome.Attempts.Select(a => a.Result!.Code).Should().Equal("01", "01", "01", "00");
    }

    [Fact]
    public async Task The_strategy_stops_as_soon_as_one_first_name_matches()
    {
        var transport = new FakeTransport(s => s.Prenom == "CATARINA"
            ? FakeTransport.File200(InsiFiles.Recorded("TchitchiCatarina.response.xml"))
            : FakeTransport.Cr("01"));
        using var client = Client(transport);

        var outcome = await client.SearchWithStrategyAsync(new InsiTraitsQuery("TCHITCHI", ["OLA", "CATARINA", "BELLA"], Sex.Female, "1936-06-21"), InsiCallContext.Manual, TestContext.Current.CancellationToken);

        transport.Requests.Select(r => r.Prenom).Should().Equal("OLA", "CATARINA");
        outcome.Final.Individual!.Active.Raw.Should().Be("236066322083656");
    }

    [Fact]
    public async Task On_several_identities_the_strategy_retries_with_the_birth_place()
    {
        var transport = new FakeTransport(s => s.Lieu == "63220"
            ? FakeTransport.File200(InsiFiles.Recorded("AdrtroisToussaint.response.xml"))
            : FakeTransport.File200(InsiFiles.Recorded("DeVinciLeonardo.response.xml")));
        using var client = Client(transport);

        var outcome = await client.SearchWithStrategyAsync(new InsiTraitsQuery("DE VINCI", ["LEONARDO"], Sex.Male, "2014-02-01", "63220"), InsiCallContext.Manual, TestContext.Current.CancellationToken);

        transport.Requests.Select(r => (r.Prenom, r.Lieu)).Should().Equal(("LEONARDO", null), ("LEONARDO", "63220"));
        outcome.Attempts.Select(a => a.WithBirthPlace).Should().Equal(false, true);
        outcome.Final.ResultCode.Should().Be(InsiResultCode.Found);
    }

    [Fact]
    public async Task Without_birth_place_an_ambiguous_answer_is_the_final_answer_when_nothing_matches()
    {
        var transport = new FakeTransport(s => s.Prenom == "LEONARDO" ? FakeTransport.Cr("02") : FakeTransport.Cr("01"));
        using var client = Client(transport);

        var outcome = await client.SearchWithStrategyAsync(new InsiTraitsQuery("DE VINCI", ["LEONARDO", "DICAPRIO"], Sex.Male, "2014-02-01"), InsiCallContext.Manual, TestContext.Current.CancellationToken);

        outcome.Final.ResultCode.Should().Be(InsiResultCode.Ambiguous);
        transport.Requests.Should().HaveCount(3);
    }

    [Fact]
    public async Task Unavailable_faults_are_retried_and_a_later_answer_is_returned()
    {
        var calls = 0;
        var transport = new FakeTransport(_ => ++calls < 3 ? FakeTransport.Fault("siram_40", "desir_1020") : FakeTransport.Cr("01"));
        var traces = new ListTraceSink();
        using var client = Client(transport, traces);

        var result = await client.SearchByTraitsAsync(new InsiTraitsQuery("ADRTROIS", ["TOUSSAINT"], Sex.Male, "1960-01-01"), InsiCallContext.Automatic, TestContext.Current.CancellationToken);

        result.Code.Should().Be("01");
        transport.Requests.Should().HaveCount(3);
        traces.Traces.Select(t => t.Outcome).Should().Equal("Fault Sender/siram_40/desir_1020", "Fault Sender/siram_40/desir_1020", "CR 01");
        transport.Requests.Select(r => r.Value(InsiNamespaces.Addressing, "MessageID")).Should().OnlyHaveUniqueItems();
    }

    [Fact]
    public async Task Other_faults_are_not_retried_and_surface_as_a_typed_fault()
    {
        var transport = new FakeTransport(_ => FakeTransport.File200(InsiFiles.Recorded("FakeIdam.fault.xml")) with { StatusCode = 500 });
        using var client = Client(transport);

        var act = () => client.SearchByTraitsAsync(new InsiTraitsQuery("ADRTROIS", ["TOUSSAINT"], Sex.Male, "1960-01-01"), InsiCallContext.Automatic, TestContext.Current.CancellationToken);

        var fault = (await act.Should().ThrowAsync<InsiFaultException>()).Which.Fault;
        fault.Subcode.Should().Be("siram_100");
        fault.ErrorCode.Should().Be("desir_550");
        transport.Requests.Should().ContainSingle();
    }

    [Fact]
    public async Task Unavailable_faults_surface_once_retries_are_exhausted()
    {
        var transport = new FakeTransport(_ => FakeTransport.Fault("siram_40", "insi_102"));
        using var client = Client(transport);

        var act = () => client.SearchByTraitsAsync(new InsiTraitsQuery("ADRTROIS", ["TOUSSAINT"], Sex.Male, "1960-01-01"), InsiCallContext.Automatic, TestContext.Current.CancellationToken);

        (await act.Should().ThrowAsync<InsiFaultException>()).Which.Fault.IsUnavailable.Should().BeTrue();
        transport.Requests.Should().HaveCount(3);
    }

    [Fact]
    public async Task Repeated_transport_failures_open_the_circuit_and_later_calls_fail_fast()
    {
        var transport = new FakeTransport(_ => new InsiHttpResponse(503, []));
        var options = Options();
        options.MaxRetries = 0;
        options.BreakerMinimumThroughput = 2;
        options.BreakDuration = TimeSpan.FromMinutes(5);
        using var client = Client(transport, options: options);
        var query = new InsiTraitsQuery("ADRTROIS", ["TOUSSAINT"], Sex.Male, "1960-01-01");

        for (var i = 0; i < 2; i++)
        {
            await FluentActions.Awaiting(() => client.SearchByTraitsAsync(query, InsiCallContext.Automatic, TestContext.Current.CancellationToken))
                .Should().ThrowAsync<InsiTransportException>();
        }

        var open = await FluentActions.Awaiting(() => client.SearchByTraitsAsync(query, InsiCallContext.Automatic, TestContext.Current.CancellationToken))
            .Should().ThrowAsync<InsiTransportException>();
        open.Which.Message.Should().Contain("circuit open");
        transport.Requests.Should().HaveCount(2);
    }

    [Fact]
    public async Task Unexpected_http_statuses_are_transport_errors_and_4xx_are_not_retried()
    {
        var transport = new FakeTransport(_ => new InsiHttpResponse(403, []));
        using var client = Client(transport);

        var act = () => client.SearchByTraitsAsync(new InsiTraitsQuery("ADRTROIS", ["TOUSSAINT"], Sex.Male, "1960-01-01"), InsiCallContext.Automatic, TestContext.Current.CancellationToken);

        (await act.Should().ThrowAsync<InsiTransportException>()).Which.HttpStatus.Should().Be(403);
        transport.Requests.Should().ContainSingle();
    }

    [Fact]
    public async Task Every_exchange_is_traced_with_request_response_certificate_and_outcome()
    {
        var transport = new FakeTransport(_ => FakeTransport.File200(InsiFiles.Recorded("AdrtroisToussaint.response.xml")));
        var traces = new ListTraceSink();
        using var client = Client(transport, traces);

        await client.SearchByTraitsAsync(new InsiTraitsQuery("ADRTROIS", ["TOUSSAINT"], Sex.Male, "1960-01-01"), new InsiCallContext(InsiCertificateKind.Manual, "corr-1"), TestContext.Current.CancellationToken);

        var trace = traces.Traces.Single();
        trace.CertificateCn.Should().Be("INSI-MANU");
        trace.Outcome.Should().Be("CR 00");
        trace.HttpStatus.Should().Be(200);
        trace.CorrelationId.Should().Be("corr-1");
        trace.RequestXml.ToArray().Should().Equal(transport.Requests.Single().Body);
        trace.ResponseXml!.Value.Length.Should().BeGreaterThan(100);
        trace.Operation.Should().Be(InsiActions.SearchByTraits);
        transport.Requests.Single().Kind.Should().Be(InsiCertificateKind.Manual);
    }

    [Fact]
    public async Task Logs_carry_message_ids_and_codes_but_no_identity_data()
    {
        var transport = new FakeTransport(_ => FakeTransport.File200(InsiFiles.Recorded("AdrtroisToussaint.response.xml")));
        var logger = new CapturingLogger();
        using var client = Client(transport, logger: logger);

        await client.SearchByTraitsAsync(new InsiTraitsQuery("ADRTROIS", ["TOUSSAINT"], Sex.Male, "1960-01-01"), InsiCallContext.Automatic, TestContext.Current.CancellationToken);

        var all = string.Join("\n", logger.Lines);
        all.Should().Contain("CR 00");
        foreach (var secret in new[] { "ADRTROIS", "TOUSSAINT", "1960-01-01", "160012B020777", "2B020" })
        {
            all.Should().NotContain(secret);
        }
    }

    [Fact]
    public async Task Cancellation_by_the_caller_stops_the_call()
    {
        var transport = new FakeTransport(_ => FakeTransport.Cr("01"));
        using var client = Client(transport);
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        var act = () => client.SearchByTraitsAsync(new InsiTraitsQuery("ADRTROIS", ["TOUSSAINT"], Sex.Male, "1960-01-01"), InsiCallContext.Automatic, cts.Token);

        await act.Should().ThrowAsync<OperationCanceledException>();
        transport.Requests.Should().BeEmpty();
    }

    [Fact]
    public async Task A_vitale_search_sends_the_card_data_with_the_vitale_action()
    {
        var transport = new FakeTransport(_ => FakeTransport.Cr("01"));
        using var client = Client(transport);

        await client.SearchWithVitaleAsync(new InsiVitaleQuery(new InsiCardNir("1810163220751", "40"), null, "NESSI", "1977-07-14"), InsiCallContext.Manual, TestContext.Current.CancellationToken);

        transport.Requests.Single().Action.Should().Be(InsiActions.SearchWithVitale);
        transport.Requests.Single().Value(InsiNamespaces.RecVit, "NumIdentifiant").Should().Be("1810163220751");
    }

    [Fact]
    public async Task A_vitale_query_with_a_malformed_nir_is_refused_without_any_call()
    {
        var transport = new FakeTransport(_ => FakeTransport.Cr("01"));
        using var client = Client(transport);

        var act = () => client.SearchWithVitaleAsync(new InsiVitaleQuery(new InsiCardNir("18101632207", "4"), null, "NESSI", "1977-07-14"), InsiCallContext.Manual, TestContext.Current.CancellationToken);

        (await act.Should().ThrowAsync<InsiInputException>()).Which.Errors.Select(e => e.Field).Should().Equal("insuredNir.number", "insuredNir.key");
        transport.Requests.Should().BeEmpty();
    }

    private sealed class CapturingLogger : ILogger<InsiClient>
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add(formatter(state, exception) + " " + exception);
    }
}

public class InsiClientCpxModeTests
{
    private sealed class BrokenCard : IPsAssertionProvider
    {
        public ValueTask<PsAssertion> GetAssertionAsync(CancellationToken cancellationToken) => throw new InvalidOperationException("CKR_PIN_INCORRECT");
    }

    private sealed class FixedCard : IPsAssertionProvider
    {
        public ValueTask<PsAssertion> GetAssertionAsync(CancellationToken cancellationToken) => ValueTask.FromResult(new PsAssertion(
            """<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_1" IssueInstant="2026-01-01T00:00:00.000Z" Version="2.0"><saml:Issuer>CN=899700870589</saml:Issuer></saml:Assertion>""",
            "899700870589", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddMinutes(20)));
    }

    private static InsiClientOptions CpxOptions()
    {
        var o = InsiClientTests.Options();
        o.Mode = InsiAuthenticationMode.CpxCard;
        return o;
    }

    [Fact]
    public async Task A_card_that_cannot_sign_gives_a_card_error_and_nothing_is_sent()
    {
        var transport = new FakeTransport(_ => FakeTransport.Cr("01"));
        using var client = new InsiClient(CpxOptions(), transport, new BrokenCard());

        var act = () => client.SearchByTraitsAsync(new InsiTraitsQuery("ADRTROIS", ["TOUSSAINT"], Sex.Male, "1960-01-01"), InsiCallContext.Manual, TestContext.Current.CancellationToken);

        (await act.Should().ThrowAsync<InsiCardException>()).Which.Message.Should().Contain("CKR_PIN_INCORRECT");
        transport.Requests.Should().BeEmpty();
    }

    [Fact]
    public async Task In_cpx_mode_the_assertion_goes_into_wsse_security_and_the_ps_id_is_the_emitter()
    {
        var transport = new FakeTransport(_ => FakeTransport.Cr("01"));
        using var client = new InsiClient(CpxOptions(), transport, new FixedCard());

        await client.SearchByTraitsAsync(new InsiTraitsQuery("ADRTROIS", ["TOUSSAINT"], Sex.Male, "1960-01-01"), InsiCallContext.Manual, TestContext.Current.CancellationToken);

        var sent = transport.Requests.Single();
        sent.Value(InsiNamespaces.ContexteLps, "Emetteur").Should().Be("899700870589");
        sent.Value(InsiNamespaces.Saml2, "Issuer").Should().Be("CN=899700870589");
        InsiSchemas.ValidateEnvelope(sent.Body).Should().BeEmpty();
    }

    [Fact]
    public void Cpx_mode_without_an_assertion_provider_is_a_configuration_error()
    {
        var act = () => new InsiClient(CpxOptions(), new FakeTransport(_ => FakeTransport.Cr("01")));

        act.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("assertions");
    }
}
