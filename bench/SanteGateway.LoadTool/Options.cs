using System.Globalization;
using System.Net;
using System.Text;

namespace SanteGateway.LoadTool;

/// <summary>Command-line options of the load tool (hand-parsed: the tool has no dependencies).</summary>
internal sealed class Options
{
    public Uri Endpoint { get; private set; } = null!;

    public string Pki { get; private set; } = null!;

    public string Cert { get; private set; } = "INSI-AUTO.p12";

    public string Password { get; private set; } = string.Empty;

    public IReadOnlyList<int> Concurrency { get; private set; } = [1, 8, 64];

    public double Duration { get; private set; } = 10;

    public double Warmup { get; private set; } = 2;

    public int MaxRequests { get; private set; } = 5_000_000;

    public string Expect { get; private set; } = "<CodeCR>00</CodeCR>";

    public int? Pid { get; private set; }

    public int ShowErrors { get; private set; }

    public List<byte[]> Bodies { get; } = [];

    public static Options Parse(string[] args)
    {
        var o = new Options();
        string? passwordEnv = null;
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name}: a value is required.");
            switch (name)
            {
                case "--endpoint": o.Endpoint = LoopbackOnly(Next()); break;
                case "--pki": o.Pki = Next(); break;
                case "--cert": o.Cert = Next(); break;
                case "--password-env": passwordEnv = Next(); break;
                case "--concurrency": o.Concurrency = Next().Split(',').Select(c => Positive(name, c)).ToArray(); break;
                case "--duration": o.Duration = PositiveDouble(name, Next()); break;
                case "--warmup": o.Warmup = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--max-requests": o.MaxRequests = Positive(name, Next()); break;
                case "--expect": o.Expect = Next(); break;
                case "--pid": o.Pid = Positive(name, Next()); break;
                case "--show-errors": o.ShowErrors = Positive(name, Next()); break;
                case "--request": o.Bodies.Add(File.ReadAllBytes(Next())); break;
                case "--search": o.Bodies.Add(Search(Next())); break;
                default: throw new ArgumentException($"Unknown option {name}.");
            }
        }

        if (o.Endpoint is null || o.Pki is null)
        {
            throw new ArgumentException("--endpoint and --pki are required.");
        }

        o.Password = passwordEnv is null
            ? File.ReadAllText(Path.Combine(o.Pki, "password.txt")).Trim()
            : Environment.GetEnvironmentVariable(passwordEnv) ?? throw new ArgumentException($"--password-env: {passwordEnv} is not set.");
        if (o.Bodies.Count == 0)
        {
            o.Bodies.Add(Search("ADRTROIS|TOUSSAINT|M|1960-01-01"));
        }

        return o;
    }

    private static Uri LoopbackOnly(string value)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
        {
            throw new ArgumentException("--endpoint: an https:// URL is required.");
        }

        var loopback = uri.IsLoopback && (uri.Host == "localhost" || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip)));
        return loopback ? uri : throw new ArgumentException("--endpoint: only loopback addresses (127.0.0.1, ::1, localhost) are allowed.");
    }

    private static int Positive(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : throw new ArgumentException($"{name}: a positive integer is required, got '{value}'.");

    private static double PositiveDouble(string name, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : throw new ArgumentException($"{name}: a positive number is required, got '{value}'.");

    /// <summary>A RECSANSVITALE request with the sandbox's default IDAM (the sandbox does not check the PS context for AUTO).</summary>
    private static byte[] Search(string spec)
    {
        var p = spec.Split('|');
        if (p.Length != 4 || p[2] is not ("M" or "F"))
        {
            throw new ArgumentException($"--search: expected NAME|FIRSTNAME|M or F|YYYY-MM-DD, got '{spec}'.");
        }

        var id = Guid.NewGuid().ToString();
        return Encoding.UTF8.GetBytes(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\"><soap:Header>" +
            $"<ctxbam:ContexteBAM xmlns:ctxbam=\"urn:siram:bam:ctxbam\" Version=\"01_02\"><ctxbam:Id>{id}</ctxbam:Id><ctxbam:Temps>2026-01-01T00:00:00.000Z</ctxbam:Temps><ctxbam:Emetteur>10B0000001</ctxbam:Emetteur><ctxbam:COUVERTURE></ctxbam:COUVERTURE></ctxbam:ContexteBAM>" +
            $"<ctxlps:ContexteLPS xmlns:ctxlps=\"urn:siram:lps:ctxlps\" Nature=\"CTXLPS\" Version=\"01_00\"><ctxlps:Id>{id}</ctxlps:Id><ctxlps:Temps>2026-01-01T00:00:00.000Z</ctxlps:Temps><ctxlps:Emetteur>10B0000001</ctxlps:Emetteur><ctxlps:LPS><ctxlps:IDAM R=\"4\">SANDBOX-IDAM</ctxlps:IDAM><ctxlps:Version>1.0.0</ctxlps:Version><ctxlps:Instance>b3549edd-4ae9-472a-b26f-fd2fb4ef397f</ctxlps:Instance><ctxlps:Nom>urn:lps:santegw-load:1.0.0</ctxlps:Nom></ctxlps:LPS></ctxlps:ContexteLPS>" +
            "<wsa:Action xmlns:wsa=\"http://www.w3.org/2005/08/addressing\">urn:ServiceIdentiteCertifiee:1.0.0:rechercherInsAvecTraitsIdentite</wsa:Action>" +
            $"<wsa:MessageID xmlns:wsa=\"http://www.w3.org/2005/08/addressing\">uuid:{id}</wsa:MessageID></soap:Header>" +
            "<soap:Body><r:RECSANSVITALE xmlns:r=\"http://www.cnamts.fr/INSiRecSans\">" +
            $"<r:NomNaissance>{Escape(p[0])}</r:NomNaissance><r:Prenom>{Escape(p[1])}</r:Prenom><r:Sexe>{p[2]}</r:Sexe><r:DateNaissance>{Escape(p[3])}</r:DateNaissance>" +
            "</r:RECSANSVITALE></soap:Body></soap:Envelope>");
    }

    private static string Escape(string s) => System.Security.SecurityElement.Escape(s) ?? string.Empty;
}
