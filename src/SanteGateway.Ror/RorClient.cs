using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Task = System.Threading.Tasks.Task;

namespace SanteGateway.Ror;

/// <summary>
/// Client of the national ROR (FHIR R4, MEV3). Reads and searches carry the four <c>Ror-*</c> headers (five main resources
/// only); the capacity PATCH never does. Paging follows the server's <c>next</c> links as opaque URLs. A 401 makes the client
/// drop its token and try once more with a new one. Every HTTP error becomes a <see cref="RorRequestException"/> carrying the
/// OperationOutcome. Build it with <see cref="RorServiceCollectionExtensions.AddRorClient"/> or <see cref="Create"/>.
/// </summary>
public sealed class RorClient : IDisposable
{
    private const string FhirJson = "application/fhir+json";
    private static readonly FhirJsonSerializer Serializer = new();
    private static readonly FhirJsonDeserializer Deserializer = new(new DeserializerSettings { Validator = null });

    private readonly HttpClient _http;
    private readonly RorClientOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly IDisposable? _owned;

    /// <summary>Creates the client over an HTTP client built with the ROR pipeline (see <see cref="RorServiceCollectionExtensions"/>).</summary>
    /// <param name="http">HTTP client of the FHIR APIs.</param>
    /// <param name="tokens">Token provider.</param>
    /// <param name="options">Settings.</param>
    /// <param name="logger">Logger (ids only, never data).</param>
    /// <param name="time">Clock.</param>
    public RorClient(HttpClient http, RorTokenProvider tokens, RorClientOptions options, ILogger<RorClient>? logger = null, TimeProvider? time = null)
        : this(http, tokens, options, logger, time, null)
    {
    }

    private RorClient(HttpClient http, RorTokenProvider tokens, RorClientOptions options, ILogger? logger, TimeProvider? time, IDisposable? owned)
    {
        _http = http ?? throw new ArgumentNullException(nameof(http));
        Tokens = tokens ?? throw new ArgumentNullException(nameof(tokens));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _logger = logger ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
        _owned = owned;
    }

    /// <summary>The token provider (shared by every call of this client).</summary>
    public RorTokenProvider Tokens { get; }

    /// <summary>The settings.</summary>
    public RorClientOptions Options => _options;

    /// <summary>Builds a stand-alone client (own HTTP pipeline with the standard resilience handler); dispose it when done.</summary>
    /// <param name="options">Settings (validated now).</param>
    /// <param name="loggerFactory">Logging.</param>
    /// <param name="time">Clock.</param>
    /// <returns>The client.</returns>
    /// <exception cref="ArgumentException">A setting is wrong (the message names each).</exception>
    public static RorClient Create(RorClientOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection();
        if (loggerFactory is not null)
        {
            Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton(services, loggerFactory);
        }

        if (time is not null)
        {
            Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton(services, time);
        }

        services.AddRorClient(options);
        var provider = Microsoft.Extensions.DependencyInjection.ServiceCollectionContainerBuilderExtensions.BuildServiceProvider(services);
        var built = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<RorClient>(provider);
        return new RorClient(built._http, built.Tokens, options, built._logger, built._time, provider);
    }

    /// <summary>Reads one resource by id (with the <c>Ror-*</c> headers).</summary>
    /// <typeparam name="T">Resource type.</typeparam>
    /// <param name="id">Logical id.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    /// <returns>The resource.</returns>
    /// <exception cref="RorRequestException">HTTP error (404 when unknown).</exception>
    public async Task<T> ReadAsync<T>(string id, CancellationToken cancellationToken = default)
        where T : Resource
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        var type = ModelInfo.GetFhirTypeNameForType(typeof(T)) ?? typeof(T).Name;
        var uri = new Uri(_options.FhirBase, type + "/" + Uri.EscapeDataString(id));
        var resource = await GetResourceAsync(uri, RorConstants.MainResourceTypes.Contains(type), cancellationToken).ConfigureAwait(false);
        return resource as T ?? throw new RorException($"ROR read {type}/{id}: the answer is a {resource.TypeName}.");
    }

    /// <summary>Runs a search and returns its first page.</summary>
    /// <param name="search">The search.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    /// <returns>The searchset Bundle (<c>total</c>, entries with <c>search.mode</c> match/include, <c>next</c> link).</returns>
    public async Task<Bundle> SearchAsync(RorSearch search, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(search);
        var query = search.ToQueryString();
        var uri = new Uri(_options.FhirBase, search.ResourceType + (query.Length > 0 ? "?" + query : string.Empty));
        return await GetBundleAsync(uri, RorConstants.MainResourceTypes.Contains(search.ResourceType), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The page after <paramref name="page"/>, following its <c>next</c> link as an opaque URL (same headers as the search:
    /// a HAPI <c>_getpages</c> link carries no resource type, but it continues a read of the main resources).
    /// </summary>
    /// <param name="page">A page of a search.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    /// <returns>The next page, or null on the last one.</returns>
    public async Task<Bundle?> NextPageAsync(Bundle page, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(page);
        var next = page.Link.FirstOrDefault(l => l.Relation == "next")?.Url;
        if (string.IsNullOrEmpty(next))
        {
            return null;
        }

        var uri = Uri.TryCreate(next, UriKind.Absolute, out var absolute) ? absolute : new Uri(_options.FhirBase, next);
        return await GetBundleAsync(uri, rorHeaders: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Every page of a search, following <c>next</c> links (the ROR stops plain searches at 10,000 results: use $export for more).</summary>
    /// <param name="search">The search.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    /// <returns>The pages in order.</returns>
    public async IAsyncEnumerable<Bundle> SearchPagesAsync(RorSearch search, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Bundle? page = await SearchAsync(search, cancellationToken).ConfigureAwait(false);
        while (page is not null)
        {
            yield return page;
            page = await NextPageAsync(page, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Starts an asynchronous export (<c>GET [base]/$export</c> with <c>Prefer: respond-async</c>).</summary>
    /// <param name="request">What to export.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    /// <returns>The job (its status URL from <c>Content-Location</c>).</returns>
    /// <exception cref="RorRequestException">The kick-off was refused.</exception>
    public async Task<RorExportJob> StartExportAsync(RorExportRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var uri = new Uri(_options.FhirBase, "$export?" + request.ToQueryString());
        using var response = await SendAsync(() =>
        {
            var m = new HttpRequestMessage(HttpMethod.Get, uri);
            m.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(FhirJson));
            m.Headers.Add("Prefer", "respond-async");
            return m;
        }, rorHeaders: false, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, "GET", uri, cancellationToken).ConfigureAwait(false);
        var location = response.Content.Headers.ContentLocation ?? response.Headers.Location;
        if (location is null)
        {
            throw new RorException("ROR $export kick-off answered without a Content-Location header.");
        }

        var status = location.IsAbsoluteUri ? location : new Uri(_options.FhirBase, location);
        _logger.LogInformation("ROR $export started: {StatusPath}", status.AbsolutePath);
        return new RorExportJob(status);
    }

    /// <summary>Polls an export job once.</summary>
    /// <param name="job">The job.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    /// <returns>In progress (with the server's hints) or complete (with the manifest).</returns>
    /// <exception cref="RorRequestException">The job failed or is unknown.</exception>
    public async Task<RorExportStatus> GetExportStatusAsync(RorExportJob job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        using var response = await SendAsync(() =>
        {
            var m = new HttpRequestMessage(HttpMethod.Get, job.StatusUri);
            m.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            return m;
        }, rorHeaders: false, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, "GET", job.StatusUri, cancellationToken).ConfigureAwait(false);
        var retry = response.Headers.RetryAfter is { } ra ? ra.Delta ?? (ra.Date is { } d ? d - _time.GetUtcNow() : null) : null;
        if (response.StatusCode == HttpStatusCode.Accepted)
        {
            var progress = response.Headers.TryGetValues("X-Progress", out var values) ? values.FirstOrDefault() : null;
            return new RorExportStatus(null, progress, retry);
        }

        var json = await ReadBoundedAsync(response, cancellationToken).ConfigureAwait(false);
        return new RorExportStatus(ParseManifest(json, job.StatusUri), null, null);
    }

    /// <summary>Polls until the export is complete (honouring <c>Retry-After</c>), at most <see cref="RorClientOptions.ExportTimeout"/>.</summary>
    /// <param name="job">The job.</param>
    /// <param name="progress">Told of every poll answer.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    /// <returns>The manifest.</returns>
    /// <exception cref="TimeoutException">The export did not finish in time.</exception>
    public async Task<RorExportManifest> WaitForExportAsync(RorExportJob job, IProgress<RorExportStatus>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        var deadline = _time.GetUtcNow() + _options.ExportTimeout;
        while (true)
        {
            var status = await GetExportStatusAsync(job, cancellationToken).ConfigureAwait(false);
            progress?.Report(status);
            if (status.Manifest is { } manifest)
            {
                return manifest;
            }

            if (_time.GetUtcNow() >= deadline)
            {
                throw new TimeoutException($"ROR $export not finished after {_options.ExportTimeout}.");
            }

            var wait = status.RetryAfter is { } r && r > TimeSpan.Zero ? r : _options.ExportPollInterval;
            await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Streams the resources of one export file (NDJSON, or a JSON Bundle as the national ROR documents).</summary>
    /// <param name="file">The file from the manifest.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    /// <returns>The resources.</returns>
    public async IAsyncEnumerable<Resource> ReadExportFileAsync(RorExportFile file, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var entry in ReadExportEntriesAsync(file, cancellationToken).ConfigureAwait(false))
        {
            yield return entry.Resource;
        }
    }

    /// <summary>Like <see cref="ReadExportFileAsync"/>, with each resource's JSON as received. Streams the resources of one export file (NDJSON, or a JSON Bundle as the national ROR documents).</summary>
    /// <param name="file">The file from the manifest.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    /// <returns>The resources.</returns>
    public async IAsyncEnumerable<RorExportEntry> ReadExportEntriesAsync(RorExportFile file, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        using var response = await GetExportFileAsync(file, cancellationToken).ConfigureAwait(false);
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            await foreach (var entry in RorExportReader.ReadEntriesAsync(stream, cancellationToken).ConfigureAwait(false))
            {
                yield return entry;
            }
        }
    }

    /// <summary>
    /// Like <see cref="ReadExportEntriesAsync"/> without the FHIR object model: each resource as received, parsed with
    /// System.Text.Json only (what a mirror needs to index and store it). Dispose each record before asking for the next.
    /// </summary>
    /// <param name="file">The file from the manifest.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    /// <returns>The resources.</returns>
    public async IAsyncEnumerable<RorExportRecord> ReadExportRecordsAsync(RorExportFile file, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        using var response = await GetExportFileAsync(file, cancellationToken).ConfigureAwait(false);
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            await foreach (var record in RorExportReader.ReadRecordsAsync(stream, cancellationToken).ConfigureAwait(false))
            {
                yield return record;
            }
        }
    }

    // One export file's download (NDJSON preferred, a JSON Bundle accepted), checked for success; read by both readers above.
    private async Task<HttpResponseMessage> GetExportFileAsync(RorExportFile file, CancellationToken cancellationToken)
    {
        var response = await SendAsync(() =>
        {
            var m = new HttpRequestMessage(HttpMethod.Get, file.Url);
            m.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/fhir+ndjson"));
            m.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(FhirJson));
            return m;
        }, rorHeaders: false, cancellationToken).ConfigureAwait(false);
        try
        {
            await EnsureSuccessAsync(response, "GET", file.Url, cancellationToken).ConfigureAwait(false);
            return response;
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>Asks the server to delete a finished or running export job (best effort: 404 is ignored).</summary>
    /// <param name="job">The job.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    /// <returns>A task.</returns>
    public async Task DeleteExportAsync(RorExportJob job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Delete, job.StatusUri), rorHeaders: false, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.NotFound)
        {
            await EnsureSuccessAsync(response, "DELETE", job.StatusUri, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Sends one capacity figure with the documented algorithm: <c>replace</c> first; on the specific 404 (indicator absent)
    /// an <c>add</c>; a 404 on the Location, a 412 (several Locations) and a 400 business rule come back as alert outcomes.
    /// The <c>Ror-*</c> headers are never sent here.
    /// </summary>
    /// <param name="update">The figure.</param>
    /// <param name="systems">Code systems of the codings (defaults when null).</param>
    /// <param name="cancellationToken">Cancellation.</param>
    /// <returns>The outcome.</returns>
    /// <exception cref="ArgumentException">The update breaks a field rule.</exception>
    /// <exception cref="RorRequestException">Any other HTTP error (401/403 rights, 5xx…).</exception>
    public async Task<RorCapacityResult> SetCapacityAsync(RorCapacityUpdate update, RorCapacityCodeSystems? systems = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        var problems = update.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(update));
        }

        systems ??= new RorCapacityCodeSystems();
        var uri = new Uri(_options.EffectiveCapacityBase, "Location?identifier=" + Uri.EscapeDataString(update.LocationIdentifier));
        var (status, outcome) = await PatchAsync(uri, RorCapacityPatch.Replace(update), cancellationToken).ConfigureAwait(false);
        if (IsSuccess(status))
        {
            _logger.LogInformation("ROR capacity replaced on {Location}", update.LocationIdentifier);
            return new RorCapacityResult(RorCapacityOutcome.Replaced, outcome, 1);
        }

        var classified = Classify(status, outcome);
        if (classified is not null)
        {
            return new RorCapacityResult(classified.Value, outcome, 1);
        }

        if (status == HttpStatusCode.NotFound && IsMissingIndicator(outcome))
        {
            var (addStatus, addOutcome) = await PatchAsync(uri, RorCapacityPatch.Add(update, systems), cancellationToken).ConfigureAwait(false);
            if (IsSuccess(addStatus))
            {
                _logger.LogInformation("ROR capacity indicator added on {Location}", update.LocationIdentifier);
                return new RorCapacityResult(RorCapacityOutcome.Added, addOutcome, 2);
            }

            if (Classify(addStatus, addOutcome) is { } addClassified)
            {
                return new RorCapacityResult(addClassified, addOutcome, 2);
            }

            throw new RorRequestException("PATCH", uri.AbsolutePath, addStatus, addOutcome);
        }

        throw new RorRequestException("PATCH", uri.AbsolutePath, status, outcome);
    }

    /// <inheritdoc/>
    public void Dispose() => _owned?.Dispose();

    private static bool IsSuccess(HttpStatusCode status) => (int)status is >= 200 and < 300;

    private RorCapacityOutcome? Classify(HttpStatusCode status, OperationOutcome? outcome)
    {
        var code = outcome?.Issue.FirstOrDefault()?.Code;
        switch ((int)status)
        {
            case 404 when !IsMissingIndicator(outcome):
                _logger.LogWarning("ROR capacity: no Location for this sync id (alert the GRADeS)");
                return RorCapacityOutcome.LocationNotFound;
            case 412:
                _logger.LogWarning("ROR capacity: several Locations share the sync id (alert the GRADeS and the establishment)");
                return RorCapacityOutcome.MultipleMatches;
            case 400 when code is OperationOutcome.IssueType.BusinessRule or OperationOutcome.IssueType.Invalid or OperationOutcome.IssueType.Value:
                _logger.LogWarning("ROR capacity refused by a business rule (alert the GRADeS and the establishment)");
                return RorCapacityOutcome.BusinessRuleRejected;
            default:
                return null;
        }
    }

    private static bool IsMissingIndicator(OperationOutcome? outcome) =>
        outcome?.Issue.FirstOrDefault() is { Code: OperationOutcome.IssueType.NotFound } issue
        && issue.Expression.Any(e => e is not null && e.StartsWith("Location.extension", StringComparison.Ordinal));

    private async Task<(HttpStatusCode Status, OperationOutcome? Outcome)> PatchAsync(Uri uri, Parameters body, CancellationToken cancellationToken)
    {
        var json = Serializer.SerializeToString(body);
        using var response = await SendAsync(() =>
        {
            var m = new HttpRequestMessage(HttpMethod.Patch, uri) { Content = new StringContent(json, Encoding.UTF8) };
            m.Content.Headers.ContentType = new MediaTypeHeaderValue(FhirJson) { CharSet = "utf-8" };
            return m;
        }, rorHeaders: false, cancellationToken).ConfigureAwait(false);
        var text = await ReadBoundedAsync(response, cancellationToken).ConfigureAwait(false);
        return (response.StatusCode, TryOutcome(text));
    }

    private async Task<Bundle> GetBundleAsync(Uri uri, bool rorHeaders, CancellationToken cancellationToken)
    {
        var resource = await GetResourceAsync(uri, rorHeaders, cancellationToken).ConfigureAwait(false);
        return resource as Bundle ?? throw new RorException($"ROR search {uri.AbsolutePath}: expected a Bundle, got a {resource.TypeName}.");
    }

    private async Task<Resource> GetResourceAsync(Uri uri, bool rorHeaders, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(() =>
        {
            var m = new HttpRequestMessage(HttpMethod.Get, uri);
            m.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(FhirJson));
            return m;
        }, rorHeaders, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, "GET", uri, cancellationToken).ConfigureAwait(false);
        var text = await ReadBoundedAsync(response, cancellationToken).ConfigureAwait(false);
        return ParseResource(text, uri);
    }

    private async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> build, bool rorHeaders, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var token = await Tokens.GetAsync(cancellationToken).ConfigureAwait(false);
            using var request = build();
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Value);
            if (rorHeaders)
            {
                request.Headers.Add(RorConstants.HeaderProfilUtilisateurCode, _options.ProfilUtilisateurCode);
                request.Headers.Add(RorConstants.HeaderProfilUtilisateurSystem, _options.ProfilUtilisateurSystem);
                request.Headers.Add(RorConstants.HeaderRoleMetierCode, _options.RoleMetierCode);
                request.Headers.Add(RorConstants.HeaderRoleMetierSystem, _options.RoleMetierSystem);
            }

            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException ex)
            {
                throw new RorTransportException($"ROR {request.Method} {request.RequestUri?.AbsolutePath}: {ex.Message}", ex);
            }
            catch (Exception ex) when (ex is TaskCanceledException or TimeoutException or Polly.Timeout.TimeoutRejectedException && !cancellationToken.IsCancellationRequested)
            {
                throw new RorTransportException($"ROR {request.Method} {request.RequestUri?.AbsolutePath} timed out.", ex);
            }
            catch (Polly.CircuitBreaker.BrokenCircuitException ex)
            {
                throw new RorTransportException("ROR unavailable (circuit open after repeated failures).", ex);
            }

            if (response.StatusCode == HttpStatusCode.Unauthorized && attempt == 0)
            {
                // Revoked or expired early (clock skew): one new token, one new try.
                Tokens.Invalidate(token);
                response.Dispose();
                continue;
            }

            return response;
        }
    }

    private async Task EnsureSuccessAsync(HttpResponseMessage response, string method, Uri uri, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        string text;
        try
        {
            text = await ReadBoundedAsync(response, cancellationToken).ConfigureAwait(false);
        }
        catch (RorException)
        {
            text = string.Empty;
        }

        var outcome = TryOutcome(text);
        _logger.LogWarning("ROR {Method} {Path} answered {Status}", method, uri.AbsolutePath, (int)response.StatusCode);
        throw new RorRequestException(method, uri.AbsolutePath, response.StatusCode, outcome);
    }

    private async Task<string> ReadBoundedAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength is { } length && length > _options.MaxResponseBytes)
        {
            throw new RorException($"ROR answer of {length} bytes exceeds Ror:MaxResponseBytes ({_options.MaxResponseBytes}).");
        }

        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int read;
            while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > _options.MaxResponseBytes)
                {
                    throw new RorException($"ROR answer exceeds Ror:MaxResponseBytes ({_options.MaxResponseBytes}).");
                }

                buffer.Write(chunk, 0, read);
            }

            return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        }
    }

    private static Resource ParseResource(string text, Uri uri)
    {
        try
        {
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(text), new JsonReaderOptions { MaxDepth = 96 });
            Deserializer.TryDeserializeResource(ref reader, out var resource, out _);
            return resource ?? throw new RorException($"ROR {uri.AbsolutePath}: the answer is not a FHIR resource.");
        }
        catch (Exception ex) when (ex is JsonException or DeserializationFailedException or FormatException)
        {
            throw new RorException($"ROR {uri.AbsolutePath}: the answer is not FHIR JSON ({ex.Message}).", ex);
        }
    }

    internal static OperationOutcome? TryOutcome(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        try
        {
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(text), new JsonReaderOptions { MaxDepth = 64 });
            Deserializer.TryDeserializeResource(ref reader, out var resource, out _);
            return resource as OperationOutcome;
        }
        catch (Exception ex) when (ex is JsonException or DeserializationFailedException or FormatException)
        {
            return null;
        }
    }

    private RorExportManifest ParseManifest(string json, Uri statusUri)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            var time = root.TryGetProperty("transactionTime", out var t) && t.ValueKind == JsonValueKind.String
                       && DateTimeOffset.TryParse(t.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)
                ? parsed
                : _time.GetUtcNow();
            var files = new List<RorExportFile>();
            if (root.TryGetProperty("output", out var output) && output.ValueKind == JsonValueKind.Array)
            {
                foreach (var o in output.EnumerateArray())
                {
                    var url = o.GetProperty("url").GetString()!;
                    files.Add(new RorExportFile(
                        o.TryGetProperty("type", out var ty) ? ty.GetString() ?? string.Empty : string.Empty,
                        Uri.TryCreate(url, UriKind.Absolute, out var abs) ? abs : new Uri(statusUri, url),
                        o.TryGetProperty("count", out var c) && c.TryGetInt64(out var n) ? n : null));
                }
            }

            var requires = !root.TryGetProperty("requiresAccessToken", out var rat) || rat.ValueKind != JsonValueKind.False;
            return new RorExportManifest(time, files, requires);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or UriFormatException)
        {
            throw new RorException($"ROR $export manifest unreadable: {ex.Message}", ex);
        }
    }
}
