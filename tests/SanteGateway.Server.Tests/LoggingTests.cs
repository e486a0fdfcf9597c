using System.Collections.Concurrent;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SanteGateway.Server.Security;
using SanteGateway.Store;
using SanteGateway.Store.Entities;
using SanteGateway.Store.Tests;

namespace SanteGateway.Server.Tests;

/// <summary>Identity data never reaches the logs at Information level or above; ids do.</summary>
public sealed class LoggingTests(SqliteTestDatabase database) : IClassFixture<SqliteTestDatabase>
{
    [Fact]
    public async Task Creating_and_searching_an_identity_logs_its_id_but_no_trait()
    {
        var sink = new ListLoggerProvider();
        var options = new GatewayOptions { HighTrustDocuments = { "CN", "PA", "CS" }, DataDirectory = Path.Combine(Path.GetTempPath(), "santegw-gw-" + Guid.NewGuid().ToString("N")), RequireHttps = false, Store = database.Store };
        var builder = GatewayApp.CreateBuilder([], options);
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddProvider(sink);
        await using var app = GatewayApp.Build(builder);
        await GatewayApp.InitializeAsync(app.Services);
        await app.StartAsync();
        var (key, record) = ApiKeys.Create("log test", [GatewayRoles.FrontDesk], "tests", DateTimeOffset.UtcNow);
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
            db.ApiKeys.Add(record);
            await db.SaveChangesAsync();
        }

        var client = app.GetTestClient();
        client.DefaultRequestHeaders.Add(ApiKeys.Header, key);
        var created = await client.CreateAsync(Http.Person("ZYGOMATIQUE", "OCTAVIEN", "M", "1977-07-07"));
        (await client.GetAsync("/api/identities?birthName=ZYGOMATIQUE&birthDate=1977-07-07")).EnsureSuccessStatusCode();
        await app.StopAsync();

        var messages = sink.Messages.ToList();
        messages.Should().Contain(m => m.Contains(created.GetProperty("id").GetString()!, StringComparison.Ordinal));
        messages.Should().NotContain(m => m.Contains("ZYGOMATIQUE", StringComparison.OrdinalIgnoreCase)
            || m.Contains("OCTAVIEN", StringComparison.OrdinalIgnoreCase)
            || m.Contains("1977-07-07", StringComparison.Ordinal));
    }

    private sealed class ListLoggerProvider : ILoggerProvider
    {
        public ConcurrentQueue<string> Messages { get; } = new();

        public ILogger CreateLogger(string categoryName) => new ListLogger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class ListLogger(ListLoggerProvider owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel))
                {
                    owner.Messages.Enqueue($"{category}: {formatter(state, exception)} {exception}");
                }
            }
        }
    }
}
