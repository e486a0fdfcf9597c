using Microsoft.Extensions.Configuration;
using SanteGateway.Server;
using SanteGateway.Store;

namespace SanteGateway.Cli;

/// <summary>
/// Resolves where the gateway keeps its data and which database it uses, shared by <c>serve</c> and <c>audit</c>.
/// Order: command-line option, then the configuration file (<c>--config FILE</c> or <c>DATA/appsettings.json</c>),
/// then the defaults (data folder <c>$SANTEGW_DATA</c> or <c>~/.santegw</c>, SQLite file <c>DATA/santegw.db</c>).
/// </summary>
internal static class GatewaySettings
{
    public const string ConfigFileName = "appsettings.json";
    public const string DatabaseFileName = "santegw.db";

    public static string DefaultDataDirectory()
    {
        var env = Environment.GetEnvironmentVariable("SANTEGW_DATA");
        if (!string.IsNullOrWhiteSpace(env))
        {
            return Path.GetFullPath(env);
        }

        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(string.IsNullOrEmpty(home) ? Directory.GetCurrentDirectory() : home, ".santegw");
    }

    /// <summary>The data folder the options name (same rule as <see cref="Resolve"/>).</summary>
    public static string DataDirectory(string? data) =>
        Path.GetFullPath(string.IsNullOrWhiteSpace(data) ? DefaultDataDirectory() : data);

    /// <summary>
    /// On a fresh data folder, writes a starter <c>appsettings.json</c> (sandbox INSi, SQLite, and the high-trust document
    /// list for the structure to review) so that what the gateway runs with is written down, not hidden in code.
    /// Returns the file's path when it was written, null when a configuration already exists.
    /// </summary>
    public static string? WriteStarterConfigurationIfMissing(string dataDir)
    {
        var path = Path.Combine(dataDir, ConfigFileName);
        if (File.Exists(path))
        {
            return null;
        }

        SanteGateway.Server.Security.DataFolder.EnsurePrivateDirectory(dataDir);
        var documents = string.Join(", ", GatewayOptions.StarterHighTrustDocuments.Select(d => $"\"{d}\""));
        var json = $$"""
            {
              "Gateway": {
                "Urls": "{{GatewayOptions.DefaultUrls}}",
                "Store": { "Provider": "sqlite" },
                "HighTrustDocuments": [{{documents}}]
              },
              "Insi": { "Mode": "sandbox", "SandboxPort": 0 }
            }

            """;
        File.WriteAllText(path, json);
        return path;
    }

    /// <summary>Builds the options; returns an error message for bad input (exit code 2).</summary>
    public static (GatewayOptions? Options, IConfiguration? Configuration, string? Error) Resolve(string? data, string? configFile, string? db, string? connection, string? urls)
    {
        var dataDir = DataDirectory(data);
        var cfgBuilder = new ConfigurationBuilder();
        if (!string.IsNullOrWhiteSpace(configFile))
        {
            if (!File.Exists(configFile))
            {
                return (null, null, $"--config: file not found: {configFile}");
            }

            cfgBuilder.AddJsonFile(Path.GetFullPath(configFile), optional: false);
        }
        else
        {
            var inData = Path.Combine(dataDir, ConfigFileName);
            if (File.Exists(inData))
            {
                cfgBuilder.AddJsonFile(inData, optional: false);
            }
        }

        IConfiguration cfg;
        try
        {
            cfg = cfgBuilder.Build();
        }
        catch (InvalidDataException ex)
        {
            return (null, null, $"configuration file is not valid JSON: {ex.Message}");
        }

        var options = new GatewayOptions { DataDirectory = dataDir };
        var section = cfg.GetSection("Gateway");
        options.Urls = urls ?? section["Urls"] ?? GatewayOptions.DefaultUrls;
        var providerText = db ?? section["Store:Provider"];
        if (providerText is not null)
        {
            if (!StoreOptions.TryParseProvider(providerText, out var provider))
            {
                return (null, null, $"--db: expected sqlite or postgres, got '{providerText}'");
            }

            options.Store.Provider = provider;
        }

        options.Store.ConnectionString = connection ?? section["Store:ConnectionString"] ?? "";
        if (options.Store.ConnectionString.Length == 0)
        {
            if (options.Store.Provider == StoreProvider.Postgres)
            {
                return (null, null, "--connection: a PostgreSQL connection string is required with --db postgres");
            }

            options.Store.ConnectionString = GatewayStore.SqliteConnectionString(Path.Combine(dataDir, DatabaseFileName));
        }

        if (section["Store:MigrateOnStart"] is { } migrate)
        {
            if (!bool.TryParse(migrate, out var m))
            {
                return (null, null, $"Gateway:Store:MigrateOnStart: expected true or false, got '{migrate}'");
            }

            options.Store.MigrateOnStart = m;
        }

        options.Store.MigrationConnectionString = section["Store:MigrationConnectionString"];
        if (section["InitialAdmin"] is { Length: > 0 } initialAdmin)
        {
            options.InitialAdminUserName = initialAdmin.Trim();
        }

        foreach (var (key, set) in new (string, Action<TimeSpan>)[]
        {
            ("Session:IdleTimeout", v => options.SessionIdleTimeout = v),
            ("Session:AbsoluteLifetime", v => options.SessionAbsoluteLifetime = v),
        })
        {
            if (section[key] is { } text)
            {
                if (!TimeSpan.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var value) || value <= TimeSpan.Zero)
                {
                    return (null, null, $"Gateway:{key}: expected a positive time span such as 08:00:00, got '{text}'");
                }

                set(value);
            }
        }

        var audit = SanteGateway.Store.Audit.AuditCheckpointOptions.InDataFolder(dataDir);
        audit.CheckpointPath = section["Audit:CheckpointPath"] ?? audit.CheckpointPath;
        audit.SigningKeyPath = section["Audit:SigningKeyPath"] ?? audit.SigningKeyPath;
        if (section["Audit:EveryEvents"] is { } every)
        {
            if (!int.TryParse(every, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) || n < 1)
            {
                return (null, null, $"Gateway:Audit:EveryEvents: expected a positive number, got '{every}'");
            }

            audit.EveryEvents = n;
        }

        if (section["Audit:Interval"] is { } interval)
        {
            if (!TimeSpan.TryParse(interval, System.Globalization.CultureInfo.InvariantCulture, out var i) || i <= TimeSpan.Zero)
            {
                return (null, null, $"Gateway:Audit:Interval: expected a positive time span such as 00:01:00, got '{interval}'");
            }

            audit.Interval = i;
        }

        options.AuditCheckpoints = audit;

        if (section["DataProtection:KeysInDatabase"] is { } inDb)
        {
            if (!bool.TryParse(inDb, out var b))
            {
                return (null, null, $"Gateway:DataProtection:KeysInDatabase: expected true or false, got '{inDb}'");
            }

            options.DataProtectionKeysInDatabase = b;
        }

        var docs = section.GetSection("HighTrustDocuments").Get<string[]>();
        if (docs is { Length: > 0 })
        {
            options.HighTrustDocuments.Clear();
            foreach (var d in docs)
            {
                options.HighTrustDocuments.Add(d.Trim().ToUpperInvariant());
            }
        }

        return (options, cfg, null);
    }
}
