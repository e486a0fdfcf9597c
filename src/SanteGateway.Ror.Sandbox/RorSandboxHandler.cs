using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.AspNetCore.Http;
using static SanteGateway.Ror.RorConstants;
using Task = System.Threading.Tasks.Task;

namespace SanteGateway.Ror.Sandbox;

/// <summary>One request as the sandbox saw it (for tests: which headers came with which call).</summary>
/// <param name="Method">HTTP method.</param>
/// <param name="Path">Path.</param>
/// <param name="Query">Query string.</param>
/// <param name="HeaderNames">Names of the request headers.</param>
/// <param name="Status">Answer status.</param>
/// <param name="ClientCertificateSubject">Subject of the TLS client certificate, if any.</param>
public sealed record RorSandboxRequest(string Method, string Path, string Query, IReadOnlyList<string> HeaderNames, int Status, string? ClientCertificateSubject);

/// <summary>The ROR sandbox's request handling (token, FHIR consultation, $export, capacity PATCH).</summary>
public sealed class RorSandboxHandler
{
    /// <summary>Path of the token endpoint.</summary>
    public const string TokenPath = "/auth/realms/ror/protocol/openid-connect/token";

    /// <summary>Base path of the consultation service.</summary>
    public const string FhirPath = "/ws-diffusion-fhir";

    /// <summary>Base path of the capacity-write service.</summary>
    public const string CapacityPath = "/ws-synchro-dispo-lits-fhir";

    private const string FhirJson = "application/fhir+json";
    private static readonly FhirJsonSerializer Serializer = new();
    private static readonly FhirJsonDeserializer Deserializer = new(new DeserializerSettings { Validator = null });
    private static readonly HashSet<string> CapacityCodes187 = ["01", "02"];
    private static readonly HashSet<string> CapacityCodes188 = ["01", "02", "03", "04", "05"];
    private static readonly HashSet<string> CapacityCodes189 = ["01", "02"];
    private static readonly HashSet<string> CapacityCodes195 = ["01", "02", "03"];

    private readonly RorSandboxOptions _options;
    private readonly RorSandboxTokens _tokens;
    private readonly RorSearchEngine _engine;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, PagingSnapshot> _pages = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ExportJob> _jobs = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<RorSandboxRequest> _requests = new();

    /// <summary>Creates the handler over <paramref name="data"/>.</summary>
    /// <param name="options">Settings.</param>
    /// <param name="data">Resources.</param>
    /// <param name="time">Clock (token expiry, lastUpdated).</param>
    public RorSandboxHandler(RorSandboxOptions options, RorSandboxData data, TimeProvider time)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        Data = data ?? throw new ArgumentNullException(nameof(data));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _tokens = new RorSandboxTokens(time);
        _engine = new RorSearchEngine(data);
    }

    /// <summary>The resources served.</summary>
    public RorSandboxData Data { get; }

    /// <summary>Tokens issued so far.</summary>
    public int TokensIssued => _tokens.Issued;

    /// <summary>Optional check of every Location the capacity PATCH would store (e.g. the Firely profile validator); errors give a 400.</summary>
    public Func<Resource, IReadOnlyList<string>>? ResourceValidator { get; set; }

    /// <summary>The last requests (at most 10,000), oldest first.</summary>
    public IReadOnlyList<RorSandboxRequest> Requests => _requests.ToArray();

    /// <summary>Forgets the recorded requests.</summary>
    public void ClearRequests() => _requests.Clear();

    internal Uri PublicBase { get; set; } = new("https://127.0.0.1/");

    /// <summary>Handles any request.</summary>
    /// <param name="context">The HTTP context.</param>
    /// <returns>A task.</returns>
    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var path = context.Request.Path.Value ?? "/";
        try
        {
            if (path == TokenPath)
            {
                await TokenAsync(context).ConfigureAwait(false);
            }
            else if (path.StartsWith(CapacityPath + "/", StringComparison.Ordinal))
            {
                await CapacityAsync(context, path[(CapacityPath.Length + 1)..]).ConfigureAwait(false);
            }
            else if (path == FhirPath || path.StartsWith(FhirPath + "/", StringComparison.Ordinal))
            {
                await FhirAsync(context, path.Length > FhirPath.Length ? path[(FhirPath.Length + 1)..] : string.Empty).ConfigureAwait(false);
            }
            else
            {
                await OutcomeAsync(context, 404, OperationOutcome.IssueType.NotFound, $"Unknown path {path}.").ConfigureAwait(false);
            }
        }
        catch (RorSearchException ex)
        {
            await OutcomeAsync(context, 400, OperationOutcome.IssueType.Invalid, ex.Message).ConfigureAwait(false);
        }
        finally
        {
            _requests.Enqueue(new RorSandboxRequest(context.Request.Method, path, context.Request.QueryString.Value ?? string.Empty,
                context.Request.Headers.Keys.ToArray(), context.Response.StatusCode, context.Connection.ClientCertificate?.Subject));
            while (_requests.Count > 10_000 && _requests.TryDequeue(out _))
            {
            }
        }
    }

    private async Task TokenAsync(HttpContext context)
    {
        if (!HttpMethods.IsPost(context.Request.Method) || !context.Request.HasFormContentType)
        {
            await OAuthErrorAsync(context, 400, "invalid_request", "POST application/x-www-form-urlencoded expected.").ConfigureAwait(false);
            return;
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        if (form["grant_type"] != "client_credentials")
        {
            await OAuthErrorAsync(context, 400, "unsupported_grant_type", "Only client_credentials is supported.").ConfigureAwait(false);
            return;
        }

        var clientId = form["client_id"].ToString();
        var client = _options.Clients.FirstOrDefault(c => c.ClientId == clientId);
        if (client is null)
        {
            await OAuthErrorAsync(context, 401, "invalid_client", "Unknown client_id.").ConfigureAwait(false);
            return;
        }

        var certificate = context.Connection.ClientCertificate;
        var secret = form["client_secret"].ToString();
        if (client.AccessProfile == 0)
        {
            if (string.IsNullOrEmpty(secret) || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(client.Secret!)))
            {
                await OAuthErrorAsync(context, 401, "invalid_client", "Invalid client credentials.").ConfigureAwait(false);
                return;
            }
        }
        else
        {
            if (!string.IsNullOrEmpty(secret))
            {
                await OAuthErrorAsync(context, 401, "invalid_client", "This client authenticates with its certificate (RFC 8705); no secret is accepted.").ConfigureAwait(false);
                return;
            }

            if (certificate is null)
            {
                await OAuthErrorAsync(context, 401, "invalid_client", "A TLS client certificate is required for this client.").ConfigureAwait(false);
                return;
            }

            if (!SameDn(certificate.SubjectName, client.SubjectDn!))
            {
                await OAuthErrorAsync(context, 401, "invalid_client", "The certificate's subject DN is not the one registered for this client.").ConfigureAwait(false);
                return;
            }
        }

        var (token, expiresIn) = _tokens.Issue(client, _options.TokenLifetime);
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        await context.Response.WriteAsync(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["access_token"] = token,
            ["expires_in"] = expiresIn,
            ["token_type"] = "Bearer",
            ["scope"] = "profile email",
        }), context.RequestAborted).ConfigureAwait(false);
    }

    private static bool SameDn(X500DistinguishedName subject, string registered)
    {
        // .NET writes stateOrProvinceName as "S=", OpenSSL and ANS as "ST=".
        static string Norm(string s) => string.Join(",", s.Split(',').Select(p => p.Trim()).Select(p => p.StartsWith("S=", StringComparison.OrdinalIgnoreCase) ? "ST=" + p[2..] : p)).ToUpperInvariant();
        var reversed = subject.Decode(X500DistinguishedNameFlags.Reversed | X500DistinguishedNameFlags.UseCommas);
        return Norm(subject.Name) == Norm(registered) || Norm(reversed) == Norm(registered);
    }

    private async Task<RorSandboxPrincipal?> AuthenticateAsync(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await OutcomeAsync(context, 401, OperationOutcome.IssueType.Login, "Jeton d'accès absent (Authorization: Bearer).").ConfigureAwait(false);
            return null;
        }

        var principal = _tokens.Check(header[7..].Trim(), out var reason);
        if (principal is null)
        {
            context.Response.Headers.WWWAuthenticate = $"Bearer error=\"invalid_token\", error_description=\"{reason}\"";
            await OutcomeAsync(context, 401, OperationOutcome.IssueType.Login, "Jeton d'accès invalide : " + reason + ".").ConfigureAwait(false);
            return null;
        }

        return principal;
    }

    private async Task<bool> CheckRorHeadersAsync(HttpContext context)
    {
        var missing = RorHeaders.Where(h => string.IsNullOrEmpty(context.Request.Headers[h])).ToArray();
        if (missing.Length == 0 || _options.MissingHeaders == MissingHeaderBehaviour.Ignore)
        {
            return true;
        }

        var status = _options.MissingHeaders == MissingHeaderBehaviour.Forbidden ? 403 : 400;
        await OutcomeAsync(context, status, OperationOutcome.IssueType.Required, "En-tête(s) obligatoire(s) absent(s) : " + string.Join(", ", missing) + ".", missing).ConfigureAwait(false);
        return false;
    }

    private async Task FhirAsync(HttpContext context, string rest)
    {
        var principal = await AuthenticateAsync(context).ConfigureAwait(false);
        if (principal is null)
        {
            return;
        }

        var query = context.Request.Query.SelectMany(kv => kv.Value.Select(v => new KeyValuePair<string, string>(kv.Key, v ?? string.Empty))).ToList();
        if (rest.Length == 0 && context.Request.Query.ContainsKey("_getpages"))
        {
            if (!HttpMethods.IsGet(context.Request.Method) || !await CheckRorHeadersAsync(context).ConfigureAwait(false))
            {
                return;
            }

            await PageAsync(context, principal, context.Request.Query["_getpages"].ToString(), Int(context.Request.Query["_getpagesoffset"], 0), Int(context.Request.Query["_count"], _options.DefaultCount)).ConfigureAwait(false);
            return;
        }

        switch (rest)
        {
            case "$export":
                await ExportKickOffAsync(context, principal, query).ConfigureAwait(false);
                return;
            case "$export-poll-status":
                await ExportPollAsync(context, principal).ConfigureAwait(false);
                return;
            case "$export-get-file":
                await ExportFileAsync(context, principal).ConfigureAwait(false);
                return;
            case "metadata":
                await WriteResourceAsync(context, 200, new CapabilityStatement
                {
                    Status = PublicationStatus.Active,
                    Date = "2026-01-01",
                    Kind = CapabilityStatementKind.Instance,
                    FhirVersion = FHIRVersion.N4_0_1,
                    Format = ["application/fhir+json"],
                    Software = new CapabilityStatement.SoftwareComponent { Name = "SanteGateway ROR sandbox" },
                }).ConfigureAwait(false);
                return;
        }

        var parts = rest.Split('/');
        if (!RorSandboxData.ResourceTypes.Contains(parts[0]))
        {
            await OutcomeAsync(context, 404, OperationOutcome.IssueType.NotSupported, $"Type de ressource inconnu : {parts[0]}.").ConfigureAwait(false);
            return;
        }

        if (!HttpMethods.IsGet(context.Request.Method))
        {
            await OutcomeAsync(context, 405, OperationOutcome.IssueType.NotSupported, "Le service de consultation n'accepte que GET.").ConfigureAwait(false);
            return;
        }

        if (!await CheckRorHeadersAsync(context).ConfigureAwait(false))
        {
            return;
        }

        if (parts.Length == 2)
        {
            var found = Data.Get(parts[0], parts[1]);
            if (found is null || RorRedaction.IsHidden(found, principal.AccessProfile, Data))
            {
                await OutcomeAsync(context, 404, OperationOutcome.IssueType.NotFound, $"Ressource {parts[0]}/{parts[1]} introuvable.").ConfigureAwait(false);
                return;
            }

            context.Response.Headers.ETag = $"W/\"{found.Meta?.VersionId ?? "1"}\"";
            await WriteResourceAsync(context, 200, RorRedaction.Apply(found, principal.AccessProfile)).ConfigureAwait(false);
            return;
        }

        var count = Int(context.Request.Query["_count"], _options.DefaultCount);
        if (count < 0 || count > _options.MaxCount)
        {
            await OutcomeAsync(context, 400, OperationOutcome.IssueType.Invalid, $"_count doit être compris entre 0 et {_options.MaxCount}.").ConfigureAwait(false);
            return;
        }

        var matches = _engine.Search(parts[0], query, principal.AccessProfile);
        var id = Guid.NewGuid().ToString("N");
        var snapshot = new PagingSnapshot(matches, principal.ClientId, _time.GetUtcNow() + _options.PagingLifetime, context.Request.Path + context.Request.QueryString);
        if (matches.Matches.Count > count)
        {
            _pages[id] = snapshot;
            foreach (var old in _pages.Where(p => p.Value.ExpiresAt < _time.GetUtcNow()).Select(p => p.Key).ToArray())
            {
                _pages.TryRemove(old, out _);
            }
        }

        await WriteResourceAsync(context, 200, BuildPage(snapshot, id, 0, count, principal.AccessProfile)).ConfigureAwait(false);
    }

    private async Task PageAsync(HttpContext context, RorSandboxPrincipal principal, string id, int offset, int count)
    {
        if (!_pages.TryGetValue(id, out var snapshot) || snapshot.ExpiresAt < _time.GetUtcNow() || snapshot.ClientId != principal.ClientId)
        {
            await OutcomeAsync(context, 410, OperationOutcome.IssueType.NotFound, $"Recherche {id} expirée ou inconnue.").ConfigureAwait(false);
            return;
        }

        if (offset < 0 || offset >= Math.Min(snapshot.Matches.Matches.Count, _options.MaxResults) || count < 1 || count > _options.MaxCount)
        {
            await OutcomeAsync(context, 400, OperationOutcome.IssueType.Invalid, "Page hors limites (la recherche est limitée à " + _options.MaxResults + " résultats ; utiliser $export).").ConfigureAwait(false);
            return;
        }

        await WriteResourceAsync(context, 200, BuildPage(snapshot, id, offset, count, principal.AccessProfile)).ConfigureAwait(false);
    }

    private Bundle BuildPage(PagingSnapshot snapshot, string id, int offset, int count, int profile)
    {
        var matches = snapshot.Matches;
        var reachable = Math.Min(matches.Matches.Count, _options.MaxResults);
        var page = matches.Matches.Skip(offset).Take(Math.Min(count, Math.Max(0, reachable - offset))).ToList();
        var bundle = new Bundle
        {
            Id = Guid.NewGuid().ToString(),
            Type = Bundle.BundleType.Searchset,
            Total = matches.Matches.Count,
            Meta = new Meta { LastUpdated = _time.GetUtcNow() },
        };
        bundle.Link.Add(new Bundle.LinkComponent { Relation = "self", Url = new Uri(PublicBase, snapshot.SelfPath).ToString() });
        var nextOffset = offset + page.Count;
        if (count > 0 && nextOffset < reachable)
        {
            bundle.Link.Add(new Bundle.LinkComponent
            {
                Relation = "next",
                Url = new Uri(PublicBase, string.Create(CultureInfo.InvariantCulture, $"{FhirPath}?_getpages={id}&_getpagesoffset={nextOffset}&_count={count}&_bundletype=searchset")).ToString(),
            });
        }

        if (offset > 0)
        {
            bundle.Link.Add(new Bundle.LinkComponent
            {
                Relation = "previous",
                Url = new Uri(PublicBase, string.Create(CultureInfo.InvariantCulture, $"{FhirPath}?_getpages={id}&_getpagesoffset={Math.Max(0, offset - count)}&_count={count}&_bundletype=searchset")).ToString(),
            });
        }

        foreach (var r in page)
        {
            bundle.Entry.Add(Entry(r, Bundle.SearchEntryMode.Match, profile, matches.Distances));
        }

        foreach (var r in _engine.Included(matches, page, profile))
        {
            bundle.Entry.Add(Entry(r, Bundle.SearchEntryMode.Include, profile, matches.Distances));
        }

        if (matches.Matches.Count > _options.MaxResults && nextOffset >= reachable)
        {
            var warning = Outcome(OperationOutcome.IssueSeverity.Warning, OperationOutcome.IssueType.TooCostly,
                $"Résultats limités à {_options.MaxResults} sur {matches.Matches.Count} : utiliser l'opération $export.");
            bundle.Entry.Add(new Bundle.EntryComponent { Resource = warning, Search = new Bundle.SearchComponent { Mode = Bundle.SearchEntryMode.Outcome } });
        }

        return bundle;
    }

    private Bundle.EntryComponent Entry(Resource r, Bundle.SearchEntryMode mode, int profile, IReadOnlyDictionary<string, decimal> distances)
    {
        var entry = new Bundle.EntryComponent
        {
            FullUrl = new Uri(PublicBase, FhirPath + "/" + r.TypeName + "/" + r.Id).ToString(),
            Resource = RorRedaction.Apply(r, profile),
            Search = new Bundle.SearchComponent { Mode = mode },
        };
        if (r is Location && r.Id is { } locationId && distances.TryGetValue(locationId, out var km))
        {
            entry.Search.Extension.Add(new Extension(LocationDistanceExtension, new Distance { Value = km, Unit = "km", System = "http://unitsofmeasure.org", Code = "km" }));
        }

        return entry;
    }

    private async Task ExportKickOffAsync(HttpContext context, RorSandboxPrincipal principal, List<KeyValuePair<string, string>> query)
    {
        var format = query.FirstOrDefault(q => q.Key == "_outputFormat").Value ?? FhirJson;
        if (format is not (FhirJson or "application/json") && !(_options.AcceptNdjsonOutputFormat && format is "application/fhir+ndjson" or "application/ndjson" or "ndjson"))
        {
            await OutcomeAsync(context, 400, OperationOutcome.IssueType.NotSupported, $"_outputFormat {format} non supporté (application/fhir+json ou application/json).").ConfigureAwait(false);
            return;
        }

        var types = query.Where(q => q.Key == "_type").SelectMany(q => q.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
        var unknown = types.Where(t => !RorSandboxData.ResourceTypes.Contains(t)).ToArray();
        if (unknown.Length > 0)
        {
            await OutcomeAsync(context, 400, OperationOutcome.IssueType.NotSupported, "_type inconnu : " + string.Join(", ", unknown)).ConfigureAwait(false);
            return;
        }

        Func<Resource, bool> since = _ => true;
        if (query.FirstOrDefault(q => q.Key == "_since").Value is { Length: > 0 } s)
        {
            since = RorSearchEngine.DateCriterion("_since", "ge" + s, r => r.Meta?.LastUpdated);
        }

        var selected = new List<Resource>();
        var filters = query.Where(q => q.Key == "_typeFilter").Select(q => q.Value).ToList();
        if (filters.Count == 0)
        {
            foreach (var type in RorSandboxData.ResourceTypes)
            {
                selected.AddRange(Data.All(type).Where(r => !RorRedaction.IsHidden(r, principal.AccessProfile, Data) && since(r)));
            }
        }
        else
        {
            // The ROR exports the whole associated set of the filtered offers.
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var filter in filters)
            {
                var q = filter.IndexOf('?', StringComparison.Ordinal);
                var type = q < 0 ? filter : filter[..q];
                var parameters = q < 0 ? [] : QueryHelpers(filter[(q + 1)..]);
                parameters.Add(new("_revinclude", "PractitionerRole:service"));
                parameters.Add(new("_include", "HealthcareService:organization"));
                parameters.Add(new("_include", "HealthcareService:location"));
                parameters.Add(new("_include:iterate", "Organization:partof"));
                parameters.Add(new("_include", "PractitionerRole:practitioner"));
                var m = _engine.Search(type, parameters, principal.AccessProfile);
                foreach (var r in m.Matches.Concat(_engine.Included(m, m.Matches, principal.AccessProfile)).Where(since))
                {
                    if (seen.Add(RorSearchEngine.Key(r)))
                    {
                        selected.Add(r);
                    }
                }
            }
        }

        var job = new ExportJob(Guid.NewGuid().ToString(), principal.ClientId, _time.GetUtcNow(), context.Request.Path + context.Request.QueryString,
            selected.GroupBy(r => r.TypeName).SelectMany(g => g.Chunk(_options.ExportFileSize).Select(c => (g.Key, (IReadOnlyList<Resource>)c))).ToList());
        _jobs[job.Id] = job;
        context.Response.StatusCode = 202;
        context.Response.Headers.ContentLocation = new Uri(PublicBase, $"{FhirPath}/$export-poll-status?_jobId={job.Id}").ToString();
        await OutcomeBodyAsync(context, OperationOutcome.IssueSeverity.Information, OperationOutcome.IssueType.Informational, "Export demandé.").ConfigureAwait(false);
    }

    private async Task ExportPollAsync(HttpContext context, RorSandboxPrincipal principal)
    {
        var id = context.Request.Query["_jobId"].ToString();
        if (!_jobs.TryGetValue(id, out var job) || job.ClientId != principal.ClientId)
        {
            await OutcomeAsync(context, 404, OperationOutcome.IssueType.NotFound, $"Export {id} inconnu.").ConfigureAwait(false);
            return;
        }

        if (HttpMethods.IsDelete(context.Request.Method))
        {
            _jobs.TryRemove(id, out _);
            context.Response.StatusCode = 202;
            return;
        }

        if (Interlocked.Increment(ref job.Polls) <= _options.ExportPollsBeforeReady)
        {
            context.Response.StatusCode = 202;
            context.Response.Headers["X-Progress"] = "En cours";
            context.Response.Headers.RetryAfter = "1";
            return;
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        var output = job.Files.Select((f, i) => new Dictionary<string, object>
        {
            ["type"] = f.Type,
            ["url"] = new Uri(PublicBase, $"{FhirPath}/$export-get-file?_jobId={job.Id}&_file={i}").ToString(),
            ["count"] = f.Resources.Count,
        }).ToList();
        await context.Response.WriteAsync(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["transactionTime"] = job.TransactionTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", CultureInfo.InvariantCulture),
            ["request"] = new Uri(PublicBase, job.Request).ToString(),
            ["requiresAccessToken"] = true,
            ["output"] = output,
            ["error"] = Array.Empty<object>(),
        }), context.RequestAborted).ConfigureAwait(false);
    }

    private async Task ExportFileAsync(HttpContext context, RorSandboxPrincipal principal)
    {
        var id = context.Request.Query["_jobId"].ToString();
        if (!_jobs.TryGetValue(id, out var job) || job.ClientId != principal.ClientId
            || !int.TryParse(context.Request.Query["_file"], NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index >= job.Files.Count)
        {
            await OutcomeAsync(context, 404, OperationOutcome.IssueType.NotFound, "Fichier d'export inconnu.").ConfigureAwait(false);
            return;
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/fhir+ndjson";
        var writer = new StreamWriter(context.Response.Body, new UTF8Encoding(false), 1 << 16);
        await using (writer.ConfigureAwait(false))
        {
            foreach (var r in job.Files[index].Resources)
            {
                await writer.WriteAsync(Serializer.SerializeToString(RorRedaction.Apply(r, principal.AccessProfile))).ConfigureAwait(false);
                await writer.WriteAsync('\n').ConfigureAwait(false);
            }
        }
    }

    private async Task CapacityAsync(HttpContext context, string rest)
    {
        var principal = await AuthenticateAsync(context).ConfigureAwait(false);
        if (principal is null)
        {
            return;
        }

        if (rest != "Location" || !HttpMethods.IsPatch(context.Request.Method))
        {
            await OutcomeAsync(context, 405, OperationOutcome.IssueType.NotSupported, "Seul PATCH Location?identifier=… est accepté.").ConfigureAwait(false);
            return;
        }

        var sent = RorHeaders.Where(h => context.Request.Headers.ContainsKey(h)).ToArray();
        if (sent.Length > 0)
        {
            await OutcomeAsync(context, 400, OperationOutcome.IssueType.Invalid, "Les en-têtes Ror-* ne doivent pas être envoyés sur le PATCH capacitaire : " + string.Join(", ", sent) + ".", sent).ConfigureAwait(false);
            return;
        }

        if (context.Request.ContentType?.StartsWith(FhirJson, StringComparison.OrdinalIgnoreCase) != true)
        {
            await OutcomeAsync(context, 415, OperationOutcome.IssueType.NotSupported, "Content-Type: application/fhir+json attendu.").ConfigureAwait(false);
            return;
        }

        var identifier = context.Request.Query["identifier"].ToString();
        var slash = identifier.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == identifier.Length - 1)
        {
            await OutcomeAsync(context, 400, OperationOutcome.IssueType.Invalid, "identifier=<IdNatStruct de l'EG>/<identifiant externe> attendu.", ["identifier"]).ConfigureAwait(false);
            return;
        }

        var eg = identifier[..slash];
        var external = identifier[(slash + 1)..];
        if (!principal.MayWrite(eg))
        {
            await OutcomeAsync(context, 403, OperationOutcome.IssueType.Forbidden, $"Le client n'a pas les droits d'écriture sur l'établissement {eg}.").ConfigureAwait(false);
            return;
        }

        Parameters? body;
        try
        {
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
            var text = await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
            var json = new Utf8JsonReader(Encoding.UTF8.GetBytes(text), new JsonReaderOptions { MaxDepth = 64 });
            Deserializer.TryDeserializeResource(ref json, out var parsed, out _);
            body = parsed as Parameters;
        }
        catch (Exception ex) when (ex is JsonException or DeserializationFailedException or FormatException)
        {
            body = null;
        }

        if (body is null || body.Parameter.Count == 0 || body.Parameter.Any(p => p.Name != "operation"))
        {
            await OutcomeAsync(context, 400, OperationOutcome.IssueType.Invalid, "Le corps doit être un Parameters FHIRPath Patch (parameter 'operation').").ConfigureAwait(false);
            return;
        }

        var matches = Data.All("Location").OfType<Location>().Where(l => l.Identifier.Any(i => i.Value == identifier
            || (i.Value == external && i.Type?.Coding.Any(c => c.Code == "26") == true && Data.Resolve(l.ManagingOrganization) is Organization o
                && o.Identifier.Any(x => x.System == IdNatStructSystem && x.Value == eg)))).ToList();
        if (matches.Count == 0)
        {
            await OutcomeAsync(context, 404, OperationOutcome.IssueType.NotFound, $"Aucun lieu (Location) n'a l'identifiant de synchronisation {identifier}.", ["Location"]).ConfigureAwait(false);
            return;
        }

        if (matches.Count > 1)
        {
            await OutcomeAsync(context, 412, OperationOutcome.IssueType.MultipleMatches, $"{matches.Count} lieux (Location) partagent l'identifiant de synchronisation {identifier}.").ConfigureAwait(false);
            return;
        }

        var location = (Location)matches[0].DeepCopy();
        foreach (var op in body.Parameter)
        {
            var error = Apply(location, op);
            if (error is not null)
            {
                await OutcomeAsync(context, error.Value.Status, error.Value.Type, error.Value.Message, error.Value.Expression is null ? null : [error.Value.Expression]).ConfigureAwait(false);
                return;
            }
        }

        var rule = BusinessRules(location);
        if (rule is not null)
        {
            await OutcomeAsync(context, 400, OperationOutcome.IssueType.BusinessRule, rule).ConfigureAwait(false);
            return;
        }

        if (ResourceValidator?.Invoke(location) is { Count: > 0 } errors)
        {
            await OutcomeAsync(context, 400, OperationOutcome.IssueType.Invalid, "Ressource non conforme au profil ror-location : " + string.Join(" | ", errors.Take(5))).ConfigureAwait(false);
            return;
        }

        Data.Touch(location);
        context.Response.Headers.ETag = $"W/\"{location.Meta?.VersionId}\"";
        context.Response.Headers.LastModified = location.Meta!.LastUpdated!.Value.ToString("R", CultureInfo.InvariantCulture);
        context.Response.StatusCode = 200;
        await OutcomeBodyAsync(context, OperationOutcome.IssueSeverity.Information, OperationOutcome.IssueType.Informational, "Mise à jour du capacitaire effectuée.").ConfigureAwait(false);
    }

    private static (int Status, OperationOutcome.IssueType Type, string Message, string? Expression)? Apply(Location location, Parameters.ParameterComponent op)
    {
        string? Part(string name) => op.Part.FirstOrDefault(p => p.Name == name)?.Value?.ToString();
        var type = Part("type");
        var path = Part("path");
        if (type is null || path is null)
        {
            return (400, OperationOutcome.IssueType.Invalid, "Opération sans 'type' ou 'path'.", null);
        }

        switch (type)
        {
            case "replace":
            {
                var value = op.Part.FirstOrDefault(p => p.Name == "value")?.Value;
                const string suffixStart = ".extension.where(url='";
                var cut = path.LastIndexOf(suffixStart, StringComparison.Ordinal);
                if (value is null || cut < 0 || !path.EndsWith("').value", StringComparison.Ordinal))
                {
                    return (400, OperationOutcome.IssueType.NotSupported, "Le bac à sable accepte replace sur <indicateur>.extension.where(url='…').value.", path);
                }

                var sub = path[(cut + suffixStart.Length)..^"').value".Length];
                IReadOnlyList<Extension> records;
                try
                {
                    // HAPI (the national ROR) accepts the typed choice names the IG writes (valueCodeableConcept); Firely's
                    // FHIRPath wants the plain choice name.
                    var expression = System.Text.RegularExpressions.Regex.Replace(path[..cut], @"\bvalue(CodeableConcept|Coding|Code|Integer|DateTime|String|Boolean)\b", "value");
                    records = location.Select(expression).OfType<Extension>().ToList();
                }
                catch (Exception ex) when (ex is FormatException or InvalidOperationException or ArgumentException)
                {
                    return (400, OperationOutcome.IssueType.Invalid, "Expression FHIRPath invalide : " + ex.Message, path);
                }

                if (records.Count == 0)
                {
                    return (404, OperationOutcome.IssueType.NotFound, "L'indicateur capacitaire n'existe pas sur ce lieu : utiliser une opération add.", RorCapacityPatch.MissingIndicatorExpression);
                }

                if (records.Count > 1)
                {
                    return (400, OperationOutcome.IssueType.BusinessRule, "L'expression désigne plusieurs indicateurs capacitaires.", path);
                }

                var target = records[0].GetExtension(sub);
                if (target is null)
                {
                    records[0].Extension.Add(new Extension(sub, value));
                }
                else
                {
                    target.Value = value;
                }

                return null;
            }

            case "add":
            {
                if (path != "Location" || Part("name") != "extension")
                {
                    return (400, OperationOutcome.IssueType.NotSupported, "Le bac à sable accepte add sur path 'Location', name 'extension'.", path);
                }

                var value = op.Part.FirstOrDefault(p => p.Name == "value");
                var url = value?.Part.FirstOrDefault(p => p.Name == "url")?.Value?.ToString();
                if (value is null || url != SupportedCapacityExtension)
                {
                    return (400, OperationOutcome.IssueType.Invalid, "add : la valeur doit être une extension " + SupportedCapacityExtension + ".", path);
                }

                var record = new Extension { Url = url };
                foreach (var part in value.Part.Where(p => p.Name == "extension"))
                {
                    var subUrl = part.Part.FirstOrDefault(p => p.Name == "url")?.Value?.ToString();
                    var subValue = part.Part.FirstOrDefault(p => p.Name == "value")?.Value;
                    if (subUrl is null || subValue is null)
                    {
                        return (400, OperationOutcome.IssueType.Invalid, "add : chaque sous-extension doit avoir url et value.", path);
                    }

                    record.Extension.Add(new Extension(subUrl, subValue));
                }

                location.Extension.Add(record);
                return null;
            }

            case "delete" or "insert" or "move":
                return (400, OperationOutcome.IssueType.NotSupported, $"Opération {type} non acceptée sur le capacitaire.", path);
            default:
                return (400, OperationOutcome.IssueType.Invalid, $"Type d'opération inconnu : {type} (add, insert, delete, replace, move).", path);
        }
    }

    /// <summary>The business rules the sandbox checks on capacity records (its own, documented in the README).</summary>
    private static string? BusinessRules(Location location)
    {
        var records = RorCapacityPatch.Read(location);
        foreach (var r in records)
        {
            if (r.Count is null or < 0)
            {
                return "nbCapacity doit être un entier positif ou nul.";
            }

            if (r.CapacityType is null || !CapacityCodes187.Contains(r.CapacityType)
                || r.CapacityStatus is null || !CapacityCodes188.Contains(r.CapacityStatus)
                || r.Temporality is null || !CapacityCodes189.Contains(r.Temporality)
                || r.TemporaryAssignment is null || !CapacityCodes195.Contains(r.TemporaryAssignment))
            {
                return $"Combinaison d'indicateur invalide : nature {r.CapacityType}, statut {r.CapacityStatus}, temporalité {r.Temporality}, affectation {r.TemporaryAssignment}.";
            }

            if (r.UpdatedAt is null)
            {
                return "capacityUpdateDate est obligatoire.";
            }
        }

        var duplicate = records.GroupBy(r => (r.CapacityType, r.CapacityStatus, r.Temporality, r.TemporaryAssignment, r.Gender, r.CrisisType, r.AdditionalBedType)).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            return "Le même indicateur capacitaire figure plusieurs fois sur le lieu.";
        }

        foreach (var available in records.Where(r => r.CapacityStatus == "02"))
        {
            var installed = records.FirstOrDefault(r => r.CapacityStatus == "01" && r.CapacityType == available.CapacityType && r.Temporality == available.Temporality
                                                         && r.TemporaryAssignment == available.TemporaryAssignment && r.Gender == available.Gender);
            if (installed is not null && available.Count > installed.Count)
            {
                return $"Le nombre de lits disponibles ({available.Count}) dépasse le nombre de lits installés ({installed.Count}).";
            }
        }

        return null;
    }

    private static List<KeyValuePair<string, string>> QueryHelpers(string query) =>
        query.Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .Select(p => new KeyValuePair<string, string>(Uri.UnescapeDataString(p[0]), p.Length > 1 ? Uri.UnescapeDataString(p[1].Replace('+', ' ')) : string.Empty))
            .ToList();

    private static int Int(string? value, int fallback) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : fallback;

    private static OperationOutcome Outcome(OperationOutcome.IssueSeverity severity, OperationOutcome.IssueType type, string diagnostics, IEnumerable<string>? expression = null)
    {
        var issue = new OperationOutcome.IssueComponent { Severity = severity, Code = type, Diagnostics = diagnostics };
        if (expression is not null)
        {
            issue.Expression = expression.ToList();
        }

        return new OperationOutcome { Issue = [issue] };
    }

    private static Task OutcomeAsync(HttpContext context, int status, OperationOutcome.IssueType type, string diagnostics, IEnumerable<string>? expression = null) =>
        WriteResourceAsync(context, status, Outcome(OperationOutcome.IssueSeverity.Error, type, diagnostics, expression));

    private static Task OutcomeBodyAsync(HttpContext context, OperationOutcome.IssueSeverity severity, OperationOutcome.IssueType type, string diagnostics)
    {
        context.Response.ContentType = FhirJson + "; charset=utf-8";
        return context.Response.WriteAsync(Serializer.SerializeToString(Outcome(severity, type, diagnostics)), context.RequestAborted);
    }

    private static async Task OAuthErrorAsync(HttpContext context, int status, string error, string description)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonSerializer.Serialize(new Dictionary<string, string> { ["error"] = error, ["error_description"] = description }), context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task WriteResourceAsync(HttpContext context, int status, Resource resource)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = FhirJson + "; charset=utf-8";
        await context.Response.WriteAsync(Serializer.SerializeToString(resource), context.RequestAborted).ConfigureAwait(false);
    }

    private sealed record PagingSnapshot(RorSearchMatches Matches, string ClientId, DateTimeOffset ExpiresAt, string SelfPath);

    private sealed class ExportJob(string id, string clientId, DateTimeOffset transactionTime, string request, IReadOnlyList<(string Type, IReadOnlyList<Resource> Resources)> files)
    {
        public int Polls;

        public string Id { get; } = id;

        public string ClientId { get; } = clientId;

        public DateTimeOffset TransactionTime { get; } = transactionTime;

        public string Request { get; } = request;

        public IReadOnlyList<(string Type, IReadOnlyList<Resource> Resources)> Files { get; } = files;
    }
}
