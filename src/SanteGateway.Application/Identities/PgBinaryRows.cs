using System.Buffers.Binary;
using System.Text;
using Npgsql;

namespace SanteGateway.Application;

/// <summary>
/// Rows of a <c>COPY … FROM STDIN (FORMAT BINARY)</c> encoded here, straight into a byte buffer, and sent through Npgsql's
/// raw COPY stream: the bulk import writes about 35 values per identity, and <see cref="NpgsqlBinaryImporter"/>'s per-value
/// path (a typed parameter bound, sized and written for each value) was the largest item of the client's COPY cost.
/// The format is PostgreSQL's (<c>PGCOPY</c> signature, per row a 16-bit field count, per field a 32-bit length or -1 for
/// NULL, then the value in the type's binary send form, big-endian); the server receives exactly what the importer sent.
/// Only the types the import writes: <c>uuid</c>, text (<c>varchar</c>/<c>text</c>, UTF-8), <c>date</c>, <c>boolean</c>,
/// <c>integer</c>, <c>bigint</c>, <c>timestamptz</c>.
/// </summary>
internal sealed class PgBinaryRows : IAsyncDisposable
{
    // Strict UTF-8, as Npgsql's own: a lone surrogate fails the load instead of being stored as U+FFFD.
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private static readonly long PgEpochTicks = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;
    private static readonly int PgEpochDay = new DateOnly(2000, 1, 1).DayNumber;
    private readonly List<(byte[] Block, int Used)>? held;
    private NpgsqlRawCopyStream? stream;
    private byte[] buffer = new byte[64 * 1024];
    private int used;
    private bool ended;

    // The binary COPY signature, then no flags and no header extension.
    private static ReadOnlySpan<byte> Header => [(byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', (byte)'\n', 0xFF, (byte)'\r', (byte)'\n', 0, 0, 0, 0, 0, 0, 0, 0, 0];

    private PgBinaryRows(NpgsqlRawCopyStream? stream)
    {
        this.stream = stream;
        held = stream is null ? [] : null;
        Header.CopyTo(buffer);
        used = Header.Length;
    }

    /// <summary>Starts <paramref name="copyCommand"/> (<c>COPY table (columns) FROM STDIN (FORMAT BINARY)</c>).</summary>
    public static async Task<PgBinaryRows> BeginAsync(NpgsqlConnection connection, string copyCommand, CancellationToken ct) =>
        new(await connection.BeginRawBinaryCopyAsync(copyCommand, ct).ConfigureAwait(false));

    /// <summary>
    /// Rows encoded now and sent later by <see cref="SendAsync"/> (the import's INS and partner-id rows, which follow their
    /// identities' COPY): held as bytes, they are nothing for the garbage collector to trace or copy, where the same rows
    /// held as objects (strings each) until the segment's end survived several collections.
    /// </summary>
    public static PgBinaryRows Deferred() => new(null);

    /// <summary>Whether a <see cref="Deferred"/> encoder holds no row.</summary>
    public bool IsEmpty => held is { Count: 0 } && used == Header.Length;

    /// <summary>Starts <paramref name="copyCommand"/> and sends what a <see cref="Deferred"/> encoder holds, then completes the COPY.</summary>
    public async Task SendAsync(NpgsqlConnection connection, string copyCommand, CancellationToken ct)
    {
        stream = await connection.BeginRawBinaryCopyAsync(copyCommand, ct).ConfigureAwait(false);
        try
        {
            foreach (var (block, n) in held!)
            {
                await stream.WriteAsync(block.AsMemory(0, n), ct).ConfigureAwait(false);
            }

            held.Clear();
            await CompleteAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            await DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The value of a <c>timestamptz</c> field (microseconds since 2000-01-01 UTC), to compute once for a constant.</summary>
    public static long Timestamp(DateTimeOffset value) => (value.UtcTicks - PgEpochTicks) / TimeSpan.TicksPerMicrosecond;

    /// <summary>Starts a row of <paramref name="fields"/> fields (each row must then write exactly that many).</summary>
    public void StartRow(short fields)
    {
        Room(2);
        BinaryPrimitives.WriteInt16BigEndian(buffer.AsSpan(used), fields);
        used += 2;
    }

    public void Uuid(Guid value)
    {
        Room(20);
        var span = buffer.AsSpan(used);
        BinaryPrimitives.WriteInt32BigEndian(span, 16);
        value.TryWriteBytes(span[4..], bigEndian: true, out _);
        used += 20;
    }

    public void Text(string? value)
    {
        if (value is null)
        {
            Null();
            return;
        }

        Room(4 + Utf8.GetMaxByteCount(value.Length));
        var length = Utf8.GetBytes(value, buffer.AsSpan(used + 4));
        BinaryPrimitives.WriteInt32BigEndian(buffer.AsSpan(used), length);
        used += 4 + length;
    }

    /// <summary>A <c>date</c>: its send form is a 32-bit day count from 2000-01-01, framed as an integer's.</summary>
    public void Date(DateOnly value) => Int32(value.DayNumber - PgEpochDay);

    public void Bool(bool value)
    {
        Room(5);
        var span = buffer.AsSpan(used);
        BinaryPrimitives.WriteInt32BigEndian(span, 1);
        span[4] = value ? (byte)1 : (byte)0;
        used += 5;
    }

    public void Int32(int value)
    {
        Room(8);
        var span = buffer.AsSpan(used);
        BinaryPrimitives.WriteInt32BigEndian(span, 4);
        BinaryPrimitives.WriteInt32BigEndian(span[4..], value);
        used += 8;
    }

    public void Int64(long value)
    {
        Room(12);
        var span = buffer.AsSpan(used);
        BinaryPrimitives.WriteInt32BigEndian(span, 8);
        BinaryPrimitives.WriteInt64BigEndian(span[4..], value);
        used += 12;
    }

    /// <summary>A <c>timestamptz</c> given as <see cref="Timestamp(DateTimeOffset)"/>.</summary>
    public void TimestampMicros(long value) => Int64(value);

    public void Null()
    {
        Room(4);
        BinaryPrimitives.WriteInt32BigEndian(buffer.AsSpan(used), -1);
        used += 4;
    }

    /// <summary>Ends the COPY normally: the server stores the rows (its errors surface here).</summary>
    public async Task CompleteAsync(CancellationToken ct)
    {
        Room(2);
        BinaryPrimitives.WriteInt16BigEndian(buffer.AsSpan(used), -1);
        used += 2;
        await stream!.WriteAsync(buffer.AsMemory(0, used), ct).ConfigureAwait(false);
        used = 0;
        ended = true;
        await stream.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Fails the COPY (a load that stopped half-way; the transaction rolls back anyway).</summary>
    public void Cancel()
    {
        if (!ended)
        {
            ended = true;
            stream?.Cancel();
        }
    }

    /// <summary>Cancels an unfinished COPY (disposing the raw stream would end it normally).</summary>
    public async ValueTask DisposeAsync()
    {
        if (!ended)
        {
            ended = true;
            if (stream is not null)
            {
                await stream.CancelAsync().ConfigureAwait(false);
            }
        }
    }

    private void Room(int bytes)
    {
        if (used + bytes <= buffer.Length)
        {
            return;
        }

        if (held is not null)
        {
            held.Add((buffer, used));
            buffer = new byte[buffer.Length];
        }
        else
        {
            // Synchronous: the raw stream writes to the socket buffer; awaiting per 64 KB cost more than it saved.
            stream!.Write(buffer, 0, used);
        }

        used = 0;
        if (bytes > buffer.Length)
        {
            throw new InvalidOperationException("A COPY field is larger than the row buffer.");
        }
    }
}
