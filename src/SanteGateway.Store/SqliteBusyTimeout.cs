using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace SanteGateway.Store;

/// <summary>
/// Sets SQLite's own busy timeout on every connection the gateway opens. Without it a writer that finds the database
/// locked gets SQLITE_BUSY at once and Microsoft.Data.Sqlite retries after sleeping 150 ms: with a few concurrent writers
/// (batch workers, inbound senders) most of the time went to those sleeps. SQLite's busy handler instead retries within
/// a millisecond or two of the lock being released.
/// </summary>
internal sealed class SqliteBusyTimeout : DbConnectionInterceptor
{
    /// <summary>The shared instance (stateless).</summary>
    public static readonly SqliteBusyTimeout Instance = new();

    /// <summary>How long a statement waits for a lock before failing, in milliseconds (the default command timeout).</summary>
    public const int Milliseconds = 30_000;

    private const string Pragma = "PRAGMA busy_timeout = 30000";

    /// <inheritdoc />
    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        ArgumentNullException.ThrowIfNull(connection);
        using var command = connection.CreateCommand();
        command.CommandText = Pragma;
        command.ExecuteNonQuery();
    }

    /// <inheritdoc />
    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var command = connection.CreateCommand();
        await using (command.ConfigureAwait(false))
        {
            command.CommandText = Pragma;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
