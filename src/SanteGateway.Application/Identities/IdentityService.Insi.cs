using Microsoft.EntityFrameworkCore;
using SanteGateway.Identity;
using SanteGateway.Store.Audit;
using SanteGateway.Store.Entities;

namespace SanteGateway.Application;

/// <summary>INSi search and verification, applied as the RNIV says.</summary>
public sealed partial class IdentityService
{
    /// <summary>
    /// INSi search, in two steps: (1) every exchange is recorded in its own transaction as soon as INSi has answered, so
    /// the call is traceable whatever happens next; (2) the result is applied in a second transaction guarded by the
    /// version read before the call. An INS another identity holds is never applied: a collision is raised.
    /// </summary>
    /// <param name="id">Identity id.</param>
    /// <param name="req">Options (transliteration confirmation).</param>
    /// <param name="actor">Who (a user triggers INSI-MANU calls, a process INSI-AUTO).</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>What INSi said and what was applied.</returns>
    public Task<Result<InsiActionResult>> InsiSearchAsync(Guid id, InsiCallRequest? req, Actor actor, CancellationToken ct) => AppFailure.Run(async () =>
    {
        ArgumentNullException.ThrowIfNull(actor);
        var snapshot = await LoadAsync(id, tracking: false, ct).ConfigureAwait(false);
        var call = await CallInsiAsync("search", snapshot, req?.ConfirmTransliteration == true, actor, ct).ConfigureAwait(false);
        return await ApplyInsiCallAsync(call, actor, ct).ConfigureAwait(false);
    });

    /// <summary>
    /// INSi verification of the active INS: confirmed → verification date recorded; replaced by a newer INS → the new INS
    /// becomes active and the old one goes to history; mismatch, not found or ambiguous → nothing changes and an alert is
    /// raised for identity vigilance. Every outcome is audited.
    /// </summary>
    /// <param name="id">Identity id.</param>
    /// <param name="req">Options (transliteration confirmation).</param>
    /// <param name="actor">Who.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>What INSi said and what was applied.</returns>
    public Task<Result<InsiActionResult>> InsiVerifyAsync(Guid id, InsiCallRequest? req, Actor actor, CancellationToken ct) => AppFailure.Run(async () =>
    {
        ArgumentNullException.ThrowIfNull(actor);
        var snapshot = await LoadAsync(id, tracking: false, ct).ConfigureAwait(false);
        var call = await CallInsiAsync("verify", snapshot, req?.ConfirmTransliteration == true, actor, ct).ConfigureAwait(false);
        return await ApplyInsiCallAsync(call, actor, ct).ConfigureAwait(false);
    });

    /// <summary>
    /// The first half of <see cref="InsiSearchAsync"/> / <see cref="InsiVerifyAsync"/>: the RNIV checks and the INSi call,
    /// nothing written (uses no database, so batch workers make several calls at once on one service). Throws
    /// <see cref="AppFailure"/> when the identity cannot be sent (nothing was called then).
    /// </summary>
    internal async Task<InsiCall> CallInsiAsync(string operation, IdentityRecord snapshot, bool confirmTransliteration, Actor actor, CancellationToken ct)
    {
        EnsureLive(snapshot);
        var domain = IdentityRows.ToDomain(snapshot);
        CheckInsiAllowed(domain);
        InsIdentifier? ins = null;
        if (operation == "verify" && (ins = domain.Ins) is null)
        {
            throw new AppFailure(AppError.Field(ErrorKind.Conflict, "ins", "rniv.no-ins", "The identity carries no INS to verify; run insi-search first."));
        }

        var (traits, transliterated) = LexicalTraits(domain.Traits, confirmTransliteration);
        var port = operation == "verify"
            ? await CallPortAsync("verify", snapshot.Id, c => insi.VerifyAsync(new InsiVerifyRequest(ins!, traits, Certificate(actor), snapshot.Id.ToString()) { Establishment = actor.Establishment }, c), ct).ConfigureAwait(false)
            : await CallPortAsync("search", snapshot.Id, c => insi.SearchAsync(new InsiSearchRequest(traits, Certificate(actor), snapshot.Id.ToString()) { Establishment = actor.Establishment }, c), ct).ConfigureAwait(false);
        return new InsiCall(operation, snapshot, domain, port, transliterated);
    }

    /// <summary>
    /// The second half: records the exchanges and applies the answer by the RNIV rules. Joins the caller's transaction
    /// when one is open (nothing is committed here then; each step is still saved at once), else commits its own steps
    /// as a single call does. Throws <see cref="AppFailure"/> for a failed call (its exchange recorded first).
    /// </summary>
    /// <param name="call">The call.</param>
    /// <param name="actor">Who.</param>
    /// <param name="ct">Cancellation.</param>
    internal async Task<InsiActionResult> ApplyInsiCallAsync(InsiCall call, Actor actor, CancellationToken ct)
    {
        var exchanges = await RecordExchangesAsync(call.Operation, call.Snapshot.Id, actor, call.Port, call.Transliterated, ct).ConfigureAwait(false);
        return call.Operation == "verify"
            ? await ApplyVerificationAsync(call, exchanges, actor, ct).ConfigureAwait(false)
            : await ApplySearchAsync(call, exchanges, actor, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The bulk form of <see cref="ApplyInsiCallAsync"/> for a batch chunk: applies every call in order, by the same code
    /// and rules, inside the caller's transaction, and saves once at the end instead of two or three times per call.
    /// Three things differ, none in what is decided: the identity read before each call is the row changed (its version
    /// guards the save, as the single path's re-read would); the open alerts of the group's identities are read in one
    /// query; the results carry no external ids. A step that must read what the group already changed (INS holder,
    /// an alert already open) saves the pending changes first. A call refused by a rule leaves nothing of its own change
    /// behind (its exchange and audit event stay, as in the single path).
    /// </summary>
    /// <param name="calls">The calls, applied in this order (a retried identity's failed calls first).</param>
    /// <param name="actor">Who.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>One result per call, in order.</returns>
    /// <exception cref="DbUpdateException">
    /// The group's save failed (a concurrent change, a unique INS taken meanwhile): nothing of the group may be committed;
    /// the caller rolls its transaction back and applies the calls one by one with <see cref="ApplyInsiCallAsync"/>,
    /// which decides such cases per call.
    /// </exception>
    internal async Task<IReadOnlyList<Result<InsiActionResult>>> ApplyInsiCallsAsync(IReadOnlyList<InsiCall> calls, Actor actor, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(calls);
        if (db.Database.CurrentTransaction is null)
        {
            throw new InvalidOperationException("A group of INSi calls is applied inside the caller's transaction.");
        }

        var ids = calls.Select(c => c.Snapshot.Id).Distinct().ToList();
        var alerted = ids.Count == 0 ? [] : await db.VigilanceAlerts.AsNoTracking().Where(a => EF.Parameter(ids).Contains(a.IdentityId) && a.ResolvedAt == null)
            .Select(a => a.IdentityId).Distinct().ToListAsync(ct).ConfigureAwait(false);
        group = new InsiApplyGroup([.. ids.Except(alerted)]);
        // The group's rows are only added, attached or marked by this code: changes are detected once per save. Left on,
        // every audit append (which looks at the tracked chain head) would scan the whole tracker: O(n²) in the group.
        using var pause = db.ChangeTracker.PauseAutomaticDetection();
        try
        {
            var results = new List<Result<InsiActionResult>>(calls.Count);
            foreach (var call in calls)
            {
                var id = call.Snapshot.Id;
                if (call.Prepared is { } prepared && group.WithoutOpenAlerts.Contains(id) && db.Identities.Local.FindEntry(id) is null)
                {
                    // Decided and prepared in the call phase: no alert to resolve, the row not yet changed in the group.
                    group.Snapshots.Remove(id);
                    results.Add(await AppFailure.Run(() => ApplyPreparedAsync(call, prepared, actor, ct)).ConfigureAwait(false));
                    continue;
                }

                group.Snapshots.TryAdd(id, (call.Snapshot, call.BeforeImage));
                var r = await AppFailure.Run(() => ApplyInsiCallAsync(call, actor, ct)).ConfigureAwait(false);
                if (!r.IsSuccess && db.Identities.Local.FindEntry(id) is { } touched)
                {
                    // Refused after its row was taken for the change (stale version, RNIV transition): the change is not
                    // saved, as the single path would not have saved it.
                    touched.State = EntityState.Detached;
                }

                results.Add(r);
            }

            await SaveGroupAsync(ct).ConfigureAwait(false);
            return results;
        }
        finally
        {
            group = null;
            db.ChangeTracker.Clear();
        }
    }

    /// <summary>Audit action of a confirmed verification.</summary>
    private const string VerifiedAction = "identity.ins-verified";

    private const string VerifiedMessage = "INSi confirmed the INS; the verification date is recorded.";

    /// <summary>
    /// What a verification answer says, as both the single path and a batch's call phase read it: the outcome, INSi's
    /// identity as domain values (null when none) and its differences from the stored traits. Throws
    /// <see cref="AppFailure"/> for a failed call or an answer the gateway cannot use.
    /// </summary>
    private (InsiVerificationOutcome Verification, Returned? Returned, IReadOnlyList<TraitDifference> Differences) ReadVerification(InsiCall call, Guid lastExchangeId)
    {
        var result = call.Port;
        if (result.Outcome == InsiCallOutcome.Error || result.Verification is not { } verification)
        {
            throw new AppFailure(UpstreamError(result, lastExchangeId));
        }

        var returned = result.Identity is null ? null : ReadReturned(result.Identity, lastExchangeId);
        IReadOnlyList<TraitDifference> differences = returned is null ? [] : TraitComparison.Differences(call.Domain.Traits, returned.Traits);
        return (verification, returned, differences);
    }

    private static object VerifiedContext(Guid exchangeId) => new { exchangeId, verification = "confirmed" };

    /// <summary>
    /// A batch's call phase, on a call worker: when <paramref name="call"/> is a verification INSi confirmed, prepares
    /// everything of its application that needs no database (exchange rows, both audit payloads, the row's new values
    /// and the hash of its after-image), by the same decision and the same row mapping as <see cref="ApplyInsiCallAsync"/>,
    /// so that the chunk's write (the batch's serial step) only adds them (<see cref="ApplyInsiCallsAsync"/>). Any other
    /// answer is left to the write, decided there call by call.
    /// </summary>
    internal void PrepareApply(InsiCall call, Actor actor)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(actor);
        call.Prepared = null;
        var snapshot = call.Snapshot;
        if (call.Operation != "verify" || call.Port.Outcome == InsiCallOutcome.Error || snapshot.MergedIntoId is not null)
        {
            return;
        }

        var now = Now();
        var exchanges = ExchangeRows("verify", snapshot.Id, actor, call.Port, now);
        try
        {
            var (verification, _, differences) = ReadVerification(call, exchanges[^1].Id);
            if (verification != InsiVerificationOutcome.Confirmed || differences.Count > 0)
            {
                return;
            }
        }
        catch (AppFailure)
        {
            return;
        }

        // The aggregate of the row as read (call.Domain) is the one the single path rebuilds from the same row; the
        // confirmed case leaves it as it is and writes it back (Apply), with the verification date.
        var domain = call.Domain;
        if (!IdentityRows.AppliesToRowOnly(domain, snapshot))
        {
            return;
        }

        var change = ChangeOf(snapshot, domain);
        var after = IdentityRows.CopyColumns(snapshot, withRelated: true);
        after.InsVerifiedAt = now;
        IdentityRows.Apply(domain, after, now, [], null);
        after.UpdatedAt = now;
        after.Version = call.ReadVersion + 1; // as the save stamps it
        var afterAudit = WithVersionAndContext(IdentityRows.Snapshot(after), after.Version, VerifiedContext(exchanges[^1].Id));
        call.Prepared = new PreparedVerification(
            exchanges,
            CallAuditJson(exchanges, call.Port, call.Transliterated),
            IdentityRows.CopyColumns(snapshot, withRelated: false),
            after,
            afterAudit,
            RowImage.Hash(after),
            change,
            IdentityRows.ToView(after, []));
    }

    /// <summary>
    /// Adds a prepared confirmed verification to the group: the same rows and audit events, in the same order, as
    /// <see cref="ApplyInsiCallAsync"/> would add (the caller checked the identity has no open alert and is not yet
    /// changed in the group); the row alone is attached, its read version guarding the group's save.
    /// </summary>
    private async Task<InsiActionResult> ApplyPreparedAsync(InsiCall call, PreparedVerification p, Actor actor, CancellationToken ct)
    {
        var id = call.Snapshot.Id;
        db.InsiExchanges.AddRange(p.Exchanges);
        await AuditJsonAsync(actor, "insi.verify", id, null, p.CallAudit, ct).ConfigureAwait(false);
        var entry = db.Identities.Attach(p.Row); // no related rows loaded: only the row is tracked
        entry.CurrentValues.SetValues(p.After); // marks the columns that change (the version among them)
        var e = await AuditJsonAsync(actor, VerifiedAction, id, call.BeforeImage ?? BeforeImage(call.Snapshot), p.AfterAudit, ct).ConfigureAwait(false);
        e.AfterImageHash = p.AfterImageHash;
        Notify(p.Change);
        LogChanged(log, id, VerifiedAction, call.Snapshot.Status, p.After.Status);
        return Action(call.Port, p.Exchanges, true, [], VerifiedMessage, p.View);
    }

    /// <summary>Live and merged identities of <paramref name="ids"/> as <see cref="CallInsiAsync"/> needs them (a batch chunk's, read at once).</summary>
    internal async Task<Dictionary<Guid, IdentityRecord>> LoadManyAsync(IReadOnlyCollection<Guid> ids, CancellationToken ct)
    {
        // One JSON array parameter: the SQL does not change with the count, so the compiled query is reused (a list
        // expanded to one parameter per id compiles the split query again for each chunk size).
        var list = ids.ToArray();
        return await db.Identities.AsNoTracking().Include(x => x.InsHistory).Include(x => x.Evidence).AsSplitQuery()
            .Where(x => EF.Parameter(list).Contains(x.Id)).ToDictionaryAsync(x => x.Id, ct).ConfigureAwait(false);
    }

    /// <summary>Saves the tracked changes now, or leaves them for the single save of the group being applied.</summary>
    private async Task SaveAsync(CancellationToken ct)
    {
        if (group is null)
        {
            await db.SaveChangesAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>After a step's save: forgets what was tracked (a group keeps it until its own save).</summary>
    private void ClearAfterSave()
    {
        if (group is null)
        {
            db.ChangeTracker.Clear();
        }
    }

    /// <summary>In a group, saves what the group changed so far (in the caller's transaction) before a read that must see it.</summary>
    private async Task FlushGroupAsync(CancellationToken ct)
    {
        if (group is not null)
        {
            await SaveGroupAsync(ct).ConfigureAwait(false);
        }
    }

    private async Task SaveGroupAsync(CancellationToken ct)
    {
        db.ChangeTracker.DetectChanges(); // automatic detection is off during a group
        // Multi-row statements (the group's rows are plain inserts and updates): EF Core's change tracking and per-row
        // command batching were most of the chunk write, which is the batch's critical path.
        await db.SaveRowsAsync(ct).ConfigureAwait(false);
    }

    /// <summary>A transaction of this service's own, or null when the caller already holds one (the caller commits).</summary>
    private async Task<Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction?> OwnTransactionAsync(CancellationToken ct) =>
        db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(ct).ConfigureAwait(false) : null;

    private static void CheckInsiAllowed(RnivIdentity domain)
    {
        if (domain.CheckInsiCall() is { } refusal)
        {
            var kind = refusal.Rule == "insi.sex" ? ErrorKind.Unprocessable : ErrorKind.Conflict;
            throw new AppFailure(AppError.Field(kind, refusal.Field, refusal.Rule, refusal.Message));
        }
    }

    /// <summary>
    /// The traits as INSi must receive them. Case and spacing are folded silently; any other change (a diacritic
    /// removed, a ligature split) is a transliteration the user must see and confirm; a character with no equivalent
    /// is refused and nothing is sent (CNDA 2.03 cas 3).
    /// </summary>
    private static (IdentityTraits Traits, bool Transliterated) LexicalTraits(IdentityTraits local, bool confirmed)
    {
        var errors = new FieldErrors();
        var name = InsiLexicalProfile.NormalizeBirthName(local.BirthName);
        var list = InsiLexicalProfile.NormalizeFirstNames(local.BirthFirstNamesJoined);
        var first = InsiLexicalProfile.NormalizeFirstName(local.FirstFirstName);
        void Check(string field, LexicalResult r)
        {
            if (!r.IsSuccess)
            {
                errors.Add(field, "insi.lexical." + r.Error!.Rule, r.Error.Message);
            }
        }

        Check("birthName", name);
        Check("birthFirstNames", list);
        Check("firstFirstName", first);
        if (errors.Any)
        {
            throw new AppFailure(new AppError(ErrorKind.Unprocessable, "insi.lexical", "These traits cannot be written in the INSi alphabet; nothing was sent to INSi.",
                errors.GroupBy(e => e.Field).ToDictionary(g => g.Key, g => g.Select(e => $"{e.Rule}: {e.Message}").ToArray(), StringComparer.Ordinal)));
        }

        var transliterated = InsiLexicalProfile.NeedsTransliteration(local.BirthName) || InsiLexicalProfile.NeedsTransliteration(local.BirthFirstNamesJoined)
            || InsiLexicalProfile.NeedsTransliteration(local.FirstFirstName);
        if (transliterated && !confirmed)
        {
            throw new AppFailure(new AppError(
                ErrorKind.Unprocessable,
                "insi.transliteration-required",
                "INSi accepts only A-Z, space, apostrophe and hyphen: confirm the transliterated traits (confirmTransliteration: true) to send them.",
                Data: new Dictionary<string, object?>(StringComparer.Ordinal)
                {
                    ["proposed"] = new Dictionary<string, string>(StringComparer.Ordinal)
                    {
                        ["birthName"] = name.Value!,
                        ["birthFirstNames"] = list.Value!,
                        ["firstFirstName"] = first.Value!,
                    },
                }));
        }

        var traits = IdentityTraits.Create(name.Value, IdentityTraits.SplitFirstNames(list.Value), first.Value, local.Sex, local.BirthDate, local.BirthPlaceCog);
        if (!traits.IsValid)
        {
            throw new AppFailure(AppError.Validation(traits.Errors.Select(e => e with { Field = char.ToLowerInvariant(e.Field[0]) + e.Field[1..] })) with { Kind = ErrorKind.Unprocessable, Rule = "insi.lexical" });
        }

        return (traits.Value, transliterated);
    }

    private InsiCertificate Certificate(Actor actor) => actor.Trigger == Trigger.User ? options.UserCallCertificate : options.AutomaticCallCertificate;

    private async Task<InsiPortResult> CallPortAsync(string operation, Guid identityId, Func<CancellationToken, Task<InsiPortResult>> call, CancellationToken ct)
    {
        var started = clock.GetTimestamp();
        InsiPortResult result;
        try
        {
            result = await call(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutException or IOException || (ex is OperationCanceledException && !ct.IsCancellationRequested))
        {
            result = InsiPortResult.Failed("transport", ex.GetType().Name);
        }

        var elapsed = clock.GetElapsedTime(started);
        metrics?.Record(operation, result.Outcome, elapsed);
        LogInsiCall(log, operation, identityId, OutcomeCode(result.Outcome), (long)elapsed.TotalMilliseconds);
        return result;
    }

    /// <summary>Records every exchange (one row per call of the strategy) and the audit event, in their own transaction.</summary>
    private async Task<IReadOnlyList<InsiExchange>> RecordExchangesAsync(string operation, Guid? identityId, Actor actor, InsiPortResult result, bool transliterationConfirmed, CancellationToken ct)
    {
        var now = Now();
        var rows = ExchangeRows(operation, identityId, actor, result, now);
        var tx = await OwnTransactionAsync(ct).ConfigureAwait(false);
        await using (tx)
        {
            db.InsiExchanges.AddRange(rows);
            var exchangeId = rows[^1].Id;
            if (identityId is not { } known)
            {
                // A call made before any identity exists (Vitale card read): audited on its exchange, no identity alert.
                await AuditTrail.AppendAsync(db, new AuditEntry(actor.Name, actor.Source, $"insi.{operation}", "insi-exchange", exchangeId.ToString(), null, Serialize(new
                {
                    exchangeIds = rows.Select(r => r.Id),
                    outcome = rows[^1].Outcome,
                    code = result.Code,
                    certificate = rows[^1].CertificateCn,
                })), clock, ct).ConfigureAwait(false);
                await db.SaveChangesAsync(ct).ConfigureAwait(false);
                await CommitOwnAsync(tx, ct).ConfigureAwait(false);
                db.ChangeTracker.Clear();
                return rows;
            }

            if (result.Outcome == InsiCallOutcome.Error)
            {
                await RaiseAlertOnceAsync(AlertKinds.InsiFailure, known, null, exchangeId, result.Code, actor, now, ct).ConfigureAwait(false);
            }
            else
            {
                await ResolveAlertsAsync(known, [AlertKinds.InsiFailure], "A later INSi call was answered.", actor, now, ct).ConfigureAwait(false);
            }

            await AuditJsonAsync(actor, $"insi.{operation}", known, null, CallAuditJson(rows, result, transliterationConfirmed), ct).ConfigureAwait(false);
            await SaveAsync(ct).ConfigureAwait(false);
            await CommitOwnAsync(tx, ct).ConfigureAwait(false);
        }

        ClearAfterSave();
        return rows;
    }

    /// <summary>The exchange rows of a call (one per call of the strategy), as recorded: shared by the single path and a batch's call phase.</summary>
    private static List<InsiExchange> ExchangeRows(string operation, Guid? identityId, Actor actor, InsiPortResult result, DateTimeOffset now)
    {
        var rows = new List<InsiExchange>();
        var raws = result.Exchanges.Count > 0 ? result.Exchanges : [new InsiRawExchange(null, null, null, TimeSpan.Zero, result.Code ?? "error")];
        for (var i = 0; i < raws.Count; i++)
        {
            var raw = raws[i];
            var last = i == raws.Count - 1;
            var detail = last
                ? (result.Code is null ? result.Error : $"{result.Code}{(result.Error is null ? "" : ": " + result.Error)}")
                : raw.Outcome;
            rows.Add(new InsiExchange
            {
                Id = Guid.CreateVersion7(now.AddTicks(i)),
                IdentityId = identityId,
                Operation = operation,
                RequestXml = raw.RequestXml,
                ResponseXml = raw.ResponseXml,
                Outcome = last ? OutcomeCode(result.Outcome) : AttemptOutcome(raw.Outcome),
                Detail = detail is { Length: > 512 } ? detail[..512] : detail,
                CertificateCn = raw.CertificateCn,
                DurationMs = (long)raw.Duration.TotalMilliseconds,
                Actor = actor.Name,
                OccurredAt = now,
            });
        }

        return rows;
    }

    /// <summary>The new values of the <c>insi.search</c>/<c>insi.verify</c> audit event of an identity's call.</summary>
    private static string CallAuditJson(List<InsiExchange> rows, InsiPortResult result, bool transliterationConfirmed) => Serialize(new
    {
        exchangeIds = rows.Select(r => r.Id),
        outcome = rows[^1].Outcome,
        code = result.Code,
        verification = result.Verification is { } v ? VerificationCode(v) : null,
        attempts = result.Attempts.Select(a => new { a.WithBirthPlace, a.Code, a.Failure }),
        certificate = rows[^1].CertificateCn,
        transliterationConfirmed,
    });

    private async Task<InsiActionResult> ApplySearchAsync(InsiCall call, IReadOnlyList<InsiExchange> exchanges, Actor actor, CancellationToken ct)
    {
        var (snapshot, domain, result) = (call.Snapshot, call.Domain, call.Port);
        var last = exchanges[^1];
        if (result.Outcome == InsiCallOutcome.Error)
        {
            throw new AppFailure(UpstreamError(result, last.Id));
        }

        var view = await ViewAsync(snapshot, ct).ConfigureAwait(false);
        if (result.Outcome != InsiCallOutcome.Found || result.Identity is null)
        {
            var message = result.Outcome == InsiCallOutcome.Multiple
                ? "INSi returned several identities: complete the traits (birth place) and retry."
                : "INSi found no identity for these traits; nothing was changed.";
            return Action(result, exchanges, false, [], message, view);
        }

        var returned = ReadReturned(result.Identity, last.Id);
        var differences = TraitComparison.Differences(domain.Traits, returned.Traits);
        if (differences.Count > 0)
        {
            return Action(result, exchanges, false, differences,
                "INSi traits differ from the stored identity: nothing was applied; check the document and correct the traits (identity vigilance).", view);
        }

        if (await HolderAsync(returned.Ins, snapshot.Id, ct).ConfigureAwait(false) is { } holder)
        {
            return await CollisionAsync(snapshot, result, exchanges, holder, returned.Ins, actor, ct).ConfigureAwait(false);
        }

        var now = Now();
        var (record, before, current) = await BeginChangeAsync(snapshot.Id, call.ReadVersion, ct).ConfigureAwait(false);
        var applied = current.RecordInsiResult(returned.Ins, returned.History, returned.Traits, now);
        if (!applied.Succeeded)
        {
            return Action(result, exchanges, false, [], applied.Reason, view);
        }

        try
        {
            var after = await SaveChangeAsync(record, current, actor, "identity.ins-obtained", before, now, ct, extra: new { exchangeId = last.Id }, insiDates: returned.Dates).ConfigureAwait(false);
            return Action(result, exchanges, true, [], null, after);
        }
        catch (DbUpdateException ex) when (ex is not DbUpdateConcurrencyException)
        {
            // Another request gave the same INS to another identity between our check and our save (unique index).
            var racer = await HolderAfterFailureAsync(returned.Ins, snapshot.Id).ConfigureAwait(false);
            if (racer is null)
            {
                throw;
            }

            return await CollisionAsync(snapshot, result, exchanges, racer.Value, returned.Ins, actor, ct).ConfigureAwait(false);
        }
    }

    private async Task<InsiActionResult> ApplyVerificationAsync(InsiCall call, IReadOnlyList<InsiExchange> exchanges, Actor actor, CancellationToken ct)
    {
        var (snapshot, result) = (call.Snapshot, call.Port);
        var last = exchanges[^1];
        var (verification, returned, differences) = ReadVerification(call, last.Id);
        var now = Now();
        switch (verification)
        {
            case InsiVerificationOutcome.Confirmed when differences.Count == 0:
            {
                var (record, before, current) = await BeginChangeAsync(snapshot.Id, call.ReadVersion, ct).ConfigureAwait(false);
                record.InsVerifiedAt = now;
                await ResolveAlertsAsync(snapshot.Id, [AlertKinds.VerificationMismatch, AlertKinds.VerificationNotFound, AlertKinds.VerificationAmbiguous], "INSi confirmed the INS.", actor, now, ct).ConfigureAwait(false);
                var view = await SaveChangeAsync(record, current, actor, VerifiedAction, before, now, ct, extra: VerifiedContext(last.Id)).ConfigureAwait(false);
                return Action(result, exchanges, true, [], VerifiedMessage, view);
            }

            case InsiVerificationOutcome.ReplacedByNewer when returned is not null:
            {
                if (await HolderAsync(returned.Ins, snapshot.Id, ct).ConfigureAwait(false) is { } holder)
                {
                    return await CollisionAsync(snapshot, result, exchanges, holder, returned.Ins, actor, ct).ConfigureAwait(false);
                }

                var (record, before, current) = await BeginChangeAsync(snapshot.Id, call.ReadVersion, ct).ConfigureAwait(false);
                var history = returned.History.Where(h => !h.Equals(returned.Ins)).ToList();
                Transition(current.RecordNewerIns(returned.Ins, history, now), "ins", "rniv.ins-replaced");
                record.InsVerifiedAt = now;
                try
                {
                    var view = await SaveChangeAsync(record, current, actor, "identity.ins-replaced", before, now, ct, extra: new { exchangeId = last.Id, verification = "replaced-by-newer" }, insiDates: returned.Dates).ConfigureAwait(false);
                    return Action(result, exchanges, true, [], "INSi holds a newer INS for this person: it is now active and the previous one is kept in the history.", view);
                }
                catch (DbUpdateException ex) when (ex is not DbUpdateConcurrencyException)
                {
                    var racer = await HolderAfterFailureAsync(returned.Ins, snapshot.Id).ConfigureAwait(false);
            if (racer is null)
            {
                throw;
            }

                    return await CollisionAsync(snapshot, result, exchanges, racer.Value, returned.Ins, actor, ct).ConfigureAwait(false);
                }
            }

            default:
            {
                var kind = verification switch
                {
                    InsiVerificationOutcome.NotFound => AlertKinds.VerificationNotFound,
                    InsiVerificationOutcome.Ambiguous => AlertKinds.VerificationAmbiguous,
                    _ => AlertKinds.VerificationMismatch,
                };
                var detail = differences.Count > 0 ? "traits: " + string.Join(",", differences.Select(d => d.Field)) : VerificationCode(verification);
                VigilanceAlert alert;
                var tx = await OwnTransactionAsync(ct).ConfigureAwait(false);
                await using (tx)
                {
                    alert = await RaiseAlertOnceAsync(kind, snapshot.Id, null, last.Id, detail, actor, now, ct).ConfigureAwait(false);
                    await AuditAsync(actor, "identity.verification-alert", snapshot.Id, null, new { exchangeId = last.Id, verification = VerificationCode(verification), alertId = alert.Id, differences = differences.Select(d => d.Field) }, ct).ConfigureAwait(false);
                    await SaveAsync(ct).ConfigureAwait(false);
                    await CommitOwnAsync(tx, ct).ConfigureAwait(false);
                }

                ClearAfterSave();
                var message = verification switch
                {
                    InsiVerificationOutcome.NotFound => "INSi no longer finds this person with these traits: nothing was changed; identity vigilance is alerted.",
                    InsiVerificationOutcome.Ambiguous => "INSi returns several identities for these traits: nothing was changed; identity vigilance is alerted.",
                    _ when differences.Count > 0 => "INSi confirms the INS but its traits differ from the stored ones: nothing was changed; identity vigilance is alerted.",
                    _ => "INSi returns another INS for these traits: nothing was changed; identity vigilance is alerted.",
                };
                var view = await ViewAsync(snapshot, ct).ConfigureAwait(false);
                return Action(result, exchanges, false, differences, message, view) with { AlertId = alert.Id };
            }
        }
    }

    private async Task<InsiActionResult> CollisionAsync(IdentityRecord snapshot, InsiPortResult result, IReadOnlyList<InsiExchange> exchanges, Guid holder, InsIdentifier ins, Actor actor, CancellationToken ct)
    {
        ClearAfterSave(); // drops a failed save's changes (a group has none: its holder check saved the group first)
        var now = Now();
        VigilanceAlert alert;
        var tx = await OwnTransactionAsync(ct).ConfigureAwait(false);
        await using (tx)
        {
            alert = await RaiseAlertOnceAsync(AlertKinds.Collision, snapshot.Id, holder, exchanges[^1].Id, ins.Oid, actor, now, ct).ConfigureAwait(false);
            var values = new { ins = ins.Matricule.Value, insOid = ins.Oid, exchangeId = exchanges[^1].Id, alertId = alert.Id };
            await AuditAsync(actor, "identity.ins-collision", snapshot.Id, null, new { values.ins, values.insOid, values.exchangeId, values.alertId, heldBy = holder }, ct).ConfigureAwait(false);
            await AuditAsync(actor, "identity.ins-collision", holder, null, new { values.ins, values.insOid, values.exchangeId, values.alertId, returnedFor = snapshot.Id }, ct).ConfigureAwait(false);
            await SaveAsync(ct).ConfigureAwait(false);
            await CommitOwnAsync(tx, ct).ConfigureAwait(false);
        }

        ClearAfterSave();
        LogCollision(log, snapshot.Id, holder);
        var view = await ViewAsync(await LoadAsync(snapshot.Id, tracking: false, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
        return Action(result, exchanges, false, [], $"INSi returned an INS that identity {holder} already holds: nothing was applied; identity vigilance must decide (possible duplicate or collision).", view)
            with { CollisionWith = holder, AlertId = alert.Id };
    }

    private async Task<Guid?> HolderAsync(InsIdentifier ins, Guid self, CancellationToken ct)
    {
        await FlushGroupAsync(ct).ConfigureAwait(false); // an INS given or moved earlier in a group must be seen
        var m = ins.Matricule.Value;
        return await db.Identities.AsNoTracking().Where(x => x.InsMatricule == m && x.InsOid == ins.Oid && x.Id != self).Select(x => (Guid?)x.Id).FirstOrDefaultAsync(ct).ConfigureAwait(false);
    }

    private async Task<Guid?> HolderAfterFailureAsync(InsIdentifier ins, Guid self)
    {
        db.ChangeTracker.Clear();
        return await HolderAsync(ins, self, CancellationToken.None).ConfigureAwait(false);
    }

    private async Task ResolveAlertsAsync(Guid identityId, string[] kinds, string resolution, Actor actor, DateTimeOffset now, CancellationToken ct)
    {
        if (group?.WithoutOpenAlerts.Contains(identityId) == true)
        {
            return; // the group read, in its transaction, that this identity has no open alert: nothing to resolve
        }

        await FlushGroupAsync(ct).ConfigureAwait(false); // an alert raised earlier in a group must be found

        var open = await db.VigilanceAlerts.Where(a => a.IdentityId == identityId && a.ResolvedAt == null && kinds.Contains(a.Kind)).ToListAsync(ct).ConfigureAwait(false);
        foreach (var a in open)
        {
            a.ResolvedAt = now;
            a.ResolvedBy = actor.Name;
            a.Resolution = resolution;
        }
    }

    /// <summary>The INSi answer as domain values; an untrusted or refused INS, or unusable traits, stop here (exchange kept).</summary>
    private Returned ReadReturned(InsiReturnedIdentity r, Guid exchangeId)
    {
        if (!r.Active.KeyChecks || !InsIdentifier.TryCreate(r.Active.Matricule, r.Active.Oid, options.InsPolicy, out var ins, out _))
        {
            var why = r.Active.KeyChecks ? "refused by the INS policy" : "its key does not check";
            throw new AppFailure(new AppError(ErrorKind.Upstream, "insi.ins-refused", $"INSi returned an INS the gateway does not trust ({why}); exchange {exchangeId} recorded.",
                Data: new Dictionary<string, object?>(StringComparer.Ordinal) { ["exchangeId"] = exchangeId, ["reason"] = r.Active.KeyChecks ? "policy" : "wrong-key" }));
        }

        var dates = new Dictionary<string, (DateOnly? From, DateOnly? To)>(StringComparer.Ordinal) { [ins!.Matricule.Value] = (r.Active.ValidFrom, r.Active.ValidTo) };
        var history = new List<InsIdentifier>();
        foreach (var h in r.History)
        {
            // History entries that do not check are left out (they stay in the raw exchange); the active INS is never a history row.
            if (h.KeyChecks && InsIdentifier.TryCreate(h.Matricule, h.Oid, options.InsPolicy, out var old, out _) && !old!.Equals(ins) && !history.Contains(old))
            {
                history.Add(old);
                dates[old.Matricule.Value] = (h.ValidFrom, h.ValidTo);
            }
        }

        var traits = r.ToTraits();
        if (traits is null)
        {
            throw new AppFailure(new AppError(ErrorKind.Upstream, "insi.traits-invalid", $"INSi returned traits the gateway cannot store; exchange {exchangeId} recorded.",
                Data: new Dictionary<string, object?>(StringComparer.Ordinal) { ["exchangeId"] = exchangeId }));
        }

        return new Returned(ins, history, traits, dates);
    }

    private static AppError UpstreamError(InsiPortResult result, Guid exchangeId) =>
        new(result.Code is "input" ? ErrorKind.Unprocessable : ErrorKind.Upstream,
            result.Code is "input" ? "insi.input" : "insi.error",
            $"INSi call failed ({result.Code ?? "error"}); exchange {exchangeId} recorded.",
            Data: new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["exchangeId"] = exchangeId,
                ["code"] = result.Code,
                ["attempts"] = result.Attempts,
            });

    private static InsiActionResult Action(InsiPortResult result, IReadOnlyList<InsiExchange> exchanges, bool applied, IReadOnlyList<TraitDifference> mismatches, string? message, IdentityView view) =>
        new(exchanges[^1].Id, exchanges[^1].Outcome, result.Code, applied, mismatches, message, view,
            result.Verification is { } v ? VerificationCode(v) : null, result.Attempts, exchanges.Select(e => e.Id).ToList());

    private static string OutcomeCode(InsiCallOutcome o) => o switch
    {
        InsiCallOutcome.Found => "found",
        InsiCallOutcome.NotFound => "not-found",
        InsiCallOutcome.Multiple => "multiple",
        _ => "error",
    };

    private static string AttemptOutcome(string traced) => traced switch
    {
        "CR 00" => "found",
        "CR 01" => "not-found",
        "CR 02" => "multiple",
        _ => "error",
    };

    private static string VerificationCode(InsiVerificationOutcome v) => v switch
    {
        InsiVerificationOutcome.Confirmed => "confirmed",
        InsiVerificationOutcome.ReplacedByNewer => "replaced-by-newer",
        InsiVerificationOutcome.Mismatch => "mismatch",
        InsiVerificationOutcome.NotFound => "not-found",
        _ => "ambiguous",
    };

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Warning, Message = "INSi returned for identity {IdentityId} an INS that identity {HolderId} holds: collision raised")]
    private static partial void LogCollision(Microsoft.Extensions.Logging.ILogger logger, Guid identityId, Guid holderId);

    private static async Task CommitOwnAsync(Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction? tx, CancellationToken ct)
    {
        if (tx is not null)
        {
            await tx.CommitAsync(ct).ConfigureAwait(false);
        }
    }

    private sealed record Returned(InsIdentifier Ins, IReadOnlyList<InsIdentifier> History, IdentityTraits Traits, IReadOnlyDictionary<string, (DateOnly? From, DateOnly? To)> Dates);
}

/// <summary>An INSi call made for a stored identity, not yet recorded nor applied (see <see cref="IdentityService.CallInsiAsync"/>).</summary>
/// <param name="Operation"><c>search</c> or <c>verify</c>.</param>
/// <param name="Snapshot">The identity as read before the call (its version guards the change).</param>
/// <param name="Domain">The RNIV aggregate of the snapshot.</param>
/// <param name="Port">What INSi answered.</param>
/// <param name="Transliterated">The traits sent were a confirmed transliteration.</param>
internal sealed record InsiCall(string Operation, IdentityRecord Snapshot, RnivIdentity Domain, InsiPortResult Port, bool Transliterated)
{
    /// <summary>The identity's version when it was read for the call: the change applied from the answer requires it still.</summary>
    public long ReadVersion { get; } = Snapshot.Version;

    /// <summary>
    /// The audit "before" image of <see cref="Snapshot"/> (<see cref="IdentityService.BeforeImage"/>), made by a batch in
    /// its call phase so that the chunk's write, the batch's critical path, does not make it; null: made when needed.
    /// </summary>
    public string? BeforeImage { get; set; }

    /// <summary>The application prepared in a batch's call phase (<see cref="IdentityService.PrepareApply"/>); null: decided in the write.</summary>
    public PreparedVerification? Prepared { get; set; }
}

/// <summary>A confirmed verification made ready in a batch's call phase; the write adds it as <see cref="IdentityService.ApplyInsiCallAsync"/> would.</summary>
/// <param name="Exchanges">The exchange rows.</param>
/// <param name="CallAudit">New values of the <c>insi.verify</c> event.</param>
/// <param name="Row">The row's columns as read (no related rows): attached, its version guarding the save.</param>
/// <param name="After">The row's columns as the change leaves them (version stamped as the save will).</param>
/// <param name="AfterAudit">New values of the <c>identity.ins-verified</c> event.</param>
/// <param name="AfterImageHash">Hash of the after-image (<see cref="RowImage.Hash"/>), which that event commits to.</param>
/// <param name="Change">The change as the identity sinks (HL7 feed) are told of it.</param>
/// <param name="View">The identity after the change (the batch reads its INS).</param>
internal sealed record PreparedVerification(List<InsiExchange> Exchanges, string CallAudit, IdentityRecord Row, IdentityRecord After, string AfterAudit, string AfterImageHash, IdentityChange Change, IdentityView View);

/// <summary>
/// What <see cref="IdentityService.ApplyInsiCallsAsync"/> knows while it applies a group of calls in one save: the rows
/// read before the calls (each taken once as the row to change) and the identities read to have no open alert.
/// </summary>
/// <param name="withoutOpenAlerts">Identities of the group with no open vigilance alert when the group began.</param>
internal sealed class InsiApplyGroup(HashSet<Guid> withoutOpenAlerts)
{
    /// <summary>Identities of the group with no open alert (one raised during the group takes its identity off).</summary>
    public HashSet<Guid> WithoutOpenAlerts { get; } = withoutOpenAlerts;

    /// <summary>Rows read before the calls (with their audit image when made in advance), by identity id, not yet taken as the row to change.</summary>
    public Dictionary<Guid, (IdentityRecord Row, string? Before)> Snapshots { get; } = [];
}
