using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace SanteGateway.Documents.Xds;

/// <summary>A SOAP 1.2 fault.</summary>
/// <param name="Code">Value of <c>Code/Subcode/Value</c> when present, else of <c>Code/Value</c>.</param>
/// <param name="Reason">Reason text.</param>
public sealed record SoapFault(string Code, string Reason)
{
    /// <summary>Local name of the top-level <c>Code/Value</c> in the SOAP 1.2 namespace: <c>Sender</c>, <c>Receiver</c>,
    /// <c>MustUnderstand</c>, <c>VersionMismatch</c> or <c>DataEncodingUnknown</c>; null when absent or in another namespace.</summary>
    public string? Value { get; init; }

    /// <summary>
    /// True when the fault blames the request itself (<c>Sender</c>, or a header, version or encoding the service does not
    /// accept): the same request sent again will be refused again, so it is a permanent refusal, not an outage. A
    /// <c>Receiver</c> fault, or a fault whose class is unknown, is the service's problem and may pass.
    /// </summary>
    public bool IsSenderFault => Value is "Sender" or "MustUnderstand" or "VersionMismatch" or "DataEncodingUnknown";
}

/// <summary>A received SOAP envelope.</summary>
/// <param name="Action">wsa:Action.</param>
/// <param name="MessageId">wsa:MessageID.</param>
/// <param name="Security">The first element of wsse:Security (the assertion), if any.</param>
/// <param name="Body">First child of the body.</param>
/// <param name="Fault">The fault, when the body is one.</param>
public sealed record SoapMessage(string? Action, string? MessageId, XElement? Security, XElement? Body, SoapFault? Fault);

/// <summary>SOAP 1.2 envelopes with WS-Addressing and WS-Security headers.</summary>
public static class SoapEnvelope
{
    private static readonly XmlWriterSettings Settings = new()
    {
        Encoding = new UTF8Encoding(false),
        Indent = false,
        OmitXmlDeclaration = false,
        NamespaceHandling = NamespaceHandling.OmitDuplicates,
    };

    /// <summary>Writes an envelope.</summary>
    /// <param name="action">wsa:Action.</param>
    /// <param name="to">wsa:To, or null.</param>
    /// <param name="relatesTo">wsa:RelatesTo (answers), or null.</param>
    /// <param name="assertionXml">The signed assertion inserted verbatim in wsse:Security, or null.</param>
    /// <param name="body">Writes the body's content.</param>
    /// <returns>UTF-8 bytes.</returns>
    public static byte[] Write(string action, Uri? to, string? relatesTo, string? assertionXml, Action<XmlWriter> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        using var ms = new MemoryStream();
        using (var w = XmlWriter.Create(ms, Settings))
        {
            w.WriteStartElement("soap", "Envelope", XdsNamespaces.Soap12);
            w.WriteAttributeString("xmlns", "wsa", null, XdsNamespaces.Addressing);
            w.WriteStartElement("soap", "Header", XdsNamespaces.Soap12);
            w.WriteStartElement("wsa", "Action", XdsNamespaces.Addressing);
            w.WriteAttributeString("soap", "mustUnderstand", XdsNamespaces.Soap12, "1");
            w.WriteString(action);
            w.WriteEndElement();
            w.WriteElementString("wsa", "MessageID", XdsNamespaces.Addressing, "urn:uuid:" + Guid.NewGuid().ToString("D"));
            if (relatesTo is not null)
            {
                w.WriteElementString("wsa", "RelatesTo", XdsNamespaces.Addressing, relatesTo);
            }
            else
            {
                w.WriteStartElement("wsa", "ReplyTo", XdsNamespaces.Addressing);
                w.WriteElementString("wsa", "Address", XdsNamespaces.Addressing, "http://www.w3.org/2005/08/addressing/anonymous");
                w.WriteEndElement();
            }

            if (to is not null)
            {
                w.WriteStartElement("wsa", "To", XdsNamespaces.Addressing);
                w.WriteAttributeString("soap", "mustUnderstand", XdsNamespaces.Soap12, "1");
                w.WriteString(to.AbsoluteUri);
                w.WriteEndElement();
            }

            if (assertionXml is not null)
            {
                w.WriteStartElement("wsse", "Security", XdsNamespaces.WsSecurity);
                w.WriteAttributeString("soap", "mustUnderstand", XdsNamespaces.Soap12, "1");
                using var reader = XmlReader.Create(new StringReader(assertionXml), XdsXml.Settings());
                w.WriteNode(reader, defattr: true);
                w.WriteEndElement();
            }

            w.WriteEndElement(); // Header
            w.WriteStartElement("soap", "Body", XdsNamespaces.Soap12);
            body(w);
            w.WriteEndElement();
            w.WriteEndElement();
        }

        return ms.ToArray();
    }

    /// <summary>Writes a SOAP 1.2 fault.</summary>
    /// <param name="code"><c>Sender</c> or <c>Receiver</c>.</param>
    /// <param name="subcode">Qualified subcode text (e.g. <c>wsse:FailedAuthentication</c>), or null.</param>
    /// <param name="reason">Reason.</param>
    /// <param name="relatesTo">wsa:RelatesTo.</param>
    /// <returns>UTF-8 bytes.</returns>
    public static byte[] WriteFault(string code, string? subcode, string reason, string? relatesTo) =>
        Write("http://www.w3.org/2005/08/addressing/soap/fault", null, relatesTo, null, w =>
        {
            w.WriteStartElement("soap", "Fault", XdsNamespaces.Soap12);
            w.WriteStartElement("soap", "Code", XdsNamespaces.Soap12);
            w.WriteElementString("soap", "Value", XdsNamespaces.Soap12, "soap:" + code);
            if (subcode is not null)
            {
                w.WriteStartElement("soap", "Subcode", XdsNamespaces.Soap12);
                w.WriteElementString("soap", "Value", XdsNamespaces.Soap12, subcode);
                w.WriteEndElement();
            }

            w.WriteEndElement();
            w.WriteStartElement("soap", "Reason", XdsNamespaces.Soap12);
            w.WriteStartElement("soap", "Text", XdsNamespaces.Soap12);
            w.WriteAttributeString("xml", "lang", null, "fr");
            w.WriteString(reason);
            w.WriteEndElement();
            w.WriteEndElement();
            w.WriteEndElement();
        });

    /// <summary>Reads an envelope (hardened reader; whitespace kept so that signatures can be checked).</summary>
    /// <param name="bytes">The envelope.</param>
    /// <returns>Its parts.</returns>
    /// <exception cref="XdsFormatException">Not a SOAP 1.2 envelope.</exception>
    public static SoapMessage Read(ReadOnlyMemory<byte> bytes)
    {
        var doc = XdsXml.Load(bytes, preserveWhitespace: true);
        XNamespace soap = XdsNamespaces.Soap12;
        XNamespace wsa = XdsNamespaces.Addressing;
        XNamespace wsse = XdsNamespaces.WsSecurity;
        var envelope = doc.Root;
        if (envelope is null || envelope.Name != soap + "Envelope")
        {
            throw new XdsFormatException("Not a SOAP 1.2 envelope.");
        }

        var header = envelope.Element(soap + "Header");
        var body = envelope.Element(soap + "Body") ?? throw new XdsFormatException("SOAP envelope without a Body.");
        var first = body.Elements().FirstOrDefault();
        SoapFault? fault = null;
        if (first is not null && first.Name == soap + "Fault")
        {
            var code = first.Element(soap + "Code");
            var value = code?.Element(soap + "Value");
            var sub = code?.Element(soap + "Subcode")?.Element(soap + "Value")?.Value;
            fault = new SoapFault(sub ?? value?.Value ?? "unknown", first.Element(soap + "Reason")?.Element(soap + "Text")?.Value ?? string.Empty)
            {
                Value = FaultClass(value),
            };
        }

        return new SoapMessage(
            header?.Element(wsa + "Action")?.Value.Trim(),
            header?.Element(wsa + "MessageID")?.Value.Trim(),
            header?.Element(wsse + "Security")?.Elements().FirstOrDefault(),
            first,
            fault);
    }

    /// <summary>The local name of a <c>Code/Value</c> QName (<c>prefix:Sender</c>) when its prefix maps to SOAP 1.2.</summary>
    private static string? FaultClass(XElement? value)
    {
        var text = value?.Value.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var ns = colon < 0 ? value!.GetDefaultNamespace() : value!.GetNamespaceOfPrefix(text[..colon]);
        return ns?.NamespaceName == XdsNamespaces.Soap12 ? text[(colon + 1)..] : null;
    }
}
