using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SanteGateway.Identity;
using SanteGateway.Interop.Cda;
using SanteGateway.Store;
using SanteGateway.Store.Audit;
using SanteGateway.Store.Entities;

namespace SanteGateway.Application;

/// <summary>A request to send a document to the shared record.</summary>
/// <param name="Content">The CDA R2 document, as bytes.</param>
/// <param name="Transport"><c>xds</c> or <c>pdsm</c> (default from <see cref="DocumentSharingOptions.DefaultTransport"/>).</param>
/// <param name="ReplacesUniqueId">uniqueId of a document sent earlier for the same identity that this one replaces.</param>
public sealed record SendDocumentRequest(byte[] Content, string? Transport = null, string? ReplacesUniqueId = null);

/// <summary>A submission as the API shows it.</summary>
/// <param name="Id">Submission id.</param>
/// <param name="IdentityId">Identity.</param>
/// <param name="Transport">Transport.</param>
/// <param name="DocumentUniqueId">Document uniqueId.</param>
/// <param name="SubmissionSetUniqueId">Submission set uniqueId.</param>
/// <param name="ReplacesUniqueId">Replaced document, if any.</param>
/// <param name="TypeCode">typeCode.</param>
/// <param name="ClassCode">classCode.</param>
/// <param name="State">sending, accepted, refused, retrying (transient failure, the outbox worker tries again) or failed
/// (dead letter: attempts ran out; re-send by hand).</param>
/// <param name="Attempts">Delivery attempts made (by requests and by the outbox worker).</param>
/// <param name="ErrorCode">Last error code.</param>
/// <param name="ErrorMessage">Last error text.</param>
/// <param name="Size">Size in bytes.</param>
/// <param name="Hash">SHA-1 (hex).</param>
/// <param name="CreatedAt">First recorded.</param>
/// <param name="UpdatedAt">Last change.</param>
/// <param name="AcceptedAt">When accepted.</param>
/// <param name="NextAttemptAt">When the outbox worker tries again (state <c>retrying</c>).</param>
/// <param name="Establishment">FINESS of the establishment the submission acts for (null = the default one).</param>
public sealed record DocumentSubmissionView(
    Guid Id,
    Guid IdentityId,
    string Transport,
    string DocumentUniqueId,
    string SubmissionSetUniqueId,
    string? ReplacesUniqueId,
    string TypeCode,
    string ClassCode,
    string State,
    int Attempts,
    string? ErrorCode,
    string? ErrorMessage,
    long Size,
    string Hash,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? AcceptedAt,
    DateTimeOffset? NextAttemptAt = null,
    string? Establishment = null);

/// <summary>
/// Sends documents to the shared record (DMP / Mon espace santé) behind the qualified-INS gate. Every rule is applied
/// before any network call: the identity is QUAL with an INS (<c>rniv.not-qualified</c>), the CDA header carries that
/// same INS (<c>document.ins-mismatch</c>) and the same strict traits (<c>document.traits-mismatch</c>), a test or
/// demonstration INS never goes to a production endpoint (<c>document.test-ins-to-production</c>), the metadata is
/// complete (<c>document.metadata-missing</c>), then the DMP must exist and be active (<c>dmp.none</c>,
/// <c>dmp.closed</c>, <c>dmp.patient-opposed</c>; a state request the service refuses as wrong is
/// <c>dmp.status-refused</c>, permanent, while an unanswered one is transient and queued). The submission is recorded before it is sent, then updated with the
/// outcome; a document already accepted is not sent twice (<c>document.already-shared</c>).
/// </summary>
public sealed class DocumentService
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly GatewayDbContext db;
    private readonly TimeProvider clock;
    private readonly IReadOnlyList<IDocumentSharingPort> ports;
    private readonly DocumentSharingOptions options;
    private readonly ILogger<DocumentService> log;

    /// <summary>Creates the service (one per unit of work).</summary>
    /// <param name="db">Database context.</param>
    /// <param name="clock">Clock.</param>
    /// <param name="ports">The transports registered by the host.</param>
    /// <param name="options">Metadata settings.</param>
    /// <param name="log">Logger (ids and codes only).</param>
    public DocumentService(GatewayDbContext db, TimeProvider clock, IEnumerable<IDocumentSharingPort> ports, IOptions<DocumentSharingOptions> options, ILogger<DocumentService> log)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.db = db;
        this.clock = clock;
        this.ports = ports?.ToList() ?? [];
        this.options = options.Value;
        this.log = log;
    }

    /// <summary>The transports available.</summary>
    public IReadOnlyList<string> Transports => ports.Select(p => p.Transport).ToList();

    /// <summary>Sends a document for an identity.</summary>
    /// <param name="identityId">The identity.</param>
    /// <param name="req">Document and options.</param>
    /// <param name="actor">Who.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The submission: <c>accepted</c>, or <c>retrying</c> when a transient failure queued it for the outbox
    /// worker; otherwise the refusal naming the rule (a registry refusal or a dead letter carries the recorded submission
    /// in <see cref="AppError.Data"/> under <c>submission</c>).</returns>
    public Task<Result<DocumentSubmissionView>> SendAsync(Guid identityId, SendDocumentRequest req, Actor actor, CancellationToken ct) => AppFailure.Run(async () =>
    {
        ArgumentNullException.ThrowIfNull(req);
        ArgumentNullException.ThrowIfNull(actor);
        var p = await PrepareAsync(identityId, req, ct).ConfigureAwait(false);

        // A submission acts for one establishment all its life, the one it was first made for: its DMP calls (state,
        // provide, the worker's retries) present that establishment's certificate, whoever sends it again.
        var establishment = p.Existing?.Establishment ?? actor.Establishment ?? EstablishmentContext.Current;
        using var acting = EstablishmentContext.Enter(establishment);
        var status = await p.Port.GetDmpStatusAsync(p.Ins, ct).ConfigureAwait(false);
        if (DmpRefusal(status) is { Kind: not ErrorKind.Upstream } refusal)
        {
            throw new AppFailure(refusal);
        }

        var now = clock.GetUtcNow();
        var owner = Truncate("request:" + Guid.NewGuid().ToString("N"), 64);
        var row = p.Existing;
        if (row is not null)
        {
            // Claimed like the worker claims: a submission another request or a worker is sending right now is left alone.
            var until = now + options.Delivery.Lease;
            var id = row.Id;
            var claimed = await db.DocumentSubmissions
                .Where(x => x.Id == id && x.State != DocumentSubmissionStates.Accepted && (x.LeaseUntil == null || x.LeaseUntil < now))
                .ExecuteUpdateAsync(u => u.SetProperty(x => x.LeaseOwner, owner).SetProperty(x => x.LeaseUntil, until), ct).ConfigureAwait(false);
            if (claimed == 0)
            {
                throw new AppFailure(new AppError(ErrorKind.Conflict, "document.in-progress", "This document is being sent right now (by the outbox worker or another request); look at its submission again shortly.",
                    Data: new Dictionary<string, object?>(StringComparer.Ordinal) { ["submission"] = View(row) }));
            }

            // A send by hand starts a new round of automatic retries.
            row.RoundStartAttempts = row.Attempts;
        }
        else
        {
            row = new DocumentSubmission
            {
                Id = Guid.CreateVersion7(now),
                IdentityId = identityId,
                Transport = p.Port.Transport,
                DocumentUniqueId = p.Document.UniqueId,
                CreatedAt = now,
                Establishment = establishment,
            };
            db.DocumentSubmissions.Add(row);
        }

        Fill(row, p.Document, req.Content);
        row.Actor = actor.Name;
        row.Establishment ??= establishment;
        var result = await AttemptAsync(row, owner, p.Port, p.Document, status, actor, ct).ConfigureAwait(false);
        var view = View(row);
        return row.State switch
        {
            DocumentSubmissionStates.Accepted or DocumentSubmissionStates.Retrying => view,
            DocumentSubmissionStates.Refused => throw new AppFailure(new AppError(ErrorKind.Unprocessable, "registry.refused", $"The registry refused the document: {row.ErrorCode} {row.ErrorMessage}", Data: Data(view, result.Errors))),
            _ => throw new AppFailure(new AppError(ErrorKind.Upstream, "registry.unavailable", $"The document could not be delivered ({row.ErrorCode}) after {row.Attempts} attempts; it can be sent again.", Data: Data(view, result.Errors))),
        };
    });

    /// <summary>
    /// One attempt of the outbox worker on a submission it has claimed (<see cref="DocumentSubmission.LeaseOwner"/> =
    /// <paramref name="workerId"/>): every rule of the gate and the DMP state are checked again (the identity may have
    /// lost its qualification meanwhile: the submission is then refused with that rule, never sent), then the document
    /// is sent with the same ids as before, so the registry sees its uniqueId once.
    /// </summary>
    /// <param name="submissionId">The claimed submission.</param>
    /// <param name="workerId">The claim's owner.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The submission after the attempt, or null when the claim is no longer this worker's.</returns>
    public async Task<DocumentSubmissionView?> DeliverQueuedAsync(Guid submissionId, string workerId, CancellationToken ct)
    {
        var row = await db.DocumentSubmissions.FirstOrDefaultAsync(x => x.Id == submissionId && x.LeaseOwner == workerId, ct).ConfigureAwait(false);
        if (row is null)
        {
            return null;
        }

        // The retry acts for the establishment the submission was made for (the worker itself acts for none).
        using var acting = EstablishmentContext.Enter(row.Establishment);
        var actor = new Actor("documents-outbox", "worker", IsVigilance: false) { Establishment = row.Establishment };
        Prepared p;
        DmpStatusResult status;
        try
        {
            p = await PrepareAsync(row.IdentityId, new SendDocumentRequest(row.Content, row.Transport, row.ReplacesUniqueId), ct).ConfigureAwait(false);
            status = await p.Port.GetDmpStatusAsync(p.Ins, ct).ConfigureAwait(false);
            if (DmpRefusal(status) is { Kind: not ErrorKind.Upstream } refusal)
            {
                throw new AppFailure(refusal);
            }
        }
        catch (AppFailure f) when (f.Error.Kind != ErrorKind.Upstream)
        {
            // A rule refuses it now: permanent, never retried; staff see the rule on the submission.
            row.State = DocumentSubmissionStates.Refused;
            row.ErrorCode = f.Error.Rule;
            row.ErrorMessage = Truncate(f.Error.Message, 2000);
            row.NextAttemptAt = null;
            row.LeaseOwner = null;
            row.LeaseUntil = null;
            row.UpdatedAt = clock.GetUtcNow();
            await SaveWithAuditAsync(actor, "document.refused", row, ct).ConfigureAwait(false);
            log.LogWarning("Document submission {SubmissionId}: refused on retry by rule {Rule}", row.Id, f.Error.Rule);
            return View(row);
        }

        Fill(row, p.Document, row.Content);
        await AttemptAsync(row, workerId, p.Port, p.Document, status, actor, ct).ConfigureAwait(false);
        return View(row);
    }

    /// <summary>
    /// Records the attempt (state <c>sending</c>, lease held) before the call, calls the transport, then records the
    /// outcome and releases the lease. A DMP state that could not be read counts as a transient failure.
    /// </summary>
    private async Task<ShareResult> AttemptAsync(DocumentSubmission row, string owner, IDocumentSharingPort port, SharedDocument document, DmpStatusResult status, Actor actor, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        row.State = DocumentSubmissionStates.Sending;
        row.Attempts++;
        row.UpdatedAt = now;
        row.ErrorCode = null;
        row.ErrorMessage = null;
        row.NextAttemptAt = null;
        row.LeaseOwner = owner;
        row.LeaseUntil = now + options.Delivery.Lease;

        // Recorded before the call: a crash during the call leaves a "sending" row whose lease runs out; the outbox worker
        // then sends it again with the same uniqueId (the registry refuses a second copy; see RecordOutcome).
        await SaveWithAuditAsync(actor, "document.sending", row, ct).ConfigureAwait(false);
        ShareResult result;
        if (status.State != DmpState.Active)
        {
            result = ShareResult.Failure("dmp.status-unavailable", $"The DMP state could not be read ({status.Code}). {status.Error}".Trim());
        }
        else
        {
            try
            {
                result = await port.ProvideAsync(document, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                throw;
            }
#pragma warning disable CA1031 // a port must not throw, but a bug in one must not leave the row "sending" forever
            catch (Exception ex)
#pragma warning restore CA1031
            {
                log.LogError(ex, "Document submission {SubmissionId}: transport {Transport} threw", row.Id, port.Transport);
                result = ShareResult.Failure("exception", ex.GetType().Name);
            }
        }

        RecordOutcome(row, result);
        await SaveWithAuditAsync(actor, "document." + row.State, row, CancellationToken.None).ConfigureAwait(false);
        log.LogInformation("Document submission {SubmissionId} for identity {IdentityId} over {Transport}: {State} {Code} at attempt {Attempts} in {Ms} ms",
            row.Id, row.IdentityId, port.Transport, row.State, row.ErrorCode, row.Attempts, (int)result.Duration.TotalMilliseconds);
        return result;
    }

    private async Task SaveWithAuditAsync(Actor actor, string action, DocumentSubmission row, CancellationToken ct)
    {
        // AuditTrail re-reads the chain head under lock in each new transaction of this long-lived context.
        await using var tx = await db.Database.BeginTransactionAsync(ct).ConfigureAwait(false);
        await db.SaveChangesAsync(ct).ConfigureAwait(false);
        await AuditTrail.AppendAsync(db, new AuditEntry(actor.Name, actor.Source, action, "identity", row.IdentityId.ToString(), null,
            JsonSerializer.Serialize(new { submission = row.Id, transport = row.Transport, uniqueId = row.DocumentUniqueId, attempt = row.Attempts, error = row.ErrorCode }, Json)), clock, ct).ConfigureAwait(false);
        await db.SaveChangesAsync(ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
    }

    private sealed record Prepared(IDocumentSharingPort Port, InsIdentifier Ins, SharedDocument Document, DocumentSubmission? Existing);

    /// <summary>Every rule that needs no network call: identity, gate, CDA header, metadata, earlier submissions.</summary>
    private async Task<Prepared> PrepareAsync(Guid identityId, SendDocumentRequest req, CancellationToken ct)
    {
        var port = Port(req.Transport);
        if (req.Content is null || req.Content.Length == 0)
        {
            throw new AppFailure(AppError.Field(ErrorKind.Invalid, "document", "document.empty", "A CDA R2 document is required."));
        }

        if (req.Content.Length > options.MaxDocumentBytes)
        {
            throw new AppFailure(AppError.Field(ErrorKind.Invalid, "document", "document.size", $"The document exceeds {options.MaxDocumentBytes} bytes."));
        }

        var record = await db.Identities.AsNoTracking().Include(x => x.InsHistory).Include(x => x.Evidence)
            .FirstOrDefaultAsync(x => x.Id == identityId, ct).ConfigureAwait(false) ?? throw new AppFailure(AppError.NotFound(identityId));
        if (record.MergedIntoId is { } into)
        {
            throw new AppFailure(new AppError(ErrorKind.Conflict, "identity.merged", $"Identity {identityId} was merged into {into}; send to the surviving identity.",
                Data: new Dictionary<string, object?>(StringComparer.Ordinal) { ["mergedInto"] = into }));
        }

        var identity = IdentityRows.ToDomain(record);
        var ins = Gate(identity, port);
        var header = ReadCda(req.Content);
        CheckCdaPatient(header, identity, ins);
        var document = BuildMetadata(header, ins, req.Content, port.Transport);

        // Already sent? A retry of a failed or interrupted submission reuses its row; an accepted one is never re-sent.
        var existing = await db.DocumentSubmissions.FirstOrDefaultAsync(x => x.Transport == port.Transport && x.DocumentUniqueId == document.UniqueId, ct).ConfigureAwait(false);
        if (existing is not null && existing.IdentityId != identityId)
        {
            throw new AppFailure(AppError.Field(ErrorKind.Conflict, "document", "document.unique-id-taken", "This document uniqueId was already sent for another identity."));
        }

        if (existing is { State: DocumentSubmissionStates.Accepted })
        {
            throw new AppFailure(new AppError(ErrorKind.Conflict, "document.already-shared", "This document (uniqueId) was already accepted; a new version needs a new uniqueId and replacesUniqueId.",
                Data: new Dictionary<string, object?>(StringComparer.Ordinal) { ["submission"] = View(existing) }));
        }

        if (!string.IsNullOrWhiteSpace(req.ReplacesUniqueId))
        {
            var replaced = await db.DocumentSubmissions.AsNoTracking()
                .FirstOrDefaultAsync(x => x.Transport == port.Transport && x.DocumentUniqueId == req.ReplacesUniqueId && x.IdentityId == identityId && x.State == DocumentSubmissionStates.Accepted, ct).ConfigureAwait(false)
                ?? throw new AppFailure(AppError.Field(ErrorKind.Invalid, "replacesUniqueId", "document.replaced-unknown", "No accepted document with this uniqueId was sent for this identity."));
            document = document with { ReplacesUniqueId = replaced.DocumentUniqueId, ReplacesEntryUuid = replaced.EntryUuid };
        }

        if (existing is not null)
        {
            // Same document again: keep the entry and submission ids the registry may already have seen.
            document = document with { EntryUuid = existing.EntryUuid, SubmissionSetUniqueId = existing.SubmissionSetUniqueId };
        }

        return new Prepared(port, ins, document, existing);
    }

    /// <summary>The refusal for a DMP that cannot be fed; an <see cref="ErrorKind.Upstream"/> error when the state is unknown.</summary>
    private static AppError? DmpRefusal(DmpStatusResult status) => status.State switch
    {
        DmpState.Active => null,
        DmpState.None => new AppError(ErrorKind.Conflict, "dmp.none", "The patient has no DMP: a document cannot be sent."),
        DmpState.Closed => new AppError(ErrorKind.Conflict, "dmp.closed", "The patient's DMP is closed: a document cannot be sent."),
        DmpState.Opposed => new AppError(ErrorKind.Conflict, "dmp.patient-opposed", "The patient opposed feeding the DMP."),
        DmpState.Refused => new AppError(ErrorKind.Unprocessable, "dmp.status-refused",
            $"The DMP service refused the state request ({status.Code}): {status.Error}. Sending it again unchanged will not help; check the configuration (VIHF, certificate, patient identifier).",
            Data: new Dictionary<string, object?>(StringComparer.Ordinal) { ["errors"] = new List<ShareError> { new(status.Code ?? "refused", status.Error) } }),
        _ => new AppError(ErrorKind.Upstream, "dmp.status-unavailable", $"The DMP state could not be read ({status.Code}). {status.Error}"),
    };

    private static void Fill(DocumentSubmission row, SharedDocument document, byte[] content)
    {
        row.EntryUuid = document.EntryUuid;
        row.SubmissionSetUniqueId = document.SubmissionSetUniqueId;
        row.ReplacesUniqueId = document.ReplacesUniqueId;
        row.TypeCode = document.TypeCode.Code;
        row.ClassCode = document.ClassCode.Code;
        row.MimeType = document.MimeType;
        row.Hash = document.Hash;
        row.Size = document.Size;
        row.Content = content;
        row.MetadataJson = MetadataJson(document);
    }

    private static Dictionary<string, object?> Data(DocumentSubmissionView view, IReadOnlyList<ShareError> errors) =>
        new(StringComparer.Ordinal) { ["submission"] = view, ["errors"] = errors };

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max];

    /// <summary>The submissions of an identity, newest first.</summary>
    /// <param name="identityId">Identity.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The list, or not-found.</returns>
    public Task<Result<IReadOnlyList<DocumentSubmissionView>>> ListAsync(Guid identityId, CancellationToken ct) => AppFailure.Run<IReadOnlyList<DocumentSubmissionView>>(async () =>
    {
        if (!await db.Identities.AnyAsync(x => x.Id == identityId, ct).ConfigureAwait(false))
        {
            throw new AppFailure(AppError.NotFound(identityId));
        }

        var rows = await db.DocumentSubmissions.AsNoTracking().Where(x => x.IdentityId == identityId).ToListAsync(ct).ConfigureAwait(false);
        return rows.OrderByDescending(x => x.CreatedAt).ThenByDescending(x => x.Id).Select(View).ToList();
    });

    /// <summary>One submission.</summary>
    /// <param name="submissionId">Submission id.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The submission, or <c>not-found</c>.</returns>
    public Task<Result<DocumentSubmissionView>> GetAsync(Guid submissionId, CancellationToken ct) => AppFailure.Run(async () =>
    {
        var row = await db.DocumentSubmissions.AsNoTracking().FirstOrDefaultAsync(x => x.Id == submissionId, ct).ConfigureAwait(false)
            ?? throw new AppFailure(new AppError(ErrorKind.NotFound, "not-found", $"Submission {submissionId} does not exist."));
        return View(row);
    });

    /// <summary>Sends again a submission that failed (transport) or was interrupted, with the same ids.</summary>
    /// <param name="submissionId">Submission id.</param>
    /// <param name="actor">Who.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>As <see cref="SendAsync"/>.</returns>
    public async Task<Result<DocumentSubmissionView>> ResendAsync(Guid submissionId, Actor actor, CancellationToken ct)
    {
        var row = await db.DocumentSubmissions.AsNoTracking().FirstOrDefaultAsync(x => x.Id == submissionId, ct).ConfigureAwait(false);
        if (row is null)
        {
            return Result<DocumentSubmissionView>.Fail(new AppError(ErrorKind.NotFound, "not-found", $"Submission {submissionId} does not exist."));
        }

        return await SendAsync(row.IdentityId, new SendDocumentRequest(row.Content, row.Transport, row.ReplacesUniqueId), actor, ct).ConfigureAwait(false);
    }

    private IDocumentSharingPort Port(string? transport)
    {
        var name = string.IsNullOrWhiteSpace(transport) ? options.DefaultTransport : transport.Trim().ToLowerInvariant();
        if (ports.Count == 0)
        {
            throw new AppFailure(new AppError(ErrorKind.Upstream, "documents.not-configured", "No document-sharing endpoint is configured (Documents section of the configuration)."));
        }

        return ports.FirstOrDefault(p => string.Equals(p.Transport, name, StringComparison.Ordinal))
            ?? throw new AppFailure(AppError.Field(ErrorKind.Invalid, "transport", "documents.transport-unknown", $"Transport '{name}' is not configured; available: {string.Join(", ", ports.Select(p => p.Transport))}."));
    }

    /// <summary>The qualified-INS gate (RNIV: only a QUAL identity's INS may be exchanged; DMP feeding requires it).</summary>
    private static InsIdentifier Gate(RnivIdentity identity, IDocumentSharingPort port)
    {
        if (!identity.CanTransmitIns || identity.TransmittableIns is not { } ins)
        {
            throw new AppFailure(new AppError(ErrorKind.Conflict, "rniv.not-qualified",
                $"The identity is {RnivCodes.ToCode(identity.Status)}: only a qualified identity (QUAL) with an INS may feed the DMP.",
                Data: new Dictionary<string, object?>(StringComparer.Ordinal) { ["status"] = RnivCodes.ToCode(identity.Status) }));
        }

        if (ins.Kind is InsOidKind.Test or InsOidKind.Demo && port.IsProductionEndpoint)
        {
            throw new AppFailure(new AppError(ErrorKind.Conflict, "document.test-ins-to-production",
                $"The INS has the {ins.Kind.ToString().ToLowerInvariant()} OID {ins.Oid}: it is never sent to a production endpoint."));
        }

        return ins;
    }

    private static CdaHeader ReadCda(byte[] content)
    {
        try
        {
            using var stream = new MemoryStream(content, writable: false);
            var header = CdaHeaderReader.Read(stream, new CdaReadOptions { InsPolicy = InsPolicy.AllowTestAndDemo });
            if (header.Document is null)
            {
                var issues = header.Refused.Select(i => new ValidationError(i.Path, i.Rule, i.Message)).ToList();
                throw new AppFailure(issues.Count > 0
                    ? AppError.Validation(issues) with { Rule = "document.cda-header" }
                    : AppError.Field(ErrorKind.Invalid, "document", "document.cda-header", "The CDA header lacks its document metadata."));
            }

            return header;
        }
        catch (CdaFormatException ex)
        {
            throw new AppFailure(AppError.Field(ErrorKind.Invalid, "document", "document.cda-unreadable", ex.Message));
        }
    }

    private static void CheckCdaPatient(CdaHeader header, RnivIdentity identity, InsIdentifier ins)
    {
        var patient = header.Patient;
        if (patient.Ins is null && patient.Refused.FirstOrDefault(i => i.Path.Contains("patientRole/id", StringComparison.Ordinal)) is { } refused)
        {
            throw new AppFailure(AppError.Field(ErrorKind.Conflict, "recordTarget.patientRole.id", "document.ins-invalid", $"The CDA's INS is not valid ({refused.Rule}: {refused.Message})."));
        }

        if (patient.Ins is not { } cdaIns)
        {
            throw new AppFailure(AppError.Field(ErrorKind.Conflict, "recordTarget.patientRole.id", "document.ins-missing", "The CDA header carries no INS (recordTarget/patientRole/id with an INS OID)."));
        }

        if (cdaIns.Matricule.Value != ins.Matricule.Value || cdaIns.Oid != ins.Oid)
        {
            throw new AppFailure(AppError.Field(ErrorKind.Conflict, "recordTarget.patientRole.id", "document.ins-mismatch", "The CDA's INS (matricule and OID) is not the identity's qualified INS."));
        }

        if (patient.Traits is not { } traits)
        {
            throw new AppFailure(AppError.Field(ErrorKind.Conflict, "recordTarget.patientRole.patient", "document.traits-missing", "The CDA header lacks the patient's strict traits."));
        }

        // Equal, not merely compatible: each list must be the start of the other, so both hold the same first names.
        var differences = TraitComparison.Differences(identity.Traits, traits).Concat(TraitComparison.Differences(traits, identity.Traits))
            .Select(d => d.Field).Distinct(StringComparer.Ordinal).ToList();
        if (identity.Traits.BirthPlaceCog is not null && traits.BirthPlaceCog is null)
        {
            differences.Add("birthPlaceCog");
        }

        if (differences.Count > 0)
        {
            var fields = differences.ToDictionary(f => f, f => new[] { "document.traits-mismatch: differs from the identity's strict trait." }, StringComparer.Ordinal);
            throw new AppFailure(new AppError(ErrorKind.Conflict, "document.traits-mismatch", "The CDA's strict traits differ from the qualified identity's.", fields));
        }
    }

    private SharedDocument BuildMetadata(CdaHeader header, InsIdentifier ins, byte[] content, string transport)
    {
        var doc = header.Document!;
        var errors = new FieldErrors();
        var legal = CdaLegalAuthenticator.Read(content);
        if (transport == "pdsm")
        {
            // PDSm's DocumentReference.authenticator is 1..1 and may only be a professional (PractitionerRole) or an
            // organisation: a document the patient authenticates (personal expression) has no valid PDSm form.
            if (legal is null)
            {
                errors.Add("legalAuthenticator", "document.metadata-missing", "PDSm requires the document's legal authenticator (CDA legalAuthenticator, sent as DocumentReference.authenticator 1..1); the CDA header has none.");
            }
            else if (legal.IsPatient)
            {
                throw new AppFailure(AppError.Field(ErrorKind.Unprocessable, "legalAuthenticator", "document.authenticator-unsupported",
                    "The CDA's legal authenticator is the patient: PDSm 3.1.1 accepts only a professional (PractitionerRole) or an organisation as DocumentReference.authenticator. Send this document over XDS."));
            }
        }

        var typeCode = doc.Code.Code;
        string? classCode = options.ClassCodeByTypeCode.TryGetValue(typeCode, out var c) ? c : options.DefaultClassCode;
        if (string.IsNullOrWhiteSpace(classCode))
        {
            errors.Add("classCode", "document.metadata-missing", $"No classCode is configured for typeCode {typeCode} (Documents:ClassCodeByTypeCode).");
        }

        if (string.IsNullOrWhiteSpace(options.SourceId))
        {
            errors.Add("sourceId", "document.metadata-missing", "Documents:SourceId (OID of the sending system) is not configured.");
        }

        if (string.IsNullOrWhiteSpace(options.HealthcareFacilityTypeCode))
        {
            errors.Add("healthcareFacilityTypeCode", "document.metadata-missing", "Documents:HealthcareFacilityTypeCode is not configured.");
        }

        if (string.IsNullOrWhiteSpace(options.PracticeSettingCode))
        {
            errors.Add("practiceSettingCode", "document.metadata-missing", "Documents:PracticeSettingCode is not configured.");
        }

        if (string.IsNullOrWhiteSpace(options.ContentTypeCode))
        {
            errors.Add("contentTypeCode", "document.metadata-missing", "Documents:ContentTypeCode is not configured.");
        }

        if (doc.EffectiveInstant is not { } created)
        {
            errors.Add("effectiveTime", "document.metadata-missing", "The CDA effectiveTime (creationTime) is missing or unreadable.");
            created = default;
        }

        var authors = doc.Authors.Select(a => new SharedAuthor(a.Id?.Extension, a.Id?.Root, a.Family, a.Given, a.Organization?.Extension ?? a.Organization?.Root, a.OrganizationName)).ToList();
        if (authors.Count == 0)
        {
            errors.Add("author", "document.metadata-missing", "The CDA header has no author.");
        }

        if (string.IsNullOrWhiteSpace(doc.Code.CodeSystem))
        {
            errors.Add("typeCode", "document.metadata-missing", "The CDA code has no codeSystem.");
        }

        if (string.IsNullOrWhiteSpace(doc.Confidentiality.Code))
        {
            errors.Add("confidentialityCode", "document.metadata-missing", "The CDA confidentialityCode is missing.");
        }

        errors.ThrowIfAny();
        var local = header.Patient.LocalIds.FirstOrDefault(id => !string.IsNullOrEmpty(id.Extension) && !InsOids.TryGetKind(id.Root, out _));
        var patientId = $"{ins.Matricule.Value}^^^&{ins.Oid}&ISO^NH";
        var formatCode = options.FormatCodeByTypeCode.TryGetValue(typeCode, out var f) ? f : options.DefaultFormatCode;
        return new SharedDocument
        {
            Ins = ins,
            PatientId = patientId,
            SourcePatientId = local is null ? patientId : $"{local.Extension}^^^&{local.Root}&ISO^PI",
            UniqueId = doc.Id.Extension is { Length: > 0 } ext ? $"{doc.Id.Root}^{ext}" : doc.Id.Root,
            EntryUuid = "urn:uuid:" + Guid.NewGuid().ToString("D"),
            SubmissionSetUniqueId = "2.25." + new BigInteger(Guid.NewGuid().ToByteArray(bigEndian: true), isUnsigned: true, isBigEndian: true).ToString(CultureInfo.InvariantCulture),
            SourceId = options.SourceId!,
            ClassCode = new SharedCode(classCode!, options.ClassCodeSystem),
            TypeCode = new SharedCode(typeCode, doc.Code.CodeSystem!, doc.Code.DisplayName),
            FormatCode = new SharedCode(formatCode, options.FormatCodeSystem),
            ConfidentialityCode = new SharedCode(doc.Confidentiality.Code, doc.Confidentiality.CodeSystem ?? "2.16.840.1.113883.5.25", doc.Confidentiality.DisplayName),
            HealthcareFacilityTypeCode = new SharedCode(options.HealthcareFacilityTypeCode!, options.HealthcareFacilityTypeCodeSystem),
            PracticeSettingCode = new SharedCode(options.PracticeSettingCode!, options.PracticeSettingCodeSystem),
            ContentTypeCode = new SharedCode(options.ContentTypeCode!, options.ContentTypeCodeSystem),
            Title = doc.Title,
            LanguageCode = string.IsNullOrWhiteSpace(doc.LanguageCode) ? options.DefaultLanguageCode : doc.LanguageCode,
            MimeType = "text/xml",
            CreationTime = created,
            SubmissionTime = clock.GetUtcNow(),
            Hash = Convert.ToHexStringLower(SHA1.HashData(content)),
            Size = content.Length,
            Authors = authors,
            LegalAuthenticator = legal?.Authenticator,
            Content = content,
        };
    }

    private void RecordOutcome(DocumentSubmission row, ShareResult result)
    {
        var now = clock.GetUtcNow();
        var first = result.Errors.FirstOrDefault();
        row.ErrorCode = first?.Code is { } code ? Truncate(code, 128) : null;
        row.ErrorMessage = first?.Context is { } text ? Truncate(text, 2000) : null;
        row.UpdatedAt = now;
        row.LeaseOwner = null;
        row.LeaseUntil = null;
        row.NextAttemptAt = null;
        switch (result.Outcome)
        {
            case ShareOutcome.Accepted:
                row.State = DocumentSubmissionStates.Accepted;
                row.AcceptedAt = now;
                break;
            case ShareOutcome.Refused when row.Attempts > 1 && result.Errors.Count > 0 && result.Errors.All(e => e.Code is "XDSDuplicateUniqueIdInRegistry" or "duplicate"):
                // An earlier attempt reached the registry but its answer was lost: the document is there once, as wanted.
                row.State = DocumentSubmissionStates.Accepted;
                row.AcceptedAt = now;
                break;
            case ShareOutcome.Refused:
                row.State = DocumentSubmissionStates.Refused;
                break;
            default:
                var round = row.Attempts - row.RoundStartAttempts;
                if (round >= Math.Max(1, options.Delivery.MaxAttempts))
                {
                    row.State = DocumentSubmissionStates.Failed;
                }
                else
                {
                    row.State = DocumentSubmissionStates.Retrying;
                    row.NextAttemptAt = now + options.Delivery.Backoff(round);
                }

                break;
        }
    }

    private static string MetadataJson(SharedDocument d) => JsonSerializer.Serialize(new
    {
        d.PatientId,
        d.SourcePatientId,
        d.UniqueId,
        d.EntryUuid,
        d.SubmissionSetUniqueId,
        d.SourceId,
        d.ClassCode,
        d.TypeCode,
        d.FormatCode,
        d.ConfidentialityCode,
        d.HealthcareFacilityTypeCode,
        d.PracticeSettingCode,
        d.ContentTypeCode,
        d.LanguageCode,
        d.MimeType,
        d.CreationTime,
        d.SubmissionTime,
        d.Hash,
        d.Size,
        d.ReplacesUniqueId,
        d.ReplacesEntryUuid,
        Authors = d.Authors.Select(a => new { a.Id, a.IdRoot, a.InstitutionId }),
        LegalAuthenticator = d.LegalAuthenticator is { } l ? new { l.Id, l.IdRoot, l.InstitutionId } : null,
    }, Json);

    private static DocumentSubmissionView View(DocumentSubmission r) => new(
        r.Id, r.IdentityId, r.Transport, r.DocumentUniqueId, r.SubmissionSetUniqueId, r.ReplacesUniqueId, r.TypeCode, r.ClassCode, r.State,
        r.Attempts, r.ErrorCode, r.ErrorMessage, r.Size, r.Hash, r.CreatedAt, r.UpdatedAt, r.AcceptedAt, r.NextAttemptAt, r.Establishment);
}
