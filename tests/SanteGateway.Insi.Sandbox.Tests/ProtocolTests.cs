using System.Text;
using CsCheck;
using SanteGateway.Insi.Sandbox.Pki;
using SanteGateway.Insi.Sandbox.Tests.Support;

namespace SanteGateway.Insi.Sandbox.Tests;

/// <summary>Behaviour of the INSi service logic, exercised in-process through <see cref="InsiSandboxHandler.Process"/>.</summary>
public sealed class ProtocolTests
{
    private const string Soap12 = "application/soap+xml; charset=utf-8";
    private static readonly Lazy<System.Security.Cryptography.X509Certificates.X509Certificate2> Auto = new(() => SharedPki.Load(TestPki.InsiAutoP12File));
    private static readonly Lazy<InsiSandboxHandler> Default = new(() => new InsiSandboxHandler(SandboxClients.Options()));

    private static (int Status, string Body, string Outcome) Call(byte[] request, string? contentType = Soap12, InsiSandboxHandler? handler = null)
    {
        var response = (handler ?? Default.Value).Process(request, contentType, Auto.Value, InsiSandboxAuthentication.MutualTls);
        ContractSchemas.ValidateAnswer(response.Body).Should().BeEmpty("every answer the sandbox writes must follow the official XSDs");
        return (response.StatusCode, Encoding.UTF8.GetString(response.Body), response.Outcome);
    }

    private static byte[] Search(string birthName, string firstName, string sex, string birthDate, string? cog = null) =>
        Recorded.WithBody(Recorded.Traits(birthName, firstName, sex, birthDate, cog));

    [Fact]
    public void A_SOAP_1_1_content_type_is_refused_with_HTTP_415_and_a_VersionMismatch_fault()
    {
        var (status, body, _) = Call(Recorded.Request("AdrtroisToussaint"), "text/xml; charset=utf-8");

        status.Should().Be(415);
        body.Should().Contain("soap:VersionMismatch").And.Contain("SOAP 1.2");
    }

    [Fact]
    public void A_request_without_content_type_is_refused_with_HTTP_415()
    {
        Call(Recorded.Request("AdrtroisToussaint"), contentType: null).Status.Should().Be(415);
    }

    [Fact]
    public void A_SOAP_1_1_envelope_is_answered_with_a_VersionMismatch_fault()
    {
        var request = Recorded.Request("AdrtroisToussaint", ("http://www.w3.org/2003/05/soap-envelope", "http://schemas.xmlsoap.org/soap/envelope/"));

        var (status, body, outcome) = Call(request);

        status.Should().Be(500);
        outcome.Should().Be("sandbox_soap12_requis");
        body.Should().Contain("soap:VersionMismatch");
    }

    [Fact]
    public void The_search_by_traits_action_with_a_known_person_answers_CR_00_with_INSACTIF_and_TIQ_ListePrenom_but_no_Prenom()
    {
        var (status, body, outcome) = Call(Search("TCHITCHI", "CATARINA", "F", "1936-06-21"));

        status.Should().Be(200);
        outcome.Should().Be("CR00");
        body.Should().Contain("<ListePrenom>CATARINA BELLA</ListePrenom>").And.NotContain("<Prenom>");
    }

    [Theory]
    [InlineData("PIERRE-ALAIN")]
    [InlineData("MURIEL")]
    [InlineData("FLORIANT")]
    [InlineData("PIERRE-ALAIN MURIEL FLORIANT")]
    public void A_first_name_matches_when_it_is_the_first_any_listed_one_or_the_whole_list(string firstName)
    {
        Call(Search("ECETINSI", firstName, "M", "2009-07-14")).Outcome.Should().Be("CR00");
    }

    [Theory]
    [InlineData("PIERRE")]
    [InlineData("MURIEL FLORIANT")]
    [InlineData("PIERRE-ALAIN FLORIANT")]
    public void A_first_name_that_is_neither_a_listed_one_nor_the_whole_list_answers_CR_01(string firstName)
    {
        Call(Search("ECETINSI", firstName, "M", "2009-07-14")).Outcome.Should().Be("CR01");
    }

    [Fact]
    public void Two_homonyms_answer_CR_02_without_birth_place_and_CR_00_with_the_COG_of_one_of_them()
    {
        Call(Search("DE VINCI", "LEONARDO", "M", "2014-02-01")).Body.Should().Contain("<CodeCR>02</CodeCR>").And.Contain("Plusieurs identites trouvees");

        var (_, body63220, _) = Call(Search("DE VINCI", "LEONARDO", "M", "2014-02-01", "63220"));
        var (_, body75056, _) = Call(Search("DE VINCI", "LEONARDO", "M", "2014-02-01", "75056"));

        body63220.Should().Contain("<NumIdentifiant>1140263220001</NumIdentifiant>").And.Contain("<LieuNaissance>63220</LieuNaissance>");
        body75056.Should().Contain("<NumIdentifiant>1140275056002</NumIdentifiant>");
        Call(Search("DE VINCI", "LEONARDO", "M", "2014-02-01", "13055")).Outcome.Should().Be("CR01");
    }

    [Fact]
    public void The_provisional_person_is_returned_with_the_NIA_OID()
    {
        var (_, body, _) = Call(Search("PROVISOIRE", "MATRICULE", "M", "2009-07-01"));

        body.Should().Contain("<NumIdentifiant>1090763220888</NumIdentifiant><Cle>35</Cle>").And.Contain("<OID>1.2.250.1.213.1.4.9</OID>");
    }

    [Fact]
    public void A_person_absent_from_the_base_answers_CR_01_by_default()
    {
        var (status, body, _) = Call(Search("HOUILLES", "PIERRE", "M", "1993-01-27"));

        status.Should().Be(200);
        body.Should().Contain("<CodeCR>01</CodeCR><LibelleCR>Aucune identite trouvee</LibelleCR>").And.NotContain("INDIVIDU");
    }

    [Fact]
    public void In_insi_102_mode_an_unknown_person_gets_the_Receiver_siram_40_insi_102_fault()
    {
        var handler = new InsiSandboxHandler(SandboxClients.Options(o => o.UnknownIdentity = UnknownIdentityBehaviour.Insi102));

        var (status, body, _) = Call(Search("DE VINCI", "RUTH", "F", "1976-07-14"), handler: handler);

        status.Should().Be(500);
        body.Should().Contain("soap:Receiver").And.Contain("soap:siram_40").And.Contain("code=\"insi_102\"")
            .And.Contain("L'appel au service de recherche avec les traits d'identité renvoie une erreur technique.")
            .And.Contain($"messageID=\"{Recorded.RecordedMessageId}\"");
    }

    [Fact]
    public void In_desir_1020_mode_an_unknown_person_gets_the_Sender_siram_40_desir_1020_fault_but_a_known_one_is_still_found()
    {
        var handler = new InsiSandboxHandler(SandboxClients.Options(o => o.UnknownIdentity = UnknownIdentityBehaviour.Desir1020));

        var (status, body, _) = Call(Search("ADRTROIS-DOES-NOT-EXIST", "DOMINIQUE", "F", "1997-02-26"), handler: handler);

        status.Should().Be(500);
        body.Should().Contain("soap:Sender").And.Contain("soap:siram_40").And.Contain("code=\"desir_1020\"").And.Contain("severite=\"fatale\"")
            .And.Contain("Le service appelé est temporairement indisponible");
        Call(Search("ADRTROIS", "DOMINIQUE", "F", "1997-02-26"), handler: handler).Outcome.Should().Be("CR00");
    }

    [Fact]
    public void A_fault_rate_of_one_answers_every_valid_request_with_the_unavailability_fault()
    {
        var handler = new InsiSandboxHandler(SandboxClients.Options(o => o.FaultRate = 1.0));

        Call(Search("ADRTROIS", "TOUSSAINT", "M", "1960-01-01"), handler: handler).Outcome.Should().Be("desir_1020");
    }

    [Fact]
    public void A_fault_rate_of_one_half_with_a_seed_answers_with_both_results_and_faults()
    {
        var handler = new InsiSandboxHandler(SandboxClients.Options(o => { o.FaultRate = 0.5; o.FaultSeed = 42; }));

        var outcomes = Enumerable.Range(0, 40).Select(_ => Call(Search("ADRTROIS", "TOUSSAINT", "M", "1960-01-01"), handler: handler).Outcome).ToList();

        outcomes.Should().Contain("CR00").And.Contain("desir_1020").And.OnlyContain(o => o == "CR00" || o == "desir_1020");
    }

    [Theory]
    [InlineData("adrtrois", "TOUSSAINT", "M", "1960-01-01", null, "NomNaissance")]
    [InlineData("D'ÆION", "COEUR", "M", "1987-01-01", null, "NomNaissance")]
    [InlineData("ADRTROIS", "CŒUR", "M", "1987-01-01", null, "Prenom")]
    [InlineData("ADRTROIS", "TOUSSAINT-", "M", "1960-01-01", null, "Prenom")]
    [InlineData("ADRTROIS", "TOUSSAINT", "X", "1960-01-01", null, "Sexe")]
    [InlineData("ADRTROIS", "TOUSSAINT", "M", "01/01/1960", null, "DateNaissance")]
    [InlineData("ADRTROIS", "TOUSSAINT", "M", "1960-13-01", null, "DateNaissance")]
    [InlineData("ADRTROIS", "TOUSSAINT", "M", "1960-01-01", "2b02", "LieuNaissance")]
    [InlineData(" ADRTROIS", "TOUSSAINT", "M", "1960-01-01", null, "NomNaissance")]
    [InlineData("ADR  TROIS", "TOUSSAINT", "M", "1960-01-01", null, "NomNaissance")]
    public void Traits_outside_the_INSi_lexical_profile_get_a_Sender_fault_naming_the_field(string name, string first, string sex, string date, string? cog, string field)
    {
        var (status, body, outcome) = Call(Search(name, first, sex, date, cog));

        status.Should().Be(500);
        outcome.Should().Be("sandbox_traits_invalides");
        body.Should().Contain("soap:Sender").And.Contain(field + " :");
    }

    [Fact]
    public void A_birth_name_with_a_double_hyphen_and_apostrophes_is_accepted()
    {
        Call(Search("D'ARTAGNAN DE L'HERAULT", "PIERRE-ALAIN", "M", "2001-06-17")).Outcome.Should().Be("CR00");
        Call(Search("DUPONT--DURAND", "JEAN", "M", "2001-06-17")).Outcome.Should().Be("CR01");
    }

    [Fact]
    public void A_lunar_birth_date_is_accepted_by_the_lexical_profile()
    {
        Call(Search("ADRTROIS", "TOUSSAINT", "M", "1960-00-00")).Outcome.Should().Be("CR01");
    }

    [Fact]
    public void A_missing_ContexteLPS_gets_a_Sender_fault_echoing_the_message_id()
    {
        var text = File.ReadAllText(Recorded.File("AdrtroisToussaint.request.xml"));
        var start = text.IndexOf("<ctxlps:ContexteLPS", StringComparison.Ordinal);
        var end = text.IndexOf("</ctxlps:ContexteLPS>", StringComparison.Ordinal) + "</ctxlps:ContexteLPS>".Length;
        var request = Encoding.UTF8.GetBytes(text.Remove(start, end - start));

        var (status, body, outcome) = Call(request);

        status.Should().Be(500);
        outcome.Should().Be("sandbox_message_invalide");
        body.Should().Contain("soap:Sender").And.Contain("ContexteLPS").And.Contain($"messageID=\"{Recorded.RecordedMessageId}\"");
    }

    [Theory]
    [InlineData("Version=\"01_00\"", "Version=\"02_00\"", "Version")]
    [InlineData("<ctxbam:COUVERTURE></ctxbam:COUVERTURE>", "", "COUVERTURE")]
    [InlineData("<ctxlps:Temps>2020-01-01T00:00:00.000Z</ctxlps:Temps>", "<ctxlps:Temps>hier</ctxlps:Temps>", "Temps")]
    [InlineData("<ctxbam:Id>1f7425e2-b913-415c-adaa-785ee1076a70</ctxbam:Id>", "", "Id")]
    public void A_malformed_context_header_gets_a_Sender_fault_naming_the_problem(string from, string to, string mentioned)
    {
        var (status, body, outcome) = Call(Recorded.Request("AdrtroisToussaint", (from, to)));

        status.Should().Be(500);
        outcome.Should().Be("sandbox_message_invalide");
        body.Should().Contain(mentioned);
    }

    [Fact]
    public void A_request_without_wsa_Action_is_dispatched_on_the_body_element()
    {
        var request = Recorded.Request("AdrtroisToussaint",
            ("<wsa:Action xmlns:wsa=\"http://www.w3.org/2005/08/addressing\" xmlns=\"http://www.w3.org/2005/08/addressing\">urn:ServiceIdentiteCertifiee:1.0.0:rechercherInsAvecTraitsIdentite</wsa:Action>", string.Empty));

        Call(request).Outcome.Should().Be("CR00");
    }

    [Fact]
    public void An_unknown_action_gets_a_Sender_fault()
    {
        var request = Recorded.Request("AdrtroisToussaint", ("1.0.0:rechercherInsAvecTraitsIdentite<", "1.0.0:verifierIns<"));

        var (status, _, outcome) = Call(request);

        status.Should().Be(500);
        outcome.Should().Be("sandbox_action_inconnue");
    }

    [Fact]
    public void The_Vitale_action_with_a_traits_body_gets_a_Sender_fault()
    {
        var request = Recorded.Request("AdrtroisToussaint", ("1.0.0:rechercherInsAvecTraitsIdentite<", "1.0.0:rechercherInsAvecCarteVitale<"));

        Call(request).Outcome.Should().Be("sandbox_action_inconnue");
    }

    [Fact]
    public void A_request_missing_its_message_id_gets_a_Sender_fault()
    {
        var request = Recorded.Request("AdrtroisToussaint", ("uuid:b3549edd-4ae9-472a-b26f-fd2fb4ef397f</wsa:MessageID>", "</wsa:MessageID>"));

        Call(request).Outcome.Should().Be("sandbox_message_invalide");
    }

    [Fact]
    public void Prefixes_are_free_default_namespaces_give_the_same_answer()
    {
        var request = Encoding.UTF8.GetBytes(
            "<Envelope xmlns=\"http://www.w3.org/2003/05/soap-envelope\"><Header>" +
            "<ContexteBAM xmlns=\"urn:siram:bam:ctxbam\" Version=\"01_02\"><Id>a</Id><Temps>2026-01-01T00:00:00Z</Temps><COUVERTURE/></ContexteBAM>" +
            "<ContexteLPS xmlns=\"urn:siram:lps:ctxlps\" Nature=\"CTXLPS\" Version=\"01_00\"><Id>b</Id><Temps>2026-01-01T00:00:00Z</Temps><LPS><IDAM R=\"4\">SANDBOX-IDAM</IDAM></LPS></ContexteLPS>" +
            "<x:Action xmlns:x=\"http://www.w3.org/2005/08/addressing\">urn:ServiceIdentiteCertifiee:1.0.0:rechercherInsAvecTraitsIdentite</x:Action>" +
            "<MessageID xmlns=\"http://www.w3.org/2005/08/addressing\">uuid:1</MessageID></Header><Body>" +
            "<RECSANSVITALE xmlns=\"http://www.cnamts.fr/INSiRecSans\"><NomNaissance>ADRTROIS</NomNaissance><Prenom>DOMINIQUE</Prenom><Sexe>F</Sexe><DateNaissance>1997-02-26</DateNaissance></RECSANSVITALE>" +
            "</Body></Envelope>");

        var (_, body, outcome) = Call(request);

        outcome.Should().Be("CR00");
        XmlEquivalence.Differences(File.ReadAllText(Recorded.File("AdrtroisDominique.response.xml")), body).Should().BeEmpty();
    }

    [Fact]
    public void An_unknown_header_marked_mustUnderstand_gets_a_MustUnderstand_fault()
    {
        var request = Recorded.Request("AdrtroisToussaint", ("<soap:Header>", "<soap:Header><x:Y xmlns:x=\"urn:x\" soap:mustUnderstand=\"true\"/>"));

        var (_, body, _) = Call(request);

        body.Should().Contain("soap:MustUnderstand");
    }

    [Fact]
    public void A_document_type_declaration_is_refused_without_expanding_entities()
    {
        var request = Encoding.UTF8.GetBytes("<?xml version=\"1.0\"?><!DOCTYPE e [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>" +
                                             Encoding.UTF8.GetString(Recorded.Request("AdrtroisToussaint", ("ADRTROIS<", "&x;<"))).Replace("<?xml version=\"1.0\" encoding=\"utf-8\"?>", string.Empty, StringComparison.Ordinal));

        var (status, body, outcome) = Call(request);

        status.Should().Be(500);
        outcome.Should().Be("sandbox_message_invalide");
        body.Should().NotContain("root:");
    }

    [Fact]
    public void A_body_over_the_size_limit_is_refused_with_HTTP_413()
    {
        var handler = new InsiSandboxHandler(SandboxClients.Options(o => o.MaxRequestBytes = 4096));
        var request = Recorded.Request("AdrtroisToussaint", ("<soap:Header>", "<soap:Header><!--" + new string('x', 5000) + "-->"));

        Call(request, handler: handler).Status.Should().Be(413);
    }

    [Fact]
    public void Without_a_client_certificate_the_handler_answers_DESIR_560_when_hosted_behind_a_permissive_listener()
    {
        var response = Default.Value.Process(Recorded.Request("AdrtroisToussaint"), Soap12, clientCertificate: null, InsiSandboxAuthentication.MutualTls);

        response.Outcome.Should().Be("DESIR_560");
        Encoding.UTF8.GetString(response.Body).Should().Contain("Certificat client absent");
    }

    [Fact]
    public void Any_byte_sequence_is_answered_with_a_fault_and_never_throws()
    {
        Gen.Byte.Array[0, 600].Sample(bytes =>
        {
            var response = Default.Value.Process(bytes, Soap12, Auto.Value, InsiSandboxAuthentication.MutualTls);
            response.StatusCode.Should().BeOneOf(413, 415, 500);
        }, iter: 300);
    }

    [Fact]
    public void Any_text_in_the_traits_is_answered_with_a_valid_CR_or_a_traits_fault_and_never_throws()
    {
        Gen.Select(Gen.String[0, 30], Gen.String[0, 30], Gen.String[0, 12]).Sample((name, first, date) =>
        {
            var request = Recorded.WithBody(Recorded.Traits(Clean(name), Clean(first), "M", Clean(date)));
            var response = Default.Value.Process(request, Soap12, Auto.Value, InsiSandboxAuthentication.MutualTls);
            response.Outcome.Should().BeOneOf("CR00", "CR01", "CR02", "sandbox_traits_invalides", "sandbox_message_invalide");
            ContractSchemas.ValidateAnswer(response.Body).Should().BeEmpty();
        }, iter: 300);

        // Characters XML 1.0 cannot carry at all would make the request itself unwritable; they are covered by the byte test.
        static string Clean(string s) => new(s.Where(c => System.Xml.XmlConvert.IsXmlChar(c)).ToArray());
    }
}
