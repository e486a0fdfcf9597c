using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using SanteGateway.Interop.Hl7v2.Mllp;
using SanteGateway.Store;
using SanteGateway.Testing;

namespace SanteGateway.Cli.Tests;

/// <summary>
/// Crash safety of the inbound gate with real processes: <c>santegw serve</c> with a partner's MLLP listener is SIGKILLed
/// while a sender streams ORU messages, again and again; the sender resends whatever was not acknowledged, as MLLP senders
/// do. After a last restart: every acknowledged message is stored and decided, no item is half-written, and no patient got
/// two identities (a message stored before a kill and sent again attaches to the identity the first one created).
/// </summary>
public sealed class InboundKillTests : IDisposable
{
    private const string Partner = "KILL-LAB";
    private readonly string root = Path.Combine(Path.GetTempPath(), "santegw-inbound-kill-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task A_gateway_killed_during_MLLP_intake_loses_no_acknowledged_message_and_leaves_nothing_half_written()
    {
        var ct = TestContext.Current.CancellationToken;
        Directory.CreateDirectory(root);
        var port = FreePort();
        await File.WriteAllTextAsync(Path.Combine(root, "appsettings.json"), $$"""
            {
              "Insi": { "Mode": "sandbox", "SandboxPort": 0 },
              "Hl7": { "Listener": { "Port": {{port}}, "Partner": "{{Partner}}" } },
              "Inbound": { "Partners": [ { "Id": "{{Partner}}", "AssigningAuthority": "1.2.250.1.999.7", "AllowCreate": true, "Transport": "mllp" } ] }
            }
            """, ct);
        var template = await File.ReadAllTextAsync(TestPaths.SharedFile("data", "hl7v2", "oru-r01-cr-bio-init.hl7"), ct);
        const int total = 60;
        var pending = new Queue<int>(Enumerable.Range(0, total));
        var acknowledged = new HashSet<string>(StringComparer.Ordinal);
        var random = new Random(20261202);
        var kills = 0;
        for (var round = 0; round < 12 && pending.Count > 0; round++)
        {
            var last = round == 11;
            using var serve = await StartAsync(ct);
            var killAt = DateTime.UtcNow.AddMilliseconds(random.Next(150, 1200));
            try
            {
                await using var client = new MllpClient(new MllpClientOptions { Host = "127.0.0.1", Port = port, AckTimeout = TimeSpan.FromSeconds(30) });
                while (pending.Count > 0 && (last || DateTime.UtcNow < killAt))
                {
                    var n = pending.Peek();
                    var ack = await client.SendAsync(Message(template, n), ControlId(n), ct);
                    ack.Code.Should().Be("AA", $"message {n} is a readable ORU of a configured partner");
                    acknowledged.Add(ControlId(n));
                    pending.Dequeue();
                }

                if (!last && pending.Count > 0)
                {
                    // Kill in the middle of the stream: while the next message is being stored (or its ACK written).
                    var n = pending.Peek();
                    var streaming = client.SendAsync(Message(template, n), ControlId(n), ct);
                    await Task.Delay(random.Next(0, 30), ct);
                    Kill(serve);
                    kills++;
                    var ack = await streaming;
                    if (ack.Code == "AA")
                    {
                        acknowledged.Add(ControlId(n));
                        pending.Dequeue();
                    }
                }
            }
            catch (Exception e) when (e is IOException or SocketException or TimeoutException or ObjectDisposedException)
            {
                // Killed under our feet: the message in flight was not acknowledged, it stays pending (resent next round).
            }
            finally
            {
                Kill(serve);
            }
        }

        pending.Should().BeEmpty("every message is eventually acknowledged");
        kills.Should().BeGreaterThanOrEqualTo(3, "the gateway was killed during intake several times");

        // A last start decides whatever was stored but not decided when the process died.
        using (var last = await StartAsync(ct))
        {
            await WaitAsync(async db => !await db.InboundItems.AnyAsync(i => i.State == "received", ct), ct);
            Kill(last);
        }

        SqliteConnection.ClearAllPools();
        await using var db = Open();
        var items = await db.InboundItems.AsNoTracking().ToListAsync(ct);
        var actions = await db.InboundActions.AsNoTracking().ToListAsync(ct);
        items.Select(i => i.MessageId).Should().Contain(acknowledged, "no acknowledged message is lost");
        items.Should().OnlyContain(i => i.Decision == "create" || i.Decision == "attach", "every stored item is decided");
        foreach (var item in items)
        {
            var mine = actions.Where(a => a.ItemId == item.Id).ToList();
            mine.Count(a => a.Action == "received").Should().Be(1, "an item is stored once with its raw bytes");
            mine.Count(a => a.Action == "decided").Should().Be(1, "a decision is committed whole, once");
            item.Raw.Should().NotBeEmpty();
            item.IdentityId.Should().NotBeNull();
        }

        var identities = await db.Identities.AsNoTracking().Where(i => i.BirthName.StartsWith("KILL")).Select(i => i.BirthName).ToListAsync(ct);
        identities.Should().OnlyHaveUniqueItems("a message resent after a kill attaches to the identity it created before");
        identities.Should().HaveCount(total);
    }

    private static string ControlId(int n) => "K" + n.ToString("D5", System.Globalization.CultureInfo.InvariantCulture);

    private static string Name(int n)
    {
        var sb = new StringBuilder("KILL");
        do
        {
            sb.Append((char)('A' + (n % 26)));
            n /= 26;
        }
        while (n > 0);
        return sb.ToString();
    }

    /// <summary>A new patient per message, with its id in the partner's domain, sent as PROV (traits only, create allowed).</summary>
    private static byte[] Message(string template, int n)
    {
        var lines = template.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries).Select(line =>
        {
            var f = line.Split('|');
            if (line.StartsWith("MSH|", StringComparison.Ordinal))
            {
                f[9] = ControlId(n);
            }
            else if (line.StartsWith("PID|", StringComparison.Ordinal))
            {
                f[3] = $"IPP{n}^^^{Partner}&1.2.250.1.999.7&ISO^PI";
                f[5] = $"{Name(n)}^DOMINIQUE^DOMINIQUE^^^^L";
                f[7] = new DateOnly(1950, 1, 1).AddDays(n * 7).ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture);
                f[32] = "PROV";
            }

            return string.Join('|', f);
        });
        return Encoding.UTF8.GetBytes(string.Join('\r', lines) + "\r");
    }

    private GatewayDbContext Open() =>
        GatewayStore.CreateContext(new StoreOptions { ConnectionString = GatewayStore.SqliteConnectionString(Path.Combine(root, "santegw.db")) });

    private async Task WaitAsync(Func<GatewayDbContext, Task<bool>> condition, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            await using (var db = Open())
            {
                if (await condition(db))
                {
                    return;
                }
            }

            DateTime.UtcNow.Should().BeBefore(deadline, "recovery decides the items left undecided");
            await Task.Delay(200, ct);
        }
    }

    /// <summary>Starts <c>santegw serve</c> on the data folder and waits until it listens (HTTP and MLLP).</summary>
    private async Task<Process> StartAsync(CancellationToken ct)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "santegw.dll"), "serve", "--data", root, "--urls", "http://127.0.0.1:0" })
        {
            start.ArgumentList.Add(a);
        }

        var process = Process.Start(start)!;
        _ = process.StandardError.ReadToEndAsync(ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(3));
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("santegw: listening on ", StringComparison.Ordinal))
            {
                _ = process.StandardOutput.ReadToEndAsync(ct);
                return process;
            }
        }

        throw new InvalidOperationException("serve exited before listening");
    }

    /// <summary>SIGKILL: no shutdown hook, no flush, no finally — what a power cut or the OOM killer does.</summary>
    private static void Kill(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        process.WaitForExit();
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
