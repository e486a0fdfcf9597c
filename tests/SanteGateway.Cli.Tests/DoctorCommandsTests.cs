using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using SanteGateway.Insi.Sandbox;
using SanteGateway.Insi.Sandbox.Pki;

namespace SanteGateway.Cli.Tests;

/// <summary>
/// <c>santegw doctor</c> against real parts: a migrated SQLite data folder, the INSi sandbox over mutual TLS with the
/// sandbox PKI's INSI-AUTO certificate, a closed port, and a PostgreSQL wire-protocol peer that refuses the password
/// (the shared test server trusts every local connection, so it cannot refuse one).
/// </summary>
[Collection("insi-cli")]
public sealed class DoctorCommandsTests(InsiCliSandbox sandbox) : IDisposable
{
    private const string CertPasswordVariable = "SANTEGW_DOCTOR_TEST_PWD";
    private readonly string data = Path.Combine(Path.GetTempPath(), "santegw-doctor-" + Guid.NewGuid().ToString("N"));
    private readonly TestCertificates certs = new();

    public void Dispose()
    {
        certs.Dispose();
        if (Directory.Exists(data))
        {
            Directory.Delete(data, true);
        }
    }

    private object InsiRemote(Uri endpoint) => new
    {
        Mode = "remote",
        Endpoint = endpoint.ToString(),
        Idam = InsiSandboxOptions.DefaultIdam,
        CertificatePath = Path.Combine(sandbox.Dir, TestPki.InsiAutoP12File),
        CertificatePasswordEnv = InsiCliSandbox.PasswordVariable,
        TrustedCaPaths = new[] { Path.Combine(sandbox.Dir, TestPki.CaPemFile) },
    };

    private async Task<(int Exit, string Out)> Doctor(object configuration, bool migrate = true)
    {
        Directory.CreateDirectory(data);
        await File.WriteAllTextAsync(Path.Combine(data, "appsettings.json"), JsonSerializer.Serialize(configuration), TestContext.Current.CancellationToken);
        if (migrate)
        {
            var (migrated, _, err) = await CliRunner.RunAsync("db", "migrate", "--data", data);
            migrated.Should().Be(0, err);
        }

        var (exit, stdout, _) = await CliRunner.RunAsync("doctor", "--data", data, "--timeout", "60");
        return (exit, stdout);
    }

    [Fact]
    public async Task A_healthy_installation_passes_every_check_and_reaches_insi_with_its_certificate()
    {
        var (exit, stdout) = await Doctor(new { Gateway = new { Store = new { Provider = "sqlite" } }, Insi = InsiRemote(sandbox.Server.Endpoint), Documents = new { Mode = "none" } });

        exit.Should().Be(0, stdout);
        stdout.Should().NotContain("[FAIL]").And.Contain("[OK] configuration").And.Contain("[OK] database: SQLite reachable")
            .And.Contain("[OK] migrations: schema up to date").And.Contain("[OK] insi endpoint").And.Contain("after a TLS handshake with INSI-AUTO")
            .And.Contain("[OK] clock").And.Contain("disk").And.Contain("certificate insi-auto");
    }

    [Fact]
    public async Task An_expired_certificate_fails_with_its_expiry_date_and_what_to_do()
    {
        Environment.SetEnvironmentVariable(CertPasswordVariable, TestCertificates.Password);
        var expired = certs.Leaf("dmp-expired.p12", "CENTRE DE SANTE TEST", daysLeft: -3);

        var (exit, stdout) = await Doctor(new
        {
            Gateway = new { Store = new { Provider = "sqlite" }, Certificates = new[] { new { Name = "dmp", Path = expired, Use = "org", PasswordEnv = CertPasswordVariable } }, CertificateTrustAnchors = new[] { certs.TestCaPem } },
            Insi = InsiRemote(sandbox.Server.Endpoint),
            Documents = new { Mode = "none" },
        });

        exit.Should().Be(1, stdout);
        stdout.Should().Contain("[FAIL] certificate dmp").And.Contain("validity.expired").And.Contain($"valid until {DateTimeOffset.UtcNow.AddDays(-3):yyyy-MM-dd}")
            .And.Contain("fix: order a renewal").And.Contain("[OK] insi endpoint");
    }

    [Fact]
    public async Task An_unreachable_insi_endpoint_fails_naming_the_url_and_the_cause()
    {
        var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        var url = new Uri($"https://127.0.0.1:{port}/insi");

        var (exit, stdout) = await Doctor(new { Gateway = new { Store = new { Provider = "sqlite" } }, Insi = InsiRemote(url), Documents = new { Mode = "none" } });

        exit.Should().Be(1, stdout);
        stdout.Should().Contain($"[FAIL] insi endpoint: {url} unreachable: cannot connect (ConnectionRefused)").And.Contain("fix: check the URL")
            .And.Contain("[ATTENTION] clock: not measured").And.Contain("[OK] database");
    }

    [Fact]
    public async Task A_wrong_postgresql_password_fails_saying_the_server_refused_the_credentials()
    {
        await using var server = new RefusingPostgres();

        var (exit, stdout) = await Doctor(
            new
            {
                Gateway = new { Store = new { Provider = "postgres", ConnectionString = $"Host=127.0.0.1;Port={server.Port};Username=santegw;Password=wrong;Database=santegw;Timeout=5" } },
                Insi = new { Mode = "none" },
                Documents = new { Mode = "none" },
            },
            migrate: false);

        exit.Should().Be(1, stdout);
        stdout.Should().Contain("[FAIL] database: PostgreSQL 127.0.0.1:").And.Contain("/santegw as santegw: the server refused the credentials (28P01")
            .And.Contain("fix: correct the user name/password").And.NotContain("[OK] migrations");
    }

    [Fact]
    public async Task A_missing_sqlite_database_fails_and_says_how_to_create_it()
    {
        var (exit, stdout) = await Doctor(new { Gateway = new { Store = new { Provider = "sqlite" } }, Insi = new { Mode = "sandbox" } }, migrate: false);

        exit.Should().Be(1, stdout);
        stdout.Should().Contain("[FAIL] database: SQLite file").And.Contain("santegw db migrate").And.Contain("[ATTENTION] insi endpoint: INSi runs in sandbox mode");
    }

    /// <summary>
    /// Speaks the PostgreSQL protocol just far enough to refuse the password the way a server with password
    /// authentication does: it declines SSL/GSS encryption, reads the startup message and answers FATAL 28P01.
    /// </summary>
    private sealed class RefusingPostgres : IAsyncDisposable
    {
        private readonly TcpListener listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource stop = new();
        private readonly Task loop;

        public RefusingPostgres()
        {
            listener.Start();
            loop = Task.Run(AcceptAsync);
        }

        public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

        private async Task AcceptAsync()
        {
            while (!stop.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await listener.AcceptTcpClientAsync(stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                using (client)
                {
                    try
                    {
                        await RefuseAsync(client.GetStream());
                    }
                    catch (IOException)
                    {
                        // The client may hang up first.
                    }
                }
            }
        }

        private async Task RefuseAsync(NetworkStream stream)
        {
            while (true)
            {
                var header = new byte[8];
                await stream.ReadExactlyAsync(header, stop.Token);
                var length = IPAddress.NetworkToHostOrder(BitConverter.ToInt32(header, 0));
                var code = IPAddress.NetworkToHostOrder(BitConverter.ToInt32(header, 4));
                if (length > 8)
                {
                    await stream.ReadExactlyAsync(new byte[length - 8], stop.Token);
                }

                // SSLRequest and GSSENCRequest: "N", not supported; the client then sends the startup message.
                if (code is 80877103 or 80877104)
                {
                    await stream.WriteAsync("N"u8.ToArray(), stop.Token);
                    continue;
                }

                break;
            }

            var fields = new MemoryStream();
            foreach (var (type, value) in new[] { ('S', "FATAL"), ('V', "FATAL"), ('C', "28P01"), ('M', "password authentication failed for user \"santegw\"") })
            {
                fields.WriteByte((byte)type);
                fields.Write(Encoding.UTF8.GetBytes(value));
                fields.WriteByte(0);
            }

            fields.WriteByte(0);
            var body = fields.ToArray();
            var message = new byte[1 + 4 + body.Length];
            message[0] = (byte)'E';
            BitConverter.GetBytes(IPAddress.HostToNetworkOrder(4 + body.Length)).CopyTo(message, 1);
            body.CopyTo(message, 5);
            await stream.WriteAsync(message, stop.Token);
            await stream.FlushAsync(stop.Token);
        }

        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            listener.Stop();
            try
            {
                await loop;
            }
            catch (OperationCanceledException)
            {
            }

            stop.Dispose();
        }
    }
}
