using System.Diagnostics;
using SanteGateway.Application;
using SanteGateway.Documents.Xds;
using SanteGateway.Identity;

namespace SanteGateway.Server.Documents;

/// <summary>The application's <see cref="IDocumentSharingPort"/> over the XDS.b client (SOAP 1.2, VIHF, mutual TLS).</summary>
public sealed class XdsDocumentPort : IDocumentSharingPort, IDisposable
{
    /// <summary>OID of the national structure identifiers (authorInstitution XON); UNCONFIRMED for DMPi.</summary>
    public const string StructureIdOid = "1.2.250.1.71.4.2.2";

    private readonly XdsClient client;
    private readonly ILogger<XdsDocumentPort> log;

    /// <summary>Creates the port over a client it owns.</summary>
    /// <param name="client">The XDS client.</param>
    /// <param name="log">Logger (ids and codes only).</param>
    public XdsDocumentPort(XdsClient client, ILogger<XdsDocumentPort> log)
    {
        ArgumentNullException.ThrowIfNull(client);
        this.client = client;
        this.log = log;
    }

    /// <inheritdoc />
    public string Transport => "xds";

    /// <inheritdoc />
    public bool IsProductionEndpoint => client.Options.IsProduction;

    /// <inheritdoc />
    public async Task<DmpStatusResult> GetDmpStatusAsync(InsIdentifier ins, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ins);
        try
        {
            var state = await client.GetDmpStatusAsync(PatientId(ins), cancellationToken).ConfigureAwait(false);
            return new DmpStatusResult(state switch
            {
                XdsDmpState.Active => DmpState.Active,
                XdsDmpState.Closed => DmpState.Closed,
                XdsDmpState.Opposed => DmpState.Opposed,
                _ => DmpState.None,
            });
        }
        catch (XdsFaultException ex) when (ex.IsSenderFault)
        {
            // soap:Sender: the service blamed the request (VIHF, patient identifier, signature); asking again unchanged
            // cannot succeed, so this is a refusal, not an outage to wait out.
            log.LogWarning("DMP status request refused by the service: {Fault}", ex.Fault!.Code);
            return new DmpStatusResult(DmpState.Refused, Code(ex), ex.Fault.Reason);
        }
        catch (Exception ex) when (ex is XdsTransportException or XdsFaultException or XdsFormatException)
        {
            log.LogWarning("DMP status call failed: {Failure}", ex.GetType().Name);
            return new DmpStatusResult(DmpState.Unknown, Code(ex), ex is XdsFaultException { Fault: { } f } ? f.Reason : ex.Message);
        }
    }

    /// <inheritdoc />
    public async Task<ShareResult> ProvideAsync(SharedDocument document, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(document);
        var watch = Stopwatch.StartNew();
        try
        {
            var response = await client.ProvideAndRegisterAsync(ToRequest(document), cancellationToken).ConfigureAwait(false);
            var errors = response.Errors.Select(e => new ShareError(e.ErrorCode, e.CodeContext, e.Location)).ToList();
            return new ShareResult(response.IsSuccess ? ShareOutcome.Accepted : ShareOutcome.Refused, errors, watch.Elapsed);
        }
        catch (XdsFaultException ex)
        {
            // Sender: the request is refused for good. Receiver (or a fault of unknown class): the service failed, try later.
            return new ShareResult(ex.IsSenderFault ? ShareOutcome.Refused : ShareOutcome.Failed, [new ShareError(Code(ex), ex.Fault?.Reason ?? ex.Message)], watch.Elapsed);
        }
        catch (Exception ex) when (ex is XdsTransportException or XdsFormatException)
        {
            return new ShareResult(ShareOutcome.Failed, [new ShareError(Code(ex), ex.Message)], watch.Elapsed);
        }
    }

    /// <inheritdoc />
    public void Dispose() => client.Dispose();

    /// <summary>The XDS request for a document (one submission set, one document entry).</summary>
    /// <param name="d">The document.</param>
    /// <returns>The request.</returns>
    public static XdsProvideRequest ToRequest(SharedDocument d)
    {
        ArgumentNullException.ThrowIfNull(d);
        var authors = d.Authors.Select(a => new XdsAuthor(Person(a), Institution(a))).ToList();
        var entry = new XdsDocumentEntry
        {
            EntryUuid = d.EntryUuid,
            UniqueId = d.UniqueId,
            PatientId = d.PatientId,
            SourcePatientId = d.SourcePatientId,
            ClassCode = Code(d.ClassCode),
            TypeCode = Code(d.TypeCode),
            FormatCode = Code(d.FormatCode),
            ConfidentialityCode = Code(d.ConfidentialityCode),
            HealthcareFacilityTypeCode = Code(d.HealthcareFacilityTypeCode),
            PracticeSettingCode = Code(d.PracticeSettingCode),
            Title = d.Title,
            LanguageCode = d.LanguageCode,
            MimeType = d.MimeType,
            CreationTime = XdsTime.Format(d.CreationTime),
            ServiceStartTime = d.ServiceStartTime is { } s ? XdsTime.Format(s) : null,
            Hash = d.Hash,
            Size = d.Size,
            Authors = authors,
        };
        var set = new XdsSubmissionSet
        {
            EntryUuid = "urn:uuid:" + Guid.NewGuid().ToString("D"),
            UniqueId = d.SubmissionSetUniqueId,
            SourceId = d.SourceId,
            PatientId = d.PatientId,
            SubmissionTime = XdsTime.Format(d.SubmissionTime),
            ContentTypeCode = Code(d.ContentTypeCode),
            Authors = authors.Take(1).ToList(),
        };
        return new XdsProvideRequest(set, entry, d.Content, d.ReplacesEntryUuid);
    }

    private static string PatientId(InsIdentifier ins) => $"{ins.Matricule.Value}^^^&{ins.Oid}&ISO^NH";

    private static XdsCode Code(SharedCode c) => new(c.Code, c.CodeSystem, c.Display);

    private static string? Person(SharedAuthor a) =>
        a.Id is null && a.Family is null ? null : $"{a.Id}^{a.Family}^{a.Given}^^^^^^&{a.IdRoot}&ISO";

    private static string? Institution(SharedAuthor a) =>
        a.InstitutionName is null && a.InstitutionId is null ? null : $"{a.InstitutionName}^^^^^&{StructureIdOid}&ISO^IDNST^^^{a.InstitutionId}";

    private static string Code(Exception ex) => ex switch
    {
        XdsFaultException { Fault: { } f } => "soap-fault " + (f.Value is { } v && v != f.Code && !f.Code.EndsWith(":" + v, StringComparison.Ordinal) ? v + " " + f.Code : f.Code),
        XdsFaultException => "soap-fault unknown",
        XdsTransportException => "transport",
        _ => "protocol",
    };
}
