using Microsoft.EntityFrameworkCore;
using SanteGateway.Store;
using SanteGateway.Store.Entities;

namespace SanteGateway.Application;

/// <summary>
/// The keys of the offer search (<see cref="RorSearchKey"/>), derived from the stored columns so that an index read gives
/// exactly what the former substring tests over every row gave:
/// <list type="bullet">
/// <item>activity: <c>|activity:CODE|</c> in the codes column ⇔ key <c>a</c>/CODE;</item>
/// <item>a query word (letters and digits in upper case: a <see cref="SearchKeys"/> word) inside the codes column ⇔ inside one of
/// its tokens (runs of letters and digits that are not ASCII lower case, which a query word never holds) ⇔ a vocabulary word of kind
/// <c>s</c> contains it and the offer has that key;</item>
/// <item>a query word inside the offer's name key (words separated by single spaces) ⇔ inside one of its words (<c>n</c>), and
/// likewise for its organisation's name (<c>o</c> on the organisation, copied as <c>g</c> onto each of its offers).</item>
/// </list>
/// Tokens longer than <see cref="MaxKey"/> are kept as overlapping pieces, so that any query word (at most <see cref="MaxWord"/>
/// characters) found inside the token is inside one piece.
/// </summary>
public static class RorSearchTerms
{
    /// <summary>Key kind: operational activity code of an offer.</summary>
    public const string Activity = "a";

    /// <summary>Key kind: token of an offer's codes and labels.</summary>
    public const string Specialty = "s";

    /// <summary>Key kind: word of an offer's name.</summary>
    public const string Name = "n";

    /// <summary>Key kind: word of the name of an offer's organisation.</summary>
    public const string OrganizationName = "g";

    /// <summary>Key kind: word of an organisation's name (on the organisation).</summary>
    public const string OwnOrganizationName = "o";

    /// <summary>Longest key stored (characters).</summary>
    public const int MaxKey = 400;

    /// <summary>Longest query word the keys answer exactly (a 100-character field whose ligatures doubled in the key).</summary>
    public const int MaxWord = MaxKey / 2;

    /// <summary>The activity codes of a codes column (<c>|activity:CODE|</c>, complete segments only).</summary>
    /// <param name="codes">The column.</param>
    /// <returns>Distinct codes.</returns>
    public static IEnumerable<string> ActivityCodes(string? codes)
    {
        if (codes is null)
        {
            yield break;
        }

        var parts = codes.Split('|');
        var seen = new HashSet<string>(StringComparer.Ordinal);
        // Pieces 1..n-2 have a bar on each side; the last one may be cut by the column's length limit.
        for (var i = 1; i < parts.Length - 1; i++)
        {
            var p = parts[i];
            if (p.StartsWith("activity:", StringComparison.Ordinal) && p.Length > 9 && p.Length - 9 <= MaxKey && seen.Add(p[9..]))
            {
                yield return p[9..];
            }
        }
    }

    /// <summary>The tokens of a codes column that a query word can be part of.</summary>
    /// <param name="codes">The column.</param>
    /// <returns>Distinct tokens (long ones in pieces).</returns>
    public static IEnumerable<string> CodeTokens(string? codes) => Tokens(codes, c => char.IsLetterOrDigit(c) && !char.IsAsciiLetterLower(c));

    /// <summary>The words of a name key.</summary>
    /// <param name="nameKey">A <see cref="SearchKeys"/> key.</param>
    /// <returns>Distinct words (long ones in pieces).</returns>
    public static IEnumerable<string> NameWords(string? nameKey) => Tokens(nameKey, c => c != ' ');

    private static IEnumerable<string> Tokens(string? text, Func<char, bool> inToken)
    {
        if (string.IsNullOrEmpty(text))
        {
            return [];
        }

        var set = new HashSet<string>(StringComparer.Ordinal);
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            if (i < text.Length && inToken(text[i]))
            {
                if (start < 0)
                {
                    start = i;
                }

                continue;
            }

            if (start >= 0)
            {
                Add(set, text.AsSpan(start, i - start));
                start = -1;
            }
        }

        return set;
    }

    private static void Add(HashSet<string> set, ReadOnlySpan<char> token)
    {
        if (token.Length <= MaxKey)
        {
            set.Add(token.ToString());
            return;
        }

        // Pieces of MaxKey characters every MaxWord characters: a word of at most MaxWord characters lies inside one.
        for (var s = 0; ; s += MaxWord)
        {
            set.Add(token.Slice(s, Math.Min(MaxKey, token.Length - s)).ToString());
            if (s + MaxKey >= token.Length)
            {
                break;
            }
        }
    }
}

/// <summary>
/// Keeps the search keys of the stored offers and organisations, inside the batch's transaction: the keys of every offer or
/// organisation stored (new or newer) are rewritten, and the organisation words of the offers concerned (the stored offers
/// and the offers of the stored organisations) copied again. One instance per run (it remembers the vocabulary written).
/// </summary>
internal sealed class RorSearchIndexWriter
{
    private const string Offer = "HealthcareService";
    private const string Org = "Organization";
    private readonly HashSet<(string Kind, string Word)> _written = [];
    private readonly HashSet<(string Kind, string Word)> _attempt = [];

    /// <summary>The batch's transaction committed: its words are known to be in the vocabulary (a retried attempt writes them again).</summary>
    public void Committed()
    {
        _written.UnionWith(_attempt);
        _attempt.Clear();
    }

    public async Task UpdateAsync(GatewayDbContext db, IRorBulkWriter writer, IReadOnlyList<RorResource> stored, CancellationToken ct)
    {
        _attempt.Clear();
        var offers = stored.Where(r => r.ResourceType == Offer).ToList();
        var orgs = stored.Where(r => r.ResourceType == Org).ToList();
        if (offers.Count + orgs.Count == 0)
        {
            return;
        }

        var keys = new List<RorSearchKey>();
        var words = new List<RorSearchWord>();
        void Word(string kind, string word)
        {
            if (!_written.Contains((kind, word)) && _attempt.Add((kind, word)))
            {
                words.Add(new RorSearchWord { Kind = kind, Word = word });
            }
        }

        foreach (var k in offers.SelectMany(OfferKeys).Concat(orgs.SelectMany(OrganizationKeys)))
        {
            keys.Add(k);
            // The vocabulary: specialty tokens and the words of offers' and organisations' own names (as RorColumns.PublishStage).
            if (k.Kind is RorSearchTerms.Specialty or RorSearchTerms.Name or RorSearchTerms.OwnOrganizationName)
            {
                Word(k.Kind == RorSearchTerms.Specialty ? RorSearchTerms.Specialty : RorSearchTerms.Name, k.Key);
            }
        }

        var offerIds = offers.Select(o => o.ResourceId).ToList();
        var orgIds = orgs.Select(o => o.ResourceId).ToList();
        if (offerIds.Count > 0)
        {
            await db.RorSearchKeys.Where(k => (k.Kind == RorSearchTerms.Activity || k.Kind == RorSearchTerms.Specialty || k.Kind == RorSearchTerms.Name) && offerIds.Contains(k.ResourceId))
                .ExecuteDeleteAsync(ct).ConfigureAwait(false);
        }

        if (orgIds.Count > 0)
        {
            await db.RorSearchKeys.Where(k => k.Kind == RorSearchTerms.OwnOrganizationName && orgIds.Contains(k.ResourceId)).ExecuteDeleteAsync(ct).ConfigureAwait(false);
        }

        await writer.WriteSearchKeysAsync(db, keys, words, ct).ConfigureAwait(false);

        // The organisation words of the offers concerned: the stored offers, and the offers of the stored organisations.
        var concerned = offers.Select(o => (o.ResourceId, o.OrganizationId)).ToList();
        if (orgIds.Count > 0)
        {
            var ofOrgs = await db.RorResources.AsNoTracking().Where(r => r.ResourceType == Offer && orgIds.Contains(r.OrganizationId!))
                .Select(r => new { r.ResourceId, r.OrganizationId }).ToListAsync(ct).ConfigureAwait(false);
            var known = offerIds.ToHashSet(StringComparer.Ordinal);
            concerned.AddRange(ofOrgs.Where(r => !known.Contains(r.ResourceId)).Select(r => (r.ResourceId, r.OrganizationId)));
        }

        await WriteOrganizationWordsAsync(db, writer, concerned, ct).ConfigureAwait(false);
    }

    /// <summary>Rewrites the <c>g</c> keys of the given offers from the <c>o</c> keys of their (mirrored) organisations.</summary>
    internal static async Task WriteOrganizationWordsAsync(GatewayDbContext db, IRorBulkWriter writer, IReadOnlyList<(string OfferId, string? OrganizationId)> offers, CancellationToken ct)
    {
        if (offers.Count == 0)
        {
            return;
        }

        var ids = offers.Select(o => o.OfferId).ToList();
        await db.RorSearchKeys.Where(k => k.Kind == RorSearchTerms.OrganizationName && ids.Contains(k.ResourceId)).ExecuteDeleteAsync(ct).ConfigureAwait(false);
        var orgIds = offers.Select(o => o.OrganizationId).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        if (orgIds.Count == 0)
        {
            return;
        }

        // Only organisations the mirror holds: the former search matched the organisation's row, not a dangling reference.
        var orgWords = await db.RorSearchKeys.AsNoTracking()
            .Where(k => k.Kind == RorSearchTerms.OwnOrganizationName && orgIds.Contains(k.ResourceId)
                        && db.RorResources.Any(g => g.ResourceType == Org && g.ResourceId == k.ResourceId))
            .Select(k => new { k.ResourceId, k.Key }).ToListAsync(ct).ConfigureAwait(false);
        var byOrg = orgWords.ToLookup(k => k.ResourceId, k => k.Key, StringComparer.Ordinal);
        var keys = new List<RorSearchKey>();
        foreach (var (offerId, orgId) in offers)
        {
            if (orgId is not null)
            {
                keys.AddRange(byOrg[orgId].Select(w => new RorSearchKey { Kind = RorSearchTerms.OrganizationName, Key = w, ResourceId = offerId }));
            }
        }

        await writer.WriteSearchKeysAsync(db, keys, [], ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes every search key and the vocabulary from the stored offers and organisations at once, inside the caller's
    /// transaction (the tables are emptied first): used at the end of a full load that started without keys (the initial load,
    /// or a mirror stored before the keys existed), where keys written batch by batch would cost a random B-tree insert each.
    /// Organisations are read first and their words kept by id (their count is a fraction of the offers') to give each offer
    /// its organisation's words; the keys go to a staging table, then into the key table sorted (see <see cref="IRorBulkWriter"/>).
    /// </summary>
    public static async Task RebuildAllAsync(GatewayDbContext db, IRorBulkWriter writer, int pageSize, CancellationToken ct)
    {
        await db.RorSearchKeys.ExecuteDeleteAsync(ct).ConfigureAwait(false);
        await db.RorSearchWords.ExecuteDeleteAsync(ct).ConfigureAwait(false);
        await writer.BeginKeyBuildAsync(db, ct).ConfigureAwait(false);
        var orgWords = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var keys = new List<RorSearchKey>();
        async Task FlushAsync(bool force)
        {
            if (keys.Count > 0 && (force || keys.Count >= 20_000))
            {
                await writer.StageSearchKeysAsync(db, keys, ct).ConfigureAwait(false);
                keys.Clear();
            }
        }

        await foreach (var g in PagesAsync(db, Org, pageSize, ct).ConfigureAwait(false))
        {
            var own = OrganizationKeys(g).ToList();
            orgWords[g.ResourceId] = own.Select(k => k.Key).ToArray();
            keys.AddRange(own);
            await FlushAsync(false).ConfigureAwait(false);
        }

        await foreach (var o in PagesAsync(db, Offer, pageSize, ct).ConfigureAwait(false))
        {
            keys.AddRange(OfferKeys(o));
            // Only organisations the mirror holds (as the batch path: a dangling reference gives no words).
            if (o.OrganizationId is { } orgId && orgWords.TryGetValue(orgId, out var words))
            {
                keys.AddRange(words.Select(w => new RorSearchKey { Kind = RorSearchTerms.OrganizationName, Key = w, ResourceId = o.ResourceId }));
            }

            await FlushAsync(false).ConfigureAwait(false);
        }

        await FlushAsync(true).ConfigureAwait(false);
        await writer.EndKeyBuildAsync(db, ct).ConfigureAwait(false);
    }

    /// <summary>An offer's own keys: activity codes, specialty tokens, words of its name (its organisation's words come apart).</summary>
    private static IEnumerable<RorSearchKey> OfferKeys(RorResource o) =>
        RorSearchTerms.ActivityCodes(o.Codes).Select(c => new RorSearchKey { Kind = RorSearchTerms.Activity, Key = c, ResourceId = o.ResourceId })
            .Concat(RorSearchTerms.CodeTokens(o.Codes).Select(t => new RorSearchKey { Kind = RorSearchTerms.Specialty, Key = t, ResourceId = o.ResourceId }))
            .Concat(RorSearchTerms.NameWords(o.NameKey).Select(w => new RorSearchKey { Kind = RorSearchTerms.Name, Key = w, ResourceId = o.ResourceId }));

    /// <summary>An organisation's own keys: the words of its name.</summary>
    private static IEnumerable<RorSearchKey> OrganizationKeys(RorResource g) =>
        RorSearchTerms.NameWords(g.NameKey).Select(w => new RorSearchKey { Kind = RorSearchTerms.OwnOrganizationName, Key = w, ResourceId = g.ResourceId });

    /// <summary>The columns the keys derive from, for every stored resource of a type, page by page in id order.</summary>
    private static async IAsyncEnumerable<RorResource> PagesAsync(GatewayDbContext db, string type, int pageSize, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var after = "";
        while (true)
        {
            var last = after;
            var page = await db.RorResources.AsNoTracking().Where(r => r.ResourceType == type && string.Compare(r.ResourceId, last) > 0)
                .OrderBy(r => r.ResourceId).Take(pageSize)
                .Select(r => new RorResource { ResourceType = r.ResourceType, ResourceId = r.ResourceId, NameKey = r.NameKey, Codes = r.Codes, OrganizationId = r.OrganizationId })
                .ToListAsync(ct).ConfigureAwait(false);
            foreach (var r in page)
            {
                yield return r;
            }

            if (page.Count < pageSize)
            {
                yield break;
            }

            after = page[^1].ResourceId;
        }
    }

    /// <summary>
    /// After the full reconciliation deleted resources: drops the keys of what is gone, the organisation words of offers whose
    /// organisation is gone, and the vocabulary no key uses any more.
    /// </summary>
    public static async Task PruneAsync(GatewayDbContext db, bool deleted, CancellationToken ct)
    {
        if (deleted)
        {
            var all = db.RorResources;
            await db.RorSearchKeys.Where(k => k.Kind != RorSearchTerms.OwnOrganizationName && !all.Any(r => r.ResourceType == Offer && r.ResourceId == k.ResourceId))
                .ExecuteDeleteAsync(ct).ConfigureAwait(false);
            await db.RorSearchKeys.Where(k => k.Kind == RorSearchTerms.OwnOrganizationName && !all.Any(r => r.ResourceType == Org && r.ResourceId == k.ResourceId))
                .ExecuteDeleteAsync(ct).ConfigureAwait(false);
            await db.RorSearchKeys.Where(k => k.Kind == RorSearchTerms.OrganizationName
                                              && !all.Any(r => r.ResourceType == Offer && r.ResourceId == k.ResourceId
                                                               && db.RorSearchKeys.Any(o => o.Kind == RorSearchTerms.OwnOrganizationName && o.ResourceId == r.OrganizationId && o.Key == k.Key)))
                .ExecuteDeleteAsync(ct).ConfigureAwait(false);
        }

        var keys = db.RorSearchKeys;
        await db.RorSearchWords.Where(w => w.Kind == RorSearchTerms.Specialty && !keys.Any(k => k.Kind == RorSearchTerms.Specialty && k.Key == w.Word))
            .ExecuteDeleteAsync(ct).ConfigureAwait(false);
        await db.RorSearchWords.Where(w => w.Kind == RorSearchTerms.Name
                                           && !keys.Any(k => (k.Kind == RorSearchTerms.Name || k.Kind == RorSearchTerms.OwnOrganizationName) && k.Key == w.Word))
            .ExecuteDeleteAsync(ct).ConfigureAwait(false);
    }
}
