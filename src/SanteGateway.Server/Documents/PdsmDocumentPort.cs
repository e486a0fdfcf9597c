using Hl7.Fhir.Model;
using SanteGateway.Application;
using SanteGateway.Documents.Fhir;
using SanteGateway.Identity;

namespace SanteGateway.Server.Documents;

/// <summary>The application's <see cref="IDocumentSharingPort"/> over PDSm (FHIR, IHE MHD ITI-65, or ITI-105 when
/// <see cref="PdsmClientOptions.SimplifiedPublish"/> is set; mutual TLS).</summary>
public sealed class PdsmDocumentPort : IDocumentSharingPort, IDisposable
{
    private readonly PdsmClient client;
    private readonly ILogger<PdsmDocumentPort> log;

    /// <summary>Creates the port over a client it owns.</summary>
    /// <param name="client">The PDSm client.</param>
    /// <param name="log">Logger (ids and codes only).</param>
    public PdsmDocumentPort(PdsmClient client, ILogger<PdsmDocumentPort> log)
    {
        ArgumentNullException.ThrowIfNull(client);
        this.client = client;
        this.log = log;
    }

    /// <inheritdoc />
    public string Transport => "pdsm";

    /// <inheritdoc />
    public bool IsProductionEndpoint => client.Options.IsProduction;

    /// <inheritdoc />
    public async Task<DmpStatusResult> GetDmpStatusAsync(InsIdentifier ins, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ins);
        try
        {
            var state = await client.GetDmpStatusAsync(ins.Oid, ins.Matricule.Value, cancellationToken).ConfigureAwait(false);
            return new DmpStatusResult(state switch
            {
                PdsmDmpState.Active => DmpState.Active,
                PdsmDmpState.Closed => DmpState.Closed,
                PdsmDmpState.Opposed => DmpState.Opposed,
                _ => DmpState.None,
            });
        }
        catch (PdsmTransportException ex) when (ex.IsClientError)
        {
            // The server blamed the request (4xx): asking again unchanged cannot succeed.
            log.LogWarning("PDSm DMP state request refused: HTTP {Status}", ex.StatusCode);
            return new DmpStatusResult(DmpState.Refused, "http " + ex.StatusCode, ex.Message);
        }
        catch (PdsmTransportException ex)
        {
            log.LogWarning("PDSm DMP state call failed: {Failure} {Status}", ex.GetType().Name, ex.StatusCode);
            return new DmpStatusResult(DmpState.Unknown, ex.StatusCode is { } status ? "http " + status : "transport", ex.Message);
        }
    }

    /// <inheritdoc />
    public async Task<ShareResult> ProvideAsync(SharedDocument document, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(document);
        try
        {
            int status;
            OperationOutcome? outcome;
            TimeSpan duration;
            if (client.Options.SimplifiedPublish)
            {
                var published = await client.PublishAsync(PdsmBundles.SimplifiedPublish(ToPdsm(document)), cancellationToken).ConfigureAwait(false);
                (status, outcome, duration) = (published.Status, published.Outcome, published.Duration);
            }
            else
            {
                var response = await client.ProvideAsync(PdsmBundles.Provide(ToPdsm(document)), cancellationToken).ConfigureAwait(false);
                (status, outcome, duration) = (response.Status, response.Outcome, response.Duration);
            }

            if (status is >= 200 and < 300)
            {
                return new ShareResult(ShareOutcome.Accepted, [], duration);
            }

            var errors = outcome?.Issue
                .Where(i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal)
                .Select(i => new ShareError(global::Hl7.Fhir.Utility.EnumUtility.GetLiteral(i.Code) ?? "error", i.Diagnostics ?? i.Details?.Text, i.Expression.FirstOrDefault()))
                .ToList() ?? [];
            if (errors.Count == 0)
            {
                errors.Add(new ShareError("http " + status, null));
            }

            // 408 (timeout) is the only 4xx the manager may answer differently to the same request later.
            return new ShareResult(status == 408 ? ShareOutcome.Failed : ShareOutcome.Refused, errors, duration);
        }
        catch (PdsmTransportException ex)
        {
            return new ShareResult(ShareOutcome.Failed, [new ShareError("transport", ex.Message)], TimeSpan.Zero);
        }
    }

    /// <inheritdoc />
    public void Dispose() => client.Dispose();

    /// <summary>The PDSm form of a document's metadata.</summary>
    /// <param name="d">The document.</param>
    /// <returns>The PDSm document.</returns>
    public static PdsmDocument ToPdsm(SharedDocument d)
    {
        ArgumentNullException.ThrowIfNull(d);
        var source = d.SourcePatientId == d.PatientId ? null : d.SourcePatientId.Split('^');
        var sourceOid = source is { Length: > 3 } ? source[3].Split('&').ElementAtOrDefault(1) : null;
        return new PdsmDocument
        {
            InsOid = d.Ins.Oid,
            InsValue = d.Ins.Matricule.Value,
            SourcePatientOid = sourceOid,
            SourcePatientValue = source?[0],
            UniqueId = d.UniqueId,
            EntryUuid = d.EntryUuid,
            SubmissionSetUniqueId = d.SubmissionSetUniqueId,
            SourceId = d.SourceId,
            ClassCode = Code(d.ClassCode),
            TypeCode = Code(d.TypeCode),
            FormatCode = Code(d.FormatCode),
            ConfidentialityCode = Code(d.ConfidentialityCode),
            FacilityTypeCode = Code(d.HealthcareFacilityTypeCode),
            PracticeSettingCode = Code(d.PracticeSettingCode),
            ContentTypeCode = Code(d.ContentTypeCode),
            Title = string.IsNullOrWhiteSpace(d.Title) ? d.TypeCode.Display ?? d.TypeCode.Code : d.Title,
            LanguageCode = d.LanguageCode,
            MimeType = d.MimeType,
            CreationTime = d.CreationTime,
            ServiceStartTime = d.ServiceStartTime,
            SubmissionTime = d.SubmissionTime,
            Authors = d.Authors.Select(a => new PdsmAuthor(a.Id, a.IdRoot, a.Family, a.Given, a.InstitutionId, a.InstitutionName)).ToList(),
            LegalAuthenticator = d.LegalAuthenticator is { } l ? new PdsmAuthor(l.Id, l.IdRoot, l.Family, l.Given, l.InstitutionId, l.InstitutionName) : null,
            ReplacesId = d.ReplacesEntryUuid is { } r && r.StartsWith("urn:uuid:", StringComparison.Ordinal) ? r[9..] : d.ReplacesEntryUuid,
            Content = d.Content,
        };
    }

    private static PdsmCode Code(SharedCode c) => new(c.Code, c.CodeSystem, c.Display);
}
