using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.OpenApi;
using Scalar.AspNetCore;
using SanteGateway.Identity;
using SanteGateway.Server.Security;

namespace SanteGateway.Server.OpenApi;

/// <summary>
/// The document-level parts of the REST API reference: info, servers, security schemes (API key header, session
/// cookie) and who needs which, the 401/403/429 answers every protected or rate-limited operation can give, schema
/// fixes (integers, nullability and required as the JSON binder behaves, vocabularies of the INS domain), and the
/// browsable reference at <c>/docs</c> (Scalar, assets served by the gateway). Operation-specific text (summaries,
/// descriptions, examples, status codes) belongs on the endpoints; a readable summary is derived from the operation id
/// only where an endpoint gives none.
/// </summary>
internal static class GatewayOpenApi
{
    /// <summary>The security scheme of the <c>X-Api-Key</c> header.</summary>
    public const string ApiKeySchemeName = "apiKey";

    /// <summary>The security scheme of the same API key sent as <c>Authorization: Bearer</c>.</summary>
    public const string BearerSchemeName = "bearer";

    /// <summary>The security scheme of the session cookie set by <c>POST /api/auth/login</c>.</summary>
    public const string CookieSchemeName = "cookie";

    /// <summary>Where the browsable reference is served.</summary>
    public const string DocsPath = "/docs";

    private const string ProblemJson = "application/problem+json";

    private static readonly (string Name, string Description)[] TagDescriptions =
    [
        ("Identities", "Patient identities under identity vigilance (RNIV): traits, statuses PROV/RECUP/VALI/QUAL, evidence, attributes, INSi calls, INS DataMatrix, audit."),
        ("Vigilance", "Identity-vigilance work: dashboard counts, worklists (duplicates, collisions, INSi mismatches, failures), alerts and field-by-field merge."),
        ("Inbound", "Health data received from other identification domains (HL7 v2, FHIR, CDA): stored before acknowledged, then attached, created, held for review or rejected; the review queue and the partners' trust settings."),
        ("Batch jobs", "Mass INSi verification and search: resumable jobs shared by several instances, throttled, with progress and a CSV report."),
        ("HL7 messages", "HL7 v2 messages received (MLLP, folder) and sent (outbox), dead letters and audited replay."),
        ("Documents", "Documents sent to the DMP / Mon espace santé for an identity (qualified INS only): submissions, states and attempts."),
        ("ROR", "The national directory of health services (ROR) mirrored in the store: offer search, organisations, synchronisation status and trigger, capacity updates."),
        ("Authentication", "Staff sign-in with a session cookie (the web UI); programs use an API key in the X-Api-Key header (or as a bearer token) instead."),
        ("Administration", "Accounts, API keys, the audit-chain check and the certificate inventory (administrator role)."),
        ("Web UI", "Settings read by the embedded staff web UI."),
    ];

    /// <summary>
    /// Summaries of today's operations, used only where the endpoint declares none (an endpoint's own
    /// <c>WithSummary</c> wins; move these onto the endpoints when they are next edited). Unknown ids get a summary
    /// derived from the id.
    /// </summary>
    private static readonly Dictionary<string, string> Summaries = new(StringComparer.Ordinal)
    {
        ["UiSettings"] = "Settings of the staff web UI",
        ["CreateIdentity"] = "Create an identity (PROV, or VALI with a checked high-trust document)",
        ["SearchIdentities"] = "Search identities by birth name, birth date, first name and sex",
        ["GetIdentity"] = "Get an identity",
        ["PatchIdentity"] = "Edit an identity's traits",
        ["AddEvidence"] = "Record a checked identity document",
        ["SetAttributes"] = "Set the homonym, doubtful and fictitious attributes",
        ["RevertQualification"] = "Withdraw a validation or qualification",
        ["InsiSearch"] = "Search the identity's INS with INSi and apply the answer (RECUP or QUAL)",
        ["InsiVerify"] = "Verify the identity's INS with INSi",
        ["IdentityDataMatrixPng"] = "INS DataMatrix of a qualified identity (PNG)",
        ["IdentityDataMatrixSvg"] = "INS DataMatrix of a qualified identity (SVG)",
        ["IdentityInsiExchanges"] = "INSi exchanges of an identity (raw messages)",
        ["IdentityAudit"] = "Audit trail of an identity",
        ["Login"] = "Sign in (sets the session cookie)",
        ["Logout"] = "Sign out",
        ["Me"] = "The signed-in account and its roles",
        ["CreateApiKey"] = "Create an API key (shown once)",
        ["CreateUser"] = "Create a staff account",
        ["VerifyAuditChain"] = "Verify the hash chain of the audit trail",
    };

    /// <summary>
    /// Example bodies of the main requests (shown by the reference, tried by developers); a test checks each against
    /// its schema and sends the identity creation to a gateway.
    /// </summary>
    private static readonly Dictionary<string, string> RequestExamples = new(StringComparer.Ordinal)
    {
        ["CreateIdentity"] = """
            {"birthName": "MARTIN", "birthFirstNames": "MARIE CLAIRE", "sex": "F", "birthDate": "1985-03-14", "birthPlaceCog": "69123",
             "usedName": "DURAND", "collectionChannel": "SM",
             "evidence": {"documentType": "CN", "checkedOn": "2026-11-30", "expiresOn": "2031-06-01"}}
            """,
        ["PatchIdentity"] = """{"version": 3, "usedName": "DURAND", "usedFirstName": "MARIE"}""",
        ["AddEvidence"] = """{"documentType": "PA", "checkedOn": "2026-11-30", "expiresOn": "2030-01-01"}""",
        ["SetAttributes"] = """{"version": 4, "homonym": true, "doubtful": false, "fictitious": false}""",
        ["RevertQualification"] = """{"version": 5, "reason": "Document presented belonged to a relative"}""",
        ["InsiSearch"] = """{"confirmTransliteration": true}""",
        ["InsiVerify"] = """{"confirmTransliteration": true}""",
        ["InsiSearchVitale"] = """{"insuredNir": "2770763220831", "beneficiaryNir": "1100863220830", "birthName": "NESSI", "birthDate": "2010-08-07", "rank": 1}""",
        ["InsiSearchVitaleNew"] = """{"insuredNir": "277076322083108", "birthName": "NESSI", "birthDate": "2012-10-09"}""",
        ["MergeIdentities"] = """{"from": "0193a1b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b", "reason": "Duplicate created at the emergency desk"}""",
        ["ResolveAlert"] = """{"reason": "Checked with the patient's identity card"}""",
        ["Login"] = """{"userName": "accueil1", "password": "correct-horse-battery-staple"}""",
        ["CreateUser"] = """{"userName": "accueil1", "password": "correct-horse-battery-staple", "roles": ["front-desk"]}""",
        ["CreateApiKey"] = """{"name": "lab results feed", "roles": ["front-desk"], "expiresAt": "2027-12-31T23:59:59Z"}""",
        ["CreateBatchJob"] = """{"kind": "verify", "filter": {"status": ["VALI", "QUAL"], "verifiedBeforeDays": 365}, "ratePerSecond": 5, "concurrency": 2}""",
    };

    /// <summary>Registers the OpenAPI document (<c>/openapi/v1.json</c>) with the gateway's transformers.</summary>
    public static IServiceCollection AddGatewayOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(o =>
        {
            o.AddDocumentTransformer(DescribeDocument);
            o.AddOperationTransformer(DescribeOperation);
            o.AddSchemaTransformer(FixSchema);
            o.AddDocumentTransformer(FixRequiredAndVocabularies);
        });

    /// <summary>
    /// Maps <c>/docs</c>: the Scalar reference of <c>/openapi/v1.json</c>, its script and styles served by the gateway
    /// itself (no CDN, no web fonts, no telemetry). The page's one inline script carries a per-request nonce; the page
    /// alone relaxes <c>style-src</c> for the styles the reference injects at run time; eval stays forbidden.
    /// </summary>
    public static IEndpointConventionBuilder MapGatewayApiReference(this IEndpointRouteBuilder app) =>
        app.MapScalarApiReference(DocsPath, (options, context) =>
        {
            var nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
            context.Response.Headers.ContentSecurityPolicy =
                $"default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
                "connect-src 'self'; worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
            options.WithTitle("SanteGateway API")
                .WithOpenApiRoutePattern("/openapi/{documentName}.json")
                .WithNonce(nonce)
                // The bundled schema library (zod) probes eval support at start-up; "jitless" makes it skip the probe
                // instead of tripping the CSP, which forbids eval.
                .AddHeadContent($"<script nonce=\"{nonce}\">globalThis.__zod_globalConfig = {{ jitless: true }};</script>")
                .HideDeveloperTools()
                .DisableDefaultFonts()
                .DisableTelemetry()
                .DisableAgent()
                .DisableMcp()
                .AddPreferredSecuritySchemes(ApiKeySchemeName);
        }).AllowAnonymous();

    private static Task DescribeDocument(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken ct)
    {
        var version = typeof(GatewayOpenApi).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion.Split('+')[0] ?? "0.0.0";
        document.Info = new OpenApiInfo
        {
            Title = "SanteGateway API",
            Version = version,
            Description =
                "REST API of a SanteGateway gateway: patient identities under the French identity-vigilance rules (RNIV) with their INS " +
                "(Identité Nationale de Santé), INSi calls, INS DataMatrix and audit.\n\n" +
                "Authenticate with an API key in the `X-Api-Key` header or as `Authorization: Bearer <key>` (programs) or the session cookie from `POST /api/auth/login` (the web UI). " +
                "Errors are RFC 9457 problem details (`application/problem+json`) naming the field and the rule.",
            License = new OpenApiLicense { Name = "MIT", Identifier = "MIT" },
        };

        // Relative to wherever the document was fetched from: the same gateway, whatever its public address.
        document.Servers = [new OpenApiServer { Url = "/", Description = "This gateway" }];

        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[ApiKeySchemeName] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = ApiKeys.Header,
            Description = "An API key created by an administrator (`POST /api/admin/api-keys`); its roles decide what it may do.",
        };
        document.Components.SecuritySchemes[BearerSchemeName] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "The same API key sent as `Authorization: Bearer sgw_…`, for clients (FHIR libraries, OAuth-minded tools) that only speak bearer tokens.",
        };
        document.Components.SecuritySchemes[CookieSchemeName] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Cookie,
            Name = "santegw",
            Description = "The session cookie set by `POST /api/auth/login` (HttpOnly, SameSite=Strict, 8 h sliding).",
        };

        // Known tags first, in reading order (identities before the web UI's settings), each with its description.
        var existing = document.Tags?.ToList() ?? [];
        var ordered = new HashSet<OpenApiTag>();
        foreach (var (name, description) in TagDescriptions)
        {
            var tag = existing.FirstOrDefault(t => t.Name == name) ?? new OpenApiTag { Name = name };
            tag.Description ??= description;
            ordered.Add(tag);
        }

        foreach (var tag in existing.Where(t => !ordered.Contains(t)))
        {
            ordered.Add(tag);
        }

        document.Tags = ordered;

        return Task.CompletedTask;
    }

    private static Task DescribeOperation(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        if (string.IsNullOrEmpty(operation.Summary) && operation.OperationId is { Length: > 0 } id)
        {
            operation.Summary = Summaries.TryGetValue(id, out var known) ? known : SummaryFromOperationId(id);
        }

        if (operation.OperationId is { } exampleId && RequestExamples.TryGetValue(exampleId, out var example)
            && operation.RequestBody?.Content?.TryGetValue("application/json", out var json) == true)
        {
            json.Example = JsonNode.Parse(example);
        }

        operation.Responses ??= new OpenApiResponses();
        var anonymous = metadata.OfType<IAllowAnonymous>().Any();
        var authorize = metadata.OfType<IAuthorizeData>().ToList();
        if (anonymous || authorize.Count == 0)
        {
            // Explicitly open: an empty requirement.
            operation.Security = [new OpenApiSecurityRequirement()];
        }
        else
        {
            operation.Security =
            [
                new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(ApiKeySchemeName, context.Document)] = [] },
                new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerSchemeName, context.Document)] = [] },
                new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(CookieSchemeName, context.Document)] = [] },
            ];
            AddProblem(operation, context, "401", "Not authenticated: no valid API key or session cookie.");
            if (authorize.Any(a => a.Policy is not null || a.Roles is not null) || metadata.OfType<AuthorizationPolicy>().Any())
            {
                AddProblem(operation, context, "403", "Authenticated, but the account's roles do not allow this operation.");
            }
        }

        if (metadata.OfType<EnableRateLimitingAttribute>().Any())
        {
            AddProblem(operation, context, "429", "Too many attempts from this address; retry after a minute.");
        }

        // Answers declared with a media type but no CLR type (CSV reports, images) get no content from the generator:
        // describe the body as a string (binary for images).
        foreach (var declared in metadata.OfType<IProducesResponseTypeMetadata>().Where(m => m.ContentTypes.Any()))
        {
            var code = declared.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var response = operation.Responses.TryGetValue(code, out var existing) ? existing as OpenApiResponse : null;
            if (response is null && !operation.Responses.ContainsKey(code))
            {
                response = new OpenApiResponse { Description = "OK" };
                operation.Responses[code] = response;
            }

            if (response is not null && (response.Content is null || response.Content.Count == 0))
            {
                response.Content = declared.ContentTypes.Distinct(StringComparer.Ordinal).ToDictionary(
                    media => media,
                    media => new OpenApiMediaType
                    {
                        Schema = media.StartsWith("text/", StringComparison.Ordinal) || media.EndsWith("+xml", StringComparison.Ordinal)
                            ? new OpenApiSchema { Type = JsonSchemaType.String }
                            : new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" },
                    });
            }
        }

        // Any operation can fail unexpectedly; the answer is a problem without details but with a correlation id to
        // find the logged exception.
        AddProblem(operation, context, "500", "Unexpected error. The problem's `correlationId` finds the logged exception; nothing was half-written.");

        return Task.CompletedTask;
    }

    private static void AddProblem(OpenApiOperation operation, OpenApiOperationTransformerContext context, string status, string description)
    {
        if (operation.Responses!.ContainsKey(status))
        {
            return;
        }

        operation.Responses[status] = new OpenApiResponse
        {
            Description = description,
            Content = new Dictionary<string, OpenApiMediaType>
            {
                [ProblemJson] = new OpenApiMediaType { Schema = new OpenApiSchemaReference("ProblemDetails", context.Document) },
            },
        };
    }

    /// <summary><c>SearchIdentities</c> → <c>Search identities</c>.</summary>
    internal static string SummaryFromOperationId(string id)
    {
        var words = new List<string>();
        var start = 0;
        for (var i = 1; i <= id.Length; i++)
        {
            if (i == id.Length || (char.IsUpper(id[i]) && !char.IsUpper(id[i - 1])))
            {
                words.Add(id[start..i]);
                start = i;
            }
        }

        var text = string.Join(' ', words.Select((w, i) => i == 0 || w.All(char.IsUpper) ? w : w.ToLowerInvariant()));
        return text.Replace("insi", "INSi", StringComparison.Ordinal).Replace(" png", " (PNG)", StringComparison.Ordinal).Replace(" svg", " (SVG)", StringComparison.Ordinal);
    }

    private static Task FixSchema(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken ct)
    {
        // The web JSON defaults also read numbers written as strings; the contract is a number.
        if (schema.Type is { } type && (type & JsonSchemaType.String) != 0 && (type & (JsonSchemaType.Integer | JsonSchemaType.Number)) != 0)
        {
            schema.Type = type & ~JsonSchemaType.String;
            schema.Pattern = null;
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Request bodies: a nullable property may be left out (the binder gives null and the endpoint names the missing
    /// field itself), so it is not "required". Responses always write every property, null included, so they keep it.
    /// Known string vocabularies of the INS domain become enums.
    /// </summary>
    private static Task FixRequiredAndVocabularies(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken ct)
    {
        var schemas = document.Components?.Schemas;
        if (schemas is null)
        {
            return Task.CompletedTask;
        }

        var requestSchemas = new HashSet<string>(StringComparer.Ordinal);
        var responseSchemas = new HashSet<string>(StringComparer.Ordinal);
        foreach (var operation in (document.Paths ?? []).Values.SelectMany(p => p.Operations?.Values ?? Enumerable.Empty<OpenApiOperation>()))
        {
            foreach (var media in operation.RequestBody?.Content?.Values ?? Enumerable.Empty<OpenApiMediaType>())
            {
                CollectReferences(media.Schema, schemas, requestSchemas);
            }

            foreach (var media in (operation.Responses ?? []).Values.SelectMany(r => r.Content?.Values ?? Enumerable.Empty<OpenApiMediaType>()))
            {
                CollectReferences(media.Schema, schemas, responseSchemas);
            }
        }

        foreach (var name in requestSchemas)
        {
            if (schemas[name] is OpenApiSchema request && request.Properties is not null && request.Required is not null)
            {
                foreach (var (property, propertySchema) in request.Properties)
                {
                    if (IsNullable(propertySchema))
                    {
                        request.Required.Remove(property);
                    }
                }

                SetVocabularies(request, isRequest: true);
            }
        }

        foreach (var name in responseSchemas.Except(requestSchemas))
        {
            if (schemas[name] is OpenApiSchema response)
            {
                SetVocabularies(response, isRequest: false);
            }
        }

        return Task.CompletedTask;
    }

    private static void SetVocabularies(OpenApiSchema schema, bool isRequest)
    {
        if (schema.Properties is null)
        {
            return;
        }

        foreach (var (name, property) in schema.Properties)
        {
            if (property is not OpenApiSchema target)
            {
                continue;
            }

            // "status" is the identity status only on identity views (batch jobs and API keys have their own).
            var identityView = schema.Properties.ContainsKey("birthName");
            string[]? values = name switch
            {
                "sex" => isRequest ? ["M", "F"] : ["M", "F", "U"],
                "status" when !isRequest && identityView => ["PROV", "RECUP", "VALI", "QUAL"],
                "collectionChannel" => Enum.GetNames<CollectionChannel>(),
                _ => null,
            };
            if (values is not null && target.Type is { } type && (type & JsonSchemaType.String) != 0 && (isRequest || (type & JsonSchemaType.Null) == 0))
            {
                // An enum cannot hold null here: a nullable request property is documented as optional instead
                // (it is no longer required), which is what null means to the endpoint.
                target.Enum = [.. values.Select(v => (JsonNode)JsonValue.Create(v))];
                if (isRequest)
                {
                    target.Type = type & ~JsonSchemaType.Null;
                }
            }

            if (name == "attributes" && target.Items is OpenApiSchema items && items.Type == JsonSchemaType.String)
            {
                items.Enum = [JsonValue.Create("HOMA"), JsonValue.Create("DOUT"), JsonValue.Create("FICT")];
            }
        }
    }

    private static bool IsNullable(IOpenApiSchema schema) =>
        (schema.Type is { } type && (type & JsonSchemaType.Null) != 0)
        || (schema.OneOf?.Any(s => s.Type == JsonSchemaType.Null) ?? false);

    private static void CollectReferences(IOpenApiSchema? schema, IDictionary<string, IOpenApiSchema> all, HashSet<string> found)
    {
        switch (schema)
        {
            case null:
                return;
            case OpenApiSchemaReference reference when reference.Reference.Id is { } id:
                if (found.Add(id) && all.TryGetValue(id, out var target))
                {
                    CollectReferences(target, all, found);
                }

                return;
        }

        foreach (var child in (schema.Properties?.Values ?? Enumerable.Empty<IOpenApiSchema>())
                     .Concat(schema.OneOf ?? []).Concat(schema.AnyOf ?? []).Concat(schema.AllOf ?? [])
                     .Append(schema.Items).OfType<IOpenApiSchema>())
        {
            CollectReferences(child, all, found);
        }
    }
}
