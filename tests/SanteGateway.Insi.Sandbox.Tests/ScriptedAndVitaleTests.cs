using System.Text;
using SanteGateway.Insi.Sandbox.Pki;
using SanteGateway.Insi.Sandbox.Tests.Support;

namespace SanteGateway.Insi.Sandbox.Tests;

/// <summary>Scripted (CNDA) answers and the search with Vitale card data.</summary>
public sealed class ScriptedAndVitaleTests
{
    private const string Soap12 = "application/soap+xml; charset=utf-8";
    private static readonly Lazy<System.Security.Cryptography.X509Certificates.X509Certificate2> Auto = new(() => SharedPki.Load(TestPki.InsiAutoP12File));

    private static string CndaFolder()
    {
        var dir = Path.Combine(Path.GetTempPath(), "santegw-scripted-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        foreach (var file in new[] { "TEST_2.08_cas2.xml", "TEST_2.04_cas2.xml", "REP_CR01.xml" })
        {
            File.Copy(Recorded.Cnda(file), Path.Combine(dir, file));
        }

        File.WriteAllText(Path.Combine(dir, "index.json"), """
            {
              "format": "santegw-insi-sandbox-scripted/1",
              "entries": [
                { "birthName": "HERMANN", "firstName": "GATIEN", "sex": "M", "birthDate": "1981-03-24", "response": "TEST_2.08_cas2.xml" },
                { "birthName": "ECETINSI", "sex": "M", "birthDate": "2009-07-14", "response": "TEST_2.04_cas2.xml", "note": "any first name" },
                { "birthName": "HOUILLES", "sex": "M", "birthDate": "1993-01-27", "response": "REP_CR01.xml" }
              ]
            }
            """);
        return dir;
    }

    private static InsiSandboxResponse Call(InsiSandboxHandler handler, byte[] request) =>
        handler.Process(request, Soap12, Auto.Value, InsiSandboxAuthentication.MutualTls);

    [Fact]
    public void HERMANN_GATIEN_is_answered_with_the_CNDA_file_TEST_2_08_cas2_including_its_wrong_keys()
    {
        var handler = new InsiSandboxHandler(SandboxClients.Options(o => o.ScriptedResponsesDirectory = CndaFolder()));

        var response = Call(handler, Recorded.WithBody(Recorded.Traits("HERMANN", "GATIEN", "M", "1981-03-24")));

        response.StatusCode.Should().Be(200);
        response.Outcome.Should().Be("scripted:TEST_2.08_cas2.xml");
        XmlEquivalence.Differences(File.ReadAllText(Recorded.Cnda("TEST_2.08_cas2.xml")), Encoding.UTF8.GetString(response.Body)).Should().BeEmpty();
    }

    [Fact]
    public void Without_scripted_answers_HERMANN_GATIEN_comes_from_the_base_with_valid_keys()
    {
        var handler = new InsiSandboxHandler(SandboxClients.Options());

        var body = Encoding.UTF8.GetString(Call(handler, Recorded.WithBody(Recorded.Traits("HERMANN", "GATIEN", "M", "1981-03-24"))).Body);

        body.Should().Contain("<NumIdentifiant>1810363220456</NumIdentifiant><Cle>76</Cle>");
    }

    [Fact]
    public void The_recorded_PierreAlain_request_gets_the_CNDA_TEST_2_04_cas2_answer_when_scripted()
    {
        var handler = new InsiSandboxHandler(SandboxClients.Options(o => o.ScriptedResponsesDirectory = CndaFolder()));

        var response = Call(handler, Recorded.Request("PierreAlain"));

        XmlEquivalence.Differences(File.ReadAllText(Recorded.File("PierreAlain.response.xml")), Encoding.UTF8.GetString(response.Body)).Should().BeEmpty();
    }

    [Fact]
    public void A_scripted_entry_without_first_name_applies_to_any_first_name_but_not_to_other_traits()
    {
        var handler = new InsiSandboxHandler(SandboxClients.Options(o => o.ScriptedResponsesDirectory = CndaFolder()));

        Call(handler, Recorded.WithBody(Recorded.Traits("HOUILLES", "PAUL", "M", "1993-01-27"))).Outcome.Should().Be("scripted:REP_CR01.xml");
        Call(handler, Recorded.WithBody(Recorded.Traits("HOUILLES", "PAUL", "M", "1993-01-28"))).Outcome.Should().Be("CR01");
    }

    [Fact]
    public void A_scripted_index_naming_a_file_outside_its_folder_is_refused_with_the_entry_named()
    {
        var dir = CndaFolder();
        File.WriteAllText(Path.Combine(dir, "index.json"),
            """{"format":"santegw-insi-sandbox-scripted/1","entries":[{"birthName":"A","sex":"M","birthDate":"2000-01-01","response":"../../etc/passwd"}]}""");

        var act = () => new InsiSandboxHandler(SandboxClients.Options(o => o.ScriptedResponsesDirectory = dir));

        act.Should().Throw<InvalidDataException>().WithMessage("*entries[0].response*");
    }

    private static byte[] Vitale(string innerBody)
    {
        var text = File.ReadAllText(Recorded.File("AdrtroisToussaint.request.xml"))
            .Replace("1.0.0:rechercherInsAvecTraitsIdentite<", "1.0.0:rechercherInsAvecCarteVitale<", StringComparison.Ordinal);
        var start = text.IndexOf("<insi_recsans_ins:RECSANSVITALE", StringComparison.Ordinal);
        var end = text.IndexOf("</soap:Body>", StringComparison.Ordinal);
        return Encoding.UTF8.GetBytes(string.Concat(text.AsSpan(0, start),
            $"<v:RECVITALE xmlns:v=\"http://www.cnamts.fr/INSiRecVit\">{innerBody}</v:RECVITALE>", text.AsSpan(end)));
    }

    [Fact]
    public void A_Vitale_search_with_the_beneficiary_NIR_finds_the_beneficiary()
    {
        var handler = new InsiSandboxHandler(SandboxClients.Options());

        var response = Call(handler, Vitale("<v:MatriculeIndividu><v:NumIdentifiant>1100863220830</v:NumIdentifiant></v:MatriculeIndividu>" +
                                            "<v:MatriculeOD><v:NumIdentifiant>2770763220831</v:NumIdentifiant></v:MatriculeOD>"));

        response.Outcome.Should().Be("CR00");
        Encoding.UTF8.GetString(response.Body).Should().Contain("<ListePrenom>MICHELANGELO ANTHONY</ListePrenom>");
        ContractSchemas.ValidateAnswer(response.Body).Should().BeEmpty();
    }

    [Fact]
    public void A_Vitale_search_with_only_the_insured_NIR_of_a_family_card_answers_CR_02_and_the_birth_date_separates_them()
    {
        var handler = new InsiSandboxHandler(SandboxClients.Options());
        const string od = "<v:MatriculeOD><v:NumIdentifiant>2770763220831</v:NumIdentifiant></v:MatriculeOD>";

        Call(handler, Vitale(od)).Outcome.Should().Be("CR02");
        var response = Call(handler, Vitale(od + "<v:NomNaissance>NESSI</v:NomNaissance><v:DateNaissance>2012-10-09</v:DateNaissance><v:RangNaissance>1</v:RangNaissance>"));
        response.Outcome.Should().Be("CR00");
        Encoding.UTF8.GetString(response.Body).Should().Contain("DONATELLO");
    }

    [Fact]
    public void A_Vitale_search_without_any_NIR_gets_a_Sender_fault()
    {
        var handler = new InsiSandboxHandler(SandboxClients.Options());

        Call(handler, Vitale("<v:NomNaissance>NESSI</v:NomNaissance>")).Outcome.Should().Be("sandbox_traits_invalides");
    }
}
