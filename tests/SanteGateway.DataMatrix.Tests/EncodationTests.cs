using System.Text;

namespace SanteGateway.DataMatrix.Tests;

/// <summary>Vectors from ZXing's public HighLevelEncodeTestCase (codewords after padding, any shape allowed).</summary>
public class EncodationTests
{
    private static byte[] Codewords(string text, DataMatrixShape shape = DataMatrixShape.Any) =>
        [.. DataMatrixEncoder.Encode(text, new DataMatrixEncodeOptions { Shape = shape }).DataCodewords];

    private static string Visualize(string text, DataMatrixShape shape = DataMatrixShape.Any) => string.Join(' ', Codewords(text, shape));

    [Theory]
    [InlineData("123456", "142 164 186")]
    [InlineData("123456\u00a3", "142 164 186 235 36")]
    [InlineData("AIMAIMAIM", "230 91 11 91 11 91 11 254")]
    [InlineData("A1B2C3D4E5F6G7H8I9J0K1L2", "230 88 88 40 8 107 147 59 67 126 206 78 126 144 121 35 47 254")]
    [InlineData("aimaimaim", "239 91 11 91 11 91 11 254")]
    public void Known_vectors_encode_to_exactly_the_published_codewords(string text, string expected) =>
        Visualize(text).Should().Be(expected);

    [Theory]
    [InlineData("AIMAIAB", 8)]
    [InlineData("AIMAIMAIMA", 8)]
    [InlineData("aimaimaIm", 8)]
    [InlineData("AIMAIMAIMAIMAIMAI", 16)]
    [InlineData("AIMAIMAIMAIMAIMAIMAI", 16)]
    [InlineData("aimaimaim'", 10)]
    [InlineData("aimaimaimB", 10)]
    [InlineData("aimaimaim{txt}\u0004", 16)]
    [InlineData("Hello World!", 12)]
    [InlineData("AIMAIMAIMAIMaimaimaim", 18)]
    [InlineData("aimaimaimaim12345678", 16)]
    [InlineData("CREX-TAN:h", 10)]
    [InlineData("CREX-TAN:hh", 12)]
    [InlineData("*DTCP01", 8)]
    [InlineData("fiykmj*Rh2`,e6", 16)]
    [InlineData("30Q324343430794<OQQ", 12)]
    public void Known_vectors_need_no_more_codewords_than_the_published_encodation(string text, int zxingLength)
    {
        var cw = Codewords(text);
        cw.Length.Should().BeLessThanOrEqualTo(zxingLength);
        DataMatrixDecoder.TryDecodeData(cw, out var back, out _).Should().BeTrue();
        Encoding.Latin1.GetString(back).Should().Be(text);
    }

    [Fact]
    public void The_INS_shaped_vector_fills_a_36x36_symbol_of_86_codewords_like_ZXing()
    {
        var symbol = DataMatrixEncoder.Encode(
            "IS010000000000000000000000S1118058599124123S21.2.250.1.213.1.4.8 S3FIRST NAMETEST S5MS618-06-1985S713201S4LASTNAMETEST");
        symbol.Size.ToString().Should().Be("36x36");
        symbol.DataCodewords.Should().HaveCount(86);
    }

    [Fact]
    public void Padding_starts_with_129_and_continues_with_the_randomised_253_state_pads()
    {
        // ZXing: "AIMAIMAIMAIMAIMAI" ends "... 254 66 74 129 237" in 16 codewords: the pad at position 16 is 237.
        var cw = DataMatrixEncoder.Encode("A", new DataMatrixEncodeOptions { Size = DataMatrixSymbolSize.Find(12, 26) }).DataCodewords;
        cw[0].Should().Be(66);
        cw[1].Should().Be(129);
        cw[15].Should().Be(237);
    }

    [Fact]
    public void Every_encoding_decodes_back_to_its_input_and_is_never_longer_than_plain_ASCII()
    {
        var chars = Gen.OneOf(Gen.Char['A', 'Z'], Gen.Char['0', '9'], Gen.Char['a', 'z'], Gen.Const(' '), Gen.Const('\u001d'), Gen.Char['\0', '\u00ff']);
        chars.Array[0, 80].Select(a => new string(a)).Sample(text =>
        {
            var bytes = Encoding.Latin1.GetBytes(text);
            var symbol = DataMatrixEncoder.Encode(bytes, new DataMatrixEncodeOptions { Shape = DataMatrixShape.Any });
            DataMatrixDecoder.TryDecodeData([.. symbol.DataCodewords], out var back, out var error).Should().BeTrue(error);
            back.Should().Equal(bytes);
            var asciiLength = AsciiLength(bytes);
            var asciiSize = DataMatrixSymbolSize.All.First(s => s.DataCodewords >= asciiLength);
            symbol.Size.DataCodewords.Should().BeLessThanOrEqualTo(asciiSize.DataCodewords);
        }, iter: 400);
    }

    [Fact]
    public void The_chosen_symbol_is_never_larger_than_a_single_C40_or_Text_run_would_need()
    {
        var chars = Gen.OneOf(Gen.Char['A', 'Z'], Gen.Char['0', '9'], Gen.Char['a', 'z'], Gen.Const(' '), Gen.Const('\u001d'), Gen.Const('-'));
        chars.Array[1, 120].Select(a => new string(a)).Sample(text =>
        {
            var symbol = DataMatrixEncoder.Encode(text, new DataMatrixEncodeOptions { Shape = DataMatrixShape.Any });
            foreach (var textMode in new[] { false, true })
            {
                // Values per character, computed here from the C40/Text tables independently of the encoder.
                var values = text.Sum(c => c == ' ' || char.IsAsciiDigit(c) || (textMode ? char.IsAsciiLetterLower(c) : char.IsAsciiLetterUpper(c)) ? 1 : 2);
                if (values % 3 == 1)
                {
                    continue;
                }

                // Latch + packed triples (a trailing pair padded with Shift 1); an unlatch unless the symbol is exactly full.
                var length = 1 + (2 * ((values + 2) / 3));
                var single = DataMatrixSymbolSize.All.FirstOrDefault(s => s.DataCodewords == length || s.DataCodewords >= length + 1);
                if (single is not null)
                {
                    symbol.Size.DataCodewords.Should().BeLessThanOrEqualTo(single.DataCodewords, $"{(textMode ? "Text" : "C40")} alone fits {single}");
                }
            }
        }, iter: 1000);
    }

    private static int AsciiLength(byte[] b)
    {
        var n = 0;
        for (var i = 0; i < b.Length; i++)
        {
            if (i + 1 < b.Length && char.IsAsciiDigit((char)b[i]) && char.IsAsciiDigit((char)b[i + 1]))
            {
                i++;
            }
            else if (b[i] >= 128)
            {
                n++;
            }

            n++;
        }

        return n;
    }
}
