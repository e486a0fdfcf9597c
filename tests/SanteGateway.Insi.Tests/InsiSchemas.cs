using System.Xml;
using System.Xml.Linq;
using System.Xml.Schema;

namespace SanteGateway.Insi.Tests;

/// <summary>The official XSDs, loaded with a resolver that only opens files inside the contract folder.</summary>
internal static class InsiSchemas
{
    private static readonly Lazy<XmlSchemaSet> Set = new(Load);

    public static XmlSchemaSet Schemas => Set.Value;

    /// <summary>Validates each SOAP header block and the body element; returns every error and warning.</summary>
    public static List<string> ValidateEnvelope(byte[] xml)
    {
        var doc = XDocument.Load(new MemoryStream(xml));
        XNamespace soap = InsiNamespaces.Soap12;
        var problems = new List<string>();
        var header = doc.Root!.Element(soap + "Header")!;
        var body = doc.Root.Element(soap + "Body")!;
        foreach (var block in header.Elements().Concat(body.Elements()))
        {
            var standalone = new XDocument(new XElement(block));
            standalone.Validate(Schemas, (_, e) => problems.Add($"{block.Name.LocalName}: {e.Severity} {e.Message}"));
        }

        return problems;
    }

    private static XmlSchemaSet Load()
    {
        var root = Path.GetFullPath(InsiFiles.Xsd) + Path.DirectorySeparatorChar;
        var set = new XmlSchemaSet { XmlResolver = new FolderResolver(root) };
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null };
        foreach (var relative in new[]
        {
            "CTX/ROOT_ctxbam_CTXBAM_V01_02.xsd",
            "CTX/ROOT_ctxlps_CTXLPS_V01_00.xsd",
            "ServiceIdentiteCertifiee/INSi_RECSANS_INS.xsd",
            "ServiceIdentiteCertifiee/INSi_RECVITALE_INS.xsd",
            "WSSE/Security.xsd",
        })
        {
            var path = Path.Combine(root, relative);
            using var reader = XmlReader.Create(path, settings);
            set.Add(null, reader);
        }

        set.Compile();
        return set;
    }

    /// <summary>Resolves schema imports inside the contract folder only (no network, no other file).</summary>
    private sealed class FolderResolver(string root) : XmlUrlResolver
    {
        public override object? GetEntity(Uri absoluteUri, string? role, Type? ofObjectToReturn)
        {
            if (!absoluteUri.IsFile || !Path.GetFullPath(absoluteUri.LocalPath).StartsWith(root, StringComparison.Ordinal))
            {
                throw new XmlException($"Schema resolution outside the contract folder refused: {absoluteUri}");
            }

            return base.GetEntity(absoluteUri, role, ofObjectToReturn);
        }
    }
}
