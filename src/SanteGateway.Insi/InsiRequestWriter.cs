using System.Globalization;
using System.Text;
using System.Xml;

namespace SanteGateway.Insi;

/// <summary>
/// Writes INSi SOAP 1.2 requests with <see cref="XmlWriter"/> (never by string concatenation): header blocks
/// <c>ContexteBAM</c>, <c>ContexteLPS</c>, <c>wsa:Action</c>, <c>wsa:MessageID</c>, optional <c>wsse:Security</c>, then the body.
/// Values are not validated here; <see cref="InsiQueryValidator"/> does that before a call.
/// </summary>
/// <remarks>
/// One <see cref="XmlWriter"/> per thread is kept over a reusable buffer (fragment conformance, one envelope per call),
/// and ids and times are formatted into a reusable char buffer, so writing a request allocates almost nothing.
/// </remarks>
public static class InsiRequestWriter
{
    private const string ContextVersionBam = "01_02";
    private const string ContextVersionLps = "01_00";
    private const string DateTimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    private static readonly byte[] Declaration = "<?xml version=\"1.0\" encoding=\"utf-8\"?>"u8.ToArray();

    private static readonly XmlWriterSettings Settings = new()
    {
        Encoding = new UTF8Encoding(false),
        Indent = false,
        OmitXmlDeclaration = true,
        CloseOutput = false,
        ConformanceLevel = ConformanceLevel.Fragment,
        NamespaceHandling = NamespaceHandling.OmitDuplicates,
    };

    [ThreadStatic]
    private static CachedWriter? t_cached;

    /// <summary>Writes a <c>rechercherInsAvecTraitsIdentite</c> request (RECSANSVITALE).</summary>
    /// <param name="output">Destination (UTF-8, no BOM).</param>
    /// <param name="envelope">Header values.</param>
    /// <param name="query">Traits; all first names are sent joined in one <c>Prenom</c>.</param>
    public static void WriteSearchByTraits(Stream output, InsiEnvelope envelope, InsiTraitsQuery query)
    {
        ArgumentNullException.ThrowIfNull(output);
        Write(envelope, query, null).Stream.WriteTo(output);
    }

    /// <summary>Writes a <c>rechercherInsAvecCarteVitale</c> request (RECVITALE) with <c>COUVERTURE</c> filled from the card.</summary>
    public static void WriteSearchWithVitale(Stream output, InsiEnvelope envelope, InsiVitaleQuery query)
    {
        ArgumentNullException.ThrowIfNull(output);
        Write(envelope, null, query).Stream.WriteTo(output);
    }

    /// <summary>Writes a traits request to a new byte array of the exact size.</summary>
    public static byte[] SearchByTraitsToBytes(InsiEnvelope envelope, InsiTraitsQuery query) => Write(envelope, query, null).Stream.ToArray();

    /// <summary>Writes a Vitale request to a new byte array of the exact size.</summary>
    public static byte[] SearchWithVitaleToBytes(InsiEnvelope envelope, InsiVitaleQuery query) => Write(envelope, null, query).Stream.ToArray();

    private static CachedWriter Write(InsiEnvelope envelope, InsiTraitsQuery? traits, InsiVitaleQuery? vitale)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        if (traits is null && vitale is null)
        {
            throw new ArgumentNullException(traits is null ? nameof(vitale) : nameof(traits));
        }

        var c = t_cached ??= new CachedWriter();
        try
        {
            c.Stream.SetLength(0);
            c.Stream.Write(Declaration);
            var w = c.Writer;
            WriteStart(c, envelope, traits is null ? InsiActions.SearchWithVitale : InsiActions.SearchByTraits, vitale);
            if (traits is not null)
            {
                WriteTraitsBody(w, traits);
            }
            else
            {
                WriteVitaleBody(c, vitale!);
            }

            w.WriteEndElement(); // Body
            w.WriteEndElement(); // Envelope
            w.Flush();
            return c;
        }
        catch
        {
            // A writer that failed mid-document is in an unknown state: never reuse it.
            t_cached = null;
            throw;
        }
    }

    private static void WriteTraitsBody(XmlWriter w, InsiTraitsQuery query)
    {
        const string ns = InsiNamespaces.RecSans;
        w.WriteStartElement("rs", "RECSANSVITALE", ns);
        w.WriteElementString("rs", "NomNaissance", ns, query.BirthName);
        w.WriteStartElement("rs", "Prenom", ns);
        for (var i = 0; i < query.FirstNames.Count; i++)
        {
            if (i > 0)
            {
                w.WriteString(" ");
            }

            w.WriteString(query.FirstNames[i]);
        }

        w.WriteEndElement();
        w.WriteElementString("rs", "Sexe", ns, query.Sex == Identity.Sex.Female ? "F" : "M");
        w.WriteElementString("rs", "DateNaissance", ns, query.BirthDate);
        if (!string.IsNullOrEmpty(query.BirthPlace))
        {
            w.WriteElementString("rs", "LieuNaissance", ns, query.BirthPlace);
        }

        w.WriteEndElement();
    }

    private static void WriteVitaleBody(CachedWriter c, InsiVitaleQuery query)
    {
        const string ns = InsiNamespaces.RecVit;
        var w = c.Writer;
        w.WriteStartElement("rv", "RECVITALE", ns);
        if (query.BeneficiaryNir is { } beneficiary)
        {
            WriteMatricule(w, "MatriculeIndividu", beneficiary);
        }

        WriteMatricule(w, "MatriculeOD", query.InsuredNir);
        w.WriteElementString("rv", "NomNaissance", ns, query.BirthName);
        w.WriteElementString("rv", "DateNaissance", ns, query.BirthDate);
        w.WriteStartElement("rv", "RangNaissance", ns);
        WriteInt(c, query.Rank);
        w.WriteEndElement();
        w.WriteEndElement();
    }

    private static void WriteMatricule(XmlWriter w, string element, InsiCardNir nir)
    {
        const string ns = InsiNamespaces.RecVit;
        w.WriteStartElement("rv", element, ns);
        w.WriteElementString("rv", "NumIdentifiant", ns, nir.Number);
        if (!string.IsNullOrEmpty(nir.Key))
        {
            w.WriteElementString("rv", "Cle", ns, nir.Key);
        }

        w.WriteEndElement();
    }

    private static void WriteStart(CachedWriter c, InsiEnvelope e, string action, InsiVitaleQuery? vitale)
    {
        var w = c.Writer;
        w.WriteStartElement("soap", "Envelope", InsiNamespaces.Soap12);
        w.WriteAttributeString("xmlns", "ctxbam", null, InsiNamespaces.ContexteBam);
        w.WriteAttributeString("xmlns", "ctxlps", null, InsiNamespaces.ContexteLps);
        w.WriteAttributeString("xmlns", "wsa", null, InsiNamespaces.Addressing);
        w.WriteStartElement("soap", "Header", InsiNamespaces.Soap12);

        // ContexteBAM: COUVERTURE is required by the schema and sent empty for the traits search.
        const string bam = InsiNamespaces.ContexteBam;
        w.WriteStartElement("ctxbam", "ContexteBAM", bam);
        w.WriteAttributeString("Version", ContextVersionBam);
        WriteIdAndTime(c, "ctxbam", bam, e);
        if (e.Emitter is not null)
        {
            w.WriteElementString("ctxbam", "Emetteur", bam, e.Emitter);
        }

        w.WriteStartElement("ctxbam", "COUVERTURE", bam);
        if (vitale is not null)
        {
            WriteCoverage(c, vitale);
        }

        w.WriteFullEndElement();
        w.WriteEndElement();

        const string lps = InsiNamespaces.ContexteLps;
        w.WriteStartElement("ctxlps", "ContexteLPS", lps);
        w.WriteAttributeString("Nature", "CTXLPS");
        w.WriteAttributeString("Version", ContextVersionLps);
        WriteIdAndTime(c, "ctxlps", lps, e);
        if (e.Emitter is not null)
        {
            w.WriteElementString("ctxlps", "Emetteur", lps, e.Emitter);
        }

        w.WriteStartElement("ctxlps", "LPS", lps);
        w.WriteStartElement("ctxlps", "IDAM", lps);
        w.WriteAttributeString("R", "4");
        w.WriteString(e.Software.Idam);
        w.WriteEndElement();
        w.WriteElementString("ctxlps", "Version", lps, e.Software.Version);
        w.WriteElementString("ctxlps", "Instance", lps, e.Software.Instance);
        w.WriteStartElement("ctxlps", "Nom", lps);
        w.WriteString("urn:lps:");
        w.WriteString(e.Software.Name);
        w.WriteString(":");
        w.WriteString(e.Software.Version);
        w.WriteEndElement();
        w.WriteEndElement();
        w.WriteEndElement();

        w.WriteElementString("wsa", "Action", InsiNamespaces.Addressing, action);
        w.WriteStartElement("wsa", "MessageID", InsiNamespaces.Addressing);
        w.WriteString("uuid:");
        WriteGuid(c, e.MessageId);
        w.WriteEndElement();

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

    private static void WriteIdAndTime(CachedWriter c, string prefix, string ns, InsiEnvelope e)
    {
        var w = c.Writer;
        w.WriteStartElement(prefix, "Id", ns);
        WriteGuid(c, e.ContextId);
        w.WriteEndElement();
        w.WriteStartElement(prefix, "Temps", ns);
        e.Time.UtcDateTime.TryFormat(c.Chars, out var n, DateTimeFormat, CultureInfo.InvariantCulture);
        w.WriteChars(c.Chars, 0, n);
        w.WriteEndElement();
    }

    private static void WriteCoverage(CachedWriter c, InsiVitaleQuery q)
    {
        const string ns = InsiNamespaces.ContexteBam;
        var w = c.Writer;
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
        w.WriteStartElement("ctxbam", "Rang", ns);
        WriteInt(c, q.Rank);
        w.WriteEndElement();
        w.WriteEndElement();
    }

    private static void WriteGuid(CachedWriter c, Guid id)
    {
        id.TryFormat(c.Chars, out var n, "D");
        c.Writer.WriteChars(c.Chars, 0, n);
    }

    private static void WriteInt(CachedWriter c, int value)
    {
        value.TryFormat(c.Chars, out var n, default, CultureInfo.InvariantCulture);
        c.Writer.WriteChars(c.Chars, 0, n);
    }

    private sealed class CachedWriter
    {
        public CachedWriter()
        {
            Writer = XmlWriter.Create(Stream, Settings);
        }

        public MemoryStream Stream { get; } = new(4096);

        public XmlWriter Writer { get; }

        public char[] Chars { get; } = new char[64];
    }
}
