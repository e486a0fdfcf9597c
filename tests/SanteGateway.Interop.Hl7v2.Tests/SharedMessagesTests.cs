using SanteGateway.Identity;
using SanteGateway.Interop.Hl7v2.Er7;
using SanteGateway.Interop.Hl7v2.Pam;

namespace SanteGateway.Interop.Hl7v2.Tests;

public sealed class SharedMessagesTests
{
    private static readonly PamReadOptions AllowTest = new() { InsPolicy = InsPolicy.AllowTestAndDemo };

    public static TheoryData<string> Messages() => SharedMessages.Names();

    [Fact]
    public void The_shared_folders_hold_the_expected_number_of_messages()
    {
        // 5 in hl7v2 (the CDA file is not a message) and 65 in the ANS repository copy.
        SharedMessages.All.Count.Should().BeGreaterThanOrEqualTo(70);
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public void Every_shared_message_parses_and_is_written_back_byte_for_byte(string file)
    {
        var bytes = SharedMessages.Read(file);

        var ok = Hl7Reader.TryRead(bytes, null, out var message, out var error);

        ok.Should().BeTrue(error?.ToString());
        message!.Segments[0].Name.Should().Be("MSH");
        message.ToBytes().Should().Equal(bytes);
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public void Every_shared_message_with_a_PID_yields_an_identity_whose_INS_is_either_integrated_or_explained(string file)
    {
        var message = Hl7Reader.Read(SharedMessages.Read(file));
        if (message.Pid is null)
        {
            return;
        }

        var patient = PamIdentityReader.Read(message, AllowTest)!;

        var insRepetitions = message.Pid.Identifiers.Where(i => i.TypeCode == "INS" && !i.IsNullId).ToList();
        if (insRepetitions.Count > 0)
        {
            (patient.Ins is not null || patient.Issues.Any(i => i.Rule.StartsWith("ins-", StringComparison.Ordinal)))
                .Should().BeTrue($"{file}: an INS is either integrated or refused with a reason");
        }

        patient.Ins.Should().Match<InsIdentifier?>(i => i == null || patient.StatusCode == "VALI");
    }
}
