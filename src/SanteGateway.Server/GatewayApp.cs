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
    /// <summary>Name of the initial administrator account created on a fresh database.</summary>
    public const string AdminUserName = "admin";

    /// <summary>Creates the builder with every gateway service registered.</summary>
    /// <param name="args">Command-line style configuration arguments.</param>
    /// <param name="options">Data folder, database, URLs.</param>
    /// <param name="configureDb">Extra EF options (tests add interceptors here).</param>
    public static WebApplicationBuilder CreateBuilder(string[] args, GatewayOptions options, Action<DbContextOptionsBuilder>? configureDb = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
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
        services.AddProblemDetails();
        services.AddExceptionHandler<GatewayExceptionHandler>();
        if (!string.IsNullOrEmpty(options.DataDirectory))
        {
            // Cookie-protection keys live with the rest of the gateway's state, so sign-ins survive restarts and moves.
            services.AddDataProtection()
                .SetApplicationName("SanteGateway")
                .PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(options.DataDirectory, "keys")));
        }

        services.AddOpenApi();
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: ["ready"]);

        services.AddSanteGatewayApplication();
        SanteGateway.Server.Batch.BatchEndpoints.AddGatewayBatch(services, builder.Configuration);
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
        services.AddOpenTelemetry().WithMetrics(m =>
        {
            m.AddMeter(InsiMetrics.MeterName);

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
                o.ForwardDefaultSelector = ctx => ctx.Request.Headers.ContainsKey(ApiKeys.Header) ? ApiKeys.Scheme : IdentityConstants.ApplicationScheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeys.Scheme, null)
            .AddCookie(IdentityConstants.ApplicationScheme, o =>
            {
                o.Cookie.Name = "santegw";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.Cookie.SecurePolicy = options.RequireHttps ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
                o.ExpireTimeSpan = TimeSpan.FromHours(8);
                o.SlidingExpiration = true;
                // An API answers 401/403; it never redirects to a login page.
                o.Events.OnRedirectToLogin = c =>
                {
                    c.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    return Task.CompletedTask;
                };
                o.Events.OnRedirectToAccessDenied = c =>
                {
                    c.Response.StatusCode = StatusCodes.Status403Forbidden;
                    return Task.CompletedTask;
                };
            });
        services.AddIdentityCore<GatewayUser>(o =>
            {
                o.Password.RequiredLength = 12;
                o.Lockout.MaxFailedAccessAttempts = 5;
                o.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(15);
                o.User.RequireUniqueEmail = false;
            })
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<GatewayDbContext>()
            .AddSignInManager();

        services.AddAuthorizationBuilder()
            .AddPolicy(GatewayRoles.ReadPolicy, p => p.RequireRole(GatewayRoles.FrontDesk, GatewayRoles.IdentityVigilance, GatewayRoles.Admin))
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
        if (options.RequireHttps)
        {
            app.UseHsts();
            app.UseWhen(ctx => !ctx.Request.Path.StartsWithSegments("/health", StringComparison.Ordinal), b => b.UseHttpsRedirection());
        }

        app.UseStatusCodePages();
        app.UseRateLimiter();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapOpenApi().AllowAnonymous();
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") }).AllowAnonymous();
        app.MapIdentityEndpoints();
        SanteGateway.Server.Batch.BatchEndpoints.MapBatchEndpoints(app);
        app.MapAccountEndpoints();
        SanteGateway.Server.WebUi.WebUiEndpoints.MapWebUi(app);
        return app;
    }

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
        await db.Database.MigrateAsync(ct).ConfigureAwait(false);
        await IdentityMaintenance.BackfillPhoneticKeysAsync(db, ct).ConfigureAwait(false);

        var roles = scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole>>();
        foreach (var role in GatewayRoles.All)
        {
            if (!await roles.RoleExistsAsync(role).ConfigureAwait(false))
            {
                await roles.CreateAsync(new IdentityRole(role)).ConfigureAwait(false);
            }
        }

        var users = scope.ServiceProvider.GetRequiredService<UserManager<GatewayUser>>();
        if (await db.Users.AnyAsync(ct).ConfigureAwait(false))
        {
            return null;
        }

        var password = GeneratePassword();
        var admin = new GatewayUser { UserName = AdminUserName };
        var created = await users.CreateAsync(admin, password).ConfigureAwait(false);
        if (!created.Succeeded)
        {
            throw new InvalidOperationException("Could not create the admin account: " + string.Join("; ", created.Errors.Select(e => e.Code)));
        }

        await users.AddToRoleAsync(admin, GatewayRoles.Admin).ConfigureAwait(false);
        return password;
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
