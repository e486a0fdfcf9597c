using System.Xml;
using System.Xml.Linq;
using SanteGateway.Identity;
using SanteGateway.Interop.Cda;

namespace SanteGateway.Application;

/// <summary>The person or organisation who took responsibility for a CDA (<c>legalAuthenticator/assignedEntity</c>).</summary>
/// <param name="Authenticator">Its id, name and organisation, shaped like an author.</param>
/// <param name="IsPatient">Its id is an INS: the patient authenticates a document of personal expression.</param>
internal sealed record CdaLegalAuthenticator(SharedAuthor Authenticator, bool IsPatient)
{
    private static readonly XNamespace V3 = CdaHeaderReader.V3;

    /// <summary>
    /// The first <c>legalAuthenticator</c> of the CDA header, or null when there is none. The shared header reader does
    /// not keep it; this reads the header elements again with the same hardened settings and stops at the body.
    /// </summary>
    /// <param name="content">The CDA (its header was read successfully already).</param>
    /// <returns>The legal authenticator, or null.</returns>
    public static CdaLegalAuthenticator? Read(byte[] content)
    {
        try
        {
            using var stream = new MemoryStream(content, writable: false);
            using var xr = XmlReader.Create(stream, CdaHeaderReader.Settings(new CdaReadOptions()));
            if (xr.MoveToContent() != XmlNodeType.Element)
            {
                return null;
            }

            xr.Read();
            while (!xr.EOF)
            {
                if (xr.NodeType != XmlNodeType.Element)
                {
                    xr.Read();
                    continue;
                }

                if (xr.NamespaceURI == V3.NamespaceName && xr.LocalName == "legalAuthenticator")
                {
                    return From((XElement)XNode.ReadFrom(xr));
                }

                if (xr.NamespaceURI == V3.NamespaceName && xr.LocalName == "component")
                {
                    return null; // the body: the header is over
                }

                xr.Skip();
            }

            return null;
        }
        catch (XmlException)
        {
            return null;
        }
    }

    private static CdaLegalAuthenticator? From(XElement legal)
    {
        var entity = legal.Element(V3 + "assignedEntity");
        if (entity is null)
        {
            return null;
        }

        var id = entity.Element(V3 + "id");
        var root = Blank((string?)id?.Attribute("root"));
        var extension = Blank((string?)id?.Attribute("extension"));
        var name = entity.Element(V3 + "assignedPerson")?.Element(V3 + "name");
        var org = entity.Element(V3 + "representedOrganization");
        var orgId = org?.Element(V3 + "id");
        var authenticator = new SharedAuthor(
            extension,
            root,
            Blank(name?.Element(V3 + "family")?.Value),
            Blank(name?.Element(V3 + "given")?.Value),
            Blank((string?)orgId?.Attribute("extension")) ?? Blank((string?)orgId?.Attribute("root")),
            Blank(org?.Element(V3 + "name")?.Value));
        if (authenticator is { Id: null, Family: null, Given: null, InstitutionId: null, InstitutionName: null })
        {
            return null;
        }

        return new CdaLegalAuthenticator(authenticator, root is not null && InsOids.TryGetKind(root, out _));
    }

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}
