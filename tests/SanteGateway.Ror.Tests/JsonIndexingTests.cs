using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using SanteGateway.Ror.Sandbox;
using SanteGateway.Server.Ror;
using Task = System.Threading.Tasks.Task;

namespace SanteGateway.Ror.Tests;

/// <summary>
/// The full synchronisation indexes each export line with System.Text.Json (<see cref="RorJsonIndexer"/>) instead of the
/// Firely object model: it must extract exactly what the Firely indexer extracts, and never crash on what a server sends.
/// </summary>
public sealed class JsonIndexingTests
{
    private static readonly FhirJsonSerializer Serializer = new();
    private static readonly FhirJsonDeserializer Parser = new(new DeserializerSettings { Validator = null });

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static void ShouldIndexAlike(Resource resource)
    {
        var json = Serializer.SerializeToString(resource);
        // Both indexers read the same text (what the ROR sent), the Firely one through its parser as the client did.
        var expected = RorResourceIndexer.Index(Parser.DeserializeResource(json), json);
        using var doc = JsonDocument.Parse(json);
        var actual = RorJsonIndexer.Index(doc.RootElement, json);
        actual.Should().BeEquivalentTo(expected, o => o.WithStrictOrdering(), resource.TypeName + "/" + resource.Id);
    }

    private static IEnumerable<Resource> SandboxResources()
    {
        var data = new RorSandboxData();
        data.LoadExamples();
        var examples = RorSandboxData.ResourceTypes.SelectMany(data.All).ToList();
        var generated = Enumerable.Range(1, 3).SelectMany(seed => RorDataGenerator.Generate(40, seed, DateTimeOffset.UtcNow.AddDays(-seed))).ToList();
        // What each access profile sees (sensitive units and telecoms removed) is indexed alike too.
        return examples.Concat(generated).Concat(generated.Take(200).SelectMany(r => Enumerable.Range(0, 5).Select(p => RorRedaction.Apply(r, p))));
    }

    [Fact]
    public void The_JSON_indexer_reads_every_sandbox_resource_exactly_as_the_Firely_indexer_does()
    {
        var count = 0;
        foreach (var r in SandboxResources())
        {
            ShouldIndexAlike(r);
            count++;
        }

        count.Should().BeGreaterThan(1000);
    }

    [Fact]
    public void The_JSON_indexer_takes_the_fallbacks_the_Firely_indexer_takes()
    {
        var all = RorDataGenerator.Generate(3, 11, DateTimeOffset.UtcNow).ToList();
        var location = (Location)all.OfType<Location>().First().DeepCopy();
        // No COG extension: the address's INSEE code; identifiers without their type: the first one; a versioned reference.
        location.Extension.RemoveAll(e => e.Url == RorConstants.CommuneCogExtension);
        location.Address.Extension.Add(new Extension("http://hl7.org/fhir/StructureDefinition/iso21090-ADXP-inseeCode", new Coding("urn:oid:2.16.840.1.113883.2.8.2.1", "69381")));
        foreach (var i in location.Identifier)
        {
            i.Type = null;
        }

        location.ManagingOrganization = new ResourceReference("https://ror.example/fhir/Organization/org-9/_history/3");
        ShouldIndexAlike(location);
        location.Address.Extension[^1].Value = new FhirString("13055");
        ShouldIndexAlike(location);
        location.Address.Extension[^1].Value = new CodeableConcept("urn:x", "75056");
        ShouldIndexAlike(location);
        location.Address = null;
        location.Extension.Add(new Extension(RorConstants.CommuneCogExtension, new Code("33063")));
        ShouldIndexAlike(location);

        var org = (Organization)all.OfType<Organization>().First().DeepCopy();
        org.Identifier.RemoveAll(i => i.System == RorConstants.IdNatStructSystem);
        org.Identifier.Insert(0, new Identifier("urn:other", "X-1"));
        org.Address.Clear();
        ShouldIndexAlike(org);

        var offer = (HealthcareService)all.OfType<HealthcareService>().First().DeepCopy();
        offer.Specialty.Add(new CodeableConcept { Text = "Libellé du texte", Coding = [new Coding("https://mos.esante.gouv.fr/NOS/TRE_R210-ActiviteOperationnelle/J17", "999"), new Coding("urn:family", "F1", null)] });
        offer.Extension.RemoveAll(e => e.Url == RorConstants.SensitiveUnitExtension);
        offer.Location.Clear();
        ShouldIndexAlike(offer);

        var practitioner = new Practitioner { Id = "p-1", Name = [new HumanName { Family = "Durand", Given = ["Anne", "Marie"], Prefix = ["Dr"] }] };
        practitioner.Identifier.Add(new Identifier(RorConstants.IdNatPsSystem, "810001234567"));
        ShouldIndexAlike(practitioner);
        ShouldIndexAlike(new Practitioner { Id = "p-2", Name = [new HumanName()] });
        ShouldIndexAlike(new PractitionerRole { Id = "r-1", Practitioner = new ResourceReference("Practitioner/p-1") });
    }

    [Fact]
    public void Another_type_or_a_resource_without_id_is_not_indexed()
    {
        using var patient = JsonDocument.Parse("""{"resourceType":"Patient","id":"x"}""");
        RorJsonIndexer.Index(patient.RootElement, "{}").Should().BeNull();
        using var noId = JsonDocument.Parse("""{"resourceType":"Organization","name":"A"}""");
        RorJsonIndexer.Index(noId.RootElement, "{}").Should().BeNull();
    }

    /// <summary>JSON made of FHIR element names with values of every kind: what a careless or hostile server could send.</summary>
    private static readonly string[] Names =
    [
        "resourceType", "id", "meta", "lastUpdated", "versionId", "tag", "system", "code", "display", "text", "name", "identifier", "value", "type", "coding",
        "extension", "url", "valueCoding", "valueCodeableConcept", "valueCode", "valueString", "valueBoolean", "valueInteger", "valueDateTime", "address", "city",
        "postalCode", "line", "partOf", "reference", "providedBy", "location", "specialty", "category", "managingOrganization", "given", "family", "prefix",
        "organization", "healthcareService", "practitioner",
    ];

    private static readonly Gen<JsonNode?> Leaf = Gen.OneOf<JsonNode?>(
        Gen.String.Select(s => (JsonNode?)JsonValue.Create(s)),
        Gen.OneOf("Organization", "HealthcareService", "Location", "Practitioner", "PractitionerRole", "2024-02-30T25:00:00Z", "2024-01-01T00:00:00+01:00", "2024", "2024-13",
            RorConstants.CommuneCogExtension, RorConstants.SensitiveUnitExtension, RorConstants.SupportedCapacityExtension, "nbCapacity", "capacityUpdateDate", "x/_history/1", "/", "a/b")
            .Select(s => (JsonNode?)JsonValue.Create(s)),
        Gen.Int.Select(i => (JsonNode?)JsonValue.Create(i)),
        Gen.Double.Select(d => (JsonNode?)JsonValue.Create(double.IsFinite(d) ? d : 0)),
        Gen.Bool.Select(b => (JsonNode?)JsonValue.Create(b)),
        Gen.Const((JsonNode?)null));

    private static Gen<JsonNode?> Node(int depth) => depth == 0
        ? Leaf
        : Gen.Frequency(
            (3, Leaf),
            (2, Gen.Select(Gen.Int[0, Names.Length - 1], Node(depth - 1)).Array[0, 4].Select(ps =>
            {
                var o = new JsonObject();
                foreach (var (name, value) in ps)
                {
                    o[Names[name]] = value;
                }

                return (JsonNode?)o;
            })),
            (2, Node(depth - 1).Array[0, 3].Select(items => (JsonNode?)new JsonArray(items))));

    [Fact]
    public void The_JSON_indexer_never_throws_whatever_the_shape_of_a_resource()
    {
        Gen.Select(Gen.OneOf("Organization", "HealthcareService", "Location", "Practitioner", "PractitionerRole"), Node(4).Array[0, 8]).Sample((type, parts) =>
        {
            var o = new JsonObject { ["resourceType"] = type, ["id"] = "x1" };
            for (var i = 0; i < parts.Length; i++)
            {
                // Every element but resourceType and id (kept valid so that the resource is indexed).
                o[Names[2 + ((i * 7) + type.Length) % (Names.Length - 2)]] = parts[i];
            }

            var json = o.ToJsonString();
            using var doc = JsonDocument.Parse(json);
            RorJsonIndexer.Index(doc.RootElement, json).Should().NotBeNull();
        }, iter: 2000);
    }

    private static async Task<List<(string Type, string Json, int Line)>> ReadAsync(string text)
    {
        var list = new List<(string, string, int)>();
        await foreach (var r in RorExportReader.ReadRecordsAsync(new MemoryStream(Encoding.UTF8.GetBytes(text)), Ct))
        {
            using (r)
            {
                list.Add((r.ResourceType, r.Json, r.Line));
            }
        }

        return list;
    }

    [Fact]
    public async Task Export_lines_are_kept_as_received_with_a_byte_order_mark_CRLF_and_blank_lines_around()
    {
        var a = """{"resourceType":"Organization","id":"o1","name":"Clinique é"}""";
        var b = """{"resourceType":"Location","id":"l1"}""";
        var records = await ReadAsync("\uFEFF" + a + "\r\n\r\n   \n" + b + "\r\n");

        records.Should().Equal(("Organization", a, 1), ("Location", b, 4));
    }

    [Fact]
    public async Task A_file_that_is_one_pretty_printed_Bundle_gives_its_entries_and_a_Bundle_line_gives_its_resources()
    {
        var bundle = """
            {
              "resourceType": "Bundle",
              "type": "collection",
              "entry": [
                { "resource": { "resourceType": "Organization", "id": "o1" } },
                { "resource": { "resourceType": "OperationOutcome", "id": "oo" } },
                { "resource": { "resourceType": "HealthcareService", "id": "h1" } }
              ]
            }
            """;
        (await ReadAsync(bundle)).Select(r => r.Type).Should().Equal("Organization", "HealthcareService");
        var line = JsonNode.Parse(bundle)!.ToJsonString();
        (await ReadAsync(line + "\n" + """{"resourceType":"Location","id":"l1"}""")).Select(r => r.Type).Should().Equal("Organization", "HealthcareService", "Location");
    }

    [Fact]
    public async Task A_line_that_is_not_one_JSON_object_with_a_resourceType_is_refused_with_its_number()
    {
        var ok = """{"resourceType":"Organization","id":"o1"}""";
        foreach (var bad in new[] { "{\"resourceType\":", "not json", "{\"id\":\"x\"}", "[1,2]", ok + " {}", "{\"resourceType\":12}" })
        {
            var act = () => ReadAsync(ok + "\n" + ok + "\n" + bad + "\n" + ok);
            (await act.Should().ThrowAsync<RorException>(bad)).Which.Message.Should().Contain("line 3");
        }
    }

    [Fact]
    public async Task A_line_longer_than_the_limit_is_refused_instead_of_filling_memory()
    {
        var huge = new MemoryStream();
        huge.Write(Encoding.UTF8.GetBytes("""{"resourceType":"Organization","id":"o1"}""" + "\n"));
        huge.Write(new byte[RorExportReader.MaxLineBytes + 10].AsSpan());
        huge.Position = 0;
        var act = async () =>
        {
            await foreach (var r in RorExportReader.ReadRecordsAsync(huge, Ct))
            {
                r.Dispose();
            }
        };
        (await act.Should().ThrowAsync<RorException>()).Which.Message.Should().Contain("longer than");
    }

    [Fact]
    public void Arbitrary_bytes_either_read_as_resources_or_fail_with_a_ROR_error()
    {
        Gen.Byte.Array[0, 300].Sample(bytes =>
        {
            try
            {
                var task = Task.Run(async () =>
                {
                    await foreach (var r in RorExportReader.ReadRecordsAsync(new MemoryStream(bytes), CancellationToken.None))
                    {
                        r.ResourceType.Should().NotBeNullOrEmpty();
                        r.Dispose();
                    }
                });
                task.GetAwaiter().GetResult();
            }
            catch (RorException)
            {
                // refused with a message: fine
            }
        }, iter: 2000);
    }
}
