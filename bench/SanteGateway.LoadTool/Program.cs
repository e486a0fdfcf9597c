using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace SanteGateway.LoadTool;

/// <summary>
/// Closed-loop load against the INSi sandbox over mutual TLS on loopback: N workers each send one request, wait for
/// the answer, send the next, on keep-alive HTTP/1.1 connections opened before measuring. Bounded by time and by count.
/// </summary>
internal static class Program
{
    private const string Usage = """
        santegw-load --endpoint https://127.0.0.1:PORT/lps --pki DIR [options]
          --endpoint URL        sandbox endpoint; loopback only (127.0.0.1, ::1, localhost)
          --pki DIR             folder made by 'santegw pki init' (ca.pem + client PKCS#12)
          --cert FILE           client PKCS#12 inside DIR (default INSI-AUTO.p12)
          --password-env NAME   variable holding the PKCS#12 password (default: DIR/password.txt)
          --concurrency LIST    comma-separated levels, e.g. 1,8,64 (default 1,8,64)
          --duration SECONDS    measured time per level (default 10)
          --warmup SECONDS      unmeasured time per level after opening the connections (default 2)
          --max-requests N      stop a level after N measured requests (default 5000000)
          --search N|F|S|D      search to send (birth name|first name|M/F|YYYY-MM-DD), repeatable; rotated
          --request FILE        raw SOAP request body to send instead, repeatable; rotated
          --expect TEXT         count an answer without TEXT as an error (default <CodeCR>00</CodeCR>; '' = off)
          --show-errors N       print the first N failed exchanges (request tail and answer) to stderr
          --pid PID             print the VmRSS of that process (the sandbox) before and after each level
        """;

    private static int s_errorsToShow;

    public static async Task<int> Main(string[] args)
    {
        Options o;
        try
        {
            o = Options.Parse(args);
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message + Environment.NewLine + Usage).ConfigureAwait(false);
            return 2;
        }

        s_errorsToShow = o.ShowErrors;
        using var clientCert = X509CertificateLoader.LoadPkcs12FromFile(Path.Combine(o.Pki, o.Cert), o.Password);
        using var ca = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(Path.Combine(o.Pki, "ca.pem")).ConfigureAwait(false));
        var bodies = o.Bodies;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# {DateTime.UtcNow:yyyy-MM-dd HH:mm}Z endpoint={o.Endpoint} bodies={bodies.Count} duration={o.Duration}s warmup={o.Warmup}s cpus={Environment.ProcessorCount} load={LoadAverage()}"));
        var failed = false;
        foreach (var concurrency in o.Concurrency)
        {
            var rssBefore = Rss(o.Pid);
            var r = await RunLevelAsync(o, clientCert, ca, bodies, concurrency).ConfigureAwait(false);
            var rssAfter = Rss(o.Pid);
            var line = string.Create(CultureInfo.InvariantCulture,
                $"concurrency={concurrency} requests={r.Count} errors={r.Errors} seconds={r.Seconds:F1} rps={r.Count / r.Seconds:F0} p50_ms={r.P(0.50):F3} p95_ms={r.P(0.95):F3} p99_ms={r.P(0.99):F3} max_ms={r.P(1):F3}");
            var rss = o.Pid is null ? string.Empty : string.Create(CultureInfo.InvariantCulture, $" server_rss_mb_before={rssBefore / 1048576.0:F1} server_rss_mb_after={rssAfter / 1048576.0:F1}");
            Console.WriteLine(line + rss + " load=" + LoadAverage());
            failed |= r.Errors > 0;
        }

        return failed ? 1 : 0;
    }

    private static async Task<LevelResult> RunLevelAsync(Options o, X509Certificate2 clientCert, X509Certificate2 ca, IReadOnlyList<byte[]> bodies, int concurrency)
    {
        using var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = concurrency,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = [clientCert],
                CertificateChainPolicy = new X509ChainPolicy
                {
                    TrustMode = X509ChainTrustMode.CustomRootTrust,
                    CustomTrustStore = { ca },
                    RevocationMode = X509RevocationMode.NoCheck,
                },
            },
        };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30), DefaultRequestVersion = HttpVersion.Version11 };
        var expect = o.Expect.Length == 0 ? null : Encoding.UTF8.GetBytes(o.Expect);

        // Open every connection (TLS handshakes) and let the JIT settle before measuring.
        var warm = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async w =>
        {
            var i = w;
            do
            {
                await SendAsync(client, o.Endpoint, bodies[i++ % bodies.Count], expect).ConfigureAwait(false);
            }
            while (warm.Elapsed.TotalSeconds < o.Warmup);
        })).ConfigureAwait(false);

        var perWorker = Math.Max(1, o.MaxRequests / concurrency);
        var latencies = new double[concurrency][];
        var counts = new int[concurrency];
        var errors = new int[concurrency];
        var duration = TimeSpan.FromSeconds(o.Duration);
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
        {
            var mine = latencies[w] = new double[Math.Min(perWorker, 2_000_000)];
            var n = 0;
            var i = w;
            while (n < mine.Length && clock.Elapsed < duration)
            {
                var start = Stopwatch.GetTimestamp();
                var ok = await SendAsync(client, o.Endpoint, bodies[i++ % bodies.Count], expect).ConfigureAwait(false);
                mine[n++] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                if (!ok)
                {
                    errors[w]++;
                }
            }

            counts[w] = n;
        }))).ConfigureAwait(false);
        var seconds = clock.Elapsed.TotalSeconds;
        var all = latencies.SelectMany((l, w) => l.Take(counts[w])).ToArray();
        Array.Sort(all);
        return new LevelResult(all, errors.Sum(), seconds);
    }

    private static async Task<bool> SendAsync(HttpClient client, Uri endpoint, byte[] body, byte[]? expect)
    {
        try
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/soap+xml; charset=utf-8; action=\"urn:ServiceIdentiteCertifiee:1.0.0:rechercherInsAvecTraitsIdentite\"");
            using var response = await client.PostAsync(endpoint, content).ConfigureAwait(false);
            var answer = await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
            var ok = response.StatusCode == HttpStatusCode.OK && (expect is null || answer.AsSpan().IndexOf(expect) >= 0);
            if (!ok && Interlocked.Decrement(ref s_errorsToShow) >= 0)
            {
                // Only with --show-errors: synthetic identities, never real ones, go to the console here.
                await Console.Error.WriteLineAsync($"error: HTTP {(int)response.StatusCode} for {Encoding.UTF8.GetString(body)[^260..]} -> {Encoding.UTF8.GetString(answer)[^Math.Min(answer.Length, 400)..]}").ConfigureAwait(false);
            }

            return ok;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException)
        {
            return false;
        }
    }

    private static long Rss(int? pid)
    {
        if (pid is null)
        {
            return 0;
        }

        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) * 1024;
            }
        }

        return 0;
    }

    private static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "?";
        }
    }

    private sealed record LevelResult(double[] Sorted, int Errors, double Seconds)
    {
        public int Count => Sorted.Length;

        public double P(double q) => Sorted.Length == 0 ? double.NaN : Sorted[Math.Min(Sorted.Length - 1, (int)(Sorted.Length * q))];
    }
}
