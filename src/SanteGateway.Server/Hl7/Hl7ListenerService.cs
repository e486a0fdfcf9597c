using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SanteGateway.Application;
using SanteGateway.Identity;
using SanteGateway.Interop.Hl7v2.Er7;
using SanteGateway.Interop.Hl7v2.Mllp;
using SanteGateway.Interop.Hl7v2.Pam;
using SanteGateway.Store;
using SanteGateway.Store.Entities;

namespace SanteGateway.Server.Hl7;

/// <summary>
/// Stores every received HL7 message in <c>received_messages</c> (committed) before the listener acknowledges it. Unreadable
/// messages are stored too, with the parse error; PAM mapping findings (an INS not integrated…) are recorded and returned to
/// the sender as an ERR of severity W. What the message does to the identity store belongs to the inbound gate.
/// </summary>
/// <remarks>
/// Group commit: messages arriving at the same time on several connections are written by one writer in one transaction
/// (at most <see cref="MaxBatch"/>), and each sender gets its ACK once that transaction is committed. One commit (one
/// fsync on SQLite) then serves many messages; a lone message is committed alone, at once. If a batch fails, its messages
/// are retried one by one so that one bad row never costs the others their ACK (<see cref="GroupCommitter{T}"/>, which the
/// inbound gate's decisions use too).
/// </remarks>
public sealed class StoreReceivedMessageHandler : IHl7InboundHandler, IAsyncDisposable
{
    /// <summary>Most messages committed in one transaction.</summary>
    public const int MaxBatch = 64;

    /// <summary>The channel recorded for MLLP.</summary>
    public const string Channel = "hl7v2-mllp";

    private readonly IServiceScopeFactory _scopes;
    private readonly PamReadOptions _pam;
    private readonly string _channel;
    private readonly GroupCommitter<ReceivedMessage> _committer;

    /// <summary>Creates the handler.</summary>
    /// <param name="scopes">Creates a database context per message.</param>
    /// <param name="insPolicy">Which INS OIDs are accepted when mapping.</param>
    /// <param name="channel">The channel recorded (<see cref="Channel"/> for MLLP, <see cref="Hl7FileDropService.Channel"/> for files).</param>
    public StoreReceivedMessageHandler(IServiceScopeFactory scopes, InsPolicy insPolicy, string channel = Channel)
    {
        _scopes = scopes;
        _pam = new PamReadOptions { InsPolicy = insPolicy };
        _channel = channel;
        _committer = new(MaxBatch, SaveAsync, IsStoreFailure);
    }

    /// <inheritdoc/>
    public ValueTask<Hl7StoreReceipt> StoreAsync(Hl7InboundMessage message, CancellationToken cancellationToken) => StoreAsync(message, cancellationToken, null);

    /// <summary>Stores the message; <paramref name="refusal"/> records a refusal found before parsing (a file too large).</summary>
    internal async ValueTask<Hl7StoreReceipt> StoreAsync(Hl7InboundMessage message, CancellationToken cancellationToken, string? refusal)
    {
        ArgumentNullException.ThrowIfNull(message);
        var issues = message.Message is { } m ? PamIdentityReader.Read(m, _pam)?.Issues.Where(i => i.Severity == PamIssueSeverity.Warning).ToList() ?? [] : [];
        var error = refusal ?? message.ParseError?.ToString() ?? (issues.Count > 0 ? string.Join("; ", issues) : null);
        var row = new ReceivedMessage
        {
            Channel = _channel,
            Partner = Truncate(message.Partner, 256)!,
            ReceivedAt = message.ReceivedAt,
            Raw = message.Raw.ToArray(),
            MessageId = Truncate(message.Message?.Msh.ControlId, 64),
            Kind = Truncate(message.Message is { } mm ? $"{mm.Msh.MessageCode}^{mm.Msh.TriggerEvent}" : null, 32),
            Error = Truncate(error, 1024),
            AckCode = message.ParseError is null && refusal is null ? "AA" : "AE",
        };
        // Cancelled while waiting: the row may still be committed, but no ACK goes out, so the sender sends it again (at least once).
        // A failure comes back here (AR: the sender keeps and resends the message).
        await _committer.CommitAsync(row, cancellationToken).ConfigureAwait(false);

        var id = row.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return issues.Count > 0
            ? Hl7StoreReceipt.StoredWithWarning(id, new Hl7AckError(issues[0].Rule, issues[0].ToString(), "207", "PID", 3))
            : Hl7StoreReceipt.Stored(id);
    }

    /// <summary>Stops the writer once the rows already queued are committed.</summary>
    /// <returns>A task.</returns>
    public ValueTask DisposeAsync() => _committer.DisposeAsync();

    private async Task SaveAsync(IReadOnlyList<ReceivedMessage> rows)
    {
        await using var scope = _scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        foreach (var row in rows)
        {
            row.Id = 0;
            db.ReceivedMessages.Add(row);
        }

        // Not cancellable: once the rows are handed to the database, the outcome is what each sender's ACK must reflect.
        await db.SaveChangesAsync(CancellationToken.None).ConfigureAwait(false);
    }

    private static bool IsStoreFailure(Exception e) =>
        e is DbUpdateException or System.Data.Common.DbException or InvalidOperationException or TimeoutException or IOException;

    private static string? Truncate(string? s, int max) => s is null || s.Length <= max ? s : s[..max];
}

/// <summary>Opens the MLLP listener of <c>santegw serve</c> when <c>Hl7:Listener:Port</c> is set.</summary>
public sealed class Hl7ListenerService : IHostedService, IAsyncDisposable
{
    private readonly Hl7Options _options;
    private readonly IServiceScopeFactory _scopes;
    private readonly InsPolicy _insPolicy;
    private readonly TimeProvider _clock;
    private readonly ILogger<MllpListener> _logger;
    private readonly SanteGateway.Server.Inbound.PartnerCertificates? _certificates;
    private MllpListener? _listener;
    private StoreReceivedMessageHandler? _handler;
    private X509Certificate2? _certificate;

    /// <summary>Creates the service.</summary>
    /// <param name="options">HL7 settings.</param>
    /// <param name="gateway">Gateway settings (INS policy).</param>
    /// <param name="scopes">Database scopes.</param>
    /// <param name="clock">Clock.</param>
    /// <param name="logger">Logger of the listener.</param>
    /// <param name="certificates">Partners' client certificates (mutual TLS): who sends is checked against them.</param>
    public Hl7ListenerService(IOptions<Hl7Options> options, IOptions<GatewayOptions> gateway, IServiceScopeFactory scopes, TimeProvider clock, ILogger<MllpListener> logger, SanteGateway.Server.Inbound.PartnerCertificates? certificates = null)
    {
        _certificates = certificates;
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(gateway);
        _options = options.Value;
        _insPolicy = gateway.Value.InsPolicy;
        _scopes = scopes;
        _clock = clock;
        _logger = logger;
    }

    /// <summary>The bound endpoint, once started (null when the listener is off).</summary>
    public IPEndPoint? LocalEndpoint => _listener?.LocalEndpoint;

    /// <inheritdoc/>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = _options.Listener;
        if (settings.Port is not { } port)
        {
            return Task.CompletedTask;
        }

        if (settings.CertificatePath is { Length: > 0 } path)
        {
            _certificate = X509CertificateLoader.LoadPkcs12FromFile(path, settings.CertificatePassword);
        }

        _listener = new MllpListener(
            new MllpListenerOptions
            {
                Address = IPAddress.Parse(settings.Address),
                Port = port,
                ServerCertificate = _certificate,
                RequireClientCertificate = settings.RequireClientCertificate,
                // A partner's certificate (pinned self-signed, private CA) is judged by its Inbound:Tls binding; any other still
                // needs a chain the system trusts, as without bindings.
                ClientCertificateValidation = _certificates is { Any: true } ? (_, certificate, _, errors) => AcceptClient(certificate, errors, settings.RequireClientCertificate) : null,
                MaxFrameBytes = settings.MaxMessageBytes,
                ReadOptions = new Hl7ReadOptions { MaxMessageBytes = settings.MaxMessageBytes },
                ApplicationName = _options.SendingApplication,
                Clock = _clock,
            },
            new Hl7InboundGateHandler(_scopes, _handler = new StoreReceivedMessageHandler(_scopes, _insPolicy), settings.PartnersBySendingFacility, settings.Partner, "mllp", _certificates),
            _logger);
        _listener.Start();
        return Task.CompletedTask;
    }

    private bool AcceptClient(X509Certificate? certificate, System.Net.Security.SslPolicyErrors errors, bool required)
    {
        ArgumentNullException.ThrowIfNull(_certificates);
        if (certificate is null)
        {
            return !required;
        }

        if (errors == System.Net.Security.SslPolicyErrors.None)
        {
            return true;
        }

        if (certificate is X509Certificate2 full)
        {
            return _certificates.Identify(full).Length > 0;
        }

        using var loaded = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return _certificates.Identify(loaded).Length > 0;
    }

    /// <inheritdoc/>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_listener is not null)
        {
            await _listener.DisposeAsync().ConfigureAwait(false);
            _listener = null;
        }

        if (_handler is not null)
        {
            await _handler.DisposeAsync().ConfigureAwait(false);
            _handler = null;
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _certificate?.Dispose();
    }
}

/// <summary>Registration of the HL7 services.</summary>
public static class Hl7ServiceCollectionExtensions
{
    /// <summary>Binds <c>Hl7</c> and registers the outbox worker and the optional MLLP listener.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The configuration root (section <c>Hl7</c> is read).</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddHl7Messaging(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<Hl7Options>().Bind(configuration.GetSection(Hl7Options.Section));
        services.AddHostedService<Hl7OutboxWorker>();
        services.AddScoped<IIdentityChangeSink, Hl7IdentityChangeSink>();
        services.AddScoped<Hl7MessageService>();
        services.AddScoped<SanteGateway.Web.IHl7MessageScreen, Hl7MessageScreen>();
        services.AddSingleton<Hl7ListenerService>();
        services.AddHostedService(sp => sp.GetRequiredService<Hl7ListenerService>());
        services.AddSingleton<Hl7FileDropService>();
        services.AddHostedService(sp => sp.GetRequiredService<Hl7FileDropService>());
        return services;
    }
}
