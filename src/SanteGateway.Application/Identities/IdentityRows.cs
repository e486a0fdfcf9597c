using System.Globalization;
using SanteGateway.Identity;
using SanteGateway.Store;
using SanteGateway.Store.Entities;

namespace SanteGateway.Application;

/// <summary>
/// Maps the stored row to the RNIV aggregate (<see cref="RnivIdentity"/>) and back. The aggregate decides every status
/// change; the row keeps what the aggregate does not (all evidence rows, every INS ever held with INSi's dates, search keys).
/// </summary>
internal static class IdentityRows
{
    /// <summary>Row source of the active INS.</summary>
    public const string ActiveSource = "INSI";

    /// <summary>Row source of an INSi history entry (INSHISTO) of the active INS.</summary>
    public const string HistorySource = "INSHISTO";

    /// <summary>Rebuilds the aggregate. A row that does not parse or breaks an RNIV invariant is an error naming the row, never a silent default.</summary>
    public static RnivIdentity ToDomain(IdentityRecord r)
    {
        var problems = new List<string>();
        if (!SexCodes.TryParse(r.Sex, out var sex))
        {
            problems.Add("sex");
        }

        if (!RnivCodes.TryParseStatus(r.Status, out var status))
        {
            problems.Add("status");
        }

        if (!Enum.TryParse<CollectionChannel>(r.CollectionChannel, ignoreCase: false, out var channel) || !Enum.IsDefined(channel))
        {
            problems.Add("collectionChannel");
        }

        var date = new BirthDate(r.BirthDate, r.BirthDateCorrected) { UnknownParts = (BirthDateParts)r.BirthDateUnknownParts };
        var traits = IdentityTraits.Create(
            r.BirthName,
            IdentityTraits.SplitFirstNames(r.BirthFirstNames),
            r.FirstFirstName,
            sex,
            date,
            r.BirthPlaceCog,
            r.UsedName,
            r.UsedFirstName);
        var active = r.InsHistory.Where(h => h.IsActive).ToList();
        InsIdentifier? ins = null;
        var activeRow = active.FirstOrDefault(h => h.Source == ActiveSource);
        if (activeRow is not null && !TryIdentifier(activeRow, out ins))
        {
            problems.Add("ins");
        }

        var history = new List<InsIdentifier>();
        foreach (var h in active.Where(h => h.Source == HistorySource).OrderBy(h => h.ObtainedAt).ThenBy(h => h.Id))
        {
            if (TryIdentifier(h, out var id))
            {
                history.Add(id!);
            }
            else
            {
                problems.Add("insHistory");
            }
        }

        var evidenceRow = r.Evidence.Where(e => e.IsHighTrust && e.WithdrawnAt is null).OrderBy(e => e.RecordedAt).LastOrDefault();
        var evidence = evidenceRow is null ? null : new Evidence(evidenceRow.DocumentType, evidenceRow.CheckedOn, evidenceRow.ExpiresOn);
        if (problems.Count == 0 && traits.IsValid)
        {
            var restored = RnivIdentity.Restore(traits.Value, status, (IdentityAttributes)r.Attributes, ins, history, evidence, channel, r.InsiCalledAt);
            if (restored.IsValid)
            {
                return restored.Value;
            }

            problems.AddRange(restored.Errors.Select(e => $"{e.Field}/{e.Rule}"));
        }

        problems.AddRange(traits.Errors.Select(e => $"{e.Field}/{e.Rule}"));
        throw new StoredIdentityException(r.Id, problems);
    }

    /// <summary>Writes the aggregate's state back into the row (the caller adds new evidence rows itself).</summary>
    /// <param name="d">The aggregate.</param>
    /// <param name="r">The row.</param>
    /// <param name="now">Now.</param>
    /// <param name="addedInsRows">Receives the new INS rows (to add to the context).</param>
    /// <param name="insiDates">INSi's validity dates by matricule, when the change comes from an INSi answer.</param>
    /// <param name="newRowIds">Whether new INS rows get an id here (the bulk import gives ids itself, in file order: a
    /// UUIDv7 per row drawn here and then replaced was a visible share of its time per row).</param>
    public static void Apply(RnivIdentity d, IdentityRecord r, DateTimeOffset now, List<InsHistoryEntry> addedInsRows, IReadOnlyDictionary<string, (DateOnly? From, DateOnly? To)>? insiDates = null, bool newRowIds = true)
    {
        var t = d.Traits;
        r.BirthName = t.BirthName;
        r.BirthFirstNames = t.BirthFirstNamesJoined;
        r.FirstFirstName = t.FirstFirstName;
        r.Sex = SexCodes.ToCode(t.Sex);
        r.BirthDate = t.BirthDate.Value;
        r.BirthDateCorrected = t.BirthDate.IsCorrected;
        r.BirthDateUnknownParts = (int)t.BirthDate.UnknownParts;
        r.BirthPlaceCog = t.BirthPlaceCog;
        r.UsedName = t.UsedName;
        r.UsedFirstName = t.UsedFirstName;
        r.Status = RnivCodes.ToCode(d.Status);
        r.Attributes = (int)d.Attributes;
        r.CollectionChannel = d.Channel.ToString();
        r.InsiCalledAt = d.InsiCalledAt;

        // A new row (bulk import: millions of them) has no INS row yet: the comparison below reduces to "the aggregate has an INS".
        var changed = r.InsHistory.Count == 0 ? d.Ins is not null : InsChanged(d, r);
        if (changed)
        {
            // Rows are never deleted: what the identity carried stays visible (EXI REC 07).
            foreach (var h in r.InsHistory)
            {
                h.IsActive = false;
            }

            if (d.Ins is not null)
            {
                var rows = new List<InsHistoryEntry> { Row(r.Id, d.Ins, ActiveSource, now, insiDates, newRowIds) };
                var at = now;
                foreach (var h in d.InsHistory)
                {
                    // Distinct times keep INSi's order when the rows are read back.
                    at = at.AddTicks(TimeSpan.TicksPerMillisecond);
                    rows.Add(Row(r.Id, h, HistorySource, at, insiDates, newRowIds));
                }

                addedInsRows.AddRange(rows);
                foreach (var row in rows)
                {
                    r.InsHistory.Add(row);
                }
            }
        }

        r.InsMatricule = d.Ins?.Matricule.Value;
        r.InsOid = d.Ins?.Oid;
        if (d.Evidence is null && r.Evidence.Count > 0)
        {
            foreach (var e in r.Evidence.Where(e => e.WithdrawnAt is null && e.IsHighTrust))
            {
                e.WithdrawnAt = now;
            }
        }

        RefreshKeys(r);
    }

    /// <summary>
    /// True when <see cref="Apply"/> would change only columns of <paramref name="r"/> itself: no INS row added or
    /// deactivated, no evidence withdrawn (what a confirmed verification leaves alone), so it can be applied to a copy.
    /// </summary>
    public static bool AppliesToRowOnly(RnivIdentity d, IdentityRecord r) =>
        !(r.InsHistory.Count == 0 ? d.Ins is not null : InsChanged(d, r))
        && !(d.Evidence is null && r.Evidence.Any(e => e.WithdrawnAt is null && e.IsHighTrust));

    /// <summary>
    /// A copy of the row's columns (every public settable property, compiled once from the entity type, so a column
    /// added later is copied too); with <paramref name="withRelated"/>, its INS and evidence collections hold the same
    /// related rows (read only by the caller), else they are empty, so attaching the copy tracks the row alone.
    /// </summary>
    public static IdentityRecord CopyColumns(IdentityRecord r, bool withRelated)
    {
        var copy = ColumnCopy(r);
        if (withRelated)
        {
            foreach (var h in r.InsHistory)
            {
                copy.InsHistory.Add(h);
            }

            foreach (var e in r.Evidence)
            {
                copy.Evidence.Add(e);
            }
        }

        return copy;
    }

    private static readonly Func<IdentityRecord, IdentityRecord> ColumnCopy = BuildColumnCopy();

    private static Func<IdentityRecord, IdentityRecord> BuildColumnCopy()
    {
        var source = System.Linq.Expressions.Expression.Parameter(typeof(IdentityRecord), "r");
        var bindings = typeof(IdentityRecord).GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance)
            .Where(p => p.CanRead && p.CanWrite)
            .Select(p => (System.Linq.Expressions.MemberBinding)System.Linq.Expressions.Expression.Bind(p, System.Linq.Expressions.Expression.Property(source, p)));
        return System.Linq.Expressions.Expression.Lambda<Func<IdentityRecord, IdentityRecord>>(
            System.Linq.Expressions.Expression.MemberInit(System.Linq.Expressions.Expression.New(typeof(IdentityRecord)), bindings), source).Compile();
    }

    private static bool InsChanged(RnivIdentity d, IdentityRecord r)
    {
        var currentActive = r.InsHistory.Where(h => h.IsActive && h.Source == ActiveSource).Select(h => (h.Matricule, h.Oid)).FirstOrDefault();
        var wanted = d.Ins is null ? default : (d.Ins.Matricule.Value, d.Ins.Oid);
        var historyChanged = d.Ins is not null && !r.InsHistory.Where(h => h.IsActive && h.Source == HistorySource)
            .OrderBy(h => h.ObtainedAt).ThenBy(h => h.Id)
            .Select(h => (h.Matricule, h.Oid)).SequenceEqual(d.InsHistory.Select(h => (h.Matricule.Value, h.Oid)));
        return currentActive != wanted || historyChanged;
    }

    public static void RefreshKeys(IdentityRecord r)
    {
        r.BirthNameKey = SearchKeys.Normalize(r.BirthName);
        r.FirstNameKey = SearchKeys.Normalize(r.FirstFirstName);
        r.UsedNameKey = string.IsNullOrWhiteSpace(r.UsedName) ? null : SearchKeys.Normalize(r.UsedName);
        r.BirthNamePhonetic = FrenchPhonetic.Key(r.BirthName);
    }

    public static IdentityView ToView(IdentityRecord r, IReadOnlyList<ExternalIdentifier>? externalIds = null)
    {
        var history = r.InsHistory.OrderBy(h => h.ObtainedAt).ThenBy(h => h.Id)
            .Select(h => new InsView(h.Matricule, h.Oid, h.ObtainedAt, h.Source, h.IsActive, h.ValidFrom, h.ValidTo)).ToList();
        var date = new BirthDate(r.BirthDate, r.BirthDateCorrected) { UnknownParts = (BirthDateParts)r.BirthDateUnknownParts };
        return new IdentityView(
            r.Id,
            r.Version,
            r.Status,
            RnivCodes.ToCodes((IdentityAttributes)r.Attributes),
            string.Equals(r.Status, "QUAL", StringComparison.Ordinal) && r.InsMatricule is not null,
            r.BirthName,
            r.BirthFirstNames,
            r.FirstFirstName,
            r.Sex,
            r.BirthDate,
            date.ToDeclared(),
            r.BirthDateCorrected,
            r.BirthPlaceCog,
            r.UsedName,
            r.UsedFirstName,
            r.CollectionChannel,
            history.LastOrDefault(h => h.Active && h.Source == ActiveSource),
            history,
            r.Evidence.OrderBy(e => e.RecordedAt).Select(e => new EvidenceView(e.Id, e.DocumentType, e.IsHighTrust, e.CheckedOn, e.ExpiresOn, e.CheckedBy, e.WithdrawnAt)).ToList(),
            r.InsiCalledAt,
            r.InsVerifiedAt,
            (externalIds ?? []).Select(x => new ExternalIdView(x.Authority, x.Value, x.Kind)).ToList(),
            r.MergedIntoId,
            r.CreatedAt,
            r.UpdatedAt);
    }

    /// <summary>What the audit trail records of an identity (previous/new values).</summary>
    public static object Snapshot(IdentityRecord r) => new
    {
        r.Version,
        r.Status,
        attributes = RnivCodes.ToCodes((IdentityAttributes)r.Attributes),
        r.BirthName,
        r.BirthFirstNames,
        r.FirstFirstName,
        r.Sex,
        birthDate = r.BirthDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        r.BirthDateCorrected,
        r.BirthPlaceCog,
        r.UsedName,
        r.UsedFirstName,
        r.CollectionChannel,
        ins = r.InsMatricule,
        insOid = r.InsOid,
        evidence = r.Evidence.Where(e => e.WithdrawnAt is null).Select(e => e.DocumentType).ToArray(),
        mergedInto = r.MergedIntoId,
    };

    private static InsHistoryEntry Row(Guid identityId, InsIdentifier ins, string source, DateTimeOffset at, IReadOnlyDictionary<string, (DateOnly? From, DateOnly? To)>? dates, bool newId)
    {
        (DateOnly? From, DateOnly? To) d = default;
        _ = dates?.TryGetValue(ins.Matricule.Value, out d);
        return new()
        {
            Id = newId ? Guid.CreateVersion7(at) : Guid.Empty,
            IdentityId = identityId,
            Matricule = ins.Matricule.Value,
            Oid = ins.Oid,
            ObtainedAt = at,
            Source = source,
            IsActive = true,
            ValidFrom = d.From,
            ValidTo = d.To,
        };
    }

    private static bool TryIdentifier(InsHistoryEntry h, out InsIdentifier? id)
    {
        id = InsMatricule.TryParse(h.Matricule, out var m, out _) && InsOids.TryGetKind(h.Oid, out _) ? new InsIdentifier(m, h.Oid) : null;
        return id is not null;
    }
}

/// <summary>A stored identity row that does not parse or breaks an RNIV invariant: reported with its id and the fields at fault.</summary>
public sealed class StoredIdentityException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="identityId">The row.</param>
    /// <param name="fields">Fields or rules at fault.</param>
    public StoredIdentityException(Guid identityId, IReadOnlyList<string> fields)
        : base($"Stored identity {identityId} cannot be read: {string.Join(", ", fields)}.")
    {
        IdentityId = identityId;
        Fields = fields;
    }

    /// <summary>Creates the exception.</summary>
    public StoredIdentityException()
        : this(Guid.Empty, [])
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">Message.</param>
    public StoredIdentityException(string message)
        : base(message) => Fields = [];

    /// <summary>Creates the exception.</summary>
    /// <param name="message">Message.</param>
    /// <param name="innerException">Cause.</param>
    public StoredIdentityException(string message, Exception innerException)
        : base(message, innerException) => Fields = [];

    /// <summary>The row.</summary>
    public Guid IdentityId { get; }

    /// <summary>Fields or rules at fault.</summary>
    public IReadOnlyList<string> Fields { get; }
}
