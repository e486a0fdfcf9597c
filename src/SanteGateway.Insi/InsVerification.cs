using SanteGateway.Identity;

namespace SanteGateway.Insi;

/// <summary>Outcome of the verification of a stored INS.</summary>
public enum InsVerificationOutcome
{
    /// <summary>The service returns the stored INS (same matricule and OID) as active INS.</summary>
    Confirmed,

    /// <summary>The stored INS is in the returned history: a newer INS replaced it (see <see cref="InsVerificationResult.Current"/>).</summary>
    ReplacedByNewer,

    /// <summary>The traits designate another INS (or the returned INS cannot be trusted).</summary>
    Mismatch,

    /// <summary>CR 01: no identity for these traits.</summary>
    NotFound,

    /// <summary>CR 02: several identities even with the birth place.</summary>
    Ambiguous,
}

/// <summary>A stored INS and the strict traits it was obtained with.</summary>
/// <param name="Traits">Strict traits as stored (INSi lexical form).</param>
/// <param name="Matricule">Stored 15-character matricule.</param>
/// <param name="Oid">Stored OID.</param>
public sealed record InsVerificationQuery(InsiTraitsQuery Traits, string Matricule, string Oid);

/// <summary>Verification result.</summary>
/// <param name="Outcome">Outcome.</param>
/// <param name="Current">The active INS returned by the service (CR 00).</param>
/// <param name="Search">The retained search answer.</param>
/// <param name="TraitDifferences">Names of returned traits that differ from the stored ones (<c>birthName</c>, <c>firstNames</c>, <c>sex</c>, <c>birthDate</c>, <c>birthPlace</c>).</param>
/// <param name="Warnings">Untrusted parts of the answer.</param>
public sealed record InsVerificationResult(InsVerificationOutcome Outcome, InsiIns? Current, InsiSearchResult Search, IReadOnlyList<string> TraitDifferences, IReadOnlyList<InsiWarning> Warnings);

/// <summary>
/// Verification of a stored INS. The official verification operation is not public: the default implementation
/// (<see cref="InsiClient"/>) runs the traits search with the stored strict traits and compares the returned INS
/// (active and history) with the stored one. An official operation can replace it behind this interface.
/// </summary>
public interface IInsVerifier
{
    /// <summary>Verifies <paramref name="query"/>.</summary>
    /// <exception cref="InsiInputException">Stored matricule or traits refused before the call.</exception>
    /// <exception cref="InsiFaultException">SOAP fault.</exception>
    /// <exception cref="InsiTransportException">Transport failure.</exception>
    Task<InsVerificationResult> VerifyAsync(InsVerificationQuery query, InsiCallContext context, CancellationToken cancellationToken = default);
}

/// <summary>Comparison logic of the search-based verification (pure, testable without a service).</summary>
public static class InsVerification
{
    /// <summary>Checks the stored matricule and traits; throws <see cref="InsiInputException"/> when refused.</summary>
    public static InsMatricule CheckStored(InsVerificationQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var errors = new List<InsiInputError>(InsiQueryValidator.Validate(query.Traits));
        InsMatricule matricule = default;
        if (!InsMatricule.TryParse(query.Matricule, out matricule, out var error))
        {
            errors.Add(new InsiInputError("matricule", error?.Kind.ToString() ?? "Format", error?.Message ?? "Invalid matricule."));
        }

        if (string.IsNullOrWhiteSpace(query.Oid))
        {
            errors.Add(new InsiInputError("oid", "Required", "The stored OID is required."));
        }

        if (errors.Count > 0)
        {
            throw new InsiInputException(errors);
        }

        return matricule;
    }

    /// <summary>Derives the outcome from the strategy search.</summary>
    public static InsVerificationResult Compare(InsMatricule stored, InsVerificationQuery query, InsiStrategyResult search)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(search);
        var final = search.Final;
        var warnings = final.Warnings;
        switch (final.ResultCode)
        {
            case InsiResultCode.NotFound:
                return new(InsVerificationOutcome.NotFound, null, final, [], warnings);
            case InsiResultCode.Ambiguous:
                return new(InsVerificationOutcome.Ambiguous, null, final, [], warnings);
            case InsiResultCode.Found when final.Individual is { } individual:
                var differences = Differences(query.Traits, individual.Traits);
                var active = individual.Active;
                if (!active.IsTrusted)
                {
                    return new(InsVerificationOutcome.Mismatch, active, final, differences, warnings);
                }

                if (Same(active, stored, query.Oid))
                {
                    return new(InsVerificationOutcome.Confirmed, active, final, differences, warnings);
                }

                var outcome = individual.History.Any(h => h.IsTrusted && Same(h, stored, query.Oid))
                    ? InsVerificationOutcome.ReplacedByNewer
                    : InsVerificationOutcome.Mismatch;
                return new(outcome, active, final, differences, warnings);
            default:
                return new(InsVerificationOutcome.Mismatch, null, final, [], warnings);
        }
    }

    private static bool Same(InsiIns ins, InsMatricule stored, string oid) =>
        ins.Matricule is { } m && m.Value == stored.Value && string.Equals(ins.Oid, oid.Trim(), StringComparison.Ordinal);

    private static List<string> Differences(InsiTraitsQuery stored, InsiReturnedTraits returned)
    {
        var list = new List<string>();
        // Names compare in the INSi lexical form, as everywhere else (TraitComparison).
        if (returned.BirthName is not null && !TraitComparison.SameName(returned.BirthName, stored.BirthName, birthName: true))
        {
            list.Add("birthName");
        }

        if (returned.FirstNames is { Length: > 0 } names && !TraitComparison.SameName(names, stored.FirstNamesJoined, birthName: false))
        {
            list.Add("firstNames");
        }

        if (returned.Sex is not null && returned.Sex != (stored.Sex == Sex.Female ? "F" : "M"))
        {
            list.Add("sex");
        }

        if (returned.BirthDate is not null && returned.BirthDate != stored.BirthDate)
        {
            list.Add("birthDate");
        }

        if (returned.BirthPlace is not null && stored.BirthPlace is not null && returned.BirthPlace != stored.BirthPlace)
        {
            list.Add("birthPlace");
        }

        return list;
    }
}
