using Microsoft.EntityFrameworkCore;
using SanteGateway.Store;
using SanteGateway.Store.Entities;

namespace SanteGateway.Application;

/// <summary>A search of the synchronised offer. Every criterion is optional; they combine with AND.</summary>
public sealed record RorOfferQuery
{
    /// <summary>Words of the offer's or its organisation's name (accents and case ignored; each word must appear, whole or as part of a word).</summary>
    public string? Name { get; init; }

    /// <summary>Operational activity code (TRE_R211, e.g. <c>224</c>).</summary>
    public string? Activity { get; init; }

    /// <summary>Words of a specialty or activity label (e.g. <c>cardio</c>), matched on the labels the ROR gave.</summary>
    public string? Specialty { get; init; }

    /// <summary>Commune: INSEE code (5 characters), postal code, or the start of its name.</summary>
    public string? Commune { get; init; }

    /// <summary>Page (from 1).</summary>
    public int Page { get; init; } = 1;

    /// <summary>Results per page (1–100).</summary>
    public int PageSize { get; init; } = 20;

    /// <summary>The first problem with the query (field and rule), or null.</summary>
    /// <returns>A message naming the field.</returns>
    public string? Validate()
    {
        if (Page < 1)
        {
            return "page: must be 1 or more";
        }

        if (PageSize is < 1 or > 100)
        {
            return "pageSize: must be between 1 and 100";
        }

        foreach (var (field, value) in new[] { ("name", Name), ("activity", Activity), ("specialty", Specialty), ("commune", Commune) })
        {
            if (value is { Length: > 100 })
            {
                return field + ": at most 100 characters";
            }
        }

        if (Activity is { Length: > 0 } a && !a.All(char.IsAsciiLetterOrDigit))
        {
            return "activity: a code of letters and digits (TRE_R211)";
        }

        return null;
    }
}

/// <summary>One offer found.</summary>
/// <param name="Id">HealthcareService id.</param>
/// <param name="Name">Offer name.</param>
/// <param name="Identifier">Offer identifier.</param>
/// <param name="OrganizationId">Providing organisation id.</param>
/// <param name="OrganizationName">Its name.</param>
/// <param name="CommuneCode">INSEE code of its place.</param>
/// <param name="City">Commune name of its place.</param>
/// <param name="Activities">Operational activities (code and label).</param>
/// <param name="Capacities">Capacities of its first location.</param>
/// <param name="LastUpdated">When the ROR last changed it.</param>
public sealed record RorOfferHit(string Id, string? Name, string? Identifier, string? OrganizationId, string? OrganizationName, string? CommuneCode, string? City,
    IReadOnlyList<RorCode> Activities, IReadOnlyList<RorCapacityFigure> Capacities, DateTimeOffset LastUpdated);

/// <summary>A page of offers.</summary>
/// <param name="Total">Matches in all.</param>
/// <param name="Page">This page.</param>
/// <param name="PageSize">Page size.</param>
/// <param name="Items">Offers of this page.</param>
public sealed record RorOfferPage(int Total, int Page, int PageSize, IReadOnlyList<RorOfferHit> Items);

/// <summary>An organisation (EJ, EG or OI) with its place in the hierarchy.</summary>
/// <param name="Id">Organization id.</param>
/// <param name="Name">Name.</param>
/// <param name="Identifier">idNatStruct / FINESS / OI id.</param>
/// <param name="ParentId">partOf.</param>
/// <param name="Address">Address.</param>
/// <param name="City">Commune.</param>
/// <param name="Types">Type codes (category, legal status, OI type).</param>
/// <param name="LastUpdated">When the ROR last changed it.</param>
public sealed record RorOrganizationView(string Id, string? Name, string? Identifier, string? ParentId, string? Address, string? City, IReadOnlyList<RorCode> Types, DateTimeOffset LastUpdated);

/// <summary>A Location with its capacities.</summary>
/// <param name="Id">Location id.</param>
/// <param name="Name">Name.</param>
/// <param name="ExternalId">External sync id (what the capacity feed names).</param>
/// <param name="Address">Address.</param>
/// <param name="City">Commune.</param>
/// <param name="CommuneCode">INSEE code.</param>
/// <param name="Capacities">Capacity records and when they were updated.</param>
/// <param name="LastUpdated">When the ROR last changed it.</param>
public sealed record RorLocationView(string Id, string? Name, string? ExternalId, string? Address, string? City, string? CommuneCode, IReadOnlyList<RorCapacityFigure> Capacities, DateTimeOffset LastUpdated);

/// <summary>A Location for the capacity form.</summary>
/// <param name="Location">The Location and its capacities.</param>
/// <param name="ManagingOrganization">The EG that manages it (its identifier is the idNatStruct of the capacity feed), when mirrored.</param>
/// <param name="Offers">Offers whose first place it is (id, name).</param>
public sealed record RorLocationDetail(RorLocationView Location, RorOrganizationView? ManagingOrganization, IReadOnlyList<(string Id, string? Name)> Offers);

/// <summary>A professional's situation in an offer.</summary>
/// <param name="Id">PractitionerRole id.</param>
/// <param name="PractitionerName">The professional's name (a public directory entry).</param>
/// <param name="Codes">Profession and specialties.</param>
public sealed record RorRoleView(string Id, string? PractitionerName, IReadOnlyList<RorCode> Codes);

/// <summary>An offer with its organisation hierarchy, places and professionals.</summary>
/// <param name="Id">HealthcareService id.</param>
/// <param name="Name">Name.</param>
/// <param name="Identifier">Offer identifier.</param>
/// <param name="Codes">Activities, type, category, modes.</param>
/// <param name="Sensitive">Sensitive unit.</param>
/// <param name="LastUpdated">When the ROR last changed it.</param>
/// <param name="Organizations">Providing organisation first, then its parents up to the EJ.</param>
/// <param name="Locations">Its locations.</param>
/// <param name="Roles">Professionals.</param>
public sealed record RorOfferDetail(string Id, string? Name, string? Identifier, IReadOnlyList<RorCode> Codes, bool Sensitive, DateTimeOffset LastUpdated,
    IReadOnlyList<RorOrganizationView> Organizations, IReadOnlyList<RorLocationView> Locations, IReadOnlyList<RorRoleView> Roles);

/// <summary>An organisation with its parents and the offers it provides.</summary>
/// <param name="Organization">The organisation.</param>
/// <param name="Parents">Its parents up to the EJ.</param>
/// <param name="Children">Organisations that hang from it.</param>
/// <param name="Offers">Offers it provides (at most 200).</param>
public sealed record RorOrganizationDetail(RorOrganizationView Organization, IReadOnlyList<RorOrganizationView> Parents, IReadOnlyList<RorOrganizationView> Children, IReadOnlyList<RorOfferHit> Offers);

/// <summary>State of the mirror.</summary>
/// <param name="Running">A run holds the lease.</param>
/// <param name="LeaseOwner">Instance running it.</param>
/// <param name="Phase"><c>idle</c>, <c>full</c>, <c>delta</c> (or the phase an interrupted run stopped in).</param>
/// <param name="Interrupted">A full load stopped before its end and will resume.</param>
/// <param name="LastSucceededAt">End of the last successful run.</param>
/// <param name="LastKind">Its kind.</param>
/// <param name="LastFullAt">End of the last full reconciliation.</param>
/// <param name="ChangesSince">Where the next delta starts.</param>
/// <param name="LastStored">Resources stored by the last successful run.</param>
/// <param name="LastDeleted">Resources deleted by the last successful run.</param>
/// <param name="LastError">Last failure, when the last run failed.</param>
/// <param name="LastFailedAt">When.</param>
/// <param name="Counts">Resources held, by type.</param>
public sealed record RorSyncStatusView(bool Running, string? LeaseOwner, string Phase, bool Interrupted, DateTimeOffset? LastSucceededAt, string? LastKind, DateTimeOffset? LastFullAt,
    DateTimeOffset? ChangesSince, int LastStored, int LastDeleted, string? LastError, DateTimeOffset? LastFailedAt, IReadOnlyDictionary<string, int> Counts)
{
    /// <summary>Resources validated against the ROR profiles by the last run.</summary>
    public int LastValidated { get; init; }

    /// <summary>Of those, the ones found invalid.</summary>
    public int LastInvalid { get; init; }

    /// <summary>Resources of the mirror whose current version is flagged invalid (kept and searchable).</summary>
    public int Invalid { get; init; }

    /// <summary>Resources of the mirror waiting for their validation.</summary>
    public int ValidationPending { get; init; }
}

/// <summary>A mirrored resource flagged by the validation against its ROR profile.</summary>
/// <param name="ResourceType">Type.</param>
/// <param name="Id">Logical id in the ROR.</param>
/// <param name="Name">Display name.</param>
/// <param name="Issues">The first errors, one per line (<c>location: message</c>).</param>
/// <param name="ValidatedAt">When this version was validated.</param>
public sealed record RorInvalidResource(string ResourceType, string Id, string? Name, string? Issues, DateTimeOffset? ValidatedAt);

/// <summary>Reads the synchronised ROR offer from the store (local search: no call to the ROR).</summary>
public sealed class RorDirectory
{
    private const string Offer = "HealthcareService";
    private const string Org = "Organization";
    private const string Loc = "Location";
    private readonly GatewayDbContext _db;
    private readonly TimeProvider _time;

    /// <summary>Creates the service.</summary>
    /// <param name="db">Database context.</param>
    /// <param name="time">Clock.</param>
    public RorDirectory(GatewayDbContext db, TimeProvider time)
    {
        _db = db;
        _time = time;
    }

    /// <summary>Searches offers.</summary>
    /// <param name="query">Criteria (validate first).</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>A page, ordered by name then id.</returns>
    public async Task<RorOfferPage> SearchOffersAsync(RorOfferQuery query, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var rows = _db.RorResources.AsNoTracking().Where(r => r.ResourceType == Offer);
        // Index reads of the search keys the synchronisation writes with each offer (see RorSearchTerms): a word is looked for
        // in the vocabulary (distinct words, a small table), then the offers holding the words found are read from the keys.
        var keys = _db.RorSearchKeys;
        var vocabulary = _db.RorSearchWords;
        foreach (var word in Words(query.Name))
        {
            var w = word;
            var found = vocabulary.Where(v => v.Kind == RorSearchTerms.Name && v.Word.Contains(w)).Select(v => v.Word);
            var ids = keys.Where(k => (k.Kind == RorSearchTerms.Name || k.Kind == RorSearchTerms.OrganizationName) && found.Contains(k.Key)).Select(k => k.ResourceId);
            rows = rows.Where(r => ids.Contains(r.ResourceId));
        }

        if (!string.IsNullOrWhiteSpace(query.Activity))
        {
            var code = query.Activity.Trim();
            var ids = keys.Where(k => k.Kind == RorSearchTerms.Activity && k.Key == code).Select(k => k.ResourceId);
            rows = rows.Where(r => ids.Contains(r.ResourceId));
        }

        foreach (var word in Words(query.Specialty))
        {
            var w = word;
            var found = vocabulary.Where(v => v.Kind == RorSearchTerms.Specialty && v.Word.Contains(w)).Select(v => v.Word);
            var ids = keys.Where(k => k.Kind == RorSearchTerms.Specialty && found.Contains(k.Key)).Select(k => k.ResourceId);
            rows = rows.Where(r => ids.Contains(r.ResourceId));
        }

        if (!string.IsNullOrWhiteSpace(query.Commune))
        {
            // The sync copies each offer's place (commune code, postal code, commune name key) onto the offer row, so this
            // is a read of the (type, commune) indexes, not a join through locations and organisations.
            var c = query.Commune.Trim();
            if (c.Length == 5 && c.All(ch => char.IsAsciiDigit(ch) || ch is 'A' or 'B' or 'a' or 'b'))
            {
                // Two index reads: SQLite cannot answer "CommuneCode = x OR PostalCode = x" from the two indexes (both start with
                // the type) and reads every offer row instead. UNION ALL, not UNION: for a UNION, SQLite 3.53 merges two lists
                // sorted by id and so reads each side in id order (every offer row again); duplicates do not matter to IN.
                var code = c.ToUpperInvariant();
                var byCode = _db.RorResources.Where(o => o.ResourceType == Offer && o.CommuneCode == code).Select(o => o.ResourceId)
                    .Concat(_db.RorResources.Where(o => o.ResourceType == Offer && o.PostalCode == code).Select(o => o.ResourceId));
                rows = rows.Where(r => byCode.Contains(r.ResourceId));
            }
            else if (SearchKeys.Normalize(c) is { Length: > 0 } key)
            {
                // A prefix as a range (key ≤ CityKey < key with its last character incremented) so both providers use the index;
                // the StartsWith keeps the answer exact whatever the collation does with the range.
                var upper = key[..^1] + (char)(key[^1] + 1);
                rows = rows.Where(r => string.Compare(r.CityKey, key) >= 0 && string.Compare(r.CityKey, upper) < 0 && r.CityKey!.StartsWith(key));
            }
        }

        var total = await rows.CountAsync(ct).ConfigureAwait(false);
        // The page's ids first (ordered by the name index, nothing but keys sorted), then those rows alone with their JSON.
        var pageIds = await rows.OrderBy(r => r.NameKey).ThenBy(r => r.ResourceId)
            .Skip((query.Page - 1) * query.PageSize).Take(query.PageSize).Select(r => r.ResourceId).ToListAsync(ct).ConfigureAwait(false);
        var byId = await _db.RorResources.AsNoTracking().Where(r => r.ResourceType == Offer && pageIds.Contains(r.ResourceId))
            .ToDictionaryAsync(r => r.ResourceId, StringComparer.Ordinal, ct).ConfigureAwait(false);
        var page = pageIds.Where(byId.ContainsKey).Select(id => byId[id]).ToList();
        return new RorOfferPage(total, query.Page, query.PageSize, await HitsAsync(page, ct).ConfigureAwait(false));
    }

    /// <summary>One offer with its hierarchy, locations and professionals.</summary>
    /// <param name="id">HealthcareService id.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The offer, or null when the mirror does not hold it.</returns>
    public async Task<RorOfferDetail?> GetOfferAsync(string id, CancellationToken ct = default)
    {
        var row = await Find(Offer, id).FirstOrDefaultAsync(ct).ConfigureAwait(false);
        if (row is null)
        {
            return null;
        }

        var summary = RorIndex.ReadSummary(row.Summary);
        var orgs = await ChainAsync(row.OrganizationId, ct).ConfigureAwait(false);
        var locationIds = await LocationIdsAsync(row, ct).ConfigureAwait(false);
        var locations = await _db.RorResources.AsNoTracking().Where(r => r.ResourceType == Loc && locationIds.Contains(r.ResourceId)).ToListAsync(ct).ConfigureAwait(false);
        var roles = await _db.RorResources.AsNoTracking().Where(r => r.ResourceType == "PractitionerRole" && r.ServiceId == id).OrderBy(r => r.ResourceId).Take(200).ToListAsync(ct).ConfigureAwait(false);
        var practitionerIds = roles.Select(r => r.PractitionerId).ToList();
        var names = await _db.RorResources.AsNoTracking().Where(r => r.ResourceType == "Practitioner" && practitionerIds.Contains(r.ResourceId))
            .ToDictionaryAsync(r => r.ResourceId, r => r.Name, StringComparer.Ordinal, ct).ConfigureAwait(false);
        return new RorOfferDetail(row.ResourceId, row.Name, row.Identifier, summary.Codes, summary.Sensitive, Instant(row.LastUpdatedTicks),
            orgs, locations.Select(LocationView).ToList(),
            roles.Select(r => new RorRoleView(r.ResourceId, r.PractitionerId is { } p && names.TryGetValue(p, out var n) ? n : null, RorIndex.ReadSummary(r.Summary).Codes)).ToList());
    }

    /// <summary>One Location with the EG that manages it (whose idNatStruct the capacity feed names) and the offers delivered there.</summary>
    /// <param name="id">Location id.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The Location, or null when the mirror does not hold it.</returns>
    public async Task<RorLocationDetail?> GetLocationAsync(string id, CancellationToken ct = default)
    {
        var row = await Find(Loc, id).FirstOrDefaultAsync(ct).ConfigureAwait(false);
        if (row is null)
        {
            return null;
        }

        var eg = row.OrganizationId is { } o ? await Find(Org, o).FirstOrDefaultAsync(ct).ConfigureAwait(false) : null;
        var offers = await _db.RorResources.AsNoTracking().Where(r => r.ResourceType == Offer && r.LocationId == id).OrderBy(r => r.NameKey)
            .Select(r => new { r.ResourceId, r.Name }).Take(50).ToListAsync(ct).ConfigureAwait(false);
        return new RorLocationDetail(LocationView(row), eg is null ? null : OrgView(eg), offers.Select(x => (x.ResourceId, x.Name)).ToList());
    }

    /// <summary>One organisation with its parents, children and offers.</summary>
    /// <param name="id">Organization id.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The organisation, or null.</returns>
    public async Task<RorOrganizationDetail?> GetOrganizationAsync(string id, CancellationToken ct = default)
    {
        var chain = await ChainAsync(id, ct).ConfigureAwait(false);
        if (chain.Count == 0)
        {
            return null;
        }

        var children = await _db.RorResources.AsNoTracking().Where(r => r.ResourceType == Org && r.OrganizationId == id).OrderBy(r => r.NameKey).Take(200).ToListAsync(ct).ConfigureAwait(false);
        var offers = await _db.RorResources.AsNoTracking().Where(r => r.ResourceType == Offer && r.OrganizationId == id).OrderBy(r => r.NameKey).Take(200).ToListAsync(ct).ConfigureAwait(false);
        return new RorOrganizationDetail(chain[0], chain.Skip(1).ToList(), children.Select(OrgView).ToList(), await HitsAsync(offers, ct).ConfigureAwait(false));
    }

    /// <summary>State of the synchronisation and what the mirror holds.</summary>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The state.</returns>
    public async Task<RorSyncStatusView> GetStatusAsync(CancellationToken ct = default)
    {
        var s = await _db.RorSyncStates.AsNoTracking().FirstOrDefaultAsync(x => x.Id == 1, ct).ConfigureAwait(false) ?? new RorSyncState { Id = 1 };
        var counts = await _db.RorResources.GroupBy(r => r.ResourceType).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct).ConfigureAwait(false);
        var running = s.LeaseOwner is not null && s.LeaseUntilTicks > _time.GetUtcNow().UtcTicks;
        // Constants in the filters: both databases answer from the partial indexes on these statuses.
        var invalid = await _db.RorResources.CountAsync(r => r.ValidationStatus == RorValidationStatus.Invalid, ct).ConfigureAwait(false);
        var pending = await _db.RorResources.CountAsync(r => r.ValidationStatus == RorValidationStatus.Pending, ct).ConfigureAwait(false);
        return new RorSyncStatusView(running, running ? s.LeaseOwner : null, s.Phase, !running && s.Phase == "full" && s.ExportJob is not null,
            Opt(s.SucceededAtTicks), s.LastKind, Opt(s.LastFullAtTicks), s.SinceTicks == 0 ? null : Instant(s.SinceTicks), s.LastStored, s.LastDeleted, s.LastError, Opt(s.FailedAtTicks),
            counts.ToDictionary(c => c.Key, c => c.Count, StringComparer.Ordinal))
        {
            LastValidated = s.LastValidated,
            LastInvalid = s.LastInvalid,
            Invalid = invalid,
            ValidationPending = pending,
        };
    }

    /// <summary>The mirrored resources flagged invalid against their ROR profile, by type and id (for the publisher to report upstream).</summary>
    /// <param name="max">At most this many (1–1000).</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The flagged resources with their first errors.</returns>
    public async Task<IReadOnlyList<RorInvalidResource>> ListInvalidAsync(int max = 100, CancellationToken ct = default)
    {
        var rows = await _db.RorResources.AsNoTracking().Where(r => r.ValidationStatus == RorValidationStatus.Invalid)
            .OrderBy(r => r.ResourceType).ThenBy(r => r.ResourceId).Take(Math.Clamp(max, 1, 1000))
            .Select(r => new { r.ResourceType, r.ResourceId, r.Name, r.ValidationIssues, r.ValidatedAtTicks }).ToListAsync(ct).ConfigureAwait(false);
        return rows.Select(r => new RorInvalidResource(r.ResourceType, r.ResourceId, r.Name, r.ValidationIssues, Opt(r.ValidatedAtTicks))).ToList();
    }

    private IQueryable<RorResource> Find(string type, string id) => _db.RorResources.AsNoTracking().Where(r => r.ResourceType == type && r.ResourceId == id);

    /// <summary>The organisation and its parents (at most 6 levels: EJ/EG/OI, with a guard against cycles).</summary>
    private async Task<List<RorOrganizationView>> ChainAsync(string? id, CancellationToken ct)
    {
        var chain = new List<RorOrganizationView>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (id is not null && chain.Count < 6 && seen.Add(id))
        {
            var org = await Find(Org, id).FirstOrDefaultAsync(ct).ConfigureAwait(false);
            if (org is null)
            {
                break;
            }

            chain.Add(OrgView(org));
            id = org.OrganizationId;
        }

        return chain;
    }

    private async Task<List<string>> LocationIdsAsync(RorResource offer, CancellationToken ct)
    {
        // Every location the offer references (the index keeps the first one; the JSON has them all).
        await Task.CompletedTask.ConfigureAwait(false);
        var ids = new List<string>();
        using var doc = System.Text.Json.JsonDocument.Parse(offer.Json);
        if (doc.RootElement.TryGetProperty("location", out var locs) && locs.ValueKind == System.Text.Json.JsonValueKind.Array)
        {
            foreach (var l in locs.EnumerateArray())
            {
                if (l.TryGetProperty("reference", out var r) && r.GetString() is { } text && text.Split('/') is { Length: >= 2 } parts && parts[^2] == Loc)
                {
                    ids.Add(parts[^1]);
                }
            }
        }

        ct.ThrowIfCancellationRequested();
        return ids;
    }

    private async Task<List<RorOfferHit>> HitsAsync(List<RorResource> offers, CancellationToken ct)
    {
        var orgIds = offers.Select(o => o.OrganizationId).Where(x => x is not null).Distinct().ToList();
        var locIds = offers.Select(o => o.LocationId).Where(x => x is not null).Distinct().ToList();
        var orgs = await _db.RorResources.AsNoTracking().Where(r => r.ResourceType == Org && orgIds.Contains(r.ResourceId)).ToDictionaryAsync(r => r.ResourceId, StringComparer.Ordinal, ct).ConfigureAwait(false);
        var locs = await _db.RorResources.AsNoTracking().Where(r => r.ResourceType == Loc && locIds.Contains(r.ResourceId)).ToDictionaryAsync(r => r.ResourceId, StringComparer.Ordinal, ct).ConfigureAwait(false);
        return offers.Select(o =>
        {
            var summary = RorIndex.ReadSummary(o.Summary);
            var org = o.OrganizationId is { } oi && orgs.TryGetValue(oi, out var x) ? x : null;
            var loc = o.LocationId is { } li && locs.TryGetValue(li, out var y) ? y : null;
            var place = loc is not null ? RorIndex.ReadSummary(loc.Summary) : org is not null ? RorIndex.ReadSummary(org.Summary) : null;
            return new RorOfferHit(o.ResourceId, o.Name, o.Identifier, o.OrganizationId, org?.Name, loc?.CommuneCode ?? org?.CommuneCode, place?.City,
                summary.Codes.Where(c => c.Kind == "activity").ToList(), loc is not null ? RorIndex.ReadSummary(loc.Summary).Capacities : [], Instant(o.LastUpdatedTicks));
        }).ToList();
    }

    private static RorOrganizationView OrgView(RorResource r)
    {
        var s = RorIndex.ReadSummary(r.Summary);
        return new RorOrganizationView(r.ResourceId, r.Name, r.Identifier, r.OrganizationId, s.Address, s.City, s.Codes, Instant(r.LastUpdatedTicks));
    }

    private static RorLocationView LocationView(RorResource r)
    {
        var s = RorIndex.ReadSummary(r.Summary);
        return new RorLocationView(r.ResourceId, r.Name, s.ExternalId, s.Address, s.City, r.CommuneCode, s.Capacities, Instant(r.LastUpdatedTicks));
    }

    private static IEnumerable<string> Words(string? text) =>
        SearchKeys.Normalize(text).Split(' ', StringSplitOptions.RemoveEmptyEntries).Take(8);

    private static DateTimeOffset Instant(long ticks) => new(ticks, TimeSpan.Zero);

    private static DateTimeOffset? Opt(long? ticks) => ticks is { } t ? Instant(t) : null;
}
