using BenchmarkDotNet.Attributes;
using SanteGateway.Identity;
using SanteGateway.Insi;

namespace SanteGateway.Benchmarks;

/// <summary>INSi client hot path: writing a RECSANSVITALE request and reading a RESULTAT (no network).</summary>
[MemoryDiagnoser]
public class InsiBenchmarks
{
    private static readonly InsiSoftware Software = new("PDP17NF21DD0", "santegw", "0.1.0", "b3549edd-4ae9-472a-b26f-fd2fb4ef397f");
    private readonly InsiTraitsQuery _query = new("ADRTROIS", ["TOUSSAINT"], Sex.Male, "1960-01-01");
    private readonly MemoryStream _buffer = new(4096);
    private byte[] _response = [];
    private byte[] _history = [];

    /// <summary>Loads the recorded responses.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _response = """<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><env:Body xmlns:S="http://www.w3.org/2003/05/soap-envelope" xmlns:env="http://www.w3.org/2003/05/soap-envelope"><RESULTAT xmlns="http://www.cnamts.fr/INSiResultat" xmlns:ns0="http://www.cnamts.fr/INSiRecVit" xmlns:ns1="http://www.cnamts.fr/INSiRecSans"><CR><CodeCR>00</CodeCR><LibelleCR>OK</LibelleCR></CR><INDIVIDU><INSACTIF><IdIndividu><NumIdentifiant>160012B020777</NumIdentifiant><Cle>13</Cle></IdIndividu><OID>1.2.250.1.213.1.4.8</OID></INSACTIF><TIQ><NomNaissance>ADRTROIS</NomNaissance><ListePrenom>TOUSSAINT</ListePrenom><Sexe>M</Sexe><DateNaissance>1960-01-01</DateNaissance><LieuNaissance>2B020</LieuNaissance></TIQ></INDIVIDU></RESULTAT></env:Body></soap:Envelope>"""u8.ToArray();
        _history = """<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><S:Body xmlns:S="http://www.w3.org/2003/05/soap-envelope"><RESULTAT xmlns:ns3="http://www.cnamts.fr/INSiRecVit" xmlns:ns2="http://www.cnamts.fr/INSiRecSans" xmlns="http://www.cnamts.fr/INSiResultat"><CR><CodeCR>00</CodeCR><LibelleCR>OK</LibelleCR></CR><INDIVIDU><INSACTIF><IdIndividu><NumIdentifiant>1090763220834</NumIdentifiant><Cle>89</Cle></IdIndividu><OID>1.2.250.1.213.1.4.8</OID></INSACTIF><INSHISTO><DateDeb>2019-03-01</DateDeb><DateFin>2019-02-28</DateFin><IdIndividu><NumIdentifiant>2090763220834</NumIdentifiant><Cle>39</Cle></IdIndividu><OID>1.2.250.1.213.1.4.8</OID></INSHISTO><INSHISTO><IdIndividu><NumIdentifiant>2090663220123</NumIdentifiant><Cle>55</Cle></IdIndividu><OID>1.2.250.1.213.1.4.8</OID></INSHISTO><TIQ><NomNaissance>ECETINSI</NomNaissance><ListePrenom>PIERRE-ALAIN MURIEL FLORIANT</ListePrenom><Sexe>M</Sexe><DateNaissance>2009-07-14</DateNaissance><LieuNaissance>63220</LieuNaissance></TIQ></INDIVIDU></RESULTAT></S:Body></soap:Envelope>"""u8.ToArray();
    }

    /// <summary>Serialises one traits request (fresh ids and time) into a reused buffer.</summary>
    [Benchmark]
    public long WriteRequest()
    {
        _buffer.SetLength(0);
        InsiRequestWriter.WriteSearchByTraits(_buffer, InsiEnvelope.Create(Software, "10B0152872"), _query);
        return _buffer.Length;
    }

    /// <summary>Parses a CR 00 answer (active INS, traits, key check).</summary>
    [Benchmark]
    public object? ReadResponse() => InsiResponseReader.Read(_response).Result;

    /// <summary>Parses a CR 00 answer with two history entries.</summary>
    [Benchmark]
    public object? ReadResponseWithHistory() => InsiResponseReader.Read(_history).Result;

    /// <summary>The full client-side cost of one exchange: write the request, read the answer.</summary>
    [Benchmark(Baseline = true)]
    public object? WriteAndRead()
    {
        WriteRequest();
        return ReadResponse();
    }
}

/// <summary>
/// End-to-end INSi searches against the local sandbox over real mutual TLS (client and server on the same machine):
/// 64 searches per operation with <see cref="Concurrency"/> in flight; the reported time is per search.
/// </summary>
[MemoryDiagnoser]
public class InsiSandboxThroughputBenchmarks
{
    private const int Searches = 64;
    private const string Password = "bench-pass";
    private readonly InsiTraitsQuery _query = new("ADRTROIS", ["TOUSSAINT"], Sex.Male, "1960-01-01");
    private string _dir = string.Empty;
    private SanteGateway.Insi.Sandbox.InsiSandboxServer? _server;
    private InsiClient? _client;

    /// <summary>Searches in flight at once.</summary>
    [Params(1, 8, 64)]
    public int Concurrency { get; set; }

    /// <summary>Creates a PKI, starts the sandbox and the client.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), "insi-bench-" + Guid.NewGuid().ToString("N"));
        SanteGateway.Insi.Sandbox.Pki.TestPki.Create(_dir, Password, force: true);
        _server = SanteGateway.Insi.Sandbox.InsiSandboxServer.StartAsync(new SanteGateway.Insi.Sandbox.InsiSandboxOptions { PkiDirectory = _dir, Password = Password }).GetAwaiter().GetResult();
        var options = new InsiClientOptions
        {
            Endpoint = _server.Endpoint,
            Idam = SanteGateway.Insi.Sandbox.InsiSandboxOptions.DefaultIdam,
            Instance = "5a0e4a9e-2f6b-4d43-9a53-0c1d2e3f4a5b",
            AutomaticCertificatePath = Path.Combine(_dir, "INSI-AUTO.p12"),
            AutomaticCertificatePassword = Password,
            MaxRetries = 0,
            BreakerMinimumThroughput = int.MaxValue,
        };
        options.TrustedCaPaths.Add(Path.Combine(_dir, "ca.pem"));
        _client = InsiClient.Create(options);
    }

    /// <summary>Stops the sandbox and deletes the PKI.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _client?.Dispose();
        _server?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(_dir, true);
    }

    /// <summary>64 searches, <see cref="Concurrency"/> at a time.</summary>
    [Benchmark(OperationsPerInvoke = Searches)]
    public async Task Search()
    {
        await Parallel.ForAsync(0, Searches, new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (_, ct) =>
        {
            var r = await _client!.SearchByTraitsAsync(_query, InsiCallContext.Automatic, ct).ConfigureAwait(false);
            if (r.Code != "00")
            {
                throw new InvalidOperationException("unexpected CR " + r.Code);
            }
        }).ConfigureAwait(false);
    }
}
