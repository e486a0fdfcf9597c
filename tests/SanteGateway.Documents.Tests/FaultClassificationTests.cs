using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using SanteGateway.Application;
using SanteGateway.Documents.Fhir;
using SanteGateway.Documents.Xds;
using SanteGateway.Identity;
using SanteGateway.Insi.Sandbox.Pki;
using SanteGateway.Server.Documents;

namespace SanteGateway.Documents.Tests;

/// <summary>
/// What a failed DMP call means for the gateway: a fault that blames the request (SOAP <c>Sender</c>, HTTP 4xx) is a
/// permanent refusal, one that blames the service (<c>Receiver</c>, 5xx, network) is transient. Against the sandbox over
/// mutual TLS, plus the SOAP fault reader on its own.
/// </summary>
public sealed class FaultClassificationTests(SandboxFixture fx) : IClassFixture<SandboxFixture>
{
    // The INSi sandbox's ADRTROIS TOUSSAINT, born in Haute-Corse: department 2B inside the matricule.
    private const string CorsicanMatricule = "160012B02077713";
    private const string CorsicanPatient = CorsicanMatricule + "^^^&1.2.250.1.213.1.4.8&ISO^NH";
    private const string TestPatient = "279035121518989^^^&1.2.250.1.213.1.4.10&ISO^NH";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static InsIdentifier Ins(string matricule, string oid) => new(InsMatricule.Parse(matricule), oid);

    private static SoapFault? ReadFault(string code, string? subcode = null, string prefix = "soap", string ns = XdsNamespaces.Soap12)
    {
        var sub = subcode is null ? string.Empty : $"<soap:Subcode><soap:Value>{subcode}</soap:Value></soap:Subcode>";
        var declaration = prefix == "soap" ? string.Empty : $" xmlns:{prefix}=\"{ns}\"";
        var xml = $"""
            <soap:Envelope xmlns:soap="{XdsNamespaces.Soap12}"{declaration}><soap:Body><soap:Fault>
            <soap:Code><soap:Value>{prefix}:{code}</soap:Value>{sub}</soap:Code>
            <soap:Reason><soap:Text xml:lang="fr">raison</soap:Text></soap:Reason></soap:Fault></soap:Body></soap:Envelope>
            """;
        return SoapEnvelope.Read(Encoding.UTF8.GetBytes(xml)).Fault;
    }

    [Theory]
    [InlineData("Sender", null, true)]
    [InlineData("Sender", "wsse:FailedAuthentication", true)]
    [InlineData("MustUnderstand", null, true)]
    [InlineData("VersionMismatch", null, true)]
    [InlineData("DataEncodingUnknown", null, true)]
    [InlineData("Receiver", null, false)]
    [InlineData("Receiver", "dmp:Indisponible", false)]
    public void A_SOAP_fault_blames_the_request_only_for_the_Sender_class_and_the_SOAP_header_faults(string code, string? subcode, bool sender)
    {
        var fault = ReadFault(code, subcode)!;

        fault.Value.Should().Be(code);
        fault.IsSenderFault.Should().Be(sender);
        fault.Code.Should().Be(subcode ?? "soap:" + code, "the subcode, when given, stays the fault's code");
        new XdsFaultException(fault).IsSenderFault.Should().Be(sender);
    }

    [Fact]
    public void The_fault_class_is_read_through_whatever_prefix_the_service_binds_to_SOAP_1_2()
    {
        ReadFault("Sender", prefix: "env")!.IsSenderFault.Should().BeTrue();
    }

    [Fact]
    public void A_Sender_code_in_another_namespace_is_not_taken_for_a_SOAP_Sender_fault()
    {
        var fault = ReadFault("Sender", prefix: "x", ns: "urn:other")!;

        fault.Value.Should().BeNull();
        fault.IsSenderFault.Should().BeFalse("an unknown class is treated as transient, like an outage");
    }

    [Fact]
    public async Task A_DMP_state_request_refused_as_wrong_by_the_service_is_a_permanent_refusal_with_the_services_reason()
    {
        using var key = RSA.Create(2048);
        using var stranger = new CertificateRequest("CN=FORGER", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        using var tls = fx.Load(TestPki.InsiAutoP12File);
        using var ca = TestPki.LoadCa(fx.PkiDirectory);
        using var port = new XdsDocumentPort(new XdsClient(fx.ClientOptions(), tls, [ca], stranger), NullLogger<XdsDocumentPort>.Instance);

        var status = await port.GetDmpStatusAsync(Ins("279035121518989", InsOids.Test), Ct);

        status.State.Should().Be(DmpState.Refused);
        status.Code.Should().Be("soap-fault Sender wsse:FailedAuthentication");
        status.Error.Should().NotBeNullOrWhiteSpace();
    }

    [Fact]
    public async Task A_DMP_state_request_the_service_fails_to_answer_with_a_Receiver_fault_stays_transient()
    {
        using var port = fx.Port();
        fx.Sandbox.Handler.InjectFaults(1, "Receiver", "Service momentanément indisponible.");

        var status = await port.GetDmpStatusAsync(Ins("279035121518989", InsOids.Test), Ct);

        status.State.Should().Be(DmpState.Unknown);
        status.Code.Should().Be("soap-fault soap:Receiver");
        status.Error.Should().Be("Service momentanément indisponible.");
        (await port.GetDmpStatusAsync(Ins("279035121518989", InsOids.Test), Ct)).State.Should().Be(DmpState.Active, "the outage has passed");
    }

    [Theory]
    [InlineData("Sender", ShareOutcome.Refused)]
    [InlineData("Receiver", ShareOutcome.Failed)]
    public async Task A_provide_answered_with_a_fault_is_refused_for_a_Sender_fault_and_failed_for_a_Receiver_fault(string code, ShareOutcome outcome)
    {
        using var port = fx.Port();
        var document = XdsClientTests.Cda();
        fx.Sandbox.Handler.InjectFaults(1, code, "Faute " + code);
        using var client = fx.Client();
        var request = XdsClientTests.Request(document);

        var act = () => client.ProvideAndRegisterAsync(request, Ct);

        var fault = (await act.Should().ThrowAsync<XdsFaultException>()).Which;
        fault.IsSenderFault.Should().Be(code == "Sender");
        fx.Store.Find(request.Entry.UniqueId).Should().BeNull();

        fx.Sandbox.Handler.InjectFaults(1, code, "Faute " + code);
        var shared = await port.ProvideAsync(SharedFrom(request), Ct);
        shared.Outcome.Should().Be(outcome);
        shared.Errors.Should().ContainSingle().Which.Context.Should().Be("Faute " + code);
    }

    [Fact]
    public async Task A_PDSm_state_search_answered_4xx_is_a_permanent_refusal()
    {
        var options = fx.PdsmOptions();
        // A wrong base path: the manager answers 404 to every search, and will until the configuration is fixed.
        options.BaseUrl = new Uri(fx.Sandbox.BaseUri, "nowhere/");
        using var port = new PdsmDocumentPort(PdsmClient.FromOptions(options), NullLogger<PdsmDocumentPort>.Instance);

        var status = await port.GetDmpStatusAsync(Ins("279035121518989", InsOids.Test), Ct);

        status.State.Should().Be(DmpState.Refused);
        status.Code.Should().Be("http 404");
    }

    [Fact]
    public async Task A_PDSm_search_for_something_that_is_not_an_INS_is_a_client_error()
    {
        using var client = fx.PdsmClient();

        var act = () => client.GetDmpStatusAsync(InsOids.Test, "not-a-matricule", Ct);

        var ex = (await act.Should().ThrowAsync<PdsmTransportException>()).Which;
        ex.StatusCode.Should().Be(400);
        ex.IsClientError.Should().BeTrue();
    }

    [Fact]
    public async Task A_PDSm_manager_that_is_unreachable_stays_transient()
    {
        var options = fx.PdsmOptions();
        options.BaseUrl = new Uri("https://127.0.0.1:1/fhir/");
        using var port = new PdsmDocumentPort(PdsmClient.FromOptions(options), NullLogger<PdsmDocumentPort>.Instance);

        var status = await port.GetDmpStatusAsync(Ins("279035121518989", InsOids.Test), Ct);

        status.State.Should().Be(DmpState.Unknown);
        status.Code.Should().Be("transport");
    }

    [Fact]
    public async Task A_patient_born_in_Corsica_has_the_DMP_state_read_and_documents_registered_found_and_retrieved_over_XDS()
    {
        using var client = fx.Client();

        (await client.GetDmpStatusAsync(CorsicanPatient, Ct)).Should().Be(XdsDmpState.Active);

        var content = XdsClientTests.Cda();
        var request = XdsClientTests.Request(content, CorsicanPatient);
        var response = await client.ProvideAndRegisterAsync(request, Ct);
        response.IsSuccess.Should().BeTrue(string.Join("; ", response.Errors.Select(e => e.ErrorCode + " " + e.CodeContext)));
        var found = await client.FindDocumentsAsync(CorsicanPatient, Ct);
        found.Entries.Should().ContainSingle(e => e.UniqueId == request.Entry.UniqueId);
        (await client.RetrieveAsync(CorsicanPatient, fx.Sandbox.Handler.RepositoryUniqueId, request.Entry.UniqueId, Ct)).Documents.Should().ContainSingle().Which.Content.Should().Equal(content);
    }

    [Fact]
    public async Task A_patient_born_in_Corsica_has_the_DMP_state_read_over_PDSm()
    {
        using var client = fx.PdsmClient();

        (await client.GetDmpStatusAsync("1.2.250.1.213.1.4.8", CorsicanMatricule, Ct)).Should().Be(PdsmDmpState.Active);
    }

    [Theory]
    [InlineData("160012B02077714")]
    [InlineData("160012C02077713")]
    [InlineData("160012b02077713")]
    public async Task A_Corsican_looking_matricule_with_a_wrong_key_or_letter_is_still_refused(string matricule)
    {
        using var client = fx.Client();

        var act = () => client.GetDmpStatusAsync(matricule + "^^^&1.2.250.1.213.1.4.8&ISO^NH", Ct);

        (await act.Should().ThrowAsync<XdsFaultException>()).Which.IsSenderFault.Should().BeTrue();
    }

    /// <summary>The application's form of an XDS request (what the use case hands the port).</summary>
    private static SharedDocument SharedFrom(XdsProvideRequest r)
    {
        static SharedCode C(XdsCode? c) => new(c!.Code, c.Scheme, c.Display);
        var e = r.Entry;
        return new SharedDocument
        {
            Ins = Ins("279035121518989", InsOids.Test),
            PatientId = TestPatient,
            SourcePatientId = e.SourcePatientId!,
            UniqueId = e.UniqueId,
            EntryUuid = e.EntryUuid,
            SubmissionSetUniqueId = r.SubmissionSet.UniqueId,
            SourceId = r.SubmissionSet.SourceId!,
            ClassCode = C(e.ClassCode),
            TypeCode = C(e.TypeCode),
            FormatCode = C(e.FormatCode),
            ConfidentialityCode = C(e.ConfidentialityCode),
            HealthcareFacilityTypeCode = C(e.HealthcareFacilityTypeCode),
            PracticeSettingCode = C(e.PracticeSettingCode),
            ContentTypeCode = C(r.SubmissionSet.ContentTypeCode),
            Title = e.Title,
            LanguageCode = e.LanguageCode!,
            MimeType = e.MimeType!,
            CreationTime = DateTimeOffset.UtcNow.AddHours(-1),
            SubmissionTime = DateTimeOffset.UtcNow,
            Hash = e.Hash!,
            Size = e.Size!.Value,
            Authors = [new SharedAuthor("810000000001", "1.2.250.1.71.4.2.1", "MARTIN", "JEAN", "3750000001", "CABINET")],
            Content = r.Content,
        };
    }
}
