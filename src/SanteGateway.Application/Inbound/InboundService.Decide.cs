using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SanteGateway.Identity;
using SanteGateway.Store;
using SanteGateway.Store.Audit;
using SanteGateway.Store.Entities;

namespace SanteGateway.Application;

/// <summary>The decision table (docs/inbound.md).</summary>
public sealed partial class InboundService
{
    /// <summary>What the gate decided.</summary>
    internal sealed record Verdict(string Decision, string Rule, string Reason, Guid? IdentityId = null, IReadOnlyList<Guid>? Candidates = null);

    /// <summary>
    /// A decision ready to be committed: the item (new, or stored and tracked by this unit of work), the steps taken and the
    /// verdict. Committing it may be repeated (a group whose transaction failed is committed again one by one): everything
    /// it writes besides the item and the steps is built again each time.
    /// </summary>
    internal sealed record DecisionPlan(
        InboundItem Item,
        InboundAction? Received,
        long Version,
        Verdict Verdict,
        IReadOnlyList<InboundAction> Steps,
        IReadOnlyList<InsiExchange> Exchanges,
        Actor Gate,
        InboundPartnerSettings Partner,
        DateTimeOffset Now);

    private sealed record MatchRow(Guid Id, string? BirthPlaceCog, string? InsMatricule, string? InsOid, int Attributes, string? BirthNameKey, string? FirstNameKey);

    private static Verdict Hold(string rule, string reason, params IReadOnlyList<Guid> candidates) => new(InboundDecisions.Hold, rule, reason, null, candidates);

    private static Verdict Reject(string rule, string reason) => new(InboundDecisions.Reject, rule, reason);

    private static Verdict Attach(Guid id, string rule, string reason) => new(InboundDecisions.Attach, rule, reason, id);

    /// <summary>
    /// Decides an item and commits the decision. <paramref name="received"/> is the "received" action of an item not stored
    /// yet (it is committed with the decision, through the group commit when there is one); null for an item already stored
    /// and tracked by this unit of work (decided again after a crash or a failed decision).
    /// </summary>
    private async Task<InboundAccepted> DecideAsync(InboundItem item, InboundAction? received, InboundPartnerSettings partner, CancellationToken ct, object? parsed = null)
    {
        var gate = Actor.Process(ProcessName, "inbound") with { Establishment = partner.Establishment };
        var now = After(item.ReceivedAt);
        var actions = new List<InboundAction>();
        exchanges = [];
        var extraction = extractor.Extract(item.Raw, item.ContentType, partner, parsed);
        item.Format = extraction.Format;
        item.Kind = extraction.Kind is null ? null : Clip(extraction.Kind, 64);
        item.MessageId = extraction.MessageId is null ? null : Clip(extraction.MessageId, 128);
        var patient = extraction.Patient;
        string? partnerPatientId = null;
        Verdict verdict;
        if (patient is null)
        {
            verdict = Reject(extraction.ErrorRule ?? "inbound.no-patient", extraction.Error ?? "No patient could be read from the payload.");
        }
        else
        {
            partnerPatientId = patient.Identifiers.FirstOrDefault(i => i.Authorities.Any(a => partner.Authorities.Contains(a, StringComparer.OrdinalIgnoreCase)))?.Value;
            item.PartnerPatientId = partnerPatientId is null ? null : Clip(partnerPatientId, 64);
            var (v, trusted) = await DecidePatientAsync(item, partner, patient, item.PartnerPatientId, actions, now, ct).ConfigureAwait(false);
            verdict = v;
            item.Received = JsonSerializer.Serialize(ReceivedView(patient, trusted is not null), Json);
            if (verdict.Decision == InboundDecisions.Create)
            {
                if (received is not null)
                {
                    // Creating the identity is a use case of its own (own commit, may clear the context on refusal):
                    // the received item is committed before it, alone.
                    db.InboundItems.Add(item);
                    db.InboundActions.Add(received);
                    await db.SaveChangesAsync(ct).ConfigureAwait(false);
                    received = null;
                }

                var created = await Identities.CreateAsync(CreateRequest(patient.Traits!, partner, item.PartnerPatientId, null, null), gate, ct).ConfigureAwait(false);
                Verdict? rematched = null;
                if (!created.IsSuccess && created.Error.Rule == "identity.duplicate")
                {
                    // Another decision created this patient meanwhile (the sender's resend of a message whose ACK was lost,
                    // decided beside the start-up redo of the stored original): match again rather than hold. The item's
                    // history keeps only the steps the first pass did not take (an INS stripped once is recorded once).
                    var again = new List<InboundAction>();
                    rematched = (await DecidePatientAsync(item, partner, patient, item.PartnerPatientId, again, now, ct).ConfigureAwait(false)).Verdict;
                    actions.AddRange(again.Where(a => !actions.Any(b => b.Action == a.Action && b.Rule == a.Rule && b.Detail == a.Detail && b.IdentityId == a.IdentityId)).ToList());
                }

                verdict = created.IsSuccess
                    ? verdict with { IdentityId = created.Value.Id }
                    : rematched is { } r && r.Decision != InboundDecisions.Create
                        ? r
                        : Hold("inbound.create-refused", $"The provisional identity was refused ({created.Error.Rule}): {created.Error.Message}", ExistingIds(created.Error));
            }
        }

        var plan = new DecisionPlan(item, received, item.Version, verdict, actions, exchanges, gate, partner, now);
        if (received is not null && commits is not null)
        {
            await commits.CommitAsync(plan, ct).ConfigureAwait(false);
        }
        else
        {
            await CommitPlansAsync([plan], ct).ConfigureAwait(false);
        }

        LogDecided(log, item.Id, verdict.Decision, verdict.Rule, verdict.IdentityId);
        return new InboundAccepted(item.Id, item.Decision, item.IdentityId, item.Reason, item.Rule, item.State);
    }

    /// <summary>Commits decisions of the group commit in one transaction of this unit of work (<see cref="InboundGroupCommit"/>).</summary>
    internal Task CommitGroupAsync(IReadOnlyList<DecisionPlan> plans, CancellationToken ct)
    {
        // One transaction, one save: no savepoint round trip per save.
        db.Database.AutoSavepointsEnabled = false;
        return CommitPlansAsync(plans, ct);
    }

    private async Task CommitPlansAsync(IReadOnlyList<DecisionPlan> plans, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct).ConfigureAwait(false);
        // The plans add rows and set properties of rows this context tracks; the save's own detection finds those changes.
        using (db.ChangeTracker.PauseAutomaticDetection())
        {
            foreach (var plan in plans)
            {
                await ApplyAsync(plan, ct).ConfigureAwait(false);
            }
        }

        await db.SaveChangesAsync(ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Steps 1–5 of the decision for a readable patient; returns the verdict and the INS the gate trusted.</summary>
    private async Task<(Verdict Verdict, InsIdentifier? Trusted)> DecidePatientAsync(InboundItem item, InboundPartnerSettings partner, ReceivedPatient p, string? pid, List<InboundAction> actions, DateTimeOffset now, CancellationToken ct)
    {
        // 1. The INS: environment first (a test or demonstration INS never reaches production data), then its status.
        var ins = p.Ins;
        if (ins is not null && !InsOids.IsAllowed(ins.Kind, options.InsPolicy, out var why))
        {
            return (Reject("ins.environment", $"The INS OID {ins.Oid} is refused in this environment: {why}"), null);
        }

        var qualified = p.InsImpliesQualified || string.Equals(p.StatusCode?.Trim(), partner.QualifiedCode, StringComparison.OrdinalIgnoreCase);
        var doubtful = (p.Attributes & (IdentityAttributes.Doubtful | IdentityAttributes.Fictitious)) != 0;
        if ((ins is not null || p.InsProblem is not null) && (!qualified || doubtful))
        {
            // 2. PAM §6.6.1 / RNIV EXI SI 08: an INS without a qualified identity is not trusted; the data is matched on traits.
            var rule = doubtful ? "rniv.ins-doubtful-or-fictitious" : "rniv.ins-not-qualified";
            actions.Add(NewAction(item.Id, now, ProcessName, "ins-stripped", null, rule,
                doubtful
                    ? "INS received with a doubtful or fictitious identity: not trusted, matched on traits."
                    : $"INS received with status '{p.StatusCode ?? "none"}' (qualified is '{partner.QualifiedCode}' for this partner): not trusted, matched on traits.",
                null));
            ins = null;
        }
        else if (p.InsProblem is not null)
        {
            return (Hold("inbound.ins-invalid", $"A qualified identity was sent with an unusable INS ({p.InsProblem}): the sender's identity must be checked."), null);
        }

        if (p.Contradiction is not null)
        {
            return (Hold(p.Contradiction, "The message contradicts itself about the patient."), ins);
        }

        // 3a. The partner's own patient id, already known.
        if (pid is not null)
        {
            var authorities = partner.Authorities.ToArray();
            var holder = await db.ExternalIdentifiers.AsNoTracking()
                .Where(x => authorities.Contains(x.Authority) && x.Value == pid).Select(x => (Guid?)x.IdentityId).FirstOrDefaultAsync(ct).ConfigureAwait(false);
            if (holder is { } h)
            {
                var row = await LiveRowAsync(h, ct).ConfigureAwait(false);
                if (row is null)
                {
                    return (Hold("inbound.identity-gone", "The identity known for this partner id no longer exists.", h), ins);
                }

                if (Contradiction(row.Value.Record, p.Traits, ins) is { } c)
                {
                    return (Hold(c.Rule, c.Reason, row.Value.Record.Id), ins);
                }

                return (await VerifiedAttachAsync(item, partner, row.Value.Record.Id, ins, p.Traits, "inbound.matched-partner-id", "The partner's patient id is known on this identity.", actions, now, ct).ConfigureAwait(false), ins);
            }
        }

        // 3b. The trusted INS.
        if (ins is not null)
        {
            var matricule = ins.Matricule.Value;
            var holder = await db.Identities.AsNoTracking().Where(x => x.MergedIntoId == null && x.InsMatricule == matricule && x.InsOid == ins.Oid).FirstOrDefaultAsync(ct).ConfigureAwait(false);
            if (holder is not null)
            {
                if (Contradiction(holder, p.Traits, ins) is { } c)
                {
                    return (Hold("inbound.traits-contradict-ins", c.Reason, holder.Id), ins);
                }

                if (pid is not null && await OtherPartnerIdAsync(holder.Id, partner, pid, ct).ConfigureAwait(false))
                {
                    return (Hold("inbound.partner-id-conflict", "The identity holding this INS is known to this partner under another patient id.", holder.Id), ins);
                }

                return (await VerifiedAttachAsync(item, partner, holder.Id, ins, p.Traits, "inbound.matched-ins", "The received qualified INS is held by this identity.", actions, now, ct).ConfigureAwait(false), ins);
            }

            var formerHolders = await db.InsHistory.AsNoTracking().Where(x => x.Matricule == matricule && x.Oid == ins.Oid).Select(x => x.IdentityId).Distinct().ToListAsync(ct).ConfigureAwait(false);
            if (formerHolders.Count > 0)
            {
                return (Hold("inbound.ins-in-history", "The received INS is a former INS of a local identity (INSi history).", formerHolders), ins);
            }
        }

        // 3c. Strict traits.
        if (p.Traits is null)
        {
            return (Hold("inbound.traits-unusable", "No identifier matched and the traits are incomplete or invalid" + (p.TraitProblems.Count > 0 ? $" ({string.Join(", ", p.TraitProblems.Take(5))})." : ".")), ins);
        }

        var (strict, close) = await MatchesAsync(p.Traits, ct).ConfigureAwait(false);
        if (strict.Count > 1)
        {
            return (Hold("inbound.several-candidates", $"{strict.Count} local identities have the same strict traits.", strict.Select(s => s.Id).ToList()), ins);
        }

        if (strict.Count == 1)
        {
            var c = strict[0];
            if (ins is not null && c.InsMatricule is not null && (c.InsMatricule != ins.Matricule.Value || c.InsOid != ins.Oid))
            {
                return (Hold("inbound.ins-collision", "The identity with the same traits holds another INS.", c.Id), ins);
            }

            if ((c.Attributes & (int)IdentityAttributes.Homonym) != 0)
            {
                return (Hold("inbound.homonym", "The identity with the same traits is flagged as a proven homonym (HOMA): a person decides.", c.Id), ins);
            }

            if (pid is not null && await OtherPartnerIdAsync(c.Id, partner, pid, ct).ConfigureAwait(false))
            {
                return (Hold("inbound.partner-id-conflict", "The identity with the same traits is known to this partner under another patient id.", c.Id), ins);
            }

            return (await VerifiedAttachAsync(item, partner, c.Id, ins, p.Traits, "inbound.matched-traits", "One local identity has the same strict traits.", actions, now, ct).ConfigureAwait(false), ins);
        }

        if (close.Count > 0)
        {
            return (Hold("inbound.potential-duplicates", $"No identity has the same strict traits but {close.Count} are close (homonyms or spelling variants).", close), ins);
        }

        // 4. Nobody: create when the partner's trust allows it, else hold.
        return partner.AllowCreate
            ? (new Verdict(InboundDecisions.Create, "inbound.created-provisional", "Nobody matched; a provisional identity was created (the partner allows it). A received INS is not copied: identity vigilance qualifies it through INSi."), ins)
            : (Hold("inbound.no-match", "Nobody matched and this partner's data is held for review (creation not allowed)."), ins);
    }

    /// <summary>5. Attach, after INSi confirms the received INS when the partner's trust requires it.</summary>
    private async Task<Verdict> VerifiedAttachAsync(InboundItem item, InboundPartnerSettings partner, Guid identityId, InsIdentifier? ins, IdentityTraits? traits, string rule, string reason, List<InboundAction> actions, DateTimeOffset now, CancellationToken ct)
    {
        if (ins is null || !partner.VerifyInsWithInsi)
        {
            return Attach(identityId, rule, reason);
        }

        var lexical = traits is null ? null : LexicalTraits(traits);
        if (lexical is null)
        {
            return Hold("insi.lexical", "The received INS must be verified through INSi but the traits cannot be written in the INSi alphabet.", identityId);
        }

        var result = await insi.VerifyAsync(new InsiVerifyRequest(ins, lexical, options.AutomaticCallCertificate, item.Id.ToString()) { Establishment = partner.Establishment }, ct).ConfigureAwait(false);
        RecordExchanges(result, identityId, now);
        var outcome = result.Outcome == InsiCallOutcome.Error ? "error " + result.Code : (result.Verification?.ToString() ?? result.Outcome.ToString());
        actions.Add(NewAction(item.Id, now, ProcessName, "insi-verify", null, "inbound.insi-verify", $"INSi verification of the received INS: {outcome}.", identityId));
        return result switch
        {
            { Outcome: InsiCallOutcome.Error } => Hold("inbound.insi-unavailable", $"INSi could not verify the received INS ({result.Code}).", identityId),
            { Verification: InsiVerificationOutcome.Confirmed } => Attach(identityId, rule, reason + " INSi confirmed the INS."),
            _ => Hold("inbound.insi-not-confirmed", $"INSi did not confirm the received INS ({outcome}).", identityId),
        };
    }

    /// <summary>Adds a decision to the current transaction (saved by the caller): item, steps, partner id, outbox rows, audit events.</summary>
    private async Task ApplyAsync(DecisionPlan plan, CancellationToken ct)
    {
        var (item, verdict, gate, partner, now) = (plan.Item, plan.Verdict, plan.Gate, plan.Partner, plan.Now);
        item.Decision = verdict.Decision;
        item.Rule = Clip(verdict.Rule, 64);
        item.Reason = Clip(verdict.Reason, 1024);
        item.IdentityId = verdict.IdentityId;
        item.Candidates = verdict.Candidates is { Count: > 0 } c ? JsonSerializer.Serialize(c.Distinct().Take(50), Json) : null;
        item.State = verdict.Decision == InboundDecisions.Hold ? InboundStates.Held : InboundStates.Decided;
        item.Version = plan.Version + 1;
        var actions = new List<InboundAction>(plan.Steps.Count + 2);
        actions.AddRange(plan.Steps);
        actions.Add(NewAction(item.Id, now, gate.Name, "decided", verdict.Decision, verdict.Rule, verdict.Reason, verdict.IdentityId));
        for (var i = 0; i < actions.Count; i++)
        {
            // One millisecond apart (the precision both providers keep): the steps read back in the order they were taken.
            actions[i].At = now.AddMilliseconds(i);
            actions[i].Id = Guid.CreateVersion7(actions[i].At);
        }

        item.DecidedAt = actions[^1].At;
        if (plan.Received is { } received)
        {
            db.InboundItems.Add(item);
            db.InboundActions.Add(received);
        }

        if (verdict.Decision is InboundDecisions.Attach or InboundDecisions.Create && verdict.IdentityId is { } accepted)
        {
            QueueDelivery(item, accepted, actions[^1].At.AddMilliseconds(1), actions);
        }

        db.InboundActions.AddRange(actions);
        if (plan.Exchanges.Count > 0)
        {
            db.InsiExchanges.AddRange(plan.Exchanges);
        }

        if (verdict.Decision == InboundDecisions.Attach && verdict.IdentityId is { } id)
        {
            await RecordPartnerIdAsync(id, partner, item.PartnerPatientId, now, ct).ConfigureAwait(false);
            await AuditTrail.AppendAsync(db, new AuditEntry(gate.Name, gate.Source, "identity.inbound-attached", "identity", id.ToString(), null,
                JsonSerializer.Serialize(new { item = item.Id, partner = partner.Id, rule = verdict.Rule }, Json)), clock, ct).ConfigureAwait(false);
        }

        await AuditAsync(gate, "inbound.decided", item.Id, new
        {
            partner = partner.Id,
            decision = verdict.Decision,
            rule = verdict.Rule,
            identityId = verdict.IdentityId,
            candidates = verdict.Candidates,
            steps = actions.Select(a => a.Rule ?? a.Action),
        }, ct).ConfigureAwait(false);
    }

    /// <summary>Queues the item's delivery on the configured routes (same transaction) and records it as an action.</summary>
    private void QueueDelivery(InboundItem item, Guid identityId, DateTimeOffset at, List<InboundAction>? actions)
    {
        var (queued, skipped) = InboundDelivery.Enqueue(db, inbound.Routes, item, identityId, at);
        if (queued.Count == 0 && skipped.Count == 0)
        {
            return;
        }

        var detail = queued.Count > 0 ? "Queued for delivery on " + string.Join(", ", queued) + "." : "";
        if (skipped.Count > 0)
        {
            detail += $" Not for {string.Join(", ", skipped)} (MLLP routes carry HL7 v2 items only).";
        }

        var action = NewAction(item.Id, at, ProcessName, "delivery-queued", null, "inbound.delivery", detail.Trim(), identityId);
        if (actions is null)
        {
            db.InboundActions.Add(action);
        }
        else
        {
            actions.Add(action);
        }
    }

    /// <summary>Keeps "patient <paramref name="pid"/> of this partner's domain" on the local identity (unique per domain and id).</summary>
    private async Task RecordPartnerIdAsync(Guid identityId, InboundPartnerSettings partner, string? pid, DateTimeOffset now, CancellationToken ct)
    {
        if (pid is null)
        {
            return;
        }

        var authorities = partner.Authorities.ToArray();
        // A decision of the same group commit may have recorded it already (added, not yet saved).
        var holder = db.ExternalIdentifiers.Local.FirstOrDefault(x => authorities.Contains(x.Authority, StringComparer.Ordinal) && x.Value == pid)?.IdentityId
            ?? await db.ExternalIdentifiers.AsNoTracking().Where(x => authorities.Contains(x.Authority) && x.Value == pid).Select(x => (Guid?)x.IdentityId).FirstOrDefaultAsync(ct).ConfigureAwait(false);
        if (holder is { } h)
        {
            if (h != identityId && await LiveRowAsync(h, ct).ConfigureAwait(false) is { } live && live.Record.Id != identityId)
            {
                throw new AppFailure(new AppError(ErrorKind.Conflict, "identity.duplicate", $"Patient id of partner {partner.Id} already belongs to identity {live.Record.Id}.",
                    Data: new Dictionary<string, object?>(StringComparer.Ordinal) { ["existing"] = new[] { new DuplicateView(live.Record.Id, "same-external-id") } }));
            }

            return;
        }

        db.ExternalIdentifiers.Add(new ExternalIdentifier { Id = Guid.CreateVersion7(now), IdentityId = identityId, Authority = partner.AssigningAuthority, Value = pid, Kind = "partner", CreatedAt = now });
    }

    private async Task<bool> OtherPartnerIdAsync(Guid identityId, InboundPartnerSettings partner, string pid, CancellationToken ct)
    {
        var authorities = partner.Authorities.ToArray();
        return await db.ExternalIdentifiers.AsNoTracking().AnyAsync(x => x.IdentityId == identityId && authorities.Contains(x.Authority) && x.Value != pid, ct).ConfigureAwait(false);
    }

    /// <summary>The identity, or the survivor it was merged into.</summary>
    private async Task<(IdentityRecord Record, bool Followed)?> LiveRowAsync(Guid id, CancellationToken ct)
    {
        var followed = false;
        for (var hop = 0; hop < 16; hop++)
        {
            var row = await db.Identities.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct).ConfigureAwait(false);
            if (row is null)
            {
                return null;
            }

            if (row.MergedIntoId is not { } next)
            {
                return (row, followed);
            }

            id = next;
            followed = true;
        }

        return null;
    }

    /// <summary>Does the local identity contradict what was received (another INS, different strict traits)?</summary>
    private static (string Rule, string Reason)? Contradiction(IdentityRecord record, IdentityTraits? traits, InsIdentifier? ins)
    {
        if (ins is not null && record.InsMatricule is not null && (record.InsMatricule != ins.Matricule.Value || record.InsOid != ins.Oid))
        {
            return ("inbound.ins-contradicts", "The matched identity holds another INS than the one received.");
        }

        if (traits is null)
        {
            return null;
        }

        var differs = new List<string>(5);
        if (SearchKeys.Normalize(traits.BirthName) != record.BirthNameKey)
        {
            differs.Add("birthName");
        }

        if (SearchKeys.Normalize(traits.FirstFirstName) != record.FirstNameKey)
        {
            differs.Add("firstFirstName");
        }

        if (traits.BirthDate.Value != record.BirthDate)
        {
            differs.Add("birthDate");
        }

        var sex = SexCodes.ToCode(traits.Sex);
        if (sex != record.Sex && sex != "U" && record.Sex != "U")
        {
            differs.Add("sex");
        }

        if (traits.BirthPlaceCog is not null && record.BirthPlaceCog is not null && !string.Equals(traits.BirthPlaceCog, record.BirthPlaceCog, StringComparison.OrdinalIgnoreCase))
        {
            differs.Add("birthPlaceCog");
        }

        return differs.Count == 0 ? null : ("inbound.traits-contradict", $"The received strict traits differ from the matched identity ({string.Join(", ", differs)}).");
    }

    /// <summary>
    /// Strict matches (same birth name, first first-name, birth date and sex; birth place when both have one) and close ones
    /// (homonyms and spelling variants: same birth date and sex, same or phonetically equal birth name), in one read: the
    /// close set contains the strict one, strict rows first.
    /// </summary>
    private async Task<(IReadOnlyList<MatchRow> Strict, IReadOnlyList<Guid> Close)> MatchesAsync(IdentityTraits traits, CancellationToken ct)
    {
        var nameKey = SearchKeys.Normalize(traits.BirthName);
        var firstKey = SearchKeys.Normalize(traits.FirstFirstName);
        var phonetic = FrenchPhonetic.Key(traits.BirthName);
        var sex = SexCodes.ToCode(traits.Sex);
        var date = traits.BirthDate.Value;
        var cog = traits.BirthPlaceCog;
        var rows = new List<MatchRow>();
        await foreach (var row in MatchQuery(db, date, sex, nameKey, firstKey, phonetic).WithCancellation(ct).ConfigureAwait(false))
        {
            rows.Add(row);
        }

        var strict = new List<MatchRow>();
        var close = new List<Guid>();
        foreach (var r in rows)
        {
            if (r.BirthNameKey == nameKey && r.FirstNameKey == firstKey)
            {
                if (strict.Count < 50 && (cog is null || r.BirthPlaceCog is null || string.Equals(cog, r.BirthPlaceCog, StringComparison.OrdinalIgnoreCase)))
                {
                    strict.Add(r);
                }
            }
            else if (close.Count < 50)
            {
                close.Add(r.Id);
            }
        }

        // Close matches only matter when no strict one is found; as before, they include same-name rows a birth place excluded.
        if (strict.Count == 0)
        {
            close.InsertRange(0, rows.Where(r => r.BirthNameKey == nameKey && r.FirstNameKey == firstKey).Select(r => r.Id));
        }

        return (strict, close.Take(50).ToList());
    }

    /// <summary>
    /// The match read, compiled once per model (the gate runs it for every item read on traits). EF refuses to run a compiled
    /// query against another model than its own: one process may hold a SQLite and a PostgreSQL model (tests, tools).
    /// </summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Microsoft.EntityFrameworkCore.Metadata.IModel, Func<GatewayDbContext, DateOnly, string, string, string, string, IAsyncEnumerable<MatchRow>>> MatchQueries = [];

    private static IAsyncEnumerable<MatchRow> MatchQuery(GatewayDbContext db, DateOnly date, string sex, string nameKey, string firstKey, string phonetic) =>
        MatchQueries.GetValue(db.Model, static _ => EF.CompileAsyncQuery((GatewayDbContext db, DateOnly date, string sex, string nameKey, string firstKey, string phonetic) => db.Identities.AsNoTracking()
            // Two arms, not one OR: SQLite does not plan "name key OR phonetic key" on the two indexes (PostgreSQL does, with a
            // bitmap OR) and read every identity born that day instead — a common birth date, or 01/01 for an unknown day,
            // is thousands of rows.
            .Where(x => x.MergedIntoId == null && x.BirthNameKey == nameKey && x.BirthDate == date && x.Sex == sex)
            .Concat(db.Identities.AsNoTracking().Where(x => x.MergedIntoId == null && phonetic != "" && x.BirthNamePhonetic == phonetic && x.BirthDate == date && x.Sex == sex && x.BirthNameKey != nameKey))
            .OrderByDescending(x => x.BirthNameKey == nameKey && x.FirstNameKey == firstKey).ThenBy(x => x.Id)
            .Select(x => new MatchRow(x.Id, x.BirthPlaceCog, x.InsMatricule, x.InsOid, x.Attributes, x.BirthNameKey, x.FirstNameKey))
            .Take(100)))(db, date, sex, nameKey, firstKey, phonetic);

    private void RecordExchanges(InsiPortResult result, Guid identityId, DateTimeOffset now)
    {
        var raws = result.Exchanges.Count > 0 ? result.Exchanges : [new InsiRawExchange(null, null, null, TimeSpan.Zero, result.Code ?? "error")];
        for (var i = 0; i < raws.Count; i++)
        {
            var raw = raws[i];
            var detail = i == raws.Count - 1 ? result.Code : raw.Outcome;
            exchanges.Add(new InsiExchange
            {
                Id = Guid.CreateVersion7(now.AddTicks(i)),
                IdentityId = identityId,
                Operation = "verify",
                RequestXml = raw.RequestXml,
                ResponseXml = raw.ResponseXml,
                Outcome = result.Outcome switch
                {
                    InsiCallOutcome.Found => "found",
                    InsiCallOutcome.NotFound => "not-found",
                    InsiCallOutcome.Multiple => "multiple",
                    _ => "error",
                },
                Detail = detail is { Length: > 512 } ? detail[..512] : detail,
                CertificateCn = raw.CertificateCn,
                DurationMs = (long)raw.Duration.TotalMilliseconds,
                Actor = ProcessName,
                OccurredAt = now,
            });
        }
    }

    /// <summary>The traits in the INSi alphabet, or null when they cannot be written in it (unattended: no one can confirm a transliteration).</summary>
    private static IdentityTraits? LexicalTraits(IdentityTraits t)
    {
        var name = InsiLexicalProfile.NormalizeBirthName(t.BirthName);
        var list = InsiLexicalProfile.NormalizeFirstNames(t.BirthFirstNamesJoined);
        var first = InsiLexicalProfile.NormalizeFirstName(t.FirstFirstName);
        if (!name.IsSuccess || !list.IsSuccess || !first.IsSuccess)
        {
            return null;
        }

        var traits = IdentityTraits.Create(name.Value, IdentityTraits.SplitFirstNames(list.Value), first.Value, t.Sex, t.BirthDate, t.BirthPlaceCog);
        return traits.IsValid ? traits.Value : null;
    }

    private static CreateIdentityRequest CreateRequest(IdentityTraits t, InboundPartnerSettings partner, string? pid, bool? force, string? reason) => new(
        t.BirthName,
        t.BirthFirstNamesJoined,
        t.FirstFirstName,
        SexCodes.ToCode(t.Sex),
        t.BirthDate.ToDeclared(),
        t.BirthPlaceCog,
        t.UsedName,
        t.UsedFirstName,
        null,
        null,
        force,
        reason,
        pid is null ? null : [new ExternalIdInput(partner.AssigningAuthority, pid, "partner")]);

    private static IReadOnlyList<Guid> ExistingIds(AppError error) =>
        error.Data is not null && error.Data.TryGetValue("existing", out var v) && v is IEnumerable<DuplicateView> list ? list.Select(d => d.Id).ToList() : [];

    private static ReceivedIdentityView ReceivedView(ReceivedPatient p, bool insTrusted)
    {
        var t = p.Traits;
        var attributes = new List<string>(3);
        if ((p.Attributes & IdentityAttributes.Homonym) != 0)
        {
            attributes.Add("HOMA");
        }

        if ((p.Attributes & IdentityAttributes.Doubtful) != 0)
        {
            attributes.Add("DOUT");
        }

        if ((p.Attributes & IdentityAttributes.Fictitious) != 0)
        {
            attributes.Add("FICT");
        }

        return new ReceivedIdentityView(
            t?.BirthName,
            t?.BirthFirstNamesJoined,
            t?.FirstFirstName,
            t is null ? null : SexCodes.ToCode(t.Sex),
            t?.BirthDate.ToDeclared(),
            t?.BirthPlaceCog,
            p.Ins?.Matricule.Value,
            p.Ins?.Oid,
            insTrusted,
            p.StatusCode,
            attributes,
            p.Identifiers.Select(i => i.Authorities.Count > 0 ? $"{i.Value}@{i.Authorities[0]}" : i.Value).ToList(),
            p.TraitProblems);
    }
}
