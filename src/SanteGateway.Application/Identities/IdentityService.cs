using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SanteGateway.Identity;
using SanteGateway.Store;
using SanteGateway.Store.Audit;
using SanteGateway.Store.Entities;

namespace SanteGateway.Application;

/// <summary>
/// Identity use cases: create, read, search, update traits, evidence, attributes, revert, INSi search and verification,
/// duplicates, merge. Every change runs in one transaction with its audit event, guarded by the identity's version token
/// (a concurrent edit fails with <c>concurrency.stale</c> instead of overwriting). Refusals are results, never HTTP.
/// </summary>
public sealed partial class IdentityService
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Set only while <see cref="ApplyInsiCallsAsync"/> applies a group of calls (see <see cref="InsiApplyGroup"/>).</summary>
    private InsiApplyGroup? group;

    private readonly GatewayDbContext db;
    private readonly TimeProvider clock;
    private readonly IInsiPort insi;
    private readonly InsiMetrics? metrics;
    private readonly ApplicationOptions options;
    private readonly ILogger<IdentityService> log;
    private readonly IReadOnlyList<IIdentityChangeSink> sinks;

    /// <summary>Creates the service (one per unit of work: it holds the database context).</summary>
    /// <param name="db">Database context.</param>
    /// <param name="clock">Clock.</param>
    /// <param name="insi">INSi port.</param>
    /// <param name="options">Settings.</param>
    /// <param name="log">Logger (ids and codes only).</param>
    /// <param name="metrics">INSi metrics, when the host exports them.</param>
    /// <param name="sinks">Parties told of every change in its transaction (HL7 notifications).</param>
    public IdentityService(GatewayDbContext db, TimeProvider clock, IInsiPort insi, IOptions<ApplicationOptions> options, ILogger<IdentityService> log, InsiMetrics? metrics = null, IEnumerable<IIdentityChangeSink>? sinks = null)
    {
        this.sinks = sinks?.ToList() ?? [];
        ArgumentNullException.ThrowIfNull(options);
        this.db = db;
        this.clock = clock;
        this.insi = insi;
        this.options = options.Value;
        this.log = log;
        this.metrics = metrics;
    }

    /// <summary>Creates a provisional identity (VALI when a high-trust document check comes with it).</summary>
    /// <param name="req">The request.</param>
    /// <param name="actor">Who.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The identity, or <c>identity.duplicate</c> naming the existing ones, or field errors.</returns>
    public Task<Result<IdentityView>> CreateAsync(CreateIdentityRequest req, Actor actor, CancellationToken ct) => AppFailure.Run(async () =>
    {
        ArgumentNullException.ThrowIfNull(req);
        ArgumentNullException.ThrowIfNull(actor);
        var now = Now();
        var errors = new FieldErrors();
        var traits = TraitInput.Traits(new RawTraits(req.BirthName, req.BirthFirstNames, req.FirstFirstName, req.Sex, req.BirthDate, req.BirthPlaceCog, req.UsedName, req.UsedFirstName), Today(now));
        errors.AddRange(traits.Errors);
        var channel = CollectionChannel.SM;
        if (!string.IsNullOrWhiteSpace(req.CollectionChannel)
            && (!Enum.TryParse(req.CollectionChannel.Trim().ToUpperInvariant(), out channel) || !DocumentTypes.DeclarableChannels.Contains(channel)))
        {
            errors.Add("collectionChannel", "code", "Expected SM, CV, CB, RFID or AV (INSI is set by the gateway after an INSi call).");
        }

        var evidence = req.Evidence is null ? null : ParseEvidence(errors, req.Evidence, "evidence.", actor, now);
        var externalIds = ParseExternalIds(errors, req.ExternalIds);
        CheckForce(errors, req.Force, req.Reason, actor);
        errors.ThrowIfAny();

        var duplicates = await FindDuplicatesAsync(traits.Value!, null, ct).ConfigureAwait(false);
        if (duplicates.Count > 0 && req.Force != true)
        {
            throw new AppFailure(DuplicateError(duplicates));
        }

        var domain = RnivIdentity.CreateProvisional(traits.Value!, channel);
        var record = new IdentityRecord { Id = Guid.CreateVersion7(now), CreatedAt = now, UpdatedAt = now, Version = 1 };
        if (evidence is not null)
        {
            if (evidence.IsHighTrust)
            {
                Transition(domain.RecordHighTrustEvidence(new Evidence(evidence.DocumentType, evidence.CheckedOn, evidence.ExpiresOn), options.Policy!), "evidence", "rniv.evidence");
            }

            evidence.IdentityId = record.Id;
            record.Evidence.Add(evidence);
        }

        IdentityRows.Apply(domain, record, now, []);
        await CheckExternalIdsFreeAsync(externalIds, null, ct).ConfigureAwait(false);
        var potential = await FindPotentialDuplicatesAsync(record, ct).ConfigureAwait(false);

        await using var tx = await db.Database.BeginTransactionAsync(ct).ConfigureAwait(false);
        db.Identities.Add(record);
        foreach (var x in externalIds)
        {
            x.IdentityId = record.Id;
            x.CreatedAt = now;
            db.ExternalIdentifiers.Add(x);
        }

        await AuditAsync(actor, "identity.created", record.Id, null, IdentityRows.Snapshot(record), ct).ConfigureAwait(false);
        if (duplicates.Count > 0)
        {
            // Forced by identity vigilance: the pair stays in the duplicates worklist until someone merges or dismisses it.
            foreach (var d in duplicates)
            {
                RaiseAlert(AlertKinds.DuplicateForced, record.Id, d.Id, null, d.Reason, actor, now);
            }

            await AuditAsync(actor, "identity.duplicate-forced", record.Id, null, new { duplicates = duplicates.Select(d => d.Id), reason = req.Reason }, ct).ConfigureAwait(false);
        }

        foreach (var p in potential.Where(p => duplicates.All(d => d.Id != p.Id)))
        {
            RaiseAlert(AlertKinds.PotentialDuplicate, record.Id, p.Id, null, string.Join(",", p.Reasons), actor, now);
        }

        Notify(new IdentityChange(record.Id, domain, IdentityChangeKind.Created));
        await db.SaveChangesAsync(ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        LogCreated(log, record.Id, record.Status);
        return IdentityRows.ToView(record, externalIds);
    });

    /// <summary>Reads an identity (a merged one answers with <see cref="IdentityView.MergedInto"/> set).</summary>
    /// <param name="id">Identity id.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The identity or <c>not-found</c>.</returns>
    public Task<Result<IdentityView>> GetAsync(Guid id, CancellationToken ct) => AppFailure.Run(async () =>
    {
        var record = await LoadAsync(id, tracking: false, ct).ConfigureAwait(false);
        return await ViewAsync(record, ct).ConfigureAwait(false);
    });

    /// <summary>The RNIV aggregate of a QUAL identity, for what may carry the INS outside (DataMatrix, HL7, FHIR, CDA).</summary>
    /// <param name="id">Identity id.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The aggregate, or <c>rniv.not-qualified</c>.</returns>
    public Task<Result<RnivIdentity>> GetQualifiedAsync(Guid id, CancellationToken ct) => AppFailure.Run(async () =>
    {
        var record = await LoadAsync(id, tracking: false, ct).ConfigureAwait(false);
        var domain = IdentityRows.ToDomain(record);
        return domain.CanTransmitIns
            ? domain
            : throw new AppFailure(AppError.Field(ErrorKind.Conflict, "status", "rniv.not-qualified", $"Only a QUAL identity may carry its INS outside (status is {record.Status})."));
    });

    /// <summary>The RNIV aggregate of any live identity (for mappers that decide themselves what to emit).</summary>
    /// <param name="id">Identity id.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The aggregate and the view.</returns>
    public Task<Result<(RnivIdentity Domain, IdentityView View)>> GetDomainAsync(Guid id, CancellationToken ct) => AppFailure.Run(async () =>
    {
        var record = await LoadAsync(id, tracking: false, ct).ConfigureAwait(false);
        return (IdentityRows.ToDomain(record), await ViewAsync(record, ct).ConfigureAwait(false));
    });

    /// <summary>Changes traits. Strict traits of a RECUP/VALI/QUAL identity are locked except for identity vigilance, and changing them downgrades the status.</summary>
    /// <param name="id">Identity id.</param>
    /// <param name="req">The change.</param>
    /// <param name="ifMatch">Expected version (If-Match), else <see cref="PatchIdentityRequest.Version"/>.</param>
    /// <param name="actor">Who.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The identity after the change.</returns>
    public Task<Result<IdentityView>> PatchAsync(Guid id, PatchIdentityRequest req, long? ifMatch, Actor actor, CancellationToken ct) => AppFailure.Run(async () =>
    {
        ArgumentNullException.ThrowIfNull(req);
        ArgumentNullException.ThrowIfNull(actor);
        var expected = ifMatch ?? req.Version
            ?? throw new AppFailure(AppError.Field(ErrorKind.PreconditionRequired, "version", "concurrency.required", "Send If-Match: \"<version>\" or a version field."));
        var now = Now();
        var (record, before, domain) = await BeginChangeAsync(id, expected, ct).ConfigureAwait(false);
        var current = domain.Traits;
        var raw = new RawTraits(
            req.BirthName ?? current.BirthName,
            req.BirthFirstNames ?? current.BirthFirstNamesJoined,
            req.FirstFirstName ?? (req.BirthFirstNames is null ? current.FirstFirstName : null),
            req.Sex ?? SexCodes.ToCode(current.Sex),
            req.BirthDate,
            req.BirthPlaceCog is null ? current.BirthPlaceCog : (req.BirthPlaceCog.Length == 0 ? null : req.BirthPlaceCog),
            req.UsedName is null ? current.UsedName : (req.UsedName.Length == 0 ? null : req.UsedName),
            req.UsedFirstName is null ? current.UsedFirstName : (req.UsedFirstName.Length == 0 ? null : req.UsedFirstName));
        var errors = new FieldErrors();
        var traits = TraitInput.Traits(raw, Today(now), req.BirthDate is null ? current.BirthDate : null);
        errors.AddRange(traits.Errors);
        CheckForce(errors, req.Force, req.Reason, actor);
        errors.ThrowIfAny();

        var strictChanged = !traits.Value!.HasSameStrictTraits(current);
        Transition(domain.EditStrictTraits(traits.Value, actor.IsVigilance), "traits", "rniv.traits");
        var duplicates = strictChanged ? await FindDuplicatesAsync(traits.Value, record.Id, ct).ConfigureAwait(false) : [];
        if (duplicates.Count > 0 && req.Force != true)
        {
            throw new AppFailure(DuplicateError(duplicates));
        }

        foreach (var d in duplicates)
        {
            RaiseAlert(AlertKinds.DuplicateForced, record.Id, d.Id, null, d.Reason, actor, now);
        }

        return await SaveChangeAsync(record, domain, actor, "identity.traits-changed", before, now, ct, extra: duplicates.Count > 0 ? new { duplicates = duplicates.Select(d => d.Id), reason = req.Reason }
            : string.IsNullOrWhiteSpace(req.Reason) ? null : new { reason = req.Reason.Trim() }).ConfigureAwait(false);
    });

    /// <summary>Records a document check (VALI/QUAL when it is high-trust).</summary>
    /// <param name="id">Identity id.</param>
    /// <param name="input">The check.</param>
    /// <param name="ifMatch">Expected version.</param>
    /// <param name="actor">Who.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The identity after the change.</returns>
    public Task<Result<IdentityView>> AddEvidenceAsync(Guid id, EvidenceInput input, long? ifMatch, Actor actor, CancellationToken ct) => AppFailure.Run(async () =>
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(actor);
        var now = Now();
        var (record, before, domain) = await BeginChangeAsync(id, ifMatch, ct).ConfigureAwait(false);
        var errors = new FieldErrors();
        var evidence = ParseEvidence(errors, input, "", actor, now);
        errors.ThrowIfAny();
        if (evidence!.IsHighTrust)
        {
            Transition(domain.RecordHighTrustEvidence(new Evidence(evidence.DocumentType, evidence.CheckedOn, evidence.ExpiresOn), options.Policy!), "documentType", "rniv.evidence");
        }

        evidence.IdentityId = record.Id;
        record.Evidence.Add(evidence);
        db.Evidence.Add(evidence);
        return await SaveChangeAsync(record, domain, actor, "identity.evidence-added", before, now, ct).ConfigureAwait(false);
    });

    /// <summary>Sets or clears HOMA/DOUT/FICT (DOUT and FICT force PROV and drop the INS).</summary>
    /// <param name="id">Identity id.</param>
    /// <param name="req">The attributes.</param>
    /// <param name="ifMatch">Expected version.</param>
    /// <param name="actor">Who.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The identity after the change.</returns>
    public Task<Result<IdentityView>> SetAttributesAsync(Guid id, AttributesRequest req, long? ifMatch, Actor actor, CancellationToken ct) => AppFailure.Run(async () =>
    {
        ArgumentNullException.ThrowIfNull(req);
        var now = Now();
        var (record, before, domain) = await BeginChangeAsync(id, ifMatch ?? req.Version, ct).ConfigureAwait(false);
        var a = domain.Attributes;
        a = Flag(a, IdentityAttributes.Homonym, req.Homonym);
        a = Flag(a, IdentityAttributes.Doubtful, req.Doubtful);
        a = Flag(a, IdentityAttributes.Fictitious, req.Fictitious);
        Transition(domain.SetAttributes(a), "attributes", "rniv.attributes-exclusive", ErrorKind.Invalid);
        return await SaveChangeAsync(record, domain, actor, "identity.attributes-changed", before, now, ct).ConfigureAwait(false);
    });

    /// <summary>Withdraws the document check (QUAL→RECUP, VALI→PROV), with a reason.</summary>
    /// <param name="id">Identity id.</param>
    /// <param name="req">Version and reason.</param>
    /// <param name="ifMatch">Expected version.</param>
    /// <param name="actor">Who.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The identity after the change.</returns>
    public Task<Result<IdentityView>> RevertQualificationAsync(Guid id, RevertRequest req, long? ifMatch, Actor actor, CancellationToken ct) => AppFailure.Run(async () =>
    {
        ArgumentNullException.ThrowIfNull(req);
        if (string.IsNullOrWhiteSpace(req.Reason))
        {
            throw new AppFailure(AppError.Field(ErrorKind.Invalid, "reason", "required", "Say why the qualification is withdrawn (audited)."));
        }

        var now = Now();
        var (record, before, domain) = await BeginChangeAsync(id, ifMatch ?? req.Version, ct).ConfigureAwait(false);
        Transition(domain.WithdrawQualification(), "status", "rniv.not-qualified");
        return await SaveChangeAsync(record, domain, actor, "identity.qualification-reverted", before, now, ct, extra: new { reason = req.Reason.Trim() }).ConfigureAwait(false);
    });

    /// <summary>The INSi exchanges of an identity, oldest first.</summary>
    /// <param name="id">Identity id.</param>
    /// <param name="page">Page from 1.</param>
    /// <param name="pageSize">1–100.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The page.</returns>
    public Task<Result<Paged<InsiExchangeView>>> ExchangesAsync(Guid id, int? page, int? pageSize, CancellationToken ct) => AppFailure.Run(async () =>
    {
        var (p, size) = Paging(page, pageSize, 20);
        await EnsureExistsAsync(id, ct).ConfigureAwait(false);
        var q = db.InsiExchanges.AsNoTracking().Where(e => e.IdentityId == id);
        var total = await q.CountAsync(ct).ConfigureAwait(false);
        var items = await q.OrderBy(e => e.OccurredAt).ThenBy(e => e.Id).Skip((p - 1) * size).Take(size)
            .Select(e => new InsiExchangeView(e.Id, e.Operation, e.Outcome, e.Detail, e.CertificateCn, e.DurationMs, e.Actor, e.OccurredAt, e.RequestXml, e.ResponseXml))
            .ToListAsync(ct).ConfigureAwait(false);
        return new Paged<InsiExchangeView>(items, p, size, total);
    });

    /// <summary>The audit events of an identity, in chain order.</summary>
    /// <param name="id">Identity id.</param>
    /// <param name="page">Page from 1.</param>
    /// <param name="pageSize">1–100.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The page.</returns>
    public Task<Result<Paged<AuditView>>> AuditAsync(Guid id, int? page, int? pageSize, CancellationToken ct) => AppFailure.Run(async () =>
    {
        var (p, size) = Paging(page, pageSize, 50);
        await EnsureExistsAsync(id, ct).ConfigureAwait(false);
        var key = id.ToString();
        var q = db.AuditEvents.AsNoTracking().Where(e => e.EntityType == "identity" && e.EntityId == key);
        var total = await q.CountAsync(ct).ConfigureAwait(false);
        var items = await q.OrderBy(e => e.Sequence).Skip((p - 1) * size).Take(size)
            .Select(e => new AuditView(e.Sequence, e.OccurredAt, e.Actor, e.Source, e.Action, e.PreviousValues, e.NewValues, e.Hash))
            .ToListAsync(ct).ConfigureAwait(false);
        return new Paged<AuditView>(items, p, size, total);
    });

    private static IdentityAttributes Flag(IdentityAttributes a, IdentityAttributes flag, bool? set) => set switch
    {
        true => a | flag,
        false => a & ~flag,
        null => a,
    };

    /// <summary>
    /// Domain rules whose refusal is not a conflict with the identity's state but a matter of who asks (HTTP 403, not 409).
    /// One table, so that every use case maps a rule the same way.
    /// </summary>
    private static readonly Dictionary<string, ErrorKind> RuleKinds = new(StringComparer.Ordinal)
    {
        ["rniv.strict-traits-locked"] = ErrorKind.Forbidden,
    };

    /// <summary>A refused transition becomes an error naming the field and the rule.</summary>
    private static void Transition(TransitionResult result, string field, string rule, ErrorKind kind = ErrorKind.Conflict)
    {
        if (!result.Succeeded)
        {
            var actualRule = result.Rule ?? rule;
            var actualKind = RuleKinds.GetValueOrDefault(actualRule, kind);
            throw new AppFailure(AppError.Field(actualKind, field, actualRule, result.Reason ?? "Refused by the RNIV rules."));
        }
    }

    private static void CheckForce(FieldErrors errors, bool? force, string? reason, Actor actor)
    {
        if (force != true)
        {
            return;
        }

        if (!actor.IsVigilance)
        {
            throw new AppFailure(AppError.Field(ErrorKind.Forbidden, "force", "identity.force-requires-vigilance", "Only identity vigilance may create or keep a duplicate."));
        }

        if (string.IsNullOrWhiteSpace(reason))
        {
            errors.Add("reason", "required", "Say why the duplicate is kept (audited).");
        }
    }

    private static (int Page, int Size) Paging(int? page, int? pageSize, int defaultSize) =>
        Application.Paging.Check(page, pageSize, defaultSize, out var p, out var size) is { } error ? throw new AppFailure(error) : (p, size);

    private async Task EnsureExistsAsync(Guid id, CancellationToken ct)
    {
        if (!await db.Identities.AnyAsync(x => x.Id == id, ct).ConfigureAwait(false))
        {
            throw new AppFailure(AppError.NotFound(id));
        }
    }

    private async Task<IdentityView> ViewAsync(IdentityRecord record, CancellationToken ct)
    {
        if (group is not null)
        {
            return IdentityRows.ToView(record, []); // a group's caller reads only the outcome and the INS
        }

        var ids = await db.ExternalIdentifiers.AsNoTracking().Where(x => x.IdentityId == record.Id).OrderBy(x => x.CreatedAt).ToListAsync(ct).ConfigureAwait(false);
        return IdentityRows.ToView(record, ids);
    }

    private async Task<IdentityView> SaveChangeAsync(IdentityRecord record, RnivIdentity domain, Actor actor, string action, string before, DateTimeOffset now, CancellationToken ct, object? extra = null, IReadOnlyDictionary<string, (DateOnly? From, DateOnly? To)>? insiDates = null)
    {
        var previousStatus = record.Status;
        var change = ChangeOf(record, domain);
        var addedIns = new List<InsHistoryEntry>();
        IdentityRows.Apply(domain, record, now, addedIns, insiDates);
        db.InsHistory.AddRange(addedIns);
        record.UpdatedAt = now;
        await using var tx = await OwnTransactionAsync(ct).ConfigureAwait(false);
        try
        {
            // Stamp the version now so the audit snapshot shows the version the row will have.
            var entry = db.Entry(record);
            var original = entry.Property(x => x.Version).OriginalValue;
            if (group is not null)
            {
                // A group saves without automatic detection: look at this row now, so that only the columns that changed
                // are written (marking the whole row Modified rewrote every column, and so every index entry, of the row).
                // The version is stamped just before the save (PrepareSave), after detection: it is marked written here.
                entry.DetectChanges();
                if (entry.State == EntityState.Modified)
                {
                    entry.Property(x => x.Version).IsModified = true;
                }
            }

            entry.State = entry.State == EntityState.Unchanged ? EntityState.Modified : entry.State;
            var after = IdentityRows.Snapshot(record);
            await AuditAsync(actor, action, record.Id, before, after, ct, versionAfter: original + 1, extra: extra).ConfigureAwait(false);
            Notify(change);
            await SaveAsync(ct).ConfigureAwait(false);
            await CommitOwnAsync(tx, ct).ConfigureAwait(false);
        }
        catch (DbUpdateConcurrencyException)
        {
            db.ChangeTracker.Clear();
            var current = await db.Identities.AsNoTracking().Where(x => x.Id == record.Id).Select(x => x.Version).FirstOrDefaultAsync(CancellationToken.None).ConfigureAwait(false);
            throw new AppFailure(AppError.Stale(current));
        }

        LogChanged(log, record.Id, action, previousStatus, record.Status);
        return await ViewAsync(record, ct).ConfigureAwait(false);
    }

    /// <summary>How the sinks are told of a change of <paramref name="record"/> (as read before the change) to <paramref name="domain"/>.</summary>
    private static IdentityChange ChangeOf(IdentityRecord record, RnivIdentity domain)
    {
        var wasTransmittable = string.Equals(record.Status, "QUAL", StringComparison.Ordinal) && record.InsMatricule is not null && record.InsOid is not null
            && InsMatricule.TryParse(record.InsMatricule, out var oldMatricule, out _)
            ? new InsIdentifier(oldMatricule, record.InsOid)
            : null;
        return wasTransmittable is not null && domain.TransmittableIns is null
            ? new IdentityChange(record.Id, domain, IdentityChangeKind.InsWithdrawn, WithdrawnIns: wasTransmittable)
            : new IdentityChange(record.Id, domain, IdentityChangeKind.Updated);
    }

    private void Notify(IdentityChange change)
    {
        foreach (var sink in sinks)
        {
            sink.OnChanging(db, change);
        }
    }

    private async Task AuditAsync(Actor actor, string action, Guid identityId, string? before, object? after, CancellationToken ct, long? versionAfter = null, object? extra = null)
    {
        var newValues = after is null ? null
            : versionAfter is null && extra is null ? Serialize(after)
            : WithVersionAndContext(after, versionAfter, extra);
        await AuditJsonAsync(actor, action, identityId, before, newValues, ct).ConfigureAwait(false);
    }

    /// <summary>Appends an identity audit event whose new values are already JSON.</summary>
    private Task<AuditEvent> AuditJsonAsync(Actor actor, string action, Guid identityId, string? before, string? newValues, CancellationToken ct) =>
        AuditTrail.AppendAsync(db, new AuditEntry(actor.Name, actor.Source, action, "identity", identityId.ToString(), before, newValues), clock, ct);

    /// <summary>
    /// <paramref name="after"/> as a JSON object whose <c>version</c> and <c>context</c> members are set (in place when
    /// present, else appended), written in one pass.
    /// </summary>
    private static string WithVersionAndContext(object after, long? versionAfter, object? extra)
    {
        var root = JsonSerializer.SerializeToElement(after, Json);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer))
        {
            var versionDone = versionAfter is null;
            var contextDone = extra is null;
            w.WriteStartObject();
            foreach (var p in root.EnumerateObject())
            {
                if (!versionDone && p.NameEquals("version"))
                {
                    w.WriteNumber("version", versionAfter!.Value);
                    versionDone = true;
                }
                else if (!contextDone && p.NameEquals("context"))
                {
                    w.WritePropertyName("context");
                    JsonSerializer.Serialize(w, extra, Json);
                    contextDone = true;
                }
                else
                {
                    p.WriteTo(w);
                }
            }

            if (!versionDone)
            {
                w.WriteNumber("version", versionAfter!.Value);
            }

            if (!contextDone)
            {
                w.WritePropertyName("context");
                JsonSerializer.Serialize(w, extra, Json);
            }

            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private EvidenceRecord? ParseEvidence(FieldErrors errors, EvidenceInput input, string prefix, Actor actor, DateTimeOffset now)
    {
        var type = input.DocumentType?.Trim().ToUpperInvariant();
        if (string.IsNullOrEmpty(type))
        {
            errors.Add(prefix + "documentType", "required", "The document type is required.");
        }
        else if (!DocumentTypes.Known.Contains(type))
        {
            errors.Add(prefix + "documentType", "code", "Unknown document type (PAM ZFD-7 / FR Core codes: CN, PA, CS, AN, LE, ...).");
        }

        var checkedOn = TraitInput.Day(errors, prefix + "checkedOn", input.CheckedOn, required: true);
        var expiresOn = TraitInput.Day(errors, prefix + "expiresOn", input.ExpiresOn, required: false);
        if (checkedOn > Today(now))
        {
            errors.Add(prefix + "checkedOn", "future", "The check date is in the future.");
        }

        if (checkedOn is { } c && expiresOn is { } e && e < c)
        {
            errors.Add(prefix + "expiresOn", "rniv.expired-document", "The document had expired when it was checked.");
        }

        if (errors.Any)
        {
            return null;
        }

        return new EvidenceRecord
        {
            Id = Guid.CreateVersion7(now),
            DocumentType = type!,
            IsHighTrust = options.Policy?.IsHighTrust(type) ?? false,
            CheckedOn = checkedOn!.Value,
            ExpiresOn = expiresOn,
            CheckedBy = actor.Name,
            RecordedAt = now,
        };
    }

    private static List<ExternalIdentifier> ParseExternalIds(FieldErrors errors, IReadOnlyList<ExternalIdInput>? input)
    {
        var list = new List<ExternalIdentifier>();
        for (var i = 0; i < (input?.Count ?? 0); i++)
        {
            var x = input![i];
            var authority = x.Authority?.Trim();
            var value = x.Value?.Trim();
            if (string.IsNullOrEmpty(authority) || authority.Length > 128)
            {
                errors.Add($"externalIds[{i}].authority", "required", "The assigning authority (OID or namespace, at most 128 characters) is required.");
            }

            if (string.IsNullOrEmpty(value) || value.Length > 64)
            {
                errors.Add($"externalIds[{i}].value", "required", "The identifier (at most 64 characters) is required.");
            }

            list.Add(new ExternalIdentifier { Id = Guid.CreateVersion7(), Authority = authority ?? "", Value = value ?? "", Kind = string.IsNullOrWhiteSpace(x.Kind) ? "PI" : x.Kind.Trim().ToUpperInvariant() });
        }

        return list;
    }

    private async Task CheckExternalIdsFreeAsync(List<ExternalIdentifier> ids, Guid? self, CancellationToken ct)
    {
        foreach (var x in ids)
        {
            var holder = await db.ExternalIdentifiers.AsNoTracking().Where(e => e.Authority == x.Authority && e.Value == x.Value).Select(e => (Guid?)e.IdentityId).FirstOrDefaultAsync(ct).ConfigureAwait(false);
            if (holder is { } h && h != self)
            {
                throw new AppFailure(new AppError(ErrorKind.Conflict, "identity.duplicate", $"Identifier {x.Value} of {x.Authority} already belongs to identity {h}.",
                    Data: new Dictionary<string, object?>(StringComparer.Ordinal) { ["existing"] = new[] { new DuplicateView(h, "same-external-id") } }));
            }
        }
    }

    /// <summary>
    /// Loads an identity for a change: checks the expected version when one is given, refuses a merged identity,
    /// snapshots the row for the audit event and maps it to the RNIV aggregate, which decides the change.
    /// </summary>
    private async Task<(IdentityRecord Record, string Before, RnivIdentity Domain)> BeginChangeAsync(Guid id, long? expectedVersion, CancellationToken ct)
    {
        if (group is not null && group.Snapshots.Remove(id, out var taken) && db.Identities.Local.FindEntry(id) is null)
        {
            var read = taken.Row;
            // A group of INSi calls: the row read before the call is the row to change; its version guards the save (a
            // writer in between makes it stale, exactly as the check below would), and it is not read a second time.
            EnsureLive(read);
            db.Attach(read);
            if (expectedVersion is { } expected)
            {
                Guard(read, expected);
            }

            return (read, taken.Before ?? BeforeImage(read), IdentityRows.ToDomain(read));
        }

        var record = await LoadAsync(id, tracking: true, ct).ConfigureAwait(false);
        EnsureLive(record);
        if (expectedVersion is { } v)
        {
            Guard(record, v);
        }

        return (record, BeforeImage(record), IdentityRows.ToDomain(record));
    }

    /// <summary>The audit "before" image of an identity row (the <c>PreviousValues</c> of the event of a change).</summary>
    internal static string BeforeImage(IdentityRecord record) => Serialize(IdentityRows.Snapshot(record));

    private static void EnsureLive(IdentityRecord record)
    {
        if (record.MergedIntoId is { } survivor)
        {
            throw new AppFailure(new AppError(ErrorKind.Conflict, "identity.merged", $"Identity {record.Id} was merged into {survivor}; work on that identity.",
                Data: new Dictionary<string, object?>(StringComparer.Ordinal) { ["mergedInto"] = survivor }));
        }
    }

    private async Task<IdentityRecord> LoadAsync(Guid id, bool tracking, CancellationToken ct)
    {
        var q = db.Identities.Include(x => x.InsHistory).Include(x => x.Evidence).AsSplitQuery();
        if (!tracking)
        {
            q = q.AsNoTracking();
        }

        return await q.FirstOrDefaultAsync(x => x.Id == id, ct).ConfigureAwait(false) ?? throw new AppFailure(AppError.NotFound(id));
    }

    private void Guard(IdentityRecord record, long expected)
    {
        if (record.Version != expected)
        {
            throw new AppFailure(AppError.Stale(record.Version));
        }

        // Also protects against a writer that commits between this read and our save.
        db.Entry(record).Property(x => x.Version).OriginalValue = expected;
    }

    private DateTimeOffset Now() => AuditHasher.Truncate(clock.GetUtcNow());

    private static DateOnly Today(DateTimeOffset now) => DateOnly.FromDateTime(now.UtcDateTime);

    private static string Serialize(object value) => JsonSerializer.Serialize(value, Json);

    [LoggerMessage(Level = LogLevel.Information, Message = "Identity {IdentityId} created with status {Status}")]
    private static partial void LogCreated(ILogger logger, Guid identityId, string status);

    [LoggerMessage(Level = LogLevel.Information, Message = "Identity {IdentityId}: {Action}, status {Before} -> {After}")]
    private static partial void LogChanged(ILogger logger, Guid identityId, string action, string before, string after);

    [LoggerMessage(Level = LogLevel.Information, Message = "INSi {Operation} for identity {IdentityId}: {Outcome} in {DurationMs} ms")]
    private static partial void LogInsiCall(ILogger logger, string operation, Guid identityId, string outcome, long durationMs);
}
