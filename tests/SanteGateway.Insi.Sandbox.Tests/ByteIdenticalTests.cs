using System.Text;
using System.Xml;
using SanteGateway.Insi.Sandbox.Pki;
using SanteGateway.Insi.Sandbox.Tests.Support;

namespace SanteGateway.Insi.Sandbox.Tests;

/// <summary>
/// Each recorded live answer, and each CNDA file, comes back from the sandbox byte for byte (over mutual TLS, as a client
/// sees it): declaration and its line break, prefixes, namespace declaration order, fault layout.
/// </summary>
public sealed class ByteIdenticalTests : IAsyncLifetime
{
    /// <summary>
    /// The live fault layout captured in 2026 (facts from insi.md §3.5: soap: prefixes, env:Body without xmlns:S,
    /// xml:lang="fr", messageID echoed); the shared FakeIdam.fault.xml is the 2022 generation.
    /// </summary>
    private const string CurrentFakeIdamFault =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\"><env:Body xmlns:env=\"http://www.w3.org/2003/05/soap-envelope\">" +
        "<soap:Fault><soap:Code><soap:Value>soap:Sender</soap:Value><soap:Subcode><soap:Value>soap:siram_100</soap:Value></soap:Subcode></soap:Code>" +
        "<soap:Reason><soap:Text xml:lang=\"fr\">L'accès par ce progiciel au service n'est pas autorisé. Contactez l'éditeur du progiciel ou votre responsable informatique.</soap:Text></soap:Reason>" +
        "<soap:Detail><siram:Erreur code=\"desir_550\" messageID=\"uuid:b3549edd-4ae9-472a-b26f-fd2fb4ef397f\" severite=\"erreur\" xmlns:siram=\"urn:siram\">Numéro d'autorisation du logiciel inconnu.</siram:Erreur></soap:Detail>" +
        "</soap:Fault></env:Body></soap:Envelope>";

    private readonly string _scriptDir = Path.Combine(Path.GetTempPath(), "santegw-bytes-" + Guid.NewGuid().ToString("N"));
    private InsiSandboxServer _server = null!;
    private HttpClient _client = null!;

    public static TheoryData<string, string> LiveAnswers => new()
    {
        { "AdrtroisToussaint", "AdrtroisToussaint.response.xml" },
        { "AdrtroisDominique", "AdrtroisDominique.response.xml" },
        { "TchitchiCatarina", "TchitchiCatarina.response.xml" },
        { "DeVinciLeonardo", "DeVinciLeonardo.response.xml" },
        { "PierreAlain", "PierreAlainLive.response.xml" },
    };

    public static TheoryData<string> CndaFiles => new() { "REP_CR01.xml", "TEST_2.04_cas2.xml", "TEST_2.05.xml", "TEST_2.08_cas1.xml", "TEST_2.08_cas2.xml" };

    public async ValueTask InitializeAsync()
    {
        _server = await InsiSandboxServer.StartAsync(SandboxClients.Options(), TestContext.Current.CancellationToken);
        _client = SandboxClients.ForClient(TestPki.InsiAutoP12File);
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
        if (Directory.Exists(_scriptDir))
        {
            Directory.Delete(_scriptDir, recursive: true);
        }
    }

    [Theory]
    [MemberData(nameof(LiveAnswers))]
    public async Task The_answer_to_a_recorded_request_is_the_recorded_live_answer_byte_for_byte(string request, string expectedFile)
    {
        var (status, body) = await SandboxClients.PostAsync(_client, _server.Endpoint, Recorded.Request(request));

        status.Should().Be(200);
        AsText(body).Should().Be(AsText(File.ReadAllBytes(Recorded.File(expectedFile))));
        body.Should().Equal(File.ReadAllBytes(Recorded.File(expectedFile)));
    }

    [Fact]
    public async Task The_recorded_PierreAlain_answer_injected_as_a_scripted_file_comes_back_byte_for_byte()
    {
        await using var sandbox = await StartScriptedAsync(("ECETINSI", "PIERRE-ALAIN", "M", "2009-07-14", Recorded.File("PierreAlain.response.xml")));

        var (status, body) = await SandboxClients.PostAsync(_client, sandbox.Endpoint, Recorded.Request("PierreAlain"));

        status.Should().Be(200);
        body.Should().Equal(File.ReadAllBytes(Recorded.File("PierreAlain.response.xml")));
    }

    [Fact]
    public async Task TCHITCHI_OLA_with_the_CNDA_REP_CR01_file_injected_gets_that_file_byte_for_byte_CRLF_included()
    {
        await using var sandbox = await StartScriptedAsync(("TCHITCHI", "OLA", "F", "1936-06-21", Recorded.Cnda("REP_CR01.xml")));

        var (status, body) = await SandboxClients.PostAsync(_client, sandbox.Endpoint, Recorded.Request("TchitchiOla"));

        status.Should().Be(200);
        body.Should().Equal(File.ReadAllBytes(Recorded.Cnda("REP_CR01.xml")));
        AsText(body).Should().StartWith("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n");
    }

    [Theory]
    [MemberData(nameof(CndaFiles))]
    public async Task A_CNDA_file_is_injected_exactly_as_the_approval_centre_gives_it(string file)
    {
        await using var sandbox = await StartScriptedAsync(("ADRTROIS", "TOUSSAINT", "M", "1960-01-01", Recorded.Cnda(file)));

        var (status, body) = await SandboxClients.PostAsync(_client, sandbox.Endpoint, Recorded.Request("AdrtroisToussaint"));

        status.Should().Be(200);
        body.Should().Equal(File.ReadAllBytes(Recorded.Cnda(file)));
    }

    [Fact]
    public async Task An_unknown_IDAM_with_the_2022_fault_layout_gets_the_recorded_FakeIdam_fault_byte_for_byte()
    {
        await using var sandbox = await InsiSandboxServer.StartAsync(
            SandboxClients.Options(o => o.FaultLayout = SandboxFaultLayout.Recorded2022), TestContext.Current.CancellationToken);

        var (status, body) = await SandboxClients.PostAsync(_client, sandbox.Endpoint, Recorded.Request("AdrtroisToussaint", (Recorded.RecordedIdam, "FAKE-IDAM")));

        status.Should().Be(500);
        AsText(body).Should().Be(AsText(File.ReadAllBytes(Recorded.File("FakeIdam.fault.xml"))));
        body.Should().Equal(File.ReadAllBytes(Recorded.File("FakeIdam.fault.xml")));
    }

    [Fact]
    public async Task An_unknown_IDAM_by_default_gets_the_current_live_fault_layout_without_xmlns_S_and_with_its_message_id_echoed()
    {
        var (status, body) = await SandboxClients.PostAsync(_client, _server.Endpoint, Recorded.Request("AdrtroisToussaint", (Recorded.RecordedIdam, "FAKE-IDAM")));

        status.Should().Be(500);
        AsText(body).Should().Be(CurrentFakeIdamFault);
        AsText(body).Should().NotContain("xmlns:S=");
    }

    [Fact]
    public async Task The_echoed_message_id_is_the_only_difference_when_the_request_carries_another_one()
    {
        const string other = "uuid:0f0e0d0c-0b0a-4908-8706-050403020100";
        var request = Recorded.Request("AdrtroisToussaint", (Recorded.RecordedIdam, "FAKE-IDAM"), (Recorded.RecordedMessageId, other));

        var (_, body) = await SandboxClients.PostAsync(_client, _server.Endpoint, request);

        AsText(body).Should().Be(CurrentFakeIdamFault.Replace(Recorded.RecordedMessageId, other, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_fault_for_unreadable_XML_never_carries_the_NET_exception_text()
    {
        var broken = Encoding.UTF8.GetBytes("<?xml version=\"1.0\"?><soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\"><soap:Body><a></b></soap:Body></soap:Envelope>");
        string exceptionText;
        try
        {
            using var reader = XmlReader.Create(new MemoryStream(broken));
            while (reader.Read())
            {
            }

            throw new InvalidOperationException("the input must be malformed");
        }
        catch (XmlException ex)
        {
            exceptionText = ex.Message;
        }

        var (status, body) = await SandboxClients.PostAsync(_client, _server.Endpoint, broken);

        status.Should().Be(500);
        var text = AsText(body);
        text.Should().Contain("sandbox_message_invalide").And.Contain("XML illisible (ligne 1, position");
        text.Should().NotContain(exceptionText).And.NotContain("Exception").And.NotContain("   at ");
    }

    private static string AsText(byte[] bytes) => new UTF8Encoding(false).GetString(bytes);

    private async Task<InsiSandboxServer> StartScriptedAsync((string Name, string First, string Sex, string Date, string File) entry)
    {
        var dir = Path.Combine(_scriptDir, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var fileName = Path.GetFileName(entry.File);
        File.Copy(entry.File, Path.Combine(dir, fileName));
        await File.WriteAllTextAsync(
            Path.Combine(dir, "index.json"),
            $$"""{"format":"santegw-insi-sandbox-scripted/1","entries":[{"birthName":"{{entry.Name}}","firstName":"{{entry.First}}","sex":"{{entry.Sex}}","birthDate":"{{entry.Date}}","response":"{{fileName}}"}]}""",
            TestContext.Current.CancellationToken);
        return await InsiSandboxServer.StartAsync(SandboxClients.Options(o => o.ScriptedResponsesDirectory = dir), TestContext.Current.CancellationToken);
    }
}
