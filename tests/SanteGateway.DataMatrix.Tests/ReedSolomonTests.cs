using SanteGateway.DataMatrix.Ecc200;

namespace SanteGateway.DataMatrix.Tests;

public class ReedSolomonTests
{
    [Fact]
    public void The_error_codewords_of_the_ISO_example_123456_are_the_published_ones()
    {
        // ISO/IEC 16022 annex O: "123456" in a 10x10 symbol: data 142 164 186, check 114 25 5 88 102.
        var ecc = new byte[5];
        ReedSolomon.ComputeEcc([142, 164, 186], ecc);
        ecc.Should().Equal(114, 25, 5, 88, 102);
    }

    [Fact]
    public void Up_to_half_the_error_codewords_are_corrected_at_random_positions()
    {
        Gen.Select(Gen.Int[1, 120], Gen.Int[2, 60], Gen.Int[0, int.MaxValue]).Sample((dataLen, eccLen, seed) =>
        {
            if (dataLen + eccLen > 255)
            {
                return;
            }

            var rnd = new Random(seed);
            var data = new byte[dataLen];
            rnd.NextBytes(data);
            var block = new byte[dataLen + eccLen];
            data.CopyTo(block, 0);
            ReedSolomon.ComputeEcc(data, block.AsSpan(dataLen));
            var original = (byte[])block.Clone();
            var errors = rnd.Next(0, (eccLen / 2) + 1);
            var positions = Enumerable.Range(0, block.Length).OrderBy(_ => rnd.Next()).Take(errors).ToArray();
            foreach (var p in positions)
            {
                block[p] ^= (byte)rnd.Next(1, 256);
            }

            ReedSolomon.TryCorrect(block, eccLen, out var corrected).Should().BeTrue();
            corrected.Should().Be(errors);
            block.Should().Equal(original);
        }, iter: 300);
    }

    [Fact]
    public void More_errors_than_the_code_can_correct_are_reported_or_never_silently_accepted_as_the_original()
    {
        var rnd = new Random(7);
        var failures = 0;
        for (var t = 0; t < 200; t++)
        {
            var data = new byte[30];
            rnd.NextBytes(data);
            var block = new byte[40];
            data.CopyTo(block, 0);
            ReedSolomon.ComputeEcc(data, block.AsSpan(30));
            var original = (byte[])block.Clone();
            foreach (var p in Enumerable.Range(0, 40).OrderBy(_ => rnd.Next()).Take(8))
            {
                block[p] ^= (byte)rnd.Next(1, 256);
            }

            if (!ReedSolomon.TryCorrect(block, 10, out _))
            {
                failures++;
            }

            block.Should().NotEqual(original);
        }

        failures.Should().BeGreaterThan(150, "8 errors exceed the 5 a 10-codeword code corrects; most must be detected");
    }
}
