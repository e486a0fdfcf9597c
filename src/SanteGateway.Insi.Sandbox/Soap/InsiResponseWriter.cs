using System.Text;
using System.Xml;
using SanteGateway.Insi.Sandbox.Data;

namespace SanteGateway.Insi.Sandbox.Soap;

/// <summary>
/// Writes INSi answers byte for byte as the live service does (compared with <c>shared/data/insi/recorded</c>): the
/// declaration <c>&lt;?xml version="1.0" encoding="UTF-8"?&gt;</c> followed by one line feed, then the envelope on one
/// line without trailing line break; <c>soap:Envelope/env:Body</c> where the body declares <c>xmlns:S</c> then
/// <c>xmlns:env</c>; <c>RESULTAT</c> declaring <c>xmlns</c> first, then <c>ns0</c> and <c>ns1</c>; <c>ListePrenom</c> and
/// no <c>Prenom</c> in <c>TIQ</c>. Written by hand rather than with <see cref="XmlWriter"/>, which decides declaration
/// spelling and namespace-declaration order itself.
/// </summary>
internal static class InsiResponseWriter
{
    /// <summary>XML declaration and line feed that open every live answer.</summary>
    public const string Declaration = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

    private const string EnvelopeStart = "<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\">";
    private const string ResultBodyStart = "<env:Body xmlns:S=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:env=\"http://www.w3.org/2003/05/soap-envelope\">";
    private const string CurrentFaultBodyStart = "<env:Body xmlns:env=\"http://www.w3.org/2003/05/soap-envelope\">";
    private const string End = "</env:Body></soap:Envelope>";

    private static readonly UTF8Encoding Utf8 = new(false);

    public static byte[] Result(string codeCr, SandboxPerson? person)
    {
        var sb = new StringBuilder(person is null ? 512 : 1024);
        sb.Append(Declaration).Append(EnvelopeStart).Append(ResultBodyStart)
            .Append("<RESULTAT xmlns=\"http://www.cnamts.fr/INSiResultat\" xmlns:ns0=\"http://www.cnamts.fr/INSiRecVit\" xmlns:ns1=\"http://www.cnamts.fr/INSiRecSans\">")
            .Append("<CR>");
        Element(sb, "CodeCR", codeCr);
        Element(sb, "LibelleCR", Libelle(codeCr));
        sb.Append("</CR>");
        if (person is not null)
        {
            sb.Append("<INDIVIDU>");
            WriteIns(sb, "INSACTIF", person.Ins);
            foreach (var histo in person.History)
            {
                WriteIns(sb, "INSHISTO", histo);
            }

            sb.Append("<TIQ>");
            Element(sb, "NomNaissance", person.BirthName);
            Element(sb, "ListePrenom", person.FirstNamesJoined);
            Element(sb, "Sexe", person.Sex.ToString());
            Element(sb, "DateNaissance", person.BirthDate);
            if (person.BirthPlace is not null)
            {
                Element(sb, "LieuNaissance", person.BirthPlace);
            }

            sb.Append("</TIQ></INDIVIDU>");
        }

        sb.Append("</RESULTAT>").Append(End);
        return Utf8.GetBytes(sb.ToString());
    }

    public static byte[] Fault(SandboxFault fault, string? messageId, SandboxFaultLayout layout = SandboxFaultLayout.Current)
    {
        var p = layout == SandboxFaultLayout.Current ? "soap" : "S";
        var sb = new StringBuilder(1024);
        sb.Append(Declaration).Append(EnvelopeStart)
            .Append(layout == SandboxFaultLayout.Current ? CurrentFaultBodyStart : ResultBodyStart)
            .Append('<').Append(p).Append(":Fault")
            .Append(layout == SandboxFaultLayout.Current ? string.Empty : " xmlns:ns4=\"http://schemas.xmlsoap.org/soap/envelope/\"")
            .Append('>');
        sb.Append('<').Append(p).Append(":Code>");
        Element(sb, p + ":Value", p + ":" + fault.Code);
        if (fault.Subcode is not null)
        {
            sb.Append('<').Append(p).Append(":Subcode>");
            Element(sb, p + ":Value", p + ":" + fault.Subcode);
            sb.Append("</").Append(p).Append(":Subcode>");
        }

        sb.Append("</").Append(p).Append(":Code>");
        sb.Append('<').Append(p).Append(":Reason><").Append(p).Append(":Text xml:lang=\"")
            .Append(layout == SandboxFaultLayout.Current ? "fr" : "en").Append("\">");
        Text(sb, fault.Reason);
        sb.Append("</").Append(p).Append(":Text></").Append(p).Append(":Reason>");
        sb.Append('<').Append(p).Append(":Detail><siram:Erreur code=\"");
        Attribute(sb, fault.ErreurCode);
        sb.Append('"');
        if (!string.IsNullOrEmpty(messageId))
        {
            sb.Append(" messageID=\"");
            Attribute(sb, Printable(messageId));
            sb.Append('"');
        }

        sb.Append(" severite=\"");
        Attribute(sb, fault.Severite);
        sb.Append("\" xmlns:siram=\"urn:siram\">");
        Text(sb, Printable(fault.Detail));
        sb.Append("</siram:Erreur></").Append(p).Append(":Detail></").Append(p).Append(":Fault>").Append(End);
        return Utf8.GetBytes(sb.ToString());
    }

    /// <summary>Wraps a bare scripted element (its exact XML text) in the live envelope.</summary>
    public static byte[] Wrap(string elementXml, bool isFault, SandboxFaultLayout layout)
    {
        var bodyStart = isFault && layout == SandboxFaultLayout.Current ? CurrentFaultBodyStart : ResultBodyStart;
        return Utf8.GetBytes(string.Concat(Declaration, EnvelopeStart, bodyStart, elementXml, End));
    }

    /// <summary>XML-escapes <paramref name="value"/> for use in text content (what a substitution in recorded bytes needs).</summary>
    public static string EscapeText(string value)
    {
        var sb = new StringBuilder(value.Length);
        Text(sb, value);
        return sb.ToString();
    }

    /// <summary>Exact <c>LibelleCR</c> of the live service (no accents).</summary>
    public static string Libelle(string codeCr) => codeCr switch
    {
        "00" => "OK",
        "01" => "Aucune identite trouvee",
        "02" => "Plusieurs identites trouvees",
        _ => throw new ArgumentOutOfRangeException(nameof(codeCr), codeCr, "INSi only answers CR 00, 01 or 02."),
    };

    /// <summary>
    /// Fault details may quote hostile input: keep them writable (no character XML 1.0 forbids) and short.
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

    private static void Element(StringBuilder sb, string name, string value)
    {
        sb.Append('<').Append(name).Append('>');
        Text(sb, value);
        sb.Append("</").Append(name).Append('>');
    }

    /// <summary>Escapes like the live service: apostrophes and quotes stay literal in text.</summary>
    private static void Text(StringBuilder sb, string value)
    {
        foreach (var c in value)
        {
            _ = c switch
            {
                '&' => sb.Append("&amp;"),
                '<' => sb.Append("&lt;"),
                '>' => sb.Append("&gt;"),
                '\r' => sb.Append("&#xD;"),
                _ => sb.Append(c),
            };
        }
    }

    private static void Attribute(StringBuilder sb, string value)
    {
        foreach (var c in value)
        {
            _ = c switch
            {
                '&' => sb.Append("&amp;"),
                '<' => sb.Append("&lt;"),
                '>' => sb.Append("&gt;"),
                '"' => sb.Append("&quot;"),
                '\r' => sb.Append("&#xD;"),
                '\n' => sb.Append("&#xA;"),
                '\t' => sb.Append("&#x9;"),
                _ => sb.Append(c),
            };
        }
    }

    private static void WriteIns(StringBuilder sb, string element, SandboxIns ins)
    {
        sb.Append('<').Append(element).Append("><IdIndividu>");
        Element(sb, "NumIdentifiant", ins.NumIdentifiant);
        Element(sb, "Cle", ins.Cle);
        sb.Append("</IdIndividu>");
        Element(sb, "OID", ins.Oid);
        if (ins.DateDeb is not null)
        {
            Element(sb, "DateDeb", ins.DateDeb);
        }

        if (ins.DateFin is not null)
        {
            Element(sb, "DateFin", ins.DateFin);
        }

        sb.Append("</").Append(element).Append('>');
    }
}
