using System.Text;
using CsCheck;
using SanteGateway.Interop.Hl7v2.Er7;
using SanteGateway.Interop.Hl7v2.Pam;

namespace SanteGateway.Interop.Hl7v2.Tests;

public sealed class PropertyTests
{
    /// <summary>Characters that hurt: every usual and unusual delimiter, escapes, line ends, controls, accents, non-BMP.</summary>
    private static readonly Gen<char> Nasty = Gen.OneOf(
        Gen.OneOf('|', '^', '~', '\\', '&', '#', '\r', '\n', '\0', '\x0B', '\x1C', 'X', 'F', 'S', 'T', 'R', 'E', '.', '"', ' '),
        Gen.Char['0', '9'],
        Gen.Char['A', 'Z'],
        Gen.Char['\u00C0', '\u00FF'],
        Gen.OneOf('\u02DC', '\u20AC', '\uFFFD'));

    private static readonly Gen<string> NastyText = Gen.String[Nasty, 0, 12];

    private static readonly Gen<string> SegmentName = Gen.OneOf(Gen.OneOf("PID", "PV1", "ZFD", "OBX", "MRG", "EVN", "NTE"), Gen.Char['A', 'Z'].Array[3].Select(a => new string(a)));

    /// <summary>A hostile message: an MSH with random delimiters (sometimes invalid), random segments of nasty text, random line ends.</summary>
    private static readonly Gen<byte[]> HostileBytes = Gen.Select(
        Gen.Frequency((3, Gen.Const("|^~\\&")), (1, Gen.OneOf(Gen.Const("#@*!$"), Gen.String[Nasty, 0, 7]))),
        Gen.Select(SegmentName, Gen.Frequency((6, Gen.String[Gen.Char.Where(c => c is not ('\r' or '\n')), 0, 12]), (1, NastyText)).Array[0, 6]).Array[0, 8],
        Gen.OneOf("\r", "\n", "\r\n", "\r\r\n", string.Empty),
        Gen.OneOf("UNICODE UTF-8", "8859/1", "8859/15", "ASCII", string.Empty, "KOI8"),
        Gen.Byte.Array[0, 6],
        Gen.Bool).Select((delims, segments, end, charset, junk, latin1) =>
        {
            var sb = new StringBuilder("MSH").Append(delims).Append("|A|B|C|D|2024||ADT^A28|1|P|2.5|||||FRA|").Append(charset).Append(end);
            foreach (var (name, fields) in segments)
            {
                sb.Append(name).Append('|').Append(string.Join('|', fields)).Append(end);
            }

            var text = sb.ToString();
            byte[] body = latin1 ? Encoding.Latin1.GetBytes(text) : Encoding.UTF8.GetBytes(text);
            return body.Concat(junk).ToArray();
        });

    [Fact]
    public void Hostile_messages_never_crash_the_reader_or_the_identity_mapping_and_what_is_read_is_written_back_byte_for_byte()
    {
        var read = 0;
        var refused = 0;
        HostileBytes.Sample(bytes =>
        {
            if (!Hl7Reader.TryRead(bytes, null, out var message, out var error))
            {
                error.Rule.Should().NotBeNullOrEmpty();
                Interlocked.Increment(ref refused);
                return;
            }

            Interlocked.Increment(ref read);

            message.ToBytes().Should().Equal(bytes);
            foreach (var segment in message.Segments)
            {
                for (var f = 1; f <= segment.FieldCount + 1; f++)
                {
                    var field = segment.Field(f);
                    _ = field.Value;
                    foreach (var rep in field.Repetitions)
                    {
                        for (var c = 1; c <= rep.ComponentCount + 1; c++)
                        {
                            _ = rep.Component(c).SubComponent(2).Value;
                        }
                    }
                }
            }

            _ = PamIdentityReader.Read(message, PamReadOptions.Production);
        }, iter: 3000);

        // Both paths must be exercised, or the property proves nothing.
        read.Should().BeGreaterThan(100);
        refused.Should().BeGreaterThan(100);
    }

    [Fact]
    public void Random_bytes_after_MSH_never_crash_the_reader()
    {
        Gen.Byte.Array[0, 200].Select(b => (byte[])[(byte)'M', (byte)'S', (byte)'H', .. b]).Sample(bytes =>
        {
            if (Hl7Reader.TryRead(bytes, null, out var message, out _))
            {
                _ = PamIdentityReader.Read(message);
                _ = message.ToEr7();
            }
        }, iter: 3000);
    }

    /// <summary>A model: segments of fields of repetitions of components of sub-components, all arbitrary text.</summary>
    private static readonly Gen<(string Name, string[][][][] Fields)[]> Model =
        Gen.Select(SegmentName.Where(n => n != "MSH"), NastyText.Array[1, 3].Array[1, 3].Array[1, 3].Array[1, 5]).Array[1, 5];

    [Fact]
    public void Appending_a_second_MSH_is_refused_because_the_reader_would_refuse_the_message()
    {
        var message = Hl7MessageBuilder.Create(new Hl7Header { MessageCode = "ADT", TriggerEvent = "A31", ControlId = "p" });

        var act = () => message.Add(new Hl7SegmentBuilder("MSH"));

        act.Should().Throw<ArgumentException>().WithMessage("*second-msh*");
        message.Segments.Should().ContainSingle();
    }

    [Fact]
    public void Writing_a_model_then_reading_it_gives_the_same_model()
    {
        Model.Sample(model =>
        {
            var message = Hl7MessageBuilder.Create(new Hl7Header { MessageCode = "ADT", TriggerEvent = "A31", ControlId = "p" });
            foreach (var (name, fields) in model)
            {
                var builder = new Hl7SegmentBuilder(name);
                for (var f = 0; f < fields.Length; f++)
                {
                    builder.Repetitions(f + 1, fields[f].Select(rep => rep.Select(comp => new Hl7Component(comp)).ToArray()));
                }

                message.Add(builder);
            }

            var back = Hl7Reader.Read(message.ToBytes());

            back.Segments.Count.Should().Be(model.Length + 1);
            for (var s = 0; s < model.Length; s++)
            {
                var segment = back.Segments[s + 1];
                segment.Name.Should().Be(model[s].Name);
                var fields = model[s].Fields;
                for (var f = 0; f < fields.Length; f++)
                {
                    for (var r = 0; r < fields[f].Length; r++)
                    {
                        for (var c = 0; c < fields[f][r].Length; c++)
                        {
                            for (var sc = 0; sc < fields[f][r][c].Length; sc++)
                            {
                                segment.Field(f + 1).Repetition(r + 1).Component(c + 1).SubComponent(sc + 1).Value
                                    .Should().Be(fields[f][r][c][sc], $"segment {s + 2} field {f + 1} repetition {r + 1} component {c + 1} sub-component {sc + 1}");
                            }
                        }
                    }
                }
            }
        }, iter: 1000);
    }

    [Fact]
    public void Escaping_then_unescaping_any_text_gives_it_back()
    {
        Gen.String.Sample(s =>
        {
            if (s.Any(char.IsSurrogate))
            {
                return;
            }

            Hl7Escaping.Decode(Hl7Escaping.Encode(s, Hl7Delimiters.Default), Hl7Delimiters.Default, Encoding.UTF8).Should().Be(s);
        }, iter: 5000);
    }
}
