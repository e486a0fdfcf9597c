using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using SanteGateway.Application.Batch;

namespace SanteGateway.Cli;

/// <summary>
/// <c>santegw batch … --url</c>: the same job through a running gateway's API (<c>POST /api/jobs</c>, progress from
/// <c>GET /api/jobs/{id}</c>, report from <c>GET /api/jobs/{id}/report.csv</c>). The gateway's workers do the calls;
/// this process only follows, so stopping it (Ctrl+C, even kill) stops nothing on the gateway.
/// </summary>
internal static class RemoteBatch
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Environment variable read when <c>--api-key</c> is not given (keeps the key out of shell history).</summary>
    public const string ApiKeyVariable = "SANTEGW_API_KEY";

    /// <summary>Environment variable naming a PEM certificate to trust as the root of the gateway's TLS certificate.</summary>
    public const string CaVariable = "SANTEGW_CA_CERT";

    public static async Task<int> CreateAndFollowAsync(string url, string? apiKey, CreateBatchJobRequest request, string? csvPath, string? output, CancellationToken ct)
    {
        using var http = Client(url, apiKey, out var error);
        if (http is null)
        {
            await Console.Error.WriteLineAsync(error).ConfigureAwait(false);
            return Program.UsageError;
        }

        HttpResponseMessage created;
        if (csvPath is not null)
        {
            var query = $"?kind={Uri.EscapeDataString(request.Kind)}&name={Uri.EscapeDataString(Path.GetFileName(csvPath))}"
                + (request.RatePerSecond is { } r ? "&rate=" + r.ToString(CultureInfo.InvariantCulture) : "")
                + (request.Concurrency is { } c ? "&concurrency=" + c.ToString(CultureInfo.InvariantCulture) : "");
            var content = new StreamContent(File.OpenRead(csvPath));
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/csv");
            created = await http.PostAsync("api/jobs" + query, content, ct).ConfigureAwait(false);
        }
        else
        {
            created = await http.PostAsJsonAsync("api/jobs", request, Json, ct).ConfigureAwait(false);
        }

        using (created)
        {
            if (!created.IsSuccessStatusCode)
            {
                return await RefusedAsync(created, ct).ConfigureAwait(false);
            }

            var job = (await created.Content.ReadFromJsonAsync<BatchJobView>(Json, ct).ConfigureAwait(false))!;
            Console.WriteLine($"santegw: job {job.Id} ({job.Kind}, {job.Total} items) on {http.BaseAddress}");
            return await FollowAsync(http, job.Id, output, ct).ConfigureAwait(false);
        }
    }

    public static async Task<int> ResumeAndFollowAsync(string url, string? apiKey, Guid id, string? output, CancellationToken ct)
    {
        using var http = Client(url, apiKey, out var error);
        if (http is null)
        {
            await Console.Error.WriteLineAsync(error).ConfigureAwait(false);
            return Program.UsageError;
        }

        using var current = await http.GetAsync($"api/jobs/{id}", ct).ConfigureAwait(false);
        if (!current.IsSuccessStatusCode)
        {
            return await RefusedAsync(current, ct).ConfigureAwait(false);
        }

        var job = (await current.Content.ReadFromJsonAsync<BatchJobView>(Json, ct).ConfigureAwait(false))!;
        if (job.Status == BatchStatuses.Paused)
        {
            using var resumed = await http.PostAsync($"api/jobs/{id}/resume", null, ct).ConfigureAwait(false);
            if (!resumed.IsSuccessStatusCode)
            {
                return await RefusedAsync(resumed, ct).ConfigureAwait(false);
            }
        }

        Console.WriteLine($"santegw: following job {id} on {http.BaseAddress}");
        return await FollowAsync(http, id, output, ct).ConfigureAwait(false);
    }

    private static async Task<int> FollowAsync(HttpClient http, Guid id, string? output, CancellationToken ct)
    {
        var started = DateTime.UtcNow;
        BatchJobView view;
        while (true)
        {
            view = (await http.GetFromJsonAsync<BatchJobView>($"api/jobs/{id}", Json, ct).ConfigureAwait(false))!;
            if (view.Status != BatchStatuses.Running)
            {
                break;
            }

            Console.Error.Write("\r" + BatchCommands.Line(view, started));
            await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
        }

        BatchCommands.WriteSummary(view, started);
        if (output is not null)
        {
            await using var report = await http.GetStreamAsync($"api/jobs/{id}/report.csv", ct).ConfigureAwait(false);
            await using var file = File.Create(output);
            await report.CopyToAsync(file, ct).ConfigureAwait(false);
            Console.WriteLine($"santegw: report written to {output}");
        }

        return view.Status == BatchStatuses.Done ? 0 : 1;
    }

    /// <summary>An API client for <c>--url</c>/<c>--api-key</c> (shared by <c>batch</c> and <c>hl7 dead-letters</c>).</summary>
    internal static HttpClient? Client(string url, string? apiKey, out string error, string command = "batch")
    {
        error = "";
        apiKey ??= Environment.GetEnvironmentVariable(ApiKeyVariable);
        if (string.IsNullOrWhiteSpace(apiKey))
        {
            error = $"santegw {command}: --url needs an API key (--api-key or ${ApiKeyVariable}) with the identity-vigilance or admin role.";
            return null;
        }

        if (!Uri.TryCreate(url.EndsWith('/') ? url : url + "/", UriKind.Absolute, out var baseAddress) || baseAddress.Scheme is not ("http" or "https"))
        {
            error = $"santegw {command}: --url '{url}' is not an http(s) address.";
            return null;
        }

        var handler = new SocketsHttpHandler();
        if (Environment.GetEnvironmentVariable(CaVariable) is { Length: > 0 } caPath)
        {
            // A gateway with its own (self-signed or internal CA) certificate: trust that root only, never "any".
            var root = X509Certificate2.CreateFromPemFile(caPath);
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                if (certificate is null)
                {
                    return false;
                }

                if (errors == System.Net.Security.SslPolicyErrors.None)
                {
                    return true;
                }

                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(root);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return (errors & ~System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors) == 0 && chain.Build(new X509Certificate2(certificate));
            };
        }

        var http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(10) };
        http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        return http;
    }

    private static async Task<int> RefusedAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        await Console.Error.WriteLineAsync($"santegw batch: the gateway answered {(int)response.StatusCode}: {body}").ConfigureAwait(false);
        return (int)response.StatusCode is 401 or 403 or 400 or 404 or 409 ? Program.UsageError : 1;
    }
}
