using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using SanteGateway.Identity;
using SanteGateway.Insi.Sandbox.Pki;
using SanteGateway.Insi.Sandbox.Tests.Support;

namespace SanteGateway.Insi.Sandbox.Tests;

/// <summary>
/// Record against one sandbox standing in for the real service (through the real INSi client and its RecordDirectory
/// option), replay in a fresh sandbox, and compare what the client sees.
/// </summary>
public sealed class RecordReplayTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "santegw-record-" + Guid.NewGuid().ToString("N"));

    private string RecordDir => Path.Combine(_dir, "recording");

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_session_recorded_against_one_sandbox_is_replayed_by_a_fresh_one_and_the_client_sees_the_same_bytes()
    {
        var ct = TestContext.Current.CancellationToken;
        var scripted = WriteScripted("HERMANN", "GATIEN", "M", "1981-03-24", Recorded.Cnda("TEST_2.08_cas2.xml"));

        // The stand-in for the real service: a CNDA file with wrong keys, and the 2022 fault layout, neither of which a
        // default sandbox would produce, so a byte-equal answer from the fresh sandbox can only come from the replay.
        List<Seen> recorded;
        await using (var live = await InsiSandboxServer.StartAsync(
                         SandboxClients.Options(o => { o.ScriptedResponsesDirectory = scripted; o.FaultLayout = SandboxFaultLayout.Recorded2022; }), ct))
        {
            recorded = await RunSessionAsync(live.Endpoint, RecordDir);
        }

        Directory.EnumerateFiles(RecordDir, "*" + InsiExchangeRecorder.ExchangeSuffix).Should().HaveCount(3);
        await using var replay = await InsiSandboxServer.StartAsync(SandboxClients.Options(o => o.ReplayDirectory = RecordDir), ct);
        replay.Handler.Recording!.Count.Should().Be(3);

        var replayed = await RunSessionAsync(replay.Endpoint, recordDirectory: null);

        replayed.Select(s => s.Status).Should().Equal(recorded.Select(s => s.Status));
        replayed[0].Body.Should().Equal(recorded[0].Body, "the CNDA file with its CRLF and wrong keys is replayed as recorded");
        replayed[1].Body.Should().Equal(recorded[1].Body);
        replayed[2].Status.Should().Be(500);
        Encoding.UTF8.GetString(replayed[2].Body).Should().Be(
            Encoding.UTF8.GetString(recorded[2].Body).Replace(recorded[2].MessageId, replayed[2].MessageId, StringComparison.Ordinal),
            "the echoed message id is the only difference");
        recorded[2].MessageId.Should().NotBe(replayed[2].MessageId);
    }

    [Fact]
    public async Task A_request_absent_from_the_recording_falls_back_to_the_identity_base()
    {
        var ct = TestContext.Current.CancellationToken;
        await using (var live = await InsiSandboxServer.StartAsync(SandboxClients.Options(), ct))
        {
            await RunSessionAsync(live.Endpoint, RecordDir);
        }

        await using var replay = await InsiSandboxServer.StartAsync(SandboxClients.Options(o => o.ReplayDirectory = RecordDir), ct);
        var sink = new CapturingSink();
        using var client = Client(replay.Endpoint, InsiSandboxOptions.DefaultIdam, null, sink);

        var result = await client.SearchByTraitsAsync(InsiTraitsQuery.FromList("ADRTROIS", "TOUSSAINT", Sex.Male, "1960-01-01"), InsiCallContext.Automatic, ct);

        result.Code.Should().Be("00");
        result.Individual!.Active.Raw.Should().Be("160012B02077713");
        sink.Traces.Single().ResponseXml!.Value.ToArray().Should().Equal(File.ReadAllBytes(Recorded.File("AdrtroisToussaint.response.xml")));
    }

    [Fact]
    public async Task Each_recorded_exchange_holds_the_exact_request_and_response_and_its_timing()
    {
        var ct = TestContext.Current.CancellationToken;
        var sink = new CapturingSink();
        await using (var live = await InsiSandboxServer.StartAsync(SandboxClients.Options(o => o.Latency = SandboxLatency.Fixed(TimeSpan.FromMilliseconds(30))), ct))
        {
            using var client = Client(live.Endpoint, InsiSandboxOptions.DefaultIdam, RecordDir, sink);
            await client.SearchByTraitsAsync(InsiTraitsQuery.FromList("ADRTROIS", "DOMINIQUE", Sex.Female, "1997-02-26"), InsiCallContext.Automatic, ct);
        }

        var meta = Directory.EnumerateFiles(RecordDir, "*" + InsiExchangeRecorder.ExchangeSuffix).Single();
        var stem = meta[..^InsiExchangeRecorder.ExchangeSuffix.Length];
        var trace = sink.Traces.Single();
        File.ReadAllBytes(stem + InsiExchangeRecorder.RequestSuffix).Should().Equal(trace.RequestXml.ToArray());
        File.ReadAllBytes(stem + InsiExchangeRecorder.ResponseSuffix).Should().Equal(trace.ResponseXml!.Value.ToArray());
        using var json = JsonDocument.Parse(File.ReadAllBytes(meta));
        json.RootElement.GetProperty("format").GetString().Should().Be(InsiExchangeRecorder.FormatId);
        json.RootElement.GetProperty("operation").GetString().Should().Be(InsiActions.SearchByTraits);
        json.RootElement.GetProperty("messageId").GetString().Should().Be(trace.MessageId);
        json.RootElement.GetProperty("httpStatus").GetInt32().Should().Be(200);
        json.RootElement.GetProperty("durationMs").GetDouble().Should().BeGreaterThanOrEqualTo(30);
        if (!OperatingSystem.IsWindows())
        {
            File.GetUnixFileMode(meta).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    [Fact]
    public async Task With_the_recorded_latency_profile_a_replayed_answer_waits_its_recorded_duration()
    {
        var ct = TestContext.Current.CancellationToken;
        await using (var live = await InsiSandboxServer.StartAsync(SandboxClients.Options(o => o.Latency = SandboxLatency.Fixed(TimeSpan.FromMilliseconds(120))), ct))
        {
            using var client = Client(live.Endpoint, InsiSandboxOptions.DefaultIdam, RecordDir, new CapturingSink());
            await client.SearchByTraitsAsync(InsiTraitsQuery.FromList("ADRTROIS", "DOMINIQUE", Sex.Female, "1997-02-26"), InsiCallContext.Automatic, ct);
        }

        var recordedMs = JsonDocument.Parse(File.ReadAllBytes(Directory.EnumerateFiles(RecordDir, "*" + InsiExchangeRecorder.ExchangeSuffix).Single()))
            .RootElement.GetProperty("durationMs").GetDouble();
        var handler = new InsiSandboxHandler(SandboxClients.Options(o => { o.ReplayDirectory = RecordDir; o.Latency = SandboxLatency.Recorded; }));
        using var certificate = SharedPki.Load(TestPki.InsiAutoP12File);
        var request = File.ReadAllBytes(Directory.EnumerateFiles(RecordDir, "*" + InsiExchangeRecorder.RequestSuffix).Single());

        var response = handler.Process(request, "application/soap+xml", certificate, InsiSandboxAuthentication.MutualTls);

        response.Outcome.Should().StartWith("replay:");
        handler.NextDelay(response).TotalMilliseconds.Should().BeApproximately(recordedMs, 0.11);
    }

    [Theory]
    [InlineData(InsiClientOptions.ProductionMutualTlsEndpoint)]
    [InlineData("https://services-ps.ameli.fr/lps")]
    public void Recording_is_refused_against_a_production_endpoint_before_any_call(string endpoint)
    {
        var options = Options(new Uri(endpoint), InsiSandboxOptions.DefaultIdam, RecordDir);

        var create = () => InsiClient.Create(options);

        create.Should().Throw<ArgumentException>().WithMessage("*refusing to record against the production endpoint*");
        Directory.Exists(RecordDir).Should().BeFalse();
    }

    [Fact]
    public void Recording_is_allowed_against_the_qualification_platform()
    {
        InsiExchangeRecorder.IsProductionEndpoint(new Uri(InsiClientOptions.QualificationMutualTlsEndpoint)).Should().BeFalse();
        InsiExchangeRecorder.IsProductionEndpoint(new Uri("https://qualiflps.services-ps.ameli.fr/lps")).Should().BeFalse();
        InsiExchangeRecorder.IsProductionEndpoint(new Uri("https://127.0.0.1:8443/lps")).Should().BeFalse();
    }

    [Fact]
    public void Recording_is_refused_with_a_certificate_issued_by_a_production_IGC_Sante_CA()
    {
        Directory.CreateDirectory(_dir);
        var p12 = Path.Combine(_dir, "prod.p12");
        using (var key = RSA.Create(2048))
        {
            var request = new CertificateRequest("CN=AC IGC-SANTE ELEMENTAIRE ORGANISATIONS, O=ASIP-SANTE, C=FR", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            File.WriteAllBytes(p12, cert.Export(X509ContentType.Pkcs12, "pw"));
        }

        var options = Options(new Uri(InsiClientOptions.QualificationMutualTlsEndpoint), InsiSandboxOptions.DefaultIdam, RecordDir);
        options.AutomaticCertificatePath = p12;
        options.AutomaticCertificatePassword = "pw";

        var attach = () => InsiExchangeRecorder.Attach(options, null);

        attach.Should().Throw<ArgumentException>().WithMessage("*production certificate*");
        Directory.Exists(RecordDir).Should().BeFalse();
    }

    /// <summary>The session: a CNDA-scripted person, a base person, then an unknown IDAM (fault).</summary>
    private async Task<List<Seen>> RunSessionAsync(Uri endpoint, string? recordDirectory)
    {
        var ct = TestContext.Current.CancellationToken;
        var sink = new CapturingSink();
        using (var client = Client(endpoint, InsiSandboxOptions.DefaultIdam, recordDirectory, sink))
        {
            await client.SearchByTraitsAsync(InsiTraitsQuery.FromList("HERMANN", "GATIEN", Sex.Male, "1981-03-24"), InsiCallContext.Automatic, ct);
            await client.SearchByTraitsAsync(InsiTraitsQuery.FromList("ADRTROIS", "DOMINIQUE", Sex.Female, "1997-02-26"), InsiCallContext.Automatic, ct);
        }

        using (var refused = Client(endpoint, "FAKE-IDAM", recordDirectory, sink))
        {
            var call = () => refused.SearchByTraitsAsync(InsiTraitsQuery.FromList("TCHITCHI", "CATARINA", Sex.Female, "1936-06-21"), InsiCallContext.Automatic, ct);
            (await call.Should().ThrowAsync<InsiFaultException>()).Which.Fault.ErrorCode.Should().Be("desir_550");
        }

        return sink.Traces.Select(t => new Seen(t.HttpStatus!.Value, t.ResponseXml!.Value.ToArray(), t.MessageId)).ToList();
    }

    private static InsiClient Client(Uri endpoint, string idam, string? recordDirectory, IInsiTraceSink sink) =>
        InsiClient.Create(Options(endpoint, idam, recordDirectory), sink);

    private static InsiClientOptions Options(Uri endpoint, string idam, string? recordDirectory)
    {
        var options = new InsiClientOptions
        {
            Endpoint = endpoint,
            Idam = idam,
            Instance = "0d6c3b8e-2f4a-4b1c-9e7d-5a6b7c8d9e0f",
            AutomaticCertificatePath = Path.Combine(SharedPki.Directory, TestPki.InsiAutoP12File),
            AutomaticCertificatePassword = SharedPki.Password,
            MaxRetries = 0,
            RecordDirectory = recordDirectory,
        };
        options.TrustedCaPaths.Add(Path.Combine(SharedPki.Directory, TestPki.CaPemFile));
        return options;
    }

    private string WriteScripted(string name, string first, string sex, string date, string file)
    {
        var dir = Path.Combine(_dir, "scripted");
        Directory.CreateDirectory(dir);
        File.Copy(file, Path.Combine(dir, Path.GetFileName(file)));
        File.WriteAllText(
            Path.Combine(dir, "index.json"),
            $$"""{"format":"santegw-insi-sandbox-scripted/1","entries":[{"birthName":"{{name}}","firstName":"{{first}}","sex":"{{sex}}","birthDate":"{{date}}","response":"{{Path.GetFileName(file)}}"}]}""");
        return dir;
    }

    private sealed record Seen(int Status, byte[] Body, string MessageId);

    private sealed class CapturingSink : IInsiTraceSink
    {
        private readonly ConcurrentQueue<InsiTrace> _traces = new();

        public IReadOnlyList<InsiTrace> Traces => [.. _traces];

        public ValueTask WriteAsync(InsiTrace trace, CancellationToken cancellationToken)
        {
            _traces.Enqueue(trace);
            return ValueTask.CompletedTask;
        }
    }
}
