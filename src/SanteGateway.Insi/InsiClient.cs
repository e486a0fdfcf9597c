using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace SanteGateway.Insi;

/// <summary>The INSi searches.</summary>
public interface IInsiClient
{
    /// <summary>One <c>rechercherInsAvecTraitsIdentite</c> call with all first names joined in one <c>Prenom</c>.</summary>
    /// <exception cref="InsiInputException">Refused before the call (lexical profile, formats).</exception>
    /// <exception cref="InsiFaultException">SOAP fault (after retries for "unavailable" faults).</exception>
    /// <exception cref="InsiTransportException">Connection, TLS, timeout, open circuit.</exception>
    /// <exception cref="InsiProtocolException">Malformed response.</exception>
    /// <exception cref="InsiCardException">CPx mode: the card could not sign the PS assertion.</exception>
    Task<InsiSearchResult> SearchByTraitsAsync(InsiTraitsQuery query, InsiCallContext context, CancellationToken cancellationToken = default);

    /// <summary>
    /// CNDA first-name strategy: first first name, then each other first name, then all first names joined;
    /// stops at the first CR 00; on CR 02 the same query is retried with the birth place when known.
    /// </summary>
    /// <exception cref="InsiInputException">Refused before the call.</exception>
    Task<InsiStrategyResult> SearchWithStrategyAsync(InsiTraitsQuery query, InsiCallContext context, CancellationToken cancellationToken = default);

    /// <summary>One <c>rechercherInsAvecCarteVitale</c> call from the card data.</summary>
    /// <exception cref="InsiInputException">Refused before the call.</exception>
    Task<InsiSearchResult> SearchWithVitaleAsync(InsiVitaleQuery query, InsiCallContext context, CancellationToken cancellationToken = default);
}

/// <summary>One call made by the first-name strategy.</summary>
/// <param name="FirstNames">The <c>Prenom</c> value sent.</param>
/// <param name="WithBirthPlace">Whether <c>LieuNaissance</c> was sent.</param>
/// <param name="Result">The answer, or null when the call failed (see <paramref name="Failure"/>).</param>
/// <param name="Failure">Why the call got no answer (SOAP fault, transport, unreadable answer); the strategy went on.</param>
public sealed record InsiAttempt(string FirstNames, bool WithBirthPlace, InsiSearchResult? Result, InsiException? Failure = null);

/// <summary>Outcome of <see cref="IInsiClient.SearchWithStrategyAsync"/>.</summary>
/// <param name="Final">The retained answer: the first CR 00, else the last CR 02, else the last CR 01.</param>
/// <param name="Attempts">Every call made, in order.</param>
public sealed record InsiStrategyResult(InsiSearchResult Final, IReadOnlyList<InsiAttempt> Attempts);

/// <summary>
/// INSi teleservice client: writes the request, sends it through <see cref="IInsiTransport"/> inside a resilience
/// pipeline (timeouts, jittered retries on transport errors and "unavailable" faults only, circuit breaker), reads the
/// response, hands every exchange to <see cref="IInsiTraceSink"/>. Thread-safe; create one per configuration.
/// </summary>
public sealed partial class InsiClient : IInsiClient, IInsVerifier, IDisposable
{
    private readonly InsiClientOptions _options;
    private readonly IInsiTransport _transport;
    private readonly IPsAssertionProvider? _assertions;
    private readonly IInsiTraceSink? _traces;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ResiliencePipeline _pipeline;
    private readonly bool _ownsTransport;

    /// <summary>Creates the client.</summary>
    /// <param name="options">Settings (IDAM, software, resilience).</param>
    /// <param name="transport">HTTP transport (see <see cref="HttpInsiTransport"/>).</param>
    /// <param name="assertions">PS assertion source, required in <see cref="InsiAuthenticationMode.CpxCard"/> mode.</param>
    /// <param name="traces">Exchange sink (optional).</param>
    /// <param name="logger">Logger; never receives identity data.</param>
    /// <param name="time">Clock.</param>
    /// <param name="ownsTransport">Dispose the transport with the client.</param>
    public InsiClient(InsiClientOptions options, IInsiTransport transport, IPsAssertionProvider? assertions = null, IInsiTraceSink? traces = null, ILogger<InsiClient>? logger = null, TimeProvider? time = null, bool ownsTransport = false)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(transport);
        if (string.IsNullOrWhiteSpace(options.Idam))
        {
            throw new ArgumentException("Idam (CNDA authorisation number) is required.", nameof(options));
        }

        if (string.IsNullOrWhiteSpace(options.Instance))
        {
            throw new ArgumentException("Instance (per-installation UUID) is required.", nameof(options));
        }

        if (options.Mode == InsiAuthenticationMode.CpxCard && assertions is null)
        {
            throw new ArgumentException("CPx mode needs a PS assertion provider.", nameof(assertions));
        }

        if (options.ResponseInjector is not null && InsiExchangeRecorder.IsProductionEndpoint(options.Endpoint))
        {
            throw new ArgumentException("ResponseInjector (CNDA response files) is refused against a production INSi endpoint.", nameof(options));
        }

        _options = options;
        _transport = transport;
        _assertions = assertions;
        _traces = InsiExchangeRecorder.Attach(options, traces);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
        _ownsTransport = ownsTransport;
        _pipeline = BuildPipeline(options, _time);
    }

    /// <summary>Creates a client from options: loads certificates and CAs, builds an <see cref="HttpInsiTransport"/>.</summary>
    public static InsiClient Create(InsiClientOptions options, IInsiTraceSink? traces = null, ILoggerFactory? loggerFactory = null, IPsAssertionProvider? assertions = null) =>
        new(options, HttpInsiTransport.FromOptions(options), assertions, traces, loggerFactory?.CreateLogger<InsiClient>(), null, ownsTransport: true);

    /// <inheritdoc />
    public Task<InsiSearchResult> SearchByTraitsAsync(InsiTraitsQuery query, InsiCallContext context, CancellationToken cancellationToken = default)
    {
        InsiQueryValidator.EnsureValid(query);
        return SendAsync(InsiActions.SearchByTraits, context, envelope => InsiRequestWriter.SearchByTraitsToBytes(envelope, query), cancellationToken, query);
    }

    /// <inheritdoc />
    public Task<InsiSearchResult> SearchWithVitaleAsync(InsiVitaleQuery query, InsiCallContext context, CancellationToken cancellationToken = default)
    {
        InsiQueryValidator.EnsureValid(query);
        return SendAsync(InsiActions.SearchWithVitale, context, envelope => InsiRequestWriter.SearchWithVitaleToBytes(envelope, query), cancellationToken);
    }

    /// <inheritdoc />
    public async Task<InsiStrategyResult> SearchWithStrategyAsync(InsiTraitsQuery query, InsiCallContext context, CancellationToken cancellationToken = default)
    {
        InsiQueryValidator.EnsureValid(query);
        var attempts = new List<InsiAttempt>();
        InsiSearchResult? ambiguous = null;
        InsiSearchResult? notFound = null;
        InsiException? lastFailure = null;
        foreach (var firstNames in StrategyVariants(query.FirstNames))
        {
            var attempt = query with { FirstNames = firstNames, BirthPlace = null };
            var result = await TryAttemptAsync(attempt, false, context, attempts, cancellationToken).ConfigureAwait(false);
            if (result?.ResultCode == InsiResultCode.Ambiguous && query.BirthPlace is not null)
            {
                ambiguous = result;
                result = await TryAttemptAsync(attempt with { BirthPlace = query.BirthPlace }, true, context, attempts, cancellationToken).ConfigureAwait(false);
            }

            switch (result?.ResultCode)
            {
                case InsiResultCode.Found:
                    return new InsiStrategyResult(result, attempts);
                case InsiResultCode.Ambiguous:
                    ambiguous = result;
                    break;
                case null:
                    lastFailure = attempts[^1].Failure;
                    break;
                default:
                    notFound = result;
                    break;
            }
        }

        // A failure on one attempt does not lose the answers of the others (live pattern: CR 02, then a fault).
        var final = ambiguous ?? notFound;
        return final is not null
            ? new InsiStrategyResult(final, attempts)
            : throw lastFailure ?? new InsiProtocolException("The first-name strategy made no call.");
    }

    private async Task<InsiSearchResult?> TryAttemptAsync(InsiTraitsQuery attempt, bool withPlace, InsiCallContext context, List<InsiAttempt> attempts, CancellationToken ct)
    {
        try
        {
            var result = await SearchOnceAsync(attempt, context, ct).ConfigureAwait(false);
            attempts.Add(new InsiAttempt(attempt.FirstNamesJoined, withPlace, result));
            return result;
        }
        catch (InsiException ex) when (ex is InsiFaultException or InsiProtocolException or InsiTransportException)
        {
            attempts.Add(new InsiAttempt(attempt.FirstNamesJoined, withPlace, null, ex));
            return null;
        }
    }

    /// <inheritdoc />
    public async Task<InsVerificationResult> VerifyAsync(InsVerificationQuery query, InsiCallContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var stored = InsVerification.CheckStored(query);
        var search = await SearchWithStrategyAsync(query.Traits, context, cancellationToken).ConfigureAwait(false);
        return InsVerification.Compare(stored, query, search);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsTransport && _transport is IDisposable d)
        {
            d.Dispose();
        }
    }

    /// <summary>First first name, each other first name, then all joined (only when there are several).</summary>
    internal static IEnumerable<IReadOnlyList<string>> StrategyVariants(IReadOnlyList<string> firstNames)
    {
        for (var i = 0; i < firstNames.Count; i++)
        {
            yield return [firstNames[i]];
        }

        if (firstNames.Count > 1)
        {
            yield return firstNames;
        }
    }

    private Task<InsiSearchResult> SearchOnceAsync(InsiTraitsQuery query, InsiCallContext context, CancellationToken ct) =>
        SendAsync(InsiActions.SearchByTraits, context, envelope => InsiRequestWriter.SearchByTraitsToBytes(envelope, query), ct, query);

    private async Task<InsiSearchResult> SendAsync(string action, InsiCallContext context, Func<InsiEnvelope, byte[]> write, CancellationToken cancellationToken, InsiTraitsQuery? query = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            return await _pipeline.ExecuteAsync(
                static async (state, ct) => await state.Client.AttemptAsync(state.Action, state.Context, state.Write, state.Query, ct).ConfigureAwait(false),
                (Client: this, Action: action, Context: context, Write: write, Query: query),
                cancellationToken).ConfigureAwait(false);
        }
        catch (BrokenCircuitException ex)
        {
            LogCircuitOpen(_logger, action);
            throw new InsiTransportException("INSi calls are suspended after repeated failures (circuit open).", ex);
        }
        catch (TimeoutRejectedException ex)
        {
            throw new InsiTransportException("INSi call timed out.", ex);
        }
    }

    private async Task<InsiSearchResult> AttemptAsync(string action, InsiCallContext context, Func<InsiEnvelope, byte[]> write, InsiTraitsQuery? query, CancellationToken ct)
    {
        string? emitter = _options.Emitter;
        string? security = null;
        string? certificateCn;
        if (_options.Mode == InsiAuthenticationMode.CpxCard)
        {
            PsAssertion assertion;
            try
            {
                assertion = await _assertions!.GetAssertionAsync(ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException and not InsiException)
            {
                throw new InsiCardException("No PS assertion could be produced by the CPx card: " + ex.Message, ex);
            }

            security = assertion.Xml;
            emitter ??= assertion.NameId;
            certificateCn = assertion.NameId;
        }
        else
        {
            var identity = _transport.Describe(context.CertificateKind);
            emitter ??= identity?.OrganizationalUnit;
            certificateCn = identity?.CommonName;
        }

        var envelope = InsiEnvelope.Create(_options.Software, emitter, _time, security);
        var request = write(envelope);

        var messageId = envelope.MessageIdValue;
        var started = _time.GetUtcNow();
        var stopwatch = Stopwatch.StartNew();
        InsiHttpResponse? response = null;
        var outcome = "TransportError";
        try
        {
            response = await _transport.SendAsync(action, request, context.CertificateKind, ct).ConfigureAwait(false);
            if (query is not null && _options.ResponseInjector?.Find(query) is { } injected)
            {
                // CNDA injection: the request went out; the approval centre's file is what the software processes.
                LogInjected(_logger, messageId, injected.Name);
                response = new InsiHttpResponse(200, injected.Body.ToArray());
            }

            var parsed = Interpret(response);
            if (parsed.Fault is { } fault)
            {
                outcome = "Fault " + fault;
                LogFault(_logger, messageId, fault.Code, fault.Subcode, fault.ErrorCode, stopwatch.Elapsed.TotalMilliseconds);
                throw new InsiFaultException(fault);
            }

            var result = parsed.Result! with { MessageId = messageId };
            outcome = "CR " + result.Code;
            LogResult(_logger, messageId, result.Code, result.Warnings.Count, stopwatch.Elapsed.TotalMilliseconds);
            return result;
        }
        catch (InsiProtocolException)
        {
            outcome = "ProtocolError";
            LogProtocolError(_logger, messageId, response?.StatusCode, stopwatch.Elapsed.TotalMilliseconds);
            throw;
        }
        catch (InsiTransportException ex)
        {
            outcome = "TransportError";
            LogTransportError(_logger, messageId, ex.HttpStatus, stopwatch.Elapsed.TotalMilliseconds, ex.GetType().Name);
            throw;
        }
        catch (OperationCanceledException)
        {
            outcome = "Cancelled";
            throw;
        }
        finally
        {
            stopwatch.Stop();
            await TraceAsync(new InsiTrace(started, action, messageId, certificateCn, stopwatch.Elapsed, outcome, response?.StatusCode, request, response?.Body, context.CorrelationId)).ConfigureAwait(false);
        }
    }

    private InsiResponse Interpret(InsiHttpResponse response)
    {
        if (response.StatusCode is not (200 or 500))
        {
            throw new InsiTransportException($"Unexpected HTTP status {response.StatusCode} from the INSi service.", null, response.StatusCode, isTransient: response.StatusCode >= 500);
        }

        try
        {
            return InsiResponseReader.Read(response.Body, _options.MaxResponseBytes);
        }
        catch (InsiProtocolException ex) when (response.StatusCode == 500)
        {
            // A 500 without a readable SOAP fault is a server/proxy failure, not an INSi answer.
            throw new InsiTransportException("HTTP 500 without a SOAP fault from the INSi service.", ex, 500);
        }
    }

    private async Task TraceAsync(InsiTrace trace)
    {
        if (_traces is null)
        {
            return;
        }

        try
        {
            // Traces are written even when the caller cancelled: the exchange happened.
            await _traces.WriteAsync(trace, CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // A failing trace sink must not turn a service answer into an error.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogTraceFailed(_logger, trace.MessageId, ex.GetType().Name);
        }
    }

    private static ResiliencePipeline BuildPipeline(InsiClientOptions o, TimeProvider time)
    {
        var transient = new PredicateBuilder()
            .Handle<InsiTransportException>(e => e.IsTransient)
            .Handle<InsiFaultException>(e => e.Fault.IsUnavailable)
            .Handle<TimeoutRejectedException>();
        var builder = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddTimeout(o.TotalTimeout);
        if (o.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = transient,
                MaxRetryAttempts = o.MaxRetries,
                Delay = o.RetryBaseDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
            });
        }

        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions
        {
            ShouldHandle = transient,
            FailureRatio = o.BreakerFailureRatio,
            MinimumThroughput = Math.Max(2, o.BreakerMinimumThroughput),
            SamplingDuration = o.BreakerSamplingDuration,
            BreakDuration = o.BreakDuration,
        });
        return builder.AddTimeout(o.AttemptTimeout).Build();
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "INSi answer {MessageId}: CR {Code}, {WarningCount} warning(s), {DurationMs:F1} ms")]
    private static partial void LogResult(ILogger logger, string messageId, string code, int warningCount, double durationMs);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "INSi fault {MessageId}: {Code}/{Subcode}/{ErrorCode}, {DurationMs:F1} ms")]
    private static partial void LogFault(ILogger logger, string messageId, string code, string? subcode, string? errorCode, double durationMs);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "INSi transport error {MessageId}: HTTP {Status}, {DurationMs:F1} ms ({Kind})")]
    private static partial void LogTransportError(ILogger logger, string messageId, int? status, double durationMs, string kind);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "INSi malformed response {MessageId}: HTTP {Status}, {DurationMs:F1} ms")]
    private static partial void LogProtocolError(ILogger logger, string messageId, int? status, double durationMs);

    [LoggerMessage(EventId = 5, Level = LogLevel.Error, Message = "INSi trace sink failed for {MessageId} ({Kind})")]
    private static partial void LogTraceFailed(ILogger logger, string messageId, string kind);

    [LoggerMessage(EventId = 7, Level = LogLevel.Warning, Message = "INSi answer {MessageId} replaced by the injected CNDA file {File}")]
    private static partial void LogInjected(ILogger logger, string messageId, string file);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "INSi circuit open, call to {Action} refused")]
    private static partial void LogCircuitOpen(ILogger logger, string action);
}
