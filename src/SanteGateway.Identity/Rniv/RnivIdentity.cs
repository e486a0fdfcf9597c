namespace SanteGateway.Identity;

/// <summary>
/// A stored identity under the RNIV rules: traits, confidence status, attributes, INS, evidence and collection channel.
/// Every change goes through a transition method that either applies it whole or refuses it with a reason.
/// </summary>
/// <remarks>
/// <para>Invariants (checked by <see cref="Restore"/> and kept by every transition):</para>
/// <list type="bullet">
/// <item>PROV and VALI hold no INS; RECUP and QUAL hold one (with the INSi history, kept verbatim).</item>
/// <item>VALI and QUAL hold evidence (a high-trust document check).</item>
/// <item>Doubtful or fictitious ⇒ PROV, no INS, INSi calls blocked. Only doubtful + homonym combine.</item>
/// </list>
/// <para>Transitions:</para>
/// <list type="table">
/// <item><term><see cref="RecordInsiResult"/></term><description>PROV→RECUP, VALI→QUAL (RECUP/QUAL refresh their INS); refused when doubtful or fictitious.</description></item>
/// <item><term><see cref="RecordHighTrustEvidence"/></term><description>PROV→VALI, RECUP→QUAL (VALI/QUAL renew their evidence).</description></item>
/// <item><term><see cref="RecordAppCvRead"/></term><description>any status → QUAL directly (Appli carte Vitale, no INSi call).</description></item>
/// <item><term><see cref="SetAttributes"/></term><description>doubtful/fictitious force PROV and drop the INS.</description></item>
/// <item><term><see cref="EditStrictTraits(IdentityTraits)"/></term><description>QUAL→VALI, RECUP→PROV, INS dropped.</description></item>
/// <item><term><see cref="WithdrawQualification"/></term><description>QUAL→RECUP (and VALI→PROV): the document check no longer holds.</description></item>
/// <item><term><see cref="RemoveIns"/></term><description>wrong INS: RECUP→PROV, QUAL→VALI.</description></item>
/// </list>
/// <para>Not thread-safe: load, change and save one instance per unit of work.</para>
/// </remarks>
public sealed class RnivIdentity
{
    private const IdentityAttributes Blocking = IdentityAttributes.Doubtful | IdentityAttributes.Fictitious;

    private RnivIdentity(IdentityTraits traits, CollectionChannel channel)
    {
        Traits = traits;
        Channel = channel;
    }

    /// <summary>The current traits. After an INSi result or an AppCV read, the strict traits are those returned, verbatim.</summary>
    public IdentityTraits Traits { get; private set; }

    /// <summary>The traits of the last INSi (or AppCV) result, verbatim; null when the identity holds no INS.</summary>
    public IdentityTraits? InsiTraits { get; private set; }

    /// <summary>The confidence status.</summary>
    public IdentityStatus Status { get; private set; }

    /// <summary>The attributes (homonym, doubtful, fictitious).</summary>
    public IdentityAttributes Attributes { get; private set; }

    /// <summary>The active INS, held only by RECUP and QUAL identities. Send it only when <see cref="CanTransmitIns"/>.</summary>
    public InsIdentifier? Ins { get; private set; }

    /// <summary>The previous INS returned by INSi (<c>INSHISTO</c>), verbatim; empty when there is no INS.</summary>
    public IReadOnlyList<InsIdentifier> InsHistory { get; private set; } = [];

    /// <summary>The last accepted high-trust document check, if any (kept when a doubtful/fictitious attribute forces PROV, for traceability).</summary>
    public Evidence? Evidence { get; private set; }

    /// <summary>How the identity was collected (ZFD-5).</summary>
    public CollectionChannel Channel { get; private set; }

    /// <summary>When INSi was last called successfully for this identity (ZFD-6).</summary>
    public DateTimeOffset? InsiCalledAt { get; private set; }

    /// <summary>True only for a QUAL identity: the only status whose INS may be sent, printed or put in a DataMatrix.</summary>
    public bool CanTransmitIns => Status == IdentityStatus.Qual && Ins is not null;

    /// <summary>The INS when it may be transmitted (<see cref="CanTransmitIns"/>), otherwise null.</summary>
    public InsIdentifier? TransmittableIns => CanTransmitIns ? Ins : null;

    /// <summary>False when the identity is doubtful or fictitious: INSi must not be called.</summary>
    public bool CanCallInsi => (Attributes & Blocking) == 0;

    /// <summary>Creates a provisional (PROV) identity from typed or imported traits.</summary>
    /// <param name="traits">Validated traits.</param>
    /// <param name="channel">How they were collected (manual entry by default).</param>
    /// <returns>The identity, status PROV, no attribute.</returns>
    public static RnivIdentity CreateProvisional(IdentityTraits traits, CollectionChannel channel = CollectionChannel.SM)
    {
        ArgumentNullException.ThrowIfNull(traits);
        if (!Enum.IsDefined(channel))
        {
            throw new ArgumentOutOfRangeException(nameof(channel), channel, "Unknown collection channel.");
        }

        return new RnivIdentity(traits, channel);
    }

    /// <summary>Rebuilds an identity from stored state, re-checking every invariant (for persistence).</summary>
    /// <param name="traits">The current traits.</param>
    /// <param name="status">The status.</param>
    /// <param name="attributes">The attributes.</param>
    /// <param name="ins">The active INS, or null.</param>
    /// <param name="insHistory">The INS history, or null for none.</param>
    /// <param name="evidence">The last evidence, or null.</param>
    /// <param name="channel">The collection channel.</param>
    /// <param name="insiCalledAt">The last INSi call, or null.</param>
    /// <param name="insiTraits">The traits of the last INSi result, or null.</param>
    /// <returns>The identity, or every broken invariant (field + rule). The evidence is not re-checked against today's
    /// high-trust list: it was accepted under the list in force when it was recorded.</returns>
    public static ValidationResult<RnivIdentity> Restore(
        IdentityTraits? traits,
        IdentityStatus status,
        IdentityAttributes attributes,
        InsIdentifier? ins,
        IReadOnlyList<InsIdentifier>? insHistory,
        Evidence? evidence,
        CollectionChannel channel,
        DateTimeOffset? insiCalledAt,
        IdentityTraits? insiTraits = null)
    {
        var errors = new List<ValidationError>();
        var history = insHistory?.ToArray() ?? [];
        if (traits is null)
        {
            errors.Add(new ValidationError(nameof(Traits), "required", "The traits are missing."));
        }

        if (!Enum.IsDefined(status))
        {
            errors.Add(new ValidationError(nameof(Status), "defined", "Unknown status."));
        }

        if (!Enum.IsDefined(channel))
        {
            errors.Add(new ValidationError(nameof(Channel), "defined", "Unknown collection channel."));
        }

        if (CheckAttributes(attributes) is { } attributeError)
        {
            errors.Add(new ValidationError(nameof(Attributes), "combination", attributeError));
        }

        if ((attributes & Blocking) != 0 && status != IdentityStatus.Prov)
        {
            errors.Add(new ValidationError(nameof(Status), "attribute-forces-prov", "A doubtful or fictitious identity must be PROV."));
        }

        if ((attributes & Blocking) != 0 && ins is not null)
        {
            errors.Add(new ValidationError(nameof(Ins), "attribute-drops-ins", "A doubtful or fictitious identity holds no INS."));
        }

        if (status is IdentityStatus.Prov or IdentityStatus.Vali && ins is not null)
        {
            errors.Add(new ValidationError(nameof(Ins), "no-ins-without-insi", "A PROV or VALI identity holds no INS (its traits were not obtained from INSi)."));
        }

        if (status is IdentityStatus.Recup or IdentityStatus.Qual && ins is null)
        {
            errors.Add(new ValidationError(nameof(Ins), "ins-required", "A RECUP or QUAL identity holds the INS returned by INSi."));
        }

        if (status is IdentityStatus.Vali or IdentityStatus.Qual && evidence is null)
        {
            errors.Add(new ValidationError(nameof(Evidence), "evidence-required", "A VALI or QUAL identity holds the high-trust document check."));
        }

        if (ins is null && history.Length > 0)
        {
            errors.Add(new ValidationError(nameof(InsHistory), "history-without-ins", "An INS history is kept only with its active INS."));
        }

        if (history.Any(h => h is null))
        {
            errors.Add(new ValidationError(nameof(InsHistory), "required", "The INS history holds a null entry."));
        }

        if (errors.Count > 0)
        {
            return ValidationResult<RnivIdentity>.Failure(errors);
        }

        return ValidationResult<RnivIdentity>.Success(new RnivIdentity(traits!, channel)
        {
            Status = status,
            Attributes = attributes,
            Ins = ins,
            InsHistory = history,
            Evidence = evidence,
            InsiCalledAt = insiCalledAt,
            InsiTraits = ins is null ? null : insiTraits,
        });
    }

    /// <summary>Null when the attributes may be combined; otherwise why not.</summary>
    /// <param name="attributes">The attributes.</param>
    /// <returns>The reason, or null.</returns>
    public static string? CheckAttributes(IdentityAttributes attributes)
    {
        const IdentityAttributes all = IdentityAttributes.Homonym | IdentityAttributes.Doubtful | IdentityAttributes.Fictitious;
        if ((attributes & ~all) != 0)
        {
            return "Unknown attribute.";
        }

        if (attributes.HasFlag(IdentityAttributes.Fictitious | IdentityAttributes.Doubtful))
        {
            return "An identity cannot be both doubtful and fictitious.";
        }

        if (attributes.HasFlag(IdentityAttributes.Fictitious | IdentityAttributes.Homonym))
        {
            return "A fictitious identity cannot also be homonym (only doubtful + homonym combine).";
        }

        return null;
    }

    /// <summary>
    /// Records a successful INSi answer (CR 00): PROV→RECUP, VALI→QUAL; RECUP and QUAL keep their status with the new INS.
    /// </summary>
    /// <remarks>For a VALI or QUAL identity the returned traits must match the document-checked traits (birth name and
    /// first first-name compared in the INSi profile, sex, birth date, birth place when both are known); otherwise the
    /// answer is refused as a collision to investigate. For PROV and RECUP the returned traits replace the local ones.
    /// The local used name and used first name are kept.</remarks>
    /// <param name="ins">The active INS (<c>INSACTIF</c>).</param>
    /// <param name="history">The previous INS (<c>INSHISTO</c>), verbatim.</param>
    /// <param name="insiTraits">The traits returned (<c>TIQ</c>), verbatim.</param>
    /// <param name="at">When INSi was called.</param>
    /// <returns>Done, or refused with the reason.</returns>
    public TransitionResult RecordInsiResult(InsIdentifier ins, IReadOnlyList<InsIdentifier> history, IdentityTraits insiTraits, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(ins);
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(insiTraits);
        if (!CanCallInsi)
        {
            return TransitionResult.Refused("INSi calls are blocked for a doubtful or fictitious identity.");
        }

        if (history.Any(h => h is null))
        {
            return TransitionResult.Refused("The INS history holds a null entry.");
        }

        if (Status is IdentityStatus.Vali or IdentityStatus.Qual && TraitComparison.Differences(Traits, insiTraits) is { Count: > 0 } differences)
        {
            return TransitionResult.Refused("rniv.insi-traits-differ", $"The INSi traits differ from the document-checked traits ({string.Join(", ", differences.Select(d => d.Field))}); the identity keeps its status.");
        }

        if (history.Any(h => h.Equals(ins)))
        {
            return TransitionResult.Refused("rniv.history-holds-active", "The active INS cannot also be a history entry.");
        }

        Status = Status is IdentityStatus.Vali or IdentityStatus.Qual ? IdentityStatus.Qual : IdentityStatus.Recup;
        Ins = ins;
        InsHistory = history.ToArray();
        InsiTraits = insiTraits;
        Traits = AdoptInsiTraits(insiTraits);
        Channel = CollectionChannel.INSI;
        InsiCalledAt = at;
        return TransitionResult.Ok;
    }

    /// <summary>
    /// A verification found that INSi now holds a newer INS for this person (the stored one is in its history): the
    /// newer INS becomes active and the previous one goes to the history; the status is unchanged.
    /// </summary>
    /// <param name="newer">The INS now active at INSi.</param>
    /// <param name="history">INSi's history (it holds the INS that was active here).</param>
    /// <param name="at">When INSi answered.</param>
    /// <returns>The transition result.</returns>
    public TransitionResult RecordNewerIns(InsIdentifier newer, IReadOnlyList<InsIdentifier> history, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(newer);
        ArgumentNullException.ThrowIfNull(history);
        if (Ins is null)
        {
            return TransitionResult.Refused("rniv.no-ins", "The identity holds no INS to replace.");
        }

        if (history.Any(h => h is null) || history.Any(h => h.Equals(newer)))
        {
            return TransitionResult.Refused("rniv.history-holds-active", "The INS history holds a null entry or the active INS.");
        }

        var previous = Ins;
        Ins = newer;
        InsHistory = history.Any(h => h.Equals(previous)) ? history.ToArray() : [previous, .. history];
        InsiCalledAt = at;
        return TransitionResult.Ok;
    }

    /// <summary>
    /// Why INSi may not be called for this identity: a doubtful or fictitious identity (EXI SI 09), or a sex other than
    /// F or M (INSi knows no other). Null when the call is allowed.
    /// </summary>
    /// <returns>The refusal (field, rule, message), or null.</returns>
    public ValidationError? CheckInsiCall()
    {
        if (!CanCallInsi)
        {
            return new ValidationError("attributes", "rniv.insi-blocked", "INSi cannot be called for a doubtful or fictitious identity (EXI SI 09).");
        }

        return Traits.Sex is Sex.Female or Sex.Male ? null : new ValidationError("sex", "insi.sex", "INSi needs the sex F or M.");
    }

    /// <summary>
    /// Strict traits of a RECUP, VALI or QUAL identity are locked: only identity vigilance may change them (the change
    /// then downgrades the status, see <see cref="EditStrictTraits(IdentityTraits)"/>).
    /// </summary>
    /// <param name="traits">The new traits.</param>
    /// <param name="byIdentityVigilance">Whether the actor holds the identity-vigilance role.</param>
    /// <returns>The transition result; refused with <c>rniv.strict-traits-locked</c> when locked.</returns>
    public TransitionResult EditStrictTraits(IdentityTraits traits, bool byIdentityVigilance)
    {
        ArgumentNullException.ThrowIfNull(traits);
        if (!traits.HasSameStrictTraits(Traits) && Status != IdentityStatus.Prov && !byIdentityVigilance)
        {
            return TransitionResult.Refused("rniv.strict-traits-locked", $"Strict traits of a {RnivCodes.ToCode(Status)} identity are locked; only identity-vigilance may unlock them.");
        }

        return EditStrictTraits(traits);
    }

    /// <summary>Records the check of a high-trust identification document: PROV→VALI, RECUP→QUAL; VALI and QUAL renew their evidence.</summary>
    /// <param name="evidence">The check (type, date, expiry).</param>
    /// <param name="policy">The structure's high-trust list.</param>
    /// <returns>Done, or refused: type not in the list, document expired, doubtful or fictitious identity.</returns>
    public TransitionResult RecordHighTrustEvidence(Evidence evidence, HighTrustDocumentPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        ArgumentNullException.ThrowIfNull(policy);
        if (!CanCallInsi)
        {
            return TransitionResult.Refused("A doubtful or fictitious identity stays PROV; remove the attribute before validating it.");
        }

        if (!policy.Accepts(evidence, out var reason))
        {
            return TransitionResult.Refused(reason);
        }

        Status = Status switch
        {
            IdentityStatus.Prov => IdentityStatus.Vali,
            IdentityStatus.Recup => IdentityStatus.Qual,
            _ => Status,
        };
        Evidence = evidence;
        return TransitionResult.Ok;
    }

    /// <summary>Records a read of the Appli carte Vitale (AppCV): the identity becomes QUAL directly, without an INSi call (RNIV §4.3.4).</summary>
    /// <param name="ins">The INS read from the application.</param>
    /// <param name="traits">The traits read, verbatim.</param>
    /// <param name="at">When it was read.</param>
    /// <param name="policy">The structure's high-trust list; it must include <c>AV</c>.</param>
    /// <returns>Done, or refused (AV not configured as high-trust, doubtful or fictitious identity).</returns>
    public TransitionResult RecordAppCvRead(InsIdentifier ins, IdentityTraits traits, DateTimeOffset at, HighTrustDocumentPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(ins);
        ArgumentNullException.ThrowIfNull(traits);
        ArgumentNullException.ThrowIfNull(policy);
        if (!CanCallInsi)
        {
            return TransitionResult.Refused("A doubtful or fictitious identity stays PROV and holds no INS.");
        }

        if (!policy.IsHighTrust(DocumentTypes.AppCarteVitale))
        {
            return TransitionResult.Refused("The structure has not configured the Appli carte Vitale (AV) as a high-trust device.");
        }

        Status = IdentityStatus.Qual;
        Ins = ins;
        InsHistory = [];
        InsiTraits = traits;
        Traits = KeepUsedNames(traits);
        Evidence = new Evidence(DocumentTypes.AppCarteVitale, DateOnly.FromDateTime(at.UtcDateTime), null);
        Channel = CollectionChannel.AV;
        return TransitionResult.Ok;
    }

    /// <summary>Sets the attributes. Doubtful or fictitious force PROV and drop the INS (and its history); the evidence is kept
    /// for traceability, but clearing the attribute later does not restore the status: record the checks again.</summary>
    /// <param name="attributes">The complete new set of attributes.</param>
    /// <returns>Done, or refused for a forbidden combination (doubtful + fictitious, fictitious + homonym).</returns>
    public TransitionResult SetAttributes(IdentityAttributes attributes)
    {
        if (CheckAttributes(attributes) is { } reason)
        {
            return TransitionResult.Refused(reason);
        }

        Attributes = attributes;
        if ((attributes & Blocking) != 0)
        {
            Status = IdentityStatus.Prov;
            DropIns();
        }

        return TransitionResult.Ok;
    }

    /// <summary>
    /// Replaces the traits. When a strict trait changes, the identity no longer matches what INSi returned: QUAL→VALI,
    /// RECUP→PROV, and the INS, its history and the INSi traits are dropped; the channel becomes manual entry (SM).
    /// VALI and PROV keep their status: strict traits are edited through the privileged unlock path, from the checked
    /// document. Changing only the used name or used first name changes nothing else.
    /// </summary>
    /// <param name="traits">The new traits.</param>
    /// <returns>Always done (the traits are already validated).</returns>
    public TransitionResult EditStrictTraits(IdentityTraits traits)
    {
        ArgumentNullException.ThrowIfNull(traits);
        if (!traits.HasSameStrictTraits(Traits))
        {
            Status = Status switch
            {
                IdentityStatus.Qual => IdentityStatus.Vali,
                IdentityStatus.Recup => IdentityStatus.Prov,
                _ => Status,
            };
            DropIns();
            Channel = CollectionChannel.SM;
        }

        Traits = traits;
        return TransitionResult.Ok;
    }

    /// <summary>Changes the used name and used first name (complementary traits): no status change.</summary>
    /// <param name="usedName">The used name, or null.</param>
    /// <param name="usedFirstName">The used first name, or null.</param>
    /// <returns>Done, or refused with the validation errors.</returns>
    public TransitionResult EditUsedNames(string? usedName, string? usedFirstName)
    {
        var result = Traits.WithUsedNames(usedName, usedFirstName);
        if (!result.IsValid)
        {
            return TransitionResult.Refused(result.ToString());
        }

        Traits = result.Value;
        return TransitionResult.Ok;
    }

    /// <summary>Withdraws the document check (proof no longer valid, doubt on the document): QUAL→RECUP, VALI→PROV. The INS of
    /// a former QUAL identity must then be withdrawn from partners (HL7 A47).</summary>
    /// <returns>Done, or refused when the identity is not VALI or QUAL.</returns>
    public TransitionResult WithdrawQualification()
    {
        switch (Status)
        {
            case IdentityStatus.Qual:
                Status = IdentityStatus.Recup;
                break;
            case IdentityStatus.Vali:
                Status = IdentityStatus.Prov;
                break;
            default:
                return TransitionResult.Refused($"Only a VALI or QUAL identity can lose its document check; this one is {Status.ToString().ToUpperInvariant()}.");
        }

        Evidence = null;
        return TransitionResult.Ok;
    }

    /// <summary>Removes a wrongly attributed INS (with its history): RECUP→PROV, QUAL→VALI.</summary>
    /// <returns>Done, or refused when the identity holds no INS.</returns>
    public TransitionResult RemoveIns()
    {
        if (Ins is null)
        {
            return TransitionResult.Refused("The identity holds no INS.");
        }

        Status = Status == IdentityStatus.Qual ? IdentityStatus.Vali : IdentityStatus.Prov;
        DropIns();
        return TransitionResult.Ok;
    }

    private void DropIns()
    {
        Ins = null;
        InsHistory = [];
        InsiTraits = null;
    }

    /// <summary>
    /// The traits kept after an INSi answer: INSi's strict traits verbatim, except that the first first-name chosen
    /// locally is kept when it is consistent with the INSi list (written as INSi writes it), an empty INSi first-name
    /// list keeps the local list, and the used names stay local (INSi has none).
    /// </summary>
    private IdentityTraits AdoptInsiTraits(IdentityTraits insi)
    {
        var names = insi.BirthFirstNames;
        var first = insi.FirstFirstName;
        if (names.Count == 0)
        {
            names = Traits.BirthFirstNames;
            first = Traits.FirstFirstName;
        }
        else if (TraitComparison.InsiFirstFirstName(Traits.FirstFirstName, names) is { } chosen)
        {
            first = chosen;
        }

        var adopted = IdentityTraits.Create(insi.BirthName, names, first, insi.Sex, insi.BirthDate, insi.BirthPlaceCog ?? Traits.BirthPlaceCog, Traits.UsedName, Traits.UsedFirstName);
        return adopted.IsValid ? adopted.Value : KeepUsedNames(insi);
    }

    private IdentityTraits KeepUsedNames(IdentityTraits incoming)
    {
        if (incoming.UsedName is not null || incoming.UsedFirstName is not null)
        {
            return incoming;
        }

        var merged = incoming.WithUsedNames(Traits.UsedName, Traits.UsedFirstName);
        return merged.IsValid ? merged.Value : incoming;
    }
}
