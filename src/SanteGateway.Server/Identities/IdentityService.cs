using System.Diagnostics;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SanteGateway.Identity;
using SanteGateway.Server.Insi;
using SanteGateway.Server.Security;
using SanteGateway.Store;
using SanteGateway.Store.Audit;
using SanteGateway.Store.Entities;

namespace SanteGateway.Server.Identities;

/// <summary>Who is acting, for the audit trail.</summary>
internal sealed record Actor(string Name, string Source, bool IsVigilance)
{
    public static Actor From(ClaimsPrincipal user) => new(
        user.Identity?.Name ?? "anonymous",
        string.Equals(user.Identity?.AuthenticationType, ApiKeys.Scheme, StringComparison.Ordinal) ? "api" : "ui",
        user.IsInRole(GatewayRoles.IdentityVigilance));
}

/// <summary>
/// Identity use cases. Every change runs in one transaction together with its audit event, guarded by the
/// identity's version token: a concurrent edit makes the second save fail (409) instead of overwriting.
/// </summary>
internal sealed partial class IdentityService(
    GatewayDbContext db,
    TimeProvider clock,
    IInsiGateway insi,
    InsiMetrics metrics,
    IOptions<GatewayOptions> options,
    ILogger<IdentityService> log)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    // Null while the structure has configured no high-trust list: then no document validates an identity.
    private HighTrustDocumentPolicy? Policy => options.Value.HighTrustDocuments.Count == 0 ? null : new(options.Value.HighTrustDocuments);

    private static IdentityAttributes Flag(IdentityAttributes a, IdentityAttributes flag, bool? set) =>
        set switch
        {
            true => a | flag,
            false => a & ~flag,
            null => a,
        };

    /// <summary>An aggregate refusal becomes a problem naming the field and rule (409 unless said otherwise).</summary>
    private static void Transition(TransitionResult result, string field, string rule, int status = 409)
    {
        if (!result.Succeeded)
        {
            throw GatewayProblem.Field(status, field, rule, result.Reason ?? "Refused by the RNIV rules.");
        }
    }

    /// <summary>API input checks (names: letters, space, hyphen, apostrophe; dates; sex) then the domain's own checks.</summary>
    private static IdentityTraits? BuildTraits(
        FieldErrors errors,
        string? birthName,
        string? birthFirstNames,
        string? firstFirstName,
        string? sex,
        string? birthDate,
        string? birthPlaceCog,
        string? usedName,
        string? usedFirstName,
        DateTimeOffset now,
        BirthDate? keepBirthDate = null)
    {
        var name = TraitRules.Name(errors, "birthName", birthName, required: true);
        var firstNames = TraitRules.Name(errors, "birthFirstNames", birthFirstNames, required: true);
        var firstFirst = TraitRules.Name(errors, "firstFirstName", firstFirstName, required: false) ?? firstNames?.Split(' ')[0];
        var sexCode = TraitRules.Sex(errors, sex, required: true);
        var date = keepBirthDate ?? TraitRules.BirthDate(errors, birthDate, required: true, DateOnly.FromDateTime(now.UtcDateTime));
        var used = TraitRules.Name(errors, "usedName", usedName, required: false);
        var usedFirst = TraitRules.Name(errors, "usedFirstName", usedFirstName, required: false);
        if (errors.Any)
        {
            return null;
        }

        var result = IdentityTraits.Create(name, IdentityTraits.SplitFirstNames(firstNames), firstFirst, IdentityMapping.ParseSex(sexCode!), date!.Value, birthPlaceCog?.Trim(), used, usedFirst);
        foreach (var e in result.Errors)
        {
            errors.Add(char.ToLowerInvariant(e.Field[0]) + e.Field[1..], e.Rule, e.Message);
        }

        return result.Value;
    }

    public async Task<IdentityView> CreateAsync(CreateIdentityRequest req, Actor actor, CancellationToken ct)
    {
        var now = Now();
        var errors = new FieldErrors();
        var traits = BuildTraits(errors, req.BirthName, req.BirthFirstNames, req.FirstFirstName, req.Sex, req.BirthDate, req.BirthPlaceCog, req.UsedName, req.UsedFirstName, now);
        var channelText = string.IsNullOrWhiteSpace(req.CollectionChannel) ? "SM" : req.CollectionChannel.Trim().ToUpperInvariant();
        if (!Rniv.ClientChannels.Contains(channelText) || !Enum.TryParse<CollectionChannel>(channelText, out var channel))
        {
            errors.Add("collectionChannel", "code", "Expected SM, CV, CB, RFID or AV (INSI is set by the gateway after an INSi call).");
            channel = CollectionChannel.SM;
        }

        var evidence = req.Evidence is null ? null : ParseEvidence(errors, req.Evidence, "evidence.", actor, now);
        errors.ThrowIfAny();

        var domain = RnivIdentity.CreateProvisional(traits!, channel);
        var record = new IdentityRecord { Id = Guid.CreateVersion7(now), CreatedAt = now, UpdatedAt = now, Version = 1 };
        if (evidence is not null)
        {
            if (evidence.IsHighTrust)
            {
                Transition(domain.RecordHighTrustEvidence(new Evidence(evidence.DocumentType, evidence.CheckedOn, evidence.ExpiresOn), Policy!), "evidence", "rniv.evidence");
            }

            evidence.IdentityId = record.Id;
            record.Evidence.Add(evidence);
        }

        IdentityMapping.Apply(domain, record, now, []);
        Rniv.RefreshKeys(record);

        await using var tx = await db.Database.BeginTransactionAsync(ct).ConfigureAwait(false);
        db.Identities.Add(record);
        await AuditAsync(actor, "identity.created", record.Id, null, Rniv.Snapshot(record), ct).ConfigureAwait(false);
        await db.SaveChangesAsync(ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        LogCreated(log, record.Id, record.Status);
        return Rniv.ToView(record);
    }

    public async Task<IdentityView> GetAsync(Guid id, CancellationToken ct) =>
        Rniv.ToView(await LoadAsync(id, tracking: false, ct).ConfigureAwait(false));

    public async Task<Paged<IdentitySummary>> SearchAsync(string? birthName, string? birthDate, string? firstName, string? sex, int? page, int? pageSize, CancellationToken ct)
    {
        var errors = new FieldErrors();
        var p = page ?? 1;
        var size = pageSize ?? 20;
        if (p < 1)
        {
            errors.Add("page", "range", "page starts at 1.");
        }

        if (size is < 1 or > 100)
        {
            errors.Add("pageSize", "range", "pageSize is between 1 and 100.");
        }

        var date = TraitRules.Day(errors, "birthDate", birthDate, required: false);
        var sexCode = sex is null ? null : TraitRules.Sex(errors, sex, required: false);
        errors.ThrowIfAny();

        var q = db.Identities.AsNoTracking();
        var nameKey = SearchKeys.Normalize(birthName);
        if (nameKey.Length > 0)
        {
            q = q.Where(x => x.BirthNameKey == nameKey);
        }

        var firstKey = SearchKeys.Normalize(firstName);
        if (firstKey.Length > 0)
        {
            q = q.Where(x => x.FirstNameKey == firstKey);
        }

        if (date is { } d)
        {
            q = q.Where(x => x.BirthDate == d);
        }

        if (sexCode is not null)
        {
            q = q.Where(x => x.Sex == sexCode);
        }

        var total = await q.CountAsync(ct).ConfigureAwait(false);
        var rows = await q.OrderBy(x => x.BirthNameKey).ThenBy(x => x.FirstNameKey).ThenBy(x => x.Id)
            .Skip((p - 1) * size).Take(size)
            .Select(x => new { x.Id, x.Status, x.BirthName, x.FirstFirstName, x.Sex, x.BirthDate, x.BirthNameKey, x.FirstNameKey })
            .ToListAsync(ct).ConfigureAwait(false);

        // Homonym hints: another identity shares birth name and birth date, or birth name and first name.
        var keys = rows.Select(r => r.BirthNameKey).Distinct().ToList();
        var sameDate = await db.Identities.AsNoTracking().Where(x => keys.Contains(x.BirthNameKey))
            .GroupBy(x => new { x.BirthNameKey, x.BirthDate }).Where(g => g.Count() > 1).Select(g => g.Key)
            .ToListAsync(ct).ConfigureAwait(false);
        var sameFirst = await db.Identities.AsNoTracking().Where(x => keys.Contains(x.BirthNameKey))
            .GroupBy(x => new { x.BirthNameKey, x.FirstNameKey }).Where(g => g.Count() > 1).Select(g => g.Key)
            .ToListAsync(ct).ConfigureAwait(false);
        var items = rows.Select(r =>
        {
            var hints = new List<string>(2);
            if (sameDate.Any(k => k.BirthNameKey == r.BirthNameKey && k.BirthDate == r.BirthDate))
            {
                hints.Add("birth-name+birth-date");
            }

            if (sameFirst.Any(k => k.BirthNameKey == r.BirthNameKey && k.FirstNameKey == r.FirstNameKey))
            {
                hints.Add("birth-name+first-name");
            }

            return new IdentitySummary(r.Id, r.Status, r.BirthName, r.FirstFirstName, r.Sex, r.BirthDate, hints);
        }).ToList();
        return new Paged<IdentitySummary>(items, p, size, total);
    }

    public async Task<IdentityView> PatchAsync(Guid id, PatchIdentityRequest req, long? ifMatch, Actor actor, CancellationToken ct)
    {
        var expected = ifMatch ?? req.Version
            ?? throw GatewayProblem.Field(428, "version", "concurrency.required", "Send If-Match: \"<version>\" or a version field.");
        var now = Now();
        var (record, before, domain) = await BeginChangeAsync(id, expected, ct).ConfigureAwait(false);
        var current = domain.Traits;

        var errors = new FieldErrors();
        var traits = BuildTraits(
            errors,
            req.BirthName ?? current.BirthName,
            req.BirthFirstNames ?? current.BirthFirstNamesJoined,
            req.FirstFirstName ?? (req.BirthFirstNames is null ? current.FirstFirstName : null),
            req.Sex ?? IdentityMapping.SexCode(current.Sex),
            req.BirthDate ?? current.BirthDate.ToIso(),
            req.BirthPlaceCog is null ? current.BirthPlaceCog : (req.BirthPlaceCog.Length == 0 ? null : req.BirthPlaceCog),
            req.UsedName is null ? current.UsedName : (req.UsedName.Length == 0 ? null : req.UsedName),
            req.UsedFirstName is null ? current.UsedFirstName : (req.UsedFirstName.Length == 0 ? null : req.UsedFirstName),
            now,
            keepBirthDate: req.BirthDate is null ? current.BirthDate : null);
        errors.ThrowIfAny();

        var strictChanged = !traits!.HasSameStrictTraits(current);
        if (strictChanged && domain.Status != IdentityStatus.Prov && !actor.IsVigilance)
        {
            throw new GatewayProblem(403, "rniv.strict-traits-locked", $"Strict traits of a {record.Status} identity are locked; only identity-vigilance may unlock them.");
        }

        Transition(domain.EditStrictTraits(traits), "traits", "rniv.traits");
        return await SaveChangeAsync(record, domain, actor, "identity.traits-changed", before, now, ct).ConfigureAwait(false);
    }

    public async Task<IdentityView> AddEvidenceAsync(Guid id, EvidenceInput input, long? ifMatch, Actor actor, CancellationToken ct)
    {
        var now = Now();
        var (record, before, domain) = await BeginChangeAsync(id, ifMatch, ct).ConfigureAwait(false);
        var errors = new FieldErrors();
        var evidence = ParseEvidence(errors, input, "", actor, now);
        errors.ThrowIfAny();
        if (evidence!.IsHighTrust)
        {
            Transition(domain.RecordHighTrustEvidence(new Evidence(evidence.DocumentType, evidence.CheckedOn, evidence.ExpiresOn), Policy!), "documentType", "rniv.evidence");
        }

        evidence.IdentityId = record.Id;
        record.Evidence.Add(evidence);
        db.Evidence.Add(evidence);
        return await SaveChangeAsync(record, domain, actor, "identity.evidence-added", before, now, ct).ConfigureAwait(false);
    }

    public async Task<IdentityView> SetAttributesAsync(Guid id, AttributesRequest req, long? ifMatch, Actor actor, CancellationToken ct)
    {
        var now = Now();
        var (record, before, domain) = await BeginChangeAsync(id, ifMatch ?? req.Version, ct).ConfigureAwait(false);
        var a = domain.Attributes;
        a = Flag(a, IdentityAttributes.Homonym, req.Homonym);
        a = Flag(a, IdentityAttributes.Doubtful, req.Doubtful);
        a = Flag(a, IdentityAttributes.Fictitious, req.Fictitious);
        Transition(domain.SetAttributes(a), "attributes", "rniv.attributes-exclusive", 400);
        return await SaveChangeAsync(record, domain, actor, "identity.attributes-changed", before, now, ct).ConfigureAwait(false);
    }

    public async Task<IdentityView> RevertQualificationAsync(Guid id, RevertRequest req, long? ifMatch, Actor actor, CancellationToken ct)
    {
        var now = Now();
        var (record, before, domain) = await BeginChangeAsync(id, ifMatch ?? req.Version, ct).ConfigureAwait(false);
        Transition(domain.WithdrawQualification(), "status", "rniv.not-qualified");
        return await SaveChangeAsync(record, domain, actor, "identity.qualification-reverted", before, now, ct).ConfigureAwait(false);
    }

    /// <summary>The INS DataMatrix payload of a QUAL identity (409 otherwise: only QUAL may carry its INS outside).</summary>
    public async Task<SanteGateway.DataMatrix.InsDataMatrixPayload> DataMatrixPayloadAsync(Guid id, CancellationToken ct)
    {
        var record = await LoadAsync(id, tracking: false, ct).ConfigureAwait(false);
        var domain = IdentityMapping.ToDomain(record);
        if (!domain.CanTransmitIns)
        {
            throw GatewayProblem.Field(409, "status", "rniv.not-qualified", $"Only a QUAL identity may be printed with its INS (status is {record.Status}).");
        }

        if (!SanteGateway.DataMatrix.InsDataMatrix.TryCreatePayload(domain, out var payload, out var errors))
        {
            throw GatewayProblem.Validation(errors.GroupBy(e => char.ToLowerInvariant(e.Field[0]) + e.Field[1..])
                .ToDictionary(g => g.Key, g => g.Select(e => $"{e.Rule}: {e.Message}").ToArray(), StringComparer.Ordinal));
        }

        return payload;
    }

    public async Task<Paged<InsiExchangeView>> ExchangesAsync(Guid id, int? page, int? pageSize, CancellationToken ct)
    {
        var p = Math.Max(page ?? 1, 1);
        var size = pageSize ?? 20;
        if (size is < 1 or > 100)
        {
            throw GatewayProblem.Field(400, "pageSize", "range", "pageSize is between 1 and 100.");
        }

        if (!await db.Identities.AnyAsync(x => x.Id == id, ct).ConfigureAwait(false))
        {
            throw GatewayProblem.NotFound(id);
        }

        var q = db.InsiExchanges.AsNoTracking().Where(e => e.IdentityId == id);
        var total = await q.CountAsync(ct).ConfigureAwait(false);
        var items = await q.OrderBy(e => e.OccurredAt).ThenBy(e => e.Id).Skip((p - 1) * size).Take(size)
            .Select(e => new InsiExchangeView(e.Id, e.Operation, e.Outcome, e.Detail, e.CertificateCn, e.DurationMs, e.Actor, e.OccurredAt, e.RequestXml, e.ResponseXml))
            .ToListAsync(ct).ConfigureAwait(false);
        return new Paged<InsiExchangeView>(items, p, size, total);
    }

    public async Task<Paged<AuditView>> AuditAsync(Guid id, int? page, int? pageSize, CancellationToken ct)
    {
        var p = Math.Max(page ?? 1, 1);
        var size = pageSize ?? 50;
        if (size is < 1 or > 100)
        {
            throw GatewayProblem.Field(400, "pageSize", "range", "pageSize is between 1 and 100.");
        }

        var key = id.ToString();
        if (!await db.Identities.AnyAsync(x => x.Id == id, ct).ConfigureAwait(false))
        {
            throw GatewayProblem.NotFound(id);
        }

        var q = db.AuditEvents.AsNoTracking().Where(e => e.EntityType == "identity" && e.EntityId == key);
        var total = await q.CountAsync(ct).ConfigureAwait(false);
        var items = await q.OrderBy(e => e.Sequence).Skip((p - 1) * size).Take(size)
            .Select(e => new AuditView(e.Sequence, e.OccurredAt, e.Actor, e.Source, e.Action, e.PreviousValues, e.NewValues, e.Hash))
            .ToListAsync(ct).ConfigureAwait(false);
        return new Paged<AuditView>(items, p, size, total);
    }

    /// <summary>
    /// INSi search, in two steps: (1) the exchange is recorded in its own transaction as soon as INSi has answered,
    /// so the call is traceable whatever happens next; (2) the result is applied in a second transaction guarded by
    /// the version read before the call. A failure in (2) leaves the identity exactly as it was.
    /// </summary>
    public async Task<InsiActionResult> InsiSearchAsync(Guid id, Actor actor, CancellationToken ct)
    {
        var snapshot = await LoadAsync(id, tracking: false, ct).ConfigureAwait(false);
        EnsureInsiAllowed(snapshot);
        var request = new InsiSearchRequest(snapshot.BirthName, snapshot.BirthFirstNames, snapshot.Sex, snapshot.BirthDate, snapshot.BirthPlaceCog);
        var (result, exchange) = await CallAsync("search", snapshot.Id, actor, c => insi.SearchAsync(request, c), ct).ConfigureAwait(false);
        return await ApplyInsiAsync(snapshot, result, exchange, actor, "identity.ins-obtained", ct).ConfigureAwait(false);
    }

    /// <summary>INSi verification of the active INS against the stored traits (same two-step recording as search).</summary>
    public async Task<InsiActionResult> InsiVerifyAsync(Guid id, Actor actor, CancellationToken ct)
    {
        var snapshot = await LoadAsync(id, tracking: false, ct).ConfigureAwait(false);
        EnsureInsiAllowed(snapshot);
        if (snapshot.InsMatricule is null || snapshot.InsOid is null)
        {
            throw GatewayProblem.Field(409, "ins", "rniv.no-ins", "The identity carries no INS to verify; run insi-search first.");
        }

        var request = new InsiVerifyRequest(snapshot.InsMatricule, snapshot.InsOid, snapshot.BirthName, snapshot.BirthFirstNames, snapshot.Sex, snapshot.BirthDate, snapshot.BirthPlaceCog);
        var (result, exchange) = await CallAsync("verify", snapshot.Id, actor, c => insi.VerifyAsync(request, c), ct).ConfigureAwait(false);
        return await ApplyInsiAsync(snapshot, result, exchange, actor, "identity.ins-verified", ct).ConfigureAwait(false);
    }

    private static void EnsureInsiAllowed(IdentityRecord r)
    {
        if (Rniv.InsiBlocked(r))
        {
            throw GatewayProblem.Field(409, "attributes", "rniv.insi-blocked", "INSi cannot be called for a doubtful or fictitious identity (EXI SI 09).");
        }

        if (r.Sex is not ("F" or "M"))
        {
            throw GatewayProblem.Field(422, "sex", "insi.sex", "INSi needs the sex F or M.");
        }
    }

    private async Task<(InsiCallResult Result, InsiExchange Exchange)> CallAsync(string operation, Guid identityId, Actor actor, Func<CancellationToken, Task<InsiCallResult>> call, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        InsiCallResult result;
        try
        {
            result = await call(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutException or IOException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            result = new InsiCallResult(InsiOutcome.Error, "transport", null, null, null, null, ex.GetType().Name);
        }

        watch.Stop();
        metrics.Record(operation, result.Outcome, watch.Elapsed);
        var exchange = new InsiExchange
        {
            Id = Guid.CreateVersion7(),
            IdentityId = identityId,
            Operation = operation,
            RequestXml = result.RequestXml,
            ResponseXml = result.ResponseXml,
            Outcome = OutcomeCode(result.Outcome),
            Detail = result.Code is null ? result.Error : $"{result.Code}{(result.Error is null ? "" : ": " + result.Error)}",
            CertificateCn = result.CertificateCn,
            DurationMs = (long)watch.Elapsed.TotalMilliseconds,
            Actor = actor.Name,
            OccurredAt = Now(),
        };
        if (exchange.Detail is { Length: > 512 })
        {
            exchange.Detail = exchange.Detail[..512];
        }

        await using (var tx = await db.Database.BeginTransactionAsync(ct).ConfigureAwait(false))
        {
            db.InsiExchanges.Add(exchange);
            await AuditAsync(actor, $"insi.{operation}", identityId, null, new { exchangeId = exchange.Id, outcome = exchange.Outcome, code = result.Code }, ct).ConfigureAwait(false);
            await db.SaveChangesAsync(ct).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
        }

        db.ChangeTracker.Clear();
        LogInsiCall(log, operation, identityId, exchange.Outcome, exchange.DurationMs);
        return (result, exchange);
    }

    private async Task<InsiActionResult> ApplyInsiAsync(IdentityRecord snapshot, InsiCallResult result, InsiExchange exchange, Actor actor, string action, CancellationToken ct)
    {
        if (result.Outcome == InsiOutcome.Error)
        {
            throw new GatewayProblem(502, "insi.error", $"INSi call failed ({result.Code ?? "error"}); exchange {exchange.Id} recorded.");
        }

        if (result.Outcome != InsiOutcome.Found || result.Identity is null)
        {
            var message = result.Outcome == InsiOutcome.Multiple
                ? "INSi returned several identities: complete the traits (birth place) and retry."
                : "INSi found no identity for these traits; nothing was changed.";
            return new InsiActionResult(exchange.Id, exchange.Outcome, result.Code, false, [], message, Rniv.ToView(snapshot));
        }

        var mismatches = Compare(snapshot, result.Identity);
        if (mismatches.Count > 0)
        {
            return new InsiActionResult(exchange.Id, exchange.Outcome, result.Code, false, mismatches,
                "INSi traits differ from the stored identity: nothing was applied; check the document and correct the traits (identity-vigilance).", Rniv.ToView(snapshot));
        }

        if (!InsIdentifier.TryCreate(result.Identity.Matricule, result.Identity.Oid, options.Value.InsPolicy, out var ins, out var insError))
        {
            throw GatewayProblem.Field(502, "ins", "insi.ins-refused", $"INSi returned an INS the gateway refuses ({insError}); exchange {exchange.Id} recorded.");
        }

        var returned = result.Identity;
        var insiTraits = IdentityTraits.Create(
            returned.BirthName,
            IdentityTraits.SplitFirstNames(returned.FirstNames),
            IdentityTraits.SplitFirstNames(returned.FirstNames).FirstOrDefault(),
            IdentityMapping.ParseSex(returned.Sex),
            new BirthDate(returned.BirthDate, false),
            returned.BirthPlaceCog);
        if (!insiTraits.IsValid)
        {
            throw new GatewayProblem(502, "insi.traits-invalid", $"INSi returned traits the gateway cannot store; exchange {exchange.Id} recorded.");
        }

        var now = Now();
        var record = await LoadAsync(snapshot.Id, tracking: true, ct).ConfigureAwait(false);
        Guard(record, snapshot.Version);
        var before = Serialize(Rniv.Snapshot(record));
        var domain = IdentityMapping.ToDomain(record);
        var applied = domain.RecordInsiResult(ins, [], insiTraits.Value!, now);
        if (!applied.Succeeded)
        {
            return new InsiActionResult(exchange.Id, exchange.Outcome, result.Code, false, [], applied.Reason, Rniv.ToView(record));
        }

        var view = await SaveChangeAsync(record, domain, actor, action, before, now, ct).ConfigureAwait(false);
        return new InsiActionResult(exchange.Id, exchange.Outcome, result.Code, true, [], null, view);
    }

    private static List<TraitMismatch> Compare(IdentityRecord local, InsiIdentity insi)
    {
        var list = new List<TraitMismatch>();
        if (SearchKeys.Normalize(local.BirthName) != SearchKeys.Normalize(insi.BirthName))
        {
            list.Add(new("birthName", local.BirthName, insi.BirthName));
        }

        if (SearchKeys.Normalize(local.BirthFirstNames) != SearchKeys.Normalize(insi.FirstNames))
        {
            list.Add(new("birthFirstNames", local.BirthFirstNames, insi.FirstNames));
        }

        if (!string.Equals(local.Sex, insi.Sex, StringComparison.Ordinal))
        {
            list.Add(new("sex", local.Sex, insi.Sex));
        }

        if (local.BirthDate != insi.BirthDate)
        {
            list.Add(new("birthDate", local.BirthDate.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), insi.BirthDate.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)));
        }

        if (local.BirthPlaceCog is not null && insi.BirthPlaceCog is not null && !string.Equals(local.BirthPlaceCog, insi.BirthPlaceCog, StringComparison.Ordinal))
        {
            list.Add(new("birthPlaceCog", local.BirthPlaceCog, insi.BirthPlaceCog));
        }

        return list;
    }

    private async Task<IdentityView> SaveChangeAsync(IdentityRecord record, RnivIdentity domain, Actor actor, string action, string before, DateTimeOffset now, CancellationToken ct)
    {
        var previousStatus = record.Status;
        var addedIns = new List<InsHistoryEntry>();
        IdentityMapping.Apply(domain, record, now, addedIns);
        db.InsHistory.AddRange(addedIns);
        Rniv.RefreshKeys(record);
        record.UpdatedAt = now;
        await using var tx = await db.Database.BeginTransactionAsync(ct).ConfigureAwait(false);
        try
        {
            // Stamp the version now so the audit snapshot shows the version the row will have.
            var original = db.Entry(record).Property(x => x.Version).OriginalValue;
            db.Entry(record).State = db.Entry(record).State == EntityState.Unchanged ? EntityState.Modified : db.Entry(record).State;
            var after = Rniv.Snapshot(record);
            await AuditAsync(actor, action, record.Id, before, after, ct, versionAfter: original + 1).ConfigureAwait(false);
            await db.SaveChangesAsync(ct).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
        }
        catch (DbUpdateConcurrencyException)
        {
            var current = await db.Identities.AsNoTracking().Where(x => x.Id == record.Id).Select(x => x.Version).FirstOrDefaultAsync(CancellationToken.None).ConfigureAwait(false);
            throw GatewayProblem.Stale(current);
        }

        LogChanged(log, record.Id, action, previousStatus, record.Status);
        return Rniv.ToView(record);
    }

    private async Task AuditAsync(Actor actor, string action, Guid identityId, string? before, object? after, CancellationToken ct, long? versionAfter = null)
    {
        var newValues = after is null ? null : Serialize(after);
        if (versionAfter is { } v && newValues is not null)
        {
            using var doc = JsonDocument.Parse(newValues);
            var dict = doc.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone(), StringComparer.Ordinal);
            dict["version"] = JsonSerializer.SerializeToElement(v, Json);
            newValues = JsonSerializer.Serialize(dict, Json);
        }

        await AuditTrail.AppendAsync(db, new AuditEntry(actor.Name, actor.Source, action, "identity", identityId.ToString(), before, newValues), clock, ct).ConfigureAwait(false);
    }

    private EvidenceRecord? ParseEvidence(FieldErrors errors, EvidenceInput input, string prefix, Actor actor, DateTimeOffset now)
    {
        var type = input.DocumentType?.Trim().ToUpperInvariant();
        if (string.IsNullOrEmpty(type))
        {
            errors.Add(prefix + "documentType", "required", "The document type is required.");
        }
        else if (!Rniv.KnownDocuments.Contains(type))
        {
            errors.Add(prefix + "documentType", "code", "Unknown document type (PAM ZFD-7 / FR Core codes: CN, PA, CS, AN, LE, ...).");
        }

        var checkedOn = TraitRules.Day(errors, prefix + "checkedOn", input.CheckedOn, required: true);
        var expiresOn = TraitRules.Day(errors, prefix + "expiresOn", input.ExpiresOn, required: false);
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        if (checkedOn > today)
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
            IsHighTrust = Policy?.IsHighTrust(type) ?? false,
            CheckedOn = checkedOn!.Value,
            ExpiresOn = expiresOn,
            CheckedBy = actor.Name,
            RecordedAt = now,
        };
    }

    /// <summary>
    /// Loads an identity for a change: checks the expected version when one is given, snapshots the row for the audit
    /// event and maps it to the RNIV aggregate, which decides the change.
    /// </summary>
    private async Task<(IdentityRecord Record, string Before, RnivIdentity Domain)> BeginChangeAsync(Guid id, long? expectedVersion, CancellationToken ct)
    {
        var record = await LoadAsync(id, tracking: true, ct).ConfigureAwait(false);
        if (expectedVersion is { } v)
        {
            Guard(record, v);
        }

        return (record, Serialize(Rniv.Snapshot(record)), IdentityMapping.ToDomain(record));
    }

    private async Task<IdentityRecord> LoadAsync(Guid id, bool tracking, CancellationToken ct)
    {
        var q = db.Identities.Include(x => x.InsHistory).Include(x => x.Evidence).AsSplitQuery();
        if (!tracking)
        {
            q = q.AsNoTracking();
        }

        return await q.FirstOrDefaultAsync(x => x.Id == id, ct).ConfigureAwait(false) ?? throw GatewayProblem.NotFound(id);
    }

    private void Guard(IdentityRecord record, long expected)
    {
        if (record.Version != expected)
        {
            throw GatewayProblem.Stale(record.Version);
        }

        // Also protects against a writer that commits between this read and our save.
        db.Entry(record).Property(x => x.Version).OriginalValue = expected;
    }

    private DateTimeOffset Now() => AuditHasher.Truncate(clock.GetUtcNow());

    private static string Serialize(object value) => JsonSerializer.Serialize(value, Json);

    private static string OutcomeCode(InsiOutcome o) => o switch
    {
        InsiOutcome.Found => "found",
        InsiOutcome.NotFound => "not-found",
        InsiOutcome.Multiple => "multiple",
        _ => "error",
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Identity {IdentityId} created with status {Status}")]
    private static partial void LogCreated(ILogger logger, Guid identityId, string status);

    [LoggerMessage(Level = LogLevel.Information, Message = "Identity {IdentityId}: {Action}, status {Before} -> {After}")]
    private static partial void LogChanged(ILogger logger, Guid identityId, string action, string before, string after);

    [LoggerMessage(Level = LogLevel.Information, Message = "INSi {Operation} for identity {IdentityId}: {Outcome} in {DurationMs} ms")]
    private static partial void LogInsiCall(ILogger logger, string operation, Guid identityId, string outcome, long durationMs);
}
