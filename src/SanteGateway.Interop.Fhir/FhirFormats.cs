using System.Xml;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace SanteGateway.Interop.Fhir;

/// <summary>A resource that could not be read at all.</summary>
public sealed class FhirFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    public FhirFormatException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong.</param>
    public FhirFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="inner">The cause.</param>
    public FhirFormatException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>A parsed resource and the format problems that were tolerated (unknown elements, bad values dropped…).</summary>
/// <typeparam name="T">The resource type.</typeparam>
/// <param name="Resource">The resource (possibly partial).</param>
/// <param name="Issues">Problems found while parsing, each with its location.</param>
public sealed record FhirParseResult<T>(T Resource, IReadOnlyList<string> Issues)
    where T : Resource;

/// <summary>JSON and XML (de)serialisation of FHIR R4 resources. XML readers never process DTDs or resolve entities.</summary>
public static class FhirFormats
{
    /// <summary>Largest document read (characters): a Patient is a few kB.</summary>
    public const long MaxCharacters = 4 * 1024 * 1024;

    private static readonly FhirJsonSerializer JsonSerializer = new();
    private static readonly FhirXmlSerializer XmlSerializer = new();
    // Default (strict) settings through the Try* methods: every problem is reported and the partial resource is kept.
    private static readonly FhirJsonDeserializer JsonDeserializer = new(new DeserializerSettings());
    private static readonly FhirXmlDeserializer XmlDeserializer = new(new DeserializerSettings());

    // Without the SDK's validation pass: 2–3× faster, but unknown elements and malformed values are no longer reported.
    private static readonly FhirJsonDeserializer JsonDeserializerUnchecked = new(new DeserializerSettings { Validator = null });

    /// <summary>Writes JSON.</summary>
    /// <param name="resource">The resource.</param>
    /// <param name="pretty">Indented output.</param>
    /// <returns>The text.</returns>
    public static string ToJson(Resource resource, bool pretty = false) => JsonSerializer.SerializeToString(resource, pretty);

    /// <summary>Writes XML.</summary>
    /// <param name="resource">The resource.</param>
    /// <param name="pretty">Indented output.</param>
    /// <returns>The text.</returns>
    public static string ToXml(Resource resource, bool pretty = false) => XmlSerializer.SerializeToString(resource, pretty);

    /// <summary>Reads JSON, tolerating element-level problems (reported in <see cref="FhirParseResult{T}.Issues"/>).</summary>
    /// <typeparam name="T">The expected resource type.</typeparam>
    /// <param name="json">The text.</param>
    /// <returns>The resource and the tolerated issues.</returns>
    /// <exception cref="FhirFormatException">Not JSON, too large, or not a resource of type <typeparamref name="T"/>.</exception>
    public static FhirParseResult<T> ParseJson<T>(string json)
        where T : Resource => ParseJson<T>(json, checkValues: true);

    /// <summary>Reads JSON; with <paramref name="checkValues"/> false the SDK's validation pass is skipped (2–3× faster): unknown
    /// elements and malformed values are then not reported. Use it only when the caller checks the values it uses itself (the FR Core
    /// reader does) or validates the resource against its profile anyway.</summary>
    /// <typeparam name="T">The expected resource type.</typeparam>
    /// <param name="json">The text.</param>
    /// <param name="checkValues">Run the SDK's value checks (formats, cardinalities).</param>
    /// <returns>The resource and the tolerated issues.</returns>
    /// <exception cref="FhirFormatException">Not JSON, too large, or not a resource of type <typeparamref name="T"/>.</exception>
    public static FhirParseResult<T> ParseJson<T>(string json, bool checkValues)
        where T : Resource
    {
        ArgumentNullException.ThrowIfNull(json);
        if (json.Length > MaxCharacters)
        {
            throw new FhirFormatException($"The document has {json.Length} characters; at most {MaxCharacters} are read.");
        }

        return Typed<T>(() =>
        {
            var reader = new System.Text.Json.Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(json), new System.Text.Json.JsonReaderOptions { MaxDepth = 64 });
            (checkValues ? JsonDeserializer : JsonDeserializerUnchecked).TryDeserializeResource(ref reader, out var resource, out var issues);
            return (resource, issues.Select(i => i.Message).ToArray());
        });
    }

    /// <summary>Reads XML (no DTD, no external entity, bounded size), tolerating element-level problems.</summary>
    /// <typeparam name="T">The expected resource type.</typeparam>
    /// <param name="xml">The text.</param>
    /// <returns>The resource and the tolerated issues.</returns>
    /// <exception cref="FhirFormatException">Not well-formed, has a DTD, too large, or not a resource of type <typeparamref name="T"/>.</exception>
    public static FhirParseResult<T> ParseXml<T>(string xml)
        where T : Resource
    {
        ArgumentNullException.ThrowIfNull(xml);
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersInDocument = MaxCharacters,
            MaxCharactersFromEntities = 0,
            IgnoreComments = true,
            IgnoreProcessingInstructions = true,
        };
        return Typed<T>(() =>
        {
            using var reader = XmlReader.Create(new StringReader(xml), settings);
            XmlDeserializer.TryDeserializeResource(reader, out var resource, out var issues);
            return (resource, issues.Select(i => i.Message).ToArray());
        });
    }

    private static FhirParseResult<T> Typed<T>(Func<(Resource? Resource, string[] Issues)> parse)
        where T : Resource
    {
        Resource? resource;
        IReadOnlyList<string> issues;
        try
        {
            (resource, issues) = parse();
        }
        catch (DeserializationFailedException ex)
        {
            throw new FhirFormatException("Not a FHIR resource: " + ex.Message, ex);
        }
        catch (XmlException ex)
        {
            throw new FhirFormatException("Not well-formed XML, or it has a DTD (refused): " + ex.Message, ex);
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new FhirFormatException("Not JSON: " + ex.Message, ex);
        }
        catch (FormatException ex)
        {
            throw new FhirFormatException("Not a FHIR resource: " + ex.Message, ex);
        }

        return resource switch
        {
            T typed => new FhirParseResult<T>(typed, issues),
            null => throw new FhirFormatException("Not a FHIR resource: " + string.Join(" ", issues.Take(3))),
            _ => throw new FhirFormatException($"Expected a {typeof(T).Name}, found a {resource.TypeName}."),
        };
    }
}
