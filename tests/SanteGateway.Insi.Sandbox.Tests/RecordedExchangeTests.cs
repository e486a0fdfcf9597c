using System.Text;
using SanteGateway.Insi.Sandbox.Pki;
using SanteGateway.Insi.Sandbox.Tests.Support;

namespace SanteGateway.Insi.Sandbox.Tests;

/// <summary>Recorded requests of the real test platform, replayed against the sandbox: same answer, element by element.</summary>
public sealed class RecordedExchangeTests : IAsyncLifetime
{
    private InsiSandboxServer _server = null!;

    public static TheoryData<string, string> LiveExchanges => new()
    {
        { "AdrtroisToussaint", "AdrtroisToussaint.response.xml" },
        { "AdrtroisDominique", "AdrtroisDominique.response.xml" },
        { "TchitchiCatarina", "TchitchiCatarina.response.xml" },
        { "DeVinciLeonardo", "DeVinciLeonardo.response.xml" },
        // PierreAlain.response.xml is the CNDA TEST_2.04_cas2 file; the live capture of the same request is PierreAlainLive.
        { "PierreAlain", "PierreAlainLive.response.xml" },
    };

    public async ValueTask InitializeAsync() => _server = await InsiSandboxServer.StartAsync(SandboxClients.Options(), TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [MemberData(nameof(LiveExchanges))]
    public async Task A_recorded_request_over_mutual_TLS_gets_the_recorded_live_answer_element_by_element(string request, string expectedFile)
    {
        using var client = SandboxClients.ForClient(TestPki.InsiAutoP12File);

        var (status, body) = await SandboxClients.PostAsync(client, _server.Endpoint, Recorded.Request(request));

        status.Should().Be(200);
        XmlEquivalence.Differences(File.ReadAllText(Recorded.File(expectedFile)), Encoding.UTF8.GetString(body)).Should().BeEmpty();
        ContractSchemas.ValidateAnswer(body).Should().BeEmpty();
    }

    [Fact]
    public async Task TCHITCHI_OLA_is_not_one_of_her_first_names_and_gets_the_CNDA_CR01_answer()
    {
        using var client = SandboxClients.ForClient(TestPki.InsiAutoP12File);

        var (status, body) = await SandboxClients.PostAsync(client, _server.Endpoint, Recorded.Request("TchitchiOla"));

        status.Should().Be(200);
        XmlEquivalence.Differences(File.ReadAllText(Recorded.Cnda("REP_CR01.xml")), Encoding.UTF8.GetString(body)).Should().BeEmpty();
        ContractSchemas.ValidateAnswer(body).Should().BeEmpty();
    }

    [Fact]
    public async Task An_unknown_IDAM_gets_the_recorded_siram_100_fault_with_HTTP_500_and_the_message_id_echoed()
    {
        using var client = SandboxClients.ForClient(TestPki.InsiAutoP12File);
        var request = Recorded.Request("AdrtroisToussaint", (Recorded.RecordedIdam, "FAKE-IDAM"));

        var (status, body) = await SandboxClients.PostAsync(client, _server.Endpoint, request);

        status.Should().Be(500);
        // The recording is the 2022 generation (xml:lang="en"); the sandbox writes the current one (xml:lang="fr", insi.md §3.5).
        XmlEquivalence.Differences(File.ReadAllText(Recorded.File("FakeIdam.fault.xml")), Encoding.UTF8.GetString(body),
            ignoreAttribute: a => a.Name.LocalName == "lang").Should().BeEmpty();
        ContractSchemas.ValidateAnswer(body).Should().BeEmpty();
    }
}
