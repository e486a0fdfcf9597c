using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using SanteGateway.Documents.Xds;
using SanteGateway.Insi.Sandbox.Pki;

namespace SanteGateway.Documents.Tests;

/// <summary>The XDS.b client against the sandbox over real mutual TLS.</summary>
public sealed class XdsClientTests(SandboxFixture fx) : IClassFixture<SandboxFixture>
{
    // Test NIR of the CI-SIS CDA examples (valid key).
    private const string Patient = "279035121518989^^^&1.2.250.1.213.1.4.10&ISO^NH";

    internal static XdsProvideRequest Request(byte[] content, string patientId = Patient, string? uniqueId = null, Func<XdsDocumentEntry, XdsDocumentEntry>? edit = null, string? replaces = null)
    {
        var entry = new XdsDocumentEntry
        {
            EntryUuid = "urn:uuid:" + Guid.NewGuid(),
            UniqueId = uniqueId ?? "1.2.250.1.999.2." + Random.Shared.NextInt64(1, long.MaxValue),
            PatientId = patientId,
            SourcePatientId = "IPP123^^^&1.2.250.1.999.3&ISO^PI",
            ClassCode = new XdsCode("10", "1.2.250.1.213.1.1.4.1", "Compte rendu"),
            TypeCode = new XdsCode("11502-2", "2.16.840.1.113883.6.1", "CR d'examens biologiques"),
            FormatCode = new XdsCode("urn:ihe:iti:xds:2017:mimeTypeSufficient", "1.3.6.1.4.1.19376.1.2.3"),
            ConfidentialityCode = new XdsCode("N", "2.16.840.1.113883.5.25", "Normal"),
            HealthcareFacilityTypeCode = new XdsCode("SA07", "1.2.250.1.71.4.2.4", "Cabinet individuel"),
            PracticeSettingCode = new XdsCode("ETABLISSEMENT", "1.2.250.1.213.1.1.4.9"),
            Title = "Compte rendu",
            LanguageCode = "fr-FR",
            MimeType = "text/xml",
            CreationTime = "20260101120000",
            Hash = Convert.ToHexStringLower(SHA1.HashData(content)),
            Size = content.Length,
            Authors = [new XdsAuthor("810000000001^MARTIN^JEAN^^^^^^&1.2.250.1.71.4.2.1&ISO", "CABINET^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^3750000001")],
        };
        entry = edit?.Invoke(entry) ?? entry;
        var set = new XdsSubmissionSet
        {
            EntryUuid = "urn:uuid:" + Guid.NewGuid(),
            UniqueId = "2.25." + Random.Shared.NextInt64(1, long.MaxValue),
            SourceId = "1.2.250.1.999.1",
            PatientId = patientId,
            SubmissionTime = XdsTime.Format(DateTimeOffset.UtcNow),
            ContentTypeCode = new XdsCode("04", "1.2.250.1.213.2.2"),
            Authors = entry.Authors,
        };
        return new XdsProvideRequest(set, entry, content, replaces);
    }

    internal static byte[] Cda(string name = "BIO-TROD_2024.01_Angine.xml") =>
        File.ReadAllBytes(SanteGateway.Testing.TestPaths.SharedFile("data", "cda", "TestContenuCDA-3-0", "ExemplesCDA", name));

    [Fact]
    public async Task A_submitted_document_is_found_by_query_and_retrieved_byte_identical()
    {
        using var client = fx.Client();
        var content = Cda();
        var request = Request(content);

        var response = await client.ProvideAndRegisterAsync(request, TestContext.Current.CancellationToken);
        response.IsSuccess.Should().BeTrue(string.Join("; ", response.Errors.Select(e => e.ErrorCode + " " + e.CodeContext)));

        var found = await client.FindDocumentsAsync(Patient, TestContext.Current.CancellationToken);
        var entry = found.Entries.Should().ContainSingle(e => e.UniqueId == request.Entry.UniqueId).Subject;
        entry.ClassCode!.Code.Should().Be("10");
        entry.TypeCode!.Scheme.Should().Be("2.16.840.1.113883.6.1");
        entry.Hash.Should().Be(request.Entry.Hash);
        entry.RepositoryUniqueId.Should().Be(fx.Sandbox.Handler.RepositoryUniqueId);

        var retrieved = await client.RetrieveAsync(Patient, entry.RepositoryUniqueId, entry.UniqueId, TestContext.Current.CancellationToken);
        retrieved.Response.IsSuccess.Should().BeTrue();
        retrieved.Documents.Should().ContainSingle().Which.Content.Should().Equal(content);
    }

    [Fact]
    public async Task The_same_uniqueId_is_registered_once_and_a_second_copy_is_refused_with_XDSDuplicateUniqueIdInRegistry()
    {
        using var client = fx.Client();
        var request = Request(Cda());
        (await client.ProvideAndRegisterAsync(request, TestContext.Current.CancellationToken)).IsSuccess.Should().BeTrue();

        var again = await client.ProvideAndRegisterAsync(Request(Cda(), uniqueId: request.Entry.UniqueId), TestContext.Current.CancellationToken);

        again.IsSuccess.Should().BeFalse();
        again.Errors.Should().ContainSingle().Which.ErrorCode.Should().Be("XDSDuplicateUniqueIdInRegistry");
        fx.Store.All().Count(d => d.Entry.UniqueId == request.Entry.UniqueId).Should().Be(1);
    }

    [Fact]
    public async Task A_hash_that_does_not_match_the_document_is_refused_with_XDSNonIdenticalHash_and_nothing_is_stored()
    {
        using var client = fx.Client();
        var request = Request(Cda(), edit: e => e with { Hash = new string('0', 40) });

        var response = await client.ProvideAndRegisterAsync(request, TestContext.Current.CancellationToken);

        response.Errors.Select(e => e.ErrorCode).Should().Contain("XDSNonIdenticalHash");
        fx.Store.Find(request.Entry.UniqueId).Should().BeNull();
    }

    [Fact]
    public async Task Missing_metadata_is_refused_with_one_error_naming_each_missing_field()
    {
        using var client = fx.Client();
        var request = Request(Cda(), edit: e => e with { ClassCode = null, PracticeSettingCode = null, CreationTime = null });

        var response = await client.ProvideAndRegisterAsync(request, TestContext.Current.CancellationToken);

        response.IsSuccess.Should().BeFalse();
        response.Errors.Should().OnlyContain(e => e.ErrorCode == "XDSRegistryMetadataError");
        response.Errors.Select(e => e.CodeContext).Should().Contain(c => c!.Contains("classCode"))
            .And.Contain(c => c!.Contains("practiceSettingCode"))
            .And.Contain(c => c!.Contains("creationTime"));
    }

    [Theory]
    [InlineData("279035121518989^^^&1.2.250.1.213.1.4.2&ISO^NH")] // legacy INS-C OID
    [InlineData("279035121518988^^^&1.2.250.1.213.1.4.10&ISO^NH")] // wrong key
    [InlineData("279035121518989^^^&1.2.250.1.213.1.4.10&ISO^PI")] // not NH
    public async Task A_patientId_that_is_not_a_valid_INS_is_refused(string patientId)
    {
        var options = fx.ClientOptions();
        using var client = XdsClient.FromOptions(options);

        var response = await client.ProvideAndRegisterAsync(Request(Cda(), patientId), TestContext.Current.CancellationToken);

        response.IsSuccess.Should().BeFalse();
        response.Errors.Should().Contain(e => e.ErrorCode == "XDSRegistryMetadataError" && e.CodeContext!.Contains("patientId"));
    }

    [Fact]
    public async Task The_DMP_state_is_read_per_INS_and_a_closed_DMP_refuses_feeding()
    {
        using var client = fx.Client();
        const string closed = "180127502599815";
        var cx = closed + "^^^&1.2.250.1.213.1.4.10&ISO^NH";
        fx.Sandbox.Handler.SetDmpState(closed, XdsDmpState.Closed);

        (await client.GetDmpStatusAsync(cx, TestContext.Current.CancellationToken)).Should().Be(XdsDmpState.Closed);
        (await client.GetDmpStatusAsync(Patient, TestContext.Current.CancellationToken)).Should().Be(XdsDmpState.Active);
        var response = await client.ProvideAndRegisterAsync(Request(Cda(), cx), TestContext.Current.CancellationToken);

        response.Errors.Should().ContainSingle().Which.CodeContext.Should().Contain("DMP_FERME");
    }

    [Fact]
    public async Task A_replacement_deprecates_the_previous_version_which_leaves_the_default_query()
    {
        using var client = fx.Client();
        var first = Request(Cda());
        (await client.ProvideAndRegisterAsync(first, TestContext.Current.CancellationToken)).IsSuccess.Should().BeTrue();

        var second = Request(Cda(), replaces: first.Entry.EntryUuid);
        var response = await client.ProvideAndRegisterAsync(second, TestContext.Current.CancellationToken);

        response.IsSuccess.Should().BeTrue();
        fx.Store.Find(first.Entry.UniqueId)!.Entry.Status.Should().Be(XdsUuids.Deprecated);
        var found = await client.FindDocumentsAsync(Patient, TestContext.Current.CancellationToken);
        found.Entries.Select(e => e.UniqueId).Should().Contain(second.Entry.UniqueId).And.NotContain(first.Entry.UniqueId);
    }

    [Fact]
    public async Task A_replacement_of_an_unknown_document_is_refused()
    {
        using var client = fx.Client();

        var response = await client.ProvideAndRegisterAsync(Request(Cda(), replaces: "urn:uuid:" + Guid.NewGuid()), TestContext.Current.CancellationToken);

        response.Errors.Should().ContainSingle().Which.CodeContext.Should().Contain("RPLC");
    }

    [Fact]
    public async Task A_client_without_a_certificate_of_the_trusted_CA_fails_the_TLS_handshake()
    {
        using var key = RSA.Create(2048);
        var req = new CertificateRequest("CN=INTRUDER", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        using var stranger = req.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        using var ca = TestPki.LoadCa(fx.PkiDirectory);
        using var client = new XdsClient(fx.ClientOptions(), stranger, [ca]);

        var act = () => client.GetDmpStatusAsync(Patient, TestContext.Current.CancellationToken);

        await act.Should().ThrowAsync<XdsTransportException>();
    }

    [Fact]
    public async Task A_VIHF_signed_by_an_untrusted_certificate_is_refused_with_a_SOAP_fault()
    {
        using var key = RSA.Create(2048);
        using var stranger = new CertificateRequest("CN=FORGER", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        using var tls = fx.Load(TestPki.InsiAutoP12File);
        using var ca = TestPki.LoadCa(fx.PkiDirectory);
        using var client = new XdsClient(fx.ClientOptions(), tls, [ca], stranger);

        var act = () => client.ProvideAndRegisterAsync(Request(Cda()), TestContext.Current.CancellationToken);

        (await act.Should().ThrowAsync<XdsFaultException>()).Which.Fault!.Code.Should().Be("wsse:FailedAuthentication");
    }

    [Fact]
    public void The_VIHF_is_signed_and_carries_every_required_attribute()
    {
        using var certificate = fx.Load(TestPki.InsiAutoP12File);
        using var ca = TestPki.LoadCa(fx.PkiDirectory);
        var xml = VihfAssertionBuilder.Build(SandboxFixture.Vihf(), certificate, Patient, DateTimeOffset.UtcNow, VihfAssertionBuilder.SoftwareSigner(certificate));

        var check = VihfVerifier.Verify(System.Xml.Linq.XElement.Parse(xml, System.Xml.Linq.LoadOptions.PreserveWhitespace), [ca], DateTimeOffset.UtcNow);

        check.Valid.Should().BeTrue(check.Error);
        check.Attributes[VihfAttributes.ResourceId].Should().Be(Patient);
        check.Attributes["Authentification_Mode"].Should().Be("INDIRECTE");
        check.Attributes[VihfAttributes.Role].Should().Be("10");
        var escaped = Patient.Replace("&", "&amp;", StringComparison.Ordinal);
        xml.Should().Contain(escaped);
        var tampered = xml.Replace(escaped, "180127502599815^^^&amp;1.2.250.1.213.1.4.10&amp;ISO^NH", StringComparison.Ordinal);
        VihfVerifier.Verify(System.Xml.Linq.XElement.Parse(tampered, System.Xml.Linq.LoadOptions.PreserveWhitespace), [ca], DateTimeOffset.UtcNow).Valid.Should().BeFalse();
    }

    [Fact]
    public async Task A_request_with_a_DTD_is_answered_with_a_fault_and_no_entity_is_expanded()
    {
        using var tls = fx.Load(TestPki.InsiAutoP12File);
        using var handler = new HttpClientHandler
        {
            ClientCertificates = { tls },
            ServerCertificateCustomValidationCallback = (_, _, _, _) => true,
        };
        using var http = new HttpClient(handler);
        const string hostile = "<?xml version=\"1.0\"?><!DOCTYPE e [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><e>&x;</e>";
        using var content = new StringContent(hostile, Encoding.UTF8, "application/soap+xml");

        using var response = await http.PostAsync(fx.Sandbox.RegistryEndpoint, content, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        ((int)response.StatusCode).Should().Be(400);
        body.Should().Contain("Fault").And.NotContain("root:");
        var act = () => XdsXml.Load(Encoding.UTF8.GetBytes(hostile));
        act.Should().Throw<XdsFormatException>();
    }
}
