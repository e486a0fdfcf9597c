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
using SanteGateway.Application;
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
        documentCheck = new(LoadDocumentAsync);
    }

    private readonly Lazy<Task<ApiDocumentConformance>> documentCheck;

    public string AdminPassword { get; }

    public IServiceProvider Services => app.Services;

    public static async Task<TestGateway> StartAsync(
        TestDatabase database,
        IInsiPort? insi = null,
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
            builder.Services.RemoveAll<IInsiPort>();
            builder.Services.AddSingleton(insi);
        }

        configureBuilder?.Invoke(builder);
        var app = GatewayApp.Build(builder);
        var password = await GatewayApp.InitializeAsync(app.Services) ?? "";
        await app.StartAsync();
        return new TestGateway(app, password);
    }

    /// <summary>
    /// The OpenAPI document every answer is held to (see <see cref="ApiDocumentConformance"/>), read once per gateway
    /// with an unchecked client.
    /// </summary>
    public Task<ApiDocumentConformance> ConformanceAsync(CancellationToken ct = default) => documentCheck.Value;

    private async Task<ApiDocumentConformance> LoadDocumentAsync()
    {
        using var raw = app.GetTestClient();
        raw.BaseAddress = new Uri("https://localhost/"); // a gateway requiring HTTPS redirects plain requests for the document
        using var response = await raw.GetAsync("/openapi/v1.json");
        response.EnsureSuccessStatusCode();
        return new ApiDocumentConformance(await response.JsonAsync());
    }

    public HttpClient Anonymous() => Checked();

    /// <summary>A client that does not follow redirects (the test server's clients never do).</summary>
    public HttpClient NoRedirects() => Checked();

    /// <summary>A client whose every answer is checked against the OpenAPI document.</summary>
    private HttpClient Checked()
    {
        var server = app.GetTestServer();
        return new HttpClient(new DocumentCheckingHandler(ConformanceAsync) { InnerHandler = server.CreateHandler() }) { BaseAddress = server.BaseAddress };
    }

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

        var client = Checked();
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

/// <summary>An INSi stand-in answering what the test says (the real client and sandbox are exercised in InsiSandboxApiTests).</summary>
internal sealed class FakeInsi(Func<InsiPortResult> answer) : IInsiPort
{
    public const string Matricule = "180057505600167";

    public int Calls { get; private set; }

    /// <summary>The INS a <see cref="Returning"/> fake answers with.</summary>
    public string? ReturnedMatricule { get; init; }

    public List<object> Requests { get; } = [];

    public Task<InsiPortResult> SearchAsync(InsiSearchRequest request, CancellationToken ct)
    {
        Calls++;
        Requests.Add(request);
        return Task.FromResult(answer());
    }

    public Task<InsiPortResult> VerifyAsync(InsiVerifyRequest request, CancellationToken ct)
    {
        Calls++;
        Requests.Add(request);
        return Task.FromResult(answer());
    }

    public static InsiPortResult Found(string birthName = "DUPONT", string firstNames = "JEAN PIERRE", string sex = "M", string birthDate = "1980-05-17", string matricule = Matricule, InsiVerificationOutcome? verification = null, IReadOnlyList<InsiReturnedIns>? history = null) =>
        new(
            InsiCallOutcome.Found,
            "00",
            new InsiReturnedIdentity(new InsiReturnedIns(matricule, "1.2.250.1.213.1.4.10", null, null, true), history ?? [], birthName, firstNames, sex, birthDate, "75056"),
            verification,
            [new InsiAttemptView(firstNames, false, "00", null)],
            [new InsiRawExchange("<request/>", "<response/>", "TEST-CLIENT", TimeSpan.FromMilliseconds(3), "CR 00")],
            null,
            []);

    /// <summary>Always the same answer, with an INS of its own (two fakes never return the same INS: that would be a collision).</summary>
    public static FakeInsi Returning(string birthName = "DUPONT", string firstNames = "JEAN PIERRE", string sex = "M", string birthDate = "1980-05-17")
    {
        var matricule = NewMatricule();
        return new(() => Found(birthName, firstNames, sex, birthDate, matricule)) { ReturnedMatricule = matricule };
    }

    /// <summary>A fresh valid matricule (random body in the §1.2 ranges, computed key).</summary>
    public static string NewMatricule()
    {
        var r = Random.Shared;
        var body = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"1{r.Next(0, 100):00}{r.Next(1, 13):00}{r.Next(21, 96):00}{r.Next(1, 1000):000}{r.Next(1, 1000):000}");
        return body + SanteGateway.Identity.InsMatricule.ComputeKey(body).ToString("00", System.Globalization.CultureInfo.InvariantCulture);
    }
}
