using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SanteGateway.Insi;

namespace SanteGateway.Ror;

/// <summary>Registration of the ROR client: two named HTTP clients (token, API) with the standard resilience handler.</summary>
public static class RorServiceCollectionExtensions
{
    /// <summary>Name of the HTTP client of the FHIR APIs.</summary>
    public const string ApiClientName = "SanteGateway.Ror.Api";

    /// <summary>Name of the HTTP client of the token endpoint.</summary>
    public const string TokenClientName = "SanteGateway.Ror.Token";

    /// <summary>
    /// Registers <see cref="RorClient"/> (singleton) and its <see cref="RorTokenProvider"/>. The settings are checked now.
    /// The primary handlers present the IGC-Santé client certificate (profiles 1–5; on API calls too when
    /// <see cref="RorClientOptions.CertificateOnApiCalls"/>) and accept only server chains ending at the configured CAs
    /// (<see cref="OutboundTls.ValidateServer"/>). Retries are limited to safe methods: the capacity PATCH and the token POST are never replayed.
    /// </summary>
    /// <param name="services">Services.</param>
    /// <param name="options">Settings.</param>
    /// <returns>The same services.</returns>
    /// <exception cref="ArgumentException">A setting is wrong (the message names each).</exception>
    public static IServiceCollection AddRorClient(this IServiceCollection services, RorClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(options));
        }

        var certificate = options.UsesMutualTls ? InsiCertificates.LoadPkcs12(options.ClientCertificatePath!, options.ClientCertificatePassword) : null;
        var trusted = options.TrustedCaPaths.Count > 0 ? InsiCertificates.LoadTrustedCas(options.TrustedCaPaths) : null;

        services.AddHttpClient(ApiClientName, c => c.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => Primary(options, options.CertificateOnApiCalls ? certificate : null, trusted))
            .AddStandardResilienceHandler(r => Configure(r, options));
        services.AddHttpClient(TokenClientName, c => c.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => Primary(options, certificate, trusted))
            .AddStandardResilienceHandler(r => Configure(r, options));

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new RorTokenProvider(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(TokenClientName),
            options,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILoggerFactory>()?.CreateLogger<RorTokenProvider>() ?? (ILogger)NullLogger.Instance));
        services.TryAddSingleton(sp => new RorClient(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(ApiClientName),
            sp.GetRequiredService<RorTokenProvider>(),
            options,
            sp.GetService<ILoggerFactory>()?.CreateLogger<RorClient>(),
            sp.GetRequiredService<TimeProvider>()));
        return services;
    }

    private static void Configure(HttpStandardResilienceOptions r, RorClientOptions options)
    {
        r.Retry.MaxRetryAttempts = Math.Max(1, options.MaxRetries);
        r.Retry.DisableForUnsafeHttpMethods();
        if (options.MaxRetries == 0)
        {
            r.Retry.ShouldHandle = _ => ValueTask.FromResult(false);
        }

        r.AttemptTimeout.Timeout = options.AttemptTimeout;
        r.TotalRequestTimeout.Timeout = options.TotalTimeout > options.AttemptTimeout ? options.TotalTimeout : options.AttemptTimeout + TimeSpan.FromSeconds(1);
        // The breaker's window must be at least twice the attempt timeout (options validation of the handler).
        r.CircuitBreaker.SamplingDuration = options.AttemptTimeout * 2 + TimeSpan.FromSeconds(1);
    }

    private static SocketsHttpHandler Primary(RorClientOptions options, X509Certificate2? certificate, X509Certificate2Collection? trusted)
    {
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AutomaticDecompression = System.Net.DecompressionMethods.GZip | System.Net.DecompressionMethods.Deflate,
        };
        if (certificate is not null)
        {
            handler.SslOptions.ClientCertificates = [certificate];
            handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => certificate;
        }

        if (trusted is not null)
        {
            var checkRevocation = options.CheckRevocation;
            handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, _, errors) => OutboundTls.ValidateServer(cert, errors, trusted, checkRevocation);
        }

        return handler;
    }
}
