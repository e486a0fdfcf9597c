using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using SanteGateway.Application;
using SanteGateway.Interop.Hl7v2.Er7;
using SanteGateway.Server.Inbound;
using SanteGateway.Testing;

namespace SanteGateway.Server.Tests;

/// <summary>
/// The MLLP listener hands the gate the message it parsed to answer it: the extractor reuses it instead of reading the bytes
/// again, and the extraction must be the one the bytes alone give.
/// </summary>
public sealed class InboundExtractorTests
{
    private static readonly InboundPartnerSettings Partner = new("LAB", "Lab", "1.2.250.1.999.1", [], "mllp", false, false, "VALI");

    [Theory]
    [InlineData("hl7v2", "oru-r01-cr-bio-init.hl7")]
    [InlineData("hl7v2", "oru-r01-segur-bio-n3.hl7")]
    [InlineData("hl7v2", "adt-a01-admission.er7")]
    [InlineData("hl7v2", "mdm-t02-cr-radio-init.er7")]
    public void A_message_the_listener_parsed_gives_the_extraction_its_bytes_give(string folder, string file)
    {
        var raw = File.ReadAllBytes(TestPaths.SharedFile("data", folder, file));
        Hl7Reader.TryRead(raw, null, out var parsed, out _).Should().BeTrue();
        var extractor = new InboundExtractor(NullLogger<InboundExtractor>.Instance);

        var reused = extractor.Extract(raw, "x-application/hl7-v2+er7", Partner, parsed);

        reused.Patient.Should().NotBeNull();
        reused.Should().BeEquivalentTo(extractor.Extract(raw, "x-application/hl7-v2+er7", Partner));
    }

    [Fact]
    public void A_message_a_listener_with_larger_limits_parsed_is_read_again_within_the_gate_limits()
    {
        // 10 001 segments: beyond the reader's default limit, within a listener configured for more.
        var text = new StringBuilder(File.ReadAllText(TestPaths.SharedFile("data", "hl7v2", "oru-r01-cr-bio-init.hl7")).TrimEnd());
        for (var i = 0; i < Hl7ReadOptions.Default.MaxSegments; i++)
        {
            text.Append("\rNTE|").Append(i);
        }

        var raw = Encoding.UTF8.GetBytes(text.ToString());
        Hl7Reader.TryRead(raw, new Hl7ReadOptions { MaxSegments = 100_000 }, out var parsed, out _).Should().BeTrue();
        var extractor = new InboundExtractor(NullLogger<InboundExtractor>.Instance);

        var extraction = extractor.Extract(raw, "x-application/hl7-v2+er7", Partner, parsed);

        extraction.Patient.Should().BeNull();
        extraction.ErrorRule.Should().StartWith("hl7.");
        extraction.Should().BeEquivalentTo(extractor.Extract(raw, "x-application/hl7-v2+er7", Partner));
    }
}
