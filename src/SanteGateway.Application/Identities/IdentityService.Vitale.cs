using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using SanteGateway.Identity;
using SanteGateway.Store.Entities;

namespace SanteGateway.Application;

/// <summary>
/// INSi search with the data read from a Vitale card (<c>rechercherInsAvecCarteVitale</c>). A user reads the card at the
/// desk and asks: the call is never automatic and always presents the user-call certificate (INSI-MANU). The card only
/// tells INSi whom to look up: it is never identity evidence, so what the card brings can make an identity RECUP at most
/// (QUAL still needs a high-trust document check, recorded separately).
/// </summary>
public sealed partial class IdentityService
{
    /// <summary>Operation name of the exchanges and of the audit event (<c>insi.vitale-search</c>).</summary>
    public const string VitaleOperation = "vitale-search";

    /// <summary>
    /// INSi search with a Vitale card for an existing identity, applied as the traits search is
    /// (<see cref="InsiSearchAsync"/>): the exchanges are recorded and audited first; INSi's traits must match the
    /// stored ones, an INS another identity holds raises a collision, and a match makes a PROV identity RECUP (a VALI
    /// one QUAL, by its earlier document check, never by the card). No evidence is recorded from the card.
    /// </summary>
    /// <param name="id">Identity id.</param>
    /// <param name="req">Card data.</param>
    /// <param name="actor">Who (a user: an automatic process is refused).</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>What INSi said and what was applied; field errors naming the card field; <c>insi.vitale-user-only</c>.</returns>
    public Task<Result<InsiActionResult>> InsiSearchVitaleAsync(Guid id, InsiVitaleRequest? req, Actor actor, CancellationToken ct) => AppFailure.Run(async () =>
    {
        ArgumentNullException.ThrowIfNull(actor);
        var snapshot = await LoadAsync(id, tracking: false, ct).ConfigureAwait(false);
        EnsureLive(snapshot);
        var domain = IdentityRows.ToDomain(snapshot);
        if (domain.CheckInsiCall() is { Rule: "rniv.insi-blocked" } blocked)
        {
            // The sex is not sent with a card: only the doubtful/fictitious block applies here.
            throw new AppFailure(AppError.Field(ErrorKind.Conflict, blocked.Field, blocked.Rule, blocked.Message));
        }

        var card = VitaleCard(req, actor);
        var port = await CallPortAsync(VitaleOperation, snapshot.Id, c => insi.SearchWithVitaleAsync(new InsiVitaleSearchRequest(card, options.UserCallCertificate, snapshot.Id.ToString()) { Establishment = actor.Establishment }, c), ct).ConfigureAwait(false);
        var exchanges = await RecordExchangesAsync(VitaleOperation, snapshot.Id, actor, port, false, ct).ConfigureAwait(false);
        return await ApplySearchAsync(new InsiCall(VitaleOperation, snapshot, domain, port, false), exchanges, actor, ct).ConfigureAwait(false);
    });

    /// <summary>
    /// INSi search with a Vitale card for a person the desk has not picked from the store: when INSi finds one person
    /// whose INS no identity holds and whose traits no identity has, the identity is created from INSi's answer with the
    /// status RECUP (the card is not a high-trust document); when an identity holds the INS it is returned unchanged;
    /// when identities have the same traits without the INS nothing is created (search INSi for one of them with
    /// <see cref="InsiSearchVitaleAsync"/>). The exchanges are recorded and audited before anything else.
    /// </summary>
    /// <param name="req">Card data.</param>
    /// <param name="actor">Who (a user: an automatic process is refused).</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>What INSi said and what was done; field errors naming the card field; <c>insi.vitale-user-only</c>.</returns>
    public Task<Result<InsiVitaleResult>> CreateFromVitaleAsync(InsiVitaleRequest? req, Actor actor, CancellationToken ct) => AppFailure.Run(async () =>
    {
        ArgumentNullException.ThrowIfNull(actor);
        var card = VitaleCard(req, actor);
        var correlation = Guid.NewGuid();
        var port = await CallPortAsync(VitaleOperation, Guid.Empty, c => insi.SearchWithVitaleAsync(new InsiVitaleSearchRequest(card, options.UserCallCertificate, correlation.ToString()) { Establishment = actor.Establishment }, c), ct).ConfigureAwait(false);
        var exchanges = await RecordExchangesAsync(VitaleOperation, null, actor, port, false, ct).ConfigureAwait(false);
        var last = exchanges[^1];
        var ids = exchanges.Select(e => e.Id).ToList();
        if (port.Outcome == InsiCallOutcome.Error)
        {
            throw new AppFailure(UpstreamError(port, last.Id));
        }

        if (port.Outcome != InsiCallOutcome.Found || port.Identity is null)
        {
            var message = port.Outcome == InsiCallOutcome.Multiple
                ? "INSi returned several identities for this card: check the beneficiary (rank, own NIR) or search with the traits."
                : "INSi found no identity for this card; nothing was created.";
            return new InsiVitaleResult(last.Id, OutcomeCode(port.Outcome), port.Code, false, message, null, ids);
        }

        var returned = ReadReturned(port.Identity, last.Id);
        if (await HolderAsync(returned.Ins, Guid.Empty, ct).ConfigureAwait(false) is { } holder)
        {
            return await KnownAsync(holder, port, exchanges, ct).ConfigureAwait(false);
        }

        if (returned.Traits.BirthFirstNames.Count == 0)
        {
            return new InsiVitaleResult(last.Id, OutcomeCode(port.Outcome), port.Code, false,
                "INSi returned no first name for this person: create the identity from the person's document, then search INSi for it with the card.", null, ids);
        }

        var duplicates = await FindDuplicatesAsync(returned.Traits, null, ct).ConfigureAwait(false);
        if (duplicates.Count > 0)
        {
            return new InsiVitaleResult(last.Id, OutcomeCode(port.Outcome), port.Code, false,
                $"An identity with the same strict traits exists without this INS ({string.Join(", ", duplicates.Select(d => d.Id))}): search INSi with the card for it instead of creating another.",
                null, ids, Duplicates: duplicates);
        }

        var now = Now();
        var domain = RnivIdentity.CreateProvisional(returned.Traits, CollectionChannel.CV);
        Transition(domain.RecordInsiResult(returned.Ins, returned.History, returned.Traits, now), "ins", "rniv.insi-result");
        var record = new IdentityRecord { Id = Guid.CreateVersion7(now), CreatedAt = now, UpdatedAt = now, Version = 1 };
        IdentityRows.Apply(domain, record, now, [], returned.Dates);
        var potential = await FindPotentialDuplicatesAsync(record, ct).ConfigureAwait(false);
        try
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct).ConfigureAwait(false);
            db.Identities.Add(record);
            foreach (var row in await db.InsiExchanges.Where(x => ids.Contains(x.Id)).ToListAsync(ct).ConfigureAwait(false))
            {
                row.IdentityId = record.Id;
            }

            await AuditAsync(actor, "identity.created", record.Id, null, IdentityRows.Snapshot(record), ct, extra: new { exchangeId = last.Id, source = "vitale-card" }).ConfigureAwait(false);
            foreach (var p in potential)
            {
                RaiseAlert(AlertKinds.PotentialDuplicate, record.Id, p.Id, null, string.Join(",", p.Reasons), actor, now);
            }

            Notify(new IdentityChange(record.Id, domain, IdentityChangeKind.Created));
            await db.SaveChangesAsync(ct).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
        }
        catch (DbUpdateException ex) when (ex is not DbUpdateConcurrencyException)
        {
            // Another request gave the same INS to an identity between our check and our save (unique index).
            var racer = await HolderAfterFailureAsync(returned.Ins, Guid.Empty).ConfigureAwait(false);
            if (racer is null)
            {
                throw;
            }

            return await KnownAsync(racer.Value, port, exchanges, ct).ConfigureAwait(false);
        }

        db.ChangeTracker.Clear();
        LogCreated(log, record.Id, record.Status);
        var view = await ViewAsync(await LoadAsync(record.Id, tracking: false, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
        return new InsiVitaleResult(last.Id, OutcomeCode(port.Outcome), port.Code, true,
            "Identity created from INSi's answer with the status RECUP: check a high-trust identity document to qualify it (the Vitale card is not one).", view, ids);
    });

    /// <summary>The card found a person an identity already holds the INS of: the exchanges go to that identity, nothing changes.</summary>
    private async Task<InsiVitaleResult> KnownAsync(Guid holder, InsiPortResult port, IReadOnlyList<InsiExchange> exchanges, CancellationToken ct)
    {
        db.ChangeTracker.Clear();
        var ids = exchanges.Select(e => e.Id).ToList();
        await db.InsiExchanges.Where(x => ids.Contains(x.Id)).ExecuteUpdateAsync(u => u.SetProperty(x => x.IdentityId, (Guid?)holder), ct).ConfigureAwait(false);
        var view = await ViewAsync(await LoadAsync(holder, tracking: false, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
        return new InsiVitaleResult(exchanges[^1].Id, OutcomeCode(port.Outcome), port.Code, false,
            $"This person is already known: identity {holder} holds the INS INSi returned; nothing was created or changed.", view, ids, KnownIdentityId: holder);
    }

    /// <summary>
    /// The card data, checked field by field before anything is sent; a process may not make this call: a card is read
    /// by a user at the desk (INSI-MANU).
    /// </summary>
    private static InsiVitaleCard VitaleCard(InsiVitaleRequest? req, Actor actor)
    {
        if (actor.Trigger != Trigger.User)
        {
            throw new AppFailure(AppError.Field(ErrorKind.Forbidden, "actor", "insi.vitale-user-only",
                "A search with the Vitale card is made by a user who read the card (INSI-MANU); an automatic process may not make it."));
        }

        var errors = new FieldErrors();
        var insured = Nir(errors, "insuredNir", req?.InsuredNir, required: true);
        var beneficiary = Nir(errors, "beneficiaryNir", req?.BeneficiaryNir, required: false);
        var name = req?.BirthName?.Trim();
        if (string.IsNullOrEmpty(name))
        {
            errors.Add("birthName", "required", "The name read from the card is required.");
        }
        else if (name.Length > 100)
        {
            errors.Add("birthName", "length", "The name read from the card exceeds 100 characters.");
        }

        var date = req?.BirthDate?.Trim();
        if (string.IsNullOrEmpty(date))
        {
            errors.Add("birthDate", "required", "The birth date read from the card is required.");
        }
        else if (!CardDate().IsMatch(date))
        {
            errors.Add("birthDate", "format", "The birth date read from the card must be YYYY-MM-DD (a lunar date such as 1960-00-00 is accepted as is).");
        }

        if (req?.Rank is < 1 or > 9)
        {
            errors.Add("rank", "range", "The birth rank is between 1 and 9.");
        }

        errors.ThrowIfAny();
        return new InsiVitaleCard(insured!.Value.Number, insured.Value.Key, beneficiary?.Number, beneficiary?.Key, name!, date!, req!.Rank ?? 1);
    }

    private static (string Number, string? Key)? Nir(FieldErrors errors, string field, string? value, bool required)
    {
        var v = value?.Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant();
        if (string.IsNullOrEmpty(v))
        {
            if (required)
            {
                errors.Add(field, "required", "The NIR read from the card is required.");
            }

            return null;
        }

        if (!CardNir().IsMatch(v))
        {
            errors.Add(field, "format", "A NIR has 13 characters (6 digits, a digit or A/B, 6 digits), optionally followed by its 2-digit key.");
            return null;
        }

        if (v.Length == 15 && !InsMatricule.IsValid(v))
        {
            errors.Add(field, "key", "The key of this NIR does not check (misread card?).");
            return null;
        }

        return (v[..13], v.Length == 15 ? v[13..] : null);
    }

    [GeneratedRegex(@"^[0-9]{6}[AB0-9][0-9]{6}([0-9]{2})?$", RegexOptions.CultureInvariant)]
    private static partial Regex CardNir();

    [GeneratedRegex(@"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", RegexOptions.CultureInvariant)]
    private static partial Regex CardDate();
}
