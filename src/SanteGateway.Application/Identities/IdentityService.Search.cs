using Microsoft.EntityFrameworkCore;
using SanteGateway.Identity;
using SanteGateway.Store;
using SanteGateway.Store.Entities;

namespace SanteGateway.Application;

/// <summary>Search, duplicates and potential duplicates.</summary>
public sealed partial class IdentityService
{
    /// <summary>Largest count a search computes row by row; past it the total is flagged as capped (<see cref="Paged{T}.TotalCapped"/>).</summary>
    public const int SearchCountCap = 1000;

    /// <summary>Deepest row a search pages to (page × size): deeper pages mean the criteria are too broad.</summary>
    public const int SearchMaxDepth = 10_000;

    /// <summary>
    /// Searches live identities by birth name, birth date, first first-name, sex and INS (accent- and case-insensitive
    /// keys), with homonym hints; merged identities are left out. The cost does not grow with the size of the surname:
    /// the page is read from an index in order, the hints and the totals of name-only, name + birth date and
    /// name + first-name searches come from pre-aggregated counts (<see cref="HomonymCounts"/>), and any other total
    /// stops at <see cref="SearchCountCap"/> (flagged as capped).
    /// </summary>
    /// <param name="birthName">Birth name (exact key).</param>
    /// <param name="birthDate">Birth date <c>YYYY-MM-DD</c>.</param>
    /// <param name="firstName">First first-name.</param>
    /// <param name="sex">F, M or U.</param>
    /// <param name="page">Page from 1.</param>
    /// <param name="pageSize">1–100.</param>
    /// <param name="ct">Cancellation.</param>
    /// <param name="ins">Matricule INS.</param>
    /// <param name="namePrefix">Start of the birth name or of the used name (normalised key prefix); with
    /// <paramref name="birthName"/> the exact birth name wins.</param>
    /// <returns>The page.</returns>
    public Task<Result<Paged<IdentitySummary>>> SearchAsync(string? birthName, string? birthDate, string? firstName, string? sex, int? page, int? pageSize, CancellationToken ct, string? ins = null, string? namePrefix = null) => AppFailure.Run(async () =>
    {
        var errors = new FieldErrors();
        var (p, size) = Paging(page, pageSize, 20);
        var date = TraitInput.Day(errors, "birthDate", birthDate, required: false);
        var sexCode = sex is null ? null : TraitInput.Sex(errors, "sex", sex, required: false);
        string? matricule = null;
        if (!string.IsNullOrWhiteSpace(ins))
        {
            if (InsMatricule.TryParse(ins, out var m, out var insError))
            {
                matricule = m.Value;
            }
            else
            {
                errors.Add("ins", "ins." + insError.Kind.ToString().ToLowerInvariant(), insError.Message);
            }
        }

        var skip = (p - 1) * size;
        if (skip + size > SearchMaxDepth)
        {
            errors.Add("page", "search.too-deep", $"A search pages through at most {SearchMaxDepth} identities: add criteria (birth date, first name, sex).");
        }

        var nameKey = SearchKeys.Normalize(birthName);
        var prefixKey = nameKey.Length > 0 ? "" : SearchKeys.Normalize(namePrefix);
        errors.ThrowIfAny();

        var firstKey = SearchKeys.Normalize(firstName);
        IQueryable<IdentityRecord> Filter(IQueryable<IdentityRecord> q)
        {
            q = q.Where(x => x.MergedIntoId == null);
            if (firstKey.Length > 0)
            {
                q = q.Where(x => x.FirstNameKey == firstKey);
            }

            if (date is { } d)
            {
                q = q.Where(x => x.BirthDate == d);
            }

            if (sexCode is { } s)
            {
                var code = SexCodes.ToCode(s);
                q = q.Where(x => x.Sex == code);
            }

            if (matricule is not null)
            {
                q = q.Where(x => x.InsMatricule == matricule);
            }

            return q;
        }

        var all = db.Identities.AsNoTracking();
        List<SearchRow> rows;
        int total;
        bool capped;
        if (prefixKey.Length > 0)
        {
            // Two index range scans in key order (birth name; used name of identities whose birth name does not match),
            // each stopped after the rows the page needs, merged here.
            var high = PrefixEnd(prefixKey);
            var byBirth = Filter(all).Where(x => string.Compare(x.BirthNameKey, prefixKey) >= 0 && string.Compare(x.BirthNameKey, high) < 0);
            var byUsed = Filter(all).Where(x => string.Compare(x.UsedNameKey, prefixKey) >= 0 && string.Compare(x.UsedNameKey, high) < 0
                && !(string.Compare(x.BirthNameKey, prefixKey) >= 0 && string.Compare(x.BirthNameKey, high) < 0));
            var birthRows = await Project(byBirth.OrderBy(x => x.BirthNameKey).ThenBy(x => x.FirstNameKey).ThenBy(x => x.Id).Take(skip + size)).ToListAsync(ct).ConfigureAwait(false);
            var usedRows = await Project(byUsed.OrderBy(x => x.UsedNameKey).ThenBy(x => x.FirstNameKey).ThenBy(x => x.Id).Take(skip + size)).ToListAsync(ct).ConfigureAwait(false);
            rows = birthRows.Select(r => (Key: r.BirthNameKey, Row: r)).Concat(usedRows.Select(r => (Key: r.UsedNameKey!, Row: r)))
                .OrderBy(x => x.Key, StringComparer.Ordinal).ThenBy(x => x.Row.FirstNameKey, StringComparer.Ordinal).ThenBy(x => x.Row.Id)
                .Skip(skip).Take(size).Select(x => x.Row).ToList();
            // The used-name range only counts up to what the birth-name range left below the cap (nothing when it is full).
            var (n1, c1) = await CappedCountAsync(byBirth, SearchCountCap, ct).ConfigureAwait(false);
            var (n2, c2) = c1 ? (0, true) : await CappedCountAsync(byUsed, SearchCountCap - n1, ct).ConfigureAwait(false);
            (total, capped) = (n1 + n2, c1 || c2);
        }
        else
        {
            var q = Filter(all);
            if (nameKey.Length > 0)
            {
                q = q.Where(x => x.BirthNameKey == nameKey);
            }

            rows = await Project(q.OrderBy(x => x.BirthNameKey).ThenBy(x => x.FirstNameKey).ThenBy(x => x.Id).Skip(skip).Take(size)).ToListAsync(ct).ConfigureAwait(false);

            // Exact totals for free when the criteria are exactly one pre-aggregated group.
            var onlyName = nameKey.Length > 0 && sexCode is null && matricule is null;
            (string Kind, string Other)? group = null;
            if (onlyName && date is null && firstKey.Length == 0)
            {
                group = (HomonymCounts.NameOnly, "");
            }
            else if (onlyName && date is { } gd && firstKey.Length == 0)
            {
                group = (HomonymCounts.NameAndDate, HomonymCounts.DateKey(gd));
            }
            else if (onlyName && date is null)
            {
                group = (HomonymCounts.NameAndFirstName, firstKey);
            }

            if (group is { Kind: var kind, Other: var other })
            {
                total = await db.HomonymCounts.AsNoTracking().Where(c => c.Kind == kind && c.NameKey == nameKey && c.OtherKey == other)
                    .Select(c => c.Count).FirstOrDefaultAsync(ct).ConfigureAwait(false);
                capped = false;
            }
            else
            {
                (total, capped) = await CappedCountAsync(q, SearchCountCap, ct).ConfigureAwait(false);
            }
        }

        var hints = await HintsAsync(rows, ct).ConfigureAwait(false);
        var items = rows.Select(r =>
        {
            var h = new List<string>(2);
            if (hints.Contains((HomonymCounts.NameAndDate, r.BirthNameKey, HomonymCounts.DateKey(r.BirthDate))))
            {
                h.Add("birth-name+birth-date");
            }

            if (hints.Contains((HomonymCounts.NameAndFirstName, r.BirthNameKey, r.FirstNameKey)))
            {
                h.Add("birth-name+first-name");
            }

            return new IdentitySummary(r.Id, r.Status, r.BirthName, r.FirstFirstName, r.Sex, r.BirthDate, h, r.BirthPlaceCog, r.InsMatricule, r.CreatedAt);
        }).ToList();
        return new Paged<IdentitySummary>(items, p, size, total, capped);
    });

    /// <summary>Live identities with this INS (matricule + OID of the assigning authority), read by the unique index.</summary>
    /// <param name="matricule">Matricule INS (15 characters).</param>
    /// <param name="oid">OID of its assigning authority.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The identity id, or null.</returns>
    public async Task<Guid?> FindByInsAsync(string matricule, string oid, CancellationToken ct)
    {
        var id = await db.Identities.AsNoTracking().Where(x => x.InsMatricule == matricule && x.InsOid == oid).Select(x => (Guid?)x.Id).FirstOrDefaultAsync(ct).ConfigureAwait(false);
        return id;
    }

    /// <summary>The identity known under a partner's identifier (authority + value), read by the unique index.</summary>
    /// <param name="authority">Assigning authority (OID or namespace).</param>
    /// <param name="value">Identifier in that domain.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The identity id, or null.</returns>
    public async Task<Guid?> FindByExternalIdAsync(string authority, string value, CancellationToken ct) =>
        await db.ExternalIdentifiers.AsNoTracking().Where(x => x.Authority == authority && x.Value == value).Select(x => (Guid?)x.IdentityId).FirstOrDefaultAsync(ct).ConfigureAwait(false);

    /// <summary>
    /// The identities known under another domain's identifier with this value, under any of <paramref name="authorities"/>
    /// (the same authority may be stored as a bare OID or as <c>urn:oid:…</c>), or under any authority when none is given.
    /// </summary>
    /// <param name="value">Identifier in the other domain.</param>
    /// <param name="authorities">Accepted spellings of the assigning authority; empty for any.</param>
    /// <param name="max">At most this many ids.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The identity ids (possibly merged ones: the caller decides what to show).</returns>
    public async Task<IReadOnlyList<Guid>> FindByExternalIdValueAsync(string value, IReadOnlyCollection<string> authorities, int max, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(authorities);
        var q = db.ExternalIdentifiers.AsNoTracking().Where(x => x.Value == value);
        if (authorities.Count > 0)
        {
            q = q.Where(x => authorities.Contains(x.Authority));
        }

        return await q.OrderBy(x => x.IdentityId).Select(x => x.IdentityId).Take(max).ToListAsync(ct).ConfigureAwait(false);
    }

    private sealed record SearchRow(Guid Id, string Status, string BirthName, string FirstFirstName, string Sex, DateOnly BirthDate, string BirthNameKey, string FirstNameKey, string? UsedNameKey, string? BirthPlaceCog, string? InsMatricule, DateTimeOffset CreatedAt);

    private static IQueryable<SearchRow> Project(IQueryable<IdentityRecord> q) =>
        q.Select(x => new SearchRow(x.Id, x.Status, x.BirthName, x.FirstFirstName, x.Sex, x.BirthDate, x.BirthNameKey, x.FirstNameKey, x.UsedNameKey, x.BirthPlaceCog, x.InsMatricule, x.CreatedAt));

    /// <summary>Counts at most <paramref name="cap"/> + 1 rows (a LIMIT under the COUNT): bounded whatever matches.</summary>
    /// <returns>The count, at most <paramref name="cap"/>, and whether more rows match.</returns>
    private static async Task<(int Total, bool Capped)> CappedCountAsync(IQueryable<IdentityRecord> q, int cap, CancellationToken ct)
    {
        var n = await q.Select(x => x.Id).Take(cap + 1).CountAsync(ct).ConfigureAwait(false);
        return n > cap ? (cap, true) : (n, false);
    }

    /// <summary>The first key after every key that starts with <paramref name="prefix"/> (ordinal order).</summary>
    internal static string PrefixEnd(string prefix) => prefix[..^1] + (char)(prefix[^1] + 1);

    /// <summary>Homonym groups of the page's rows with more than one live identity, by primary key of the counts.</summary>
    private async Task<HashSet<(string Kind, string Name, string Other)>> HintsAsync(List<SearchRow> rows, CancellationToken ct)
    {
        if (rows.Count == 0)
        {
            return [];
        }

        var names = rows.Select(r => r.BirthNameKey).Distinct(StringComparer.Ordinal).ToList();
        var others = rows.Select(r => HomonymCounts.DateKey(r.BirthDate)).Concat(rows.Select(r => r.FirstNameKey)).Distinct(StringComparer.Ordinal).ToList();
        var groups = await db.HomonymCounts.AsNoTracking()
            .Where(c => (c.Kind == HomonymCounts.NameAndDate || c.Kind == HomonymCounts.NameAndFirstName) && names.Contains(c.NameKey) && others.Contains(c.OtherKey) && c.Count > 1)
            .Select(c => new { c.Kind, c.NameKey, c.OtherKey })
            .ToListAsync(ct).ConfigureAwait(false);
        return groups.Select(g => (g.Kind, g.NameKey, g.OtherKey)).ToHashSet();
    }

    /// <summary>Potential duplicates of an identity, for review (same birth date and sex, same or phonetically close birth name, close first name).</summary>
    /// <param name="id">Identity id.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The candidates with the reasons.</returns>
    public Task<Result<IReadOnlyList<PotentialDuplicateView>>> PotentialDuplicatesAsync(Guid id, CancellationToken ct) => AppFailure.Run(async () =>
    {
        var record = await LoadAsync(id, tracking: false, ct).ConfigureAwait(false);
        return await FindPotentialDuplicatesAsync(record, ct).ConfigureAwait(false);
    });

    /// <summary>Live identities with the same strict traits (normalised keys; a missing birth place matches any).</summary>
    private async Task<IReadOnlyList<DuplicateView>> FindDuplicatesAsync(IdentityTraits traits, Guid? self, CancellationToken ct)
    {
        var nameKey = SearchKeys.Normalize(traits.BirthName);
        var firstKey = SearchKeys.Normalize(traits.FirstFirstName);
        var sex = SexCodes.ToCode(traits.Sex);
        var date = traits.BirthDate.Value;
        var cog = traits.BirthPlaceCog;
        var rows = await db.Identities.AsNoTracking()
            .Where(x => x.MergedIntoId == null && x.BirthNameKey == nameKey && x.BirthDate == date && x.FirstNameKey == firstKey && x.Sex == sex)
            // Ordered by id: which 50 are read when more match is then the same every time (and EF's warning 10102 is met).
            .OrderBy(x => x.Id)
            .Select(x => new { x.Id, x.BirthPlaceCog })
            .Take(50)
            .ToListAsync(ct).ConfigureAwait(false);
        return rows.Where(r => r.Id != self && (cog is null || r.BirthPlaceCog is null || string.Equals(cog, r.BirthPlaceCog, StringComparison.OrdinalIgnoreCase)))
            .Select(r => new DuplicateView(r.Id, "same-strict-traits")).ToList();
    }

    private async Task<IReadOnlyList<PotentialDuplicateView>> FindPotentialDuplicatesAsync(IdentityRecord record, CancellationToken ct)
    {
        // Two index reads (birth name key + birth date; phonetic key + birth date) instead of one OR, so that each
        // reads only its few candidates whatever the size of the surname.
        var live = db.Identities.AsNoTracking().Where(x => x.MergedIntoId == null && x.Id != record.Id && x.BirthDate == record.BirthDate && x.Sex == record.Sex);
        var sameName = await live.Where(x => x.BirthNameKey == record.BirthNameKey)
            .OrderBy(x => x.Id).Select(x => new { x.Id, x.BirthNameKey, x.FirstNameKey, x.BirthPlaceCog }).Take(200).ToListAsync(ct).ConfigureAwait(false);
        var phonetic = record.BirthNamePhonetic == "" ? [] : await live.Where(x => x.BirthNamePhonetic == record.BirthNamePhonetic && x.BirthNameKey != record.BirthNameKey)
            .OrderBy(x => x.Id).Select(x => new { x.Id, x.BirthNameKey, x.FirstNameKey, x.BirthPlaceCog }).Take(200).ToListAsync(ct).ConfigureAwait(false);
        var rows = sameName.Concat(phonetic).ToList();
        var list = new List<PotentialDuplicateView>();
        foreach (var r in rows)
        {
            var reasons = new List<string>(2) { r.BirthNameKey == record.BirthNameKey ? "same-birth-name" : "phonetic-birth-name" };
            if (r.FirstNameKey == record.FirstNameKey)
            {
                reasons.Add("same-first-name");
            }
            else if (Distance(r.FirstNameKey, record.FirstNameKey) <= options.PotentialDuplicateFirstNameDistance
                || r.FirstNameKey.StartsWith(record.FirstNameKey, StringComparison.Ordinal)
                || record.FirstNameKey.StartsWith(r.FirstNameKey, StringComparison.Ordinal))
            {
                reasons.Add("close-first-name");
            }
            else
            {
                continue;
            }

            if (record.BirthPlaceCog is not null && r.BirthPlaceCog is not null && !string.Equals(record.BirthPlaceCog, r.BirthPlaceCog, StringComparison.OrdinalIgnoreCase))
            {
                continue; // Born in different places: homonyms, not the same person.
            }

            list.Add(new PotentialDuplicateView(r.Id, reasons));
        }

        return list;
    }

    private static AppError DuplicateError(IReadOnlyList<DuplicateView> duplicates) =>
        new(ErrorKind.Conflict, "identity.duplicate",
            $"An identity with the same strict traits already exists ({string.Join(", ", duplicates.Select(d => d.Id))}); use it, or identity vigilance may force the creation with a reason.",
            Data: new Dictionary<string, object?>(StringComparer.Ordinal) { ["existing"] = duplicates });

    /// <summary>Levenshtein distance, bounded inputs (names of at most 100 characters).</summary>
    internal static int Distance(string a, string b)
    {
        if (a.Length == 0)
        {
            return b.Length;
        }

        if (b.Length == 0)
        {
            return a.Length;
        }

        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            prev[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }

            (prev, cur) = (cur, prev);
        }

        return prev[b.Length];
    }

    private VigilanceAlert RaiseAlert(string kind, Guid identityId, Guid? other, Guid? exchangeId, string? detail, Actor actor, DateTimeOffset now)
    {
        group?.WithoutOpenAlerts.Remove(identityId);
        var alert = new VigilanceAlert
        {
            Id = Guid.CreateVersion7(now),
            Kind = kind,
            IdentityId = identityId,
            OtherIdentityId = other,
            ExchangeId = exchangeId,
            Detail = detail is { Length: > 512 } ? detail[..512] : detail,
            CreatedAt = now,
            CreatedBy = actor.Name,
        };
        db.VigilanceAlerts.Add(alert);
        return alert;
    }

    /// <summary>Raises an alert unless the same one (kind, identity, other identity) is still open.</summary>
    private async Task<VigilanceAlert> RaiseAlertOnceAsync(string kind, Guid identityId, Guid? other, Guid? exchangeId, string? detail, Actor actor, DateTimeOffset now, CancellationToken ct)
    {
        await FlushGroupAsync(ct).ConfigureAwait(false); // an alert raised earlier in a group must be found
        var open = await db.VigilanceAlerts.FirstOrDefaultAsync(a => a.Kind == kind && a.IdentityId == identityId && a.OtherIdentityId == other && a.ResolvedAt == null, ct).ConfigureAwait(false);
        if (open is not null)
        {
            open.ExchangeId = exchangeId ?? open.ExchangeId;
            open.Detail = detail is { Length: > 512 } ? detail[..512] : detail ?? open.Detail;
            return open;
        }

        return RaiseAlert(kind, identityId, other, exchangeId, detail, actor, now);
    }
}

/// <summary>Kinds of <see cref="VigilanceAlert"/>.</summary>
public static class AlertKinds
{
    /// <summary>INSi returned an INS that another identity holds.</summary>
    public const string Collision = "collision";

    /// <summary>Verification: INSi returns another INS (or traits differ).</summary>
    public const string VerificationMismatch = "verification-mismatch";

    /// <summary>Verification: INSi knows no identity for the traits.</summary>
    public const string VerificationNotFound = "verification-not-found";

    /// <summary>Verification: several identities for the traits.</summary>
    public const string VerificationAmbiguous = "verification-ambiguous";

    /// <summary>The last INSi call failed (fault, transport, unreadable answer).</summary>
    public const string InsiFailure = "insi-failure";

    /// <summary>Identity vigilance kept a duplicate on purpose.</summary>
    public const string DuplicateForced = "duplicate-forced";

    /// <summary>A close identity exists (phonetic birth name, close first name).</summary>
    public const string PotentialDuplicate = "potential-duplicate";
}
