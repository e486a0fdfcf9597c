using System.Globalization;
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

    /// <summary>Parses a response held in memory.</summary>
    /// <exception cref="InsiProtocolException">Not a well-formed INSi response, or larger than <paramref name="maxBytes"/>.</exception>
    public static InsiResponse Read(ReadOnlySpan<byte> xml, int maxBytes = DefaultMaxBytes)
    {
        if (xml.Length > maxBytes)
        {
            throw new InsiProtocolException($"Response of {xml.Length} bytes exceeds the {maxBytes}-byte limit.");
        }

        // XmlReader needs a Stream; copy into a pooled buffer rather than a fresh array.
        var rented = System.Buffers.ArrayPool<byte>.Shared.Rent(Math.Max(xml.Length, 1));
        try
        {
            xml.CopyTo(rented);
            using var ms = new MemoryStream(rented, 0, xml.Length, writable: false);
            return Read(ms, maxBytes);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Parses a response from a stream, reading at most <paramref name="maxBytes"/> bytes.</summary>
    /// <exception cref="InsiProtocolException">Not a well-formed INSi response, or larger than <paramref name="maxBytes"/>.</exception>
    public static InsiResponse Read(Stream stream, int maxBytes = DefaultMaxBytes)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            IgnoreComments = true,
            IgnoreProcessingInstructions = true,
            IgnoreWhitespace = true,
            MaxCharactersInDocument = maxBytes,
            MaxCharactersFromEntities = 0,
            CloseInput = false,
        };
        try
        {
            using var reader = XmlReader.Create(stream, settings);
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

        var depth = r.Depth;
        r.Read();
        while (Next(r, depth))
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

        var depth = r.Depth;
        r.Read();
        while (Next(r, depth))
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
        var warnings = new List<InsiWarning>();
        if (!r.IsEmptyElement)
        {
            var depth = r.Depth;
            r.Read();
            while (Next(r, depth))
            {
                if (Is(r, "CR", InsiNamespaces.Resultat))
                {
                    ForEachChild(r, c =>
                    {
                        if (c.LocalName == "CodeCR")
                        {
                            code = ReadText(c);
                        }
                        else if (c.LocalName == "LibelleCR")
                        {
                            label = ReadText(c);
                        }
                        else
                        {
                            c.Skip();
                        }
                    });
                }
                else if (Is(r, "INDIVIDU", InsiNamespaces.Resultat))
                {
                    individual = ReadIndividu(r, warnings);
                }
                else
                {
                    r.Skip();
                }
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

        return new InsiSearchResult(code, label ?? string.Empty, individual, warnings);
    }

    private static InsiIndividual ReadIndividu(XmlReader r, List<InsiWarning> warnings)
    {
        InsiIns? active = null;
        var history = new List<InsiIns>();
        InsiReturnedTraits? traits = null;
        ForEachChild(r, c =>
        {
            switch (c.LocalName)
            {
                case "INSACTIF":
                    active = ReadIns(c, "INSACTIF", warnings);
                    break;
                case "INSHISTO":
                    history.Add(ReadIns(c, $"INSHISTO[{history.Count + 1}]", warnings));
                    break;
                case "TIQ":
                    traits = ReadTiq(c);
                    break;
                default:
                    c.Skip();
                    break;
            }
        });
        if (active is null)
        {
            throw new InsiProtocolException("INDIVIDU has no INSACTIF.");
        }

        return new InsiIndividual(active, history, traits ?? new InsiReturnedTraits(null, null, null, null, null, null));
    }

    private static InsiIns ReadIns(XmlReader r, string path, List<InsiWarning> warnings)
    {
        string? num = null, key = null, type = null, oid = null, from = null, to = null;
        ForEachChild(r, c =>
        {
            switch (c.LocalName)
            {
                case "IdIndividu":
                    ForEachChild(c, d =>
                    {
                        switch (d.LocalName)
                        {
                            case "NumIdentifiant": num = ReadText(d); break;
                            case "Cle": key = ReadText(d); break;
                            case "TypeMatricule": type = ReadText(d); break;
                            default: d.Skip(); break;
                        }
                    });
                    break;
                case "OID": oid = ReadText(c); break;
                case "DateDeb": from = ReadText(c); break;
                case "DateFin": to = ReadText(c); break;
                default: c.Skip(); break;
            }
        });
        if (string.IsNullOrEmpty(num))
        {
            throw new InsiProtocolException($"{path} has no IdIndividu/NumIdentifiant.");
        }

        if (string.IsNullOrEmpty(oid))
        {
            throw new InsiProtocolException($"{path} has no OID.");
        }

        InsMatricule? matricule = null;
        if (InsMatricule.TryFromParts(num, key, out var m, out var error))
        {
            matricule = m;
        }
        else
        {
            warnings.Add(error?.Kind == InsMatriculeErrorKind.WrongKey
                ? new InsiWarning("WrongKey", path, $"Key {key} does not match the number (expected {error.ExpectedKey}); matricule not trusted.")
                : new InsiWarning("BadMatricule", path, $"Matricule not valid ({error?.Message}); not trusted."));
        }

        return new InsiIns(num, key, oid, ParseDate(from, path + "/DateDeb", warnings), ParseDate(to, path + "/DateFin", warnings), type, matricule);
    }

    private static DateOnly? ParseDate(string? value, string path, List<InsiWarning> warnings)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        if (DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
        {
            return d;
        }

        warnings.Add(new InsiWarning("BadDate", path, "Not a YYYY-MM-DD date; ignored."));
        return null;
    }

    private static InsiReturnedTraits ReadTiq(XmlReader r)
    {
        string? name = null, first = null, list = null, sex = null, date = null, place = null;
        ForEachChild(r, c =>
        {
            switch (c.LocalName)
            {
                case "NomNaissance": name = ReadText(c); break;
                case "Prenom": first = ReadText(c); break;
                case "ListePrenom": list = ReadText(c); break;
                case "Sexe": sex = ReadText(c); break;
                case "DateNaissance": date = ReadText(c); break;
                case "LieuNaissance": place = ReadText(c); break;
                default: c.Skip(); break;
            }
        });
        return new InsiReturnedTraits(name, first, list, sex, date, place);
    }

    private static InsiFault ReadFault(XmlReader r)
    {
        string? code = null, subcode = null, reason = null, errCode = null, severity = null, errText = null, messageId = null;
        ForEachChild(r, c =>
        {
            if (c.NamespaceURI != InsiNamespaces.Soap12)
            {
                c.Skip();
                return;
            }

            switch (c.LocalName)
            {
                case "Code":
                    ForEachChild(c, d =>
                    {
                        if (d.LocalName == "Value")
                        {
                            code = StripPrefix(ReadText(d));
                        }
                        else if (d.LocalName == "Subcode")
                        {
                            ForEachChild(d, e =>
                            {
                                if (e.LocalName == "Value" && subcode is null)
                                {
                                    subcode = StripPrefix(ReadText(e));
                                }
                                else
                                {
                                    e.Skip();
                                }
                            });
                        }
                        else
                        {
                            d.Skip();
                        }
                    });
                    break;
                case "Reason":
                    ForEachChild(c, d =>
                    {
                        if (d.LocalName == "Text" && reason is null)
                        {
                            reason = ReadText(d);
                        }
                        else
                        {
                            d.Skip();
                        }
                    });
                    break;
                case "Detail":
                    ForEachChild(c, d =>
                    {
                        if (d.LocalName == "Erreur" && errCode is null)
                        {
                            errCode = d.GetAttribute("code");
                            severity = d.GetAttribute("severite");
                            messageId = d.GetAttribute("messageID");
                            errText = ReadText(d);
                        }
                        else
                        {
                            d.Skip();
                        }
                    });
                    break;
                default:
                    c.Skip();
                    break;
            }
        });
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

    /// <summary>Calls <paramref name="onChild"/> for each child element; the callback must consume the element.</summary>
    private static void ForEachChild(XmlReader r, Action<XmlReader> onChild)
    {
        if (r.IsEmptyElement)
        {
            r.Read();
            return;
        }

        var depth = r.Depth;
        r.Read();
        while (Next(r, depth))
        {
            onChild(r);
        }

        // Positioned on the parent's end tag: step past it.
        r.Read();
    }

    /// <summary>Advances to the next child element of the element at <paramref name="parentDepth"/>; false at its end.</summary>
    private static bool Next(XmlReader r, int parentDepth)
    {
        while (true)
        {
            if (r.EOF)
            {
                throw new InsiProtocolException("Unexpected end of response.");
            }

            if (r.Depth <= parentDepth)
            {
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
}
