namespace SanteGateway.DataMatrix.Ecc200;

/// <summary>
/// Minimal high-level encodation over ASCII (digit pairs, upper shift), C40 and Text (ISO/IEC 16022 §5.2), chosen
/// by dynamic programming over (position, mode) states, followed by the end-of-data rules and padding.
/// </summary>
internal static class Encodation
{
    public const byte LatchC40 = 230;
    public const byte LatchText = 239;
    public const byte Unlatch = 254;
    public const byte UpperShift = 235;
    public const byte Pad = 129;

    private const int Ascii = 0;
    private const int C40 = 1;
    private const int Text = 2;
    private const int Modes = 3;

    /// <summary>How the codeword stream ends; decides which symbol capacities it fits.</summary>
    private enum Ending
    {
        /// <summary>Ends in ASCII: fits any capacity ≥ length.</summary>
        Ascii,

        /// <summary>Ends in C40/Text at a triple boundary: exact fill, or one more codeword for the unlatch.</summary>
        TripleBoundary,

        /// <summary>Ends with two C40/Text values padded by Shift 1: exact fill, or one more for the unlatch.</summary>
        PaddedPair,

        /// <summary>The last data is one ASCII codeword after C40/Text, unlatch implied: exact fill only.</summary>
        ImpliedUnlatch,
    }

    private readonly record struct Candidate(int Length, Ending Ending, int Mode, int Position);

    /// <summary>Encodes <paramref name="data"/> into the data codewords of the smallest fitting size, padded.</summary>
    /// <exception cref="ArgumentException">The data does not fit any allowed size.</exception>
    public static (byte[] Codewords, DataMatrixSymbolSize Size) Encode(ReadOnlySpan<byte> data, IReadOnlyList<DataMatrixSymbolSize> sizes)
    {
        var n = data.Length;
        var cost = new int[(n + 1) * Modes];
        var from = new int[(n + 1) * Modes];
        Array.Fill(cost, int.MaxValue);
        cost[Ascii] = 0;
        from[Ascii] = -1;
        Span<byte> values = stackalloc byte[8];

        // Number of C40 and Text values of each byte, computed once: the searches below revisit bytes many times.
        var counts = new byte[2 * n];
        for (var k = 0; k < n; k++)
        {
            counts[k] = (byte)CharValues(data[k], C40, values);
            counts[n + k] = (byte)CharValues(data[k], Text, values);
        }

        for (var i = 0; i <= n; i++)
        {
            // Same-position moves: unlatches first, then latches from the improved ASCII state.
            for (var m = C40; m <= Text; m++)
            {
                Relax(cost, from, i, m, i, Ascii, 1);
            }

            for (var m = C40; m <= Text; m++)
            {
                Relax(cost, from, i, Ascii, i, m, 1);
            }

            if (i == n)
            {
                break;
            }

            if (cost[(i * Modes) + Ascii] != int.MaxValue)
            {
                if (i + 1 < n && IsDigit(data[i]) && IsDigit(data[i + 1]))
                {
                    Relax(cost, from, i, Ascii, i + 2, Ascii, 1);
                }

                Relax(cost, from, i, Ascii, i + 1, Ascii, data[i] >= 128 ? 2 : 1);
            }

            for (var m = C40; m <= Text; m++)
            {
                if (cost[(i * Modes) + m] == int.MaxValue)
                {
                    continue;
                }

                var v = 0;
                for (var k = i; k < n; k++)
                {
                    v += counts[((m - 1) * n) + k];
                    if (v % 3 == 0)
                    {
                        Relax(cost, from, i, m, k + 1, m, 2 * v / 3);
                        break;
                    }
                }
            }
        }

        var candidates = new List<Candidate>(8);
        AddCandidates(data, cost, candidates, counts);
        foreach (var size in sizes)
        {
            var cap = size.DataCodewords;
            Candidate? best = null;
            foreach (var c in candidates)
            {
                if (Fits(c, cap) && (best is null || c.Length < best.Value.Length))
                {
                    best = c;
                }
            }

            if (best is { } chosen)
            {
                return (Emit(data, from, chosen, cap), size);
            }
        }

        var shortest = candidates.Min(c => c.Length);
        throw new ArgumentException(
            $"the data needs at least {shortest} codewords; the largest allowed symbol ({sizes[^1]}) holds {sizes[^1].DataCodewords}",
            nameof(data));
    }

    private static bool Fits(Candidate c, int cap) => c.Ending switch
    {
        Ending.Ascii => cap >= c.Length,
        Ending.TripleBoundary or Ending.PaddedPair => cap == c.Length || cap >= c.Length + 1,
        _ => cap == c.Length,
    };

    private static void AddCandidates(ReadOnlySpan<byte> data, int[] cost, List<Candidate> candidates, byte[] counts)
    {
        var n = data.Length;
        if (cost[(n * Modes) + Ascii] != int.MaxValue)
        {
            candidates.Add(new(cost[(n * Modes) + Ascii], Ending.Ascii, Ascii, n));
        }

        for (var m = C40; m <= Text; m++)
        {
            if (cost[(n * Modes) + m] != int.MaxValue)
            {
                candidates.Add(new(cost[(n * Modes) + m], Ending.TripleBoundary, m, n));
            }

            for (var i = 0; i < n; i++)
            {
                var c = cost[(i * Modes) + m];
                if (c == int.MaxValue)
                {
                    continue;
                }

                var v = 0;
                var boundary = false;
                for (var k = i; k < n; k++)
                {
                    v += counts[((m - 1) * n) + k];
                    if (v % 3 == 0)
                    {
                        boundary = true;
                        break;
                    }
                }

                if (!boundary && v % 3 == 2)
                {
                    candidates.Add(new(c + (2 * (v + 1) / 3), Ending.PaddedPair, m, i));
                }

                var rest = n - i;
                if ((rest == 1 && data[i] < 128) || (rest == 2 && IsDigit(data[i]) && IsDigit(data[i + 1])))
                {
                    candidates.Add(new(c + 1, Ending.ImpliedUnlatch, m, i));
                }
            }
        }
    }

    private static byte[] Emit(ReadOnlySpan<byte> data, int[] from, Candidate chosen, int capacity)
    {
        var output = new byte[capacity];
        var len = 0;

        // Walk the back-pointers from the chosen state to the start, then replay forwards.
        var path = new List<int>();
        for (var s = (chosen.Position * Modes) + chosen.Mode; s >= 0; s = from[s])
        {
            path.Add(s);
        }

        path.Reverse();
        Span<byte> values = stackalloc byte[8];
        Span<byte> pending = stackalloc byte[4 * (data.Length + 2)];
        for (var p = 1; p < path.Count; p++)
        {
            int si = path[p - 1] / Modes, sm = path[p - 1] % Modes, ti = path[p] / Modes, tm = path[p] % Modes;
            if (si == ti)
            {
                output[len++] = tm == C40 ? LatchC40 : tm == Text ? LatchText : Unlatch;
            }
            else if (sm == Ascii)
            {
                len = EmitAscii(data, si, ti, output, len);
            }
            else
            {
                var pv = 0;
                for (var k = si; k < ti; k++)
                {
                    var count = CharValues(data[k], sm, values);
                    values[..count].CopyTo(pending[pv..]);
                    pv += count;
                }

                len = PackTriples(pending[..pv], output, len);
            }
        }

        switch (chosen.Ending)
        {
            case Ending.TripleBoundary when len < capacity:
                output[len++] = Unlatch;
                break;
            case Ending.PaddedPair:
                {
                    var pv = 0;
                    for (var k = chosen.Position; k < data.Length; k++)
                    {
                        var count = CharValues(data[k], chosen.Mode, values);
                        values[..count].CopyTo(pending[pv..]);
                        pv += count;
                    }

                    pending[pv++] = 0; // Shift 1 as filler for the last triple.
                    len = PackTriples(pending[..pv], output, len);
                    if (len < capacity)
                    {
                        output[len++] = Unlatch;
                    }

                    break;
                }

            case Ending.ImpliedUnlatch:
                len = EmitAscii(data, chosen.Position, data.Length, output, len);
                break;
        }

        if (len < capacity)
        {
            output[len++] = Pad;
        }

        while (len < capacity)
        {
            output[len] = RandomisedPad(len + 1);
            len++;
        }

        return output;
    }

    /// <summary>The 253-state randomised pad for the codeword at 1-based position <paramref name="position"/>.</summary>
    public static byte RandomisedPad(int position)
    {
        var r = (149 * position % 253) + 1;
        var v = Pad + r;
        return (byte)(v <= 254 ? v : v - 254);
    }

    private static int EmitAscii(ReadOnlySpan<byte> data, int start, int end, byte[] output, int len)
    {
        var k = start;
        while (k < end)
        {
            if (k + 1 < end && IsDigit(data[k]) && IsDigit(data[k + 1]))
            {
                output[len++] = (byte)(130 + ((data[k] - '0') * 10) + (data[k + 1] - '0'));
                k += 2;
            }
            else if (data[k] >= 128)
            {
                output[len++] = UpperShift;
                output[len++] = (byte)(data[k] - 128 + 1);
                k++;
            }
            else
            {
                output[len++] = (byte)(data[k] + 1);
                k++;
            }
        }

        return len;
    }

    private static int PackTriples(ReadOnlySpan<byte> v, byte[] output, int len)
    {
        for (var t = 0; t + 2 < v.Length; t += 3)
        {
            var packed = (1600 * v[t]) + (40 * v[t + 1]) + v[t + 2] + 1;
            output[len++] = (byte)(packed >> 8);
            output[len++] = (byte)(packed & 0xFF);
        }

        return len;
    }

    private static void Relax(int[] cost, int[] from, int i, int m, int j, int mj, int add)
    {
        var c = cost[(i * Modes) + m];
        if (c == int.MaxValue)
        {
            return;
        }

        if (c + add < cost[(j * Modes) + mj])
        {
            cost[(j * Modes) + mj] = c + add;
            from[(j * Modes) + mj] = (i * Modes) + m;
        }
    }

    private static bool IsDigit(byte b) => b is >= (byte)'0' and <= (byte)'9';

    /// <summary>Writes the C40 or Text values of one byte and returns how many (1 to 4).</summary>
    internal static int CharValues(byte ch, int mode, Span<byte> values)
    {
        var n = 0;
        if (ch >= 128)
        {
            values[n++] = 1; // Shift 2
            values[n++] = 30; // Upper Shift
            ch -= 128;
        }

        if (ch == ' ')
        {
            values[n++] = 3;
        }
        else if (IsDigit(ch))
        {
            values[n++] = (byte)(ch - '0' + 4);
        }
        else if (ch is >= (byte)'A' and <= (byte)'Z')
        {
            if (mode == C40)
            {
                values[n++] = (byte)(ch - 'A' + 14);
            }
            else
            {
                values[n++] = 2;
                values[n++] = (byte)(ch - 'A' + 1);
            }
        }
        else if (ch is >= (byte)'a' and <= (byte)'z')
        {
            if (mode == Text)
            {
                values[n++] = (byte)(ch - 'a' + 14);
            }
            else
            {
                values[n++] = 2;
                values[n++] = (byte)(ch - 'a' + 1);
            }
        }
        else if (ch < 32)
        {
            values[n++] = 0;
            values[n++] = ch;
        }
        else if (ch is >= 33 and <= 47)
        {
            values[n++] = 1;
            values[n++] = (byte)(ch - 33);
        }
        else if (ch is >= 58 and <= 64)
        {
            values[n++] = 1;
            values[n++] = (byte)(ch - 58 + 15);
        }
        else if (ch is >= 91 and <= 95)
        {
            values[n++] = 1;
            values[n++] = (byte)(ch - 91 + 22);
        }
        else if (ch == 96)
        {
            values[n++] = 2;
            values[n++] = 0;
        }
        else
        {
            // 123..127: Shift 3 positions 27..31 in both C40 and Text.
            values[n++] = 2;
            values[n++] = (byte)(ch - 123 + 27);
        }

        return n;
    }
}
