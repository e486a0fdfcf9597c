using SanteGateway.Identity;
using SanteGateway.Store.Entities;

namespace SanteGateway.Server.Identities;

/// <summary>
/// Maps the stored row to the RNIV aggregate (<see cref="RnivIdentity"/>) and back. The aggregate decides every
/// status change; the row keeps what the aggregate does not (all evidence rows, every INS ever held, search keys).
/// </summary>
internal static class IdentityMapping
{
    /// <summary>Row source of the active INS.</summary>
    public const string ActiveSource = "INSI";

    /// <summary>Row source of an INSi history entry (INSHISTO) of the active INS.</summary>
    public const string HistorySource = "INSHISTO";

    public static string StatusCode(IdentityStatus s) => s switch
    {
        IdentityStatus.Prov => "PROV",
        IdentityStatus.Recup => "RECUP",
        IdentityStatus.Vali => "VALI",
        _ => "QUAL",
    };

    public static IdentityStatus ParseStatus(string code) => code switch
    {
        "RECUP" => IdentityStatus.Recup,
        "VALI" => IdentityStatus.Vali,
        "QUAL" => IdentityStatus.Qual,
        _ => IdentityStatus.Prov,
    };

    public static string SexCode(Sex s) => s switch
    {
        Sex.Female => "F",
        Sex.Male => "M",
        _ => "U",
    };

    public static Sex ParseSex(string code) => code switch
    {
        "F" => Sex.Female,
        "M" => Sex.Male,
        _ => Sex.Unknown,
    };

    /// <summary>Rebuilds the aggregate; a row that breaks an RNIV invariant is reported, never silently repaired.</summary>
    public static RnivIdentity ToDomain(IdentityRecord r)
    {
        var traits = IdentityTraits.Create(
            r.BirthName,
            IdentityTraits.SplitFirstNames(r.BirthFirstNames),
            r.FirstFirstName,
            ParseSex(r.Sex),
            new BirthDate(r.BirthDate, r.BirthDateCorrected),
            r.BirthPlaceCog,
            r.UsedName,
            r.UsedFirstName);
        var active = r.InsHistory.Where(h => h.IsActive).ToList();
        var ins = active.Where(h => h.Source == ActiveSource).Select(ToIdentifier).FirstOrDefault();
        var history = active.Where(h => h.Source == HistorySource).OrderBy(h => h.ObtainedAt).Select(ToIdentifier).OfType<InsIdentifier>().ToList();
        var evidenceRow = r.Evidence.Where(e => e.IsHighTrust && e.WithdrawnAt is null).OrderBy(e => e.RecordedAt).LastOrDefault();
        var evidence = evidenceRow is null ? null : new Evidence(evidenceRow.DocumentType, evidenceRow.CheckedOn, evidenceRow.ExpiresOn);
        _ = Enum.TryParse<CollectionChannel>(r.CollectionChannel, ignoreCase: false, out var channel);
        var restored = RnivIdentity.Restore(
            traits.Value, ParseStatus(r.Status), (IdentityAttributes)r.Attributes, ins, history, evidence, channel, r.InsiCalledAt);
        if (!traits.IsValid || !restored.IsValid)
        {
            var errors = traits.Errors.Concat(restored.Errors).Select(e => $"{e.Field}/{e.Rule}");
            throw new InvalidOperationException($"Stored identity {r.Id} breaks the RNIV invariants: {string.Join(", ", errors)}.");
        }

        return restored.Value!;
    }

    /// <summary>Writes the aggregate's state back into the row (the caller adds new evidence rows itself).</summary>
    public static void Apply(RnivIdentity d, IdentityRecord r, DateTimeOffset now, List<InsHistoryEntry> addedInsRows)
    {
        var t = d.Traits;
        r.BirthName = t.BirthName;
        r.BirthFirstNames = t.BirthFirstNamesJoined;
        r.FirstFirstName = t.FirstFirstName;
        r.Sex = SexCode(t.Sex);
        r.BirthDate = t.BirthDate.Value;
        r.BirthDateCorrected = t.BirthDate.IsCorrected;
        r.BirthPlaceCog = t.BirthPlaceCog;
        r.UsedName = t.UsedName;
        r.UsedFirstName = t.UsedFirstName;
        r.Status = StatusCode(d.Status);
        r.Attributes = (int)d.Attributes;
        r.CollectionChannel = d.Channel.ToString();
        r.InsiCalledAt = d.InsiCalledAt;

        var currentActive = r.InsHistory.Where(h => h.IsActive && h.Source == ActiveSource).Select(h => (h.Matricule, h.Oid)).FirstOrDefault();
        var wanted = d.Ins is null ? default : (d.Ins.Matricule.Value, d.Ins.Oid);
        var historyChanged = d.Ins is not null && !r.InsHistory.Where(h => h.IsActive && h.Source == HistorySource)
            .Select(h => (h.Matricule, h.Oid)).SequenceEqual(d.InsHistory.Select(h => (h.Matricule.Value, h.Oid)));
        if (currentActive != wanted || historyChanged)
        {
            // Rows are never deleted: what the identity carried stays visible (EXI REC 07).
            foreach (var h in r.InsHistory)
            {
                h.IsActive = false;
            }

            if (d.Ins is not null)
            {
                addedInsRows.Add(Row(r.Id, d.Ins, ActiveSource, now));
                addedInsRows.AddRange(d.InsHistory.Select(h => Row(r.Id, h, HistorySource, now)));
                foreach (var row in addedInsRows)
                {
                    r.InsHistory.Add(row);
                }
            }
        }

        r.InsMatricule = d.Ins?.Matricule.Value;
        r.InsOid = d.Ins?.Oid;
        if (d.Evidence is null)
        {
            foreach (var e in r.Evidence.Where(e => e.WithdrawnAt is null && e.IsHighTrust))
            {
                e.WithdrawnAt = now;
            }
        }
    }

    private static InsHistoryEntry Row(Guid identityId, InsIdentifier ins, string source, DateTimeOffset now) => new()
    {
        Id = Guid.CreateVersion7(now),
        IdentityId = identityId,
        Matricule = ins.Matricule.Value,
        Oid = ins.Oid,
        ObtainedAt = now,
        Source = source,
        IsActive = true,
    };

    private static InsIdentifier? ToIdentifier(InsHistoryEntry h) =>
        InsMatricule.TryParse(h.Matricule, out var m, out _) && InsOids.TryGetKind(h.Oid, out _) ? new InsIdentifier(m, h.Oid) : null;
}
