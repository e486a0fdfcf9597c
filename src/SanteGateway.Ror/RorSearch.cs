using System.Globalization;
using System.Text;

namespace SanteGateway.Ror;

/// <summary>
/// A ROR search: the resource type and its parameters, kept in order (repeated parameters such as several
/// <c>_include</c> are allowed). Values are escaped when the query is written.
/// </summary>
public sealed class RorSearch
{
    private readonly List<KeyValuePair<string, string>> _parameters = [];

    /// <summary>Creates a search of <paramref name="resourceType"/>.</summary>
    /// <param name="resourceType">One of the five main resources (or another type the server supports).</param>
    public RorSearch(string resourceType)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(resourceType);
        ResourceType = resourceType;
    }

    /// <summary>The searched resource type.</summary>
    public string ResourceType { get; }

    /// <summary>The parameters in order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Parameters => _parameters;

    /// <summary>The canonical extraction of an offer with its whole graph (organisation hierarchy, locations, roles, practitioners).</summary>
    /// <returns>A HealthcareService search with the documented includes.</returns>
    public static RorSearch OfferGraph() => new RorSearch("HealthcareService")
        .Include("HealthcareService:organization")
        .IncludeIterate("Organization:partof")
        .Include("HealthcareService:location")
        .RevInclude("PractitionerRole:service")
        .Include("PractitionerRole:practitioner");

    /// <summary>Adds any parameter, including chained ones (<c>location.commune-cog</c>, <c>organization.identifier:above</c>).</summary>
    /// <param name="name">Parameter name with its modifier.</param>
    /// <param name="value">Raw value (escaped on output).</param>
    /// <returns>This search.</returns>
    public RorSearch Where(string name, string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(value);
        _parameters.Add(new(name, value));
        return this;
    }

    /// <summary><c>_include</c>.</summary>
    /// <param name="value">e.g. <c>HealthcareService:location</c>.</param>
    /// <returns>This search.</returns>
    public RorSearch Include(string value) => Where("_include", value);

    /// <summary><c>_include:iterate</c> (follows the include again on included resources, e.g. up the EJ/EG/OI hierarchy).</summary>
    /// <param name="value">e.g. <c>Organization:partof</c>.</param>
    /// <returns>This search.</returns>
    public RorSearch IncludeIterate(string value) => Where("_include:iterate", value);

    /// <summary><c>_revinclude</c>.</summary>
    /// <param name="value">e.g. <c>PractitionerRole:service</c>.</param>
    /// <returns>This search.</returns>
    public RorSearch RevInclude(string value) => Where("_revinclude", value);

    /// <summary><c>_lastUpdated=ge…</c> (or another prefix).</summary>
    /// <param name="instant">The instant.</param>
    /// <param name="prefix"><c>ge</c>, <c>gt</c>, <c>le</c>, <c>lt</c> or <c>eq</c>.</param>
    /// <returns>This search.</returns>
    public RorSearch LastUpdated(DateTimeOffset instant, string prefix = "ge") => Where("_lastUpdated", prefix + Instant(instant));

    /// <summary><c>_tag=system|code</c>.</summary>
    /// <param name="system">Code system.</param>
    /// <param name="code">Code.</param>
    /// <returns>This search.</returns>
    public RorSearch Tag(string system, string code) => Where("_tag", system + "|" + code);

    /// <summary>The region tag (<c>TRE_R30-RegionOM</c>), e.g. <c>11</c> for Île-de-France.</summary>
    /// <param name="regionCode">Region code.</param>
    /// <returns>This search.</returns>
    public RorSearch Region(string regionCode) => Tag(RorConstants.RegionSystem, regionCode);

    /// <summary><c>_count</c> (page size; the ROR default is 200).</summary>
    /// <param name="count">Entries per page.</param>
    /// <returns>This search.</returns>
    public RorSearch Count(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return Where("_count", count.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary><c>_filter</c>, e.g. <c>(_lastUpdated ge X or organization._lastUpdated:above ge X)</c>.</summary>
    /// <param name="expression">The filter expression.</param>
    /// <returns>This search.</returns>
    public RorSearch Filter(string expression) => Where("_filter", expression);

    /// <summary>
    /// The delta filter that also catches changes of the offer's organisations: <c>(_lastUpdated ge X or organization._lastUpdated:above ge X)</c>.
    /// </summary>
    /// <param name="since">Changes from this instant.</param>
    /// <returns>This search.</returns>
    public RorSearch ChangedSince(DateTimeOffset since)
    {
        var x = Instant(since);
        return Filter($"(_lastUpdated ge {x} or organization._lastUpdated:above ge {x})");
    }

    /// <summary>The query string (<c>a=b&amp;c=d</c>, escaped).</summary>
    /// <returns>The query.</returns>
    public string ToQueryString()
    {
        var sb = new StringBuilder();
        foreach (var (name, value) in _parameters)
        {
            if (sb.Length > 0)
            {
                sb.Append('&');
            }

            sb.Append(Uri.EscapeDataString(name)).Append('=').Append(Uri.EscapeDataString(value));
        }

        return sb.ToString();
    }

    /// <inheritdoc/>
    public override string ToString() => ResourceType + "?" + ToQueryString();

    /// <summary>Formats an instant as FHIR wants it in a search (UTC, seconds, <c>Z</c>).</summary>
    /// <param name="instant">The instant.</param>
    /// <returns>The text.</returns>
    public static string Instant(DateTimeOffset instant) => instant.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
