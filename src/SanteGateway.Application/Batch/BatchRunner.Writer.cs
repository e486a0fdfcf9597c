using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SanteGateway.Store;

namespace SanteGateway.Application.Batch;

/// <content>The SQLite writer connection of a worker.</content>
public sealed partial class BatchRunner
{
    /// <summary>A scope's context, on the worker's writer connection when it has one.</summary>
    private static GatewayDbContext WriterContext(AsyncServiceScope scope, SqliteWriter? writer)
    {
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        if (writer is not null)
        {
            db.Database.SetDbConnection(writer.Connection, contextOwnsConnection: false);
        }

        return db;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Batch: a checkpoint of the SQLite log failed ({Error}); the next one will retry")]
    private static partial void LogCheckpointFailed(ILogger logger, string error);

    /// <summary>
    /// SQLite: the one connection that makes every write of a worker (claims and chunk writes), not pooled, with a larger
    /// page cache of its own. SQLite drops a connection's whole page cache when another connection has committed since
    /// its last transaction; with claims and writes on whichever pooled connection came first, every chunk began with a
    /// cold 2 MB cache and read the same b-tree pages again (batch11: 17.6 page reads per item). Reads of the call phase
    /// stay on pooled connections: they commit nothing, so the writer's cache stays warm. Its log checkpoints are moved
    /// off the serial write: automatic checkpoints are off on this connection (a commit would otherwise copy the log into
    /// the database every 1 000 pages, inside the chunk's write) and a second connection runs a passive checkpoint after
    /// each chunk write, beside the next chunk's calls. A commit is still one sync of the log (<c>synchronous</c> as
    /// configured); a checkpoint moves committed pages only, so a crash at any moment loses nothing.
    /// </summary>
    private sealed class SqliteWriter : IAsyncDisposable
    {
        private readonly SqliteConnection checkpointer;
        private readonly ILogger log;
        private Task checkpoint = Task.CompletedTask;

        private SqliteWriter(SqliteConnection connection, SqliteConnection checkpointer, ILogger log)
        {
            Connection = connection;
            this.checkpointer = checkpointer;
            this.log = log;
        }

        public SqliteConnection Connection { get; }

        /// <summary>Null on PostgreSQL (pooled connections as before).</summary>
        public static async Task<SqliteWriter?> OpenAsync(IServiceScopeFactory scopes, BatchOptions opt, ILogger log, CancellationToken ct)
        {
            string? connectionString;
            await using (var scope = scopes.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
                if (IsPostgres(db))
                {
                    return null;
                }

                connectionString = db.Database.GetConnectionString();
            }

            var unpooled = new SqliteConnectionStringBuilder(connectionString) { Pooling = false }.ToString();
            var connection = new SqliteConnection(unpooled);
            var checkpointer = new SqliteConnection(unpooled);
            try
            {
                // busy_timeout as on every gateway connection (SqliteBusyTimeout); a negative cache_size is in KiB.
                await ExecuteAsync(connection, string.Create(CultureInfo.InvariantCulture, $"PRAGMA busy_timeout = 30000; PRAGMA cache_size = -{Math.Max(0, opt.WriterCacheKib)}; PRAGMA wal_autocheckpoint = 0"), ct).ConfigureAwait(false);
                await ExecuteAsync(checkpointer, "PRAGMA busy_timeout = 30000", ct).ConfigureAwait(false);
                return new SqliteWriter(connection, checkpointer, log);
            }
            catch
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                await checkpointer.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        /// <summary>After a chunk write: a passive checkpoint on the other connection, unless one is still running.</summary>
        public void Written()
        {
            if (checkpoint.IsCompleted)
            {
                checkpoint = Task.Run(CheckpointAsync);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await checkpoint.ConfigureAwait(false);
            await Connection.DisposeAsync().ConfigureAwait(false);
            await checkpointer.DisposeAsync().ConfigureAwait(false);
        }

        private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken ct)
        {
            if (connection.State != System.Data.ConnectionState.Open)
            {
                await connection.OpenAsync(ct).ConfigureAwait(false);
            }

            var command = connection.CreateCommand();
            await using (command.ConfigureAwait(false))
            {
                command.CommandText = sql;
                await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
        }

        private async Task CheckpointAsync()
        {
            try
            {
                // PASSIVE: copies what no reader still needs, never waits for the writer nor blocks it.
                await ExecuteAsync(checkpointer, "PRAGMA wal_checkpoint(PASSIVE)", CancellationToken.None).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // Best effort: the next chunk's checkpoint retries, and SQLite checkpoints when the last connection closes.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogCheckpointFailed(log, ex.GetType().Name);
            }
        }
    }
}
