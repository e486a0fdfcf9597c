using System.Xml;
using System.Xml.Schema;

namespace SanteGateway.Interop.Cda;

/// <summary>XSD validation against the CI-SIS CDA schema (<c>CDA_extended.xsd</c>) loaded from a folder at run time.</summary>
/// <remarks>Schemas are compiled once (share the instance). Includes are resolved only inside the schema folder. Documents are read
/// with DTDs prohibited.</remarks>
public sealed class CdaSchemaValidator
{
    private readonly XmlSchemaSet _schemas;

    /// <summary>Compiles the schema.</summary>
    /// <param name="entryXsd">The entry point, e.g. <c>shared/data/cda/TestContenuCDA-3-0/infrastructure/cda/CDA_extended.xsd</c>.</param>
    /// <exception cref="FileNotFoundException">The schema is missing.</exception>
    public CdaSchemaValidator(string entryXsd)
    {
        ArgumentNullException.ThrowIfNull(entryXsd);
        if (!File.Exists(entryXsd))
        {
            throw new FileNotFoundException("CDA schema not found.", entryXsd);
        }

        var folder = Path.GetDirectoryName(Path.GetFullPath(entryXsd))!;
        _schemas = new XmlSchemaSet { XmlResolver = new FolderResolver(folder) };
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore, XmlResolver = new FolderResolver(folder) };
        using (var reader = XmlReader.Create(entryXsd, settings))
        {
            _schemas.Add(null, reader);
        }

        _schemas.Compile();
    }

    /// <summary>The schema of <c>shared/data/cda</c>.</summary>
    /// <param name="sharedRoot">The <c>shared</c> folder.</param>
    /// <returns>The path of <c>CDA_extended.xsd</c>.</returns>
    public static string SharedSchema(string sharedRoot) =>
        Path.Combine(sharedRoot, "data", "cda", "TestContenuCDA-3-0", "infrastructure", "cda", "CDA_extended.xsd");

    /// <summary>Validates a document.</summary>
    /// <param name="xml">The document text.</param>
    /// <returns>Errors and warnings with their line and position; empty when valid.</returns>
    public IReadOnlyList<string> Validate(string xml)
    {
        ArgumentNullException.ThrowIfNull(xml);
        var messages = new List<string>();
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            ValidationType = ValidationType.Schema,
            Schemas = _schemas,
            ValidationFlags = XmlSchemaValidationFlags.ReportValidationWarnings,
        };
        settings.ValidationEventHandler += (_, e) =>
            messages.Add($"{e.Severity.ToString().ToLowerInvariant()} line {e.Exception?.LineNumber}:{e.Exception?.LinePosition}: {e.Message}");
        try
        {
            using var reader = XmlReader.Create(new StringReader(xml), settings);
            while (reader.Read())
            {
            }
        }
        catch (XmlException ex)
        {
            messages.Add($"error line {ex.LineNumber}:{ex.LinePosition}: {ex.Message}");
        }

        return messages;
    }

    /// <summary>Resolves schema includes inside one folder only (never the network).</summary>
    private sealed class FolderResolver(string folder) : XmlUrlResolver
    {
        private readonly string _root = Path.GetFullPath(folder) + Path.DirectorySeparatorChar;

        public override object? GetEntity(Uri absoluteUri, string? role, Type? ofObjectToReturn)
        {
            if (!absoluteUri.IsFile || !Path.GetFullPath(absoluteUri.LocalPath).StartsWith(_root, StringComparison.Ordinal))
            {
                throw new XmlException($"Schema resolution outside the CDA schema folder refused: {absoluteUri}");
            }

            // CDA_extended.xsd imports the XSLT 2.0 schema, which imports the schema for schemas; .NET cannot compile it
            // ("WhiteSpace facet prohibited for anySimpleType") and CDA documents never use XSLT elements: an empty schema stands in.
            if (Path.GetFileName(absoluteUri.LocalPath).Equals("schema-for-xslt20.xsd", StringComparison.OrdinalIgnoreCase))
            {
                return new MemoryStream("<xs:schema xmlns:xs='http://www.w3.org/2001/XMLSchema' targetNamespace='http://www.w3.org/1999/XSL/Transform'/>"u8.ToArray());
            }

            // The ED "schema fix" (xs:any ##other, to allow XHTML in ED) becomes ambiguous where DICOM.xsd includes the data types
            // into another namespace, and .NET enforces the unique particle attribution rule: narrow it to XHTML, its stated purpose.
            if (Path.GetFileName(absoluteUri.LocalPath).Equals("datatypes-base.xsd", StringComparison.OrdinalIgnoreCase))
            {
                var text = File.ReadAllText(absoluteUri.LocalPath)
                    .Replace("<xs:any minOccurs=\"0\" namespace=\"##other\" processContents=\"skip\" />", "<xs:any minOccurs=\"0\" namespace=\"http://www.w3.org/1999/xhtml\" processContents=\"skip\" />", StringComparison.Ordinal);
                return new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text));
            }

            return base.GetEntity(absoluteUri, role, ofObjectToReturn);
        }
    }
}
