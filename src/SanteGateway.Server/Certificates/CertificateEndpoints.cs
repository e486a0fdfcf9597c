using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using SanteGateway.Application;
using SanteGateway.Insi;
using SanteGateway.Server.Security;

namespace SanteGateway.Server.Certificates;

/// <summary>One certificate as <c>GET /api/admin/certificates</c> shows it (never the password).</summary>
/// <param name="Name">Configured name.</param>
/// <param name="Use">Configured use (<c>InsiAutomatic</c>, <c>InsiManual</c>, <c>OrganisationClient</c>).</param>
/// <param name="Establishment">Establishment, when configured.</param>
/// <param name="Path">File.</param>
/// <param name="State"><c>ok</c>, <c>expiring</c>, <c>expired</c>, <c>invalid</c>, <c>unreadable</c>.</param>
/// <param name="DaysLeft">Days to expiry.</param>
/// <param name="NotAfter">Expiry.</param>
/// <param name="Threshold">Alert threshold reached (60, 30, 7).</param>
/// <param name="Subject">Subject DN.</param>
/// <param name="Issuer">Issuer DN.</param>
/// <param name="Environment"><c>test</c>, <c>production</c>, <c>unknown</c>.</param>
/// <param name="Findings">Findings (code, severity, French, English).</param>
/// <param name="Error">Why the file could not be read.</param>
public sealed record CertificateDto(string Name, string Use, string? Establishment, string Path, string State, int? DaysLeft, DateTimeOffset? NotAfter, int? Threshold,
    string? Subject, string? Issuer, string? Environment, IReadOnlyList<CertificateFinding> Findings, string? Error);

/// <summary>One establishment as <c>GET /api/admin/establishments</c> shows it.</summary>
/// <param name="Finess">FINESS (geographic establishment).</param>
/// <param name="Name">Name.</param>
/// <param name="LegalEntityFiness">FINESS of its legal entity, when configured.</param>
/// <param name="IsDefault">Used for calls that name no establishment.</param>
/// <param name="Certificates">Its certificates with their state.</param>
public sealed record EstablishmentDto(string Finess, string Name, string? LegalEntityFiness, bool IsDefault, IReadOnlyList<EstablishmentCertificateDto> Certificates);

/// <summary>One certificate of an establishment.</summary>
/// <param name="Name">Inventory name (<c>insi-auto@FINESS</c>, <c>insi-manu@…</c>, <c>ror@…</c>, <c>dmp@…</c>).</param>
/// <param name="Use">Use.</param>
/// <param name="State">Inventory state (<c>ok</c>, <c>expiring</c>, <c>expired</c>, <c>invalid</c>, <c>unreadable</c>).</param>
/// <param name="DaysLeft">Days to expiry.</param>
/// <param name="NotAfter">Expiry.</param>
public sealed record EstablishmentCertificateDto(string Name, string Use, string State, int? DaysLeft, DateTimeOffset? NotAfter);

/// <summary>Certificate tracking in the gateway: configuration, health check, metric, <c>GET /api/admin/certificates</c>.</summary>
public static class CertificateEndpoints
{
    /// <summary>
    /// Registers <see cref="CertificateInventory"/> with the certificates of <c>Gateway:Certificates</c> (array of
    /// <c>{ Name, Path, PasswordEnv, Use, Establishment }</c>) plus the INSi client's INSI-AUTO / INSI-MANU files when
    /// configured; CAs from <c>Gateway:CertificateTrustAnchors</c>, else the INSi trusted CAs; thresholds from
    /// <c>Gateway:CertificateAlertDays</c> (default 60, 30, 7); the <c>certificates</c> health check (tag <c>ready</c>);
    /// the <see cref="EstablishmentDirectory"/> of <c>Gateway:Establishments</c> and <see cref="EstablishmentAssignmentService"/> (scoped).
    /// </summary>
    /// <param name="services">Services.</param>
    /// <param name="configuration">Configuration.</param>
    /// <returns>The same services.</returns>
    public static IServiceCollection AddGatewayCertificates(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddSingleton(_ => ReadEstablishments(configuration));
        services.AddScoped<EstablishmentAssignmentService>();
        services.AddSingleton(sp =>
        {
            var o = ReadOptions(configuration, sp.GetService<IOptions<InsiClientOptions>>()?.Value);
            return new CertificateInventory(o, sp.GetService<TimeProvider>(), sp.GetService<ILogger<CertificateInventory>>(), sp.GetService<System.Diagnostics.Metrics.IMeterFactory>());
        });
        services.AddHealthChecks().AddCheck<CertificateHealthCheck>("certificates", tags: ["ready"]);
        // The inventory (and its gauge) must exist from start-up, not from the first call that happens to resolve it.
        services.AddHostedService<CertificateInventoryStartup>();
        return services;
    }

    /// <summary>Default environment variable of the HTTPS certificate's password (<c>Gateway:Https:PasswordEnv</c>), as <c>serve</c> reads it.</summary>
    public const string HttpsPasswordVariable = "SANTEGW_HTTPS_CERT_PASSWORD";

    /// <summary>
    /// The tracked certificates from configuration: <c>Gateway:Certificates</c>, the INSi client's certificates, the
    /// gateway's HTTPS certificate (<c>Gateway:Https:CertificatePath</c>, named <c>https</c>), CAs from
    /// <c>Gateway:CertificateTrustAnchors</c> (else the INSi trusted CAs), thresholds from <c>Gateway:CertificateAlertDays</c>.
    /// </summary>
    /// <param name="configuration">Configuration.</param>
    /// <param name="insi">INSi client settings, when configured.</param>
    /// <returns>The options.</returns>
    /// <exception cref="OptionsValidationException">A certificate entry is incomplete (the message names it).</exception>
    public static CertificateInventoryOptions ReadOptions(IConfiguration configuration, InsiClientOptions? insi)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var o = new CertificateInventoryOptions();
        var section = configuration.GetSection("Gateway");
        foreach (var c in section.GetSection("Certificates").GetChildren())
        {
            var path = c["Path"];
            if (string.IsNullOrWhiteSpace(path))
            {
                throw new OptionsValidationException("Gateway:Certificates", typeof(CertificateInventoryOptions), [$"Gateway:Certificates:{c.Key}:Path is required."]);
            }

            if (!CertificateChecker.TryParseUse(c["Use"], out var use))
            {
                throw new OptionsValidationException("Gateway:Certificates", typeof(CertificateInventoryOptions), [$"Gateway:Certificates:{c.Key}:Use: expected insi-auto, insi-manu or org, got '{c["Use"]}'."]);
            }

            var password = c["PasswordEnv"] is { Length: > 0 } env ? Environment.GetEnvironmentVariable(env) : null;
            o.Certificates.Add(new TrackedCertificate(c["Name"] ?? c.Key, path, password, use, c["Establishment"]));
        }

        foreach (var e in ReadEstablishments(configuration).All)
        {
            foreach (var t in e.TrackedCertificates())
            {
                o.Certificates.Add(t);
            }
        }

        if (insi is not null && insi.Mode == InsiAuthenticationMode.MutualTls)
        {
            if (!string.IsNullOrEmpty(insi.AutomaticCertificatePath))
            {
                o.Certificates.Add(new TrackedCertificate("insi-auto", insi.AutomaticCertificatePath, insi.AutomaticCertificatePassword, CertificateUse.InsiAutomatic));
            }

            if (!string.IsNullOrEmpty(insi.ManualCertificatePath))
            {
                o.Certificates.Add(new TrackedCertificate("insi-manu", insi.ManualCertificatePath, insi.ManualCertificatePassword, CertificateUse.InsiManual));
            }
        }

        // The gateway's own HTTPS certificate (serve's Gateway:Https), when one is configured rather than generated.
        if (section["Https:CertificatePath"] is { Length: > 0 } https)
        {
            var env = section["Https:PasswordEnv"] is { Length: > 0 } v ? v : HttpsPasswordVariable;
            o.Certificates.Add(new TrackedCertificate("https", https, Environment.GetEnvironmentVariable(env), CertificateUse.ServerTls));
        }

        var anchors = section.GetSection("CertificateTrustAnchors").Get<string[]>();
        foreach (var a in anchors is { Length: > 0 } ? anchors : insi?.TrustedCaPaths.ToArray() ?? [])
        {
            o.TrustAnchorPaths.Add(a);
        }

        var days = section.GetSection("CertificateAlertDays").Get<int[]>();
        if (days is { Length: > 0 })
        {
            o.AlertDays.Clear();
            foreach (var d in days)
            {
                o.AlertDays.Add(d);
            }
        }

        return o;
    }

    /// <summary>
    /// The establishments of <c>Gateway:Establishments</c> (array of <c>{ Finess, Name, LegalEntityFiness, Default,
    /// Certificates: { InsiAuto, InsiManu, Ror, Dmp: { Path, PasswordEnv, ClientId } } }</c>; <c>ClientId</c> is the ROR
    /// OAuth client registered for that certificate, when it is not the gateway's <c>Ror:ClientId</c>).
    /// </summary>
    /// <param name="configuration">Configuration.</param>
    /// <returns>The directory (empty when none is configured).</returns>
    /// <exception cref="OptionsValidationException">An entry is incomplete or malformed (the message names the key and the rule).</exception>
    public static EstablishmentDirectory ReadEstablishments(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var list = new List<Establishment>();
        var errors = new List<string>();
        foreach (var c in configuration.GetSection("Gateway:Establishments").GetChildren())
        {
            var key = $"Gateway:Establishments:{c.Key}";
            var finess = c["Finess"]?.Trim().ToUpperInvariant();
            if (!CertificateRequests.IsFiness(finess))
            {
                errors.Add($"{key}:Finess: '{c["Finess"]}' is not a FINESS number (9 characters).");
                continue;
            }

            if (c["LegalEntityFiness"] is { Length: > 0 } legal && !CertificateRequests.IsFiness(legal.Trim().ToUpperInvariant()))
            {
                errors.Add($"{key}:LegalEntityFiness: '{legal}' is not a FINESS number (9 characters).");
            }

            EstablishmentCertificate? Certificate(string name)
            {
                var section = c.GetSection("Certificates:" + name);
                if (!section.Exists())
                {
                    return null;
                }

                if (string.IsNullOrWhiteSpace(section["Path"]))
                {
                    errors.Add($"{key}:Certificates:{name}:Path is required.");
                    return null;
                }

                return new EstablishmentCertificate(section["Path"]!, section["PasswordEnv"] is { Length: > 0 } env ? Environment.GetEnvironmentVariable(env) : null)
                {
                    ClientId = section["ClientId"] is { Length: > 0 } id ? id.Trim() : null,
                };
            }

            list.Add(new Establishment(finess!, string.IsNullOrWhiteSpace(c["Name"]) ? finess! : c["Name"]!.Trim())
            {
                LegalEntityFiness = c["LegalEntityFiness"]?.Trim().ToUpperInvariant() is { Length: > 0 } l ? l : null,
                IsDefault = string.Equals(c["Default"], "true", StringComparison.OrdinalIgnoreCase),
                InsiAutomatic = Certificate("InsiAuto"),
                InsiManual = Certificate("InsiManu"),
                Ror = Certificate("Ror"),
                Dmp = Certificate("Dmp"),
            });
        }

        try
        {
            return errors.Count > 0
                ? throw new OptionsValidationException("Gateway:Establishments", typeof(EstablishmentDirectory), errors)
                : new EstablishmentDirectory(list);
        }
        catch (ArgumentException ex)
        {
            throw new OptionsValidationException("Gateway:Establishments", typeof(EstablishmentDirectory), [ex.Message]);
        }
    }

    /// <summary>Maps <c>GET /api/admin/certificates[?refresh=true]</c> and <c>GET /api/admin/establishments</c> (administrators).</summary>
    /// <param name="app">Routes.</param>
    /// <returns>The same routes.</returns>
    public static IEndpointRouteBuilder MapCertificateEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/admin/certificates", (CertificateInventory inventory, bool? refresh) =>
                inventory.List(refresh == true).Select(s => new CertificateDto(
                    s.Name, s.Use.ToString(), s.Establishment, s.Path, s.State, s.DaysLeft, s.NotAfter, s.Threshold,
                    s.Report?.Subject, s.Report?.Issuer, s.Report?.Environment, s.Report?.Findings ?? [], s.Error)).ToList())
            .WithTags("Administration")
            .WithName("ListCertificates")
            .Produces<List<CertificateDto>>()
            .RequireAuthorization(GatewayRoles.AdminPolicy);
        app.MapGet("/api/admin/establishments", (EstablishmentDirectory establishments, CertificateInventory inventory) =>
            {
                var states = inventory.List();
                return establishments.All.Select(e => new EstablishmentDto(
                    e.Finess, e.Name, e.LegalEntityFiness, ReferenceEquals(e, establishments.Default),
                    e.TrackedCertificates().Select(t => states.FirstOrDefault(s => s.Name == t.Name) is { } s
                        ? new EstablishmentCertificateDto(t.Name, t.Use.ToString(), s.State, s.DaysLeft, s.NotAfter)
                        : new EstablishmentCertificateDto(t.Name, t.Use.ToString(), "unknown", null, null)).ToList())).ToList();
            })
            .WithTags("Administration")
            .WithName("ListEstablishments")
            .Produces<List<EstablishmentDto>>()
            .RequireAuthorization(GatewayRoles.AdminPolicy);
        return app;
    }
}

/// <summary>
/// Builds the inventory when the host starts, so the <c>santegw.certificate.days_left</c> gauge is published and the
/// threshold log lines are written from start-up rather than after the first health check or API call that resolves it.
/// An unreadable file never stops the start: it is reported as <c>unreadable</c>.
/// </summary>
internal sealed class CertificateInventoryStartup(CertificateInventory inventory) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        inventory.List(refresh: true);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>
/// Degraded when a configured certificate reached an alert threshold (60/30/7 days), expired, fails its check or cannot
/// be read; the gateway still serves everything that does not need that certificate, so never Unhealthy.
/// </summary>
internal sealed class CertificateHealthCheck(CertificateInventory inventory) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var list = inventory.List();
        var bad = list.Where(s => s.State != "ok").ToList();
        var data = list.ToDictionary(s => s.Name, s => (object)(s.DaysLeft is { } d ? $"{s.State} ({d} days)" : s.State), StringComparer.Ordinal);
        return Task.FromResult(bad.Count == 0
            ? HealthCheckResult.Healthy($"{list.Count} certificate(s) valid", data)
            : HealthCheckResult.Degraded(string.Join("; ", bad.Select(s => s.DaysLeft is { } d ? $"{s.Name} {s.State} ({d} days left)" : $"{s.Name} {s.State}")), data: data));
    }
}
