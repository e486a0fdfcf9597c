using System.Globalization;
using System.Runtime.InteropServices;
using System.Xml;
using SanteGateway.Identity;

namespace SanteGateway.Insi;

/// <summary>A parsed INSi response: either a <see cref="Result"/> (any CR) or a <see cref="Fault"/>.</summary>
/// <param name="Result">The RESULTAT, when the body holds one.</param>
/// <param name="Fault">The SOAP fault, when the body holds one.</param>
public sealed record InsiResponse(InsiSearchResult? Result, InsiFault? Fault);

/// <summary>
/// Reads INSi responses with a namespace-aware, prefix-agnostic <see cref="XmlReader"/> (no DOM, DTD prohibited,
/// no resolver, size-limited). Element order inside INSACTIF/INSHISTO/TIQ is not assumed (the live service and
/// the CNDA files differ). Every returned matricule is key-checked; a bad one is reported in
/// <see cref="InsiSearchResult.Warnings"/> and left untrusted.
/// </summary>
public static class InsiResponseReader
{
    /// <summary>Default maximum response size (1 MiB).</summary>
    public const int DefaultMaxBytes = 1024 * 1024;

    // Names of the INSi vocabulary are atomised once per thread; a table grown by hostile input is dropped.
    private const int MaxUnknownNames = 256;

    [ThreadStatic]
    private static ReaderCache? t_cache;

    /// <summary>Parses a response held in memory.</summary>
    /// <exception cref="InsiProtocolException">Not a well-formed INSi response, or larger than <paramref name="maxBytes"/>.</exception>
    public static InsiResponse Read(ReadOnlyMemory<byte> xml, int maxBytes = DefaultMaxBytes)
    {
        if (xml.Length > maxBytes)
        {
            throw new InsiProtocolException($"Response of {xml.Length} bytes exceeds the {maxBytes}-byte limit.");
        }

        if (MemoryMarshal.TryGetArray(xml, out var segment))
        {
            using var direct = new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false);
            return Read(direct, maxBytes);
        }

        using var copy = new MemoryStream(xml.ToArray(), writable: false);
        return Read(copy, maxBytes);
    }

    /// <summary>Parses a response from a byte array.</summary>
    /// <exception cref="InsiProtocolException">Not a well-formed INSi response, or larger than <paramref name="maxBytes"/>.</exception>
    public static InsiResponse Read(byte[] xml, int maxBytes = DefaultMaxBytes) => Read(new ReadOnlyMemory<byte>(xml), maxBytes);

    /// <summary>Parses a response from a stream, reading at most <paramref name="maxBytes"/> characters.</summary>
    /// <exception cref="InsiProtocolException">Not a well-formed INSi response, or larger than <paramref name="maxBytes"/>.</exception>
    public static InsiResponse Read(Stream stream, int maxBytes = DefaultMaxBytes)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var cache = t_cache ??= new ReaderCache();
        try
        {
            using var reader = XmlReader.Create(stream, cache.SettingsFor(maxBytes));
            return ReadEnvelope(reader);
        }
        catch (XmlException ex)
        {
            throw new InsiProtocolException("Response is not well-formed XML: " + ex.Message, ex);
        }
        catch (InvalidOperationException ex)
        {
            throw new InsiProtocolException("Response could not be read: " + ex.Message, ex);
        }
        catch (System.Text.DecoderFallbackException ex)
        {
            throw new InsiProtocolException("Response has an invalid character encoding.", ex);
        }
        catch (ArgumentException ex)
        {
            // XmlReader reports some encoding problems (unknown encoding name) as ArgumentException.
            throw new InsiProtocolException("Response could not be decoded: " + ex.Message, ex);
        }
        finally
        {
            if (cache.Names.Unknown > MaxUnknownNames)
            {
                t_cache = null;
            }
        }
    }

    private static InsiResponse ReadEnvelope(XmlReader r)
    {
        if (r.MoveToContent() != XmlNodeType.Element || !Is(r, "Envelope", InsiNamespaces.Soap12))
        {
            throw new InsiProtocolException($"Expected a SOAP 1.2 Envelope, found {{{r.NamespaceURI}}}{r.LocalName}.");
        }

        if (r.IsEmptyElement)
        {
            throw new InsiProtocolException("Empty SOAP Envelope.");
        }

        var depth = Enter(r);
        while (NextChild(r, depth))
        {
            if (Is(r, "Body", InsiNamespaces.Soap12))
            {
                return ReadBody(r);
            }

            r.Skip();
        }

        throw new InsiProtocolException("SOAP Envelope has no Body.");
    }

    private static InsiResponse ReadBody(XmlReader r)
    {
        if (r.IsEmptyElement)
        {
            throw new InsiProtocolException("Empty SOAP Body.");
        }

        var depth = Enter(r);
        while (NextChild(r, depth))
        {
            if (Is(r, "RESULTAT", InsiNamespaces.Resultat))
            {
                return new InsiResponse(ReadResultat(r), null);
            }

            if (Is(r, "Fault", InsiNamespaces.Soap12))
            {
                return new InsiResponse(null, ReadFault(r));
            }

            throw new InsiProtocolException($"Unexpected body element {{{r.NamespaceURI}}}{r.LocalName}.");
        }

        throw new InsiProtocolException("SOAP Body holds neither RESULTAT nor Fault.");
    }

    private static InsiSearchResult ReadResultat(XmlReader r)
    {
        string? code = null, label = null;
        InsiIndividual? individual = null;
        List<InsiWarning>? warnings = null;
        var depth = Enter(r);
        while (NextChild(r, depth))
        {
            if (Is(r, "CR", InsiNamespaces.Resultat))
            {
                var crDepth = Enter(r);
                while (NextChild(r, crDepth))
                {
                    switch (r.LocalName)
                    {
                        case "CodeCR": code = ReadText(r); break;
                        case "LibelleCR": label = ReadText(r); break;
                        default: r.Skip(); break;
                    }
                }
            }
            else if (Is(r, "INDIVIDU", InsiNamespaces.Resultat))
            {
                individual = ReadIndividu(r, ref warnings);
            }
            else
            {
                r.Skip();
            }
        }

        if (string.IsNullOrEmpty(code))
        {
            throw new InsiProtocolException("RESULTAT has no CR/CodeCR.");
        }

        if (code == "00" && individual is null)
        {
            throw new InsiProtocolException("CR 00 without INDIVIDU/INSACTIF.");
        }

        return new InsiSearchResult(code, label ?? string.Empty, individual, (IReadOnlyList<InsiWarning>?)warnings ?? []);
    }

    private static InsiIndividual ReadIndividu(XmlReader r, ref List<InsiWarning>? warnings)
    {
        InsiIns? active = null;
        List<InsiIns>? history = null;
        InsiReturnedTraits? traits = null;
        var depth = Enter(r);
        while (NextChild(r, depth))
        {
            switch (r.LocalName)
            {
                case "INSACTIF":
                    active = ReadIns(r, "INSACTIF", ref warnings);
                    break;
                case "INSHISTO":
                    history ??= [];
                    history.Add(ReadIns(r, null, ref warnings, history.Count + 1));
                    break;
                case "TIQ":
                    traits = ReadTiq(r);
                    break;
                default:
                    r.Skip();
                    break;
            }
        }

        if (active is null)
        {
            throw new InsiProtocolException("INDIVIDU has no INSACTIF.");
        }

        return new InsiIndividual(active, (IReadOnlyList<InsiIns>?)history ?? [], traits ?? new InsiReturnedTraits(null, null, null, null, null, null));
    }

    private static InsiIns ReadIns(XmlReader r, string? path, ref List<InsiWarning>? warnings, int historyIndex = 0)
    {
        string? num = null, key = null, type = null, oid = null, from = null, to = null;
        var depth = Enter(r);
        while (NextChild(r, depth))
        {
            switch (r.LocalName)
            {
                case "IdIndividu":
                    var idDepth = Enter(r);
                    while (NextChild(r, idDepth))
                    {
                        switch (r.LocalName)
                        {
                            case "NumIdentifiant": num = ReadText(r); break;
                            case "Cle": key = ReadText(r); break;
                            case "TypeMatricule": type = ReadText(r); break;
                            default: r.Skip(); break;
                        }
                    }

                    break;
                case "OID": oid = ReadText(r); break;
                case "DateDeb": from = ReadText(r); break;
                case "DateFin": to = ReadText(r); break;
                default: r.Skip(); break;
            }
        }

        if (string.IsNullOrEmpty(num))
        {
            throw new InsiProtocolException($"{path ?? HistoryPath(historyIndex)} has no IdIndividu/NumIdentifiant.");
        }

        if (string.IsNullOrEmpty(oid))
        {
            throw new InsiProtocolException($"{path ?? HistoryPath(historyIndex)} has no OID.");
        }

        InsMatricule? matricule = null;
        if (InsMatricule.TryFromParts(num, key, out var m, out var error))
        {
            matricule = m;
        }
        else
        {
            (warnings ??= []).Add(error?.Kind == InsMatriculeErrorKind.WrongKey
                ? new InsiWarning("WrongKey", path ?? HistoryPath(historyIndex), $"Key {key} does not match the number (expected {error.ExpectedKey}); matricule not trusted.")
                : new InsiWarning("BadMatricule", path ?? HistoryPath(historyIndex), $"Matricule not valid ({error?.Message}); not trusted."));
        }

        return new InsiIns(num, key, oid, ParseDate(from, path, historyIndex, "/DateDeb", ref warnings), ParseDate(to, path, historyIndex, "/DateFin", ref warnings), type, matricule);
    }

    private static string HistoryPath(int index) => string.Create(CultureInfo.InvariantCulture, $"INSHISTO[{index}]");

    private static DateOnly? ParseDate(string? value, string? path, int historyIndex, string suffix, ref List<InsiWarning>? warnings)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        if (DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
        {
            return d;
        }

        (warnings ??= []).Add(new InsiWarning("BadDate", (path ?? HistoryPath(historyIndex)) + suffix, "Not a YYYY-MM-DD date; ignored."));
        return null;
    }

    private static InsiReturnedTraits ReadTiq(XmlReader r)
    {
        string? name = null, first = null, list = null, sex = null, date = null, place = null;
        var depth = Enter(r);
        while (NextChild(r, depth))
        {
            switch (r.LocalName)
            {
                case "NomNaissance": name = ReadText(r); break;
                case "Prenom": first = ReadText(r); break;
                case "ListePrenom": list = ReadText(r); break;
                case "Sexe": sex = ReadText(r); break;
                case "DateNaissance": date = ReadText(r); break;
                case "LieuNaissance": place = ReadText(r); break;
                default: r.Skip(); break;
            }
        }

        return new InsiReturnedTraits(name, first, list, sex, date, place);
    }

    private static InsiFault ReadFault(XmlReader r)
    {
        string? code = null, subcode = null, reason = null, errCode = null, severity = null, errText = null, messageId = null;
        var depth = Enter(r);
        while (NextChild(r, depth))
        {
            if (r.NamespaceURI != InsiNamespaces.Soap12)
            {
                r.Skip();
                continue;
            }

            switch (r.LocalName)
            {
                case "Code":
                    var codeDepth = Enter(r);
                    while (NextChild(r, codeDepth))
                    {
                        if (r.LocalName == "Value")
                        {
                            code = StripPrefix(ReadText(r));
                        }
                        else if (r.LocalName == "Subcode")
                        {
                            var subDepth = Enter(r);
                            while (NextChild(r, subDepth))
                            {
                                if (r.LocalName == "Value" && subcode is null)
                                {
                                    subcode = StripPrefix(ReadText(r));
                                }
                                else
                                {
                                    r.Skip();
                                }
                            }
                        }
                        else
                        {
                            r.Skip();
                        }
                    }

                    break;
                case "Reason":
                    var reasonDepth = Enter(r);
                    while (NextChild(r, reasonDepth))
                    {
                        if (r.LocalName == "Text" && reason is null)
                        {
                            reason = ReadText(r);
                        }
                        else
                        {
                            r.Skip();
                        }
                    }

                    break;
                case "Detail":
                    var detailDepth = Enter(r);
                    while (NextChild(r, detailDepth))
                    {
                        if (r.LocalName == "Erreur" && errCode is null)
                        {
                            errCode = r.GetAttribute("code");
                            severity = r.GetAttribute("severite");
                            messageId = r.GetAttribute("messageID");
                            errText = ReadText(r);
                        }
                        else
                        {
                            r.Skip();
                        }
                    }

                    break;
                default:
                    r.Skip();
                    break;
            }
        }

        if (string.IsNullOrEmpty(code))
        {
            throw new InsiProtocolException("SOAP Fault has no Code/Value.");
        }

        return new InsiFault(code, subcode, reason, errCode, severity, errText, messageId);
    }

    private static string StripPrefix(string value)
    {
        var colon = value.IndexOf(':', StringComparison.Ordinal);
        return colon >= 0 ? value[(colon + 1)..] : value;
    }

    /// <summary>Moves into the children of the current element; returns the depth for <see cref="NextChild"/> (-1 when empty).</summary>
    private static int Enter(XmlReader r)
    {
        if (r.IsEmptyElement)
        {
            r.Read();
            return -1;
        }

        var depth = r.Depth;
        r.Read();
        return depth;
    }

    /// <summary>
    /// Positions on the next child element of the element entered at <paramref name="depth"/>; at its end tag,
    /// steps past it and returns false. Callers must consume each child (read its text, skip it or enter it).
    /// </summary>
    private static bool NextChild(XmlReader r, int depth)
    {
        if (depth < 0)
        {
            return false;
        }

        while (true)
        {
            if (r.EOF)
            {
                throw new InsiProtocolException("Unexpected end of response.");
            }

            if (r.Depth <= depth)
            {
                r.Read();
                return false;
            }

            if (r.NodeType == XmlNodeType.Element)
            {
                return true;
            }

            r.Read();
        }
    }

    /// <summary>Text content of a simple element; mixed or nested content is refused.</summary>
    private static string ReadText(XmlReader r)
    {
        try
        {
            return r.ReadElementContentAsString();
        }
        catch (XmlException ex)
        {
            throw new InsiProtocolException($"Element {r.LocalName} must hold text only.", ex);
        }
    }

    private static bool Is(XmlReader r, string localName, string ns) => r.LocalName == localName && r.NamespaceURI == ns;

    /// <summary>Per-thread reader settings and name table.</summary>
    private sealed class ReaderCache
    {
        private XmlReaderSettings? _settings;
        private int _settingsMax;

        public CountingNameTable Names { get; } = new();

        public XmlReaderSettings SettingsFor(int maxBytes)
        {
            if (_settings is null || _settingsMax != maxBytes)
            {
                _settings = new XmlReaderSettings
                {
                    DtdProcessing = DtdProcessing.Prohibit,
                    XmlResolver = null,
                    IgnoreComments = true,
                    IgnoreProcessingInstructions = true,
                    IgnoreWhitespace = true,
                    MaxCharactersInDocument = maxBytes,
                    MaxCharactersFromEntities = 0,
                    CloseInput = false,
                    NameTable = Names,
                };
                _settingsMax = maxBytes;
            }

            return _settings;
        }
    }

    /// <summary>A name table that counts names added beyond the first document, so a table grown by junk can be dropped.</summary>
    private sealed class CountingNameTable : XmlNameTable
    {
        private readonly NameTable _inner = new();

        public int Unknown { get; private set; }

        public override string Add(char[] array, int offset, int length) => _inner.Get(array, offset, length) ?? Added(_inner.Add(array, offset, length));

        public override string Add(string array) => _inner.Get(array) ?? Added(_inner.Add(array));

        public override string? Get(char[] array, int offset, int length) => _inner.Get(array, offset, length);

        public override string? Get(string array) => _inner.Get(array);

        private string Added(string name)
        {
            Unknown++;
            return name;
        }
    }
}
