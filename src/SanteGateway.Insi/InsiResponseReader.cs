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
/// Reads INSi responses with the framework's UTF-8 <see cref="XmlDictionaryReader"/> text reader
/// (<see cref="XmlDictionaryReader.CreateTextReader(byte[], int, int, XmlDictionaryReaderQuotas)"/>): a
/// namespace-aware, prefix-agnostic <see cref="XmlReader"/> with no DOM, that refuses DTDs, processing instructions
/// and undeclared entities outright (nothing to resolve, no resolver), and is bounded by the byte limit and
/// <see cref="XmlDictionaryReaderQuotas"/> (depth, string length). It is re-armed per response
/// (<see cref="IXmlTextReaderInitializer"/>), so reading allocates little more than the returned values; the
/// general <c>XmlReader.Create</c> reader cannot be reused and costs ~6 KB of its own state per response.
/// Only UTF-8 (or UTF-16 with a byte-order mark) input is accepted, which is what INSi sends.
/// Element order inside INSACTIF/INSHISTO/TIQ is not assumed (the live service and the CNDA files differ). Every
/// returned matricule is key-checked; a bad one is reported in <see cref="InsiSearchResult.Warnings"/> and left
/// untrusted.
/// </summary>
public static class InsiResponseReader
{
    /// <summary>Default maximum response size (1 MiB).</summary>
    public const int DefaultMaxBytes = 1024 * 1024;

    // Inputs up to this size may need a slack byte (see Parse); real INSi answers are several hundred bytes.
    private const int SmallDocument = 256;

    // Deeper than any INSi answer (8 levels) with margin; bounds hostile nesting.
    private const int MaxDepth = 32;

    [ThreadStatic]
    private static ReaderCache? t_cache;

    /// <summary>Parses a response held in memory.</summary>
    /// <exception cref="InsiProtocolException">Not a well-formed INSi response, or larger than <paramref name="maxBytes"/>.</exception>
    public static InsiResponse Read(ReadOnlyMemory<byte> xml, int maxBytes = DefaultMaxBytes)
    {
        CheckSize(xml.Length, maxBytes);
        return MemoryMarshal.TryGetArray(xml, out var segment)
            ? Parse(segment.Array!, segment.Offset, segment.Count, maxBytes)
            : Parse(xml.ToArray(), 0, xml.Length, maxBytes);
    }

    /// <summary>Parses a response from a byte array.</summary>
    /// <exception cref="InsiProtocolException">Not a well-formed INSi response, or larger than <paramref name="maxBytes"/>.</exception>
    public static InsiResponse Read(byte[] xml, int maxBytes = DefaultMaxBytes)
    {
        ArgumentNullException.ThrowIfNull(xml);
        CheckSize(xml.Length, maxBytes);
        return Parse(xml, 0, xml.Length, maxBytes);
    }

    /// <summary>Parses a response from a stream, reading at most <paramref name="maxBytes"/> bytes.</summary>
    /// <exception cref="InsiProtocolException">Not a well-formed INSi response, or larger than <paramref name="maxBytes"/>.</exception>
    public static InsiResponse Read(Stream stream, int maxBytes = DefaultMaxBytes)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int n;
        while ((n = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            // Stop as soon as the limit is passed: a hostile peer cannot make us buffer more than that.
            CheckSize(buffer.Length + n, maxBytes);
            buffer.Write(chunk, 0, n);
        }

        return Parse(buffer.GetBuffer(), 0, (int)buffer.Length, maxBytes);
    }

    private static void CheckSize(long length, int maxBytes)
    {
        if (length > maxBytes)
        {
            throw new InsiProtocolException($"Response of {length} bytes exceeds the {maxBytes}-byte limit.");
        }
    }

    private static InsiResponse Parse(byte[] buffer, int offset, int count, int maxBytes)
    {
        var cache = t_cache ??= new ReaderCache();
        if (count <= SmallDocument && offset + count >= buffer.Length)
        {
            // The framework's XML-declaration sniffing (EncodingStreamWrapper) reads one byte past the end of a
            // document shorter than ~130 bytes that stops inside its declaration (IndexOutOfRangeException,
            // found by the property tests). Such tiny inputs are copied with a zero byte of slack after them.
            var padded = cache.Small;
            Buffer.BlockCopy(buffer, offset, padded, 0, count);
            padded[count] = 0;
            (buffer, offset) = (padded, 0);
        }

        var ok = false;
        try
        {
            var response = ReadEnvelope(cache.Arm(buffer, offset, count, maxBytes));
            ok = true;
            return response;
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
            // Some encoding problems (unknown encoding name) surface as ArgumentException.
            throw new InsiProtocolException("Response could not be decoded: " + ex.Message, ex);
        }
        finally
        {
            // Close drops the reference to the response buffer; a reader that failed is not reused.
            cache.Release(keep: ok);
        }
    }

    private static InsiResponse ReadEnvelope(XmlDictionaryReader r)
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

    private static InsiResponse ReadBody(XmlDictionaryReader r)
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

    private static InsiSearchResult ReadResultat(XmlDictionaryReader r)
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
                    if (r.IsLocalName("CodeCR"))
                    {
                        code = ReadText(r);
                    }
                    else if (r.IsLocalName("LibelleCR"))
                    {
                        label = ReadText(r);
                    }
                    else
                    {
                        r.Skip();
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

    private static InsiIndividual ReadIndividu(XmlDictionaryReader r, ref List<InsiWarning>? warnings)
    {
        InsiIns? active = null;
        List<InsiIns>? history = null;
        InsiReturnedTraits? traits = null;
        var depth = Enter(r);
        while (NextChild(r, depth))
        {
            if (r.IsLocalName("INSACTIF"))
            {
                active = ReadIns(r, "INSACTIF", ref warnings);
            }
            else if (r.IsLocalName("INSHISTO"))
            {
                history ??= [];
                history.Add(ReadIns(r, null, ref warnings, history.Count + 1));
            }
            else if (r.IsLocalName("TIQ"))
            {
                traits = ReadTiq(r);
            }
            else
            {
                r.Skip();
            }
        }

        if (active is null)
        {
            throw new InsiProtocolException("INDIVIDU has no INSACTIF.");
        }

        return new InsiIndividual(active, (IReadOnlyList<InsiIns>?)history ?? [], traits ?? new InsiReturnedTraits(null, null, null, null, null, null));
    }

    private static InsiIns ReadIns(XmlDictionaryReader r, string? path, ref List<InsiWarning>? warnings, int historyIndex = 0)
    {
        string? num = null, key = null, type = null, oid = null, from = null, to = null;
        var depth = Enter(r);
        while (NextChild(r, depth))
        {
            if (r.IsLocalName("IdIndividu"))
            {
                var idDepth = Enter(r);
                while (NextChild(r, idDepth))
                {
                    if (r.IsLocalName("NumIdentifiant"))
                    {
                        num = ReadText(r);
                    }
                    else if (r.IsLocalName("Cle"))
                    {
                        key = ReadText(r);
                    }
                    else if (r.IsLocalName("TypeMatricule"))
                    {
                        type = ReadText(r);
                    }
                    else
                    {
                        r.Skip();
                    }
                }
            }
            else if (r.IsLocalName("OID"))
            {
                oid = ReadText(r);
            }
            else if (r.IsLocalName("DateDeb"))
            {
                from = ReadText(r);
            }
            else if (r.IsLocalName("DateFin"))
            {
                to = ReadText(r);
            }
            else
            {
                r.Skip();
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

    private static InsiReturnedTraits ReadTiq(XmlDictionaryReader r)
    {
        string? name = null, first = null, list = null, sex = null, date = null, place = null;
        var depth = Enter(r);
        while (NextChild(r, depth))
        {
            if (r.IsLocalName("NomNaissance"))
            {
                name = ReadText(r);
            }
            else if (r.IsLocalName("Prenom"))
            {
                first = ReadText(r);
            }
            else if (r.IsLocalName("ListePrenom"))
            {
                list = ReadText(r);
            }
            else if (r.IsLocalName("Sexe"))
            {
                sex = ReadText(r);
            }
            else if (r.IsLocalName("DateNaissance"))
            {
                date = ReadText(r);
            }
            else if (r.IsLocalName("LieuNaissance"))
            {
                place = ReadText(r);
            }
            else
            {
                r.Skip();
            }
        }

        return new InsiReturnedTraits(name, first, list, sex, date, place);
    }

    private static InsiFault ReadFault(XmlDictionaryReader r)
    {
        string? code = null, subcode = null, reason = null, errCode = null, severity = null, errText = null, messageId = null;
        var depth = Enter(r);
        while (NextChild(r, depth))
        {
            if (!r.IsNamespaceUri(InsiNamespaces.Soap12))
            {
                r.Skip();
                continue;
            }

            var part = r.IsLocalName("Code") ? FaultPart.Code : r.IsLocalName("Reason") ? FaultPart.Reason : r.IsLocalName("Detail") ? FaultPart.Detail : FaultPart.Other;
            switch (part)
            {
                case FaultPart.Code:
                    var codeDepth = Enter(r);
                    while (NextChild(r, codeDepth))
                    {
                        if (r.IsLocalName("Value"))
                        {
                            code = StripPrefix(ReadText(r));
                        }
                        else if (r.IsLocalName("Subcode"))
                        {
                            var subDepth = Enter(r);
                            while (NextChild(r, subDepth))
                            {
                                if (r.IsLocalName("Value") && subcode is null)
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
                case FaultPart.Reason:
                    var reasonDepth = Enter(r);
                    while (NextChild(r, reasonDepth))
                    {
                        if (r.IsLocalName("Text") && reason is null)
                        {
                            reason = ReadText(r);
                        }
                        else
                        {
                            r.Skip();
                        }
                    }

                    break;
                case FaultPart.Detail:
                    var detailDepth = Enter(r);
                    while (NextChild(r, detailDepth))
                    {
                        if (r.IsLocalName("Erreur") && errCode is null)
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

    private enum FaultPart
    {
        Other,
        Code,
        Reason,
        Detail,
    }

    private static string StripPrefix(string value)
    {
        var colon = value.IndexOf(':', StringComparison.Ordinal);
        return colon >= 0 ? value[(colon + 1)..] : value;
    }

    /// <summary>Moves into the children of the current element; returns the depth for <see cref="NextChild"/> (-1 when empty).</summary>
    private static int Enter(XmlDictionaryReader r)
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
    private static bool NextChild(XmlDictionaryReader r, int depth)
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
    private static string ReadText(XmlDictionaryReader r)
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

    // Byte comparisons on the reader's buffer: no name string is materialised.
    private static bool Is(XmlDictionaryReader r, string localName, string ns) => r.IsLocalName(localName) && r.IsNamespaceUri(ns);

    /// <summary>One reusable reader per thread, re-armed for each response.</summary>
    private sealed class ReaderCache
    {
        private XmlDictionaryReader? _reader;
        private XmlDictionaryReaderQuotas? _quotas;
        private int _quotasMax;

        public byte[] Small { get; } = new byte[SmallDocument + 1];

        public XmlDictionaryReader Arm(byte[] buffer, int offset, int count, int maxBytes)
        {
            if (_quotas is null || _quotasMax != maxBytes)
            {
                _quotas = new XmlDictionaryReaderQuotas
                {
                    MaxDepth = MaxDepth,
                    MaxStringContentLength = Math.Max(maxBytes, 1),
                    MaxArrayLength = Math.Max(maxBytes, 1),
                    MaxBytesPerRead = Math.Max(maxBytes, 4096),
                    MaxNameTableCharCount = 16384,
                };
                _quotasMax = maxBytes;
            }

            if (_reader is null)
            {
                _reader = XmlDictionaryReader.CreateTextReader(buffer, offset, count, encoding: null, _quotas, onClose: null);
            }
            else
            {
                ((IXmlTextReaderInitializer)_reader).SetInput(buffer, offset, count, encoding: null, _quotas, onClose: null);
            }

            return _reader;
        }

        public void Release(bool keep)
        {
            var reader = _reader;
            if (reader is null)
            {
                return;
            }

            try
            {
                reader.Close();
            }
            catch (XmlException)
            {
                keep = false;
            }

            if (!keep)
            {
                _reader = null;
            }
        }
    }
}
