using System.Buffers;
using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SanteGateway.Insi.Sandbox.Cpx;
using SanteGateway.Insi.Sandbox.Data;
using SanteGateway.Insi.Sandbox.Pki;
using SanteGateway.Insi.Sandbox.Soap;

namespace SanteGateway.Insi.Sandbox;

/// <summary>An answer of the sandbox, ready to send.</summary>
/// <param name="StatusCode">HTTP status (200 for any CR, 500 for faults, 413/415 for transport refusals).</param>
/// <param name="Body">UTF-8 SOAP 1.2 envelope.</param>
/// <param name="Outcome">Short machine-readable outcome for logs and tests: <c>CR00</c>, <c>CR01</c>, <c>CR02</c>,
/// <c>scripted:FILE</c> or the fault's <c>siram:Erreur/@code</c>. Never contains identity data.</param>
public sealed record InsiSandboxResponse(int StatusCode, byte[] Body, string Outcome)
{
    /// <summary>How long the real service took, for a replayed answer (used by the <c>recorded</c> latency profile); else null.</summary>
    public TimeSpan? RecordedDuration { get; init; }

    /// <summary>Content-Type of every answer.</summary>
    public const string ContentType = "application/soap+xml; charset=utf-8";
}

/// <summary>
/// The INSi teleservice logic of the sandbox, independent of hosting: <see cref="Process"/> turns request bytes into an
/// answer; <see cref="HandleAsync"/> adapts it to ASP.NET Core (used by <see cref="InsiSandboxServer"/> and by
/// <see cref="InsiSandboxEndpointRouteBuilderExtensions.MapInsiSandbox"/> so the gateway can host it).
/// </summary>
public sealed class InsiSandboxHandler
{
    private static readonly HashSet<string> AcceptedClientCns = new(StringComparer.Ordinal) { "INSI-AUTO", "INSI-MANU" };

    private readonly InsiSandboxOptions _options;
    private readonly HashSet<string> _idams;
    private readonly X509Certificate2Collection _anchors;
    private readonly ScriptedResponses? _scripted;
    private readonly SandboxRecording? _recording;
    private readonly SandboxLatency _latency;
    private readonly long _startTimestamp;
    private readonly ILogger _logger;
    private readonly Random? _seededRandom;
    private readonly ConcurrentDictionary<string, bool> _chainCache = new(StringComparer.Ordinal);

    /// <summary>Builds the handler: loads the identity base, the scripted answers and the trust anchors.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    /// <exception cref="InvalidDataException">The base file or the scripted folder is invalid.</exception>
    public InsiSandboxHandler(InsiSandboxOptions options, ILogger<InsiSandboxHandler>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        var identityBase = options.IdentityBase
            ?? (options.DataFile is null ? SandboxIdentityBase.LoadDefault() : SandboxIdentityBase.LoadFile(options.DataFile));
        IdentityBase = options.PersonsCsvFile is null ? identityBase : Extend(identityBase, options.PersonsCsvFile);
        _scripted = options.ScriptedResponsesDirectory is null ? null : ScriptedResponses.Load(options.ScriptedResponsesDirectory);
        _recording = options.ReplayDirectory is null ? null : SandboxRecording.Load(options.ReplayDirectory, options.MaxRequestBytes);
        _latency = options.Latency ?? (options.LatencyMs > 0 ? SandboxLatency.Fixed(TimeSpan.FromMilliseconds(options.LatencyMs)) : SandboxLatency.None);
        _startTimestamp = options.TimeProvider.GetTimestamp();
        _idams = new HashSet<string>(options.Idams, StringComparer.Ordinal);
        if (options.IncludeDefaultIdam)
        {
            _idams.Add(InsiSandboxOptions.DefaultIdam);
        }

        _anchors = options.TrustAnchors
            ?? (options.PkiDirectory is null ? [] : [TestPki.LoadCa(options.PkiDirectory)]);
        _seededRandom = options.FaultSeed is { } seed ? new Random(seed) : null;
    }

    /// <summary>The identity base in use.</summary>
    public SandboxIdentityBase IdentityBase { get; }

    /// <summary>The replayed recording, or null.</summary>
    public SandboxRecording? Recording => _recording;

    /// <summary>The latency profile in use.</summary>
    public SandboxLatency Latency => _latency;

    /// <summary>The accepted IDAM values.</summary>
    public IReadOnlyCollection<string> Idams => _idams;

    /// <summary>
    /// ASP.NET Core entry point for <c>POST /lps</c>. In <see cref="InsiSandboxAuthentication.MutualTls"/> mode the connection's
    /// client certificate is checked again here (chain to the trust anchors + CN), so hosting behind a listener that merely
    /// allows certificates stays safe.
    /// </summary>
    public async Task HandleAsync(HttpContext context, InsiSandboxAuthentication mode)
    {
        ArgumentNullException.ThrowIfNull(context);
        var ct = context.RequestAborted;
        InsiSandboxResponse response;
        if (!HttpMethods.IsPost(context.Request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            context.Response.Headers.Allow = "POST";
            return;
        }

        if (context.Request.ContentLength > _options.MaxRequestBytes)
        {
            response = FaultResponse(SandboxFaults.TooLarge(_options.MaxRequestBytes), null);
        }
        else
        {
            var buffer = ArrayPool<byte>.Shared.Rent(_options.MaxRequestBytes + 1);
            try
            {
                var (length, tooLarge) = await ReadBodyAsync(context.Request.Body, buffer, ct).ConfigureAwait(false);
                if (tooLarge)
                {
                    response = FaultResponse(SandboxFaults.TooLarge(_options.MaxRequestBytes), null);
                }
                else
                {
                    var certificate = mode == InsiSandboxAuthentication.MutualTls
                        ? context.Connection.ClientCertificate ?? await context.Connection.GetClientCertificateAsync(ct).ConfigureAwait(false)
                        : null;
                    response = ProcessSafely(buffer.AsMemory(0, length), context.Request.ContentType, certificate, mode);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        var delay = NextDelay(response);
        if (delay > TimeSpan.Zero)
        {
            // Timers may fire up to a tick early: wait again for what is left, so the profile's lower bound holds.
            var clock = _options.TimeProvider;
            var started = clock.GetTimestamp();
            for (var left = delay; left > TimeSpan.Zero; left = delay - clock.GetElapsedTime(started))
            {
                await Task.Delay(left < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : left, clock, ct).ConfigureAwait(false);
            }
        }

        context.Response.StatusCode = response.StatusCode;
        context.Response.ContentType = InsiSandboxResponse.ContentType;
        context.Response.ContentLength = response.Body.Length;
        await context.Response.Body.WriteAsync(response.Body, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// How long to wait before sending <paramref name="response"/>: the slow-burst delay inside a slow window, the recorded
    /// duration of a replayed answer under the <c>recorded</c> profile, else a draw from the latency profile.
    /// </summary>
    public TimeSpan NextDelay(InsiSandboxResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (_options.SlowBurst is { } slow && slow.IsActive(Elapsed))
        {
            return _options.SlowLatency;
        }

        if (_latency.UsesRecordedDurations && response.RecordedDuration is { } recorded)
        {
            return recorded;
        }

        if (ReferenceEquals(_latency, SandboxLatency.None))
        {
            return TimeSpan.Zero;
        }

        if (_seededRandom is null)
        {
            return _latency.Sample(Random.Shared);
        }

        lock (_seededRandom)
        {
            return _latency.Sample(_seededRandom);
        }
    }

    private TimeSpan Elapsed => _options.TimeProvider.GetElapsedTime(_startTimestamp);

    /// <summary>
    /// <see cref="Process"/> behind a last line of defence: an unexpected exception becomes a generic Receiver fault whose
    /// text never carries the exception's message or stack (they stay in the log, at Error, by type only).
    /// </summary>
    private InsiSandboxResponse ProcessSafely(ReadOnlyMemory<byte> body, string? contentType, X509Certificate2? certificate, InsiSandboxAuthentication mode)
    {
        try
        {
            return Process(body, contentType, certificate, mode);
        }
#pragma warning disable CA1031 // Last line of defence of a network endpoint: answer a fault, never an exception page.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            SandboxLog.Failed(_logger, ex.GetType().Name);
            return FaultResponse(SandboxFaults.InternalError, null);
        }
    }

    /// <summary>
    /// Answers one request. Never throws for bad input: every problem becomes a SOAP fault.
    /// </summary>
    /// <param name="body">Request bytes (at most <see cref="InsiSandboxOptions.MaxRequestBytes"/>).</param>
    /// <param name="contentType">HTTP Content-Type; must be <c>application/soap+xml</c> (SOAP 1.2).</param>
    /// <param name="clientCertificate">TLS client certificate (mTLS mode), or null.</param>
    /// <param name="mode">Authentication expected on this endpoint.</param>
    public InsiSandboxResponse Process(ReadOnlyMemory<byte> body, string? contentType, X509Certificate2? clientCertificate, InsiSandboxAuthentication mode)
    {
        if (body.Length > _options.MaxRequestBytes)
        {
            return FaultResponse(SandboxFaults.TooLarge(_options.MaxRequestBytes), null);
        }

        var mediaTypeFault = CheckMediaType(contentType);
        if (mediaTypeFault is not null)
        {
            return FaultResponse(mediaTypeFault, null);
        }

        InsiRequest request;
        var operation = InsiOperation.Unknown;
        try
        {
            var segment = MemoryMarshal.TryGetArray(body, out var array) ? array : new ArraySegment<byte>(body.ToArray());
            using var stream = new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false);
            request = InsiRequestParser.Parse(stream, _options.MaxRequestBytes);
        }
        catch (SandboxFaultException ex)
        {
            return FaultResponse(ex.Fault, ex.MessageId);
        }

        var authFault = Authenticate(body.Span, request, clientCertificate, mode);
        if (authFault is not null)
        {
            return FaultResponse(authFault, request.MessageId);
        }

        // A recorded answer is the real service's decision (IDAM refusal included): it wins over the sandbox's own checks.
        var recorded = _recording?.Find(request);
        if (recorded is null)
        {
            var fault = CheckEnvelope(request, out operation);
            if (fault is not null)
            {
                return FaultResponse(fault, request.MessageId);
            }
        }

        if ((_options.UnavailableBurst is { } burst && burst.IsActive(Elapsed)) ||
            (_options.FaultRate > 0 && NextDouble() < _options.FaultRate))
        {
            return FaultResponse(
                _options.UnknownIdentity == UnknownIdentityBehaviour.Insi102 ? SandboxFaults.TechnicalError : SandboxFaults.TemporarilyUnavailable,
                request.MessageId);
        }

        if (recorded is not null)
        {
            Log("replay");
            return new InsiSandboxResponse(recorded.HttpStatus, SandboxRecording.Substitute(recorded, request), "replay:" + recorded.Stem)
            {
                RecordedDuration = recorded.Duration,
            };
        }

        return operation == InsiOperation.SearchByTraits ? SearchByTraits(request) : SearchWithVitale(request);
    }

    private InsiSandboxResponse SearchByTraits(InsiRequest request)
    {
        var firstNames = string.Join(' ', request.FirstNames);
        var error =
            Field("NomNaissance", request.BirthName, InsiTraitRules.CheckBirthName) ??
            Field("Prenom", request.FirstNames.Count == 0 ? null : firstNames, InsiTraitRules.CheckFirstNames) ??
            Field("Sexe", request.Sex, InsiTraitRules.CheckSex) ??
            Field("DateNaissance", request.BirthDate, InsiTraitRules.CheckBirthDate) ??
            (request.BirthPlace is null ? null : Field("LieuNaissance", request.BirthPlace, InsiTraitRules.CheckCog));
        if (error is not null)
        {
            return FaultResponse(SandboxFaults.InvalidTraits(error), request.MessageId);
        }

        var sex = request.Sex![0];
        var scripted = _scripted?.Find(request.BirthName!, firstNames, sex, request.BirthDate!, request.BirthPlace);
        if (scripted is not null)
        {
            Log("scripted");
            var bytes = scripted.EnvelopeBytes ?? InsiResponseWriter.Wrap(scripted.ElementXml!, scripted.IsFault, _options.FaultLayout);
            return new InsiSandboxResponse(scripted.IsFault ? 500 : 200, bytes, "scripted:" + scripted.ResponseFile);
        }

        var result = IdentityBase.Search(request.BirthName!, firstNames, sex, request.BirthDate!, request.BirthPlace);
        return Answer(result, request);
    }

    private InsiSandboxResponse SearchWithVitale(InsiRequest request)
    {
        var error =
            (request.BeneficiaryNir is null && request.InsuredNir is null ? "MatriculeIndividu ou MatriculeOD : au moins un NumIdentifiant est obligatoire" : null) ??
            (request.BeneficiaryNir is not null && InsKey.Compute(request.BeneficiaryNir) < 0 ? "MatriculeIndividu/NumIdentifiant : 13 caractères attendus" : null) ??
            (request.InsuredNir is not null && InsKey.Compute(request.InsuredNir) < 0 ? "MatriculeOD/NumIdentifiant : 13 caractères attendus" : null) ??
            (request.BirthName is null ? null : Field("NomNaissance", request.BirthName, InsiTraitRules.CheckBirthName)) ??
            (request.BirthDate is null ? null : Field("DateNaissance", request.BirthDate, InsiTraitRules.CheckBirthDate)) ??
            (request.Rank is not null && InsiRequestParser.ParseRank(request.Rank) is null ? "RangNaissance : nombre attendu" : null);
        if (error is not null)
        {
            return FaultResponse(SandboxFaults.InvalidTraits(error), request.MessageId);
        }

        var result = IdentityBase.SearchVitale(request.BeneficiaryNir, request.InsuredNir, request.BirthName, request.BirthDate, InsiRequestParser.ParseRank(request.Rank));
        return Answer(result, request);
    }

    private InsiSandboxResponse Answer(SandboxSearchResult result, InsiRequest request)
    {
        switch (result.Count)
        {
            case 1:
                Log("CR00");
                return new InsiSandboxResponse(200, InsiResponseWriter.Result("00", result.Single), "CR00");
            case > 1:
                Log("CR02");
                return new InsiSandboxResponse(200, InsiResponseWriter.Result("02", null), "CR02");
            default:
                return _options.UnknownIdentity switch
                {
                    UnknownIdentityBehaviour.Insi102 => FaultResponse(SandboxFaults.TechnicalError, request.MessageId),
                    UnknownIdentityBehaviour.Desir1020 => FaultResponse(SandboxFaults.TemporarilyUnavailable, request.MessageId),
                    _ => LogAndReturn(new InsiSandboxResponse(200, InsiResponseWriter.Result("01", null), "CR01")),
                };
        }
    }

    private SandboxFault? Authenticate(ReadOnlySpan<byte> body, InsiRequest request, X509Certificate2? certificate, InsiSandboxAuthentication mode)
    {
        if (mode == InsiSandboxAuthentication.CpxAssertion)
        {
            if (!request.HasSecurity)
            {
                return SandboxFaults.InvalidAssertion("En-tête wsse:Security avec une saml:Assertion PS obligatoire sur ce point d'accès (mode CPx).");
            }

            try
            {
                return PsAssertionValidator.Validate(body, _anchors, _options.TimeProvider.GetUtcNow(), _options.AssertionLifetime, _options.ClockSkew, _options.MaxRequestBytes);
            }
            catch (System.Xml.XmlException ex)
            {
                return SandboxFaults.InvalidAssertion(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"Assertion illisible (ligne {ex.LineNumber}, position {ex.LinePosition})."));
            }
        }

        if (certificate is null)
        {
            return SandboxFaults.InsufficientRights with { Detail = "Certificat client absent." };
        }

        if (!IsIssuedBySandboxCa(certificate))
        {
            return SandboxFaults.InsufficientRights with { Detail = "Certificat client non émis par une autorité de confiance." };
        }

        var cn = certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        return AcceptedClientCns.Contains(cn) ? null : SandboxFaults.InsufficientRights;
    }

    private SandboxFault? CheckEnvelope(InsiRequest request, out InsiOperation operation)
    {
        operation = request.Action switch
        {
            null => request.BodyOperation,
            InsiActions.SearchByTraits => InsiOperation.SearchByTraits,
            InsiActions.SearchWithVitale => InsiOperation.SearchWithVitale,
            _ => InsiOperation.Unknown,
        };
        if (operation == InsiOperation.Unknown)
        {
            return SandboxFaults.UnknownAction(request.Action is null
                ? $"Ni wsa:Action ni élément de corps reconnu ({request.BodyElement ?? "corps vide"})."
                : $"wsa:Action inconnue : {request.Action}.");
        }

        if (operation != request.BodyOperation)
        {
            return SandboxFaults.UnknownAction($"Le corps {request.BodyElement ?? "(vide)"} ne correspond pas à l'action {request.Action}.");
        }

        if (!request.HasContexteLps || !request.HasContexteBam)
        {
            return SandboxFaults.InvalidMessage("Les en-têtes ctxlps:ContexteLPS et ctxbam:ContexteBAM sont obligatoires.");
        }

        if (request.ContextError is not null)
        {
            return SandboxFaults.InvalidMessage(request.ContextError);
        }

        if (string.IsNullOrEmpty(request.MessageId))
        {
            return SandboxFaults.InvalidMessage("L'en-tête wsa:MessageID est obligatoire.");
        }

        if (request.Idam is null || !_idams.Contains(request.Idam))
        {
            return SandboxFaults.UnknownIdam;
        }

        return request.BodyError is null ? null : SandboxFaults.InvalidMessage(request.BodyError);
    }

    private bool IsIssuedBySandboxCa(X509Certificate2 certificate)
    {
        // SHA-256 of the DER: a SHA-1 thumbprint is not a safe cache key for a security decision.
        var key = certificate.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256);
        if (_chainCache.TryGetValue(key, out var known))
        {
            return known;
        }

        var valid = InsiSandboxServer.ValidateClientCertificate(certificate, _anchors);
        if (_chainCache.Count > 1000)
        {
            _chainCache.Clear();
        }

        _chainCache[key] = valid;
        return valid;
    }

    private static SandboxFault? CheckMediaType(string? contentType)
    {
        if (contentType is null || !MediaTypeHeaderValue.TryParse(contentType, out var media))
        {
            return SandboxFaults.VersionMismatch("Content-Type absent ; application/soap+xml (SOAP 1.2) est attendu.", 415);
        }

        if (string.Equals(media.MediaType, "text/xml", StringComparison.OrdinalIgnoreCase))
        {
            return SandboxFaults.VersionMismatch("Content-Type text/xml (SOAP 1.1) reçu ; le service INSi n'accepte que SOAP 1.2 (application/soap+xml).", 415);
        }

        return string.Equals(media.MediaType, "application/soap+xml", StringComparison.OrdinalIgnoreCase)
            ? null
            : SandboxFaults.VersionMismatch($"Content-Type {media.MediaType} reçu ; application/soap+xml (SOAP 1.2) est attendu.", 415);
    }

    private InsiSandboxResponse FaultResponse(SandboxFault fault, string? messageId)
    {
        Log(fault.ErreurCode);
        return new InsiSandboxResponse(fault.HttpStatus, InsiResponseWriter.Fault(fault, messageId, _options.FaultLayout), fault.ErreurCode);
    }

    /// <summary>The base plus the persons of the CSV; an INS already in the base is refused with its CSV line.</summary>
    private static SandboxIdentityBase Extend(SandboxIdentityBase identityBase, string csvFile)
    {
        var read = SandboxPersonsCsv.Parse(File.ReadAllBytes(csvFile), csvFile);
        var extra = read.PersonsOrThrow(csvFile);
        var known = identityBase.Persons.Select(p => p.Ins.NumIdentifiant).ToHashSet(StringComparer.Ordinal);
        var clashes = read.Lines
            .Where(x => known.Contains(x.Person.Ins.NumIdentifiant))
            .Select(x => new CsvProblem(x.Line, "ins_matricule", "ins-unique", $"{x.Person.Ins.NumIdentifiant} is already in the identity base"))
            .ToList();
        _ = new SandboxCsvResult([], clashes).PersonsOrThrow(csvFile);
        return SandboxIdentityBase.FromPersons(identityBase.Persons.Concat(extra));
    }

    private InsiSandboxResponse LogAndReturn(InsiSandboxResponse response)
    {
        Log(response.Outcome);
        return response;
    }

    private void Log(string outcome)
    {
        // Outcome only (CR code or fault code): identity traits never reach the logs.
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            SandboxLog.Answered(_logger, outcome);
        }
    }

    private double NextDouble()
    {
        if (_seededRandom is null)
        {
            return Random.Shared.NextDouble();
        }

        lock (_seededRandom)
        {
            return _seededRandom.NextDouble();
        }
    }

    private static string? Field(string name, string? value, TraitCheck check)
    {
        if (value is null)
        {
            return $"{name} : élément obligatoire absent";
        }

        var error = check(value);
        return error is null ? null : $"{name} : {error}";
    }

    private static async Task<(int Length, bool TooLarge)> ReadBodyAsync(Stream body, byte[] buffer, CancellationToken ct)
    {
        var length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                return (length, true);
            }

            var read = await body.ReadAsync(buffer.AsMemory(length), ct).ConfigureAwait(false);
            if (read == 0)
            {
                return (length, false);
            }

            length += read;
        }
    }
}

internal delegate string? TraitCheck(ReadOnlySpan<char> value);

internal static partial class SandboxLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "INSi sandbox answered {Outcome}")]
    public static partial void Answered(ILogger logger, string outcome);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "INSi sandbox failed on a request ({ExceptionType}); answered a generic fault")]
    public static partial void Failed(ILogger logger, string exceptionType);
}
