using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;

namespace SanteGateway.Server.Security;

/// <summary>
/// Permissions of the gateway's state at rest, whatever the umask: the data folder (and every folder the gateway keeps
/// secrets in) is 700, the SQLite database and its journal files 600. Applied at creation and again on every start, so a
/// folder copied or restored with loose permissions is tightened.
/// </summary>
/// <remarks>
/// SQLite's unix VFS creates <c>-journal</c>, <c>-wal</c> and <c>-shm</c> with the mode of the database file (it
/// re-applies the mode with fchmod when the umask got in the way), so a 600 database gets 600 sidecars even when they are
/// created lazily later; sidecars already present are tightened here as well.
/// </remarks>
public static class DataFolder
{
    /// <summary>Owner read/write/execute only.</summary>
    public const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Owner read/write only.</summary>
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>The SQLite companion files that hold database pages.</summary>
    public static readonly IReadOnlyList<string> SqliteSidecars = ["-journal", "-wal", "-shm"];

    /// <summary>Creates a private folder (700) or tightens an existing one.</summary>
    public static void EnsurePrivateDirectory(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }

        Directory.CreateDirectory(path, FolderMode);
        File.SetUnixFileMode(path, FolderMode);
    }

    /// <summary>Creates an empty private file (600) when missing, or tightens an existing one.</summary>
    public static void EnsurePrivateFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        if (!File.Exists(path))
        {
            // Created with the mode directly: there is no moment where the file exists with umask-derived permissions.
            using var _ = new FileStream(path, new FileStreamOptions { Mode = System.IO.FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = FileMode });
        }

        File.SetUnixFileMode(path, FileMode);
    }

    /// <summary>Tightens a file only when it exists.</summary>
    public static void TightenIfExists(string path)
    {
        if (!OperatingSystem.IsWindows() && File.Exists(path))
        {
            File.SetUnixFileMode(path, FileMode);
        }
    }

    /// <summary>
    /// Secures a SQLite database before it is opened: its folder 700 when it is the data folder, the file created empty
    /// with 600 when missing (SQLite treats an empty file as a new database), existing journal files 600.
    /// </summary>
    public static void SecureSqliteDatabase(string databasePath)
    {
        ArgumentException.ThrowIfNullOrEmpty(databasePath);
        var dir = Path.GetDirectoryName(Path.GetFullPath(databasePath));
        if (dir is not null && !Directory.Exists(dir))
        {
            EnsurePrivateDirectory(dir);
        }

        EnsurePrivateFile(databasePath);
        foreach (var suffix in SqliteSidecars)
        {
            TightenIfExists(databasePath + suffix);
        }
    }

    /// <summary>The database file a SQLite connection string names, or null for in-memory databases.</summary>
    public static string? SqlitePath(string connectionString)
    {
        var source = new SqliteConnectionStringBuilder(connectionString).DataSource;
        return string.IsNullOrEmpty(source) || source == ":memory:" || source.StartsWith("file:", StringComparison.OrdinalIgnoreCase)
            ? null
            : Path.GetFullPath(source);
    }

    /// <summary>
    /// Sets the process umask to 077 so that anything created later (keys, certificates, logs) is private too. For the
    /// <c>santegw</c> process only; libraries and tests keep the caller's umask.
    /// </summary>
    public static void RestrictProcessUmask()
    {
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
        {
            _ = NativeMethods.umask(0x3F);
        }
    }

    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = false)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern uint umask(uint mask);
    }
}
