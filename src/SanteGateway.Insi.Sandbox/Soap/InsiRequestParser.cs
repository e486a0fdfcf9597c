using System.Globalization;
using System.Xml;

namespace SanteGateway.Insi.Sandbox.Soap;

/// <summary>Which INSi operation a request asks for.</summary>
internal enum InsiOperation
{
    Unknown,
    SearchByTraits,
    SearchWithVitale,
}

/// <summary>What the sandbox reads from a request (header blocks and body), before any business rule.</summary>
internal sealed class InsiRequest
{
    public string? Action { get; set; }

    public string? MessageId { get; set; }

    public bool HasContexteLps { get; set; }

    public bool HasContexteBam { get; set; }

    public string? Idam { get; set; }

    /// <summary>ContexteLPS/Id, ContexteLPS/Temps, ContexteBAM/Id, ContexteBAM/Temps as sent (replay substitutes them).</summary>
    public string? LpsId { get; set; }

    public string? LpsTime { get; set; }

    public string? BamId { get; set; }

    public string? BamTime { get; set; }

    public bool HasSecurity { get; set; }

    /// <summary>First problem met in a context header (the fault detail), or null.</summary>
    public string? ContextError { get; set; }

    public InsiOperation BodyOperation { get; set; }

    public string? BodyElement { get; set; }

    // RECSANSVITALE
    public string? BirthName { get; set; }

    public List<string> FirstNames { get; } = [];

    public string? Sex { get; set; }

    public string? BirthDate { get; set; }

    public string? BirthPlace { get; set; }

    // RECVITALE
    public string? BeneficiaryNir { get; set; }

    public string? InsuredNir { get; set; }

    public string? Rank { get; set; }

    /// <summary>First problem met in the body (the fault detail), or null.</summary>
    public string? BodyError { get; set; }
}

/// <summary>Thrown by the parser with the fault to answer.</summary>
internal sealed class SandboxFaultException(SandboxFault fault, string? messageId = null) : Exception(fault.Detail)
{
    public SandboxFault Fault { get; } = fault;

    public string? MessageId { get; } = messageId;
}

/// <summary>
/// Streaming, namespace-aware, prefix-agnostic reader of INSi requests (no DTD, no resolver, size-limited).
/// Unknown header blocks are skipped unless marked <c>mustUnderstand</c>; unknown body children are refused.
/// </summary>
internal static class InsiRequestParser
{
    private const string Soap11 = "http://schemas.xmlsoap.org/soap/envelope/";

    public static XmlReaderSettings Settings(int maxBytes) => new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        MaxCharactersInDocument = maxBytes,
        MaxCharactersFromEntities = 0,
        CloseInput = false,
    };

    public static InsiRequest Parse(Stream body, int maxBytes)
    {
        var request = new InsiRequest();
        try
        {
            using var reader = XmlReader.Create(body, Settings(maxBytes));
            reader.MoveToContent();
            if (reader.NodeType != XmlNodeType.Element || reader.LocalName != "Envelope")
            {
                throw Fault(SandboxFaults.InvalidMessage("L'élément racine doit être soap:Envelope."));
            }

            if (reader.NamespaceURI == Soap11)
            {
                throw Fault(SandboxFaults.VersionMismatch("Enveloppe SOAP 1.1 reçue ; le service INSi n'accepte que SOAP 1.2.", 500));
            }

            if (reader.NamespaceURI != InsiNamespaces.Soap12)
            {
                throw Fault(SandboxFaults.VersionMismatch($"Espace de noms d'enveloppe inconnu : {reader.NamespaceURI}.", 500));
            }

            var sawBody = false;
            ForEachChild(reader, r =>
            {
                if (r.NamespaceURI == InsiNamespaces.Soap12 && r.LocalName == "Header" && !sawBody)
                {
                    ForEachChild(r, h => ReadHeaderBlock(h, request));
                }
                else if (r.NamespaceURI == InsiNamespaces.Soap12 && r.LocalName == "Body" && !sawBody)
                {
                    sawBody = true;
                    ReadBody(r, request);
                }
                else
                {
                    throw Fault(SandboxFaults.InvalidMessage($"Élément inattendu dans l'enveloppe : {r.LocalName}."), request.MessageId);
                }
            });

            if (!sawBody)
            {
                throw Fault(SandboxFaults.InvalidMessage("L'enveloppe n'a pas de soap:Body."), request.MessageId);
            }
        }
        catch (XmlException ex)
        {
            // Position only: exception texts never reach a fault (they are .NET internals, and may quote the input).
            throw Fault(SandboxFaults.InvalidMessage(string.Create(CultureInfo.InvariantCulture, $"XML illisible (ligne {ex.LineNumber}, position {ex.LinePosition}).")), request.MessageId);
        }

        return request;
    }

    private static void ReadHeaderBlock(XmlReader r, InsiRequest request)
    {
        switch (r.NamespaceURI, r.LocalName)
        {
            case (InsiNamespaces.Addressing, "Action"):
                request.Action = ReadText(r).Trim();
                break;
            case (InsiNamespaces.Addressing, "MessageID"):
                request.MessageId = ReadText(r).Trim();
                break;
            case (InsiNamespaces.ContexteLps, "ContexteLPS"):
                request.HasContexteLps = true;
                ReadContexteLps(r, request);
                break;
            case (InsiNamespaces.ContexteBam, "ContexteBAM"):
                request.HasContexteBam = true;
                ReadContexteBam(r, request);
                break;
            case (InsiNamespaces.WsSecurity, "Security"):
                // The assertion is verified on a DOM copy in CPx mode (signature needs the exact nodes); here only note it.
                request.HasSecurity = true;
                r.Skip();
                break;
            default:
                var mustUnderstand = r.GetAttribute("mustUnderstand", InsiNamespaces.Soap12);
                if (mustUnderstand is "true" or "1")
                {
                    throw Fault(SandboxFaults.MustUnderstand($"En-tête non compris : {{{r.NamespaceURI}}}{r.LocalName}."), request.MessageId);
                }

                r.Skip();
                break;
        }
    }

    private static void ReadContexteLps(XmlReader r, InsiRequest request)
    {
        var version = r.GetAttribute("Version");
        var nature = r.GetAttribute("Nature");
        if (version != "01_00")
        {
            request.ContextError ??= $"ContexteLPS : l'attribut Version doit valoir 01_00 (reçu : {version ?? "absent"}).";
        }

        if (nature is not null and not "CTXLPS")
        {
            request.ContextError ??= $"ContexteLPS : l'attribut Nature doit valoir CTXLPS (reçu : {nature}).";
        }

        string? id = null;
        string? temps = null;
        ForEachChild(r, c =>
        {
            if (c.NamespaceURI != InsiNamespaces.ContexteLps)
            {
                request.ContextError ??= $"ContexteLPS : élément inattendu {c.LocalName}.";
                c.Skip();
                return;
            }

            switch (c.LocalName)
            {
                case "Id": id = ReadText(c); break;
                case "Temps": temps = ReadText(c); break;
                case "Emetteur": ReadText(c); break;
                case "LPS":
                    ForEachChild(c, l =>
                    {
                        if (l.NamespaceURI == InsiNamespaces.ContexteLps && l.LocalName == "IDAM")
                        {
                            request.Idam = ReadText(l).Trim();
                        }
                        else
                        {
                            l.Skip();
                        }
                    });
                    break;
                default:
                    request.ContextError ??= $"ContexteLPS : élément inattendu {c.LocalName}.";
                    c.Skip();
                    break;
            }
        });
        request.LpsId = id;
        request.LpsTime = temps;
        CheckIdAndTime("ContexteLPS", id, temps, request);
    }

    private static void ReadContexteBam(XmlReader r, InsiRequest request)
    {
        var version = r.GetAttribute("Version");
        if (string.IsNullOrEmpty(version))
        {
            request.ContextError ??= "ContexteBAM : l'attribut Version est obligatoire.";
        }

        string? id = null;
        string? temps = null;
        var couverture = false;
        ForEachChild(r, c =>
        {
            if (c.NamespaceURI != InsiNamespaces.ContexteBam)
            {
                request.ContextError ??= $"ContexteBAM : élément inattendu {c.LocalName}.";
                c.Skip();
                return;
            }

            switch (c.LocalName)
            {
                case "Id": id = ReadText(c); break;
                case "Temps": temps = ReadText(c); break;
                case "COUVERTURE": couverture = true; c.Skip(); break;
                default: c.Skip(); break;
            }
        });
        request.BamId = id;
        request.BamTime = temps;
        CheckIdAndTime("ContexteBAM", id, temps, request);
        if (!couverture)
        {
            request.ContextError ??= "ContexteBAM : l'élément COUVERTURE est obligatoire.";
        }
    }

    private static void CheckIdAndTime(string block, string? id, string? temps, InsiRequest request)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            request.ContextError ??= $"{block} : l'élément Id est obligatoire.";
        }

        if (string.IsNullOrWhiteSpace(temps))
        {
            request.ContextError ??= $"{block} : l'élément Temps est obligatoire.";
        }
        else
        {
            try
            {
                XmlConvert.ToDateTimeOffset(temps.Trim());
            }
            catch (FormatException)
            {
                request.ContextError ??= $"{block} : Temps n'est pas un xsd:dateTime.";
            }
        }
    }

    private static void ReadBody(XmlReader r, InsiRequest request)
    {
        var seen = false;
        ForEachChild(r, b =>
        {
            if (seen)
            {
                request.BodyError ??= "Le soap:Body ne doit contenir qu'un élément.";
                b.Skip();
                return;
            }

            seen = true;
            request.BodyElement = $"{{{b.NamespaceURI}}}{b.LocalName}";
            switch (b.NamespaceURI, b.LocalName)
            {
                case (InsiNamespaces.RecSans, "RECSANSVITALE"):
                    request.BodyOperation = InsiOperation.SearchByTraits;
                    ReadRecSans(b, request);
                    break;
                case (InsiNamespaces.RecVit, "RECVITALE"):
                    request.BodyOperation = InsiOperation.SearchWithVitale;
                    ReadRecVit(b, request);
                    break;
                default:
                    request.BodyOperation = InsiOperation.Unknown;
                    b.Skip();
                    break;
            }
        });
    }

    private static void ReadRecSans(XmlReader r, InsiRequest request)
    {
        // XSD order: NomNaissance, Prenom*, Sexe, DateNaissance, LieuNaissance.
        var last = -1;
        ForEachChild(r, c =>
        {
            var position = c.NamespaceURI != InsiNamespaces.RecSans ? -1 : c.LocalName switch
            {
                "NomNaissance" => 0,
                "Prenom" => 1,
                "Sexe" => 2,
                "DateNaissance" => 3,
                "LieuNaissance" => 4,
                _ => -1,
            };
            if (position < 0)
            {
                request.BodyError ??= $"RECSANSVITALE : élément inattendu {c.LocalName}.";
                c.Skip();
                return;
            }

            if (position < last || (position == last && position != 1))
            {
                request.BodyError ??= $"RECSANSVITALE : élément {c.LocalName} répété ou hors de l'ordre du schéma.";
            }

            last = position;
            var value = ReadText(c);
            switch (position)
            {
                case 0: request.BirthName = value; break;
                case 1: request.FirstNames.Add(value); break;
                case 2: request.Sex = value; break;
                case 3: request.BirthDate = value; break;
                default: request.BirthPlace = value; break;
            }
        });
    }

    private static void ReadRecVit(XmlReader r, InsiRequest request)
    {
        ForEachChild(r, c =>
        {
            if (c.NamespaceURI != InsiNamespaces.RecVit)
            {
                request.BodyError ??= $"RECVITALE : élément inattendu {c.LocalName}.";
                c.Skip();
                return;
            }

            switch (c.LocalName)
            {
                case "MatriculeIndividu":
                    request.BeneficiaryNir = ReadMatricule(c, request);
                    break;
                case "MatriculeOD":
                    request.InsuredNir = ReadMatricule(c, request);
                    break;
                case "NomNaissance": request.BirthName = ReadText(c); break;
                case "DateNaissance": request.BirthDate = ReadText(c); break;
                case "RangNaissance": request.Rank = ReadText(c); break;
                default:
                    request.BodyError ??= $"RECVITALE : élément inattendu {c.LocalName}.";
                    c.Skip();
                    break;
            }
        });
    }

    private static string? ReadMatricule(XmlReader r, InsiRequest request)
    {
        string? num = null;
        ForEachChild(r, m =>
        {
            if (m.NamespaceURI == InsiNamespaces.RecVit && m.LocalName == "NumIdentifiant")
            {
                num = ReadText(m).Trim();
            }
            else if (m.NamespaceURI == InsiNamespaces.RecVit && m.LocalName is "Cle" or "TypeMatricule")
            {
                ReadText(m);
            }
            else
            {
                request.BodyError ??= $"RECVITALE : élément inattendu {m.LocalName} dans un matricule.";
                m.Skip();
            }
        });
        return num;
    }

    /// <summary>Text content of a simple element; the reader ends after the element.</summary>
    private static string ReadText(XmlReader r)
    {
        if (r.IsEmptyElement)
        {
            r.Read();
            return string.Empty;
        }

        return r.ReadElementContentAsString();
    }

    /// <summary>
    /// Calls <paramref name="onChild"/> for each child element (reader on its start tag; the callback must consume it)
    /// and leaves the reader after the parent's end tag. Non-whitespace text beside child elements is refused.
    /// </summary>
    private static void ForEachChild(XmlReader r, Action<XmlReader> onChild)
    {
        if (r.IsEmptyElement)
        {
            r.Read();
            return;
        }

        var depth = r.Depth;
        r.Read();
        while (!r.EOF)
        {
            switch (r.NodeType)
            {
                case XmlNodeType.EndElement when r.Depth == depth:
                    r.Read();
                    return;
                case XmlNodeType.Element:
                    var before = (r.Depth, r.LocalName, r.LineNumberOf());
                    onChild(r);
                    if (r.NodeType == XmlNodeType.Element && (r.Depth, r.LocalName, r.LineNumberOf()) == before && r.ReadState == ReadState.Interactive)
                    {
                        r.Skip(); // defensive: a callback that did not move must not loop forever
                    }

                    break;
                case XmlNodeType.Text or XmlNodeType.CDATA:
                    throw new XmlException("Texte inattendu entre des éléments.");
                default:
                    r.Read();
                    break;
            }
        }
    }

    private static (int Line, int Position) LineNumberOf(this XmlReader r) =>
        r is IXmlLineInfo info ? (info.LineNumber, info.LinePosition) : (0, 0);

    private static SandboxFaultException Fault(SandboxFault fault, string? messageId = null) => new(fault, messageId);

    /// <summary>Parses a rank text, null when absent or not a number.</summary>
    public static int? ParseRank(string? rank) =>
        int.TryParse(rank, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;
}
