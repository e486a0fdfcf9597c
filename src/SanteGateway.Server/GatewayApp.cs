using System.Security.Cryptography;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using SanteGateway.Application;
using SanteGateway.Server.Hosting;
using SanteGateway.Server.Identities;
using SanteGateway.Server.Insi;
using SanteGateway.Server.OpenApi;
using SanteGateway.Server.Security;
using SanteGateway.Store;
using SanteGateway.Store.Entities;

namespace SanteGateway.Server;

/// <summary>
/// Builds the gateway web application. <c>santegw serve</c> and the integration tests use the same two steps:
/// <see cref="CreateBuilder"/> (services; callers may replace some, e.g. <see cref="IInsiPort"/>), then
/// <see cref="Build"/> (pipeline and endpoints), then <see cref="InitializeAsync"/> (migrations and first-run seed).
/// </summary>
public static class GatewayApp
{
    /// <summary>Default name of the initial administrator account created on a fresh database.</summary>
    public const string AdminUserName = "admin";

    /// <summary>Creates the builder with every gateway service registered.</summary>
    /// <param name="args">Command-line style configuration arguments.</param>
    /// <param name="options">Data folder, database, URLs.</param>
    /// <param name="configureDb">Extra EF options (tests add interceptors here).</param>
    /// <param name="configuration">The structure's configuration (its file), added to the host's configuration.</param>
    public static WebApplicationBuilder CreateBuilder(string[] args, GatewayOptions options, Action<DbContextOptionsBuilder>? configureDb = null, IConfiguration? configuration = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        if (configuration is not null)
        {
            // The structure's configuration file (DATA/appsettings.json or --config): its sections (Batch, Hl7, …)
            // configure the services registered below.
            builder.Configuration.AddConfiguration(configuration);
        }

        // SQL text at Information is noise (and parameters are never logged: no sensitive-data logging).
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore.Database.Command", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore.Migrations", LogLevel.Warning);
        // Request-start lines carry the query string (search by birth name and date): identity data stays out of logs.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore.HttpLogging", LogLevel.Warning);
        var services = builder.Services;
        services.AddSingleton(Options.Create(options));
        services.AddSingleton(TimeProvider.System);
        services.AddGatewayStore(options.Store, configureDb);
        // Problems carry a correlation id; unexpected exceptions never leak their text (GatewayExceptionHandler).
        services.AddProblemDetails(o => o.CustomizeProblemDetails = SecurityHeaders.AddCorrelationId);
        services.AddExceptionHandler<GatewayProblemHandler>();
        services.AddExceptionHandler<GatewayExceptionHandler>();
        services.AddSingleton<LoginThrottle>();
        if (options.AuditCheckpoints is not null)
        {
            services.AddHostedService<AuditCheckpointService>();
        }
        if (options.DataProtectionKeysInDatabase ?? options.Store.Provider == StoreProvider.Postgres)
        {
            // Shared by every instance on the database: a cookie issued by one instance is read by the others.
            services.AddDataProtection()
                .SetApplicationName("SanteGateway")
                .PersistKeysToDbContext<GatewayDbContext>();
        }
        else if (!string.IsNullOrEmpty(options.DataDirectory))
        {
            // Cookie-protection keys live with the rest of the gateway's state, so sign-ins survive restarts and moves.
            DataFolder.EnsurePrivateDirectory(options.DataDirectory);
            DataFolder.EnsurePrivateDirectory(Path.Combine(options.DataDirectory, "keys"));
            services.AddDataProtection()
                .SetApplicationName("SanteGateway")
                .PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(options.DataDirectory, "keys")));
        }

        services.AddGatewayOpenApi();
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: ["ready"]);
        SanteGateway.Server.Certificates.CertificateEndpoints.AddGatewayCertificates(services, builder.Configuration);

        services.AddSanteGatewayApplication();
        services.Configure<DocumentSharingOptions>(builder.Configuration.GetSection("Documents"));
        SanteGateway.Server.Batch.BatchEndpoints.AddGatewayBatch(services, builder.Configuration);
        SanteGateway.Server.Support.SupportEndpoints.AddGatewaySupport(services);
        services.AddOptions<ApplicationOptions>().Configure<IOptions<GatewayOptions>>((a, g) =>
        {
            // Read when first needed: `serve` adjusts the INS policy after choosing the INSi endpoint.
            foreach (var code in g.Value.HighTrustDocuments)
            {
                a.HighTrustDocuments.Add(code);
            }

            a.InsPolicy = g.Value.InsPolicy;
            a.UserCallCertificate = g.Value.UserCallCertificate;
            a.AutomaticCallCertificate = g.Value.AutomaticCallCertificate;
        });
        SanteGateway.Server.Hl7.Hl7ServiceCollectionExtensions.AddHl7Messaging(services, builder.Configuration);
        SanteGateway.Server.Fhir.FhirEndpoints.AddFhirEndpoint(services, builder.Configuration);
        SanteGateway.Server.Inbound.InboundEndpoints.AddInboundGateway(services, builder.Configuration);
        SanteGateway.Server.Ror.RorRegistration.AddGatewayRorServices(services, builder.Configuration);
        services.AddOpenTelemetry().WithMetrics(m =>
        {
            m.AddMeter(InsiMetrics.MeterName);
            m.AddMeter(CertificateInventory.MeterName);

            // Exported only where the operator names a collector, with the standard OpenTelemetry variable.
            if (!string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT")))
            {
                m.AddOtlpExporter();
            }
        });

        services.AddAuthentication(o =>
            {
                o.DefaultScheme = "Gateway";
                o.DefaultChallengeScheme = "Gateway";
            })
            .AddPolicyScheme("Gateway", "API key or cookie", o =>
                o.ForwardDefaultSelector = ctx => ApiKeys.IsPresented(ctx.Request) ? ApiKeys.Scheme : IdentityConstants.ApplicationScheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeys.Scheme, null)
            .AddCookie(IdentityConstants.ApplicationScheme, o =>
            {
                o.Cookie.Name = "santegw";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.Cookie.SecurePolicy = options.RequireHttps ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
                o.ExpireTimeSpan = options.SessionIdleTimeout;
                o.SlidingExpiration = true;
                // Security stamp, disabled flag and absolute lifetime checked on every request (Sessions).
                o.Events.OnValidatePrincipal = Sessions.ValidateAsync;
                // An API answers 401/403; it never redirects to a login page. The staff web UI's pages do redirect.
                o.Events.OnRedirectToLogin = c =>
                {
                    if (IsWebUiRequest(c.Request))
                    {
                        // A request that carried a session cookie which no longer holds: say the session expired.
                        var expired = c.Request.Cookies.ContainsKey("santegw") ? "&expiree=1" : "";
                        c.Response.Redirect(SanteGateway.Web.WebUi.SignInPath + "?retour=" + Uri.EscapeDataString(c.Request.Path + c.Request.QueryString) + expired);
                        return Task.CompletedTask;
                    }

                    c.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    return Task.CompletedTask;
                };
                o.Events.OnRedirectToAccessDenied = c =>
                {
                    if (IsWebUiRequest(c.Request))
                    {
                        c.Response.Redirect("/acces-refuse");
                        return Task.CompletedTask;
                    }

                    c.Response.StatusCode = StatusCodes.Status403Forbidden;
                    return Task.CompletedTask;
                };
            });
        services.AddGatewayAccounts()
            .AddSignInManager();
        services.AddScoped<IStaffAccounts, StaffAccounts>();
        SanteGateway.Web.WebUi.AddSanteGatewayWeb(services);

        services.AddAuthorizationBuilder()
            .AddPolicy(GatewayRoles.ReadPolicy, p => p.RequireRole(GatewayRoles.FrontDesk, GatewayRoles.IdentityVigilance, GatewayRoles.Admin, GatewayRoles.InboundReviewer))
            .AddPolicy(GatewayRoles.InboundReviewPolicy, p => p.RequireRole(GatewayRoles.IdentityVigilance, GatewayRoles.InboundReviewer))
            .AddPolicy(GatewayRoles.WritePolicy, p => p.RequireRole(GatewayRoles.FrontDesk, GatewayRoles.IdentityVigilance))
            .AddPolicy(GatewayRoles.VigilancePolicy, p => p.RequireRole(GatewayRoles.IdentityVigilance))
            .AddPolicy(GatewayRoles.AdminPolicy, p => p.RequireRole(GatewayRoles.Admin));

        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.AddPolicy(AccountEndpoints.AuthRateLimit, ctx => RateLimitPartition.GetFixedWindowLimiter(
                ctx.Connection.RemoteIpAddress?.ToString() ?? "local",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = options.AuthPermitsPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
        });
        if (options.HttpsPort is { } httpsPort)
        {
            services.AddHttpsRedirection(o => o.HttpsPort = httpsPort);
        }

        services.AddHsts(o =>
        {
            o.MaxAge = TimeSpan.FromDays(365);
            o.ExcludedHosts.Clear();
        });

        return builder;
    }

    /// <summary>Builds the application: middleware pipeline and endpoints.</summary>
    public static WebApplication Build(WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var app = builder.Build();
        var options = app.Services.GetRequiredService<IOptions<GatewayOptions>>().Value;

        // Unexpected failures become a bare 500 problem: no stack trace, no identity data in the answer.
        app.UseExceptionHandler();
        app.UseGatewaySecurityHeaders();
        app.UseApiKeyTransportCheck();
        if (options.RequireHttps)
        {
            app.UseHsts();
            app.UseWhen(ctx => !ctx.Request.Path.StartsWithSegments("/health", StringComparison.Ordinal), b => b.UseHttpsRedirection());
        }

        app.UseStatusCodePages();
        app.UseRateLimiter();
        app.UseAuthentication();
        app.UseAuthorization();
        SanteGateway.Server.Certificates.EstablishmentAssignments.UseEstablishmentContext(app);
        // Validates the token of the web UI's forms (endpoints marked as requiring it; the REST API has none).
        app.UseAntiforgery();

        app.MapOpenApi().AllowAnonymous();
        app.MapGatewayApiReference();
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") }).AllowAnonymous();
        app.MapIdentityEndpoints();
        SanteGateway.Server.Inbound.InboundEndpoints.MapInboundEndpoints(app);
        SanteGateway.Server.Batch.BatchEndpoints.MapBatchEndpoints(app);
        SanteGateway.Server.Fhir.FhirEndpoints.MapFhirEndpoints(app);
        SanteGateway.Server.Hl7.Hl7MessageEndpoints.MapHl7MessageEndpoints(app);
        app.MapAccountEndpoints();
        SanteGateway.Server.Certificates.CertificateEndpoints.MapCertificateEndpoints(app);
        SanteGateway.Server.Certificates.EstablishmentAssignments.MapEstablishmentAssignments(app);
        SanteGateway.Server.Support.SupportEndpoints.MapSupportEndpoints(app);
        SanteGateway.Web.WebUi.MapSanteGatewayWeb(app);
        SanteGateway.Server.Documents.DocumentEndpoints.MapDocumentEndpoints(app);
        SanteGateway.Server.Ror.RorEndpoints.MapRorEndpoints(app);
        return app;
    }

    /// <summary>Pages of the staff web UI (everything that is not the REST API, FHIR, health or API documentation).</summary>
    private static bool IsWebUiRequest(HttpRequest request) =>
        !ApiKeys.IsPresented(request)
        && !request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase)
        && !request.Path.StartsWithSegments("/fhir", StringComparison.OrdinalIgnoreCase)
        && !request.Path.StartsWithSegments("/health", StringComparison.OrdinalIgnoreCase)
        && !request.Path.StartsWithSegments("/openapi", StringComparison.OrdinalIgnoreCase)
        && !request.Path.StartsWithSegments("/docs", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Applies pending migrations, creates the roles, and on a database without users creates the
    /// <see cref="AdminUserName"/> account with a random password, returned once (print it; it is never logged).
    /// </summary>
    /// <returns>The generated admin password, or null when users already existed.</returns>
    public static async Task<string?> InitializeAsync(IServiceProvider services, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(services);
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        var gatewayOptions = scope.ServiceProvider.GetRequiredService<IOptions<GatewayOptions>>().Value;
        // A migration or a backfill over millions of rows takes longer than the 30 s a request's statement may take.
        var requestTimeout = db.Database.GetCommandTimeout();
        db.Database.SetCommandTimeout(TimeSpan.FromHours(1));
        await PrepareDatabaseAsync(db, gatewayOptions, ct).ConfigureAwait(false);
        await IdentityMaintenance.BackfillPhoneticKeysAsync(db, ct).ConfigureAwait(false);
        db.Database.SetCommandTimeout(requestTimeout);

        var roles = scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole>>();
        foreach (var role in GatewayRoles.All)
        {
            if (!await roles.RoleExistsAsync(role).ConfigureAwait(false))
            {
                await roles.CreateAsync(new IdentityRole(role)).ConfigureAwait(false);
            }
        }

        if (await db.Users.AnyAsync(ct).ConfigureAwait(false))
        {
            return null;
        }

        // The first administrator: audited like any account created later.
        var account = scope.ServiceProvider.GetRequiredService<AccountAdmin>();
        var password = GeneratePassword();
        try
        {
            await account.CreateUserAsync(gatewayOptions.InitialAdminUserName, password, [GatewayRoles.Admin], "santegw", "serve", ct).ConfigureAwait(false);
        }
        catch (AccountProblem p)
        {
            throw new InvalidOperationException($"Could not create the first administrator '{gatewayOptions.InitialAdminUserName}': {p.Message}", p);
        }

        return password;
    }

    /// <summary>
    /// Data at rest and schema: the SQLite file and its journals 600 in a 700 folder (before the first open, so no page is
    /// ever written to a readable file), then the migrations when <c>Gateway:Store:MigrateOnStart</c> (the
    /// default); otherwise a database with pending migrations is refused (<c>santegw db migrate</c> applies them with
    /// the owner role).
    /// </summary>
    private static async Task PrepareDatabaseAsync(GatewayDbContext db, GatewayOptions options, CancellationToken ct)
    {
        var sqlitePath = options.Store.Provider == StoreProvider.Sqlite ? DataFolder.SqlitePath(options.Store.ConnectionString) : null;
        if (sqlitePath is not null)
        {
            DataFolder.SecureSqliteDatabase(sqlitePath);
        }

        if (options.Store.MigrateOnStart)
        {
            await db.Database.MigrateAsync(ct).ConfigureAwait(false);
        }
        else
        {
            var pending = (await db.Database.GetPendingMigrationsAsync(ct).ConfigureAwait(false)).ToList();
            if (pending.Count > 0)
            {
                throw new InvalidOperationException($"The database schema is behind ({pending.Count} pending migrations, first {pending[0]}) and Gateway:Store:MigrateOnStart is false: run 'santegw db migrate' with the migration connection string.");
            }
        }

        if (sqlitePath is not null)
        {
            // Write-ahead log: readers run beside the writer and a commit costs one fsync of the log instead of journal +
            // database. synchronous stays FULL (the default), so a commit is on disk before anything is acknowledged;
            // `santegw db backup` (online backup API) and `db restore` (checkpoint first) handle the -wal file.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL", ct).ConfigureAwait(false);
            foreach (var suffix in DataFolder.SqliteSidecars)
            {
                DataFolder.TightenIfExists(sqlitePath + suffix);
            }
        }
    }

    /// <summary>A random 24-character password meeting the default Identity rules.</summary>
    public static string GeneratePassword()
    {
        const string lower = "abcdefghijkmnopqrstuvwxyz";
        const string upper = "ABCDEFGHJKLMNPQRSTUVWXYZ";
        const string digits = "23456789";
        const string symbols = "-_.!#%+";
        const string all = lower + upper + digits + symbols;
        var chars = new char[24];
        chars[0] = lower[RandomNumberGenerator.GetInt32(lower.Length)];
        chars[1] = upper[RandomNumberGenerator.GetInt32(upper.Length)];
        chars[2] = digits[RandomNumberGenerator.GetInt32(digits.Length)];
        chars[3] = symbols[RandomNumberGenerator.GetInt32(symbols.Length)];
        for (var i = 4; i < chars.Length; i++)
        {
            chars[i] = all[RandomNumberGenerator.GetInt32(all.Length)];
        }

        RandomNumberGenerator.Shuffle(chars.AsSpan());
        return new string(chars);
    }
}
