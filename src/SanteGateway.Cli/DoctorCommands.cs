using System.CommandLine;
using System.Data.Common;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using SanteGateway.Application;
using SanteGateway.Insi;
using SanteGateway.Server.Certificates;
using SanteGateway.Store;

namespace SanteGateway.Cli;

/// <summary>
/// <c>santegw doctor</c>: checks an installation from its data folder and configuration (and, with <c>--url</c>, a
/// running gateway) and prints one line per check — OK, ATTENTION or FAIL — with what to fix. Exit 0 when nothing
/// failed (attentions allowed), 1 when a check failed, 2 on a usage error. Read-only: it never migrates nor writes.
/// </summary>
internal sealed class DoctorCommands : ICommandModule
{
    public Command Create()
    {
        var doctor = new Command("doctor", "Check an installation: configuration, database, migrations, certificates, INSi/ROR/document-sharing endpoints, clock skew, free disk.");
        var data = new Option<string?>("--data") { Description = "Gateway data folder (default $SANTEGW_DATA or ~/.santegw)." };
        var config = new Option<string?>("--config") { Description = "Configuration file (default DATA/appsettings.json)." };
        var url = new Option<string?>("--url") { Description = "Base URL of the running gateway, to check its readiness (/health/ready)." };
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait for each endpoint.", DefaultValueFactory = _ => 5 };
        var warnDays = new Option<int>("--warn-days") { Description = "Warn when a certificate has fewer days left.", DefaultValueFactory = _ => 30 };
        foreach (var o in new Option[] { data, config, url, timeout, warnDays })
        {
            doctor.Options.Add(o);
        }

        doctor.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(timeout) is < 1 or > 120)
            {
                await Console.Error.WriteLineAsync("--timeout: expected 1 to 120 seconds.").ConfigureAwait(false);
                return Program.UsageError;
            }

            var checks = new Doctor(TimeSpan.FromSeconds(parse.GetValue(timeout)), parse.GetValue(warnDays));
            await checks.RunAsync(parse.GetValue(data), parse.GetValue(config), parse.GetValue(url), ct).ConfigureAwait(false);
            var failed = checks.Results.Count(r => r.Verdict == Verdict.Fail);
            var attention = checks.Results.Count(r => r.Verdict == Verdict.Attention);
            Console.WriteLine();
            Console.WriteLine(failed > 0
                ? $"santegw doctor: {failed} check(s) FAILED, {attention} need attention."
                : attention > 0 ? $"santegw doctor: no failure, {attention} check(s) need attention." : "santegw doctor: everything is OK.");
            return failed > 0 ? 1 : 0;
        });
        return doctor;
    }

    internal enum Verdict
    {
        Ok,
        Attention,
        Fail,
    }

    internal sealed record CheckResult(string Name, Verdict Verdict, string Detail, string? Fix);

    /// <summary>An endpoint to reach with a client certificate.</summary>
    private sealed record Target(string Name, Uri Url, string? CertificatePath, string? Password, IReadOnlyList<string> TrustedCaPaths);

    private sealed class Doctor(TimeSpan timeout, int warnDays)
    {
        private readonly List<TimeSpan> skews = [];

        public List<CheckResult> Results { get; } = [];

        private void Report(string name, Verdict verdict, string detail, string? fix = null)
        {
            Results.Add(new CheckResult(name, verdict, detail, fix));
            var mark = verdict switch { Verdict.Ok => "OK", Verdict.Attention => "ATTENTION", _ => "FAIL" };
            Console.WriteLine($"[{mark}] {name}: {detail}");
            if (fix is not null && verdict != Verdict.Ok)
            {
                Console.WriteLine($"      fix: {fix}");
            }
        }

        public async Task RunAsync(string? data, string? configFile, string? url, CancellationToken ct)
        {
            var dataDir = GatewaySettings.DataDirectory(data);
            var configPath = configFile ?? Path.Combine(dataDir, GatewaySettings.ConfigFileName);
            var (options, cfg, error) = GatewaySettings.Resolve(data, configFile, null, null, null);
            if (options is null || cfg is null)
            {
                Report("configuration", Verdict.Fail, error ?? "cannot be read", $"correct {configPath} (see docs/operations.md)");
                Disk(dataDir);
                return;
            }

            if (!File.Exists(configPath))
            {
                Report("configuration", Verdict.Attention, $"no {configPath}: running on defaults (sandbox INSi, SQLite)", "start the gateway once (santegw serve) or write the file (docs/operations.md)");
            }
            else
            {
                Report("configuration", Verdict.Ok, $"{configPath} loads (data folder {dataDir})");
            }

            await DatabaseAsync(options.Store, ct).ConfigureAwait(false);
            var targets = Endpoints(cfg);
            Certificates(cfg, targets);
            foreach (var target in targets)
            {
                await ProbeAsync(target, ct).ConfigureAwait(false);
            }

            Clock(targets.Count);
            Disk(dataDir);
            if (url is not null)
            {
                await ReadinessAsync(url, ct).ConfigureAwait(false);
            }
        }

        private async Task DatabaseAsync(StoreOptions store, CancellationToken ct)
        {
            if (store.Provider == StoreProvider.Sqlite && SanteGateway.Server.Security.DataFolder.SqlitePath(store.ConnectionString) is { } file && !File.Exists(file))
            {
                Report("database", Verdict.Fail, $"SQLite file {file} does not exist", "start the gateway once (santegw serve) or run santegw db migrate --data DATA; check --data");
                return;
            }

            var where = store.Provider == StoreProvider.Postgres ? DescribePostgres(store.ConnectionString) : "SQLite";
            try
            {
                await using var context = GatewayStore.CreateContext(store);
                await context.Database.OpenConnectionAsync(ct).ConfigureAwait(false);
                Report("database", Verdict.Ok, $"{where} reachable");
                var pending = (await context.Database.GetPendingMigrationsAsync(ct).ConfigureAwait(false)).ToList();
                if (pending.Count == 0)
                {
                    Report("migrations", Verdict.Ok, "schema up to date");
                }
                else if (store.MigrateOnStart)
                {
                    Report("migrations", Verdict.Attention, $"{pending.Count} pending ({string.Join(", ", pending)}); applied at the next start",
                        "restart the gateway after a backup (santegw db backup), or run santegw db migrate");
                }
                else
                {
                    Report("migrations", Verdict.Fail, $"{pending.Count} pending ({string.Join(", ", pending)}) and Gateway:Store:MigrateOnStart is false",
                        "back up, then run santegw db migrate (with the schema owner's connection)");
                }
            }
            catch (Npgsql.PostgresException ex) when (ex.SqlState is "28P01" or "28000")
            {
                Report("database", Verdict.Fail, $"{where}: the server refused the credentials ({ex.SqlState}: {ex.MessageText})",
                    "correct the user name/password in Gateway:Store:ConnectionString (or the database role's password)");
            }
            catch (Npgsql.PostgresException ex) when (ex.SqlState == "3D000")
            {
                Report("database", Verdict.Fail, $"{where}: the database does not exist ({ex.MessageText})", "create the database (docs/operations.md, PostgreSQL) or correct Database= in the connection string");
            }
            catch (Exception ex) when (ex is DbException or InvalidOperationException or SocketException or TimeoutException or IOException)
            {
                Report("database", Verdict.Fail, $"{where}: cannot connect ({Innermost(ex)})", "check that the database server runs and Gateway:Store:ConnectionString (host, port, user, password)");
            }
        }

        private static string DescribePostgres(string connection)
        {
            try
            {
                var b = new Npgsql.NpgsqlConnectionStringBuilder(connection);
                return $"PostgreSQL {b.Host}:{b.Port}/{b.Database} as {b.Username}";
            }
            catch (ArgumentException)
            {
                return "PostgreSQL (unreadable connection string)";
            }
        }

        /// <summary>The remote endpoints the configuration names; sandbox modes have nothing to reach.</summary>
        private List<Target> Endpoints(IConfiguration cfg)
        {
            var targets = new List<Target>();
            var insi = cfg.GetSection("Insi");
            var insiMode = (insi["Mode"] ?? "sandbox").Trim().ToUpperInvariant();
            if (insiMode == "REMOTE")
            {
                if (Uri.TryCreate(insi["Endpoint"], UriKind.Absolute, out var u) && u.Scheme == Uri.UriSchemeHttps)
                {
                    targets.Add(new Target("insi endpoint", u, insi["CertificatePath"], Password(insi), Cas(insi)));
                }
                else
                {
                    Report("insi endpoint", Verdict.Fail, $"Insi:Endpoint '{insi["Endpoint"]}' is not an https URL", "set Insi:Endpoint to the INSi URL of your environment (test or production)");
                }
            }
            else
            {
                Report("insi endpoint", Verdict.Attention,
                    insiMode == "NONE" ? "INSi is disabled (Insi:Mode none)" : "INSi runs in sandbox mode (test identities only)",
                    "for production set Insi:Mode remote with Endpoint, Idam, CertificatePath and TrustedCaPaths (docs/operations.md)");
            }

            var docs = cfg.GetSection("Documents");
            if (string.Equals(docs["Mode"]?.Trim(), "remote", StringComparison.OrdinalIgnoreCase))
            {
                foreach (var key in new[] { "RepositoryEndpoint", "RegistryEndpoint", "DmpStatusEndpoint" })
                {
                    if (Uri.TryCreate(docs[key], UriKind.Absolute, out var u) && u.Scheme == Uri.UriSchemeHttps)
                    {
                        targets.Add(new Target($"documents {key}", u, docs["CertificatePath"], Password(docs), Cas(docs)));
                    }
                    else
                    {
                        Report($"documents {key}", Verdict.Fail, $"Documents:{key} '{docs[key]}' is not an https URL", $"set Documents:{key}");
                    }
                }
            }

            // ROR: the gateway itself does not call the ROR yet; a Ror section (Endpoint, CertificatePath, ...) is checked when present.
            var ror = cfg.GetSection("Ror");
            if (ror["Endpoint"] is { Length: > 0 } rorUrl)
            {
                if (Uri.TryCreate(rorUrl, UriKind.Absolute, out var u) && u.Scheme == Uri.UriSchemeHttps)
                {
                    targets.Add(new Target("ror endpoint", u, ror["CertificatePath"], Password(ror), Cas(ror)));
                }
                else
                {
                    Report("ror endpoint", Verdict.Fail, $"Ror:Endpoint '{rorUrl}' is not an https URL", "set Ror:Endpoint to the ROR FHIR base URL");
                }
            }

            return targets;
        }

        private static string? Password(IConfigurationSection section) =>
            Environment.GetEnvironmentVariable(section["CertificatePasswordEnv"] ?? (section.Key == "Documents" ? ServeDocuments.DefaultPasswordVariable : ServeInsi.DefaultPasswordVariable));

        private static List<string> Cas(IConfigurationSection section) => [.. section.GetSection("TrustedCaPaths").Get<string[]>() ?? []];

        private void Certificates(IConfiguration cfg, List<Target> targets)
        {
            CertificateInventoryOptions inventory;
            try
            {
                var insi = targets.FirstOrDefault(t => t.Name == "insi endpoint");
                InsiClientOptions? insiOptions = null;
                if (insi is { CertificatePath: { Length: > 0 } })
                {
                    var section = cfg.GetSection("Insi");
                    insiOptions = new InsiClientOptions
                    {
                        AutomaticCertificatePath = insi.CertificatePath,
                        AutomaticCertificatePassword = insi.Password,
                        ManualCertificatePath = section["ManualCertificatePath"],
                        ManualCertificatePassword = insi.Password,
                    };
                }

                inventory = CertificateEndpoints.ReadOptions(cfg, insiOptions);
            }
            catch (OptionsValidationException ex)
            {
                Report("certificates", Verdict.Fail, ex.Message, "correct Gateway:Certificates");
                return;
            }

            var list = inventory.Certificates.Select(c => (c.Name, c.Path, c.Password, Use: (CertificateUse?)c.Use)).ToList();
            foreach (var t in targets.Where(t => t.Name != "insi endpoint" && t.CertificatePath is { Length: > 0 }).DistinctBy(t => t.CertificatePath))
            {
                if (!list.Any(c => c.Path == t.CertificatePath))
                {
                    list.Add((t.Name.Split(' ')[0] + " client", t.CertificatePath!, t.Password, CertificateUse.OrganisationClient));
                }
            }

            if (list.Count == 0)
            {
                Report("certificates", targets.Count == 0 ? Verdict.Ok : Verdict.Attention, "no certificate configured",
                    "configure the IGC-Santé certificates (Insi:CertificatePath, Gateway:Certificates)");
                return;
            }

            var check = new CertificateCheckOptions { WarnDays = warnDays };
            foreach (var anchor in inventory.TrustAnchorPaths.Concat(targets.SelectMany(t => t.TrustedCaPaths)).Distinct(StringComparer.Ordinal))
            {
                try
                {
                    check.TrustAnchors.ImportFromPemOrDer(anchor);
                }
                catch (Exception ex) when (ex is IOException or CryptographicException or UnauthorizedAccessException)
                {
                    Report("certificates", Verdict.Fail, $"CA file {anchor} cannot be read: {ex.Message}", "correct TrustedCaPaths / Gateway:CertificateTrustAnchors");
                }
            }

            foreach (var (name, path, password, use) in list)
            {
                try
                {
                    var (leaf, others) = CertificateChecker.Load(path, password);
                    using (leaf)
                    {
                        var r = CertificateChecker.Check(leaf, use, check, others);
                        var worst = r.Findings.Where(f => f.Severity >= CertificateSeverity.Warning).ToList();
                        var detail = $"{name} {r.CommonName} [{r.Environment}] valid until {r.NotAfter:yyyy-MM-dd} ({CertificateChecker.DaysText(r)} days left)";
                        var verdict = r.Severity switch
                        {
                            CertificateSeverity.Error => Verdict.Fail,
                            CertificateSeverity.Warning => Verdict.Attention,
                            _ => Verdict.Ok,
                        };
                        Report($"certificate {name}", verdict, worst.Count == 0 ? detail : $"{detail}; {string.Join("; ", worst.Select(f => $"{f.Code}: {f.English}"))}",
                            $"order a renewal or correct the certificate (santegw certs check {path}); {string.Join(" ", worst.Select(f => f.French))}");
                    }
                }
                catch (Exception ex) when (ex is IOException or CryptographicException or UnauthorizedAccessException)
                {
                    Report($"certificate {name}", Verdict.Fail, $"cannot read {path}: {ex.Message}", "check the file and its password environment variable (CertificatePasswordEnv)");
                }
            }
        }

        /// <summary>TLS handshake with the configured client certificate, then any HTTP answer; the Date header gives the clock skew.</summary>
        private async Task ProbeAsync(Target target, CancellationToken ct)
        {
            X509Certificate2? client = null;
            var anchors = new X509Certificate2Collection();
            string? serverProblem = null;
            try
            {
                if (target.CertificatePath is { Length: > 0 } p && File.Exists(p))
                {
                    client = X509CertificateLoader.LoadPkcs12FromFile(p, target.Password);
                }

                foreach (var ca in target.TrustedCaPaths.Where(File.Exists))
                {
                    anchors.ImportFromPemOrDer(ca);
                }
            }
            catch (CryptographicException ex)
            {
                Report(target.Name, Verdict.Fail, $"client certificate cannot be loaded: {ex.Message}", "check CertificatePath and its password variable");
                return;
            }

            try
            {
                using var handler = new SocketsHttpHandler
                {
                    ConnectTimeout = timeout,
                    SslOptions = new SslClientAuthenticationOptions
                    {
                        ClientCertificates = client is null ? null : new X509CertificateCollection { client },
                        RemoteCertificateValidationCallback = (_, cert, _, errors) =>
                        {
                            // The gateway's own outbound policy: chain to the configured CAs only, host name must match.
                            var ok = OutboundTls.ValidateServer(cert, errors, anchors, checkRevocation: false);
                            serverProblem = ok ? null : (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0
                                ? "server certificate name does not match the host"
                                : "server certificate does not chain to TrustedCaPaths";
                            return ok;
                        },
                    },
                };
                using var http = new HttpClient(handler) { Timeout = timeout };
                var sent = DateTimeOffset.UtcNow;
                using var response = await http.GetAsync(target.Url, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
                var received = DateTimeOffset.UtcNow;
                if (response.Headers.Date is { } date)
                {
                    // Date has one-second resolution: compare with the middle of the round trip.
                    skews.Add(date - (sent + ((received - sent) / 2)));
                }

                var unauthorised = response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden;
                Report(target.Name, unauthorised ? Verdict.Attention : Verdict.Ok,
                    $"{target.Url} answered HTTP {(int)response.StatusCode} after a TLS handshake{(client is null ? " without client certificate" : $" with {client.GetNameInfo(X509NameType.SimpleName, false)}")} ({(received - sent).TotalMilliseconds:0} ms)",
                    unauthorised ? "the server refused the client certificate: check it is the one registered for this service" : null);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or AuthenticationException or IOException)
            {
                if (ct.IsCancellationRequested)
                {
                    throw;
                }

                var why = ex switch
                {
                    TaskCanceledException => $"no answer within {timeout.TotalSeconds:0} s",
                    _ when Find<SocketException>(ex) is { } s => $"cannot connect ({s.SocketErrorCode})",
                    _ when serverProblem is not null => $"TLS: {serverProblem}",
                    _ when Find<AuthenticationException>(ex) is not null || Find<IOException>(ex) is not null => $"TLS handshake failed ({Innermost(ex)})",
                    _ => Innermost(ex),
                };
                Report(target.Name, Verdict.Fail, $"{target.Url} unreachable: {why}",
                    "check the URL, DNS, firewall/proxy (outbound 443), the client certificate and TrustedCaPaths");
            }
            finally
            {
                client?.Dispose();
                foreach (var a in anchors)
                {
                    a.Dispose();
                }
            }
        }

        private void Clock(int targetCount)
        {
            if (targetCount == 0)
            {
                return;
            }

            if (skews.Count == 0)
            {
                Report("clock", Verdict.Attention, "not measured (no endpoint answered with a Date header)", "check the system clock is synchronised (timedatectl)");
                return;
            }

            var worst = skews.MaxBy(s => s.Duration());
            var text = $"{worst.TotalSeconds.ToString("+0;-0", CultureInfo.InvariantCulture)} s from the endpoints' clock";
            // Signed assertions and timestamps are refused beyond a few minutes of skew.
            var verdict = worst.Duration() >= TimeSpan.FromMinutes(5) ? Verdict.Fail : worst.Duration() >= TimeSpan.FromMinutes(1) ? Verdict.Attention : Verdict.Ok;
            Report("clock", verdict, text, "synchronise the system clock (NTP: timedatectl set-ntp true)");
        }

        private void Disk(string dataDir)
        {
            try
            {
                var existing = dataDir;
                while (!Directory.Exists(existing) && Path.GetDirectoryName(existing) is { } parent)
                {
                    existing = parent;
                }

                var drive = new DriveInfo(existing);
                var free = drive.AvailableFreeSpace;
                var text = $"{free / (1024.0 * 1024 * 1024):0.0} GiB free for {dataDir}";
                var verdict = free < 1L << 30 ? Verdict.Fail : free < 5L << 30 ? Verdict.Attention : Verdict.Ok;
                Report("disk", verdict, text, "free space or move the data folder: the database, backups and exchange traces grow there");
            }
            catch (Exception ex) when (ex is IOException or ArgumentException or UnauthorizedAccessException)
            {
                Report("disk", Verdict.Attention, $"free space not measured: {ex.Message}");
            }
        }

        private async Task ReadinessAsync(string url, CancellationToken ct)
        {
            if (!Uri.TryCreate(url.TrimEnd('/') + "/health/ready", UriKind.Absolute, out var ready))
            {
                Report("gateway", Verdict.Fail, $"--url '{url}' is not a URL");
                return;
            }

            try
            {
                using var http = new HttpClient { Timeout = timeout };
                http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("text/plain"));
                using var response = await http.GetAsync(ready, ct).ConfigureAwait(false);
                var body = (await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false)).Trim();
                Report("gateway", response.IsSuccessStatusCode ? (body == "Healthy" ? Verdict.Ok : Verdict.Attention) : Verdict.Fail,
                    $"{ready} answered HTTP {(int)response.StatusCode} {body}", "read the gateway's log (journalctl -u santegw) for the failing health check");
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                if (ct.IsCancellationRequested)
                {
                    throw;
                }

                Report("gateway", Verdict.Fail, $"{ready} unreachable: {Innermost(ex)}", "start the gateway (systemctl start santegw) or correct --url");
            }
        }

        private static T? Find<T>(Exception? ex)
            where T : Exception
        {
            for (; ex is not null; ex = ex.InnerException)
            {
                if (ex is T t)
                {
                    return t;
                }
            }

            return null;
        }

        private static string Innermost(Exception ex)
        {
            while (ex.InnerException is not null)
            {
                ex = ex.InnerException;
            }

            return ex.Message;
        }
    }
}
