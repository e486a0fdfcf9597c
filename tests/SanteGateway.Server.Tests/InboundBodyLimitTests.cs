using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SanteGateway.Server.Inbound;
using SanteGateway.Server.Security;
using SanteGateway.Store;
using SanteGateway.Store.Tests;

namespace SanteGateway.Server.Tests;

/// <summary>
/// One bounded read for every body handed to the inbound gate: over <c>Inbound:MaxBytes</c> the answer is 413 naming the limit
/// (problem details on <c>/api/inbound</c>, an OperationOutcome on <c>/fhir/Patient</c>), whether the sender declared the length
/// or streamed it chunked, and nothing is stored.
/// </summary>
public sealed class InboundBodyLimitTests(SqliteTestDatabase database) : IClassFixture<SqliteTestDatabase>
{
    private const int Limit = 2048;

    private Task<TestGateway> StartAsync() =>
        TestGateway.StartAsync(database, configureBuilder: b => b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Inbound:MaxBytes"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Inbound:Partners:0:Id"] = "LAB-LIMIT",
            ["Inbound:Partners:0:AssigningAuthority"] = "1.2.250.1.999.77",
        }));

    /// <summary>A body whose length is not sent (chunked transfer): only the bytes read can tell it is too large.</summary>
    private sealed class UnknownLength(byte[] bytes) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(bytes).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = -1;
            return false;
        }
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, string path, int size, bool declared, string contentType)
    {
        // A FHIR-looking JSON of exactly `size` bytes (content does not matter for the limit).
        var padding = new string(' ', Math.Max(0, size - 2));
        var bytes = Encoding.ASCII.GetBytes("{" + padding + "}");
        HttpContent content = declared ? new ByteArrayContent(bytes) : new UnknownLength(bytes);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        using var req = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        req.Headers.Add(InboundEndpoints.PartnerHeader, "LAB-LIMIT");
        return await client.SendAsync(req, TestContext.Current.CancellationToken);
    }

    private async Task<int> StoredAsync(TestGateway gw)
    {
        await using var scope = gw.Services.CreateAsyncScope();
        return scope.ServiceProvider.GetRequiredService<GatewayDbContext>().InboundItems.Count(x => x.PartnerId == "LAB-LIMIT");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_body_over_the_limit_on_the_API_is_a_413_problem_naming_the_limit_and_nothing_is_stored(bool declared)
    {
        await using var gw = await StartAsync();
        using var client = await gw.ClientAsync(GatewayRoles.FrontDesk);
        var before = await StoredAsync(gw);

        using var r = await PostAsync(client, "/api/inbound", Limit + 1, declared, "application/fhir+json");

        r.StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge);
        var problem = (await r.JsonAsync());
        problem.GetProperty("rule").GetString().Should().Be("inbound.too-large");
        problem.GetProperty("errors").GetProperty("body")[0].GetString().Should().StartWith("inbound.too-large:").And.Contain("2048 bytes");
        (await StoredAsync(gw)).Should().Be(before);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_body_over_the_limit_on_FHIR_is_a_413_OperationOutcome_naming_the_limit_and_nothing_is_stored(bool declared)
    {
        await using var gw = await StartAsync();
        using var client = await gw.ClientAsync(GatewayRoles.FrontDesk);
        var before = await StoredAsync(gw);

        using var r = await PostAsync(client, "/fhir/Patient", Limit + 1, declared, "application/fhir+json");

        r.StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge);
        var outcome = JsonDocument.Parse(await r.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        var issue = outcome.GetProperty("issue")[0];
        issue.GetProperty("code").GetString().Should().Be("too-long");
        issue.GetProperty("expression")[0].GetString().Should().Be("body");
        issue.GetProperty("diagnostics").GetString().Should().Contain("2048 bytes");
        issue.GetProperty("details").GetProperty("coding")[0].GetProperty("code").GetString().Should().Be("inbound.too-large");
        (await StoredAsync(gw)).Should().Be(before);
    }

    [Theory]
    [InlineData("/api/inbound", true)]
    [InlineData("/api/inbound", false)]
    [InlineData("/fhir/Patient", true)]
    [InlineData("/fhir/Patient", false)]
    public async Task A_body_of_exactly_the_limit_is_stored(string path, bool declared)
    {
        await using var gw = await StartAsync();
        using var client = await gw.ClientAsync(GatewayRoles.FrontDesk);
        var before = await StoredAsync(gw);

        using var r = await PostAsync(client, path, Limit, declared, "application/fhir+json");

        r.StatusCode.Should().Be(HttpStatusCode.Accepted, await r.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        (await StoredAsync(gw)).Should().Be(before + 1);
    }
}
