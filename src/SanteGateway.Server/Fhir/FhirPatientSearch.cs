using System.Globalization;
using System.Text;
using Hl7.Fhir.Model;
using SanteGateway.Identity;
using SanteGateway.Store;

namespace SanteGateway.Server.Fhir;

/// <summary>
/// <c>GET /fhir/Patient?…</c>: identifier (INS, the gateway's id, another domain's id), family, given, birthdate, gender,
/// <c>_count</c>, <c>page</c>. Criteria are ANDed; a parameter the endpoint does not know is ignored and reported in an
/// OperationOutcome entry, or refused with 400 under <c>Prefer: handling=strict</c>.
/// </summary>
/// <remarks>
/// An INS is searched among identities that may carry it outside (qualified): for any other identity the association of the
/// INS with the person must not leave the gateway, and a match would reveal it even though the Patient carries no INS.
/// </remarks>
internal sealed class FhirPatientSearch(HttpContext http, IdentityService identities, FhirOptions options)
{
    private const int MaxPageSize = 100;

    private static readonly HashSet<string> Known = new(StringComparer.Ordinal)
    {
        "identifier", "family", "given", "birthdate", "gender", "_count", "page", "_format", "_pretty",
    };

    private readonly List<OperationOutcome.IssueComponent> _errors = [];
    private readonly List<OperationOutcome.IssueComponent> _ignored = [];
    private string? _family;
    private string? _given;
    private string? _birthDate;
    private string? _sex;
    private bool _matchesNothing;
    private string? _identifierSystem;
    private string? _identifierValue;
    private int _count;
    private int _page = 1;

    public async Task<IResult> RunAsync(CancellationToken ct)
    {
        _count = Math.Clamp(options.DefaultPageSize, 1, MaxPageSize);
        ReadParameters();
        if (_errors.Count > 0)
        {
            return FhirHttp.Outcome(http, StatusCodes.Status400BadRequest, _errors);
        }

        var (ids, total, error) = _matchesNothing ? ([], 0, null)
            : _identifierValue is null ? await ByTraitsAsync(ct).ConfigureAwait(false)
            : await ByIdentifierAsync(ct).ConfigureAwait(false);
        if (error is not null)
        {
            return FhirHttp.Problem(http, error, ParameterOf);
        }

        var bundle = new Bundle
        {
            Id = Guid.NewGuid().ToString(),
            Type = Bundle.BundleType.Searchset,
            Total = total,
            Timestamp = DateTimeOffset.UtcNow,
        };
        var baseUrl = FhirHttp.BaseUrl(http.Request);
        bundle.Link.Add(new Bundle.LinkComponent { Relation = "self", Url = PageUrl(baseUrl, _page) });
        if (_count > 0 && _page > 1)
        {
            bundle.Link.Add(new Bundle.LinkComponent { Relation = "previous", Url = PageUrl(baseUrl, _page - 1) });
        }

        if (_count > 0 && (long)_page * _count < total)
        {
            bundle.Link.Add(new Bundle.LinkComponent { Relation = "next", Url = PageUrl(baseUrl, _page + 1) });
        }

        foreach (var (id, patient) in ids)
        {
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                FullUrl = $"{baseUrl}/Patient/{id}",
                Resource = patient,
                Search = new Bundle.SearchComponent { Mode = Bundle.SearchEntryMode.Match },
            });
        }

        if (_ignored.Count > 0)
        {
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                Resource = new OperationOutcome { Issue = _ignored },
                Search = new Bundle.SearchComponent { Mode = Bundle.SearchEntryMode.Outcome },
            });
        }

        return FhirHttp.Resource(bundle);
    }

    private void ReadParameters()
    {
        var strict = http.Request.Headers["Prefer"].Any(p => p is not null && p.Contains("handling=strict", StringComparison.OrdinalIgnoreCase));
        foreach (var (rawKey, values) in http.Request.Query)
        {
            var colon = rawKey.IndexOf(':', StringComparison.Ordinal);
            var key = colon < 0 ? rawKey : rawKey[..colon];
            var modifier = colon < 0 ? null : rawKey[(colon + 1)..];
            if (!Known.Contains(key))
            {
                var issue = FhirHttp.Issue(strict ? OperationOutcome.IssueSeverity.Error : OperationOutcome.IssueSeverity.Warning, OperationOutcome.IssueType.NotSupported,
                    $"Search parameter '{FhirEndpoints.Clip(rawKey)}' is not supported{(strict ? string.Empty : " and was ignored")}.", FhirEndpoints.Clip(rawKey), "fhir.search.unknown-parameter");
                (strict ? _errors : _ignored).Add(issue);
                continue;
            }

            if (key is "_format" or "_pretty")
            {
                continue;
            }

            if (modifier is not null && !(key is "family" or "given" && modifier == "exact") && !(key == "identifier" && modifier.Length == 0))
            {
                Error(rawKey, "fhir.search.modifier", $"The modifier ':{FhirEndpoints.Clip(modifier)}' is not supported on {key} (names match whole, accent- and case-insensitive).");
                continue;
            }

            if (values.Count != 1)
            {
                Error(key, "fhir.search.repeated", $"{key} may be given once.");
                continue;
            }

            var value = values[0] ?? string.Empty;
            if (value.Contains(',', StringComparison.Ordinal) && key is not ("family" or "given"))
            {
                Error(key, "fhir.search.or", $"Several values of {key} (comma) are not supported; search once per value.");
                continue;
            }

            switch (key)
            {
                case "family":
                    _family = value;
                    break;
                case "given":
                    _given = value;
                    break;
                case "birthdate":
                    ReadBirthDate(value);
                    break;
                case "gender":
                    ReadGender(value);
                    break;
                case "identifier":
                    ReadIdentifier(value);
                    break;
                case "_count":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var count))
                    {
                        Error(key, "fhir.search.count", "_count must be a whole number from 0 to 100.");
                    }
                    else
                    {
                        _count = Math.Min(count, MaxPageSize);
                    }

                    break;
                case "page":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var page) || page < 1)
                    {
                        Error(key, "fhir.search.page", "page must be a whole number from 1.");
                    }
                    else
                    {
                        _page = page;
                    }

                    break;
            }
        }
    }

    private void ReadBirthDate(string value)
    {
        var v = value.StartsWith("eq", StringComparison.Ordinal) ? value[2..] : value;
        if (v.Length >= 2 && char.IsAsciiLetter(v[0]))
        {
            Error("birthdate", "fhir.search.date-prefix", $"Only equality is supported on birthdate (prefix '{FhirEndpoints.Clip(v[..2])}' refused).");
            return;
        }

        if (!DateOnly.TryParseExact(v, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
        {
            Error("birthdate", "fhir.search.date", "birthdate must be a full date YYYY-MM-DD.");
            return;
        }

        _birthDate = v;
    }

    private void ReadGender(string value)
    {
        switch (value)
        {
            case "male":
                _sex = "M";
                break;
            case "female":
                _sex = "F";
                break;
            case "unknown":
                _sex = "U";
                break;
            case "other":
                // The RNIV has no such sex: no identity can match.
                _matchesNothing = true;
                break;
            default:
                Error("gender", "fhir.search.gender", "gender is male, female, other or unknown.");
                break;
        }
    }

    private void ReadIdentifier(string value)
    {
        var bar = value.IndexOf('|', StringComparison.Ordinal);
        var system = bar < 0 ? null : value[..bar];
        var v = bar < 0 ? value : value[(bar + 1)..];
        if (v.Length == 0)
        {
            Error("identifier", "fhir.search.identifier", "identifier needs a value: SYSTEM|VALUE or VALUE.");
            return;
        }

        _identifierSystem = string.IsNullOrEmpty(system) ? null : system;
        _identifierValue = v;
    }

    private void Error(string parameter, string rule, string message) =>
        _errors.Add(FhirHttp.Issue(OperationOutcome.IssueSeverity.Error, OperationOutcome.IssueType.Invalid, message, parameter, rule));

    /// <summary>Family, given, birthdate, gender: the application's search (live identities, paged in the database).</summary>
    private async Task<(List<(Guid, Patient)> Page, int Total, AppError? Error)> ByTraitsAsync(CancellationToken ct)
    {
        var found = await identities.SearchAsync(_family, _birthDate, _given, _sex, _page, Math.Max(_count, 1), ct).ConfigureAwait(false);
        if (!found.IsSuccess)
        {
            return ([], 0, found.Error);
        }

        var page = new List<(Guid, Patient)>();
        if (_count > 0)
        {
            foreach (var hit in found.Value.Items)
            {
                var patient = await PatientAsync(hit.Id, ct).ConfigureAwait(false);
                if (patient is not null)
                {
                    page.Add((hit.Id, patient.Value.Patient));
                }
            }
        }

        return (page, found.Value.Total, null);
    }

    /// <summary>By identifier: the INS (qualified identities only), the gateway's own id, or an identifier of another domain.</summary>
    private async Task<(List<(Guid, Patient)> Page, int Total, AppError? Error)> ByIdentifierAsync(CancellationToken ct)
    {
        var value = _identifierValue!;
        var system = _identifierSystem;
        var candidates = new HashSet<Guid>();
        InsOidKind? insKind = null;
        if (system is not null && InsOids.TryGetKind(system, out var kind))
        {
            insKind = kind;
        }

        if (insKind is not null || (system is null && InsMatricule.TryParse(value, out _, out _)))
        {
            if (!InsMatricule.TryParse(value, out var matricule, out var insError))
            {
                return ([], 0, AppError.Field(ErrorKind.Invalid, "identifier", "ins." + insError.Kind.ToString().ToLowerInvariant(), insError.Message));
            }

            var hits = await identities.SearchAsync(_family, _birthDate, _given, _sex, 1, MaxPageSize, ct, matricule.Value).ConfigureAwait(false);
            if (!hits.IsSuccess)
            {
                return ([], 0, hits.Error);
            }

            foreach (var hit in hits.Value.Items)
            {
                candidates.Add(hit.Id);
            }
        }

        if (insKind is null)
        {
            if (system is not null && string.Equals(system, options.LocalIdentifierSystem, StringComparison.Ordinal))
            {
                if (Guid.TryParse(value, out var own))
                {
                    candidates.Add(own);
                }
            }
            else
            {
                // Another domain's identifier (IPP of a partner…), stored with an OID or a URI as authority.
                var bare = system is not null && system.StartsWith("urn:oid:", StringComparison.OrdinalIgnoreCase) ? system[8..] : system;
                var withPrefix = bare is not null && bare.Length > 0 && char.IsAsciiDigit(bare[0]) ? "urn:oid:" + bare : bare;
                string[] authorities = system is null ? [] : [bare!, withPrefix!];
                foreach (var id in await identities.FindByExternalIdValueAsync(value, authorities, MaxPageSize, ct).ConfigureAwait(false))
                {
                    candidates.Add(id);
                }
            }
        }

        var matches = new List<(Guid, Patient)>();
        foreach (var id in candidates.Order())
        {
            var found = await PatientAsync(id, ct).ConfigureAwait(false);
            if (found is not { } f || f.View.MergedInto is not null || !MatchesTraits(f.View))
            {
                continue;
            }

            if ((insKind is not null || (system is null && f.Domain.Ins?.Matricule.Value == value))
                && !(f.Domain.TransmittableIns is { } ins && ins.Matricule.Value == value && (insKind is null || ins.Kind == insKind)))
            {
                // Matched by its INS, which may not leave the gateway (not qualified, or another authority).
                continue;
            }

            matches.Add((id, f.Patient));
        }

        var total = matches.Count;
        var page = _count == 0 ? [] : matches.Skip((_page - 1) * _count).Take(_count).ToList();
        return (page, total, null);
    }

    private bool MatchesTraits(IdentityView v) =>
        (_family is null || SearchKeys.Normalize(_family) == SearchKeys.Normalize(v.BirthName))
        && (_given is null || SearchKeys.Normalize(_given) == SearchKeys.Normalize(v.FirstFirstName))
        && (_birthDate is null || v.BirthDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) == _birthDate)
        && (_sex is null || v.Sex == _sex);

    private async Task<(RnivIdentity Domain, IdentityView View, Patient Patient)?> PatientAsync(Guid id, CancellationToken ct)
    {
        var found = await identities.GetDomainAsync(id, ct).ConfigureAwait(false);
        if (!found.IsSuccess)
        {
            return null; // Gone between the search and the read.
        }

        var (domain, view) = found.Value;
        return (domain, view, FhirPatients.Write(domain, view, options));
    }

    private static string ParameterOf(string field) => field switch
    {
        "birthName" => "family",
        "firstName" => "given",
        "birthDate" => "birthdate",
        "sex" => "gender",
        "ins" => "identifier",
        "pageSize" => "_count",
        _ => field,
    };

    private string PageUrl(string baseUrl, int page)
    {
        var sb = new StringBuilder(baseUrl).Append("/Patient");
        var sep = '?';
        foreach (var (key, values) in http.Request.Query)
        {
            if (key == "page")
            {
                continue;
            }

            foreach (var v in values)
            {
                sb.Append(sep).Append(Uri.EscapeDataString(key)).Append('=').Append(Uri.EscapeDataString(v ?? string.Empty));
                sep = '&';
            }
        }

        return sb.Append(sep).Append("page=").Append(page.ToString(CultureInfo.InvariantCulture)).ToString();
    }
}
