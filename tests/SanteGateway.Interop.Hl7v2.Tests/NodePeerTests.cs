using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using SanteGateway.Interop.Hl7v2.Er7;
using SanteGateway.Interop.Hl7v2.Mllp;
using SanteGateway.Interop.Hl7v2.Pam;
using SanteGateway.Testing;

namespace SanteGateway.Interop.Hl7v2.Tests;

/// <summary>
/// An independent MLLP implementation from npm (node-hl7-client 2.3.1 / node-hl7-server 2.5.0, lockfile in node/) exchanges
/// messages with ours over loopback in both directions. node and npm are needed: with CI=true the tests fail without them,
/// elsewhere they are skipped. node_modules is installed with <c>npm ci</c> when missing (registry access only).
/// </summary>
public sealed class NodePeerTests
{
    private static readonly SemaphoreSlim InstallLock = new(1, 1);

    [Fact]
    public async Task The_node_client_sends_an_ANS_admission_and_gets_our_AA_after_we_stored_it()
    {
        var folder = await NodeFolderAsync();
        var handler = new RecordingHandler();
        await using var listener = new MllpListener(new MllpListenerOptions(), handler);
        listener.Start();
        var file = TestPaths.SharedFile("data", "hl7v2-ans", "hl7V2-exemples", "SGL", "admission.er7");

        var (code, stdout, stderr) = await RunAsync(folder, ["send.mjs", "127.0.0.1", listener.LocalEndpoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), file], TimeSpan.FromSeconds(60));

        code.Should().Be(0, stderr);
        var result = JsonDocument.Parse(stdout.Trim().Split('\n')[^1]).RootElement;
        result.GetProperty("msa1").GetString().Should().Be("AA");
        result.GetProperty("msa2").GetString().Should().Be("3975");
        var stored = handler.Stored.Should().ContainSingle().Subject;
        stored.ParseError.Should().BeNull();
        PamIdentityReader.Read(stored.Message!, Fixtures.AllowTest)!.Ins!.Matricule.Value.Should().Be("279035121518989");
    }

    [Fact]
    public async Task The_node_client_sending_a_message_we_refuse_gets_AE_naming_the_rule()
    {
        var folder = await NodeFolderAsync();
        var handler = new RecordingHandler { Decide = _ => Hl7StoreReceipt.StoredButRejected("x", new Hl7AckError("ins-wrong-key", "Wrong key.", "102", "PID", 3)) };
        await using var listener = new MllpListener(new MllpListenerOptions(), handler);
        listener.Start();
        var file = TestPaths.SharedFile("data", "hl7v2", "adt-a03-sortie.er7");

        var (code, stdout, stderr) = await RunAsync(folder, ["send.mjs", "127.0.0.1", listener.LocalEndpoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), file], TimeSpan.FromSeconds(60));

        code.Should().Be(0, stderr);
        var result = JsonDocument.Parse(stdout.Trim().Split('\n')[^1]).RootElement;
        result.GetProperty("msa1").GetString().Should().Be("AE");
        result.GetProperty("err5").GetString().Should().Be("ins-wrong-key");
    }

    [Fact]
    public async Task Our_client_sends_an_A28_with_a_qualified_INS_to_the_node_server_which_reads_it_and_answers_AA()
    {
        var folder = await NodeFolderAsync();
        var port = FreePort();
        using var server = Start(folder, ["serve.mjs", port.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        var lines = new BlockingLines(server);
        (await lines.NextAsync(TimeSpan.FromSeconds(30))).Should().Contain("ready");
        await using var client = new MllpClient(new MllpClientOptions { Host = "127.0.0.1", Port = port });
        var message = PamMessages.A28(Fixtures.Qual(), Fixtures.Context, "CTRL-28");

        var ack = await client.SendAsync(message, TestContext.Current.CancellationToken);

        ack.Code.Should().Be("AA");
        ack.AcknowledgedControlId.Should().Be("CTRL-28");
        var received = JsonDocument.Parse(await lines.NextAsync(TimeSpan.FromSeconds(10))).RootElement;
        received.GetProperty("controlId").GetString().Should().Be("CTRL-28");
        received.GetProperty("trigger").GetString().Should().Be("A28");
        received.GetProperty("pid").GetString().Should().Contain("279035121518989^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^INS");
        received.GetProperty("pid32").GetString().Should().Be("VALI");
        server.StandardInput.Close();
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static async Task<string> NodeFolderAsync()
    {
        var node = FindOnPath("node");
        var npm = FindOnPath("npm");
        if (node is null || npm is null)
        {
            var ci = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
            Assert.SkipWhen(!ci, "node and npm are not installed (CI=true makes this a failure).");
            throw new InvalidOperationException("node and npm are required for the independent MLLP peer: install the Debian packages nodejs and npm (.ci/run does).");
        }

        var folder = Path.Combine(AppContext.BaseDirectory, "node");
        await InstallLock.WaitAsync(TestContext.Current.CancellationToken);
        try
        {
            if (!File.Exists(Path.Combine(folder, "node_modules", "node-hl7-server", "package.json")))
            {
                var (code, _, stderr) = await RunAsync(folder, ["ci", "--no-audit", "--no-fund", "--loglevel=error"], TimeSpan.FromMinutes(5), npm);
                code.Should().Be(0, $"npm ci must install node-hl7-client/node-hl7-server from the lockfile (registry access needed): {stderr}");
            }
        }
        finally
        {
            InstallLock.Release();
        }

        return folder;
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    private static Process Start(string folder, string[] args, string? exe = null)
    {
        var psi = new ProcessStartInfo(exe ?? FindOnPath("node")!)
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        return Process.Start(psi)!;
    }

    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string folder, string[] args, TimeSpan timeout, string? exe = null)
    {
        using var p = Start(folder, args, exe);
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = p.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{string.Join(' ', args)} did not finish within {timeout}.");
        }

        return (p.ExitCode, await stdout, await stderr);
    }

    /// <summary>Reads a process's stdout line by line; kills it when disposed through the process.</summary>
    private sealed class BlockingLines(Process process)
    {
        public async Task<string> NextAsync(TimeSpan timeout)
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            cts.CancelAfter(timeout);
            var line = await process.StandardOutput.ReadLineAsync(cts.Token);
            return line ?? throw new InvalidOperationException("The node server ended: " + await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken));
        }
    }
}
