using System.Net;
using System.Text;
using SanteGateway.Server.Security;
using SanteGateway.Store.Tests;

namespace SanteGateway.Server.Tests;

/// <summary>
/// The OpenAPI document against the running gateway: every documented operation is called (as an administrator with
/// every role, then anonymously) and each answer must be one the document describes — status, media type and body
/// schema (checked by <see cref="DocumentCheckingHandler"/>, which every other test of the API also goes through).
/// </summary>
public sealed class ApiDocumentTests(SqliteTestDatabase database) : IClassFixture<SqliteTestDatabase>, IAsyncLifetime
{
    private TestGateway? gateway;

    public async ValueTask InitializeAsync() => gateway = await TestGateway.StartAsync(database);

    public async ValueTask DisposeAsync()
    {
        if (gateway is not null)
        {
            await gateway.DisposeAsync();
        }
    }

    [Fact]
    public async Task Every_documented_operation_answers_as_documented_with_and_without_credentials()
    {
        var document = await gateway!.ConformanceAsync();
        var operations = document.Operations.ToList();
        operations.Should().HaveCountGreaterThan(20, "the document lists the gateway's operations");

        var admin = await gateway.ClientAsync(GatewayRoles.Admin, GatewayRoles.IdentityVigilance, GatewayRoles.FrontDesk);
        var anonymous = gateway.Anonymous();
        var failures = new List<string>();
        foreach (var (method, template, id) in operations)
        {
            // Path parameters get a value that names nothing: the operation must answer a documented "not found"
            // or "invalid" rather than crash. Bodies are empty JSON objects: a documented validation answer.
            var path = System.Text.RegularExpressions.Regex.Replace(template, @"\{[^}]+\}", _ => Guid.NewGuid().ToString());
            foreach (var (client, who) in new[] { (admin, "administrator"), (anonymous, "anonymous") })
            {
                if (id == "Logout" && who == "administrator")
                {
                    continue; // an API key has no session to end; covered by the account tests
                }

                using var request = new HttpRequestMessage(new HttpMethod(method), path);
                if (method is "POST" or "PUT" or "PATCH")
                {
                    request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
                }

                try
                {
                    using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
                    if (response.StatusCode == HttpStatusCode.InternalServerError)
                    {
                        failures.Add($"{method} {template} ({who}) answered 500");
                    }
                }
                catch (ApiDocumentMismatchException e)
                {
                    failures.Add($"({who}) {e.Message}");
                }
            }
        }

        failures.Should().BeEmpty("every answer must be documented:\n" + string.Join("\n", failures));
    }

    [Fact]
    public async Task The_main_requests_have_examples_that_fit_their_schema_and_the_identity_example_creates_an_identity()
    {
        var document = await gateway!.ConformanceAsync();
        var examples = document.RequestExamples().ToList();
        examples.Select(e => e.OperationId).Should().Contain(["CreateIdentity", "PatchIdentity", "AddEvidence", "InsiSearch", "MergeIdentities", "Login", "CreateBatchJob"]);
        examples.SelectMany(e => e.Errors).Should().BeEmpty();

        var front = await gateway.ClientAsync(GatewayRoles.FrontDesk);
        var create = examples.Single(e => e.OperationId == "CreateIdentity").Example;
        using var response = await front.PostAsync("/api/identities", new StringContent(create.GetRawText(), Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        response.StatusCode.Should().Be(HttpStatusCode.Created, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        (await response.JsonAsync()).GetProperty("status").GetString().Should().Be("VALI", "the example carries a checked identity card");
    }

    [Fact]
    public async Task An_answer_the_document_does_not_describe_is_reported_with_the_operation_and_status()
    {
        var document = await gateway!.ConformanceAsync();
        var errors = document.Check("GET", $"/api/identities/{Guid.NewGuid()}", HttpStatusCode.Conflict, "application/problem+json", "{}");
        errors.Should().ContainSingle().Which.Should().Contain("GetIdentity").And.Contain("409");
        document.Check("GET", $"/api/identities/{Guid.NewGuid()}", HttpStatusCode.OK, "application/json", "{\"id\": 12}")
            .Should().Contain(e => e.Contains("$.id", StringComparison.Ordinal));
        document.Check("DELETE", "/api/not-documented", HttpStatusCode.OK, null, "").Should().ContainSingle();
    }
}
