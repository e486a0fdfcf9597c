using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace SanteGateway.Ror;

/// <summary>An OAuth2 access token and when it expires.</summary>
/// <param name="Value">The bearer token.</param>
/// <param name="ExpiresAt">Its <c>exp</c> (from the JWT, else from <c>expires_in</c>).</param>
public sealed record RorAccessToken(string Value, DateTimeOffset ExpiresAt);

/// <summary>
/// Gets tokens with the OAuth2 client-credentials grant and reuses one until <see cref="RorClientOptions.TokenRenewalMargin"/>
/// before its <c>exp</c>. Profile 0 sends <c>client_secret</c>; profiles 1–5 send none (the TLS client certificate of the token
/// HTTP client authenticates, RFC 8705). Concurrent callers share one renewal.
/// </summary>
public sealed class RorTokenProvider
{
    private readonly HttpClient _http;
    private readonly RorClientOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private RorAccessToken? _current;

    /// <summary>Creates the provider.</summary>
    /// <param name="http">HTTP client of the token endpoint (carries the client certificate for profiles 1–5).</param>
    /// <param name="options">Settings.</param>
    /// <param name="time">Clock.</param>
    /// <param name="logger">Logger.</param>
    public RorTokenProvider(HttpClient http, RorClientOptions options, TimeProvider time, ILogger logger)
    {
        _http = http ?? throw new ArgumentNullException(nameof(http));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    /// <summary>How many tokens were obtained (for tests and metrics).</summary>
    public int TokensObtained { get; private set; }

    /// <summary>Returns a valid token, asking for a new one only when none is held or the held one is about to expire.</summary>
    /// <param name="cancellationToken">Cancellation.</param>
    /// <returns>The token.</returns>
    /// <exception cref="RorAuthenticationException">The endpoint refused the client.</exception>
    /// <exception cref="RorTransportException">The endpoint could not be reached.</exception>
    public async Task<RorAccessToken> GetAsync(CancellationToken cancellationToken)
    {
        var held = _current;
        if (held is not null && IsFresh(held))
        {
            return held;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            held = _current;
            if (held is not null && IsFresh(held))
            {
                return held;
            }

            _current = await RequestAsync(cancellationToken).ConfigureAwait(false);
            return _current;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Forgets <paramref name="token"/> (the API answered 401 with it), so the next call gets a new one.</summary>
    /// <param name="token">The refused token.</param>
    public void Invalidate(RorAccessToken token)
    {
        if (ReferenceEquals(_current, token))
        {
            _current = null;
        }
    }

    private bool IsFresh(RorAccessToken token) => _time.GetUtcNow() < token.ExpiresAt - _options.TokenRenewalMargin;

    private async Task<RorAccessToken> RequestAsync(CancellationToken cancellationToken)
    {
        var form = new List<KeyValuePair<string, string>>
        {
            new("grant_type", "client_credentials"),
            new("client_id", _options.ClientId),
        };
        if (!_options.UsesMutualTls)
        {
            form.Add(new("client_secret", _options.ClientSecret ?? string.Empty));
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, _options.TokenEndpoint) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new RorTransportException($"ROR token endpoint {_options.TokenEndpoint.Host} unreachable: {ex.Message}", ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new RorTransportException($"ROR token endpoint {_options.TokenEndpoint.Host} timed out.", ex);
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            JsonElement root;
            try
            {
                using var doc = JsonDocument.Parse(body.Length == 0 ? "{}" : body);
                root = doc.RootElement.Clone();
            }
            catch (JsonException)
            {
                throw new RorAuthenticationException(response.StatusCode, "invalid_response", "The token endpoint did not answer JSON.");
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new RorAuthenticationException(response.StatusCode, Str(root, "error"), Str(root, "error_description"));
            }

            var value = Str(root, "access_token");
            if (string.IsNullOrEmpty(value))
            {
                throw new RorAuthenticationException(response.StatusCode, "invalid_response", "No access_token in the answer.");
            }

            var now = _time.GetUtcNow();
            var expires = JwtExpiry(value)
                ?? (root.TryGetProperty("expires_in", out var e) && e.TryGetInt32(out var seconds) ? now.AddSeconds(seconds) : now.AddMinutes(1));
            TokensObtained++;
            _logger.LogDebug("ROR token obtained for client {ClientId}, valid until {ExpiresAt:O}", _options.ClientId, expires);
            return new RorAccessToken(value, expires);
        }
    }

    private static string? Str(JsonElement root, string name) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;

    /// <summary>Reads <c>exp</c> from a JWT's payload (no signature check: the token is only forwarded to the server that issued it).</summary>
    internal static DateTimeOffset? JwtExpiry(string token)
    {
        var parts = token.Split('.');
        if (parts.Length < 2)
        {
            return null;
        }

        try
        {
            var payload = parts[1].Replace('-', '+').Replace('_', '/');
            payload = payload.PadRight(payload.Length + ((4 - (payload.Length % 4)) % 4), '=');
            using var doc = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(payload)));
            return doc.RootElement.TryGetProperty("exp", out var exp) && exp.TryGetInt64(out var seconds)
                ? DateTimeOffset.FromUnixTimeSeconds(seconds)
                : null;
        }
        catch (Exception ex) when (ex is FormatException or JsonException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }
}
