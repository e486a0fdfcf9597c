using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using SanteGateway.Interop.Hl7v2.Er7;
using SanteGateway.Interop.Hl7v2.Mllp;
using SanteGateway.Testing;

namespace SanteGateway.Cli.Tests;

[Collection("ins-cli console")]
public class Hl7CommandsTests
{
    private static string Shared(params string[] parts) => TestPaths.SharedFile(["data", .. parts]);

    [Fact]
    public async Task Inspect_shows_the_segments_the_test_INS_and_the_status()
    {
        var (exit, stdout, stderr) = await CliRunner.RunAsync("hl7", "inspect", Shared("hl7v2", "adt-dmp-consent.er7"));

        exit.Should().Be(0, stderr);
        stdout.Should().Contain("ADT^A01^ADT_A01").And.Contain("ZFD(8)");
        stdout.Should().Contain("INS      2 79 03 51 215 189 89 TEST (1.2.250.1.213.1.4.10) environment TEST");
        stdout.Should().Contain("PID-32 VALI -> qualified at the sender");
    }

    [Fact]
    public async Task Inspect_json_reports_a_wrong_key_INS_as_an_issue()
    {
        var (exit, stdout, _) = await CliRunner.RunAsync("hl7", "inspect", "--json", Shared("hl7v2-ans", "hl7V2-exemples", "Volets", "Trans_LPS_CDA_MSSanté", "V1.0", "MDM", "message.hl7"));

        exit.Should().Be(0);
        var patient = JsonDocument.Parse(stdout).RootElement.GetProperty("patient");
        patient.GetProperty("ins").ValueKind.Should().Be(JsonValueKind.Null);
        patient.GetProperty("issues")[0].GetProperty("rule").GetString().Should().Be("ins-wrong-key");
    }

    [Fact]
    public async Task Inspect_of_an_unreadable_file_exits_1_with_the_rule_and_position()
    {
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, "MSH|^~\\&|A\rxx\r", TestContext.Current.CancellationToken);

        var (exit, _, stderr) = await CliRunner.RunAsync("hl7", "inspect", file);

        exit.Should().Be(1);
        stderr.Should().StartWith("segment-name at segment 2");
        File.Delete(file);
    }

    [Fact]
    public async Task Send_prints_the_ACK_and_exits_0_on_AA()
    {
        var handler = new Handler(null);
        await using var listener = new MllpListener(new MllpListenerOptions(), handler);
        listener.Start();

        var (exit, stdout, stderr) = await CliRunner.RunAsync("hl7", "send", "--to", $"127.0.0.1:{listener.LocalEndpoint.Port}", Shared("hl7v2", "adt-a01-admission.er7"));

        exit.Should().Be(0, stderr);
        stdout.Should().StartWith("AA for control id 3975");
        handler.Count.Should().Be(1);
    }

    [Fact]
    public async Task Send_exits_1_on_a_NAK_and_prints_the_failed_rule()
    {
        var handler = new Handler(new Hl7AckError("ins-wrong-key", "Wrong key.", "102", "PID", 3));
        await using var listener = new MllpListener(new MllpListenerOptions(), handler);
        listener.Start();

        var (exit, stdout, _) = await CliRunner.RunAsync("hl7", "send", "--to", $"127.0.0.1:{listener.LocalEndpoint.Port}", Shared("hl7v2", "adt-a01-admission.er7"));

        exit.Should().Be(1);
        stdout.Should().Contain("AE for control id 3975").And.Contain("rule ins-wrong-key at PID^1^3");
    }

    [Fact]
    public async Task Send_exits_3_when_no_ACK_comes_in_time()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();

        var (exit, _, stderr) = await CliRunner.RunAsync("hl7", "send", "--to", $"127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}", "--timeout", "0.5", Shared("hl7v2", "adt-a01-admission.er7"));

        exit.Should().Be(3);
        stderr.Should().Contain("No acknowledgment");
    }

    private sealed class Handler(Hl7AckError? rejection) : IHl7InboundHandler
    {
        private int _count;

        public int Count => _count;

        public ValueTask<Hl7StoreReceipt> StoreAsync(Hl7InboundMessage message, CancellationToken cancellationToken)
        {
            var id = "m" + Interlocked.Increment(ref _count);
            return ValueTask.FromResult(rejection is null ? Hl7StoreReceipt.Stored(id) : Hl7StoreReceipt.StoredButRejected(id, rejection));
        }
    }
}
