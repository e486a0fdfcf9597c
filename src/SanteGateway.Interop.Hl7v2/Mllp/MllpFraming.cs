using System.Buffers;
using System.Globalization;

namespace SanteGateway.Interop.Hl7v2.Mllp;

/// <summary>MLLP framing: <c>0x0B</c> message <c>0x1C 0x0D</c>.</summary>
public static class MllpFraming
{
    /// <summary>Start block.</summary>
    public const byte StartBlock = 0x0B;

    /// <summary>End block.</summary>
    public const byte EndBlock = 0x1C;

    /// <summary>Carriage return that follows the end block.</summary>
    public const byte CarriageReturn = 0x0D;

    /// <summary>Default largest frame accepted: 16 MiB.</summary>
    public const int DefaultMaxFrameBytes = 16 * 1024 * 1024;

    /// <summary>Wraps a message in an MLLP frame.</summary>
    /// <param name="message">The message bytes.</param>
    /// <returns>The frame.</returns>
    public static byte[] Frame(ReadOnlySpan<byte> message)
    {
        var frame = new byte[message.Length + 3];
        frame[0] = StartBlock;
        message.CopyTo(frame.AsSpan(1));
        frame[^2] = EndBlock;
        frame[^1] = CarriageReturn;
        return frame;
    }
}

/// <summary>A frame larger than the configured limit: the connection cannot be trusted further and is closed.</summary>
public sealed class MllpFrameTooLargeException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="limit">The limit in bytes.</param>
    public MllpFrameTooLargeException(int limit)
        : base(string.Create(CultureInfo.InvariantCulture, $"The MLLP frame exceeds {limit} bytes."))
    {
        Limit = limit;
    }

    /// <summary>The limit in bytes.</summary>
    public int Limit { get; }
}

/// <summary>Reads MLLP frames from a stream, with a bounded size. Bytes outside frames (stray line feeds) are skipped.</summary>
public sealed class MllpFrameReader
{
    private readonly Stream _stream;
    private readonly int _maxFrameBytes;
    private readonly byte[] _buffer = new byte[16 * 1024];
    private int _start;
    private int _end;

    /// <summary>Reads frames from <paramref name="stream"/>.</summary>
    /// <param name="stream">The connection.</param>
    /// <param name="maxFrameBytes">Largest message accepted.</param>
    public MllpFrameReader(Stream stream, int maxFrameBytes = MllpFraming.DefaultMaxFrameBytes)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFrameBytes, 1);
        _stream = stream;
        _maxFrameBytes = maxFrameBytes;
    }

    /// <summary>Reads the next frame's content.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The message bytes, or null when the peer closed the connection between frames.</returns>
    /// <exception cref="MllpFrameTooLargeException">The frame is larger than the limit.</exception>
    /// <exception cref="EndOfStreamException">The peer closed the connection inside a frame.</exception>
    public async ValueTask<byte[]?> ReadFrameAsync(CancellationToken cancellationToken = default)
    {
        // Find the start block.
        while (true)
        {
            var idx = _buffer.AsSpan(_start, _end - _start).IndexOf(MllpFraming.StartBlock);
            if (idx >= 0)
            {
                _start += idx + 1;
                break;
            }

            _start = _end = 0;
            if (!await FillAsync(cancellationToken).ConfigureAwait(false))
            {
                return null;
            }
        }

        var content = new ArrayBufferWriter<byte>(Math.Min(_maxFrameBytes, 4096));
        while (true)
        {
            var span = _buffer.AsSpan(_start, _end - _start);
            var eb = span.IndexOf(MllpFraming.EndBlock);
            if (eb >= 0 && eb + 1 < span.Length)
            {
                if (span[eb + 1] == MllpFraming.CarriageReturn)
                {
                    Append(content, span[..eb]);
                    _start += eb + 2;
                    return content.WrittenSpan.ToArray();
                }

                // 0x1C not followed by CR: content (lenient), go on after it.
                Append(content, span[..(eb + 1)]);
                _start += eb + 1;
                continue;
            }

            // Keep a trailing 0x1C in the buffer until the next byte arrives.
            var take = eb >= 0 ? eb : span.Length;
            Append(content, span[..take]);
            _start += take;
            if (_end - _start > 0)
            {
                // Only the 0x1C remains: move it to the front.
                _buffer[0] = _buffer[_start];
                _start = 0;
                _end = 1;
            }
            else
            {
                _start = _end = 0;
            }

            if (!await FillAsync(cancellationToken).ConfigureAwait(false))
            {
                throw new EndOfStreamException("The MLLP peer closed the connection inside a frame.");
            }
        }
    }

    private void Append(ArrayBufferWriter<byte> content, ReadOnlySpan<byte> bytes)
    {
        if (content.WrittenCount + bytes.Length > _maxFrameBytes)
        {
            throw new MllpFrameTooLargeException(_maxFrameBytes);
        }

        content.Write(bytes);
    }

    private async ValueTask<bool> FillAsync(CancellationToken cancellationToken)
    {
        var n = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
        if (n == 0)
        {
            return false;
        }

        _end += n;
        return true;
    }
}
