using System.Net;
using System.Xml;
using System.Xml.Linq;
using System.Xml.Schema;
using SanteGateway.Insi;

namespace SanteGateway.Insi.Sandbox.Tests.Support;

/// <summary>The official INSi XSDs (shared/data/insi/contract), loaded with a resolver that cannot leave that folder.</summary>
internal static class ContractSchemas
{
    private static readonly Lazy<XmlSchemaSet> Set = new(Load);

    /// <summary>Validates the content of a sandbox answer's soap:Body (RESULTAT, or the fault's siram:Erreur) and returns the errors.</summary>
    public static IReadOnlyList<string> ValidateAnswer(byte[] response)
    {
        var doc = XDocument.Parse(System.Text.Encoding.UTF8.GetString(response));
        var body = doc.Root!.Element(XName.Get("Body", InsiNamespaces.Soap12)) ?? throw new InvalidOperationException("no soap:Body");
        var content = body.Elements().Single();
        var toValidate = content.Name.LocalName == "Fault"
            ? content.Descendants(XName.Get("Erreur", InsiNamespaces.Siram)).Single()
            : content;
        var errors = new List<string>();
        var standalone = new XDocument(new XElement(toValidate));
        standalone.Validate(Set.Value, (_, e) => errors.Add(e.Message));
        return errors;
    }

    private static XmlSchemaSet Load()
    {
        var root = Path.GetFullPath(Recorded.ContractDir);
        var set = new XmlSchemaSet { XmlResolver = new FolderOnlyResolver(root) };
        foreach (var xsd in new[] { "xsd/ServiceIdentiteCertifiee/INSi_RESULTAT_INS.xsd", "xsd/schema_faultSOAP_V01_01.xsd" })
        {
            using var reader = XmlReader.Create(Path.Combine(root, xsd), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
            set.Add(null, reader);
        }

        set.Compile();
        return set;
    }

    /// <summary>Resolves only files inside the contract folder; anything else (http, other paths) is refused.</summary>
    private sealed class FolderOnlyResolver(string root) : XmlResolver
    {
        public override object? GetEntity(Uri absoluteUri, string? role, Type? ofObjectToReturn)
        {
            if (!absoluteUri.IsFile || !Path.GetFullPath(absoluteUri.LocalPath).StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                throw new XmlSchemaException($"Refused to resolve {absoluteUri} outside {root}.");
            }

            return File.OpenRead(absoluteUri.LocalPath);
        }

        public override ICredentials Credentials
        {
            set { }
        }
    }
}
