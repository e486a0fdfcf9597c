using System.Text;
using SanteGateway.Identity;
using SanteGateway.Insi;

namespace SanteGateway.Server.Insi;

/// <summary>
/// <see cref="IInsiGateway"/> over the INSi client (SOAP over mutual TLS, resilience pipeline). Traits are put in the
/// INSi lexical form first; searches use the CNDA first-name strategy; the raw request and response of the retained
/// call are captured through the client's trace sink and returned for the exchange record.
/// </summary>
public sealed class InsiClientGateway : IInsiGateway, IDisposable
{
    private static readonly AsyncLocal<List<InsiTrace>?> Capture = new();
    private readonly InsiClient client;

    /// <summary>Creates the gateway and the underlying client.</summary>
    public InsiClientGateway(InsiClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        client = InsiClient.Create(options, new CapturingSink());
    }

    /// <inheritdoc />
    public async Task<InsiCallResult> SearchAsync(InsiSearchRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!TryQuery(request.BirthName, request.FirstNames, request.Sex, request.BirthDate, request.BirthPlaceCog, out var query, out var error))
        {
            return new InsiCallResult(InsiOutcome.Error, "input", null, null, null, null, error);
        }

        var traces = Capture.Value = [];
        try
        {
            var result = await client.SearchWithStrategyAsync(query, InsiCallContext.Automatic, ct).ConfigureAwait(false);
            return Map(result.Final, traces);
        }
        catch (InsiException ex)
        {
            return Failure(ex, traces);
        }
        finally
        {
            Capture.Value = null;
        }
    }

    /// <inheritdoc />
    public async Task<InsiCallResult> VerifyAsync(InsiVerifyRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!TryQuery(request.BirthName, request.FirstNames, request.Sex, request.BirthDate, request.BirthPlaceCog, out var query, out var error))
        {
            return new InsiCallResult(InsiOutcome.Error, "input", null, null, null, null, error);
        }

        var traces = Capture.Value = [];
        try
        {
            var result = await client.VerifyAsync(new InsVerificationQuery(query, request.Matricule, request.Oid), InsiCallContext.Automatic, ct).ConfigureAwait(false);
            return result.Outcome switch
            {
                InsVerificationOutcome.NotFound => Map(result.Search, traces) with { Outcome = InsiOutcome.NotFound },
                InsVerificationOutcome.Ambiguous => Map(result.Search, traces) with { Outcome = InsiOutcome.Multiple },
                _ => Map(result.Search, traces) with { Code = $"{result.Search.Code}/{result.Outcome}" },
            };
        }
        catch (InsiException ex)
        {
            return Failure(ex, traces);
        }
        finally
        {
            Capture.Value = null;
        }
    }

    /// <inheritdoc />
    public void Dispose() => client.Dispose();

    private static bool TryQuery(string birthName, string firstNames, string sex, DateOnly birthDate, string? place, out InsiTraitsQuery query, out string? error)
    {
        query = null!;
        var name = InsiLexicalProfile.NormalizeBirthName(birthName);
        var first = InsiLexicalProfile.NormalizeFirstNames(firstNames);
        if (!name.IsSuccess || !first.IsSuccess || !SexCodes.TryParseInsi(sex, out var s))
        {
            error = !name.IsSuccess ? $"birthName: {name.Error!.Rule}" : !first.IsSuccess ? $"birthFirstNames: {first.Error!.Rule}" : "sex: F or M";
            return false;
        }

        error = null;
        query = InsiTraitsQuery.FromList(name.Value!, first.Value!, s, birthDate.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), place);
        return true;
    }

    private static InsiCallResult Map(InsiSearchResult r, List<InsiTrace> traces)
    {
        var last = traces.LastOrDefault();
        var outcome = r.ResultCode switch
        {
            InsiResultCode.Found => InsiOutcome.Found,
            InsiResultCode.NotFound => InsiOutcome.NotFound,
            InsiResultCode.Ambiguous => InsiOutcome.Multiple,
            _ => InsiOutcome.Error,
        };
        InsiIdentity? identity = null;
        string? error = null;
        if (outcome == InsiOutcome.Found)
        {
            var ind = r.Individual;
            if (ind?.Active.Matricule is not { } m || !BirthDate.TryParseIso(ind.Traits.BirthDate, out var date))
            {
                outcome = InsiOutcome.Error;
                error = "The INSi answer holds an INS whose key does not check, or no usable birth date.";
            }
            else
            {
                identity = new InsiIdentity(m.Value, ind.Active.Oid, ind.Traits.BirthName ?? "", ind.Traits.FirstNames ?? ind.Traits.FirstName ?? "", ind.Traits.Sex ?? "", date.Value, ind.Traits.BirthPlace);
            }
        }

        return new InsiCallResult(outcome, r.Code, identity, Text(last?.RequestXml), Text(last?.ResponseXml), last?.CertificateCn, error);
    }

    private static InsiCallResult Failure(InsiException ex, List<InsiTrace> traces)
    {
        var last = traces.LastOrDefault();
        var code = ex switch
        {
            InsiFaultException f => "fault " + f.Fault,
            InsiTransportException => "transport",
            InsiProtocolException => "protocol",
            InsiInputException => "input",
            _ => "error",
        };
        return new InsiCallResult(InsiOutcome.Error, code, null, Text(last?.RequestXml), Text(last?.ResponseXml), last?.CertificateCn, ex.GetType().Name);
    }

    private static string? Text(ReadOnlyMemory<byte>? bytes) => bytes is { } b ? Encoding.UTF8.GetString(b.Span) : null;

    /// <summary>Hands each trace to the call that is running (the capture list flows with the async context).</summary>
    private sealed class CapturingSink : IInsiTraceSink
    {
        public ValueTask WriteAsync(InsiTrace trace, CancellationToken cancellationToken)
        {
            var list = Capture.Value;
            if (list is not null)
            {
                lock (list)
                {
                    list.Add(trace);
                }
            }

            return ValueTask.CompletedTask;
        }
    }
}
