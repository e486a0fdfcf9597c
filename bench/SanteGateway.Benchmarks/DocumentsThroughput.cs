using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using SanteGateway.Documents.Fhir;
using SanteGateway.Documents.Sandbox;
using SanteGateway.Documents.Xds;
using SanteGateway.Insi.Sandbox.Pki;

namespace SanteGateway.Benchmarks;

/// <summary>
/// <c>documents-throughput [--count N] [--kb 100] [--concurrency 1,4]</c>: submissions per second of a CDA of about
/// <c>--kb</c> kB to the documents sandbox over mutual TLS, per transport (XDS.b ITI-41 with MTOM and a freshly signed
/// VIHF per request; PDSm ITI-65 JSON bundle), client and sandbox in one process on loopback.
/// </summary>
internal static class DocumentsThroughput
{
    private const string Patient = "279035121518989";
    private const string Oid = "1.2.250.1.213.1.4.10";

    public static async Task<int> RunAsync(string[] args)
    {
        var count = Arg(args, "--count", 200);
        var kb = Arg(args, "--kb", 100);
        var levels = (ArgText(args, "--concurrency") ?? "1,4").Split(',').Select(x => int.Parse(x, CultureInfo.InvariantCulture)).ToArray();
        var pki = Path.Combine(Path.GetTempPath(), "santegw-bench-docs-" + Guid.NewGuid().ToString("N"));
        var password = TestPki.Create(pki, null, force: false).Password;
        try
        {
            await using var sandbox = await DocumentsSandboxServer.StartAsync(new DocumentsSandboxOptions { PkiDirectory = pki, Password = password });
            var content = Cda(kb * 1024);
            Console.WriteLine($"documents-throughput: {count} submissions per run, CDA {content.Length / 1024} kB, load average {LoadAverage()}");
            using var xds = XdsClient.FromOptions(XdsOptions(sandbox, pki, password));
            using var pdsm = PdsmClient.FromOptions(PdsmOptions(sandbox, pki, password));
            foreach (var c in levels)
            {
                await MeasureAsync($"XDS.b ITI-41, concurrency {c}", count, c, async () =>
                {
                    var r = await xds.ProvideAndRegisterAsync(XdsRequest(content), CancellationToken.None);
                    return r.IsSuccess;
                });
                await MeasureAsync($"PDSm ITI-65, concurrency {c}", count, c, async () =>
                {
                    var r = await pdsm.ProvideAsync(PdsmBundles.Provide(PdsmDocument(content)), CancellationToken.None);
                    return r.IsSuccess;
                });
            }

            Console.WriteLine($"documents-throughput: done, load average {LoadAverage()}");
            return 0;
        }
        finally
        {
            Directory.Delete(pki, recursive: true);
        }
    }

    private static async Task MeasureAsync(string name, int count, int concurrency, Func<Task<bool>> submit)
    {
        for (var i = 0; i < 5; i++)
        {
            await submit();
        }

        var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpu = process.TotalProcessorTime;
        var next = 0;
        var failed = 0;
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) <= count)
            {
                if (!await submit())
                {
                    Interlocked.Increment(ref failed);
                }
            }
        }));
        sw.Stop();
        process.Refresh();
        var cpuUsed = process.TotalProcessorTime - cpu;
        Console.WriteLine($"{name}: {count / sw.Elapsed.TotalSeconds:F1}/s wall ({sw.Elapsed.TotalMilliseconds / count:F1} ms each), "
            + $"{count / cpuUsed.TotalSeconds:F1}/s of CPU time (client + sandbox), {failed} refused");
    }

    private static byte[] Cda(int size)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SanteGateway.slnx")))
        {
            dir = dir.Parent;
        }

        var shared = Environment.GetEnvironmentVariable("SANTEGW_SHARED")
            ?? Path.Combine(dir?.FullName ?? throw new DirectoryNotFoundException("SanteGateway.slnx not found."), "..", "shared");
        var header = File.ReadAllText(Path.Combine(shared, "data", "cda", "TestContenuCDA-3-0", "ExemplesCDA", "BIO-TROD_2024.01_Angine.xml"));
        var close = header.LastIndexOf("</ClinicalDocument>", StringComparison.Ordinal);
        var sb = new StringBuilder(header[..close]);
        while (sb.Length < size)
        {
            sb.Append("<!-- padding to a realistic report size: Lorem ipsum dolor sit amet, consectetur adipiscing elit. -->\n");
        }

        sb.Append("</ClinicalDocument>\n");
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    private static XdsProvideRequest XdsRequest(byte[] content)
    {
        var cx = $"{Patient}^^^&{Oid}&ISO^NH";
        var authors = new[] { new XdsAuthor("810000000001^MARTIN^JEAN^^^^^^&1.2.250.1.71.4.2.1&ISO", "CABINET^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^3750000001") };
        var entry = new XdsDocumentEntry
        {
            EntryUuid = "urn:uuid:" + Guid.NewGuid(),
            UniqueId = "1.2.250.1.999.2." + Random.Shared.NextInt64(1, long.MaxValue),
            PatientId = cx,
            SourcePatientId = "IPP123^^^&1.2.250.1.999.3&ISO^PI",
            ClassCode = new XdsCode("10", "1.2.250.1.213.1.1.4.1"),
            TypeCode = new XdsCode("11502-2", "2.16.840.1.113883.6.1"),
            FormatCode = new XdsCode("urn:ihe:iti:xds:2017:mimeTypeSufficient", "1.3.6.1.4.1.19376.1.2.3"),
            ConfidentialityCode = new XdsCode("N", "2.16.840.1.113883.5.25"),
            HealthcareFacilityTypeCode = new XdsCode("SA07", "1.2.250.1.71.4.2.4"),
            PracticeSettingCode = new XdsCode("ETABLISSEMENT", "1.2.250.1.213.1.1.4.9"),
            Title = "CR",
            LanguageCode = "fr-FR",
            MimeType = "text/xml",
            CreationTime = "20260101120000",
            Hash = Convert.ToHexStringLower(SHA1.HashData(content)),
            Size = content.Length,
            Authors = authors,
        };
        var set = new XdsSubmissionSet
        {
            EntryUuid = "urn:uuid:" + Guid.NewGuid(),
            UniqueId = "2.25." + Random.Shared.NextInt64(1, long.MaxValue),
            SourceId = "1.2.250.1.999.1",
            PatientId = cx,
            SubmissionTime = XdsTime.Format(DateTimeOffset.UtcNow),
            ContentTypeCode = new XdsCode("04", "1.2.250.1.213.2.2"),
            Authors = authors,
        };
        return new XdsProvideRequest(set, entry, content);
    }

    private static PdsmDocument PdsmDocument(byte[] content) => new()
    {
        InsOid = Oid,
        InsValue = Patient,
        UniqueId = "1.2.250.1.999.2." + Random.Shared.NextInt64(1, long.MaxValue),
        SubmissionSetUniqueId = "2.25." + Random.Shared.NextInt64(1, long.MaxValue),
        SourceId = "1.2.250.1.999.1",
        ClassCode = new PdsmCode("10", "1.2.250.1.213.1.1.4.1"),
        TypeCode = new PdsmCode("11502-2", "2.16.840.1.113883.6.1"),
        FormatCode = new PdsmCode("urn:ihe:iti:xds:2017:mimeTypeSufficient", "1.3.6.1.4.1.19376.1.2.3"),
        ConfidentialityCode = new PdsmCode("N", "2.16.840.1.113883.5.25"),
        FacilityTypeCode = new PdsmCode("SA07", "1.2.250.1.71.4.2.4"),
        PracticeSettingCode = new PdsmCode("ETABLISSEMENT", "1.2.250.1.213.1.1.4.9"),
        ContentTypeCode = new PdsmCode("04", "1.2.250.1.213.2.2"),
        Title = "CR",
        LanguageCode = "fr-FR",
        MimeType = "text/xml",
        CreationTime = DateTimeOffset.UtcNow,
        SubmissionTime = DateTimeOffset.UtcNow,
        Authors = [new PdsmAuthor("810000000001", "1.2.250.1.71.4.2.1", "MARTIN", "JEAN", "3750000001", "CABINET")],
        Content = content,
    };

    private static XdsClientOptions XdsOptions(DocumentsSandboxServer s, string pki, string password)
    {
        var o = new XdsClientOptions
        {
            RepositoryEndpoint = s.RepositoryEndpoint,
            RegistryEndpoint = s.RegistryEndpoint,
            DmpStatusEndpoint = s.DmpStatusEndpoint,
            RepositoryUniqueId = s.Handler.RepositoryUniqueId,
            CertificatePath = Path.Combine(pki, TestPki.InsiAutoP12File),
            CertificatePassword = password,
            Vihf = new VihfOptions { StructureId = "3750000001", ActivitySector = "SA07^1.2.250.1.71.4.2.4", SubjectId = "810000000001", SubjectName = "BENCH", RoleCode = "10", HomologationNumber = "BENCH" },
        };
        o.TrustedCaPaths.Add(Path.Combine(pki, TestPki.CaPemFile));
        return o;
    }

    private static PdsmClientOptions PdsmOptions(DocumentsSandboxServer s, string pki, string password)
    {
        var o = new PdsmClientOptions { BaseUrl = s.FhirBase, CertificatePath = Path.Combine(pki, TestPki.InsiAutoP12File), CertificatePassword = password };
        o.TrustedCaPaths.Add(Path.Combine(pki, TestPki.CaPemFile));
        return o;
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static int Arg(string[] args, string name, int fallback) => ArgText(args, name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

    private static string? ArgText(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
