using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using BenchmarkDotNet.Attributes;
using SanteGateway.Insi.Sandbox;
using SanteGateway.Insi.Sandbox.Data;
using SanteGateway.Insi.Sandbox.Pki;

namespace SanteGateway.Benchmarks;

/// <summary>Request bodies shared by the sandbox benchmarks (the recorded layout, built here so the bench needs no shared/ folder).</summary>
internal static class SandboxRequests
{
    public static byte[] Search(string birthName, string firstName, char sex, string birthDate) => Encoding.UTF8.GetBytes(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\"><soap:Header>" +
        "<ctxbam:ContexteBAM xmlns:ctxbam=\"urn:siram:bam:ctxbam\" Version=\"01_02\"><ctxbam:Id>1f7425e2-b913-415c-adaa-785ee1076a70</ctxbam:Id><ctxbam:Temps>2026-01-01T00:00:00.000Z</ctxbam:Temps><ctxbam:Emetteur>10B0000001</ctxbam:Emetteur><ctxbam:COUVERTURE></ctxbam:COUVERTURE></ctxbam:ContexteBAM>" +
        "<ctxlps:ContexteLPS xmlns:ctxlps=\"urn:siram:lps:ctxlps\" Nature=\"CTXLPS\" Version=\"01_00\"><ctxlps:Id>1f7425e2-b913-415c-adaa-785ee1076a70</ctxlps:Id><ctxlps:Temps>2026-01-01T00:00:00.000Z</ctxlps:Temps><ctxlps:Emetteur>10B0000001</ctxlps:Emetteur><ctxlps:LPS><ctxlps:IDAM R=\"4\">SANDBOX-IDAM</ctxlps:IDAM><ctxlps:Version>1.0.0</ctxlps:Version><ctxlps:Instance>b3549edd-4ae9-472a-b26f-fd2fb4ef397f</ctxlps:Instance><ctxlps:Nom>urn:lps:bench:1.0.0</ctxlps:Nom></ctxlps:LPS></ctxlps:ContexteLPS>" +
        "<wsa:Action xmlns:wsa=\"http://www.w3.org/2005/08/addressing\">urn:ServiceIdentiteCertifiee:1.0.0:rechercherInsAvecTraitsIdentite</wsa:Action>" +
        "<wsa:MessageID xmlns:wsa=\"http://www.w3.org/2005/08/addressing\">uuid:b3549edd-4ae9-472a-b26f-fd2fb4ef397f</wsa:MessageID></soap:Header>" +
        "<soap:Body><r:RECSANSVITALE xmlns:r=\"http://www.cnamts.fr/INSiRecSans\">" +
        $"<r:NomNaissance>{birthName}</r:NomNaissance><r:Prenom>{firstName}</r:Prenom><r:Sexe>{sex}</r:Sexe><r:DateNaissance>{birthDate}</r:DateNaissance>" +
        "</r:RECSANSVITALE></soap:Body></soap:Envelope>");
}

/// <summary>
/// Sandbox lookup cost against the base size (1,000 vs 1,000,000 generated identities: must not grow), plus the whole
/// request processing in-process (parse + lookup + write, no TLS). Memory per identity is printed by the setup.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 8)]
public class SandboxLookupBenchmarks
{
    private SandboxIdentityBase _base = null!;
    private InsiSandboxHandler _handler = null!;
    private SandboxPerson _known = null!;
    private byte[] _request = null!;
    private X509Certificate2 _client = null!;

    /// <summary>Number of generated identities.</summary>
    [Params(1_000, 1_000_000)]
    public int Size { get; set; }

    /// <summary>Builds the base (and reports its retained size per identity).</summary>
    [GlobalSetup]
    public void Setup()
    {
        var persons = SyntheticIdentityGenerator.Generate(Size, seed: 1, homonymRate: 0.01, niaRate: 0.01).ToList();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        var before = GC.GetTotalMemory(forceFullCollection: true);
        _base = SandboxIdentityBase.FromPersons(persons);
        var indexOnly = GC.GetTotalMemory(forceFullCollection: true) - before;
        _known = persons[Size / 2];
        persons = null;
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        var afterPersonsOwnedByBase = GC.GetTotalMemory(forceFullCollection: true);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"// SANDBOX-MEMORY size={Size} index_bytes_per_identity={indexOnly / (double)Size:F1} total_heap_bytes_per_identity={afterPersonsOwnedByBase / (double)Size:F1}"));
        var pki = Path.Combine(Path.GetTempPath(), "santegw-bench-lookup-pki-" + Guid.NewGuid().ToString("N"));
        TestPki.Create(pki, "bench", force: false);
        _client = TestPki.LoadP12(pki, TestPki.InsiAutoP12File, "bench");
        _handler = new InsiSandboxHandler(new InsiSandboxOptions { IdentityBase = _base, PkiDirectory = pki });
        _request = SandboxRequests.Search(_known.BirthName, _known.FirstNames[0], _known.Sex, _known.BirthDate);
    }

    /// <summary>Dictionary lookup + first-name filter for a person of the base.</summary>
    [Benchmark]
    public int SearchKnown() => _base.Search(_known.BirthName, _known.FirstNames[0], _known.Sex, _known.BirthDate, null).Count;

    /// <summary>Lookup of a person absent from the base.</summary>
    [Benchmark]
    public int SearchUnknown() => _base.Search("HOUILLES", "PIERRE", 'M', "1993-01-27", null).Count;

    /// <summary>Whole request in-process: XmlReader parse, checks, lookup, XmlWriter answer (no TLS, no HTTP).</summary>
    [Benchmark]
    public int ProcessRequest() => _handler.Process(_request, "application/soap+xml; charset=utf-8", _client, InsiSandboxAuthentication.MutualTls).Outcome.Length;
}

/// <summary>
/// Loopback throughput over real mutual TLS (HTTP/1.1 keep-alive, 127.0.0.1 only). The benchmark method is one request on a
/// warm connection; the setup also runs a bounded closed-loop load (fixed concurrency, fixed duration) and prints
/// requests/s, p50 and p99 latency.
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 8)]
public class SandboxLoopbackBenchmarks
{
    private string _pki = null!;
    private InsiSandboxServer _server = null!;
    private HttpClient _client = null!;
    private byte[] _request = null!;

    /// <summary>Starts a sandbox with the default base and runs the load loop once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _pki = Path.Combine(Path.GetTempPath(), "santegw-bench-pki-" + Guid.NewGuid().ToString("N"));
        TestPki.Create(_pki, "bench", force: false);
        _server = InsiSandboxServer.StartAsync(new InsiSandboxOptions { PkiDirectory = _pki, Password = "bench" }).GetAwaiter().GetResult();
        _request = SandboxRequests.Search("ADRTROIS", "TOUSSAINT", 'M', "1960-01-01");
        _client = CreateClient(_pki, maxConnections: 16);
        foreach (var concurrency in new[] { 1, 8, 32 })
        {
            RunLoad(concurrency, TimeSpan.FromSeconds(8));
        }
    }

    /// <summary>Stops the sandbox.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _client.Dispose();
        _server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(_pki, recursive: true);
    }

    /// <summary>One search over a warm mutual-TLS connection.</summary>
    [Benchmark]
    public int OneRequest() => Post(_client).GetAwaiter().GetResult();

    private async Task<int> Post(HttpClient client)
    {
        using var content = new ByteArrayContent(_request);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/soap+xml; charset=utf-8");
        using var response = await client.PostAsync(_server.Endpoint, content).ConfigureAwait(false);
        var body = await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
        return body.Length;
    }

    private void RunLoad(int concurrency, TimeSpan duration)
    {
        using var client = CreateClient(_pki, concurrency);
        for (var i = 0; i < concurrency * 4; i++)
        {
            Post(client).GetAwaiter().GetResult(); // open the connections (TLS handshakes) before measuring
        }

        var latencies = new List<double>[concurrency];
        var stop = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
        {
            var mine = latencies[w] = new List<double>(100_000);
            while (stop.Elapsed < duration)
            {
                var t = Stopwatch.GetTimestamp();
                await Post(client).ConfigureAwait(false);
                mine.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            }
        })).ToArray();
        Task.WaitAll(workers);
        var elapsed = stop.Elapsed.TotalSeconds;
        var all = latencies.SelectMany(l => l).Order().ToArray();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"// SANDBOX-LOAD concurrency={concurrency} requests={all.Length} seconds={elapsed:F1} rps={all.Length / elapsed:F0} p50_ms={all[all.Length / 2]:F2} p99_ms={all[(int)(all.Length * 0.99)]:F2} max_ms={all[^1]:F2}"));
    }

    private static HttpClient CreateClient(string pki, int maxConnections) => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = maxConnections,
        SslOptions = new SslClientAuthenticationOptions
        {
            ClientCertificates = [TestPki.LoadP12(pki, TestPki.InsiAutoP12File, "bench")],
            CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                CustomTrustStore = { TestPki.LoadCa(pki) },
                RevocationMode = X509RevocationMode.NoCheck,
            },
        },
    });
}
