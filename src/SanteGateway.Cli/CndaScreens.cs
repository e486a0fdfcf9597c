using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SanteGateway.Conformance;
using SanteGateway.Server;
using SanteGateway.Server.Security;
using SanteGateway.Store;

namespace SanteGateway.Cli;

/// <summary>
/// <c>cnda run --screenshots</c>: after each case, the gateway (web UI included, exactly as <c>serve</c> builds it) is
/// started on the case's database on a loopback port, a front-desk user signs in, and headless Chromium takes the
/// identity screen the case ended on (status, INS, history, INSi exchanges). Pictures go to <c>&lt;dir&gt;/&lt;case id&gt;/</c>,
/// the convention <see cref="AcceptanceReport"/> embeds.
/// </summary>
internal sealed class CndaScreens(HeadlessChromium browser, string directory) : IConformanceScreens
{
    private const string UserName = "cnda-accueil";
    private readonly string password = "Cnda-" + Guid.NewGuid().ToString("N");

    public string Directory { get; } = directory;

    public async Task<int> CaptureAsync(ConformanceCase testCase, string sqliteConnectionString, Guid identityId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(testCase);
        var data = System.IO.Directory.CreateTempSubdirectory("santegw-cnda-ui-").FullName;
        try
        {
            var options = new GatewayOptions
            {
                HighTrustDocuments = { "CN", "PA" },
                DataDirectory = data,
                Urls = "http://127.0.0.1:0",
                RequireHttps = false,
                AuthPermitsPerMinute = 1000,
                InsPolicy = SanteGateway.Identity.InsPolicy.AllowTestAndDemo,
                Store = new StoreOptions { Provider = StoreProvider.Sqlite, ConnectionString = sqliteConnectionString },
            };
            var builder = GatewayApp.CreateBuilder([], options);
            builder.WebHost.UseUrls(options.Urls);
            builder.Logging.ClearProviders();
            await using var app = GatewayApp.Build(builder);
            var adminPassword = await GatewayApp.InitializeAsync(app.Services, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException("The case database already has accounts.");
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/') + "/");
                using (var admin = await SignInAsync(address, GatewayApp.AdminUserName, adminPassword, cancellationToken).ConfigureAwait(false))
                {
                    using var created = await admin.Client.PostAsJsonAsync("api/admin/users", new { userName = UserName, password, roles = new[] { GatewayRoles.FrontDesk } }, cancellationToken).ConfigureAwait(false);
                    created.EnsureSuccessStatusCode();
                }

                using var frontDesk = await SignInAsync(address, UserName, password, cancellationToken).ConfigureAwait(false);
                var cookies = frontDesk.Cookies.GetCookies(address).Select(c => (c.Name, c.Value)).ToList();
                var png = await browser.ScreenshotAsync(new Uri(address, $"identites/{identityId}"), cookies, cancellationToken: cancellationToken).ConfigureAwait(false);
                var dir = Path.Combine(Directory, testCase.Id);
                System.IO.Directory.CreateDirectory(dir);
                await File.WriteAllBytesAsync(Path.Combine(dir, "01-fiche-identite.png"), png, cancellationToken).ConfigureAwait(false);
                return 1;
            }
            finally
            {
                await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                System.IO.Directory.Delete(data, recursive: true);
            }
            catch (IOException)
            {
                // Data-protection keys of a throw-away gateway; the temp folder is cleaned by the system.
            }
        }
    }

    private static async Task<SignedIn> SignInAsync(Uri address, string user, string secret, CancellationToken ct)
    {
        var cookies = new CookieContainer();
#pragma warning disable CA2000 // Owned by the returned SignedIn.
        var client = new HttpClient(new HttpClientHandler { CookieContainer = cookies }) { BaseAddress = address };
#pragma warning restore CA2000
        using var response = await client.PostAsJsonAsync("api/auth/login", new { userName = user, password = secret }, ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            client.Dispose();
            throw new InvalidOperationException($"Sign-in of {user} refused ({(int)response.StatusCode}).");
        }

        return new SignedIn(client, cookies);
    }

    private sealed record SignedIn(HttpClient Client, CookieContainer Cookies) : IDisposable
    {
        public void Dispose() => Client.Dispose();
    }
}
