using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using SanteGateway.Application;
using SanteGateway.Documents.Fhir;
using SanteGateway.Documents.Xds;
using SanteGateway.Identity;
using SanteGateway.Interop.Cda;
using SanteGateway.Store;
using SanteGateway.Store.Entities;
using SanteGateway.Store.Tests;

namespace SanteGateway.Documents.Tests;

/// <summary>
/// The PDSm transport (ITI-65 / ITI-67 / ITI-68 and the DMP state) through the same port and gate as XDS.b, against the
/// sandbox over mutual TLS; every bundle sent is validated with the Firely validator against the official PDSm 3.1.1
/// profiles.
/// </summary>
public abstract class PdsmTests<TDatabase>(SandboxFixture fx, TDatabase database, PdsmValidatorFixture profiles)
    where TDatabase : TestDatabase
{
    private static readonly Actor Someone = new("alice", "api", IsVigilance: false);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The shared CDA examples PDSm can carry: VAC_2023.01 is authenticated by the patient, which PDSm's
    /// authenticator cannot name (see <see cref="A_CDA_authenticated_by_the_patient_is_refused_over_PDSm_before_anything_is_sent"/>).</summary>
    public static TheoryData<string> Examples { get; } = new(Directory.GetFiles(SanteGateway.Testing.TestPaths.SharedFile("data", "cda", "TestContenuCDA-3-0", "ExemplesCDA"), "*.xml")
        .Select(f => Path.GetFileName(f)!).Where(f => f is not "CSE-MDE_2023.01.xml" and not PatientAuthenticated).Order(StringComparer.Ordinal));

    private const string PatientAuthenticated = "VAC_2023.01.xml";

    private static DocumentService Service(GatewayDbContext db, IDocumentSharingPort port) =>
        new(db, TimeProvider.System, [port], Microsoft.Extensions.Options.Options.Create(DocumentServiceTests<TDatabase>.Options()), NullLogger<DocumentService>.Instance);

    private static InsIdentifier Ins(byte[] cda) =>
        CdaHeaderReader.Read(new MemoryStream(cda), new CdaReadOptions { InsPolicy = InsPolicy.AllowTestAndDemo }).Patient.Ins!;

    /// <summary>Errors of the Firely validator against an official PDSm profile (see <see cref="PdsmValidatorFixture"/>).</summary>
    private IReadOnlyList<string> ProfileErrors(Resource resource, string profile) => profiles.Errors(resource, profile);

    [Theory]
    [MemberData(nameof(Examples))]
    public async Task Each_shared_CDA_example_goes_through_PDSm_its_bundle_validates_against_the_profiles_and_it_is_found_and_retrieved_byte_identical(string file)
    {
        database.SkipIfUnavailable();
        var cda = DocumentServiceTests<TDatabase>.Fresh(XdsClientTests.Cda(file), out var uniqueId);
        await using var db = database.CreateContext();
        var id = await DocumentServiceTests<TDatabase>.SeedAsync(db, cda, IdentityStatus.Qual);
        using var port = fx.PdsmPort();

        var sent = await Service(db, port).SendAsync(id, new SendDocumentRequest(cda, "pdsm"), Someone, Ct);

        sent.IsSuccess.Should().BeTrue(sent.Error?.Rule + " " + sent.Error?.Message);
        sent.Value!.Transport.Should().Be("pdsm");
        sent.Value.State.Should().Be(DocumentSubmissionStates.Accepted);
        var json = fx.Sandbox.Pdsm.ReceivedBundles.Single(b => b.Contains(Pdsm.MasterIdentifier(uniqueId).Value, StringComparison.Ordinal));
        var bundle = PdsmClient.Parse<Bundle>(System.Text.Encoding.UTF8.GetBytes(json))!;
        // The DocumentReference against the official profile; the Bundle and SubmissionSet (whose profiles need the absent
        // IHE MHD package) against the MHD rules checked in code.
        var docRef = bundle.Entry.Select(e => e.Resource).OfType<DocumentReference>().Single();
        ProfileErrors(docRef, Pdsm.DocumentReferenceProfile).Should().BeEmpty();
        PdsmProvideBundleRules.Check(bundle).Should().BeEmpty();
        docRef.Authenticator!.Reference.Should().StartWith("#");

        using var client = fx.PdsmClient();
        var ins = Ins(cda);
        var found = await client.FindAsync(ins.Oid, ins.Matricule.Value, Ct);
        var stored = found.Entry.Select(e => e.Resource).OfType<DocumentReference>()
            .Should().ContainSingle(d => Pdsm.UniqueId(d.MasterIdentifier!.System, d.MasterIdentifier.Value) == uniqueId).Subject;
        var bytes = await client.RetrieveAsync(stored.Content[0].Attachment!.Url!, Ct);
        bytes.Should().Equal(cda);
    }

    [Fact]
    public async Task A_CDA_authenticated_by_the_patient_is_refused_over_PDSm_before_anything_is_sent()
    {
        database.SkipIfUnavailable();
        var cda = DocumentServiceTests<TDatabase>.Fresh(XdsClientTests.Cda(PatientAuthenticated), out var uniqueId);
        await using var db = database.CreateContext();
        var id = await DocumentServiceTests<TDatabase>.SeedAsync(db, cda, IdentityStatus.Qual);
        using var port = fx.PdsmPort();

        var sent = await Service(db, port).SendAsync(id, new SendDocumentRequest(cda, "pdsm"), Someone, Ct);

        sent.Error!.Rule.Should().Be("document.authenticator-unsupported");
        sent.Error.Fields!.Should().ContainKey("legalAuthenticator");
        fx.Sandbox.Pdsm.ReceivedBundles.Should().NotContain(b => b.Contains(Pdsm.MasterIdentifier(uniqueId).Value, StringComparison.Ordinal));
        fx.Store.Find(uniqueId).Should().BeNull();
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public async Task Each_shared_CDA_example_goes_through_ITI_105_simplified_publish_and_is_found_and_retrieved_byte_identical(string file)
    {
        database.SkipIfUnavailable();
        var cda = DocumentServiceTests<TDatabase>.Fresh(XdsClientTests.Cda(file), out var uniqueId);
        await using var db = database.CreateContext();
        var id = await DocumentServiceTests<TDatabase>.SeedAsync(db, cda, IdentityStatus.Qual);
        using var port = fx.PdsmPort(simplified: true);

        var sent = await Service(db, port).SendAsync(id, new SendDocumentRequest(cda, "pdsm"), Someone, Ct);

        sent.IsSuccess.Should().BeTrue(sent.Error?.Rule + " " + sent.Error?.Message);
        sent.Value!.State.Should().Be(DocumentSubmissionStates.Accepted);
        var json = fx.Sandbox.Pdsm.ReceivedBundles.Single(b => b.Contains(Pdsm.MasterIdentifier(uniqueId).Value, StringComparison.Ordinal));
        var published = PdsmClient.Parse<DocumentReference>(System.Text.Encoding.UTF8.GetBytes(json));
        published.Should().NotBeNull("ITI-105 sends a DocumentReference, not a Bundle");
        published!.Content[0].Attachment.Data.Should().Equal(cda);
        ProfileErrors(published, Pdsm.SimplifiedPublishProfile).Should().BeEmpty();
        published.Identifier.Should().BeEmpty("pdsm-simplified-publish forbids identifier (0..0)");
        published.Meta!.Profile.Should().Contain(Pdsm.SimplifiedPublishProfile);
        published.Authenticator.Should().NotBeNull();

        using var client = fx.PdsmClient();
        var ins = Ins(cda);
        var found = await client.FindAsync(ins.Oid, ins.Matricule.Value, Ct);
        var docRef = found.Entry.Select(e => e.Resource).OfType<DocumentReference>()
            .Should().ContainSingle(d => Pdsm.UniqueId(d.MasterIdentifier!.System, d.MasterIdentifier.Value) == uniqueId).Subject;
        (await client.RetrieveAsync(docRef.Content[0].Attachment!.Url!, Ct)).Should().Equal(cda);
    }

    [Fact]
    public async Task An_ITI_105_publish_is_answered_201_with_the_stored_resource_and_a_second_copy_of_the_uniqueId_is_refused_409()
    {
        var document = Document(XdsClientTests.Cda());
        using var client = fx.PdsmClient();

        var first = await client.PublishAsync(PdsmBundles.SimplifiedPublish(document), Ct);
        var second = await client.PublishAsync(PdsmBundles.SimplifiedPublish(document with { EntryUuid = null }), Ct);

        first.Status.Should().Be(201);
        first.Published!.Id.Should().NotBeNullOrEmpty();
        first.Published.Meta!.VersionId.Should().Be("1");
        first.Published.Content[0].Attachment.Data.Should().BeNull("the stored resource points at the document instead");
        (await client.RetrieveAsync(first.Published.Content[0].Attachment.Url!, Ct)).Should().Equal(XdsClientTests.Cda());
        second.Status.Should().Be(409);
        fx.Store.All().Count(d => d.Entry.UniqueId == document.UniqueId).Should().Be(1);
    }

    [Fact]
    public async Task An_ITI_105_publish_whose_hash_does_not_match_or_without_the_document_is_refused_with_an_OperationOutcome_naming_the_element()
    {
        var document = Document(XdsClientTests.Cda());
        var wrongHash = PdsmBundles.SimplifiedPublish(document);
        wrongHash.Content[0].Attachment.Hash = new byte[20];
        var noData = PdsmBundles.SimplifiedPublish(document);
        noData.Content[0].Attachment.Data = null;
        using var client = fx.PdsmClient();

        var refused = await client.PublishAsync(wrongHash, Ct);
        var empty = await client.PublishAsync(noData, Ct);

        refused.Status.Should().Be(422);
        refused.Outcome!.Issue.Should().Contain(i => i.Expression.Any(x => x != null && x.EndsWith("content.attachment.hash", StringComparison.Ordinal)));
        empty.Status.Should().Be(422);
        empty.Outcome!.Issue.Should().Contain(i => i.Expression.Any(x => x != null && x.EndsWith("content.attachment.data", StringComparison.Ordinal)));
        fx.Store.Find(document.UniqueId).Should().BeNull();
    }

    [Fact]
    public async Task A_document_sent_over_PDSm_is_in_the_same_registry_as_XDS_and_found_by_an_XDS_query()
    {
        database.SkipIfUnavailable();
        var cda = DocumentServiceTests<TDatabase>.Fresh(XdsClientTests.Cda(), out var uniqueId);
        await using var db = database.CreateContext();
        var id = await DocumentServiceTests<TDatabase>.SeedAsync(db, cda, IdentityStatus.Qual);
        using var port = fx.PdsmPort();

        (await Service(db, port).SendAsync(id, new SendDocumentRequest(cda, "pdsm"), Someone, Ct)).IsSuccess.Should().BeTrue();

        var ins = Ins(cda);
        using var xds = fx.Client();
        var found = await xds.FindDocumentsAsync($"{ins.Matricule.Value}^^^&{ins.Oid}&ISO^NH", Ct);
        var entry = found.Entries.Should().ContainSingle(e => e.UniqueId == uniqueId).Subject;
        entry.Hash.Should().Be(Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData(cda)));
        entry.TypeCode!.Scheme.Should().Be("2.16.840.1.113883.6.1");
    }

    [Theory]
    [InlineData(XdsDmpState.Closed, "dmp.closed")]
    [InlineData(XdsDmpState.Opposed, "dmp.patient-opposed")]
    [InlineData(XdsDmpState.None, "dmp.none")]
    public async Task Over_PDSm_a_DMP_that_cannot_be_fed_is_refused_from_the_Patient_search_before_any_bundle_is_sent(XdsDmpState state, string rule)
    {
        database.SkipIfUnavailable();
        var cda = DocumentServiceTests<TDatabase>.Fresh(XdsClientTests.Cda("eDISP-MED_2024.01.xml"), out var uniqueId);
        await using var db = database.CreateContext();
        var id = await DocumentServiceTests<TDatabase>.SeedAsync(db, cda, IdentityStatus.Qual);
        using var port = fx.PdsmPort();
        const string matricule = "277076322082910";
        fx.Sandbox.Handler.SetDmpState(matricule, state);
        try
        {
            var before = fx.Sandbox.Pdsm.ReceivedBundles.Count;
            var sent = await Service(db, port).SendAsync(id, new SendDocumentRequest(cda, "pdsm"), Someone, Ct);

            sent.Error!.Rule.Should().Be(rule);
            fx.Store.Find(uniqueId).Should().BeNull();
            fx.Sandbox.Pdsm.ReceivedBundles.Should().HaveCountLessThanOrEqualTo(before == 100 ? 100 : before);
        }
        finally
        {
            fx.Sandbox.Handler.SetDmpState(matricule, XdsDmpState.Active);
        }
    }

    [Theory]
    [InlineData(IdentityStatus.Prov)]
    [InlineData(IdentityStatus.Recup)]
    [InlineData(IdentityStatus.Vali)]
    public async Task Over_PDSm_an_identity_that_is_not_qualified_is_refused_with_rniv_not_qualified(IdentityStatus status)
    {
        database.SkipIfUnavailable();
        var cda = DocumentServiceTests<TDatabase>.Fresh(XdsClientTests.Cda(), out var uniqueId);
        await using var db = database.CreateContext();
        var id = await DocumentServiceTests<TDatabase>.SeedAsync(db, cda, status);
        using var port = fx.PdsmPort();

        var sent = await Service(db, port).SendAsync(id, new SendDocumentRequest(cda, "pdsm"), Someone, Ct);

        sent.Error!.Rule.Should().Be("rniv.not-qualified");
        fx.Store.Find(uniqueId).Should().BeNull();
    }

    [Fact]
    public async Task Over_PDSm_a_test_INS_is_never_sent_to_a_production_endpoint()
    {
        database.SkipIfUnavailable();
        var cda = DocumentServiceTests<TDatabase>.Fresh(XdsClientTests.Cda(), out var uniqueId);
        await using var db = database.CreateContext();
        var id = await DocumentServiceTests<TDatabase>.SeedAsync(db, cda, IdentityStatus.Qual);
        using var port = fx.PdsmPort(production: true);

        var sent = await Service(db, port).SendAsync(id, new SendDocumentRequest(cda, "pdsm"), Someone, Ct);

        sent.Error!.Rule.Should().Be("document.test-ins-to-production");
        fx.Store.Find(uniqueId).Should().BeNull();
    }

    [Fact]
    public async Task Over_PDSm_a_replacement_supersedes_the_earlier_document_with_relatesTo_replaces()
    {
        database.SkipIfUnavailable();
        var cda = DocumentServiceTests<TDatabase>.Fresh(XdsClientTests.Cda(), out var firstId);
        await using var db = database.CreateContext();
        var id = await DocumentServiceTests<TDatabase>.SeedAsync(db, cda, IdentityStatus.Qual);
        using var port = fx.PdsmPort();
        var service = Service(db, port);
        (await service.SendAsync(id, new SendDocumentRequest(cda, "pdsm"), Someone, Ct)).IsSuccess.Should().BeTrue();
        // The DocumentReference carries the submission's entryUUID as its official identifier; the replacement points at it.
        var v2 = DocumentServiceTests<TDatabase>.Fresh(cda, out var secondId);

        var replaced = await service.SendAsync(id, new SendDocumentRequest(v2, "pdsm", ReplacesUniqueId: firstId), Someone, Ct);

        replaced.IsSuccess.Should().BeTrue(replaced.Error?.Message);
        fx.Store.Find(firstId)!.Entry.Status.Should().Be(XdsUuids.Deprecated);
        using var client = fx.PdsmClient();
        var ins = Ins(cda);
        var current = await client.FindAsync(ins.Oid, ins.Matricule.Value, Ct);
        current.Entry.Select(e => (DocumentReference)e.Resource!).Select(d => Pdsm.UniqueId(d.MasterIdentifier!.System, d.MasterIdentifier.Value))
            .Should().Contain(secondId).And.NotContain(firstId);
    }

    [Fact]
    public async Task The_sandbox_refuses_a_bundle_whose_hash_does_not_match_with_an_OperationOutcome_naming_the_element()
    {
        var document = Document(XdsClientTests.Cda());
        var bundle = PdsmBundles.Provide(document);
        bundle.Entry.Select(e => e.Resource).OfType<DocumentReference>().Single().Content[0].Attachment.Hash = new byte[20];
        using var client = fx.PdsmClient();

        var response = await client.ProvideAsync(bundle, Ct);

        response.Status.Should().Be(422);
        response.Outcome!.Issue.Should().Contain(i => i.Expression.Any(x => x != null && x.EndsWith("content.attachment.hash", StringComparison.Ordinal)));
        fx.Store.Find(document.UniqueId).Should().BeNull();
    }

    [Fact]
    public async Task A_CDA_without_a_legal_authenticator_is_refused_over_PDSm_naming_it_and_nothing_is_sent()
    {
        database.SkipIfUnavailable();
        var original = DocumentServiceTests<TDatabase>.Fresh(XdsClientTests.Cda(), out var uniqueId);
        var xml = System.Xml.Linq.XDocument.Load(new MemoryStream(original));
        System.Xml.Linq.Extensions.Remove(xml.Root!.Elements(System.Xml.Linq.XName.Get("legalAuthenticator", "urn:hl7-org:v3")));
        using var stripped = new MemoryStream();
        xml.Save(stripped);
        var cda = stripped.ToArray();
        await using var db = database.CreateContext();
        var id = await DocumentServiceTests<TDatabase>.SeedAsync(db, cda, IdentityStatus.Qual);
        using var port = fx.PdsmPort();

        var sent = await Service(db, port).SendAsync(id, new SendDocumentRequest(cda, "pdsm"), Someone, Ct);

        sent.Error!.Fields!.Should().ContainKey("legalAuthenticator").WhoseValue.Should().ContainSingle(m => m.StartsWith("document.metadata-missing", StringComparison.Ordinal));
        fx.Store.Find(uniqueId).Should().BeNull();
    }

    [Fact]
    public async Task The_sandbox_refuses_a_bundle_without_authenticator_or_whose_authenticator_is_not_a_contained_role_or_organisation()
    {
        var missing = PdsmBundles.Provide(Document(XdsClientTests.Cda()));
        missing.Entry.Select(e => e.Resource).OfType<DocumentReference>().Single().Authenticator = null;
        var patient = PdsmBundles.Provide(Document(XdsClientTests.Cda()));
        patient.Entry.Select(e => e.Resource).OfType<DocumentReference>().Single().Authenticator = new ResourceReference("#source-patient");
        using var client = fx.PdsmClient();

        var withoutOne = await client.ProvideAsync(missing, Ct);
        var notARole = await client.ProvideAsync(patient, Ct);

        withoutOne.Status.Should().Be(422);
        withoutOne.Outcome!.Issue.Should().Contain(i => i.Expression.Any(x => x != null && x.EndsWith(".authenticator", StringComparison.Ordinal)));
        notARole.Status.Should().Be(422);
        notARole.Outcome!.Issue.Should().Contain(i => i.Expression.Any(x => x != null && x.EndsWith(".authenticator", StringComparison.Ordinal)));
    }

    /// <summary>A document of the CI-SIS test patient with a fresh uniqueId.</summary>
    internal static PdsmDocument Document(byte[] cda) => new()
    {
        InsOid = "1.2.250.1.213.1.4.10",
        InsValue = "279035121518989",
        UniqueId = "1.2.250.1.999.2." + Random.Shared.NextInt64(1, long.MaxValue),
        SubmissionSetUniqueId = "2.25." + Random.Shared.NextInt64(1, long.MaxValue),
        SourceId = "1.2.250.1.999.1",
        ClassCode = new PdsmCode("10", "1.2.250.1.213.1.1.4.1"),
        TypeCode = new PdsmCode("11502-2", "2.16.840.1.113883.6.1"),
        FormatCode = new PdsmCode("urn:ihe:iti:xds:2017:mimeTypeSufficient", "1.3.6.1.4.1.19376.1.2.3"),
        ConfidentialityCode = new PdsmCode("N", "2.16.840.1.113883.5.25"),
        FacilityTypeCode = new PdsmCode("SA07", "1.2.250.1.71.4.2.4"),
        PracticeSettingCode = new PdsmCode("ETABLISSEMENT", "1.2.250.1.213.1.1.4.9"),
        ContentTypeCode = new PdsmCode("04", "1.2.250.1.213.2.2"),
        Title = "CR",
        LanguageCode = "fr-FR",
        MimeType = "text/xml",
        CreationTime = DateTimeOffset.UtcNow,
        SubmissionTime = DateTimeOffset.UtcNow,
        Authors = [new PdsmAuthor("810000000001", "1.2.250.1.71.4.2.1", "MARTIN", "JEAN", "3750000001", "CABINET")],
        LegalAuthenticator = new PdsmAuthor("810000000002", "1.2.250.1.71.4.2.1", "DURAND", "ANNE", "3750000001", "CABINET"),
        Content = cda,
    };
}

public sealed class SqlitePdsmTests(SandboxFixture fx, SqliteTestDatabase db, PdsmValidatorFixture profiles) : PdsmTests<SqliteTestDatabase>(fx, db, profiles), IClassFixture<SandboxFixture>, IClassFixture<SqliteTestDatabase>;

public sealed class PostgresPdsmTests(SandboxFixture fx, PostgresTestDatabase db, PdsmValidatorFixture profiles) : PdsmTests<PostgresTestDatabase>(fx, db, profiles), IClassFixture<SandboxFixture>, IClassFixture<PostgresTestDatabase>;
