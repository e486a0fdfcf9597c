using SanteGateway.Testing;

namespace SanteGateway.Insi.Tests;

public class InsiResponseReaderTests
{
    public static TheoryData<string> ResponseFiles()
    {
        var data = new TheoryData<string>();
        foreach (var f in InsiFiles.AllResponseFiles())
        {
            data.Add(Path.GetRelativePath(TestPaths.SharedFile("data", "insi"), f));
        }

        return data;
    }

    private static InsiResponse Read(string relative) => InsiResponseReader.Read(File.ReadAllBytes(TestPaths.SharedFile("data", "insi", relative)));

    [Theory]
    [MemberData(nameof(ResponseFiles))]
    public void Every_recorded_and_cnda_file_reads_as_a_result_or_a_fault(string relative)
    {
        var response = Read(relative);

        (response.Result is null).Should().NotBe(response.Fault is null, "exactly one of result and fault is set");
        if (response.Result is { } r)
        {
            r.Code.Should().BeOneOf("00", "01", "02");
            if (r.Code == "00")
            {
                r.Individual.Should().NotBeNull();
                r.Individual!.Active.NumIdentifiant.Should().HaveLength(13);
            }
        }
    }

    [Fact]
    public void There_is_at_least_one_file_of_each_layout_to_read()
    {
        InsiFiles.AllResponseFiles().Count().Should().BeGreaterThanOrEqualTo(12);
    }

    [Theory]
    [InlineData("recorded/AdrtroisToussaint.response.xml", "160012B020777", "13", "160012B02077713", "ADRTROIS", "TOUSSAINT", "M", "1960-01-01", "2B020")]
    [InlineData("recorded/AdrtroisDominique.response.xml", "297022A020778", "78", "297022A02077878", "ADRTROIS", "DOMINIQUE", "F", "1997-02-26", "2A020")]
    [InlineData("recorded/TchitchiCatarina.response.xml", "2360663220836", "56", "236066322083656", "TCHITCHI", "CATARINA BELLA", "F", "1936-06-21", "63220")]
    public void A_found_identity_gives_the_checked_matricule_and_the_returned_traits_verbatim(string relative, string num, string key, string matricule, string name, string firstNames, string sex, string date, string place)
    {
        var r = Read(relative).Result!;

        r.Code.Should().Be("00");
        r.Label.Should().Be("OK");
        r.ResultCode.Should().Be(InsiResultCode.Found);
        r.Warnings.Should().BeEmpty();
        var ins = r.Individual!.Active;
        ins.NumIdentifiant.Should().Be(num);
        ins.Key.Should().Be(key);
        ins.Matricule!.Value.Value.Should().Be(matricule);
        ins.Oid.Should().Be("1.2.250.1.213.1.4.8");
        r.Individual.History.Should().BeEmpty();
        r.Individual.Traits.Should().Be(new InsiReturnedTraits(name, null, firstNames, sex, date, place));
    }

    [Theory]
    [InlineData("recorded/DeVinciLeonardo.response.xml", "02", "Plusieurs identites trouvees", InsiResultCode.Ambiguous)]
    [InlineData("cnda/REP_CR01.xml", "01", "Aucune identite trouvee", InsiResultCode.NotFound)]
    public void A_result_without_identity_gives_the_code_and_label(string relative, string code, string label, InsiResultCode expected)
    {
        var r = Read(relative).Result!;

        r.Code.Should().Be(code);
        r.Label.Should().Be(label);
        r.ResultCode.Should().Be(expected);
        r.Individual.Should().BeNull();
    }

    [Theory]
    [InlineData("recorded/PierreAlain.response.xml", 2)]
    [InlineData("cnda/TEST_2.04_cas2.xml", 2)]
    [InlineData("recorded/PierreAlainLive.response.xml", 1)]
    public void The_history_is_read_whatever_the_position_of_the_validity_dates(string relative, int count)
    {
        var r = Read(relative).Result!;

        r.Warnings.Should().BeEmpty();
        r.Individual!.Active.Matricule!.Value.Value.Should().Be("109076322083489");
        r.Individual.History.Should().HaveCount(count);
        var first = r.Individual.History[0];
        first.Matricule!.Value.Value.Should().Be("209076322083439");
        first.From.Should().Be(new DateOnly(2019, 3, 1));
        first.To.Should().Be(new DateOnly(2019, 2, 28));
        if (count == 2)
        {
            r.Individual.History[1].Matricule!.Value.Value.Should().Be("209066322012355");
            r.Individual.History[1].From.Should().BeNull();
        }

        r.Individual.Traits.FirstNames.Should().Be("PIERRE-ALAIN MURIEL FLORIANT");
    }

    [Fact]
    public void The_nia_test_case_keeps_the_nia_oid_and_the_old_prenom_element()
    {
        var r = Read("cnda/TEST_2.05.xml").Result!;

        r.Individual!.Active.Oid.Should().Be("1.2.250.1.213.1.4.9");
        r.Individual.Active.Matricule!.Value.Value.Should().Be("109076322088835");
        r.Individual.Traits.FirstName.Should().Be("MATRICULE");
        r.Individual.Traits.FirstNames.Should().Be("MATRICULE");
        r.Individual.Traits.BirthName.Should().Be("PROVISOIRE");
    }

    [Fact]
    public void A_history_entry_equal_to_the_active_ins_is_kept_as_received()
    {
        var r = Read("cnda/TEST_2.08_cas1.xml").Result!;

        r.Warnings.Should().BeEmpty();
        r.Individual!.History.Should().ContainSingle().Which.Raw.Should().Be(r.Individual.Active.Raw);
        r.Individual.Traits.BirthPlace.Should().Be("2B020");
    }

    [Fact]
    public void Matricules_with_a_wrong_key_are_reported_and_not_trusted()
    {
        var r = Read("cnda/TEST_2.08_cas2.xml").Result!;

        var individual = r.Individual!;
        individual.Active.IsTrusted.Should().BeFalse();
        individual.Active.Matricule.Should().BeNull();
        individual.Active.Raw.Should().Be("181036322045660");
        individual.History.Should().HaveCount(2).And.OnlyContain(h => !h.IsTrusted);
        r.Warnings.Select(w => (w.Code, w.Path)).Should().Equal(
            ("WrongKey", "INSACTIF"), ("WrongKey", "INSHISTO[1]"), ("WrongKey", "INSHISTO[2]"));
        r.Warnings[0].Message.Should().Contain("expected 76");
        r.Warnings[2].Message.Should().Contain("expected 26");
    }

    [Fact]
    public void The_fake_idam_fault_gives_code_subcode_error_severity_reason_and_message_id()
    {
        var f = Read("recorded/FakeIdam.fault.xml").Fault!;

        f.Code.Should().Be("Sender");
        f.Subcode.Should().Be("siram_100");
        f.ErrorCode.Should().Be("desir_550");
        f.Severity.Should().Be("erreur");
        f.MessageId.Should().Be("uuid:b3549edd-4ae9-472a-b26f-fd2fb4ef397f");
        f.Reason.Should().StartWith("L'accès par ce progiciel au service n'est pas autorisé.");
        f.ErrorText.Should().Be("Numéro d'autorisation du logiciel inconnu.");
        f.IsUnknownSoftware.Should().BeTrue();
        f.IsUnavailable.Should().BeFalse();
    }

    [Theory]
    [InlineData("S", "Receiver", "siram_40", "insi_102", "fatal", true)]
    [InlineData("soap", "Sender", "siram_40", "desir_1020", "fatale", true)]
    [InlineData("env", "Sender", "siram_1", "DESIR_560", "erreur", false)]
    public void Fault_generations_with_any_prefix_are_read_and_classified(string prefix, string code, string subcode, string error, string severity, bool unavailable)
    {
        var xml = $"""
            <{prefix}:Envelope xmlns:{prefix}="http://www.w3.org/2003/05/soap-envelope"><{prefix}:Body><{prefix}:Fault>
            <{prefix}:Code><{prefix}:Value>{prefix}:{code}</{prefix}:Value><{prefix}:Subcode><{prefix}:Value>{prefix}:{subcode}</{prefix}:Value></{prefix}:Subcode></{prefix}:Code>
            <{prefix}:Reason><{prefix}:Text xml:lang="fr">Le service est temporairement inaccessible.</{prefix}:Text></{prefix}:Reason>
            <{prefix}:Detail><x:Erreur xmlns:x="urn:siram" code="{error}" severite="{severity}" messageID="uuid:1">Le service appelé est temporairement indisponible</x:Erreur></{prefix}:Detail>
            </{prefix}:Fault></{prefix}:Body></{prefix}:Envelope>
            """;

        var f = InsiResponseReader.Read(System.Text.Encoding.UTF8.GetBytes(xml)).Fault!;

        f.Should().Be(new InsiFault(code, subcode, "Le service est temporairement inaccessible.", error, severity, "Le service appelé est temporairement indisponible", "uuid:1"));
        f.IsUnavailable.Should().Be(unavailable);
        f.IsAccessDenied.Should().Be(error == "DESIR_560");
    }

    [Fact]
    public void The_old_fully_prefixed_resultat_layout_is_read()
    {
        const string xml = """
            <S:Envelope xmlns:S="http://www.w3.org/2003/05/soap-envelope"><S:Header/><S:Body><ns2:RESULTAT xmlns:ns3="http://www.cnamts.fr/INSiRecVit" xmlns:ns2="http://www.cnamts.fr/INSiResultat" xmlns="http://www.cnamts.fr/INSiRecSans"><ns2:CR><ns2:CodeCR>00</ns2:CodeCR><ns2:LibelleCR>OK</ns2:LibelleCR></ns2:CR><ns2:INDIVIDU><ns2:INSACTIF><ns2:IdIndividu><ns2:NumIdentifiant>160012B020777</ns2:NumIdentifiant><ns2:Cle>13</ns2:Cle><ns2:TypeMatricule>NIR</ns2:TypeMatricule></ns2:IdIndividu><ns2:OID>1.2.250.1.213.1.4.8</ns2:OID></ns2:INSACTIF><ns2:TIQ><ns2:NomNaissance>ADRTROIS</ns2:NomNaissance><ns2:Prenom>TOUSSAINT</ns2:Prenom><ns2:ListePrenom/><ns2:Sexe>M</ns2:Sexe><ns2:DateNaissance>1960-01-01</ns2:DateNaissance></ns2:TIQ></ns2:INDIVIDU></ns2:RESULTAT></S:Body></S:Envelope>
            """;

        var r = InsiResponseReader.Read(System.Text.Encoding.UTF8.GetBytes(xml)).Result!;

        r.Individual!.Active.MatriculeType.Should().Be("NIR");
        r.Individual.Active.Matricule!.Value.Value.Should().Be("160012B02077713");
        r.Individual.Traits.FirstNames.Should().BeEmpty();
        r.Individual.Traits.FirstName.Should().Be("TOUSSAINT");
        r.Individual.Traits.BirthPlace.Should().BeNull();
    }

    [Theory]
    [InlineData("", "well-formed")]
    [InlineData("<a/>", "SOAP 1.2 Envelope")]
    [InlineData("<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body/></soap:Envelope>", "SOAP 1.2 Envelope")]
    [InlineData("<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body/></s:Envelope>", "Empty SOAP Body")]
    [InlineData("<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body><x/></s:Body></s:Envelope>", "Unexpected body element")]
    [InlineData("<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body><RESULTAT xmlns=\"http://www.cnamts.fr/INSiResultat\"/></s:Body></s:Envelope>", "CodeCR")]
    [InlineData("<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body><RESULTAT xmlns=\"http://www.cnamts.fr/INSiResultat\"><CR><CodeCR>00</CodeCR></CR></RESULTAT></s:Body></s:Envelope>", "CR 00 without")]
    [InlineData("<!DOCTYPE x [<!ENTITY e \"boom\">]><s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body>&e;</s:Body></s:Envelope>", "well-formed")]
    [InlineData("<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body><RESULTAT xmlns=\"http://www.cnamts.fr/INSiResultat\"><CR><CodeCR><b>00</b></CodeCR></CR></RESULTAT></s:Body></s:Envelope>", "text only")]
    public void Malformed_or_hostile_responses_raise_the_protocol_error_with_the_reason(string xml, string reason)
    {
        var act = () => InsiResponseReader.Read(System.Text.Encoding.UTF8.GetBytes(xml));

        act.Should().Throw<InsiProtocolException>().Which.Message.Should().Contain(reason);
    }

    [Fact]
    public void A_response_over_the_size_limit_is_refused_before_parsing()
    {
        var bytes = File.ReadAllBytes(InsiFiles.Recorded("AdrtroisToussaint.response.xml"));

        var act = () => InsiResponseReader.Read(bytes, maxBytes: 100);

        act.Should().Throw<InsiProtocolException>().Which.Message.Should().Contain("limit");
    }

    [Theory]
    [InlineData("<?xml version=\"1.0\" encoding=\"utf-8")]
    [InlineData("<?xml version=\"1.0\" encoding=\"utf-8?>")]
    [InlineData("<?xml version=\"1.0\" encoding=")]
    [InlineData("\uFEFF<")]
    public void A_tiny_response_cut_inside_its_xml_declaration_is_a_protocol_error(string xml)
    {
        // Exact-size arrays: nothing after the document that a reader could stray into.
        var act = () => InsiResponseReader.Read(System.Text.Encoding.UTF8.GetBytes(xml));

        act.Should().Throw<InsiProtocolException>();
    }

    [Theory]
    [InlineData("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body/></s:Envelope>", "encoding")]
    [InlineData("<?pi data?><s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body/></s:Envelope>", "well-formed")]
    [InlineData("<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body><p:RESULTAT/></s:Body></s:Envelope>", "well-formed")]
    public void Non_utf8_declarations_processing_instructions_and_undeclared_prefixes_are_refused(string xml, string reason)
    {
        var act = () => InsiResponseReader.Read(System.Text.Encoding.UTF8.GetBytes(xml));

        act.Should().Throw<InsiProtocolException>().Which.Message.Should().Contain(reason);
    }

    [Fact]
    public void Nesting_deeper_than_any_insi_answer_is_refused()
    {
        var xml = "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body><RESULTAT xmlns=\"http://www.cnamts.fr/INSiResultat\"><CR><CodeCR>00</CodeCR></CR><x>"
            + string.Concat(Enumerable.Repeat("<y>", 40)) + string.Concat(Enumerable.Repeat("</y>", 40))
            + "</x></RESULTAT></s:Body></s:Envelope>";

        var act = () => InsiResponseReader.Read(System.Text.Encoding.UTF8.GetBytes(xml));

        act.Should().Throw<InsiProtocolException>().Which.Message.Should().Contain("depth");
    }

    [Fact]
    public void A_response_read_after_a_refused_one_on_the_same_thread_reads_normally()
    {
        var good = File.ReadAllBytes(InsiFiles.Recorded("AdrtroisToussaint.response.xml"));
        var bad = good[..(good.Length / 2)];

        var refused = () => InsiResponseReader.Read(bad);
        refused.Should().Throw<InsiProtocolException>();

        InsiResponseReader.Read(good).Result!.Individual!.Active.Matricule!.Value.Value.Should().Be("160012B02077713");
    }

    [Fact]
    public void A_response_in_the_middle_of_a_larger_buffer_or_a_stream_reads_like_the_bare_bytes()
    {
        var good = File.ReadAllBytes(InsiFiles.Recorded("AdrtroisToussaint.response.xml"));
        var framed = new byte[good.Length + 20];
        framed.AsSpan().Fill((byte)'"');
        good.CopyTo(framed, 7);

        var fromSlice = InsiResponseReader.Read(new ReadOnlyMemory<byte>(framed, 7, good.Length)).Result!;
        using var stream = new MemoryStream(good);
        var fromStream = InsiResponseReader.Read(stream).Result!;

        fromSlice.Individual!.Active.Matricule!.Value.Value.Should().Be("160012B02077713");
        fromStream.Individual!.Traits.Should().Be(fromSlice.Individual.Traits);
    }

    [Fact]
    public void A_stream_longer_than_the_limit_is_refused()
    {
        using var stream = new MemoryStream(File.ReadAllBytes(InsiFiles.Recorded("AdrtroisToussaint.response.xml")));

        var act = () => InsiResponseReader.Read(stream, maxBytes: 100);

        act.Should().Throw<InsiProtocolException>().Which.Message.Should().Contain("limit");
    }
}
