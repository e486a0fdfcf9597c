using System.Text;
using System.Xml;
using System.Xml.Linq;
using SanteGateway.Insi.Sandbox.Data;

namespace SanteGateway.Insi.Sandbox.Soap;

/// <summary>
/// Writes INSi answers with the layout of the live service since late 2022:
/// <c>soap:Envelope/env:Body/RESULTAT</c> (default namespace INSiResultat, <c>ns0</c>/<c>ns1</c> declared), no SOAP header,
/// <c>ListePrenom</c> and no <c>Prenom</c> in <c>TIQ</c>; faults in the Oct 2023 layout (<c>soap:</c> prefix, xml:lang fr).
/// </summary>
internal static class InsiResponseWriter
{
    private static readonly XmlWriterSettings WriterSettings = new()
    {
        Encoding = new UTF8Encoding(false),
        Indent = false,
        OmitXmlDeclaration = false,
        CloseOutput = false,
    };

    public static byte[] Result(string codeCr, SandboxPerson? person)
    {
        using var buffer = new MemoryStream(person is null ? 512 : 1024);
        using (var w = Begin(buffer))
        {
            w.WriteStartElement(null, "RESULTAT", InsiNamespaces.Resultat);
            w.WriteAttributeString("xmlns", "ns0", null, InsiNamespaces.RecVit);
            w.WriteAttributeString("xmlns", "ns1", null, InsiNamespaces.RecSans);
            w.WriteStartElement("CR", InsiNamespaces.Resultat);
            w.WriteElementString("CodeCR", InsiNamespaces.Resultat, codeCr);
            w.WriteElementString("LibelleCR", InsiNamespaces.Resultat, Libelle(codeCr));
            w.WriteEndElement();
            if (person is not null)
            {
                w.WriteStartElement("INDIVIDU", InsiNamespaces.Resultat);
                WriteIns(w, "INSACTIF", person.Ins);
                foreach (var histo in person.History)
                {
                    WriteIns(w, "INSHISTO", histo);
                }

                w.WriteStartElement("TIQ", InsiNamespaces.Resultat);
                w.WriteElementString("NomNaissance", InsiNamespaces.Resultat, person.BirthName);
                w.WriteElementString("ListePrenom", InsiNamespaces.Resultat, person.FirstNamesJoined);
                w.WriteElementString("Sexe", InsiNamespaces.Resultat, person.Sex.ToString());
                w.WriteElementString("DateNaissance", InsiNamespaces.Resultat, person.BirthDate);
                if (person.BirthPlace is not null)
                {
                    w.WriteElementString("LieuNaissance", InsiNamespaces.Resultat, person.BirthPlace);
                }

                w.WriteEndElement();
                w.WriteEndElement();
            }

            w.WriteEndElement();
            End(w);
        }

        return buffer.ToArray();
    }

    public static byte[] Fault(SandboxFault fault, string? messageId)
    {
        using var buffer = new MemoryStream(1024);
        using (var w = Begin(buffer))
        {
            const string soap = InsiNamespaces.Soap12;
            w.WriteStartElement("soap", "Fault", soap);
            w.WriteStartElement("soap", "Code", soap);
            w.WriteElementString("soap", "Value", soap, "soap:" + fault.Code);
            if (fault.Subcode is not null)
            {
                w.WriteStartElement("soap", "Subcode", soap);
                w.WriteElementString("soap", "Value", soap, "soap:" + fault.Subcode);
                w.WriteEndElement();
            }

            w.WriteEndElement();
            w.WriteStartElement("soap", "Reason", soap);
            w.WriteStartElement("soap", "Text", soap);
            w.WriteAttributeString("xml", "lang", null, "fr");
            w.WriteString(fault.Reason);
            w.WriteEndElement();
            w.WriteEndElement();
            w.WriteStartElement("soap", "Detail", soap);
            w.WriteStartElement("siram", "Erreur", InsiNamespaces.Siram);
            w.WriteAttributeString("code", fault.ErreurCode);
            if (!string.IsNullOrEmpty(messageId))
            {
                w.WriteAttributeString("messageID", Printable(messageId));
            }

            w.WriteAttributeString("severite", fault.Severite);
            w.WriteString(Printable(fault.Detail));
            w.WriteEndElement();
            w.WriteEndElement();
            w.WriteEndElement();
            End(w);
        }

        return buffer.ToArray();
    }

    /// <summary>Replays a scripted body element (RESULTAT or Fault) inside the standard envelope.</summary>
    public static byte[] Replay(XElement bodyContent)
    {
        using var buffer = new MemoryStream(2048);
        using (var w = Begin(buffer))
        {
            bodyContent.WriteTo(w);
            End(w);
        }

        return buffer.ToArray();
    }

    /// <summary>
    /// Fault details may quote parser messages about hostile input: keep them writable (no character XML 1.0 forbids)
    /// and short.
    /// </summary>
    private static string Printable(string text)
    {
        const int max = 300;
        var builder = new StringBuilder(Math.Min(text.Length, max));
        foreach (var c in text)
        {
            if (builder.Length == max)
            {
                builder.Append('…');
                break;
            }

            builder.Append(XmlConvert.IsXmlChar(c) ? c : '?');
        }

        return builder.ToString();
    }

    /// <summary>Exact <c>LibelleCR</c> of the live service (no accents).</summary>
    public static string Libelle(string codeCr) => codeCr switch
    {
        "00" => "OK",
        "01" => "Aucune identite trouvee",
        "02" => "Plusieurs identites trouvees",
        _ => throw new ArgumentOutOfRangeException(nameof(codeCr), codeCr, "INSi only answers CR 00, 01 or 02."),
    };

    private static XmlWriter Begin(Stream buffer)
    {
        var w = XmlWriter.Create(buffer, WriterSettings);
        w.WriteStartDocument();
        w.WriteStartElement("soap", "Envelope", InsiNamespaces.Soap12);
        w.WriteStartElement("env", "Body", InsiNamespaces.Soap12);
        w.WriteAttributeString("xmlns", "S", null, InsiNamespaces.Soap12);
        return w;
    }

    private static void End(XmlWriter w)
    {
        w.WriteEndElement();
        w.WriteEndElement();
        w.WriteEndDocument();
        w.Flush();
    }

    private static void WriteIns(XmlWriter w, string element, SandboxIns ins)
    {
        w.WriteStartElement(element, InsiNamespaces.Resultat);
        w.WriteStartElement("IdIndividu", InsiNamespaces.Resultat);
        w.WriteElementString("NumIdentifiant", InsiNamespaces.Resultat, ins.NumIdentifiant);
        w.WriteElementString("Cle", InsiNamespaces.Resultat, ins.Cle);
        w.WriteEndElement();
        w.WriteElementString("OID", InsiNamespaces.Resultat, ins.Oid);
        if (ins.DateDeb is not null)
        {
            w.WriteElementString("DateDeb", InsiNamespaces.Resultat, ins.DateDeb);
        }

        if (ins.DateFin is not null)
        {
            w.WriteElementString("DateFin", InsiNamespaces.Resultat, ins.DateFin);
        }

        w.WriteEndElement();
    }
}
