using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SanteGateway.Server.Insi;
using SanteGateway.Server.Security;
using SanteGateway.Store;
using SanteGateway.Store.Tests;

namespace SanteGateway.Server.Tests;

/// <summary>The whole gateway on an in-memory test server, backed by a real test database.</summary>
internal sealed class TestGateway : IAsyncDisposable
{
    private readonly WebApplication app;

    private TestGateway(WebApplication app, string adminPassword)
    {
        this.app = app;
        AdminPassword = adminPassword;
    }

    public string AdminPassword { get; }

    public IServiceProvider Services => app.Services;

    public static async Task<TestGateway> StartAsync(
        TestDatabase database,
        IInsiGateway? insi = null,
        Action<DbContextOptionsBuilder>? configureDb = null,
        Action<GatewayOptions>? configure = null,
        Action<WebApplicationBuilder>? configureBuilder = null)
    {
        var options = new GatewayOptions
        {
            HighTrustDocuments = { "CN", "PA", "CS" },
            DataDirectory = Path.Combine(Path.GetTempPath(), "santegw-gw-" + Guid.NewGuid().ToString("N")),
            RequireHttps = false,
            InsPolicy = SanteGateway.Identity.InsPolicy.AllowTestAndDemo,
            Store = new StoreOptions { Provider = database.Store.Provider, ConnectionString = database.Store.ConnectionString },
        };
        configure?.Invoke(options);
        var builder = GatewayApp.CreateBuilder([], options, configureDb);
        builder.WebHost.UseTestServer();
        builder.Logging.SetMinimumLevelWarning();
        if (insi is not null)
        {
            builder.Services.RemoveAll<IInsiGateway>();
            builder.Services.AddSingleton(insi);
        }

        configureBuilder?.Invoke(builder);
        var app = GatewayApp.Build(builder);
        var password = await GatewayApp.InitializeAsync(app.Services) ?? "";
        await app.StartAsync();
        return new TestGateway(app, password);
    }

    public HttpClient Anonymous() => app.GetTestClient();

    /// <summary>A client that does not follow redirects.</summary>
    public HttpClient NoRedirects() => app.GetTestServer().CreateClient();

    /// <summary>A client authenticated with a fresh API key holding the given roles.</summary>
    public async Task<HttpClient> ClientAsync(params string[] roles)
    {
        var (key, record) = ApiKeys.Create("test " + string.Join('+', roles), roles, "tests", DateTimeOffset.UtcNow);
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
            db.ApiKeys.Add(record);
            await db.SaveChangesAsync();
        }

        var client = app.GetTestClient();
        client.DefaultRequestHeaders.Add(ApiKeys.Header, key);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}

internal static class Http
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static void SetMinimumLevelWarning(this Microsoft.Extensions.Logging.ILoggingBuilder logging) =>
        logging.SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Warning);

    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return JsonDocument.Parse(text.Length == 0 ? "null" : text).RootElement.Clone();
    }

    public static object Person(string birthName = "DUPONT", string firstNames = "JEAN PIERRE", string sex = "M", string birthDate = "1980-05-17", object? evidence = null) => new
    {
        birthName,
        birthFirstNames = firstNames,
        sex,
        birthDate,
        birthPlaceCog = "75056",
        evidence,
    };

    public static object Passport(string checkedOn = "2026-01-10") => new { documentType = "PA", checkedOn, expiresOn = "2030-01-01" };

    public static async Task<JsonElement> CreateAsync(this HttpClient client, object body)
    {
        var r = await client.PostAsJsonAsync("/api/identities", body, Json);
        var json = await r.JsonAsync();
        r.StatusCode.Should().Be(System.Net.HttpStatusCode.Created, json.ToString());
        return json;
    }

    public static Task<HttpResponseMessage> PatchAsync(this HttpClient client, string url, object body, long? ifMatch)
    {
        var req = new HttpRequestMessage(HttpMethod.Patch, url) { Content = JsonContent.Create(body, options: Json) };
        if (ifMatch is { } v)
        {
            req.Headers.IfMatch.Add(new EntityTagHeaderValue($"\"{v}\""));
        }

        return client.SendAsync(req);
    }
}

/// <summary>A clock the test moves.</summary>
internal sealed class MutableClock : TimeProvider
{
    private long ticks = DateTimeOffset.UtcNow.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref ticks, by.Ticks);
}

/// <summary>An INSi stand-in answering what the test says.</summary>
internal sealed class FakeInsi(Func<InsiCallResult> answer) : IInsiGateway
{
    public const string Matricule = "180057505600167";

    public int Calls { get; private set; }

    public Task<InsiCallResult> SearchAsync(InsiSearchRequest request, CancellationToken ct)
    {
        Calls++;
        return Task.FromResult(answer());
    }

    public Task<InsiCallResult> VerifyAsync(InsiVerifyRequest request, CancellationToken ct)
    {
        Calls++;
        return Task.FromResult(answer());
    }

    public static FakeInsi Returning(string birthName = "DUPONT", string firstNames = "JEAN PIERRE", string sex = "M", string birthDate = "1980-05-17") =>
        new(() => new InsiCallResult(
            InsiOutcome.Found,
            "00",
            new InsiIdentity(Matricule, "1.2.250.1.213.1.4.10", birthName, firstNames, sex, DateOnly.Parse(birthDate, System.Globalization.CultureInfo.InvariantCulture), "75056"),
            "<request/>",
            "<response/>",
            "TEST-CLIENT",
            null));
}
