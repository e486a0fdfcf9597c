using SanteGateway.Identity;

namespace SanteGateway.Identity.Tests;

public class RnivIdentityTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);
    private static readonly HighTrustDocumentPolicy Policy = new(["CN", "PA", "CS", "AV", "IE"]);
    private static readonly Evidence IdCard = new("CN", new DateOnly(2026, 11, 22), new DateOnly(2031, 5, 12));
    private static readonly InsIdentifier Ins = new(InsMatricule.Parse("279035121518989"), InsOids.Nir);
    private static readonly InsIdentifier OldIns = new(InsMatricule.Parse("297022A02077878"), InsOids.Nir);

    private static IdentityTraits Local(string birthName = "Pat-Trois", string first = "Dominique") =>
        IdentityTraits.Create(birthName, [first], first, Sex.Female, new BirthDate(new DateOnly(1979, 3, 28), false), "63220", usedName: "Martin").Value!;

    private static IdentityTraits FromInsi(string birthName = "PAT-TROIS") =>
        IdentityTraits.Create(birthName, ["DOMINIQUE", "MARIE"], "DOMINIQUE", Sex.Female, new BirthDate(new DateOnly(1979, 3, 28), false), "63220").Value!;

    private static RnivIdentity Prov() => RnivIdentity.CreateProvisional(Local());

    private static RnivIdentity Recup()
    {
        var id = Prov();
        id.RecordInsiResult(Ins, [OldIns], FromInsi(), Now).Succeeded.Should().BeTrue();
        return id;
    }

    private static RnivIdentity Vali()
    {
        var id = Prov();
        id.RecordHighTrustEvidence(IdCard, Policy).Succeeded.Should().BeTrue();
        return id;
    }

    private static RnivIdentity Qual()
    {
        var id = Vali();
        id.RecordInsiResult(Ins, [OldIns], FromInsi(), Now).Succeeded.Should().BeTrue();
        return id;
    }

    [Fact]
    public void A_new_identity_is_provisional_without_ins()
    {
        var id = Prov();
        id.Status.Should().Be(IdentityStatus.Prov);
        id.Ins.Should().BeNull();
        id.Channel.Should().Be(CollectionChannel.SM);
        id.CanTransmitIns.Should().BeFalse();
        id.CanCallInsi.Should().BeTrue();
    }

    [Fact]
    public void An_insi_result_turns_a_provisional_identity_into_a_recovered_one_with_the_insi_traits_verbatim()
    {
        var id = Recup();
        id.Status.Should().Be(IdentityStatus.Recup);
        id.Ins.Should().Be(Ins);
        id.InsHistory.Should().Equal(OldIns);
        id.Traits.BirthName.Should().Be("PAT-TROIS");
        id.Traits.BirthFirstNames.Should().Equal("DOMINIQUE", "MARIE");
        id.Traits.UsedName.Should().Be("Martin", "the local used name is kept");
        id.InsiTraits.Should().Be(FromInsi());
        id.Channel.Should().Be(CollectionChannel.INSI);
        id.InsiCalledAt.Should().Be(Now);
        id.CanTransmitIns.Should().BeFalse("a recovered INS must not be sent");
        id.TransmittableIns.Should().BeNull();
    }

    [Fact]
    public void High_trust_evidence_turns_a_provisional_identity_into_a_validated_one_without_ins()
    {
        var id = Vali();
        id.Status.Should().Be(IdentityStatus.Vali);
        id.Evidence.Should().Be(IdCard);
        id.Ins.Should().BeNull();
        id.CanTransmitIns.Should().BeFalse();
    }

    [Fact]
    public void An_insi_result_consistent_with_the_checked_traits_qualifies_a_validated_identity()
    {
        var id = Qual();
        id.Status.Should().Be(IdentityStatus.Qual);
        id.CanTransmitIns.Should().BeTrue();
        id.TransmittableIns.Should().Be(Ins);
    }

    [Fact]
    public void An_insi_result_that_contradicts_the_checked_traits_is_refused_and_changes_nothing()
    {
        var id = Vali();
        var r = id.RecordInsiResult(Ins, [], FromInsi("PAT-QUATRE"), Now);
        r.Succeeded.Should().BeFalse();
        r.Reason.Should().Contain("birthName");
        r.Rule.Should().Be("rniv.insi-traits-differ");
        id.Status.Should().Be(IdentityStatus.Vali);
        id.Ins.Should().BeNull();
        id.Traits.Should().Be(Local());
    }

    [Fact]
    public void High_trust_evidence_qualifies_a_recovered_identity()
    {
        var id = Recup();
        id.RecordHighTrustEvidence(IdCard, Policy).Succeeded.Should().BeTrue();
        id.Status.Should().Be(IdentityStatus.Qual);
        id.CanTransmitIns.Should().BeTrue();
    }

    [Fact]
    public void A_document_type_outside_the_structure_list_is_refused_as_evidence()
    {
        var id = Prov();
        var r = id.RecordHighTrustEvidence(IdCard with { DocumentType = "PC" }, Policy);
        r.Succeeded.Should().BeFalse();
        r.Reason.Should().Contain("high-trust list");
        id.Status.Should().Be(IdentityStatus.Prov);
        id.Evidence.Should().BeNull();
    }

    [Fact]
    public void An_expired_document_is_refused_as_evidence()
    {
        var id = Prov();
        var r = id.RecordHighTrustEvidence(new Evidence("PA", new DateOnly(2026, 11, 22), new DateOnly(2026, 11, 21)), Policy);
        r.Succeeded.Should().BeFalse();
        r.Reason.Should().Contain("expired");
        id.Status.Should().Be(IdentityStatus.Prov);
    }

    [Fact]
    public void The_high_trust_list_has_no_default_and_must_not_be_empty()
    {
        var empty = () => new HighTrustDocumentPolicy([]);
        empty.Should().Throw<ArgumentException>();
        var blank = () => new HighTrustDocumentPolicy(["CN", " "]);
        blank.Should().Throw<ArgumentException>();
        new HighTrustDocumentPolicy(["cn"]).IsHighTrust("CN").Should().BeTrue();
    }

    [Fact]
    public void An_appcv_read_qualifies_an_identity_directly_without_an_insi_call()
    {
        var id = Prov();
        id.RecordAppCvRead(Ins, FromInsi(), Now, Policy).Succeeded.Should().BeTrue();
        id.Status.Should().Be(IdentityStatus.Qual);
        id.Channel.Should().Be(CollectionChannel.AV);
        id.Evidence!.DocumentType.Should().Be("AV");
        id.InsiCalledAt.Should().BeNull();
        id.CanTransmitIns.Should().BeTrue();
    }

    [Fact]
    public void An_appcv_read_is_refused_when_the_structure_did_not_list_the_appcv_as_high_trust()
    {
        var id = Prov();
        id.RecordAppCvRead(Ins, FromInsi(), Now, new HighTrustDocumentPolicy(["CN"])).Succeeded.Should().BeFalse();
        id.Status.Should().Be(IdentityStatus.Prov);
    }

    [Theory]
    [InlineData(IdentityAttributes.Doubtful)]
    [InlineData(IdentityAttributes.Fictitious)]
    [InlineData(IdentityAttributes.Doubtful | IdentityAttributes.Homonym)]
    public void A_doubtful_or_fictitious_attribute_forces_prov_drops_the_ins_and_blocks_insi(IdentityAttributes attributes)
    {
        var id = Qual();
        id.SetAttributes(attributes).Succeeded.Should().BeTrue();
        id.Status.Should().Be(IdentityStatus.Prov);
        id.Ins.Should().BeNull();
        id.InsHistory.Should().BeEmpty();
        id.CanCallInsi.Should().BeFalse();
        id.CanTransmitIns.Should().BeFalse();
        id.Attributes.Should().Be(attributes);
    }

    [Theory]
    [InlineData(IdentityAttributes.Doubtful)]
    [InlineData(IdentityAttributes.Fictitious)]
    public void Insi_results_evidence_and_appcv_reads_are_refused_for_a_doubtful_or_fictitious_identity(IdentityAttributes attribute)
    {
        var id = Prov();
        id.SetAttributes(attribute);
        id.RecordInsiResult(Ins, [], FromInsi(), Now).Reason.Should().Contain("blocked");
        id.RecordHighTrustEvidence(IdCard, Policy).Succeeded.Should().BeFalse();
        id.RecordAppCvRead(Ins, FromInsi(), Now, Policy).Succeeded.Should().BeFalse();
        id.Status.Should().Be(IdentityStatus.Prov);
        id.Ins.Should().BeNull();
    }

    [Fact]
    public void Homonym_alone_is_compatible_with_a_qualified_identity()
    {
        var id = Qual();
        id.SetAttributes(IdentityAttributes.Homonym).Succeeded.Should().BeTrue();
        id.Status.Should().Be(IdentityStatus.Qual);
        id.CanTransmitIns.Should().BeTrue();
    }

    [Theory]
    [InlineData(IdentityAttributes.Fictitious | IdentityAttributes.Homonym, "homonym")]
    [InlineData(IdentityAttributes.Doubtful | IdentityAttributes.Fictitious, "both doubtful and fictitious")]
    [InlineData(IdentityAttributes.Homonym | IdentityAttributes.Doubtful | IdentityAttributes.Fictitious, "both doubtful and fictitious")]
    [InlineData((IdentityAttributes)8, "Unknown")]
    public void Forbidden_attribute_combinations_are_refused_and_change_nothing(IdentityAttributes attributes, string reason)
    {
        var id = Qual();
        var r = id.SetAttributes(attributes);
        r.Succeeded.Should().BeFalse();
        r.Reason.Should().Contain(reason);
        id.Attributes.Should().Be(IdentityAttributes.None);
        id.Status.Should().Be(IdentityStatus.Qual);
    }

    [Fact]
    public void Editing_a_strict_trait_downgrades_a_qualified_identity_to_validated_and_drops_the_ins()
    {
        var id = Qual();
        id.EditStrictTraits(Local("PAT-TROIS-MARTIN")).Succeeded.Should().BeTrue();
        id.Status.Should().Be(IdentityStatus.Vali);
        id.Ins.Should().BeNull();
        id.InsiTraits.Should().BeNull();
        id.Channel.Should().Be(CollectionChannel.SM);
        id.Traits.BirthName.Should().Be("PAT-TROIS-MARTIN");
    }

    [Fact]
    public void Editing_a_strict_trait_downgrades_a_recovered_identity_to_provisional_and_drops_the_ins()
    {
        var id = Recup();
        id.EditStrictTraits(Local()).Succeeded.Should().BeTrue();
        id.Status.Should().Be(IdentityStatus.Prov);
        id.Ins.Should().BeNull();
    }

    [Fact]
    public void Changing_only_the_used_names_keeps_the_status_and_the_ins()
    {
        var id = Qual();
        id.EditStrictTraits(id.Traits.WithUsedNames("DURAND", "DOMI").Value!).Succeeded.Should().BeTrue();
        id.Status.Should().Be(IdentityStatus.Qual);
        id.EditUsedNames(null, "MIMI").Succeeded.Should().BeTrue();
        id.Traits.UsedFirstName.Should().Be("MIMI");
        id.Ins.Should().Be(Ins);
        id.EditUsedNames(" ", null).Succeeded.Should().BeFalse();
    }

    [Fact]
    public void Withdrawing_the_qualification_turns_a_qualified_identity_back_into_a_recovered_one()
    {
        var id = Qual();
        id.WithdrawQualification().Succeeded.Should().BeTrue();
        id.Status.Should().Be(IdentityStatus.Recup);
        id.Evidence.Should().BeNull();
        id.Ins.Should().Be(Ins);
        id.CanTransmitIns.Should().BeFalse();
    }

    [Fact]
    public void Withdrawing_the_check_of_a_validated_identity_makes_it_provisional()
    {
        var id = Vali();
        id.WithdrawQualification().Succeeded.Should().BeTrue();
        id.Status.Should().Be(IdentityStatus.Prov);
    }

    [Fact]
    public void Withdrawing_a_qualification_that_does_not_exist_is_refused()
    {
        Prov().WithdrawQualification().Succeeded.Should().BeFalse();
        Recup().WithdrawQualification().Reason.Should().Contain("RECUP");
    }

    [Fact]
    public void Removing_a_wrong_ins_downgrades_qual_to_vali_and_recup_to_prov()
    {
        var qual = Qual();
        qual.RemoveIns().Succeeded.Should().BeTrue();
        qual.Status.Should().Be(IdentityStatus.Vali);
        qual.Ins.Should().BeNull();
        qual.InsHistory.Should().BeEmpty();

        var recup = Recup();
        recup.RemoveIns().Succeeded.Should().BeTrue();
        recup.Status.Should().Be(IdentityStatus.Prov);

        Prov().RemoveIns().Succeeded.Should().BeFalse();
    }

    [Fact]
    public void A_new_insi_call_refreshes_the_ins_of_a_recovered_identity()
    {
        var id = Recup();
        id.RecordInsiResult(OldIns, [], FromInsi(), Now.AddDays(1)).Succeeded.Should().BeTrue();
        id.Status.Should().Be(IdentityStatus.Recup);
        id.Ins.Should().Be(OldIns);
        id.InsiCalledAt.Should().Be(Now.AddDays(1));
    }

    [Fact]
    public void A_stored_state_is_restored_when_it_respects_the_invariants()
    {
        var original = Qual();
        var r = RnivIdentity.Restore(original.Traits, original.Status, original.Attributes, original.Ins, original.InsHistory,
            original.Evidence, original.Channel, original.InsiCalledAt, original.InsiTraits);
        r.IsValid.Should().BeTrue(r.ToString());
        var restored = r.Value!;
        restored.Status.Should().Be(IdentityStatus.Qual);
        restored.Ins.Should().Be(Ins);
        restored.InsHistory.Should().Equal(OldIns);
        restored.Evidence.Should().Be(IdCard);
        restored.CanTransmitIns.Should().BeTrue();
    }

    [Theory]
    [InlineData(IdentityStatus.Prov, IdentityAttributes.None, true, false, "no-ins-without-insi")]
    [InlineData(IdentityStatus.Vali, IdentityAttributes.None, true, true, "no-ins-without-insi")]
    [InlineData(IdentityStatus.Recup, IdentityAttributes.None, false, false, "ins-required")]
    [InlineData(IdentityStatus.Qual, IdentityAttributes.None, true, false, "evidence-required")]
    [InlineData(IdentityStatus.Vali, IdentityAttributes.Doubtful, false, true, "attribute-forces-prov")]
    [InlineData(IdentityStatus.Prov, IdentityAttributes.Fictitious, true, false, "attribute-drops-ins")]
    [InlineData(IdentityStatus.Prov, IdentityAttributes.Fictitious | IdentityAttributes.Homonym, false, false, "combination")]
    public void A_stored_state_breaking_an_invariant_is_refused_naming_the_rule(IdentityStatus status, IdentityAttributes attributes, bool withIns, bool withEvidence, string rule)
    {
        var r = RnivIdentity.Restore(Local(), status, attributes, withIns ? Ins : null, null, withEvidence ? IdCard : null, CollectionChannel.SM, null);
        r.IsValid.Should().BeFalse();
        r.Errors.Should().Contain(e => e.Rule == rule);
    }

    [Fact]
    public void A_stored_history_without_an_active_ins_is_refused()
    {
        var r = RnivIdentity.Restore(Local(), IdentityStatus.Prov, IdentityAttributes.None, null, [OldIns], null, CollectionChannel.SM, null);
        r.Errors.Should().ContainSingle(e => e.Rule == "history-without-ins");
    }
}
