using SanteGateway.Identity;

namespace SanteGateway.Interop.Testing;

/// <summary>The public test identities of shared/spec/insi.md §5 (and the ANS test patient of ins-rules.md §6), as domain objects.</summary>
internal static class TestIdentities
{
    public sealed record Person(string Label, string BirthName, string[] FirstNames, Sex Sex, string BirthDate, string? Cog, string Matricule, string Oid, (string Matricule, string Oid)[] History);

    public static readonly Person[] All =
    [
        new("ADRTROIS TOUSSAINT", "ADRTROIS", ["TOUSSAINT"], Sex.Male, "1960-01-01", "2B020", "160012B02077713", InsOids.Nir, []),
        new("ADRTROIS DOMINIQUE", "ADRTROIS", ["DOMINIQUE"], Sex.Female, "1997-02-26", "2A020", "297022A02077878", InsOids.Nir, []),
        new("TCHITCHI CATARINA", "TCHITCHI", ["CATARINA", "BELLA"], Sex.Female, "1936-06-21", "63220", "236066322083656", InsOids.Nir, []),
        new("ECETINSI PIERRE-ALAIN", "ECETINSI", ["PIERRE-ALAIN", "MURIEL", "FLORIANT"], Sex.Male, "2009-07-14", "63220", "109076322083489", InsOids.Nir, [("209076322083439", InsOids.Nir)]),
        new("PROVISOIRE MATRICULE (NIA)", "PROVISOIRE", ["MATRICULE"], Sex.Male, "2009-07-01", "63220", "109076322088835", InsOids.Nia, []),
        new("CORSE ANTHONY", "CORSE", ["ANTHONY"], Sex.Male, "1980-03-02", "2B020", "180032B02040123", InsOids.Nir, []),
        new("NESSI NATHALIE", "NESSI", ["NATHALIE"], Sex.Female, "1977-07-14", "63220", "277076322082910", InsOids.Nir, []),
        new("ADRUN ZOE", "ADRUN", ["ZOE"], Sex.Female, "1975-12-31", "63220", "275126322074974", InsOids.Nir, []),
        new("D'ARTAGNAN DE L'HERAULT PIERRE-ALAIN", "D'ARTAGNAN DE L'HERAULT", ["PIERRE-ALAIN"], Sex.Male, "2001-06-17", "63220", "101066322075460", InsOids.Nir, []),
        new("PAT-TROIS DOMINIQUE (ANS test OID)", "PAT-TROIS", ["DOMINIQUE"], Sex.Female, "1979-03-28", "63220", "279035121518989", InsOids.Test, []),
    ];

    public static IEnumerable<TheoryDataRow<string>> Labels => All.Select(p => new TheoryDataRow<string>(p.Label));

    public static Person Get(string label) => All.Single(p => p.Label == label);

    public static IdentityTraits Traits(Person p, string? usedName = null, string? usedFirstName = null)
    {
        BirthDate.TryParseIso(p.BirthDate, out var date).Should().BeTrue();
        var result = IdentityTraits.Create(p.BirthName, p.FirstNames, p.FirstNames[0], p.Sex, date, p.Cog, usedName, usedFirstName);
        result.IsValid.Should().BeTrue(result.ToString());
        return result.Value!;
    }

    public static InsIdentifier Ins(string matricule, string oid)
    {
        InsIdentifier.TryCreate(matricule, oid, InsPolicy.AllowTestAndDemo, out var ins, out var error).Should().BeTrue(error);
        return ins!;
    }

    /// <summary>The person at a status, with the data that status holds (INS and history for RECUP/QUAL, evidence for VALI/QUAL).</summary>
    public static RnivIdentity At(Person p, IdentityStatus status, string? usedName = null, string? usedFirstName = null, IdentityAttributes attributes = IdentityAttributes.None)
    {
        var withIns = status is IdentityStatus.Recup or IdentityStatus.Qual;
        var checkedDoc = status is IdentityStatus.Vali or IdentityStatus.Qual;
        var result = RnivIdentity.Restore(
            Traits(p, usedName, usedFirstName),
            status,
            attributes,
            withIns ? Ins(p.Matricule, p.Oid) : null,
            withIns ? p.History.Select(h => Ins(h.Matricule, h.Oid)).ToArray() : [],
            checkedDoc ? new Evidence(DocumentTypes.NationalIdentityCard, new DateOnly(2025, 3, 14), null) : null,
            withIns ? CollectionChannel.INSI : CollectionChannel.SM,
            withIns ? new DateTimeOffset(2025, 3, 14, 0, 0, 0, TimeSpan.Zero) : null);
        result.IsValid.Should().BeTrue(result.ToString());
        return result.Value!;
    }
}

/// <summary>What an exchange format must carry of an identity: compared after a round trip.</summary>
internal sealed record ExchangedIdentity(
    IdentityTraits? Traits,
    IdentityStatus Status,
    IdentityAttributes Attributes,
    InsIdentifier? Ins,
    string History,
    string? EvidenceType,
    DateOnly? EvidenceDate,
    CollectionChannel Channel,
    DateOnly? InsiCalledOn)
{
    public static ExchangedIdentity Of(RnivIdentity i) => new(
        i.Traits,
        i.Status,
        i.Attributes,
        i.Ins,
        string.Join(",", i.InsHistory.Select(h => h.ToString())),
        i.Status is IdentityStatus.Vali or IdentityStatus.Qual ? i.Evidence?.DocumentType : null,
        i.Status is IdentityStatus.Vali or IdentityStatus.Qual ? i.Evidence?.CheckedOn : null,
        i.Channel,
        i.InsiCalledAt is { } at ? DateOnly.FromDateTime(at.UtcDateTime) : null);
}
