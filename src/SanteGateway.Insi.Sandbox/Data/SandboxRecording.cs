using System.Globalization;
using System.Text;
using System.Text.Json;
using SanteGateway.Insi.Sandbox.Soap;

namespace SanteGateway.Insi.Sandbox.Data;

/// <summary>One recorded exchange, ready to replay.</summary>
/// <param name="Stem">File stem in the recording folder (for logs and outcomes).</param>
/// <param name="HttpStatus">HTTP status the real service answered.</param>
/// <param name="Response">Exact response bytes.</param>
/// <param name="Duration">How long the real exchange took (replayed with <c>--latency recorded</c>).</param>
/// <param name="EchoedValues">Values of the recorded request the service may echo (message id, context ids and times).</param>
public sealed record RecordedExchange(string Stem, int HttpStatus, byte[] Response, TimeSpan Duration, RecordedEchoes EchoedValues);

/// <summary>Values of a request that an answer may echo: <c>wsa:MessageID</c>, ContexteLPS and ContexteBAM <c>Id</c> and <c>Temps</c>.</summary>
/// <param name="MessageId"><c>wsa:MessageID</c>.</param>
/// <param name="LpsId">ContexteLPS/Id.</param>
/// <param name="LpsTime">ContexteLPS/Temps.</param>
/// <param name="BamId">ContexteBAM/Id.</param>
/// <param name="BamTime">ContexteBAM/Temps.</param>
public sealed record RecordedEchoes(string? MessageId, string? LpsId, string? LpsTime, string? BamId, string? BamTime);

/// <summary>
/// A folder written by the INSi client's recorder (<c>InsiExchangeRecorder</c>), indexed by business content:
/// operation, IDAM, and the traits (birth name, first names, sex, birth date, COG) or the Vitale data (beneficiary and
/// insured NIR, birth name, birth date, rank). Ids and timestamps do not take part in the match. When the same content
/// was recorded several times, the latest exchange wins (e.g. the success after a retried unavailability fault).
/// </summary>
public sealed class SandboxRecording
{
    private readonly Dictionary<string, RecordedExchange> _byContent;

    private SandboxRecording(Dictionary<string, RecordedExchange> byContent) => _byContent = byContent;

    /// <summary>Number of distinct business requests recorded.</summary>
    public int Count => _byContent.Count;

    /// <summary>Loads every complete exchange of <paramref name="directory"/> (those with their <c>.exchange.json</c>).</summary>
    /// <exception cref="InvalidDataException">A file is unreadable or inconsistent; the message names it.</exception>
    public static SandboxRecording Load(string directory, int maxRequestBytes = 64 * 1024)
    {
        if (!Directory.Exists(directory))
        {
            throw new InvalidDataException($"{directory}: recording folder not found.");
        }

        var byContent = new Dictionary<string, RecordedExchange>(StringComparer.Ordinal);
        var metas = Directory.EnumerateFiles(directory, "*" + InsiExchangeRecorder.ExchangeSuffix).Order(StringComparer.Ordinal).ToList();
        foreach (var meta in metas)
        {
            var stem = meta[..^InsiExchangeRecorder.ExchangeSuffix.Length];
            var name = Path.GetFileName(stem);
            int status;
            double durationMs;
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllBytes(meta));
                var root = doc.RootElement;
                if (!root.TryGetProperty("format", out var format) || format.GetString() != InsiExchangeRecorder.FormatId)
                {
                    throw new InvalidDataException($"{meta}: field 'format' must be \"{InsiExchangeRecorder.FormatId}\".");
                }

                status = root.GetProperty("httpStatus").GetInt32();
                durationMs = root.TryGetProperty("durationMs", out var d) ? d.GetDouble() : 0;
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                throw new InvalidDataException($"{meta}: not a recorded exchange (httpStatus and format are required).", ex);
            }

            var requestFile = stem + InsiExchangeRecorder.RequestSuffix;
            var responseFile = stem + InsiExchangeRecorder.ResponseSuffix;
            if (!File.Exists(requestFile) || !File.Exists(responseFile))
            {
                throw new InvalidDataException($"{meta}: {Path.GetFileName(requestFile)} and {Path.GetFileName(responseFile)} must sit next to it.");
            }

            InsiRequest request;
            try
            {
                using var stream = File.OpenRead(requestFile);
                request = InsiRequestParser.Parse(stream, maxRequestBytes);
            }
            catch (SandboxFaultException ex)
            {
                throw new InvalidDataException($"{requestFile}: not a readable INSi request ({ex.Fault.Detail}).", ex);
            }

            var key = ContentKey(request)
                ?? throw new InvalidDataException($"{requestFile}: neither RECSANSVITALE nor RECVITALE; nothing to match it on.");
            byContent[key] = new RecordedExchange(
                name,
                status,
                File.ReadAllBytes(responseFile),
                TimeSpan.FromMilliseconds(Math.Max(0, durationMs)),
                new RecordedEchoes(request.MessageId, request.LpsId, request.LpsTime, request.BamId, request.BamTime));
        }

        return new SandboxRecording(byContent);
    }

    /// <summary>The recorded exchange with the same business content as <paramref name="request"/>, or null.</summary>
    internal RecordedExchange? Find(InsiRequest request) =>
        ContentKey(request) is { } key && _byContent.TryGetValue(key, out var found) ? found : null;

    /// <summary>
    /// The recorded bytes with the values the service echoed from the recorded request replaced by those of
    /// <paramref name="request"/> (one pass, so a substituted value is never substituted again).
    /// </summary>
    internal static byte[] Substitute(RecordedExchange exchange, InsiRequest request)
    {
        var e = exchange.EchoedValues;
        var pairs = new List<(byte[] From, byte[] To)>();
        void Add(string? from, string? to)
        {
            if (string.IsNullOrEmpty(from) || to is null || from == to)
            {
                return;
            }

            var f = Encoding.UTF8.GetBytes(InsiResponseWriter.EscapeText(from));
            if (pairs.Exists(p => p.From.AsSpan().SequenceEqual(f)))
            {
                return;
            }

            pairs.Add((f, Encoding.UTF8.GetBytes(InsiResponseWriter.EscapeText(to))));
        }

        Add(e.MessageId, request.MessageId);
        Add(e.LpsId, request.LpsId);
        Add(e.BamId, request.BamId);
        Add(e.LpsTime, request.LpsTime);
        Add(e.BamTime, request.BamTime);
        if (pairs.Count == 0)
        {
            return exchange.Response;
        }

        // Longest first, so that a value that is a prefix of another never wins over it.
        pairs.Sort((a, b) => b.From.Length.CompareTo(a.From.Length));
        var source = exchange.Response;
        using var output = new MemoryStream(source.Length + 64);
        var i = 0;
        while (i < source.Length)
        {
            var matched = false;
            foreach (var (from, to) in pairs)
            {
                if (source.AsSpan(i).StartsWith(from))
                {
                    output.Write(to);
                    i += from.Length;
                    matched = true;
                    break;
                }
            }

            if (!matched)
            {
                output.WriteByte(source[i++]);
            }
        }

        return output.ToArray();
    }

    /// <summary>Operation + IDAM + business body content; null when the body is neither search.</summary>
    internal static string? ContentKey(InsiRequest request)
    {
        const char sep = '\u001f';
        return request.BodyOperation switch
        {
            InsiOperation.SearchByTraits => string.Join(sep, "traits", request.Idam, request.BirthName, string.Join(' ', request.FirstNames), request.Sex, request.BirthDate, request.BirthPlace),
            InsiOperation.SearchWithVitale => string.Join(sep, "vitale", request.Idam, request.BeneficiaryNir, request.InsuredNir, request.BirthName, request.BirthDate, request.Rank),
            _ => null,
        };
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Count} recorded request(s)");
}
