using System.Text;

namespace SanteGateway.DataMatrix.Tests;

public class SymbolTests
{
    public static TheoryData<int, int> AllSizes()
    {
        var data = new TheoryData<int, int>();
        foreach (var s in DataMatrixSymbolSize.All)
        {
            data.Add(s.Rows, s.Columns);
        }

        return data;
    }

    private static string FillerFor(DataMatrixSymbolSize size)
    {
        // Mixed text that exercises C40, Text and ASCII and nearly fills the symbol.
        var sb = new StringBuilder();
        var pieces = new[] { "PAT-TROIS ", "1979", "dominique", "\u001d", "S3", "12" };
        var i = 0;
        while (true)
        {
            var next = sb + pieces[i % pieces.Length];
            try
            {
                DataMatrixEncoder.Encode(next, new DataMatrixEncodeOptions { Size = size });
            }
            catch (ArgumentException)
            {
                return sb.ToString();
            }

            sb.Append(pieces[i % pieces.Length]);
            i++;
        }
    }

    [Theory]
    [MemberData(nameof(AllSizes))]
    public void Every_symbol_size_round_trips_through_our_decoder(int rows, int columns)
    {
        var size = DataMatrixSymbolSize.Find(rows, columns)!;
        var text = FillerFor(size);
        var symbol = DataMatrixEncoder.Encode(text, new DataMatrixEncodeOptions { Size = size });
        symbol.Modules.Rows.Should().Be(rows);
        symbol.Modules.Columns.Should().Be(columns);
        DataMatrixDecoder.TryDecode(symbol.Modules, out var result, out var error).Should().BeTrue(error);
        result!.Text.Should().Be(text);
        result.CorrectedCodewords.Should().Be(0);
    }

    [Theory]
    [MemberData(nameof(AllSizes))]
    public void Every_symbol_size_survives_damaged_modules_within_the_correction_capacity(int rows, int columns)
    {
        var size = DataMatrixSymbolSize.Find(rows, columns)!;
        var text = FillerFor(size);
        var symbol = DataMatrixEncoder.Encode(text, new DataMatrixEncodeOptions { Size = size });
        var damaged = symbol.Modules.Clone();

        // Flip one module in each of a few distinct data-region rows, at most (ecc per block / 2) / 2 codewords
        // per block are hit even in the worst interleaving.
        var rnd = new Random(rows * 1000 + columns);
        var flips = Math.Max(1, size.ErrorCodewordsPerBlock / 4);
        for (var f = 0; f < flips; f++)
        {
            var r = 1 + rnd.Next(size.DataRegionHeight);
            var c = 1 + rnd.Next(size.DataRegionWidth);
            damaged.Flip(r, c);
        }

        DataMatrixDecoder.TryDecode(damaged, out var result, out var error).Should().BeTrue(error);
        result!.Text.Should().Be(text);
        result.CorrectedCodewords.Should().BeGreaterThan(0);
    }

    [Fact]
    public void The_144x144_symbol_interleaves_ten_blocks_of_156_and_155_data_codewords()
    {
        var size = DataMatrixSymbolSize.Find(144, 144)!;
        size.BlockCount.Should().Be(10);
        Enumerable.Range(0, 10).Select(size.DataCodewordsInBlock).Should().Equal(156, 156, 156, 156, 156, 156, 156, 156, 155, 155);
        size.ErrorCodewordsPerBlock.Should().Be(62);
    }

    [Fact]
    public void There_are_24_square_and_6_rectangular_sizes()
    {
        DataMatrixSymbolSize.Square.Should().HaveCount(24);
        DataMatrixSymbolSize.Rectangular.Should().HaveCount(6);
        DataMatrixSymbolSize.Square.Select(s => s.Rows).Should().BeInAscendingOrder();
    }

    [Fact]
    public void The_ISO_123456_example_gives_the_expected_10x10_symbol()
    {
        var symbol = DataMatrixEncoder.Encode("123456");
        symbol.Size.ToString().Should().Be("10x10");

        // Finder: solid left column and bottom row, alternating top row and right column.
        var m = symbol.Modules;
        for (var i = 0; i < 10; i++)
        {
            m[i, 0].Should().BeTrue();
            m[9, i].Should().BeTrue();
            m[0, i].Should().Be(i % 2 == 0);
        }

        for (var r = 0; r < 9; r++)
        {
            m[r, 9].Should().Be(r % 2 == 1);
        }
    }

    [Fact]
    public void Data_that_does_not_fit_is_refused_with_the_needed_and_available_codewords()
    {
        var act = () => DataMatrixEncoder.Encode(new string('x', 80), new DataMatrixEncodeOptions { Shape = DataMatrixShape.Rectangle });
        act.Should().Throw<ArgumentException>().WithMessage("*16x48*49*");
    }

    [Fact]
    public void The_largest_symbol_takes_3116_digits_and_longer_input_is_refused_up_front()
    {
        DataMatrixEncoder.Encode(new string('7', 3116)).Size.ToString().Should().Be("144x144");
        var act = () => DataMatrixEncoder.Encode(new string('7', 1_000_000));
        act.Should().Throw<ArgumentException>().WithMessage("*1000000 bytes*");
    }

    [Fact]
    public void A_matrix_without_finder_pattern_is_refused_as_not_a_symbol()
    {
        var symbol = DataMatrixEncoder.Encode("PAT-TROIS");
        var inverted = new BitMatrix(symbol.Size.Rows, symbol.Size.Columns);
        for (var r = 0; r < inverted.Rows; r++)
        {
            for (var c = 0; c < inverted.Columns; c++)
            {
                inverted[r, c] = !symbol.Modules[r, c];
            }
        }

        DataMatrixDecoder.TryDecode(inverted, out _, out var error).Should().BeFalse();
        error.Should().Contain("finder");
    }

    [Fact]
    public void Hostile_module_matrices_never_crash_the_decoder()
    {
        Gen.Select(Gen.Int[0, DataMatrixSymbolSize.All.Count - 1], Gen.Int[0, int.MaxValue]).Sample((i, seed) =>
        {
            var size = DataMatrixSymbolSize.All[i];
            var rnd = new Random(seed);
            var m = new BitMatrix(size.Rows, size.Columns);
            for (var r = 0; r < size.Rows; r++)
            {
                for (var c = 0; c < size.Columns; c++)
                {
                    m[r, c] = rnd.Next(2) == 1;
                }
            }

            DataMatrixDecoder.TryDecode(m, out _, out _);
        }, iter: 200);
    }

    [Fact]
    public void Hostile_data_codewords_never_crash_the_data_decoder()
    {
        Gen.Byte.Array[0, 300].Sample(cw => { DataMatrixDecoder.TryDecodeData(cw, out _, out _); }, iter: 2000);
    }
}
