using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;

namespace SanteGateway.Store.Audit;

/// <summary>Where the audit chain is anchored outside the database (configuration section <c>Gateway:Audit</c>).</summary>
public sealed class AuditCheckpointOptions
{
    /// <summary>The append-only checkpoint file (one signed JSON line per checkpoint); put it on another disk or host.</summary>
    public string CheckpointPath { get; set; } = "";

    /// <summary>The ECDSA P-256 signing key (PEM, 600, in a 700 folder); created on first use. Never in the database.</summary>
    public string SigningKeyPath { get; set; } = "";

    /// <summary>A checkpoint at least every this many events.</summary>
    public int EveryEvents { get; set; } = 100;

    /// <summary>A checkpoint at least this often while events arrive.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Default paths next to (not inside) the database: <c>DATA/audit-checkpoints</c> and <c>DATA/audit-key</c>.</summary>
    public static AuditCheckpointOptions InDataFolder(string dataDirectory) => new()
    {
        CheckpointPath = Path.Combine(dataDirectory, "audit-checkpoints", "checkpoints.jsonl"),
        SigningKeyPath = Path.Combine(dataDirectory, "audit-key", "checkpoint-signing-key.pem"),
    };
}

/// <summary>One signed statement "the chain had <see cref="Sequence"/> events ending with <see cref="Hash"/> at <see cref="Time"/>".</summary>
/// <param name="Number">Position in the checkpoint file (1, 2, ...).</param>
/// <param name="Sequence">Chain head sequence.</param>
/// <param name="Hash">Chain head hash.</param>
/// <param name="Time">When the checkpoint was taken (UTC).</param>
/// <param name="Previous">SHA-256 of the previous checkpoint line (64 zeros for the first): deleting a line breaks the link.</param>
/// <param name="Signature">ECDSA P-256/SHA-256 signature (IEEE P1363, base64) of <see cref="Payload"/>.</param>
public sealed record AuditCheckpoint(long Number, long Sequence, string Hash, DateTimeOffset Time, string Previous, string Signature)
{
    /// <summary>The signed bytes.</summary>
    public byte[] Payload() => Encoding.UTF8.GetBytes(string.Join('|', "santegw-audit-checkpoint-v1",
        Number.ToString(CultureInfo.InvariantCulture), Sequence.ToString(CultureInfo.InvariantCulture), Hash,
        Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture), Previous));

    /// <summary>The file line.</summary>
    public string ToLine() => JsonSerializer.Serialize(new Line(Number, Sequence, Hash,
        Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture), Previous, Signature));

    /// <summary>Parses a file line; null when it is not a checkpoint.</summary>
    public static AuditCheckpoint? Parse(string line)
    {
        try
        {
            var l = JsonSerializer.Deserialize<Line>(line);
            return l is null || l.hash is null || l.prev is null || l.sig is null
                || !DateTimeOffset.TryParse(l.time, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t)
                ? null
                : new AuditCheckpoint(l.n, l.seq, l.hash, t, l.prev, l.sig);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>SHA-256 (hex) of a line's text, the link the next checkpoint carries.</summary>
    public static string LineHash(string line) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(line)));

#pragma warning disable IDE1006, SA1300 // JSON field names of the file format.
    private sealed record Line(long n, long seq, string? hash, string? time, string? prev, string? sig);
#pragma warning restore IDE1006, SA1300
}

/// <summary>
/// Writes and checks the external anchors of the audit chain, in the manner of Certificate Transparency's signed tree
/// heads: the database alone can no longer be rewritten consistently, because the checkpoints were signed with a key the
/// database does not hold and appended (fsync) to a file the database does not hold.
/// </summary>
public static class AuditCheckpoints
{
    /// <summary>Loads the signing key, creating it (folder 700, file 600) on first use.</summary>
    public static ECDsa LoadOrCreateKey(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (File.Exists(path))
        {
            var existing = ECDsa.Create();
            existing.ImportFromPem(File.ReadAllText(path));
            return existing;
        }

        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        PrivateDirectory(dir);
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pem = key.ExportPkcs8PrivateKeyPem();
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(path, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(pem);
        }

        return key;
    }

    /// <summary>Loads a verification key: a private key PEM (the signing key) or a public key PEM.</summary>
    public static ECDsa LoadVerificationKey(string path)
    {
        var key = ECDsa.Create();
        key.ImportFromPem(File.ReadAllText(path));
        return key;
    }

    /// <summary>Reads the checkpoint file (empty when it does not exist): each line with its parsed checkpoint (null if unreadable).</summary>
    public static IReadOnlyList<(string Line, AuditCheckpoint? Checkpoint)> Read(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var lines = new List<(string, AuditCheckpoint?)>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0)
            {
                lines.Add((line, AuditCheckpoint.Parse(line)));
            }
        }

        return lines;
    }

    /// <summary>
    /// Appends a checkpoint of the current chain head unless the last checkpoint already covers it. The file is held
    /// exclusively while its last line is read and the new one appended and fsynced, so several instances may share it.
    /// Returns the checkpoint written, or null when there was nothing new.
    /// </summary>
    public static async Task<AuditCheckpoint?> WriteAsync(GatewayDbContext db, AuditCheckpointOptions options, ECDsa key, TimeProvider clock, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(clock);
        var head = await db.AuditChainHeads.AsNoTracking().SingleAsync(h => h.Id == 1, ct).ConfigureAwait(false);
        PrivateDirectory(Path.GetDirectoryName(Path.GetFullPath(options.CheckpointPath))!);
        await using var stream = await OpenExclusiveAsync(options.CheckpointPath, ct).ConfigureAwait(false);
        var (lastLine, last) = ReadLast(stream);
        if (last is not null && last.Sequence >= head.LastSequence)
        {
            return null;
        }

        var unsigned = new AuditCheckpoint((last?.Number ?? 0) + 1, head.LastSequence, head.LastHash, AuditHasher.Truncate(clock.GetUtcNow()),
            lastLine is null ? AuditHasher.Genesis : AuditCheckpoint.LineHash(lastLine), "");
        var checkpoint = unsigned with { Signature = Convert.ToBase64String(key.SignData(unsigned.Payload(), HashAlgorithmName.SHA256)) };
        stream.Seek(0, SeekOrigin.End);
        var bytes = Encoding.UTF8.GetBytes(checkpoint.ToLine() + "\n");
        await stream.WriteAsync(bytes, ct).ConfigureAwait(false);
        stream.Flush(flushToDisk: true);
        return checkpoint;
    }

    /// <summary>Checks one checkpoint's signature.</summary>
    public static bool IsValid(AuditCheckpoint checkpoint, ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(key);
        try
        {
            return key.VerifyData(checkpoint.Payload(), Convert.FromBase64String(checkpoint.Signature), HashAlgorithmName.SHA256);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static async Task<FileStream> OpenExclusiveAsync(string path, CancellationToken ct)
    {
        var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(path, options);
            }
            catch (IOException) when (attempt < 100)
            {
                // Another writer holds it for the few milliseconds of an append.
                await Task.Delay(20, ct).ConfigureAwait(false);
            }
        }
    }

    private static (string? Line, AuditCheckpoint? Checkpoint) ReadLast(FileStream stream)
    {
        // Checkpoint lines are a few hundred bytes: the tail holds the last one.
        var length = stream.Length;
        var take = (int)Math.Min(length, 4096);
        stream.Seek(length - take, SeekOrigin.Begin);
        var buffer = new byte[take];
        stream.ReadExactly(buffer);
        var text = Encoding.UTF8.GetString(buffer).TrimEnd('\n');
        if (text.Length == 0)
        {
            return (null, null);
        }

        var line = text[(text.LastIndexOf('\n') + 1)..];
        return (line, AuditCheckpoint.Parse(line));
    }

    private static void PrivateDirectory(string dir)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(dir);
        }
        else if (!Directory.Exists(dir))
        {
            Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }
}
