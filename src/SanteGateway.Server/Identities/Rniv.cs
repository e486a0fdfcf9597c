using System.Globalization;
using SanteGateway.Store;
using SanteGateway.Store.Entities;

namespace SanteGateway.Server.Identities;

/// <summary>
/// RNIV rules applied to the stored identity. The status is derived from two axes (RNIV EXI SI 07):
/// I = an INS obtained from INSi, C = a valid high-trust document checked; a doubtful or fictitious identity is
/// always PROV and carries no active INS (EXI SI 09).
/// </summary>
internal static class Rniv
{
    public const int Homonym = 1;
    public const int Doubtful = 2;
    public const int Fictitious = 4;

    /// <summary>Document codes accepted as evidence (PAM ZFD-7 and FR Core validation modes).</summary>
    public static readonly HashSet<string> KnownDocuments = new(StringComparer.Ordinal)
    {
        "AN", "CC", "CE", "CM", "CN", "CS", "LE", "PA", "PC", "TC", "AV", "DC", "AC", "IE", "ECN", "IN", "LECV", "LEP", "ANCV", "CIMS",
    };

    /// <summary>Channels a client may declare on creation (INSI is set by the gateway itself).</summary>
    public static readonly HashSet<string> ClientChannels = new(StringComparer.Ordinal) { "SM", "CV", "CB", "RFID", "AV" };

    public static bool InsiBlocked(IdentityRecord r) => (r.Attributes & (Doubtful | Fictitious)) != 0;

    public static IReadOnlyList<string> AttributeCodes(int attributes)
    {
        var list = new List<string>(3);
        if ((attributes & Homonym) != 0)
        {
            list.Add("HOMA");
        }

        if ((attributes & Doubtful) != 0)
        {
            list.Add("DOUT");
        }

        if ((attributes & Fictitious) != 0)
        {
            list.Add("FICT");
        }

        return list;
    }

    public static void RefreshKeys(IdentityRecord r)
    {
        r.BirthNameKey = SearchKeys.Normalize(r.BirthName);
        r.FirstNameKey = SearchKeys.Normalize(r.FirstFirstName);
    }

    public static IdentityView ToView(IdentityRecord r)
    {
        var history = r.InsHistory.OrderBy(h => h.ObtainedAt).Select(h => new InsView(h.Matricule, h.Oid, h.ObtainedAt, h.Source, h.IsActive)).ToList();
        return new IdentityView(
            r.Id,
            r.Version,
            r.Status,
            AttributeCodes(r.Attributes),
            string.Equals(r.Status, "QUAL", StringComparison.Ordinal),
            r.BirthName,
            r.BirthFirstNames,
            r.FirstFirstName,
            r.Sex,
            r.BirthDate,
            r.BirthPlaceCog,
            r.UsedName,
            r.UsedFirstName,
            r.CollectionChannel,
            history.LastOrDefault(h => h.Active),
            history,
            r.Evidence.OrderBy(e => e.RecordedAt).Select(e => new EvidenceView(e.Id, e.DocumentType, e.IsHighTrust, e.CheckedOn, e.ExpiresOn, e.CheckedBy, e.WithdrawnAt)).ToList(),
            r.InsiCalledAt,
            r.CreatedAt,
            r.UpdatedAt);
    }

    /// <summary>What the audit trail records of an identity (previous/new values).</summary>
    public static object Snapshot(IdentityRecord r) => new
    {
        r.Version,
        r.Status,
        attributes = AttributeCodes(r.Attributes),
        r.BirthName,
        r.BirthFirstNames,
        r.FirstFirstName,
        r.Sex,
        birthDate = r.BirthDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        r.BirthPlaceCog,
        r.UsedName,
        r.UsedFirstName,
        r.CollectionChannel,
        ins = r.InsMatricule,
        insOid = r.InsOid,
        evidence = r.Evidence.Where(e => e.WithdrawnAt is null).Select(e => e.DocumentType).ToArray(),
    };
}
