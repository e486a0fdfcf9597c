using System.Globalization;
using Hl7.Fhir.Model;
using static SanteGateway.Ror.RorConstants;

namespace SanteGateway.Ror.Sandbox;

/// <summary>A search the sandbox refused (answered 400 with an OperationOutcome).</summary>
public sealed class RorSearchException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RorSearchException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong.</param>
    public RorSearchException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="inner">Cause.</param>
    public RorSearchException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>The matches of a search (ids in order) and the distances computed for <c>near</c>.</summary>
/// <param name="Type">Searched type.</param>
/// <param name="Matches">Matching resources, in store order.</param>
/// <param name="Includes">The <c>_include</c> values (iterate flagged).</param>
/// <param name="RevIncludes">The <c>_revinclude</c> values.</param>
/// <param name="Distances">Location id → distance in km, for <c>near</c>.</param>
public sealed record RorSearchMatches(
    string Type,
    IReadOnlyList<Resource> Matches,
    IReadOnlyList<(string Value, bool Iterate)> Includes,
    IReadOnlyList<string> RevIncludes,
    IReadOnlyDictionary<string, decimal> Distances);

/// <summary>
/// The sandbox's search: the ROR parameters of the five main resources (see the README for the list), chained
/// <c>location.*</c> and <c>organization.*[:above]</c>, <c>_has</c>, a <c>_filter</c> subset (and/or/parentheses over
/// <c>_lastUpdated</c>, <c>organization._lastUpdated:above</c>, <c>age-range-*</c>, tokens), <c>_include[:iterate]</c>
/// and <c>_revinclude</c>. An unknown parameter is refused (400), as HAPI does.
/// </summary>
public sealed class RorSearchEngine(RorSandboxData data)
{
    private static readonly HashSet<string> Control = new(StringComparer.Ordinal)
    {
        "_count", "_include", "_include:iterate", "_revinclude", "_revinclude:iterate", "_sort", "_total", "_format", "_elements", "_pretty", "_summary",
    };

    /// <summary>Runs the criteria of a search.</summary>
    /// <param name="type">Resource type.</param>
    /// <param name="query">Parameters in order.</param>
    /// <param name="profile">The caller's access profile (hidden resources never match).</param>
    /// <returns>The matches.</returns>
    /// <exception cref="RorSearchException">A parameter is unknown or malformed.</exception>
    public RorSearchMatches Search(string type, IReadOnlyList<KeyValuePair<string, string>> query, int profile)
    {
        ArgumentNullException.ThrowIfNull(query);
        var distances = new Dictionary<string, decimal>(StringComparer.Ordinal);
        var predicates = new List<Func<Resource, bool>>();
        var includes = new List<(string, bool)>();
        var revIncludes = new List<string>();
        foreach (var (name, value) in query)
        {
            switch (name)
            {
                case "_include":
                    includes.Add((value, false));
                    continue;
                case "_include:iterate":
                    includes.Add((value, true));
                    continue;
                case "_revinclude" or "_revinclude:iterate":
                    revIncludes.Add(value);
                    continue;
            }

            if (Control.Contains(name))
            {
                continue;
            }

            if (name == "_filter")
            {
                var filter = new FilterParser(value, this, type, distances).Parse();
                predicates.Add(filter);
                continue;
            }

            predicates.Add(Criterion(type, name, value, distances));
        }

        var matches = data.All(type).Where(r => !RorRedaction.IsHidden(r, profile, data) && predicates.All(p => p(r))).ToList();
        return new RorSearchMatches(type, matches, includes, revIncludes, distances);
    }

    /// <summary>The included resources of one page: revincludes of the matches, includes of matches and revincluded, then iterations.</summary>
    /// <param name="matches">The search.</param>
    /// <param name="page">The matches of the page.</param>
    /// <param name="profile">Access profile.</param>
    /// <returns>Included resources, each once, none of the page's matches.</returns>
    public IReadOnlyList<Resource> Included(RorSearchMatches matches, IReadOnlyList<Resource> page, int profile)
    {
        ArgumentNullException.ThrowIfNull(matches);
        ArgumentNullException.ThrowIfNull(page);
        var seen = new HashSet<string>(page.Select(Key), StringComparer.Ordinal);
        var result = new List<Resource>();
        void Add(Resource? r)
        {
            if (r is not null && !RorRedaction.IsHidden(r, profile, data) && seen.Add(Key(r)))
            {
                result.Add(r);
            }
        }

        foreach (var rev in matches.RevIncludes)
        {
            var parts = rev.Split(':');
            if (parts.Length < 2)
            {
                throw new RorSearchException($"_revinclude={rev}: expected Type:parameter.");
            }

            var keys = new HashSet<string>(page.Select(Key), StringComparer.Ordinal);
            switch (parts[0], parts[1])
            {
                case ("PractitionerRole", "service"):
                    foreach (var role in data.All("PractitionerRole").OfType<PractitionerRole>().Where(r => r.HealthcareService.Any(h => keys.Contains(h.Reference ?? string.Empty))))
                    {
                        Add(role);
                    }

                    break;
                case ("HealthcareService", "location"):
                    foreach (var hs in data.All("HealthcareService").OfType<HealthcareService>().Where(h => h.Location.Any(l => keys.Contains(l.Reference ?? string.Empty))))
                    {
                        Add(hs);
                    }

                    break;
                case ("Task", "focus"):
                    break; // The sandbox holds no anomalies.
                default:
                    throw new RorSearchException($"_revinclude={rev}: not supported (PractitionerRole:service, HealthcareService:location, Task:focus).");
            }
        }

        var round = page.Concat(result).ToList();
        var first = true;
        while (round.Count > 0)
        {
            var next = new List<Resource>();
            foreach (var (value, iterate) in matches.Includes)
            {
                if (!first && !iterate)
                {
                    continue;
                }

                foreach (var r in round)
                {
                    foreach (var target in Follow(r, value))
                    {
                        var before = result.Count;
                        Add(target);
                        if (result.Count > before)
                        {
                            next.Add(target);
                        }
                    }
                }
            }

            first = false;
            round = next;
        }

        return result;
    }

    private IEnumerable<Resource> Follow(Resource r, string include)
    {
        var parts = include.Split(':');
        if (parts.Length < 2)
        {
            throw new RorSearchException($"_include={include}: expected Type:parameter.");
        }

        if (parts[0] != r.TypeName)
        {
            return [];
        }

        IEnumerable<ResourceReference?> refs = (r, parts[1]) switch
        {
            (HealthcareService hs, "organization") => One(hs.ProvidedBy),
            (HealthcareService hs, "location") => hs.Location,
            (Organization o, "partof") => One(o.PartOf),
            (PractitionerRole pr, "practitioner") => One(pr.Practitioner),
            (PractitionerRole pr, "service") => pr.HealthcareService,
            (PractitionerRole pr, "organization") => One(pr.Organization),
            (PractitionerRole pr, "location") => pr.Location,
            (Location l, "organization") => One(l.ManagingOrganization),
            (Location l, "partof") => One(l.PartOf),
            _ when RorSandboxData.ResourceTypes.Contains(parts[0]) && parts[1] is "organization" or "location" or "partof" or "practitioner" or "service" => [],
            _ => throw new RorSearchException($"_include={include}: not supported."),
        };
        return refs.Select(data.Resolve).OfType<Resource>();
    }

    private static IEnumerable<ResourceReference?> One(ResourceReference? r) => [r];

    internal static string Key(Resource r) => r.TypeName + "/" + r.Id;

    internal Func<Resource, bool> Criterion(string type, string name, string value, Dictionary<string, decimal> distances)
    {
        var (baseName, modifier) = Split(name);
        var values = SplitValues(value);
        if (baseName.StartsWith("_has:", StringComparison.Ordinal))
        {
            // _has:HealthcareService:location:identifier=UE1,UE2
            var p = baseName.Split(':');
            if (p.Length != 4 || p[1] != "HealthcareService" || p[2] != "location")
            {
                throw new RorSearchException($"{name}: only _has:HealthcareService:location:<parameter> is supported.");
            }

            var inner = Criterion("HealthcareService", p[3] + (modifier is null ? string.Empty : ":" + modifier), value, distances);
            return r => data.All("HealthcareService").OfType<HealthcareService>().Any(h => h.Location.Any(l => l.Reference == Key(r)) && inner(h));
        }

        var dot = baseName.IndexOf('.', StringComparison.Ordinal);
        if (dot > 0)
        {
            var chain = baseName[..dot];
            var rest = baseName[(dot + 1)..];
            var above = modifier == "above";
            var innerName = rest + (modifier is null || above ? string.Empty : ":" + modifier);
            switch (type, chain)
            {
                case ("HealthcareService", "location"):
                {
                    var inner = Criterion("Location", innerName, value, distances);
                    return r => ((HealthcareService)r).Location.Select(data.Resolve).OfType<Location>().Any(inner);
                }

                case ("HealthcareService", "organization"):
                {
                    var inner = Criterion("Organization", innerName, value, distances);
                    return r => Ancestry(data.Resolve(((HealthcareService)r).ProvidedBy) as Organization, above).Any(inner);
                }

                case ("Location", "organization"):
                {
                    var inner = Criterion("Organization", innerName, value, distances);
                    return r => Ancestry(data.Resolve(((Location)r).ManagingOrganization) as Organization, above).Any(inner);
                }

                case ("PractitionerRole", "practitioner"):
                {
                    var inner = Criterion("Practitioner", innerName, value, distances);
                    return r => data.Resolve(((PractitionerRole)r).Practitioner) is Practitioner p && inner(p);
                }

                case ("PractitionerRole", "service"):
                {
                    var inner = Criterion("HealthcareService", innerName, value, distances);
                    return r => ((PractitionerRole)r).HealthcareService.Select(data.Resolve).OfType<HealthcareService>().Any(inner);
                }

                default:
                    throw new RorSearchException($"{name}: chain '{chain}' is not supported on {type}.");
            }
        }

        Func<Resource, bool> positive = (type, baseName) switch
        {
            (_, "_id") => r => values.Contains(r.Id),
            (_, "_lastUpdated") => DateCriterion(name, value, r => r.Meta?.LastUpdated),
            (_, "_tag") => r => values.Any(v => TokenMatches(r.Meta?.Tag ?? [], v)),
            (_, "identifier") when modifier == "of-type" => r => values.Any(v => OfType(Identifiers(r), v, name)),
            (_, "identifier") => r => values.Any(v => IdentifierMatches(Identifiers(r), v)),
            ("Organization" or "HealthcareService" or "Location", "name") => r => values.Any(v => StartsWith(NameOf(r), v) || (modifier == "contains" && Contains(NameOf(r), v))),
            ("Organization", "type") => r => values.Any(v => ((Organization)r).Type.Any(t => TokenMatches(t.Coding, v))),
            ("Organization", "partof") => r => values.Any(v => RefMatches(((Organization)r).PartOf, "Organization", v)),
            ("HealthcareService", "specialty") => r => values.Any(v => ((HealthcareService)r).Specialty.Any(t => TokenMatches(t.Coding, v))),
            ("HealthcareService", "service-category") => r => values.Any(v => ((HealthcareService)r).Category.Any(t => TokenMatches(t.Coding, v))),
            ("HealthcareService", "service-type") => r => values.Any(v => ((HealthcareService)r).Type.Any(t => TokenMatches(t.Coding, v))),
            ("HealthcareService", "characteristic") => r => values.Any(v => ((HealthcareService)r).Characteristic.Any(t => TokenMatches(t.Coding, v))),
            ("HealthcareService", "organization") => r => values.Any(v => RefMatches(((HealthcareService)r).ProvidedBy, "Organization", v)),
            ("HealthcareService", "location") => r => values.Any(v => ((HealthcareService)r).Location.Any(l => RefMatches(l, "Location", v))),
            ("HealthcareService", "age-range-low") => QuantityCriterion(name, value, r => AgeRange(r)?.Low?.Value),
            ("HealthcareService", "age-range-high") => QuantityCriterion(name, value, r => AgeRange(r)?.High?.Value),
            ("Location", "address-postalcode") => r => values.Any(v => ((Location)r).Address?.PostalCode?.StartsWith(v, StringComparison.OrdinalIgnoreCase) == true),
            ("Location", "address-city") => r => values.Any(v => StartsWith(((Location)r).Address?.City, v)),
            ("Location", "commune-cog") => r => values.Any(v => (((Location)r).GetExtension(CommuneCogExtension)?.Value as CodeableConcept) is { } c && TokenMatches(c.Coding, v)),
            ("Location", "type") => r => values.Any(v => ((Location)r).Type.Any(t => TokenMatches(t.Coding, v))),
            ("Location", "organization") => r => values.Any(v => RefMatches(((Location)r).ManagingOrganization, "Organization", v)),
            ("Location", "capacity-status") => r => values.Any(v => CapacityCodes((Location)r, "capacityStatus").Any(c => TokenMatches([c], v))),
            ("Location", "capacity-type") => r => values.Any(v => CapacityCodes((Location)r, "capacityType").Any(c => TokenMatches([c], v))),
            ("Location", "temporality-capacity") => r => values.Any(v => CapacityCodes((Location)r, "temporalityCapacity").Any(c => TokenMatches([c], v))),
            ("Location", "temporary-assignement") => r => values.Any(v => CapacityCodes((Location)r, "temporaryAssignement").Any(c => TokenMatches([c], v))),
            ("Location", "near") => Near(value, distances),
            ("PractitionerRole", "practitioner") => r => values.Any(v => RefMatches(((PractitionerRole)r).Practitioner, "Practitioner", v)),
            ("PractitionerRole", "service") => r => values.Any(v => ((PractitionerRole)r).HealthcareService.Any(h => RefMatches(h, "HealthcareService", v))),
            _ => throw new RorSearchException($"Unknown search parameter '{name}' for {type}."),
        };
        return modifier == "not" ? r => !positive(r) : positive;
    }

    private IEnumerable<Organization> Ancestry(Organization? start, bool above)
    {
        var guard = 0;
        for (var o = start; o is not null && guard < 10; o = above ? data.Resolve(o.PartOf) as Organization : null, guard++)
        {
            yield return o;
        }
    }

    private static (string Name, string? Modifier) Split(string name)
    {
        if (name.StartsWith("_has:", StringComparison.Ordinal))
        {
            return (name, null);
        }

        var colon = name.LastIndexOf(':');
        return colon > 0 ? (name[..colon], name[(colon + 1)..]) : (name, null);
    }

    private static string[] SplitValues(string value) => value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    private static IEnumerable<Identifier> Identifiers(Resource r) => r switch
    {
        Organization o => o.Identifier,
        HealthcareService h => h.Identifier,
        Location l => l.Identifier,
        Practitioner p => p.Identifier,
        PractitionerRole pr => pr.Identifier,
        _ => [],
    };

    private static string? NameOf(Resource r) => r switch
    {
        Organization o => o.Name,
        HealthcareService h => h.Name,
        Location l => l.Name,
        _ => null,
    };

    private static bool StartsWith(string? text, string value) =>
        text is not null && Fold(text).StartsWith(Fold(value), StringComparison.Ordinal);

    private static bool Contains(string? text, string value) =>
        text is not null && Fold(text).Contains(Fold(value), StringComparison.Ordinal);

    private static string Fold(string s)
    {
        var d = s.Normalize(System.Text.NormalizationForm.FormD);
        return new string(d.Where(c => CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark).ToArray()).ToUpperInvariant();
    }

    private static bool TokenMatches(IEnumerable<Coding> codings, string token)
    {
        var bar = token.IndexOf('|', StringComparison.Ordinal);
        if (bar < 0)
        {
            return codings.Any(c => c.Code == token);
        }

        var system = token[..bar];
        var code = token[(bar + 1)..];
        return codings.Any(c => (system.Length == 0 ? c.System is null : c.System == system) && (code.Length == 0 || c.Code == code));
    }

    private static bool IdentifierMatches(IEnumerable<Identifier> identifiers, string token)
    {
        var bar = token.IndexOf('|', StringComparison.Ordinal);
        if (bar < 0)
        {
            return identifiers.Any(i => i.Value == token);
        }

        var system = token[..bar];
        var value = token[(bar + 1)..];
        return identifiers.Any(i => (system.Length == 0 || i.System == system) && (value.Length == 0 || i.Value == value));
    }

    private static bool OfType(IEnumerable<Identifier> identifiers, string token, string name)
    {
        var p = token.Split('|');
        if (p.Length != 3)
        {
            throw new RorSearchException($"{name}: expected type-system|type-code|value.");
        }

        return identifiers.Any(i => i.Value == p[2] && i.Type?.Coding.Any(c => c.System == p[0] && c.Code == p[1]) == true);
    }

    private static bool RefMatches(ResourceReference? reference, string type, string value) =>
        reference?.Reference is { } r && (r == value || r == type + "/" + value || r.EndsWith("/" + type + "/" + value, StringComparison.Ordinal));

    private static Hl7.Fhir.Model.Range? AgeRange(Resource r) =>
        (r as HealthcareService)?.GetExtension(StructureDefinitionBase + "ror-healthcareservice-patient-type")?.GetExtension("ageRange")?.Value as Hl7.Fhir.Model.Range;

    private static IEnumerable<Coding> CapacityCodes(Location l, string sub) =>
        l.Extension.Where(e => e.Url == SupportedCapacityExtension)
            .Select(e => e.GetExtension(sub)?.Value)
            .SelectMany(v => v switch
            {
                CodeableConcept cc => cc.Coding,
                Code c => [new Coding(null, c.Value)],
                _ => [],
            });

    internal static (string Prefix, string Value) Prefix(string value)
    {
        foreach (var p in new[] { "eq", "ne", "gt", "ge", "lt", "le", "sa", "eb", "ap" })
        {
            if (value.StartsWith(p, StringComparison.Ordinal) && value.Length > 2 && (char.IsDigit(value[2]) || value[2] == '-'))
            {
                return (p, value[2..]);
            }
        }

        return ("eq", value);
    }

    internal static Func<Resource, bool> DateCriterion(string name, string value, Func<Resource, DateTimeOffset?> get)
    {
        var tests = SplitValues(value).Select(v =>
        {
            var (prefix, rest) = Prefix(v);
            if (!DateTimeOffset.TryParse(rest, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
            {
                throw new RorSearchException($"{name}: '{rest}' is not a date or instant.");
            }

            var dayOnly = rest.Length <= 10;
            var end = dayOnly ? at.AddDays(1) : at.AddSeconds(1);
            return (Func<DateTimeOffset, bool>)(prefix switch
            {
                "ge" => d => d >= at,
                "gt" => d => d >= end,
                "le" => d => d < end,
                "lt" => d => d < at,
                "ne" => d => d < at || d >= end,
                "eq" => d => d >= at && d < end,
                "sa" => d => d >= end,
                "eb" => d => d < at,
                _ => throw new RorSearchException($"{name}: prefix '{prefix}' is not supported for dates."),
            });
        }).ToArray();
        return r => get(r) is { } d && tests.Any(t => t(d));
    }

    internal static Func<Resource, bool> QuantityCriterion(string name, string value, Func<Resource, decimal?> get)
    {
        var tests = SplitValues(value).Select(v =>
        {
            var (prefix, rest) = Prefix(v);
            var number = rest.Split('|')[0];
            if (!decimal.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var n))
            {
                throw new RorSearchException($"{name}: '{rest}' is not a quantity (number|system|code).");
            }

            return (Func<decimal, bool>)(prefix switch
            {
                "ge" => d => d >= n,
                "gt" => d => d > n,
                "le" => d => d <= n,
                "lt" => d => d < n,
                "ne" => d => d != n,
                _ => d => d == n,
            });
        }).ToArray();
        return r => get(r) is { } d && tests.Any(t => t(d));
    }

    private static Func<Resource, bool> Near(string value, Dictionary<string, decimal> distances)
    {
        var p = value.Split('|');
        if (p.Length < 2
            || !decimal.TryParse(p[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var lat)
            || !decimal.TryParse(p[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var lon))
        {
            throw new RorSearchException("near: expected latitude|longitude|distance|unit.");
        }

        var max = p.Length > 2 && decimal.TryParse(p[2], NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : 10m;
        var unit = p.Length > 3 ? p[3] : "km";
        if (unit is not ("km" or "m"))
        {
            throw new RorSearchException("near: the unit must be km or m.");
        }

        var maxKm = unit == "m" ? max / 1000m : max;
        return r =>
        {
            if (r is not Location { Position: { Latitude: { } la, Longitude: { } lo } } loc)
            {
                return false;
            }

            var km = Haversine(lat, lon, la, lo);
            if (km > maxKm)
            {
                return false;
            }

            lock (distances)
            {
                distances[loc.Id ?? string.Empty] = Math.Round(km, 2);
            }

            return true;
        };
    }

    /// <summary>Great-circle distance in km.</summary>
    internal static decimal Haversine(decimal lat1, decimal lon1, decimal lat2, decimal lon2)
    {
        static double Rad(decimal deg) => (double)deg * Math.PI / 180;
        var dLat = Rad(lat2 - lat1);
        var dLon = Rad(lon2 - lon1);
        var a = (Math.Sin(dLat / 2) * Math.Sin(dLat / 2)) + (Math.Cos(Rad(lat1)) * Math.Cos(Rad(lat2)) * Math.Sin(dLon / 2) * Math.Sin(dLon / 2));
        return (decimal)(6371.0 * 2 * Math.Atan2(Math.Sqrt(a), Math.Sqrt(1 - a)));
    }

    /// <summary>Recursive-descent parser of the <c>_filter</c> subset: <c>or</c> over <c>and</c> over comparisons and parentheses.</summary>
    private sealed class FilterParser(string text, RorSearchEngine engine, string type, Dictionary<string, decimal> distances)
    {
        private readonly List<string> _tokens = Tokenize(text);
        private int _at;

        public Func<Resource, bool> Parse()
        {
            var e = Or();
            if (_at != _tokens.Count)
            {
                throw new RorSearchException($"_filter: unexpected '{_tokens[_at]}'.");
            }

            return e;
        }

        private Func<Resource, bool> Or()
        {
            var left = And();
            while (Peek("or"))
            {
                _at++;
                var l = left;
                var right = And();
                left = r => l(r) || right(r);
            }

            return left;
        }

        private Func<Resource, bool> And()
        {
            var left = Primary();
            while (Peek("and"))
            {
                _at++;
                var l = left;
                var right = Primary();
                left = r => l(r) && right(r);
            }

            return left;
        }

        private Func<Resource, bool> Primary()
        {
            if (Peek("("))
            {
                _at++;
                var inner = Or();
                Expect(")");
                return inner;
            }

            if (Peek("not"))
            {
                _at++;
                var inner = Primary();
                return r => !inner(r);
            }

            var param = Next();
            var op = Next();
            var value = Next();
            if (op is not ("eq" or "ne" or "gt" or "ge" or "lt" or "le" or "sa" or "eb"))
            {
                throw new RorSearchException($"_filter: operator '{op}' is not supported.");
            }

            var (baseName, _) = Split(param);
            var isOrdered = baseName.EndsWith("_lastUpdated", StringComparison.Ordinal) || baseName.StartsWith("age-range", StringComparison.Ordinal) || baseName.EndsWith("capacity-update-date", StringComparison.Ordinal);
            return isOrdered
                ? engine.Criterion(type, param, op + value, distances)
                : op switch
                {
                    "eq" => engine.Criterion(type, param, value, distances),
                    "ne" => engine.Criterion(type, param + ":not", value, distances),
                    _ => throw new RorSearchException($"_filter: '{op}' needs an ordered parameter ({param} is a token)."),
                };
        }

        private bool Peek(string token) => _at < _tokens.Count && string.Equals(_tokens[_at], token, StringComparison.OrdinalIgnoreCase);

        private string Next() => _at < _tokens.Count ? _tokens[_at++] : throw new RorSearchException("_filter: incomplete expression.");

        private void Expect(string token)
        {
            if (!Peek(token))
            {
                throw new RorSearchException($"_filter: '{token}' expected.");
            }

            _at++;
        }

        private static List<string> Tokenize(string text)
        {
            var tokens = new List<string>();
            var i = 0;
            while (i < text.Length)
            {
                var c = text[i];
                if (char.IsWhiteSpace(c))
                {
                    i++;
                }
                else if (c is '(' or ')')
                {
                    tokens.Add(c.ToString());
                    i++;
                }
                else if (c == '"')
                {
                    var end = text.IndexOf('"', i + 1);
                    if (end < 0)
                    {
                        throw new RorSearchException("_filter: unterminated string.");
                    }

                    tokens.Add(text[(i + 1)..end]);
                    i = end + 1;
                }
                else
                {
                    var start = i;
                    while (i < text.Length && !char.IsWhiteSpace(text[i]) && text[i] is not ('(' or ')'))
                    {
                        i++;
                    }

                    tokens.Add(text[start..i]);
                }
            }

            return tokens;
        }
    }
}
