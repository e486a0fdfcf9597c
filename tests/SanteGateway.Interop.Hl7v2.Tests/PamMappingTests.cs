using SanteGateway.Identity;
using SanteGateway.Interop.Hl7v2.Er7;
using SanteGateway.Interop.Hl7v2.Pam;
using SanteGateway.Interop.Hl7v2.Segments;

namespace SanteGateway.Interop.Hl7v2.Tests;

public sealed class PamInboundTests
{
    private const string TestInsCx = "279035121518989^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^INS";
    private const string Ipp = "000003^^^CHU-X&000897406&M^PI";

    private static PamPatient ReadAdt(string pid3, string pid32, string names = "PAT-TROIS^DOMINIQUE^DOMINIQUE^^^^L", string zfd = "", PamReadOptions? options = null) =>
        PamIdentityReader.Read(Hl7Reader.Read(Fixtures.Adt(pid3, pid32, names, zfd)), options ?? Fixtures.AllowTest)!;

    [Fact]
    public void The_ANS_SGL_admission_yields_PAT_TROIS_with_the_test_INS_recognised_as_test_and_qualified_at_the_sender()
    {
        var message = Hl7Reader.Read(SharedMessages.Read(Path.Combine("hl7v2-ans", "hl7V2-exemples", "SGL", "admission.er7")));

        var patient = PamIdentityReader.Read(message, Fixtures.AllowTest)!;

        patient.Ipp!.Id.Should().Be("000003");
        patient.Ipp.AssigningAuthority.Should().Be(new Hd("CHU-X", "000897406", "N"));
        patient.Ins!.Matricule.Value.Should().Be("279035121518989");
        patient.Ins.Kind.Should().Be(InsOidKind.Test);
        patient.Ins.Environment.Should().Be(InsEnvironment.Test);
        patient.StatusCode.Should().Be("VALI");
        patient.SenderStatus.Should().Be(IdentityStatus.Qual);
        patient.Traits!.BirthName.Should().Be("PAT-TROIS");
        patient.Traits.FirstFirstName.Should().Be("DOMINIQUE");
        patient.Traits.BirthFirstNames.Should().Equal("DOMINIQUE");
        patient.Traits.Sex.Should().Be(Sex.Female);
        patient.Traits.BirthDate.Value.Should().Be(new DateOnly(1979, 3, 28));
        patient.Traits.BirthPlaceCog.Should().Be("63220");
        patient.Issues.Should().BeEmpty();
    }

    [Fact]
    public void Under_the_production_policy_the_test_INS_is_recognised_and_refused_while_the_identity_is_kept()
    {
        var message = Hl7Reader.Read(SharedMessages.Read(Path.Combine("hl7v2", "adt-a01-admission.er7")));

        var patient = PamIdentityReader.Read(message, PamReadOptions.Production)!;

        patient.Ins.Should().BeNull();
        patient.Issues.Should().ContainSingle(i => i.Rule == "ins-oid-not-allowed" && i.Location == "PID-3[2].4.2")
            .Which.Message.Should().Contain("test");
        patient.Traits.Should().NotBeNull();
        patient.Ipp!.Id.Should().Be("000003");
    }

    [Fact]
    public void The_DE_VINCI_example_with_a_wrong_key_is_reported_with_the_expected_key_and_the_message_is_kept()
    {
        var file = Path.Combine("hl7v2-ans", "hl7V2-exemples", "Volets", "Trans_LPS_CDA_MSSanté", "V1.0", "MDM", "message.hl7");
        var bytes = SharedMessages.Read(file);
        var message = Hl7Reader.Read(bytes);

        var patient = PamIdentityReader.Read(message, Fixtures.AllowTest)!;

        patient.Ins.Should().BeNull();
        patient.InsAsReceived.Should().BeNull();
        var issue = patient.Issues.Should().ContainSingle(i => i.Rule == "ins-wrong-key").Subject;
        issue.Location.Should().Be("PID-3[1].1");
        issue.Message.Should().MatchRegex("expected [0-9]{2}").And.Contain("message is kept");
        patient.Traits.Should().NotBeNull();
        message.ToBytes().Should().Equal(bytes);
    }

    [Fact]
    public void The_NESSI_example_carries_a_production_NIR()
    {
        var file = Path.Combine("hl7v2-ans", "hl7V2-exemples", "Volets", "TRANS_DOC_CDA_HL7V2", "V2.0", "ORU", "Transmission initiale ORU", "message_ORU_CR_Bio_INIT_N1_N3.hl7");

        var patient = PamIdentityReader.Read(Hl7Reader.Read(SharedMessages.Read(file)), PamReadOptions.Production)!;

        patient.Ins!.Matricule.Value.Should().Be("277076322082910");
        patient.Ins.Kind.Should().Be(InsOidKind.Nir);
        patient.Ins.Environment.Should().Be(InsEnvironment.Production);
    }

    [Fact]
    public void ZFD_of_the_DMP_consent_message_gives_SMS_consent_collection_mode_INSI_and_the_INSi_date()
    {
        var patient = PamIdentityReader.Read(Hl7Reader.Read(SharedMessages.Read(Path.Combine("hl7v2", "adt-dmp-consent.er7"))), Fixtures.AllowTest)!;

        patient.Zfd.Should().NotBeNull();
        patient.Zfd!.SmsConsent.Should().BeTrue();
        patient.Zfd.BirthDateCorrected.Should().BeFalse();
        patient.Zfd.Channel.Should().Be(CollectionChannel.INSI);
        patient.Zfd.InsiCallDate.Should().Be(new DateOnly(2021, 12, 1));
    }

    [Fact]
    public void ZFD_1_to_8_are_all_read()
    {
        var patient = ReadAdt($"{Ipp}~{TestInsCx}", "VALI", zfd: "ZFD|33^14^1980|32|N|Y|CV|20240306|PA|20310512");

        patient.Zfd.Should().Be(new PamZfd("33", "14", "1980", 32, false, true, "CV", CollectionChannel.CV, new DateOnly(2024, 3, 6), "PA", new DateOnly(2031, 5, 12)));
        patient.Traits!.BirthDate.IsCorrected.Should().BeTrue("ZFD-4 = Y marks the birth date as corrected");
    }

    [Fact]
    public void An_INS_without_VALI_is_not_integrated_but_the_message_is()
    {
        var patient = ReadAdt($"{Ipp}~{TestInsCx}", "PROV");

        patient.Ins.Should().BeNull();
        patient.InsAsReceived!.Matricule.Value.Should().Be("279035121518989");
        patient.Issues.Should().ContainSingle(i => i.Rule == "ins-without-vali");
        patient.SenderStatus.Should().Be(IdentityStatus.Prov);
        patient.Traits.Should().NotBeNull();
    }

    [Fact]
    public void An_INS_with_no_PID_32_at_all_is_not_integrated()
    {
        ReadAdt($"{Ipp}~{TestInsCx}", string.Empty).Ins.Should().BeNull();
    }

    [Fact]
    public void The_NSS_is_never_taken_for_an_INS_even_with_the_NIR_OID_and_VALI()
    {
        var patient = ReadAdt($"{Ipp}~160012B02077713^^^ASIP-SANTE-NIR&1.2.250.1.213.1.4.8&ISO^NH", "VALI", options: PamReadOptions.Production);

        patient.Ins.Should().BeNull();
        patient.InsAsReceived.Should().BeNull();
        patient.Nss.Should().ContainSingle().Which.Id.Should().Be("160012B02077713");
        patient.SenderStatus.Should().Be(IdentityStatus.Vali, "VALI without an INS is a validated identity, not a qualified one");
        patient.LocalIdentifiers.Should().ContainSingle(i => i.TypeCode == "PI");
    }

    [Fact]
    public void A_wrong_key_INS_is_reported_with_its_position_and_the_rest_of_the_message_is_kept()
    {
        var patient = ReadAdt($"{Ipp}~279035121518988^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^INS", "VALI");

        patient.Ins.Should().BeNull();
        var issue = patient.Issues.Should().ContainSingle(i => i.Rule == "ins-wrong-key").Subject;
        issue.Location.Should().Be("PID-3[2].1");
        issue.Message.Should().Contain("expected 89");
        patient.Ipp!.Id.Should().Be("000003");
        patient.Traits.Should().NotBeNull();
        patient.SenderStatus.Should().Be(IdentityStatus.Vali);
    }

    [Fact]
    public void An_INS_typed_INS_whose_OID_is_not_an_INS_authority_is_refused()
    {
        var patient = ReadAdt($"{Ipp}~279035121518989^^^X&1.2.3&ISO^INS", "VALI");

        patient.Ins.Should().BeNull();
        patient.Issues.Should().ContainSingle(i => i.Rule == "ins-oid-unknown");
    }

    [Fact]
    public void The_NIR_is_preferred_when_the_NIA_is_sent_with_it()
    {
        var patient = ReadAdt(
            $"{Ipp}~279035121518989^^^ASIP-SANTE-INS-NIA&1.2.250.1.213.1.4.9&ISO^INS~160012B02077713^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.8&ISO^INS",
            "VALI",
            options: PamReadOptions.Production);

        patient.Ins!.Kind.Should().Be(InsOidKind.Nir);
        patient.Ins.Matricule.Value.Should().Be("160012B02077713");
    }

    [Fact]
    public void A_doubtful_identity_keeps_no_INS_and_reads_its_attributes()
    {
        var patient = ReadAdt($"{Ipp}~{TestInsCx}", "VALI~HOMA~DOUT");

        patient.Attributes.Should().Be(IdentityAttributes.Homonym | IdentityAttributes.Doubtful);
        patient.Ins.Should().BeNull();
        patient.Issues.Should().Contain(i => i.Rule == "ins-with-doubtful-or-fictitious");
    }

    [Fact]
    public void The_legacy_FICTI_code_is_read_as_fictitious()
    {
        var patient = ReadAdt(Ipp, "PROV~FICTI");

        patient.Attributes.Should().Be(IdentityAttributes.Fictitious);
        patient.Issues.Should().Contain(i => i.Rule == "legacy-code");
    }

    [Fact]
    public void Names_of_type_L_D_and_S_give_birth_name_used_names_and_pseudonym()
    {
        var patient = ReadAdt(Ipp, "PROV", names: "DARK^JEANNE^JEANNE MARIE CECILE^^Mme^^L~MARTIN^MARIE-CECILE^^^^^D~ZORRO^^^^^^S");

        patient.Traits!.BirthName.Should().Be("DARK");
        patient.Traits.FirstFirstName.Should().Be("JEANNE");
        patient.Traits.BirthFirstNames.Should().Equal("JEANNE", "MARIE", "CECILE");
        patient.Traits.UsedName.Should().Be("MARTIN");
        patient.Traits.UsedFirstName.Should().Be("MARIE-CECILE");
        patient.Pseudonym.Should().Be("ZORRO");
    }

    [Fact]
    public void A_forbidden_name_type_is_reported_and_ignored()
    {
        var patient = ReadAdt(Ipp, "PROV", names: "PAT-TROIS^DOMINIQUE^^^^^L~SMITH^JOHN^^^^^A");

        patient.Issues.Should().ContainSingle(i => i.Rule == "name-type-forbidden" && i.Location == "PID-5[2].7");
        patient.Traits!.UsedName.Should().BeNull();
    }

    [Fact]
    public void Without_a_legal_name_there_are_no_traits_and_the_reason_is_given()
    {
        var patient = ReadAdt(Ipp, "PROV", names: "MARTIN^MARIE^^^^^D");

        patient.Traits.Should().BeNull();
        patient.Issues.Should().ContainSingle(i => i.Rule == "no-birth-name");
    }

    [Fact]
    public void An_A47_INS_deletion_is_recognised()
    {
        var patient = ReadAdt($"{Ipp}~\"\"^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.8&ISO^INS", "PROV");

        patient.InsDeleted.Should().BeTrue();
        patient.Ins.Should().BeNull();
        patient.Issues.Should().BeEmpty();
    }
}

public sealed class PamOutboundTests
{
    private static PamPatient RoundTrip(Hl7Message message) =>
        PamIdentityReader.Read(Hl7Reader.Read(message.ToBytes()), Fixtures.AllowTest)!;

    [Fact]
    public void A_qualified_identity_is_sent_as_VALI_with_its_INS()
    {
        var message = PamMessages.A28(Fixtures.Qual(), Fixtures.Context, "1");

        var pid = message.Pid!;
        pid.IdentityReliabilityCodes.Should().Equal("VALI");
        pid.Identifiers.Should().ContainSingle(i => i.TypeCode == "INS")
            .Which.Should().Be(new Cx("279035121518989", new Hd("ASIP-SANTE-INS-NIR", InsOids.Test, "ISO"), "INS"));
        pid.Field(3).RawText.Should().Be("000003^^^CHU-X&000897406&M^PI~279035121518989^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^INS");
    }

    [Fact]
    public void An_INS_without_VALI_is_never_emitted_RECUP_goes_out_as_PROV_without_INS()
    {
        var recup = Fixtures.Recup();
        recup.Ins.Should().NotBeNull("the RECUP identity holds an INS internally");

        var message = PamMessages.A31(recup, Fixtures.Context, "2");

        message.Pid!.IdentityReliabilityCodes.Should().Equal("PROV");
        message.Pid.Identifiers.Should().NotContain(i => i.TypeCode == "INS");
        message.ToEr7().Should().NotContain("279035121518989");
    }

    [Theory]
    [InlineData("PROV")]
    [InlineData("VALI")]
    public void PROV_and_VALI_identities_go_out_with_their_code_and_no_INS(string status)
    {
        var identity = status == "PROV" ? Fixtures.Prov() : Fixtures.Vali();

        var pid = PamMessages.A28(identity, Fixtures.Context, "3").Pid!;

        pid.IdentityReliabilityCodes.Should().Equal(status);
        pid.Identifiers.Should().NotContain(i => i.TypeCode == "INS");
    }

    [Fact]
    public void Attributes_follow_the_status_in_PID_32()
    {
        var identity = Fixtures.Qual();
        identity.SetAttributes(IdentityAttributes.Homonym | IdentityAttributes.Doubtful).Succeeded.Should().BeTrue();

        var pid = PamMessages.A31(identity, Fixtures.Context, "4").Pid!;

        pid.IdentityReliabilityCodes.Should().Equal("PROV", "HOMA", "DOUT");
        pid.Identifiers.Should().NotContain(i => i.TypeCode == "INS");
    }

    [Fact]
    public void A28_carries_the_traits_birth_place_and_ZFD_and_reads_back_to_the_same_identity()
    {
        var identity = Fixtures.Qual();
        identity.EditUsedNames("MARTIN", null).Succeeded.Should().BeTrue();

        var message = PamMessages.A28(identity, Fixtures.Context, "5", new PamSenderOptions { SendingFacility = "CHU-X", ReceivingApplication = "DPI" });

        message.Msh.MessageCode.Should().Be("ADT");
        message.Msh.TriggerEvent.Should().Be("A28");
        message.Msh.MessageStructure.Should().Be("ADT_A05");
        message.Msh.CharacterSet.Should().Be("UNICODE UTF-8");
        message.Msh.MessageProfileNamespace.Should().Be("IHE_FRANCE-2.11-PAM");
        message.Pid!.Field(5).RawText.Should().Be("PAT-TROIS^DOMINIQUE^DOMINIQUE MARIE^^^^L~MARTIN^^^^^^D");
        message.Pid.Field(11).RawText.Should().Be("^^^^^FRA^BDL^^63220");
        message.Zfd!.Segment.ToString().Should().Be("ZFD||||N|INSI|20240306|CN|20310512");
        message.Segments.Select(s => s.Name).Should().Equal("MSH", "EVN", "PID", "PV1", "ZFD");

        var back = RoundTrip(message);
        back.Traits.Should().Be(identity.Traits);
        back.Ins.Should().Be(identity.Ins);
        back.SenderStatus.Should().Be(IdentityStatus.Qual);
        back.Ipp.Should().Be(Fixtures.Context.Ipp with { AssigningFacility = null });
        back.Zfd!.Channel.Should().Be(CollectionChannel.INSI);
        back.Issues.Should().BeEmpty();
    }

    [Fact]
    public void A47_after_a_downgrade_withdraws_the_INS_in_MRG_1_with_an_empty_INS_in_PID_3()
    {
        var identity = Fixtures.Qual();
        var withdrawn = identity.Ins!;
        identity.WithdrawQualification().Succeeded.Should().BeTrue();
        identity.Status.Should().Be(IdentityStatus.Recup);

        var message = PamMessages.A47(identity, withdrawn, Fixtures.Context, "6");

        message.Msh.TriggerEvent.Should().Be("A47");
        message.Msh.MessageStructure.Should().Be("ADT_A30");
        message.Mrg!.PriorIdentifiers.Should().ContainSingle().Which.Should().Be(PamIdentityWriter.InsCx(withdrawn));
        message.Pid!.Field(3).RawText.Should().Be("000003^^^CHU-X&000897406&M^PI~\"\"^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^INS");
        message.Pid.IdentityReliabilityCodes.Should().Equal("PROV");
        var back = RoundTrip(message);
        back.InsDeleted.Should().BeTrue();
        back.Ins.Should().BeNull();
    }

    [Fact]
    public void A47_after_a_wrong_INS_is_removed_keeps_VALI_without_INS()
    {
        var identity = Fixtures.Qual();
        var wrong = identity.Ins!;
        identity.RemoveIns().Succeeded.Should().BeTrue();

        var message = PamMessages.A47(identity, wrong, Fixtures.Context, "7");

        message.Pid!.IdentityReliabilityCodes.Should().Equal("VALI");
        message.Mrg!.PriorIdentifiers.Single().Id.Should().Be("279035121518989");
        RoundTrip(message).Ins.Should().BeNull();
    }

    [Fact]
    public void A40_names_the_merged_IPP_in_MRG_1()
    {
        var merged = new Cx("000999", new Hd("CHU-X", "000897406", "M"), "PI");

        var message = PamMessages.A40(Fixtures.Qual(), Fixtures.Context, merged, "8");

        message.Msh.TriggerEvent.Should().Be("A40");
        message.Msh.MessageStructure.Should().Be("ADT_A39");
        message.Mrg!.PriorIdentifiers.Should().ContainSingle().Which.Should().Be(merged);
        message.Pid!.Identifiers[0].Id.Should().Be("000003");
    }

    [Fact]
    public void Names_with_delimiters_are_escaped_and_read_back_unchanged()
    {
        var traits = IdentityTraits.Create("O'NEIL|^~&\\", ["ANNE"], "ANNE", Sex.Female, new BirthDate(new DateOnly(1990, 1, 2), false), null).Value!;
        var identity = RnivIdentity.CreateProvisional(traits);

        var message = PamMessages.A28(identity, Fixtures.Context, "9");

        message.Pid!.Field(5).RawText.Should().StartWith("O'NEIL\\F\\\\S\\\\R\\\\T\\\\E\\^ANNE");
        RoundTrip(message).Traits!.BirthName.Should().Be("O'NEIL|^~&\\");
    }
}

public sealed class AckTests
{
    private static readonly DateTimeOffset Now = new(2024, 3, 6, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void An_ACK_echoes_the_control_id_and_swaps_sender_and_receiver()
    {
        var received = Hl7Reader.Read(Fixtures.Adt("000003^^^CHU-X&000897406&M^PI", "PROV"));

        var ack = Hl7Acks.Build(received, Hl7AckCode.Accept, "A1", null, Now);

        ack.Msh.MessageCode.Should().Be("ACK");
        ack.Msh.TriggerEvent.Should().Be("A28");
        ack.Msh.SendingApplicationName.Should().Be("DPI");
        ack.Msh.ReceivingApplicationName.Should().Be("GAM");
        ack.Msa!.AcknowledgmentCode.Should().Be("AA");
        ack.Msa.ControlId.Should().Be("1");
        ack.Err.Should().BeEmpty();
    }

    [Fact]
    public void A_NAK_names_the_failed_rule_in_ERR()
    {
        var received = Hl7Reader.Read(Fixtures.Adt("000003^^^CHU-X&000897406&M^PI", "PROV"));

        var ack = Hl7Acks.Build(received, Hl7AckCode.Error, "A2", new Hl7AckError("ins-wrong-key", "The control key does not match.", "102", "PID", 3), Now);
        var back = Hl7Reader.Read(ack.ToBytes());

        back.Msa!.AcknowledgmentCode.Should().Be("AE");
        var err = back.Err.Should().ContainSingle().Subject;
        err.ApplicationErrorCode.Should().Be("ins-wrong-key");
        err.Hl7ErrorCode.Should().Be("102");
        err.Severity.Should().Be("E");
        err.Location.Should().Be("PID^1^3");
        err.UserMessage.Should().Be("The control key does not match.");
    }

    [Fact]
    public void The_ACK_of_an_unreadable_message_has_an_empty_MSA_2()
    {
        var ack = Hl7Acks.Build(null, Hl7AckCode.Error, "A3", new Hl7AckError("parse-no-msh", "No MSH.", "100"), Now);

        ack.Msa!.ControlId.Should().BeNull();
        ack.Msh.SendingApplicationName.Should().Be("SANTEGW");
    }
}
