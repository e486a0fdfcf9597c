using System.Text;
using SanteGateway.Interop.Hl7v2.Er7;

namespace SanteGateway.Interop.Hl7v2.Tests;

public sealed class Er7ReaderTests
{
    private const string Header = "MSH|^~\\&|APP|FAC|RCV|RFAC|20240306111154||ADT^A31^ADT_A05|42|P|2.5|||||FRA|UNICODE UTF-8";

    [Theory]
    [InlineData("\r")]
    [InlineData("\n")]
    [InlineData("\r\n")]
    public void Segment_ends_CR_LF_and_CRLF_are_read_and_written_back_as_they_came(string end)
    {
        var text = $"{Header}{end}PID|1||X^^^A&1.2&ISO^PI{end}ZZZ|unknown|kept{end}";

        var message = Hl7Reader.Read(Encoding.UTF8.GetBytes(text));

        message.Segments.Select(s => s.Name).Should().Equal("MSH", "PID", "ZZZ");
        message.Segments[2][2].Value.Should().Be("kept");
        message.ToEr7().Should().Be(text);
    }

    [Fact]
    public void Fields_repetitions_components_and_sub_components_are_addressed_from_1()
    {
        var message = Hl7Reader.Read($"{Header}\rPID|1||A^^^NS&1.2.3&ISO^PI~B^^^NS2&4.5&ISO^INS||NOM^PRENOM^^^^^L\r");
        var msh = message.Segments[0];
        var pid = message.Segments[1];

        msh[1].Value.Should().Be("|");
        msh[2].RawText.Should().Be("^~\\&");
        msh[9].Component(2).Value.Should().Be("A31");
        msh[10].Value.Should().Be("42");
        pid[3].RepetitionCount.Should().Be(2);
        pid[3].Repetition(2).Component(4).SubComponent(2).Value.Should().Be("4.5");
        pid[3].Repetition(2).Component(5).Value.Should().Be("INS");
        pid[5].Component(7).Value.Should().Be("L");
        pid[99].IsEmpty.Should().BeTrue();
        pid[3].Repetition(9).Component(3).SubComponent(4).IsEmpty.Should().BeTrue();
    }

    [Fact]
    public void Escape_sequences_are_decoded_including_hex_in_the_message_character_set()
    {
        var message = Hl7Reader.Read($"{Header}\rOBX|1|ST|X||a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f\\XC3A9\\g\\X0D0A\\h\\.br\\i\r");

        message.Segments[1][5].Value.Should().Be("a|b^c&d~e\\fég\r\nh\\.br\\i");
    }

    [Fact]
    public void Malformed_escapes_are_kept_literally()
    {
        var message = Hl7Reader.Read($"{Header}\rOBX|1|ST|X||\\XZZ\\ \\Q\\ \\unterminated\r");

        message.Segments[1][5].Value.Should().Be("\\XZZ\\ \\Q\\ \\unterminated");
    }

    [Fact]
    public void Other_delimiters_declared_in_MSH_1_and_MSH_2_are_used()
    {
        var message = Hl7Reader.Read("MSH#@*!$#APP#FAC#R#RF#2024##ADT@A28#1#P#2.5\rPID#1##X@@@NS$1.2$ISO@PI*Y@@@NS2@INS\r");

        message.Delimiters.Field.Should().Be('#');
        message.Delimiters.Component.Should().Be('@');
        message.Delimiters.Repetition.Should().Be('*');
        message.Delimiters.Escape.Should().Be('!');
        message.Delimiters.SubComponent.Should().Be('$');
        message.Msh.TriggerEvent.Should().Be("A28");
        message.Pid!.Identifiers.Select(i => i.TypeCode).Should().Equal("PI", "INS");
        message.Pid.Identifiers[0].AssigningAuthority!.UniversalId.Should().Be("1.2");
    }

    [Fact]
    public void An_ISO_8859_1_message_is_decoded_as_Latin_1_and_written_back_byte_for_byte()
    {
        var bytes = Encoding.Latin1.GetBytes("MSH|^~\\&|A|B|C|D|2024||ADT^A28|1|P|2.5|||||FRA|8859/1\rPID|1||X^^^N&1&ISO^PI||LÉA^ÉLODIE^^^^^L\r");

        var message = Hl7Reader.Read(bytes);

        message.Pid!.Names[0].Family.Should().Be("LÉA");
        message.ToBytes().Should().Equal(bytes);
    }

    [Fact]
    public void An_undeclared_Latin_1_message_is_read_as_Latin_1_rather_than_refused()
    {
        var bytes = Encoding.Latin1.GetBytes("MSH|^~\\&|A|B|C|D|2024||ADT^A28|1|P|2.5\rPID|1||X||ÉLODIE\r");

        var message = Hl7Reader.Read(bytes);

        message.Pid!.Field(5).Value.Should().Be("ÉLODIE");
        message.ToBytes().Should().Equal(bytes);
    }

    [Fact]
    public void A_message_declared_UTF_8_with_invalid_bytes_is_refused_naming_MSH_18()
    {
        byte[] bytes = [.. Encoding.ASCII.GetBytes($"{Header}\rPID|1||"), 0xC3, 0x28, (byte)'\r'];

        Hl7Reader.TryRead(bytes, null, out _, out var error).Should().BeFalse();

        error!.Rule.Should().Be("invalid-bytes");
        error.Field.Should().Be(18);
        error.ByteOffset.Should().NotBeNull();
    }

    [Fact]
    public void An_unsupported_character_set_is_refused_naming_MSH_18()
    {
        Hl7Reader.TryRead("MSH|^~\\&|A|B|C|D|2024||ADT^A28|1|P|2.5|||||FRA|ISO IR87\r", null, out _, out var error).Should().BeFalse();

        error!.Rule.Should().Be("charset");
        error.ToString().Should().Contain("segment 1 (MSH), field 18");
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("PID|1\r", "no-msh")]
    [InlineData("MSH|^~\r", "delimiters")]
    [InlineData("MSH|^^\\&|A\r", "delimiters")]
    [InlineData("MSHA^~\\&|A\r", "delimiters")]
    [InlineData("MSH|^~\\&|A\rPID|1\rpid|2\r", "segment-name")]
    [InlineData("MSH|^~\\&|A\rPID|1\rMSH|^~\\&|B\r", "second-msh")]
    public void Unreadable_input_gets_a_clear_error_with_its_rule(string text, string rule)
    {
        Hl7Reader.TryRead(Encoding.UTF8.GetBytes(text), null, out var message, out var error).Should().BeFalse();

        message.Should().BeNull();
        error!.Rule.Should().Be(rule);
        error.Message.Should().NotBeNullOrWhiteSpace();
    }

    [Fact]
    public void A_bad_segment_is_located_by_its_position()
    {
        Hl7Reader.TryRead("MSH|^~\\&|A\rPID|1\rPV1|1\r1X|oops\r", null, out _, out var error);

        error!.SegmentIndex.Should().Be(4);
        error.ToString().Should().StartWith("segment-name at segment 4");
    }

    [Fact]
    public void Size_and_segment_count_are_bounded()
    {
        var big = Encoding.UTF8.GetBytes($"{Header}\r" + string.Concat(Enumerable.Repeat("NTE|1\r", 20)));

        Hl7Reader.TryRead(big, new Hl7ReadOptions { MaxMessageBytes = 100 }, out _, out var e1).Should().BeFalse();
        e1!.Rule.Should().Be("too-large");
        Hl7Reader.TryRead(big, new Hl7ReadOptions { MaxSegments = 10 }, out _, out var e2).Should().BeFalse();
        e2!.Rule.Should().Be("too-many-segments");
        e2.SegmentIndex.Should().Be(11);
    }

    [Fact]
    public void A_byte_order_mark_is_tolerated_and_kept()
    {
        byte[] bytes = [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes($"{Header}\rPID|1\r")];

        Hl7Reader.Read(bytes).ToBytes().Should().Equal(bytes);
    }

    [Fact]
    public void Setting_a_field_changes_only_that_field_and_the_message_reads_back()
    {
        var message = Hl7Reader.Read($"{Header}\rPID|1||X\r");
        var pid = message.Segments[1];

        pid.SetField(3, "A|B");
        pid.SetField(8, "F");
        message.Msh.Segment.SetField(10, "43");

        message.ToEr7().Should().Be($"{Header.Replace("|42|", "|43|", StringComparison.Ordinal)}\rPID|1||A\\F\\B|||||F\r");
        Hl7Reader.Read(message.ToEr7()).Pid!.Field(3).Value.Should().Be("A|B");
    }

    [Fact]
    public void Writing_a_character_the_declared_Latin_1_cannot_hold_fails_with_a_clear_reason()
    {
        var message = Hl7Reader.Read(Encoding.Latin1.GetBytes("MSH|^~\\&|A|B|C|D|2024||ADT^A28|1|P|2.5|||||FRA|8859/1\rPID|1\r"));
        message.Segments[1].SetField(5, "€uro");

        var act = () => message.ToBytes();

        act.Should().Throw<InvalidOperationException>().WithMessage("*U+20AC*MSH-18*");
    }
}
