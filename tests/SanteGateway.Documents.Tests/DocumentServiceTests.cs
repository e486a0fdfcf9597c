using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SanteGateway.Application;
using SanteGateway.Documents.Xds;
using SanteGateway.Identity;
using SanteGateway.Interop.Cda;
using SanteGateway.Store;
using SanteGateway.Store.Entities;
using SanteGateway.Store.Tests;

namespace SanteGateway.Documents.Tests;

/// <summary>The "send a document for identity X" use case over the XDS transport, against the sandbox over mTLS.</summary>
public abstract class DocumentServiceTests<TDatabase>(SandboxFixture fx, TDatabase database)
    where TDatabase : TestDatabase
{
    private static readonly Actor Someone = new("alice", "api", IsVigilance: false);

    /// <summary>The official examples except CSE-MDE, whose INS fails its key check (see the test below).</summary>
    public static TheoryData<string> Examples { get; } = new(Directory.GetFiles(SanteGateway.Testing.TestPaths.SharedFile("data", "cda", "TestContenuCDA-3-0", "ExemplesCDA"), "*.xml")
        .Select(f => Path.GetFileName(f)!).Where(f => f != "CSE-MDE_2023.01.xml").Order(StringComparer.Ordinal));

    internal static DocumentSharingOptions Options() => new()
    {
        SourceId = "1.2.250.1.999.1",
        HealthcareFacilityTypeCode = "SA07",
        PracticeSettingCode = "ETABLISSEMENT",
        ContentTypeCode = "04",
    };

    private DocumentService Service(GatewayDbContext db, params IDocumentSharingPort[] ports) =>
        new(db, TimeProvider.System, ports, Microsoft.Extensions.Options.Options.Create(Options()), NullLogger<DocumentService>.Instance);

    /// <summary>Stores an identity with the CDA's patient traits and INS, taken through the RNIV steps to <paramref name="status"/>.</summary>
    internal static async Task<Guid> SeedAsync(GatewayDbContext db, byte[] cda, IdentityStatus status, Func<IdentityTraits, IdentityTraits>? editTraits = null, InsIdentifier? otherIns = null)
    {
        var patient = CdaHeaderReader.Read(new MemoryStream(cda), new CdaReadOptions { InsPolicy = InsPolicy.AllowTestAndDemo }).Patient;
        patient.Ins.Should().NotBeNull(string.Join("; ", patient.Refused));
        var traits = editTraits?.Invoke(patient.Traits!) ?? patient.Traits!;
        var ins = otherIns ?? patient.Ins!;
        var now = DateTimeOffset.UtcNow;
        // One active INS per identity in the store: an earlier test's identity with this INS is removed first.
        var earlier = await db.Identities.Where(x => x.InsMatricule == ins.Matricule.Value && x.InsOid == ins.Oid).Select(x => x.Id).ToListAsync();
        await db.InsHistory.Where(x => earlier.Contains(x.IdentityId)).ExecuteDeleteAsync();
        await db.Evidence.Where(x => earlier.Contains(x.IdentityId)).ExecuteDeleteAsync();
        await db.Identities.Where(x => earlier.Contains(x.Id)).ExecuteDeleteAsync();
        var d = RnivIdentity.CreateProvisional(traits);
        if (status is IdentityStatus.Recup or IdentityStatus.Qual)
        {
            d.RecordInsiResult(ins, [], traits, now);
        }

        var record = new IdentityRecord { Id = Guid.CreateVersion7(), CreatedAt = now, UpdatedAt = now, Version = 1 };
        if (status is IdentityStatus.Vali or IdentityStatus.Qual)
        {
            var evidence = new Evidence("CN", DateOnly.FromDateTime(now.UtcDateTime), null);
            d.RecordHighTrustEvidence(evidence, new HighTrustDocumentPolicy(["CN"]));
            record.Evidence.Add(new EvidenceRecord { Id = Guid.NewGuid(), IdentityId = record.Id, DocumentType = "CN", IsHighTrust = true, CheckedOn = evidence.CheckedOn, CheckedBy = "test", RecordedAt = now });
        }

        d.Status.Should().Be(status);
        IdentityRows.Apply(d, record, now, []);
        db.Identities.Add(record);
        await db.SaveChangesAsync();
        db.ChangeTracker.Clear();
        return record.Id;
    }

    private static byte[] Cda(string name = "BIO-TROD_2024.01_Angine.xml") => XdsClientTests.Cda(name);

    private static string PatientCx(byte[] cda)
    {
        var ins = CdaHeaderReader.Read(new MemoryStream(cda), new CdaReadOptions { InsPolicy = InsPolicy.AllowTestAndDemo }).Patient.Ins!;
        return $"{ins.Matricule.Value}^^^&{ins.Oid}&ISO^NH";
    }

    /// <summary>A CDA copy with a fresh ClinicalDocument/id, so that each test sends a new document.</summary>
    internal static byte[] Fresh(byte[] cda, out string uniqueId)
    {
        var doc = System.Xml.Linq.XDocument.Load(new MemoryStream(cda), System.Xml.Linq.LoadOptions.PreserveWhitespace);
        var id = doc.Root!.Element(CdaHeaderReader.V3 + "id")!;
        var ext = Guid.NewGuid().ToString("N");
        id.SetAttributeValue("extension", ext);
        uniqueId = $"{(string)id.Attribute("root")!}^{ext}";
        using var ms = new MemoryStream();
        doc.Save(ms);
        return ms.ToArray();
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public async Task Each_shared_CDA_example_is_sent_for_its_qualified_patient_found_by_query_and_retrieved_byte_identical(string file)
    {
        database.SkipIfUnavailable();
        var cda = Fresh(Cda(file), out var uniqueId);
        await using var db = database.CreateContext();
        var id = await SeedAsync(db, cda, IdentityStatus.Qual, otherIns: null);
        using var port = fx.Port();

        var sent = await Service(db, port).SendAsync(id, new SendDocumentRequest(cda), Someone, TestContext.Current.CancellationToken);

        sent.IsSuccess.Should().BeTrue(sent.Error?.Rule + " " + sent.Error?.Message);
        sent.Value!.State.Should().Be(DocumentSubmissionStates.Accepted);
        sent.Value.DocumentUniqueId.Should().Be(uniqueId);
        using var client = fx.Client();
        var found = await client.FindDocumentsAsync(PatientCx(cda), TestContext.Current.CancellationToken);
        var entry = found.Entries.Should().ContainSingle(e => e.UniqueId == uniqueId).Subject;
        var retrieved = await client.RetrieveAsync(PatientCx(cda), entry.RepositoryUniqueId, uniqueId, TestContext.Current.CancellationToken);
        retrieved.Documents.Should().ContainSingle().Which.Content.Should().Equal(cda);
        var row = await db.DocumentSubmissions.SingleAsync(x => x.Id == sent.Value.Id, TestContext.Current.CancellationToken);
        row.Content.Should().Equal(cda);
        row.MetadataJson.Should().Contain(PatientCx(cda).Split('^')[0]);
    }

    [Theory]
    [InlineData(IdentityStatus.Prov)]
    [InlineData(IdentityStatus.Recup)]
    [InlineData(IdentityStatus.Vali)]
    public async Task An_identity_that_is_not_qualified_is_refused_with_rniv_not_qualified_and_nothing_is_sent(IdentityStatus status)
    {
        database.SkipIfUnavailable();
        var cda = Fresh(Cda(), out var uniqueId);
        await using var db = database.CreateContext();
        var id = await SeedAsync(db, cda, status);
        using var port = fx.Port();

        var sent = await Service(db, port).SendAsync(id, new SendDocumentRequest(cda), Someone, TestContext.Current.CancellationToken);

        sent.Error!.Rule.Should().Be("rniv.not-qualified");
        fx.Store.Find(uniqueId).Should().BeNull();
        (await db.DocumentSubmissions.AnyAsync(x => x.IdentityId == id, TestContext.Current.CancellationToken)).Should().BeFalse();
    }

    [Fact]
    public async Task A_CDA_whose_INS_is_not_the_identitys_is_refused_with_document_ins_mismatch()
    {
        database.SkipIfUnavailable();
        var cda = Fresh(Cda(), out var uniqueId);
        await using var db = database.CreateContext();
        var other = new InsIdentifier(InsMatricule.Parse("180127502599815"), InsOids.Test);
        var id = await SeedAsync(db, cda, IdentityStatus.Qual, otherIns: other);
        using var port = fx.Port();

        var sent = await Service(db, port).SendAsync(id, new SendDocumentRequest(cda), Someone, TestContext.Current.CancellationToken);

        sent.Error!.Rule.Should().Be("document.ins-mismatch");
        fx.Store.Find(uniqueId).Should().BeNull();
    }

    [Fact]
    public async Task A_CDA_whose_strict_traits_differ_is_refused_with_document_traits_mismatch_naming_the_trait()
    {
        database.SkipIfUnavailable();
        var cda = Fresh(Cda(), out var uniqueId);
        await using var db = database.CreateContext();
        var id = await SeedAsync(db, cda, IdentityStatus.Qual, t => IdentityTraits.Create(t.BirthName, t.BirthFirstNames, t.FirstFirstName, t.Sex,
            new BirthDate(t.BirthDate.Value.AddDays(1), false), t.BirthPlaceCog).Value!);
        using var port = fx.Port();

        var sent = await Service(db, port).SendAsync(id, new SendDocumentRequest(cda), Someone, TestContext.Current.CancellationToken);

        sent.Error!.Rule.Should().Be("document.traits-mismatch");
        sent.Error.Fields!.Keys.Should().Equal("birthDate");
        fx.Store.Find(uniqueId).Should().BeNull();
    }

    [Fact]
    public async Task A_test_INS_is_never_sent_to_a_production_endpoint()
    {
        database.SkipIfUnavailable();
        var cda = Fresh(Cda(), out var uniqueId);
        await using var db = database.CreateContext();
        var id = await SeedAsync(db, cda, IdentityStatus.Qual);
        using var port = fx.Port(production: true);

        var sent = await Service(db, port).SendAsync(id, new SendDocumentRequest(cda), Someone, TestContext.Current.CancellationToken);

        sent.Error!.Rule.Should().Be("document.test-ins-to-production");
        fx.Store.Find(uniqueId).Should().BeNull();
    }

    [Theory]
    [InlineData(XdsDmpState.Closed, "dmp.closed")]
    [InlineData(XdsDmpState.Opposed, "dmp.patient-opposed")]
    [InlineData(XdsDmpState.None, "dmp.none")]
    public async Task A_DMP_that_cannot_be_fed_is_refused_before_the_document_is_sent(XdsDmpState state, string rule)
    {
        database.SkipIfUnavailable();
        // eDISP-MED carries its own (NIR-OID) patient: its DMP state is changed for this test only.
        var cda = Fresh(Cda("eDISP-MED_2024.01.xml"), out var uniqueId);
        await using var db = database.CreateContext();
        var id = await SeedAsync(db, cda, IdentityStatus.Qual);
        using var port = fx.Port();
        const string matricule = "277076322082910";
        fx.Sandbox.Handler.SetDmpState(matricule, state);
        try
        {
            var sent = await Service(db, port).SendAsync(id, new SendDocumentRequest(cda), Someone, TestContext.Current.CancellationToken);

            sent.Error!.Rule.Should().Be(rule);
            fx.Store.Find(uniqueId).Should().BeNull();
            (await db.DocumentSubmissions.AnyAsync(x => x.DocumentUniqueId == uniqueId, TestContext.Current.CancellationToken)).Should().BeFalse();
        }
        finally
        {
            fx.Sandbox.Handler.SetDmpState(matricule, XdsDmpState.Active);
        }
    }

    [Fact]
    public async Task A_DMP_state_request_the_service_refuses_as_wrong_is_refused_with_dmp_status_refused_and_nothing_is_queued()
    {
        database.SkipIfUnavailable();
        var cda = Fresh(Cda(), out var uniqueId);
        await using var db = database.CreateContext();
        var id = await SeedAsync(db, cda, IdentityStatus.Qual);
        using var port = fx.UntrustedVihfPort();

        var sent = await Service(db, port).SendAsync(id, new SendDocumentRequest(cda), Someone, TestContext.Current.CancellationToken);

        sent.Error!.Rule.Should().Be("dmp.status-refused");
        sent.Error.Kind.Should().Be(ErrorKind.Unprocessable, "a soap:Sender fault is not an outage");
        sent.Error.Data!["errors"].Should().BeAssignableTo<IEnumerable<ShareError>>().Which.Should().ContainSingle().Which.Code.Should().Be("soap-fault Sender wsse:FailedAuthentication");
        fx.Store.Find(uniqueId).Should().BeNull();
        (await db.DocumentSubmissions.AnyAsync(x => x.DocumentUniqueId == uniqueId, TestContext.Current.CancellationToken)).Should().BeFalse("nothing is queued for a retry that cannot succeed");
    }

    [Fact]
    public async Task A_DMP_state_request_answered_with_a_Receiver_fault_queues_the_submission_for_retry()
    {
        database.SkipIfUnavailable();
        var cda = Fresh(Cda(), out var uniqueId);
        await using var db = database.CreateContext();
        var id = await SeedAsync(db, cda, IdentityStatus.Qual);
        using var port = fx.Port();
        fx.Sandbox.Handler.InjectFaults(1, "Receiver", "Service momentanément indisponible.");

        var sent = await Service(db, port).SendAsync(id, new SendDocumentRequest(cda), Someone, TestContext.Current.CancellationToken);

        sent.Value!.State.Should().Be(DocumentSubmissionStates.Retrying);
        sent.Value.ErrorCode.Should().Be("dmp.status-unavailable");
        sent.Value.NextAttemptAt.Should().NotBeNull();
        fx.Store.Find(uniqueId).Should().BeNull();
    }

    [Fact]
    public async Task A_patient_born_in_Corsica_is_fed_like_any_other()
    {
        database.SkipIfUnavailable();
        var cda = Fresh(Corsican(Cda()), out var uniqueId);
        await using var db = database.CreateContext();
        var id = await SeedAsync(db, cda, IdentityStatus.Qual);
        using var port = fx.Port();

        var sent = await Service(db, port).SendAsync(id, new SendDocumentRequest(cda), Someone, TestContext.Current.CancellationToken);

        sent.IsSuccess.Should().BeTrue(sent.Error?.Message);
        fx.Store.Find(uniqueId)!.Entry.PatientId.Should().Be("160012B02077713^^^&1.2.250.1.213.1.4.8&ISO^NH");
    }

    /// <summary>The CDA with the recordTarget of the INSi sandbox's ADRTROIS TOUSSAINT (INS 160012B020777 13, born in 2B020).</summary>
    internal static byte[] Corsican(byte[] cda)
    {
        var v3 = CdaHeaderReader.V3;
        var doc = System.Xml.Linq.XDocument.Load(new MemoryStream(cda), System.Xml.Linq.LoadOptions.PreserveWhitespace);
        var role = doc.Root!.Element(v3 + "recordTarget")!.Element(v3 + "patientRole")!;
        role.Element(v3 + "id")!.SetAttributeValue("root", "1.2.250.1.213.1.4.8");
        role.Element(v3 + "id")!.SetAttributeValue("extension", "160012B02077713");
        var patient = role.Element(v3 + "patient")!;
        var name = patient.Element(v3 + "name")!;
        foreach (var family in name.Elements(v3 + "family"))
        {
            family.Value = "ADRTROIS";
        }

        foreach (var given in name.Elements(v3 + "given"))
        {
            given.Value = "TOUSSAINT";
        }

        patient.Element(v3 + "administrativeGenderCode")!.SetAttributeValue("code", "M");
        patient.Element(v3 + "birthTime")!.SetAttributeValue("value", "19600101");
        patient.Descendants(v3 + "county").Single().Value = "2B020";
        using var ms = new MemoryStream();
        doc.Save(ms);
        return ms.ToArray();
    }

    [Fact]
    public async Task An_accepted_document_is_not_sent_twice_and_a_replacement_deprecates_it()
    {
        database.SkipIfUnavailable();
        var cda = Fresh(Cda(), out var firstId);
        await using var db = database.CreateContext();
        var id = await SeedAsync(db, cda, IdentityStatus.Qual);
        using var port = fx.Port();
        var service = Service(db, port);
        (await service.SendAsync(id, new SendDocumentRequest(cda), Someone, TestContext.Current.CancellationToken)).IsSuccess.Should().BeTrue();

        var again = await service.SendAsync(id, new SendDocumentRequest(cda), Someone, TestContext.Current.CancellationToken);
        again.Error!.Rule.Should().Be("document.already-shared");

        var v2 = Fresh(cda, out var secondId);
        var replaced = await service.SendAsync(id, new SendDocumentRequest(v2, ReplacesUniqueId: firstId), Someone, TestContext.Current.CancellationToken);

        replaced.IsSuccess.Should().BeTrue(replaced.Error?.Message);
        replaced.Value!.ReplacesUniqueId.Should().Be(firstId);
        fx.Store.Find(firstId)!.Entry.Status.Should().Be(XdsUuids.Deprecated);
        fx.Store.Find(secondId)!.Entry.Status.Should().Be(XdsUuids.Approved);
        var history = await service.ListAsync(id, TestContext.Current.CancellationToken);
        history.Value!.Select(v => v.DocumentUniqueId).Should().BeEquivalentTo([firstId, secondId]);
    }

    [Fact]
    public async Task A_submission_interrupted_after_the_registry_stored_it_is_resent_once_and_ends_accepted()
    {
        database.SkipIfUnavailable();
        var cda = Fresh(Cda(), out var uniqueId);
        await using var db = database.CreateContext();
        var id = await SeedAsync(db, cda, IdentityStatus.Qual);
        using var port = fx.Port();
        var service = Service(db, port);
        var first = await service.SendAsync(id, new SendDocumentRequest(cda), Someone, TestContext.Current.CancellationToken);
        // The gateway died after the registry stored the document, before recording the answer.
        var row = await db.DocumentSubmissions.SingleAsync(x => x.Id == first.Value!.Id, TestContext.Current.CancellationToken);
        row.State = DocumentSubmissionStates.Sending;
        row.AcceptedAt = null;
        await db.SaveChangesAsync(TestContext.Current.CancellationToken);

        var resent = await service.ResendAsync(row.Id, Someone, TestContext.Current.CancellationToken);

        resent.IsSuccess.Should().BeTrue(resent.Error?.Message);
        resent.Value!.State.Should().Be(DocumentSubmissionStates.Accepted);
        resent.Value.Attempts.Should().Be(2);
        fx.Store.All().Count(d => d.Entry.UniqueId == uniqueId).Should().Be(1);
    }

    [Fact]
    public async Task When_the_registry_is_unreachable_the_submission_is_queued_for_retry_and_can_be_resent_by_hand()
    {
        database.SkipIfUnavailable();
        var cda = Fresh(Cda(), out var uniqueId);
        await using var db = database.CreateContext();
        var id = await SeedAsync(db, cda, IdentityStatus.Qual);
        var options = fx.ClientOptions();
        // The DMP status answers; the repository port is closed.
        options.RepositoryEndpoint = new Uri("https://127.0.0.1:1/xds/repository");
        using var broken = new SanteGateway.Server.Documents.XdsDocumentPort(XdsClient.FromOptions(options), NullLogger<SanteGateway.Server.Documents.XdsDocumentPort>.Instance);

        var queued = await Service(db, broken).SendAsync(id, new SendDocumentRequest(cda), Someone, TestContext.Current.CancellationToken);

        queued.Value!.State.Should().Be(DocumentSubmissionStates.Retrying);
        queued.Value.NextAttemptAt.Should().NotBeNull();
        var row = await db.DocumentSubmissions.AsNoTracking().SingleAsync(x => x.DocumentUniqueId == uniqueId, TestContext.Current.CancellationToken);
        row.State.Should().Be(DocumentSubmissionStates.Retrying);
        row.ErrorCode.Should().Be("transport");
        row.LeaseOwner.Should().BeNull();

        using var port = fx.Port();
        var resent = await Service(db, port).ResendAsync(row.Id, Someone, TestContext.Current.CancellationToken);
        resent.Value!.State.Should().Be(DocumentSubmissionStates.Accepted);
        fx.Store.Find(uniqueId).Should().NotBeNull();
    }

    [Fact]
    public async Task With_a_single_attempt_allowed_an_unreachable_registry_makes_a_dead_letter_named_registry_unavailable()
    {
        database.SkipIfUnavailable();
        var cda = Fresh(Cda(), out var uniqueId);
        await using var db = database.CreateContext();
        var id = await SeedAsync(db, cda, IdentityStatus.Qual);
        var options = fx.ClientOptions();
        options.RepositoryEndpoint = new Uri("https://127.0.0.1:1/xds/repository");
        using var broken = new SanteGateway.Server.Documents.XdsDocumentPort(XdsClient.FromOptions(options), NullLogger<SanteGateway.Server.Documents.XdsDocumentPort>.Instance);
        var settings = Options();
        settings.Delivery.MaxAttempts = 1;
        var service = new DocumentService(db, TimeProvider.System, [broken], Microsoft.Extensions.Options.Options.Create(settings), NullLogger<DocumentService>.Instance);

        var failed = await service.SendAsync(id, new SendDocumentRequest(cda), Someone, TestContext.Current.CancellationToken);

        failed.Error!.Rule.Should().Be("registry.unavailable");
        (await db.DocumentSubmissions.AsNoTracking().SingleAsync(x => x.DocumentUniqueId == uniqueId, TestContext.Current.CancellationToken)).State.Should().Be(DocumentSubmissionStates.Failed);
    }

    [Fact]
    public async Task Missing_structure_settings_are_refused_naming_each_setting_before_any_call()
    {
        database.SkipIfUnavailable();
        var cda = Fresh(Cda(), out var uniqueId);
        await using var db = database.CreateContext();
        var id = await SeedAsync(db, cda, IdentityStatus.Qual);
        using var port = fx.Port();
        var service = new DocumentService(db, TimeProvider.System, [port], Microsoft.Extensions.Options.Options.Create(new DocumentSharingOptions()), NullLogger<DocumentService>.Instance);

        var sent = await service.SendAsync(id, new SendDocumentRequest(cda), Someone, TestContext.Current.CancellationToken);

        sent.Error!.Fields!.Keys.Should().BeEquivalentTo(["sourceId", "healthcareFacilityTypeCode", "practiceSettingCode", "contentTypeCode"]);
        fx.Store.Find(uniqueId).Should().BeNull();
    }

    [Fact]
    public async Task The_official_CSE_MDE_example_whose_INS_key_does_not_check_is_refused_with_document_ins_invalid()
    {
        database.SkipIfUnavailable();
        var cda = Fresh(Cda("CSE-MDE_2023.01.xml"), out var uniqueId);
        await using var db = database.CreateContext();
        var id = await SeedAsync(db, Cda(), IdentityStatus.Qual);
        using var port = fx.Port();

        var sent = await Service(db, port).SendAsync(id, new SendDocumentRequest(cda), Someone, TestContext.Current.CancellationToken);

        sent.Error!.Rule.Should().Be("document.ins-invalid");
        sent.Error.Message.Should().Contain("control key");
        fx.Store.Find(uniqueId).Should().BeNull();
    }

    [Fact]
    public async Task A_document_that_is_not_a_CDA_is_refused_with_document_cda_unreadable()
    {
        database.SkipIfUnavailable();
        await using var db = database.CreateContext();
        var id = await SeedAsync(db, Cda(), IdentityStatus.Qual, otherIns: new InsIdentifier(InsMatricule.Parse("180127502599815"), InsOids.Test));
        using var port = fx.Port();

        var sent = await Service(db, port).SendAsync(id, new SendDocumentRequest("<!DOCTYPE x [<!ENTITY e \"x\">]><x>&e;</x>"u8.ToArray()), Someone, TestContext.Current.CancellationToken);

        sent.Error!.Rule.Should().Be("document.cda-unreadable");
    }
}

public sealed class SqliteDocumentServiceTests(SandboxFixture fx, SqliteTestDatabase db) : DocumentServiceTests<SqliteTestDatabase>(fx, db), IClassFixture<SandboxFixture>, IClassFixture<SqliteTestDatabase>;

public sealed class PostgresDocumentServiceTests(SandboxFixture fx, PostgresTestDatabase db) : DocumentServiceTests<PostgresTestDatabase>(fx, db), IClassFixture<SandboxFixture>, IClassFixture<PostgresTestDatabase>;
