using Microsoft.EntityFrameworkCore;
using SanteGateway.Identity;
using SanteGateway.Store;
using SanteGateway.Store.Entities;

namespace SanteGateway.Application;

/// <summary>Search, duplicates and potential duplicates.</summary>
public sealed partial class IdentityService
{
    /// <summary>
    /// Searches live identities by birth name, birth date, first first-name, sex and INS (accent- and case-insensitive
    /// keys), with homonym hints; merged identities are left out.
    /// </summary>
    /// <param name="birthName">Birth name.</param>
    /// <param name="birthDate">Birth date <c>YYYY-MM-DD</c>.</param>
    /// <param name="firstName">First first-name.</param>
    /// <param name="sex">F, M or U.</param>
    /// <param name="page">Page from 1.</param>
    /// <param name="pageSize">1–100.</param>
    /// <param name="ct">Cancellation.</param>
    /// <param name="ins">Matricule INS.</param>
    /// <param name="prefix">Match the birth name and first name by their beginning (a front desk types a few letters).</param>
    /// <returns>The page.</returns>
    public Task<Result<Paged<IdentitySummary>>> SearchAsync(string? birthName, string? birthDate, string? firstName, string? sex, int? page, int? pageSize, CancellationToken ct, string? ins = null, bool prefix = false) => AppFailure.Run(async () =>
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

        errors.ThrowIfAny();

        var q = db.Identities.AsNoTracking().Where(x => x.MergedIntoId == null);
        var nameKey = SearchKeys.Normalize(birthName);
        if (nameKey.Length > 0)
        {
            q = prefix ? q.Where(x => EF.Functions.Like(x.BirthNameKey, nameKey + "%")) : q.Where(x => x.BirthNameKey == nameKey);
        }

        var firstKey = SearchKeys.Normalize(firstName);
        if (firstKey.Length > 0)
        {
            q = prefix ? q.Where(x => EF.Functions.Like(x.FirstNameKey, firstKey + "%")) : q.Where(x => x.FirstNameKey == firstKey);
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

        var total = await q.CountAsync(ct).ConfigureAwait(false);
        var rows = await q.OrderBy(x => x.BirthNameKey).ThenBy(x => x.FirstNameKey).ThenBy(x => x.Id)
            .Skip((p - 1) * size).Take(size)
            .Select(x => new { x.Id, x.Status, x.BirthName, x.FirstFirstName, x.Sex, x.BirthDate, x.BirthNameKey, x.FirstNameKey, x.BirthPlaceCog, x.InsMatricule, x.CreatedAt })
            .ToListAsync(ct).ConfigureAwait(false);

        // Homonym hints: another identity shares birth name and birth date, or birth name and first name.
        var keys = rows.Select(r => r.BirthNameKey).Distinct().ToList();
        var live = db.Identities.AsNoTracking().Where(x => x.MergedIntoId == null && keys.Contains(x.BirthNameKey));
        var sameDate = await live.GroupBy(x => new { x.BirthNameKey, x.BirthDate }).Where(g => g.Count() > 1).Select(g => g.Key).ToListAsync(ct).ConfigureAwait(false);
        var sameFirst = await live.GroupBy(x => new { x.BirthNameKey, x.FirstNameKey }).Where(g => g.Count() > 1).Select(g => g.Key).ToListAsync(ct).ConfigureAwait(false);
        var items = rows.Select(r =>
        {
            var hints = new List<string>(2);
            if (sameDate.Any(k => k.BirthNameKey == r.BirthNameKey && k.BirthDate == r.BirthDate))
            {
                hints.Add("birth-name+birth-date");
            }

            if (sameFirst.Any(k => k.BirthNameKey == r.BirthNameKey && k.FirstNameKey == r.FirstNameKey))
            {
                hints.Add("birth-name+first-name");
            }

            return new IdentitySummary(r.Id, r.Status, r.BirthName, r.FirstFirstName, r.Sex, r.BirthDate, hints, r.BirthPlaceCog, r.InsMatricule, r.CreatedAt);
        }).ToList();
        return new Paged<IdentitySummary>(items, p, size, total);
    });

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
            .Select(x => new { x.Id, x.BirthPlaceCog })
            .Take(50)
            .ToListAsync(ct).ConfigureAwait(false);
        return rows.Where(r => r.Id != self && (cog is null || r.BirthPlaceCog is null || string.Equals(cog, r.BirthPlaceCog, StringComparison.OrdinalIgnoreCase)))
            .Select(r => new DuplicateView(r.Id, "same-strict-traits")).ToList();
    }

    private async Task<IReadOnlyList<PotentialDuplicateView>> FindPotentialDuplicatesAsync(IdentityRecord record, CancellationToken ct)
    {
        var rows = await db.Identities.AsNoTracking()
            .Where(x => x.MergedIntoId == null && x.Id != record.Id && x.BirthDate == record.BirthDate && x.Sex == record.Sex
                && (x.BirthNameKey == record.BirthNameKey || (record.BirthNamePhonetic != "" && x.BirthNamePhonetic == record.BirthNamePhonetic)))
            .Select(x => new { x.Id, x.BirthNameKey, x.FirstNameKey, x.BirthPlaceCog })
            .Take(200)
            .ToListAsync(ct).ConfigureAwait(false);
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
