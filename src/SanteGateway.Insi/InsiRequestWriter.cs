using System.Globalization;
using System.Text;
using System.Xml;

namespace SanteGateway.Insi;

/// <summary>
/// Writes INSi SOAP 1.2 requests with <see cref="XmlWriter"/> (never by string concatenation): header blocks
/// <c>ContexteBAM</c>, <c>ContexteLPS</c>, <c>wsa:Action</c>, <c>wsa:MessageID</c>, optional <c>wsse:Security</c>, then the body.
/// Values are not validated here; <see cref="InsiQueryValidator"/> does that before a call.
/// </summary>
public static class InsiRequestWriter
{
    private const string ContextVersionBam = "01_02";
    private const string ContextVersionLps = "01_00";

    private static readonly XmlWriterSettings Settings = new()
    {
        Encoding = new UTF8Encoding(false),
        Indent = false,
        OmitXmlDeclaration = false,
        CloseOutput = false,
        NamespaceHandling = NamespaceHandling.OmitDuplicates,
    };

    /// <summary>Writes a <c>rechercherInsAvecTraitsIdentite</c> request (RECSANSVITALE).</summary>
    /// <param name="output">Destination (UTF-8, no BOM).</param>
    /// <param name="envelope">Header values.</param>
    /// <param name="query">Traits; all first names are sent joined in one <c>Prenom</c>.</param>
    public static void WriteSearchByTraits(Stream output, InsiEnvelope envelope, InsiTraitsQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        using var w = XmlWriter.Create(output, Settings);
        WriteStart(w, envelope, InsiActions.SearchByTraits, null);
        w.WriteStartElement("rs", "RECSANSVITALE", InsiNamespaces.RecSans);
        w.WriteElementString("rs", "NomNaissance", InsiNamespaces.RecSans, query.BirthName);
        w.WriteElementString("rs", "Prenom", InsiNamespaces.RecSans, query.FirstNamesJoined);
        w.WriteElementString("rs", "Sexe", InsiNamespaces.RecSans, query.Sex == Identity.Sex.Female ? "F" : "M");
        w.WriteElementString("rs", "DateNaissance", InsiNamespaces.RecSans, query.BirthDate);
        if (!string.IsNullOrEmpty(query.BirthPlace))
        {
            w.WriteElementString("rs", "LieuNaissance", InsiNamespaces.RecSans, query.BirthPlace);
        }

        w.WriteEndElement();
        WriteEnd(w);
    }

    /// <summary>Writes a <c>rechercherInsAvecCarteVitale</c> request (RECVITALE) with <c>COUVERTURE</c> filled from the card.</summary>
    public static void WriteSearchWithVitale(Stream output, InsiEnvelope envelope, InsiVitaleQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        using var w = XmlWriter.Create(output, Settings);
        WriteStart(w, envelope, InsiActions.SearchWithVitale, query);
        w.WriteStartElement("rv", "RECVITALE", InsiNamespaces.RecVit);
        if (query.BeneficiaryNir is { } beneficiary)
        {
            WriteMatricule(w, "MatriculeIndividu", beneficiary);
        }

        WriteMatricule(w, "MatriculeOD", query.InsuredNir);
        w.WriteElementString("rv", "NomNaissance", InsiNamespaces.RecVit, query.BirthName);
        w.WriteElementString("rv", "DateNaissance", InsiNamespaces.RecVit, query.BirthDate);
        w.WriteElementString("rv", "RangNaissance", InsiNamespaces.RecVit, query.Rank.ToString(CultureInfo.InvariantCulture));
        w.WriteEndElement();
        WriteEnd(w);
    }

    /// <summary>Writes a request to a new byte array (convenience for tests and tools).</summary>
    public static byte[] SearchByTraitsToBytes(InsiEnvelope envelope, InsiTraitsQuery query)
    {
        using var ms = new MemoryStream(2048);
        WriteSearchByTraits(ms, envelope, query);
        return ms.ToArray();
    }

    /// <summary>Writes a Vitale request to a new byte array.</summary>
    public static byte[] SearchWithVitaleToBytes(InsiEnvelope envelope, InsiVitaleQuery query)
    {
        using var ms = new MemoryStream(2048);
        WriteSearchWithVitale(ms, envelope, query);
        return ms.ToArray();
    }

    private static void WriteMatricule(XmlWriter w, string element, InsiCardNir nir)
    {
        w.WriteStartElement("rv", element, InsiNamespaces.RecVit);
        w.WriteElementString("rv", "NumIdentifiant", InsiNamespaces.RecVit, nir.Number);
        if (!string.IsNullOrEmpty(nir.Key))
        {
            w.WriteElementString("rv", "Cle", InsiNamespaces.RecVit, nir.Key);
        }

        w.WriteEndElement();
    }

    private static void WriteStart(XmlWriter w, InsiEnvelope e, string action, InsiVitaleQuery? vitale)
    {
        ArgumentNullException.ThrowIfNull(e);
        var time = e.Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        var id = e.ContextId.ToString("D");

        w.WriteStartDocument();
        w.WriteStartElement("soap", "Envelope", InsiNamespaces.Soap12);
        w.WriteAttributeString("xmlns", "ctxbam", null, InsiNamespaces.ContexteBam);
        w.WriteAttributeString("xmlns", "ctxlps", null, InsiNamespaces.ContexteLps);
        w.WriteAttributeString("xmlns", "wsa", null, InsiNamespaces.Addressing);
        w.WriteStartElement("soap", "Header", InsiNamespaces.Soap12);

        // ContexteBAM: COUVERTURE is required by the schema and sent empty for the traits search.
        w.WriteStartElement("ctxbam", "ContexteBAM", InsiNamespaces.ContexteBam);
        w.WriteAttributeString("Version", ContextVersionBam);
        w.WriteElementString("ctxbam", "Id", InsiNamespaces.ContexteBam, id);
        w.WriteElementString("ctxbam", "Temps", InsiNamespaces.ContexteBam, time);
        if (e.Emitter is not null)
        {
            w.WriteElementString("ctxbam", "Emetteur", InsiNamespaces.ContexteBam, e.Emitter);
        }

        w.WriteStartElement("ctxbam", "COUVERTURE", InsiNamespaces.ContexteBam);
        if (vitale is not null)
        {
            WriteCoverage(w, vitale);
        }

        w.WriteFullEndElement();
        w.WriteEndElement();

        w.WriteStartElement("ctxlps", "ContexteLPS", InsiNamespaces.ContexteLps);
        w.WriteAttributeString("Nature", "CTXLPS");
        w.WriteAttributeString("Version", ContextVersionLps);
        w.WriteElementString("ctxlps", "Id", InsiNamespaces.ContexteLps, id);
        w.WriteElementString("ctxlps", "Temps", InsiNamespaces.ContexteLps, time);
        if (e.Emitter is not null)
        {
            w.WriteElementString("ctxlps", "Emetteur", InsiNamespaces.ContexteLps, e.Emitter);
        }

        w.WriteStartElement("ctxlps", "LPS", InsiNamespaces.ContexteLps);
        w.WriteStartElement("ctxlps", "IDAM", InsiNamespaces.ContexteLps);
        w.WriteAttributeString("R", "4");
        w.WriteString(e.Software.Idam);
        w.WriteEndElement();
        w.WriteElementString("ctxlps", "Version", InsiNamespaces.ContexteLps, e.Software.Version);
        w.WriteElementString("ctxlps", "Instance", InsiNamespaces.ContexteLps, e.Software.Instance);
        w.WriteElementString("ctxlps", "Nom", InsiNamespaces.ContexteLps, e.Software.Urn);
        w.WriteEndElement();
        w.WriteEndElement();

        w.WriteElementString("wsa", "Action", InsiNamespaces.Addressing, action);
        w.WriteElementString("wsa", "MessageID", InsiNamespaces.Addressing, e.MessageIdValue);

        if (e.SecurityXml is not null)
        {
            // The assertion is signed: it is inserted byte for byte (exclusive c14n makes it context-free).
            w.WriteStartElement("wsse", "Security", InsiNamespaces.WsSecurity);
            w.WriteRaw(e.SecurityXml);
            w.WriteEndElement();
        }

        w.WriteEndElement();
        w.WriteStartElement("soap", "Body", InsiNamespaces.Soap12);
    }

    private static void WriteCoverage(XmlWriter w, InsiVitaleQuery q)
    {
        const string ns = InsiNamespaces.ContexteBam;
        w.WriteStartElement("ctxbam", "ASSURE", ns);
        w.WriteStartElement("ctxbam", "Id", ns);
        w.WriteElementString("ctxbam", "Num", ns, q.InsuredNir.Number);
        if (!string.IsNullOrEmpty(q.InsuredNir.Key))
        {
            w.WriteElementString("ctxbam", "Cle", ns, q.InsuredNir.Key);
        }

        w.WriteEndElement();
        w.WriteEndElement();
        w.WriteStartElement("ctxbam", "BENEFICIAIRE", ns);
        if (q.BeneficiaryNir is { } b)
        {
            w.WriteStartElement("ctxbam", "Nir", ns);
            w.WriteElementString("ctxbam", "Num", ns, b.Number);
            if (!string.IsNullOrEmpty(b.Key))
            {
                w.WriteElementString("ctxbam", "Cle", ns, b.Key);
            }

            w.WriteEndElement();
        }

        w.WriteElementString("ctxbam", "DateNai", ns, q.BirthDate);
        w.WriteElementString("ctxbam", "Rang", ns, q.Rank.ToString(CultureInfo.InvariantCulture));
        w.WriteEndElement();
    }

    private static void WriteEnd(XmlWriter w)
    {
        w.WriteEndElement(); // Body
        w.WriteEndElement(); // Envelope
        w.WriteEndDocument();
        w.Flush();
    }
}
