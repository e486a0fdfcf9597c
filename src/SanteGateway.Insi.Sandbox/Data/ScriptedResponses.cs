using System.Text.Json;
using System.Xml;
using System.Xml.Linq;

namespace SanteGateway.Insi.Sandbox.Data;

/// <summary>One scripted answer: the traits it applies to and the body element to replay.</summary>
/// <param name="BirthName">Birth name (exact).</param>
/// <param name="FirstName">First name as queried (exact), or null for any.</param>
/// <param name="Sex"><c>M</c> or <c>F</c>.</param>
/// <param name="BirthDate"><c>YYYY-MM-DD</c>.</param>
/// <param name="BirthPlace">COG, or null for any (with or without COG in the query).</param>
/// <param name="ResponseFile">File name (relative to the folder) it was loaded from.</param>
/// <param name="Body">The <c>RESULTAT</c> or <c>soap:Fault</c> element to replay.</param>
public sealed record ScriptedResponse(string BirthName, string? FirstName, char Sex, string BirthDate, string? BirthPlace, string ResponseFile, XElement Body)
{
    /// <summary>
    /// The file's exact bytes when it is a full SOAP envelope (CNDA files are served as the approval centre gives them:
    /// their declaration, CRLF line breaks, tabs and comments included); null for a bare element.
    /// </summary>
    public byte[]? EnvelopeBytes { get; init; }

    /// <summary>The exact XML text of a bare <c>RESULTAT</c>/<c>Fault</c> file (without its declaration); null for an envelope.</summary>
    public string? ElementXml { get; init; }

    /// <summary>True when the replayed body is a SOAP fault (answered with HTTP 500).</summary>
    public bool IsFault => Body.Name == XName.Get("Fault", InsiNamespaces.Soap12);
}

/// <summary>
/// A folder of response files (CNDA-style full SOAP envelopes, or a bare <c>RESULTAT</c>/<c>Fault</c> element) with an
/// <c>index.json</c> mapping traits to files. Scripted answers win over the identity base, so CNDA cases that a consistent
/// base cannot produce (wrong keys, NIA, extra INSHISTO) can be replayed verbatim.
/// </summary>
/// <remarks>
/// <c>index.json</c>: <c>{"format":"santegw-insi-sandbox-scripted/1","entries":[{"birthName":"HERMANN","firstName":"GATIEN",
/// "sex":"M","birthDate":"1981-03-24","birthPlace":null,"response":"TEST_2.08_cas2.xml"}]}</c>.
/// </remarks>
public sealed class ScriptedResponses
{
    /// <summary>Name of the index file in the folder.</summary>
    public const string IndexFile = "index.json";

    /// <summary>Value of the <c>format</c> field of the index.</summary>
    public const string FormatId = "santegw-insi-sandbox-scripted/1";

    private readonly Dictionary<(string, char, string), ScriptedResponse[]> _byTraits;

    private ScriptedResponses(IReadOnlyList<ScriptedResponse> entries)
    {
        Entries = entries;
        _byTraits = entries.GroupBy(e => (e.BirthName, e.Sex, e.BirthDate)).ToDictionary(g => g.Key, g => g.ToArray());
    }

    /// <summary>All entries in index order.</summary>
    public IReadOnlyList<ScriptedResponse> Entries { get; }

    /// <summary>Loads <paramref name="directory"/>/index.json and every response file it names.</summary>
    /// <exception cref="InvalidDataException">The index or a response file is invalid; the message names the entry.</exception>
    public static ScriptedResponses Load(string directory)
    {
        var indexPath = Path.Combine(directory, IndexFile);
        if (!File.Exists(indexPath))
        {
            throw new InvalidDataException($"{indexPath}: index file missing.");
        }

        ScriptedIndexDto? index;
        try
        {
            using var stream = File.OpenRead(indexPath);
            index = JsonSerializer.Deserialize(stream, SandboxJsonContext.Default.ScriptedIndexDto);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{indexPath}: {ex.Message}", ex);
        }

        if (index is null || index.Format != FormatId)
        {
            throw new InvalidDataException($"{indexPath}: field 'format' must be \"{FormatId}\".");
        }

        var root = Path.GetFullPath(directory);
        var entries = new List<ScriptedResponse>();
        for (var i = 0; i < (index.Entries?.Count ?? 0); i++)
        {
            var e = index.Entries![i];
            var where = $"{indexPath}: entries[{i}]";
            if (string.IsNullOrEmpty(e.BirthName) || e.Sex is not ("M" or "F") || string.IsNullOrEmpty(e.BirthDate) || string.IsNullOrEmpty(e.Response))
            {
                throw new InvalidDataException($"{where}: birthName, sex (M/F), birthDate and response are required.");
            }

            var file = Path.GetFullPath(Path.Combine(root, e.Response));
            if (!file.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal) || !File.Exists(file))
            {
                throw new InvalidDataException($"{where}.response: '{e.Response}' is not a file inside {root}.");
            }

            var (body, isEnvelope) = ReadBody(file, where);
            var bytes = File.ReadAllBytes(file);
            entries.Add(new ScriptedResponse(e.BirthName, e.FirstName, e.Sex[0], e.BirthDate, e.BirthPlace, e.Response, body)
            {
                EnvelopeBytes = isEnvelope ? bytes : null,
                ElementXml = isEnvelope ? null : ElementText(bytes),
            });
        }

        return new ScriptedResponses(entries);
    }

    /// <summary>The scripted answer for these traits, or null. An entry with a first name / COG beats a generic one.</summary>
    public ScriptedResponse? Find(string birthName, string firstName, char sex, string birthDate, string? birthPlace)
    {
        if (!_byTraits.TryGetValue((birthName, sex, birthDate), out var candidates))
        {
            return null;
        }

        ScriptedResponse? best = null;
        var bestScore = -1;
        foreach (var c in candidates)
        {
            if ((c.FirstName is not null && c.FirstName != firstName) || (c.BirthPlace is not null && c.BirthPlace != birthPlace))
            {
                continue;
            }

            var score = (c.FirstName is null ? 0 : 2) + (c.BirthPlace is null ? 0 : 1);
            if (score > bestScore)
            {
                best = c;
                bestScore = score;
            }
        }

        return best;
    }

    /// <summary>The file's text from its root element on (declaration, leading comments and BOM removed), as written.</summary>
    private static string ElementText(byte[] bytes)
    {
        var text = new System.Text.UTF8Encoding(false).GetString(bytes).TrimStart('\uFEFF');
        var i = 0;
        while (true)
        {
            i = text.IndexOf('<', i);
            if (i < 0 || i + 1 >= text.Length || (text[i + 1] != '?' && text[i + 1] != '!'))
            {
                break;
            }

            i = text.AsSpan(i).StartsWith("<!--", StringComparison.Ordinal) ? text.IndexOf("-->", i, StringComparison.Ordinal) + 3 : text.IndexOf('>', i) + 1;
            if (i <= 2)
            {
                return text;
            }
        }

        return i < 0 ? text : text[i..].TrimEnd();
    }

    private static (XElement Body, bool IsEnvelope) ReadBody(string file, string where)
    {
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, IgnoreComments = true, MaxCharactersInDocument = 1 << 20 };
        try
        {
            using var reader = XmlReader.Create(file, settings);
            var doc = XDocument.Load(reader);
            var root = doc.Root!;
            var isEnvelope = root.Name == XName.Get("Envelope", InsiNamespaces.Soap12);
            if (isEnvelope)
            {
                root = root.Element(XName.Get("Body", InsiNamespaces.Soap12))?.Elements().FirstOrDefault()
                    ?? throw new InvalidDataException($"{where}: {file} has an empty soap:Body.");
            }

            if (root.Name != XName.Get("RESULTAT", InsiNamespaces.Resultat) && root.Name != XName.Get("Fault", InsiNamespaces.Soap12))
            {
                throw new InvalidDataException($"{where}: {file} must hold a RESULTAT or a soap:Fault (found {root.Name}).");
            }

            // Detach from the file's envelope, keeping every namespace the subtree uses (QName values like S:Sender included).
            var copy = new XElement(root);
            foreach (var ns in root.AncestorsAndSelf().SelectMany(a => a.Attributes()).Where(a => a.IsNamespaceDeclaration))
            {
                if (copy.Attribute(ns.Name) is null)
                {
                    copy.SetAttributeValue(ns.Name, ns.Value);
                }
            }

            return (copy, isEnvelope);
        }
        catch (XmlException ex)
        {
            throw new InvalidDataException($"{where}: {file} is not well-formed XML ({ex.Message}).", ex);
        }
    }
}

internal sealed class ScriptedIndexDto
{
    public string? Format { get; set; }

    public List<ScriptedEntryDto>? Entries { get; set; }
}

internal sealed class ScriptedEntryDto
{
    public string? BirthName { get; set; }

    public string? FirstName { get; set; }

    public string? Sex { get; set; }

    public string? BirthDate { get; set; }

    public string? BirthPlace { get; set; }

    public string? Response { get; set; }

    public string? Note { get; set; }
}
