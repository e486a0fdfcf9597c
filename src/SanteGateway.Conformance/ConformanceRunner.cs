using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SanteGateway.Application;
using SanteGateway.DataMatrix;
using SanteGateway.Identity;
using SanteGateway.Insi;
using SanteGateway.Store;

namespace SanteGateway.Conformance;

/// <summary>Takes the gateway's screens for a case (implemented by the CLI, which can start the web UI and a browser).</summary>
public interface IConformanceScreens
{
    /// <summary>Writes the screens showing the outcome of <paramref name="testCase"/> into its screenshot folder.</summary>
    /// <param name="testCase">The case.</param>
    /// <param name="sqliteConnectionString">The case's database, as the use cases left it.</param>
    /// <param name="identityId">The identity the case created.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    /// <returns>How many screenshots were written.</returns>
    Task<int> CaptureAsync(ConformanceCase testCase, string sqliteConnectionString, Guid identityId, CancellationToken cancellationToken);
}

/// <summary>
/// Runs the cases "to the letter" through the product's own code paths: a front-desk user creates the identity as typed
/// and asks for its INS through <see cref="IdentityService"/> (the use cases the REST API and the web UI call), over the
/// host's <see cref="IInsiPort"/>; the approval centre's response files are injected by the INSi client where the plan
/// says so; the exchanges are read back from the product's store. Each case runs on a fresh SQLite database.
/// </summary>
public sealed class ConformanceRunner
{
    private static readonly Actor FrontDesk = new("cnda-accueil", "cnda", IsVigilance: false, Trigger.User);
    private static readonly Actor Vigilance = new("cnda-vigilance", "cnda", IsVigilance: true, Trigger.User);
    private readonly ConformanceTarget target;
    private readonly Func<InsiClientOptions, IInsiPort> portFactory;
    private readonly ILoggerFactory loggerFactory;
    private readonly TimeProvider time;

    /// <summary>Creates the runner.</summary>
    /// <param name="target">Endpoint, certificates, IDAM, CNDA files.</param>
    /// <param name="portFactory">
    /// Builds the product's INSi port from client options (the host passes its own, e.g. the gateway's <c>InsiClientPort</c>),
    /// so that the kit exercises exactly what runs in production.
    /// </param>
    /// <param name="loggerFactory">Logging (codes and ids only).</param>
    /// <param name="time">Clock.</param>
    public ConformanceRunner(ConformanceTarget target, Func<InsiClientOptions, IInsiPort> portFactory, ILoggerFactory? loggerFactory = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(portFactory);
        this.target = target;
        this.portFactory = portFactory;
        this.loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        this.time = time ?? TimeProvider.System;
    }

    /// <summary>
    /// Takes the screens of the gateway for a case once it ran (<c>cnda run --screenshots</c>); null = no screenshots.
    /// A capture that fails is noted in the case's steps and never changes its verdict.
    /// </summary>
    public IConformanceScreens? Screens { get; init; }

    /// <summary>Runs <paramref name="cases"/> in order.</summary>
    /// <param name="cases">The cases (usually <see cref="CndaPlan.Cases"/>).</param>
    /// <param name="progress">Told of each result as it comes.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    /// <returns>The run.</returns>
    public async Task<ConformanceRun> RunAsync(IEnumerable<ConformanceCase> cases, Action<ConformanceCaseResult>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cases);
        var started = time.GetUtcNow();
        var results = new List<ConformanceCaseResult>();
        var work = Path.Combine(Path.GetTempPath(), "santegw-cnda-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        try
        {
            foreach (var c in cases)
            {
                var result = await RunCaseAsync(c, work, cancellationToken).ConfigureAwait(false);
                results.Add(result);
                progress?.Invoke(result);
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException)
            {
                // Left behind in the temp folder; holds test identities only.
            }
        }

        return new ConformanceRun(target.Endpoint, target.IsSandbox, target.Idam, target.SoftwareVersion, started, time.GetUtcNow(), results);
    }

    private async Task<ConformanceCaseResult> RunCaseAsync(ConformanceCase c, string work, CancellationToken ct)
    {
        var started = time.GetUtcNow();
        var clock = time.GetTimestamp();
        if (c.SandboxOnly && !target.IsSandbox)
        {
            return new(c, ConformanceVerdict.NotRun, "", [], [], started, TimeSpan.Zero, "Données de test connues du bac à sable seulement (non confirmées sur la plateforme de qualification).");
        }

        if (c.Certificate == ConformanceCertificate.WrongCommonName && target.WrongCnCertificatePath is null)
        {
            return new(c, ConformanceVerdict.NotRun, "", [], [], started, TimeSpan.Zero, "Aucun certificat au CN erroné fourni (--wrong-cn-cert).");
        }

        CaseInjector? injector;
        try
        {
            injector = CaseInjector.Load(c, target.CndaFilesDirectory);
        }
        catch (IOException ex)
        {
            return new(c, ConformanceVerdict.Failed, "", [], [], started, TimeSpan.Zero, "Fichier CNDA introuvable : " + ex.Message);
        }

        var observation = new Observation();
        var options = target.ClientOptions(c, injector);
        try
        {
            var port = portFactory(options);
            try
            {
                if (c.Kind == ConformanceCaseKind.VitaleSearch)
                {
                    await RunVitaleAsync(c, port, work, observation, ct).ConfigureAwait(false);
                }
                else
                {
                    await RunThroughUseCasesAsync(c, port, work, observation, ct).ConfigureAwait(false);
                }
            }
            finally
            {
                (port as IDisposable)?.Dispose();
            }
        }
#pragma warning disable CA1031 // A case that crashes is a failed case with its reason, never a crashed kit.
        catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
        {
            observation.Crash = ex.GetType().Name + ": " + ex.Message;
        }

        var exchanges = observation.Exchanges(injector);
        var checks = Evaluate(c, observation, exchanges);
        var verdict = observation.Crash is null && checks.All(x => x.Passed) ? ConformanceVerdict.Passed : ConformanceVerdict.Failed;
        return new(c, verdict, observation.Describe(), checks, exchanges, started, time.GetElapsedTime(clock), observation.Crash);
    }

    /// <summary>A fresh SQLite store for the case, migrated, and the product's identity use cases over it.</summary>
    private async Task<(GatewayDbContext Db, IdentityService Service, StoreOptions Store)> OpenAsync(ConformanceCase c, IInsiPort port, string work, CancellationToken ct)
    {
        var store = new StoreOptions { ConnectionString = GatewayStore.SqliteConnectionString(Path.Combine(work, c.Id + ".db")) };
        var db = GatewayStore.CreateContext(store);
        try
        {
            await db.Database.MigrateAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            await db.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var app = new ApplicationOptions();
        foreach (var d in new[] { DocumentTypes.NationalIdentityCard, DocumentTypes.Passport })
        {
            app.HighTrustDocuments.Add(d);
        }

        return (db, new IdentityService(db, time, port, Options.Create(app), loggerFactory.CreateLogger<IdentityService>()), store);
    }

    private async Task RunThroughUseCasesAsync(ConformanceCase c, IInsiPort port, string work, Observation o, CancellationToken ct)
    {
        var (db, service, store) = await OpenAsync(c, port, work, ct).ConfigureAwait(false);
        await using var scope = db.ConfigureAwait(false);
        var t = c.Traits ?? throw new InvalidOperationException($"Case {c.Id} has no traits.");
        EvidenceInput? evidence = null;
        if (c.Rule == "qual-datamatrix")
        {
            var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
            evidence = new EvidenceInput(DocumentTypes.NationalIdentityCard, today.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), today.AddYears(5).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        }

        var created = await service.CreateAsync(new CreateIdentityRequest(t.BirthName, t.FirstNames, null, t.Sex, t.BirthDate, t.BirthPlaceCog, null, null, null, evidence), FrontDesk, ct).ConfigureAwait(false);
        if (!created.IsSuccess)
        {
            o.Refuse(created.Error!, "création");
            return;
        }

        var id = created.Value.Id;
        o.Steps.Add($"identité créée ({created.Value.Status})");
        if (c.Rule == "doubtful-blocks-insi")
        {
            var marked = await service.SetAttributesAsync(id, new AttributesRequest(created.Value.Version, null, true, null), null, Vigilance, ct).ConfigureAwait(false);
            o.Steps.Add(marked.IsSuccess ? $"marquée douteuse ({marked.Value.Status})" : $"marquage douteuse refusé ({marked.Error!.Rule})");
        }

        var search = await service.InsiSearchAsync(id, null, FrontDesk, ct).ConfigureAwait(false);
        if (search.IsSuccess)
        {
            var r = search.Value;
            o.Code = r.Code;
            o.Applied = r.Applied;
            o.Mismatches = r.Mismatches.Select(m => m.Field).ToList();
            o.Message = r.Message;
            o.Attempts = r.Attempts ?? [];
            o.Steps.Add($"recherche INSi : {r.Outcome} (CR {r.Code}){(r.Applied ? ", appliquée" : ", rien appliqué")}");
        }
        else
        {
            o.Refuse(search.Error!, "recherche INSi");
            ReadFailure(search.Error!, o);
        }

        var after = await service.GetAsync(id, ct).ConfigureAwait(false);
        o.Identity = after.IsSuccess ? after.Value : null;
        await CaptureAsync(c, store, id, o, ct).ConfigureAwait(false);
        var recorded = await service.ExchangesAsync(id, 1, 100, ct).ConfigureAwait(false);
        if (recorded.IsSuccess)
        {
            // The rows of one call share their time: the use case's own order when it gave one, else the request's ContexteLPS/Temps.
            var order = search.IsSuccess ? search.Value.ExchangeIds ?? [] : [];
            o.Recorded = recorded.Value.Items
                .OrderBy(e => order.Contains(e.Id) ? order.ToList().IndexOf(e.Id) : int.MaxValue)
                .ThenBy(e => RequestTime(e.RequestXml), StringComparer.Ordinal)
                .ToList();
        }

        switch (c.Rule)
        {
            case "recup-not-transmitted":
            {
                var q = await service.GetQualifiedAsync(id, ct).ConfigureAwait(false);
                if (q.IsSuccess)
                {
                    o.Extra.Add(new("INS transmissible (DataMatrix)", "refusé", "accepté", false));
                }
                else
                {
                    o.Refuse(q.Error!, "DataMatrix");
                }

                break;
            }

            case "qual-datamatrix":
            {
                var q = await service.GetQualifiedAsync(id, ct).ConfigureAwait(false);
                if (!q.IsSuccess)
                {
                    o.Extra.Add(new("INS transmissible (DataMatrix)", "accepté", q.Error!.Rule, false));
                    break;
                }

                var made = InsDataMatrix.TryCreatePayload(q.Value, out var payload, out var errors);
                o.Extra.Add(new("DataMatrix créé", "oui", made ? "oui" : string.Join("; ", errors.Select(e => e.Rule)), made));
                if (payload is not null)
                {
                    var png = InsDataMatrix.RenderPng(payload);
                    var read = InsDataMatrix.TryReadImage(png, out var back, out _);
                    var readIns = read ? back!.Matricule.Value : "(illisible)";
                    o.Extra.Add(new("DataMatrix relu depuis l'image PNG : INS", c.Expected.Ins ?? payload.Matricule.Value, readIns, read && readIns == (c.Expected.Ins ?? payload.Matricule.Value)));
                    o.Steps.Add($"DataMatrix imprimé ({png.Length} octets PNG) et relu");
                }

                break;
            }
        }
    }

    private static string RequestTime(string? request)
    {
        const string tag = "Temps>";
        var at = request?.IndexOf(tag, StringComparison.Ordinal) ?? -1;
        if (at < 0)
        {
            return "";
        }

        var end = request!.IndexOf('<', at);
        return end < 0 ? "" : request[(at + tag.Length)..end];
    }

    /// <summary>
    /// A Vitale case as the desk runs it: the user reads the card and asks INSi through <see cref="IdentityService.CreateFromVitaleAsync"/>
    /// (the use case behind <c>POST /api/identities/insi-search-vitale</c>), over the host's INSi port; the identity it
    /// creates and the exchanges are read back from the product's store.
    /// </summary>
    private async Task RunVitaleAsync(ConformanceCase c, IInsiPort port, string work, Observation o, CancellationToken ct)
    {
        var card = c.Card ?? throw new InvalidOperationException($"Case {c.Id} has no card data.");
        var (db, service, store) = await OpenAsync(c, port, work, ct).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            var r = await service.CreateFromVitaleAsync(new InsiVitaleRequest(card.InsuredNir, card.BeneficiaryNir, card.BirthName, card.BirthDate, card.Rank), FrontDesk, ct).ConfigureAwait(false);
            if (r.IsSuccess)
            {
                var v = r.Value;
                o.Code = v.Code;
                o.Applied = v.Created;
                o.Message = v.Message;
                o.Identity = v.Identity;
                o.Steps.Add($"lecture de la carte {card.Card}, recherche INSi avec la carte : {v.Outcome} (CR {v.Code}){(v.Created ? $", identité créée ({v.Identity?.Status})" : ", rien créé")}");
            }
            else
            {
                o.Refuse(r.Error!, "recherche INSi avec la carte");
                ReadFailure(r.Error!, o);
            }

            // Read back what the product stored (one call: one row).
            var rows = await db.InsiExchanges.AsNoTracking().Where(x => x.Operation == IdentityService.VitaleOperation).ToListAsync(ct).ConfigureAwait(false);
            o.Recorded = rows.OrderBy(x => x.Id).Select(x => new InsiExchangeView(x.Id, x.Operation, x.Outcome, x.Detail, x.CertificateCn, x.DurationMs, x.Actor, x.OccurredAt, x.RequestXml, x.ResponseXml)).ToList();
            if (o.Identity is { } identity)
            {
                await CaptureAsync(c, store, identity.Id, o, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The identity screen the case ended on, when screenshots are asked for.</summary>
    private async Task CaptureAsync(ConformanceCase c, StoreOptions store, Guid id, Observation o, CancellationToken ct)
    {
        if (Screens is null)
        {
            return;
        }

        try
        {
            var shots = await Screens.CaptureAsync(c, store.ConnectionString, id, ct).ConfigureAwait(false);
            o.Steps.Add($"{shots} capture(s) d'écran de la fiche identité");
        }
#pragma warning disable CA1031 // A missing screenshot is reported, never a failed conformance test.
        catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
        {
            o.Steps.Add("capture d'écran impossible : " + ex.GetType().Name + ": " + ex.Message);
        }
    }

    /// <summary>The fault or error code and the attempts a refused INSi call carries in its error data.</summary>
    private static void ReadFailure(AppError error, Observation o)
    {
        if (error.Data is not { } data)
        {
            return;
        }

        if (data.TryGetValue("code", out var code) && code is string s)
        {
            o.Code = s.StartsWith("fault ", StringComparison.Ordinal) ? null : s;
            o.FaultErrorCode = s.StartsWith("fault ", StringComparison.Ordinal) ? s[(s.LastIndexOf('/') + 1)..] : null;
        }

        if (data.TryGetValue("attempts", out var attempts) && attempts is IReadOnlyList<InsiAttemptView> list)
        {
            o.Attempts = list;
        }
    }

    private IReadOnlyList<ConformanceCheck> Evaluate(ConformanceCase c, Observation o, IReadOnlyList<ConformanceExchange> exchanges)
    {
        var e = c.Expected;
        var checks = new List<ConformanceCheck>();
        if (e.NothingSent)
        {
            checks.Add(new("Aucun échange avec INSi", "0 échange", $"{exchanges.Count} échange(s)", exchanges.Count == 0));
        }

        if (e.RefusalRules is { } rules)
        {
            checks.Add(new("Refus présenté (règle)", string.Join(" ou ", rules), o.RefusalRule ?? "(aucun refus)", o.RefusalRule is not null && rules.Contains(o.RefusalRule)));
        }

        if (e.Code is { } code)
        {
            checks.Add(new("CR retenu", code, o.Code ?? "(aucun)", o.Code == code));
        }

        if (e.FaultErrorCode is { } fault)
        {
            checks.Add(new("Faute SOAP (siram:Erreur/@code)", fault, o.FaultErrorCode ?? "(aucune)", string.Equals(o.FaultErrorCode, fault, StringComparison.Ordinal)));
        }

        if (e.Attempts is { } attempts)
        {
            var actual = o.Attempts.Select(a => $"{a.FirstNames}{(a.WithBirthPlace ? "+COG" : "")}:{a.Code ?? "faute"}").ToList();
            checks.Add(new("Appels de la stratégie des prénoms (ordre)", string.Join(" → ", attempts), actual.Count == 0 ? "(aucun)" : string.Join(" → ", actual), actual.SequenceEqual(attempts, StringComparer.Ordinal)));
        }

        if (e.TraitDifferencesShown is { } shown)
        {
            var any = o.Mismatches.Count > 0;
            checks.Add(new("Traits INSi différents signalés à l'utilisateur", shown ? "oui" : "non", any ? "oui (" + string.Join(", ", o.Mismatches) + ")" : "non", any == shown));
        }

        if (e.Status is { } status)
        {
            checks.Add(new("Statut de l'identité", status, o.Identity?.Status ?? "(illisible)", o.Identity?.Status == status));
        }

        var (ins, oid) = o.ActiveIns();
        if (e.NoIns)
        {
            checks.Add(new("Aucun INS enregistré", "aucun", ins ?? "aucun", ins is null));
        }

        if (e.Ins is { } expectedIns)
        {
            if (!e.InsSandboxOnly || target.IsSandbox)
            {
                checks.Add(new("INS actif", expectedIns, ins ?? "(aucun)", ins == expectedIns));
            }
            else
            {
                checks.Add(new("INS actif présent, clé valide", "présent", ins is null ? "(aucun)" : ins, ins is not null && InsMatricule.IsValid(ins)));
            }
        }

        if (e.InsOid is { } expectedOid)
        {
            checks.Add(new("OID de l'INS", expectedOid, oid ?? "(aucun)", oid == expectedOid));
        }

        if (e.History is { } history)
        {
            var actual = o.Identity?.InsHistory.Where(h => h.Active && h.Source == "INSHISTO").Select(h => h.Matricule).Order(StringComparer.Ordinal).ToList() ?? [];
            var wanted = history.Order(StringComparer.Ordinal).ToList();
            checks.Add(new("INS historiques", wanted.Count == 0 ? "aucun" : string.Join(", ", wanted), actual.Count == 0 ? "aucun" : string.Join(", ", actual), actual.SequenceEqual(wanted, StringComparer.Ordinal)));
        }

        foreach (var injection in c.Injections)
        {
            var used = exchanges.Count(x => x.InjectedFile == injection.File);
            checks.Add(new($"Fichier CNDA {injection.File} injecté", "au moins une fois", used + " fois", used > 0));
        }

        if (!e.NothingSent && exchanges.Count > 0)
        {
            var expectedCn = c.Certificate == ConformanceCertificate.WrongCommonName ? null : "INSI-MANU";
            if (expectedCn is not null)
            {
                var cns = exchanges.Select(x => x.CertificateCn ?? "?").Distinct(StringComparer.Ordinal).ToList();
                checks.Add(new("Certificat présenté (appel déclenché par un utilisateur)", expectedCn, string.Join(", ", cns), cns.All(x => x == expectedCn)));
            }
        }

        checks.AddRange(o.Extra);
        if (o.Crash is not null)
        {
            checks.Add(new("Exécution", "sans erreur", o.Crash, false));
        }

        return checks;
    }

    /// <summary>What the product did during a case.</summary>
    private sealed class Observation
    {
        public List<string> Steps { get; } = [];

        public List<ConformanceCheck> Extra { get; } = [];

        public string? RefusalRule { get; private set; }

        public string? Message { get; set; }

        public string? Code { get; set; }

        public string? FaultErrorCode { get; set; }

        public bool? Applied { get; set; }

        public IReadOnlyList<string> Mismatches { get; set; } = [];

        public IReadOnlyList<InsiAttemptView> Attempts { get; set; } = [];

        public IdentityView? Identity { get; set; }

        public IReadOnlyList<InsiExchangeView> Recorded { get; set; } = [];

        public string? Crash { get; set; }

        public void Refuse(AppError error, string step)
        {
            RefusalRule ??= error.Rule;
            Message ??= error.Message;
            Steps.Add($"{step} refusée : {error.Rule} — {error.Message}");
        }

        public (string? Ins, string? Oid) ActiveIns() => (Identity?.Ins?.Matricule, Identity?.Ins?.Oid);

        public string Describe()
        {
            var sb = new StringBuilder(string.Join(" ; ", Steps));
            if (Identity is { } i)
            {
                sb.Append(CultureInfo.InvariantCulture, $" — statut final {i.Status}, INS {i.Ins?.Matricule ?? "aucun"}");
            }

            if (Message is not null)
            {
                sb.Append(CultureInfo.InvariantCulture, $" — message : « {Message} »");
            }

            return sb.ToString();
        }

        public IReadOnlyList<ConformanceExchange> Exchanges(CaseInjector? injector)
        {
            var list = new List<ConformanceExchange>();
            var calls = injector?.Calls ?? [];
            var next = 0;
            foreach (var r in Recorded)
            {
                string? injected = null;
                if (r.ResponseXml is not null && next < calls.Count)
                {
                    injected = calls[next++];
                }

                list.Add(new(list.Count + 1, r.CertificateCn, r.Detail ?? r.Outcome, injected, r.RequestXml, r.ResponseXml, r.DurationMs));
            }

            return list;
        }
    }
}

/// <summary>Injects the case's CNDA files and remembers, call by call, which file (if any) replaced the answer.</summary>
internal sealed class CaseInjector : IInsiResponseInjector
{
    private readonly IReadOnlyList<(ConformanceInjection Injection, byte[] Body)> files;
    private readonly List<string?> calls = [];

    private CaseInjector(IReadOnlyList<(ConformanceInjection, byte[])> files) => this.files = files;

    /// <summary>For each call that got an answer, in order: the injected file or null.</summary>
    public IReadOnlyList<string?> Calls
    {
        get
        {
            lock (calls)
            {
                return [.. calls];
            }
        }
    }

    /// <summary>Loads the case's files; null when the case injects nothing.</summary>
    /// <exception cref="IOException">A file is missing.</exception>
    public static CaseInjector? Load(ConformanceCase c, string directory)
    {
        if (c.Injections.Count == 0)
        {
            return new CaseInjector([]);
        }

        var list = new List<(ConformanceInjection, byte[])>();
        foreach (var i in c.Injections)
        {
            var path = Path.Combine(directory, i.File);
            if (!File.Exists(path))
            {
                throw new FileNotFoundException(path, path);
            }

            list.Add((i, File.ReadAllBytes(path)));
        }

        return new CaseInjector(list);
    }

    /// <inheritdoc />
    public InsiInjectedResponse? Find(InsiTraitsQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var match = files.FirstOrDefault(f => f.Injection.FirstNames is null || string.Equals(f.Injection.FirstNames, query.FirstNamesJoined, StringComparison.Ordinal));
        lock (calls)
        {
            calls.Add(match.Body is null ? null : match.Injection.File);
        }

        return match.Body is null ? null : new InsiInjectedResponse(match.Injection.File, match.Body);
    }
}
