using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Options;
using SanteGateway.Application;
using SanteGateway.Identity;
using SanteGateway.Insi;
using SanteGateway.Server.Certificates;

namespace SanteGateway.Server.Insi;

/// <summary>
/// The application's <see cref="IInsiPort"/> over the INSi client (SOAP over mutual TLS, resilience pipeline). Searches
/// use the CNDA first-name strategy and report every attempt; each call's raw requests and responses are collected by
/// correlation id through the client's trace sink (and handed on to another sink, if any). Each call presents the
/// certificates of the establishment it is made for (<see cref="InsiSearchRequest.Establishment"/>, see
/// <see cref="EstablishmentInsiClients"/>); an expired certificate is refused before anything is sent.
/// </summary>
public sealed class InsiClientPort : IInsiPort, IDisposable
{
    private readonly EstablishmentInsiClients clients;
    private readonly CollectingSink sink;
    private readonly TimeProvider time;

    /// <summary>Creates the port and its client, with the host's logging and clock.</summary>
    /// <param name="options">INSi settings (validated at start).</param>
    /// <param name="loggerFactory">Logging (ids and codes only).</param>
    /// <param name="time">Clock.</param>
    /// <param name="next">Another trace sink to feed (file traces, recording), optional.</param>
    /// <param name="establishments">Establishments with their own INSi certificates, optional.</param>
    public InsiClientPort(IOptions<InsiClientOptions> options, ILoggerFactory loggerFactory, TimeProvider time, IInsiTraceSink? next = null, EstablishmentDirectory? establishments = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        this.time = time;
        sink = new CollectingSink(next);
        clients = new EstablishmentInsiClients(options.Value, establishments ?? EstablishmentDirectory.Empty, sink, loggerFactory, time);
    }

    /// <inheritdoc />
    public async Task<InsiPortResult> SearchAsync(InsiSearchRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var selection = clients.Select(request.Establishment, request.Certificate, time.GetUtcNow());
        if (selection.Client is not { } client)
        {
            return Refused(selection);
        }

        var context = Context(request.Certificate);
        using var capture = sink.Begin(context.CorrelationId!);
        try
        {
            var result = await client.SearchWithStrategyAsync(Query(request.Traits), context, cancellationToken).ConfigureAwait(false);
            return Map(result.Final, null, result.Attempts, capture.Traces);
        }
        catch (InsiException ex)
        {
            return Failure(ex, capture.Traces);
        }
    }

    /// <inheritdoc />
    public async Task<InsiPortResult> VerifyAsync(InsiVerifyRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var selection = clients.Select(request.Establishment, request.Certificate, time.GetUtcNow());
        if (selection.Client is not { } client)
        {
            return Refused(selection);
        }

        var context = Context(request.Certificate);
        using var capture = sink.Begin(context.CorrelationId!);
        try
        {
            var query = new InsVerificationQuery(Query(request.Traits), request.Ins.Matricule.Value, request.Ins.Oid);
            var stored = InsVerification.CheckStored(query);
            var strategy = await client.SearchWithStrategyAsync(query.Traits, context, cancellationToken).ConfigureAwait(false);
            var verification = InsVerification.Compare(stored, query, strategy);
            var outcome = verification.Outcome switch
            {
                InsVerificationOutcome.Confirmed => InsiVerificationOutcome.Confirmed,
                InsVerificationOutcome.ReplacedByNewer => InsiVerificationOutcome.ReplacedByNewer,
                InsVerificationOutcome.NotFound => InsiVerificationOutcome.NotFound,
                InsVerificationOutcome.Ambiguous => InsiVerificationOutcome.Ambiguous,
                _ => InsiVerificationOutcome.Mismatch,
            };
            return Map(strategy.Final, outcome, strategy.Attempts, capture.Traces);
        }
        catch (InsiException ex)
        {
            return Failure(ex, capture.Traces);
        }
    }

    /// <inheritdoc />
    public async Task<InsiPortResult> SearchWithVitaleAsync(InsiVitaleSearchRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var selection = clients.Select(request.Establishment, request.Certificate, time.GetUtcNow());
        if (selection.Client is not { } client)
        {
            return Refused(selection);
        }

        var context = Context(request.Certificate);
        using var capture = sink.Begin(context.CorrelationId!);
        try
        {
            var c = request.Card;
            var query = new InsiVitaleQuery(
                new InsiCardNir(c.InsuredNir, c.InsuredNirKey),
                c.BeneficiaryNir is null ? null : new InsiCardNir(c.BeneficiaryNir, c.BeneficiaryNirKey),
                c.BirthName,
                c.BirthDate,
                c.Rank);
            var result = await client.SearchWithVitaleAsync(query, context, cancellationToken).ConfigureAwait(false);
            return Map(result, null, [], capture.Traces);
        }
        catch (InsiException ex)
        {
            return Failure(ex, capture.Traces);
        }
    }

    /// <inheritdoc />
    public void Dispose() => clients.Dispose();

    /// <summary>Nothing sent: unknown establishment or expired certificate (the code and message name which).</summary>
    private static InsiPortResult Refused(EstablishmentInsiClients.Selection selection) =>
        new(InsiCallOutcome.Error, selection.ErrorCode ?? "certificate", null, null, [], [], selection.Error, []);

    private static InsiCallContext Context(InsiCertificate certificate) => new(
        certificate == InsiCertificate.Manual ? InsiCertificateKind.Manual : InsiCertificateKind.Automatic,
        Guid.NewGuid().ToString("N"));

    /// <summary>The query as sent: lexical-form traits from the application, the birth date in its declared form.</summary>
    private static InsiTraitsQuery Query(IdentityTraits t) =>
        new(t.BirthName, t.BirthFirstNames, t.Sex, t.BirthDate.ToDeclared(), t.BirthPlaceCog);

    private static InsiPortResult Map(InsiSearchResult r, InsiVerificationOutcome? verification, IReadOnlyList<InsiAttempt> attempts, IReadOnlyList<InsiTrace> traces)
    {
        var outcome = r.ResultCode switch
        {
            InsiResultCode.Found => InsiCallOutcome.Found,
            InsiResultCode.NotFound => InsiCallOutcome.NotFound,
            InsiResultCode.Ambiguous => InsiCallOutcome.Multiple,
            _ => InsiCallOutcome.Error,
        };
        InsiReturnedIdentity? identity = null;
        if (outcome == InsiCallOutcome.Found && r.Individual is { } ind)
        {
            identity = new InsiReturnedIdentity(
                Ins(ind.Active),
                ind.History.Select(Ins).ToList(),
                ind.Traits.BirthName,
                ind.Traits.FirstNames ?? ind.Traits.FirstName,
                ind.Traits.Sex,
                ind.Traits.BirthDate,
                ind.Traits.BirthPlace);
        }

        return new InsiPortResult(
            outcome,
            r.Code,
            identity,
            verification,
            attempts.Select(View).ToList(),
            traces.Select(Raw).ToList(),
            outcome == InsiCallOutcome.Error ? $"Unknown INSi result code {r.Code}." : null,
            r.Warnings.Select(w => $"{w.Code} {w.Path}").ToList());
    }

    private static InsiReturnedIns Ins(InsiIns i) => new(i.Raw, i.Oid, i.From, i.To, i.IsTrusted);

    private static InsiAttemptView View(InsiAttempt a) => new(a.FirstNames, a.WithBirthPlace, a.Result?.Code, a.Failure is null ? null : FailureCode(a.Failure));

    private static InsiPortResult Failure(InsiException ex, IReadOnlyList<InsiTrace> traces) =>
        new(InsiCallOutcome.Error, FailureCode(ex), null, null, [], traces.Select(Raw).ToList(), ex.GetType().Name, []);

    private static string FailureCode(InsiException ex) => ex switch
    {
        InsiFaultException f => "fault " + f.Fault,
        InsiTransportException => "transport",
        InsiProtocolException => "protocol",
        InsiInputException => "input",
        InsiCardException => "card",
        _ => "error",
    };

    private static InsiRawExchange Raw(InsiTrace t) => new(Text(t.RequestXml), Text(t.ResponseXml), t.CertificateCn, t.Duration, t.Outcome);

    private static string? Text(ReadOnlyMemory<byte>? bytes) => bytes is { } b ? Encoding.UTF8.GetString(b.Span) : null;

    /// <summary>Collects the traces of each running call by its correlation id; explicit, no ambient state.</summary>
    private sealed class CollectingSink(IInsiTraceSink? next) : IInsiTraceSink
    {
        private readonly ConcurrentDictionary<string, List<InsiTrace>> running = new(StringComparer.Ordinal);

        public Capture Begin(string correlationId)
        {
            var list = new List<InsiTrace>();
            running[correlationId] = list;
            return new Capture(this, correlationId, list);
        }

        public async ValueTask WriteAsync(InsiTrace trace, CancellationToken cancellationToken)
        {
            if (trace.CorrelationId is { } id && running.TryGetValue(id, out var list))
            {
                lock (list)
                {
                    list.Add(trace);
                }
            }

            if (next is not null)
            {
                await next.WriteAsync(trace, cancellationToken).ConfigureAwait(false);
            }
        }

        public sealed class Capture(CollectingSink owner, string id, List<InsiTrace> traces) : IDisposable
        {
            public IReadOnlyList<InsiTrace> Traces
            {
                get
                {
                    lock (traces)
                    {
                        return traces.ToArray();
                    }
                }
            }

            public void Dispose() => owner.running.TryRemove(id, out _);
        }
    }
}
