using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SanteGateway.Interop.Hl7v2.Er7;

namespace SanteGateway.Interop.Hl7v2.Mllp;

/// <summary>Settings of an <see cref="MllpListener"/>.</summary>
public sealed record MllpListenerOptions
{
    /// <summary>Address to listen on (loopback by default).</summary>
    public IPAddress Address { get; init; } = IPAddress.Loopback;

    /// <summary>Port (0 picks a free one; read <see cref="MllpListener.LocalEndpoint"/>).</summary>
    public int Port { get; init; }

    /// <summary>Server certificate: when set, connections are TLS.</summary>
    public X509Certificate2? ServerCertificate { get; init; }

    /// <summary>Require a client certificate (mutual TLS).</summary>
    public bool RequireClientCertificate { get; init; }

    /// <summary>Checks client certificates; null uses the system's chain validation.</summary>
    public RemoteCertificateValidationCallback? ClientCertificateValidation { get; init; }

    /// <summary>Largest frame accepted; a larger one closes the connection.</summary>
    public int MaxFrameBytes { get; init; } = MllpFraming.DefaultMaxFrameBytes;

    /// <summary>A connection idle this long is closed.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Most simultaneous connections; more wait in the accept queue.</summary>
    public int MaxConnections { get; init; } = 64;

    /// <summary>Reader limits.</summary>
    public Hl7ReadOptions ReadOptions { get; init; } = Hl7ReadOptions.Default;

    /// <summary>MSH-3 of acknowledgments to unreadable messages.</summary>
    public string ApplicationName { get; init; } = "SANTEGW";

    /// <summary>Clock for ACK timestamps and <see cref="Hl7InboundMessage.ReceivedAt"/>.</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;
}

/// <summary>
/// An MLLP server: accepts connections (optionally TLS), reads frames, hands each message to an <see cref="IHl7InboundHandler"/>
/// and answers with the acknowledgment only once the handler has stored the message.
/// </summary>
/// <remarks>ACK codes: <c>AA</c> stored and accepted; <c>AE</c> stored but refused (unreadable message, or a rule of the handler),
/// ERR naming the rule; <c>AR</c> not stored (the handler failed: ERR code 207 <c>store-failed</c>), so the sender keeps and resends
/// it, or stored but refused outright by the handler (<see cref="Hl7StoreReceipt.StoredButRefused"/>: hostile or unreadable input,
/// ERR naming the field and rule).</remarks>
public sealed partial class MllpListener : IAsyncDisposable
{
    private readonly MllpListenerOptions _options;
    private readonly IHl7InboundHandler _handler;
    private readonly ILogger _logger;
    private readonly TcpListener _tcp;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _connections;
    private readonly List<Task> _running = [];
    private Task? _acceptLoop;
    private long _ackCounter;

    /// <summary>Creates a listener (call <see cref="Start"/>).</summary>
    /// <param name="options">Settings.</param>
    /// <param name="handler">Stores each message before it is acknowledged.</param>
    /// <param name="logger">Logs connections and failures with ids only, never message content.</param>
    public MllpListener(MllpListenerOptions options, IHl7InboundHandler handler, ILogger<MllpListener>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(handler);
        _options = options;
        _handler = handler;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _tcp = new TcpListener(options.Address, options.Port);
        _connections = new SemaphoreSlim(Math.Max(1, options.MaxConnections));
    }

    /// <summary>The bound endpoint (after <see cref="Start"/>).</summary>
    public IPEndPoint LocalEndpoint => (IPEndPoint)_tcp.LocalEndpoint;

    /// <summary>Starts listening.</summary>
    public void Start()
    {
        _tcp.Start();
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>Stops accepting, closes connections and waits for handlers in progress.</summary>
    /// <returns>A task.</returns>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _tcp.Stop();
        if (_acceptLoop is not null)
        {
            await _acceptLoop.ConfigureAwait(false);
        }

        Task[] running;
        lock (_running)
        {
            running = [.. _running];
        }

        await Task.WhenAll(running).ConfigureAwait(false);
        _stop.Dispose();
        _connections.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await _connections.WaitAsync(_stop.Token).ConfigureAwait(false);
                TcpClient client;
                try
                {
                    client = await _tcp.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
                }
                catch
                {
                    _connections.Release();
                    throw;
                }

                var task = Task.Run(() => ServeAsync(client));
                lock (_running)
                {
                    _running.RemoveAll(t => t.IsCompleted);
                    _running.Add(task);
                }
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (ObjectDisposedException)
            {
                break;
            }
            catch (SocketException e)
            {
                if (_stop.IsCancellationRequested)
                {
                    break;
                }

                LogAcceptFailed(_logger, e.SocketErrorCode);
            }
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        var remote = client.Client.RemoteEndPoint?.ToString() ?? "unknown";
        try
        {
            using (client)
            {
                client.NoDelay = true;
                Stream stream = client.GetStream();
                var partner = remote;
                X509Certificate2? presented = null;
                if (_options.ServerCertificate is { } certificate)
                {
                    var ssl = new SslStream(stream, false, _options.ClientCertificateValidation);
                    using var handshake = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                    handshake.CancelAfter(TimeSpan.FromSeconds(30));
                    await ssl.AuthenticateAsServerAsync(
                        new SslServerAuthenticationOptions
                        {
                            ServerCertificate = certificate,
                            ClientCertificateRequired = _options.RequireClientCertificate,
                            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                            RemoteCertificateValidationCallback = _options.ClientCertificateValidation,
                        },
                        handshake.Token).ConfigureAwait(false);
                    stream = ssl;
                    if (ssl.RemoteCertificate is { } clientCertificate)
                    {
                        partner = $"{remote} {clientCertificate.Subject}";
                        presented = clientCertificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(clientCertificate.GetRawCertData());
                    }
                }

                await using (stream.ConfigureAwait(false))
                {
                    var reader = new MllpFrameReader(stream, _options.MaxFrameBytes);
                    while (!_stop.IsCancellationRequested)
                    {
                        byte[]? frame;
                        using (var idle = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token))
                        {
                            idle.CancelAfter(_options.IdleTimeout);
                            frame = await reader.ReadFrameAsync(idle.Token).ConfigureAwait(false);
                        }

                        if (frame is null)
                        {
                            break;
                        }

                        var ack = await HandleAsync(frame, partner, presented).ConfigureAwait(false);
                        await stream.WriteAsync(MllpFraming.Frame(ack), _stop.Token).ConfigureAwait(false);
                        await stream.FlushAsync(_stop.Token).ConfigureAwait(false);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Idle timeout or shutdown.
        }
        catch (MllpFrameTooLargeException e)
        {
            LogFrameTooLarge(_logger, remote, e.Limit);
        }
        catch (Exception e) when (e is IOException or AuthenticationException or SocketException or ObjectDisposedException)
        {
            LogConnectionFailed(_logger, remote, e.GetType().Name);
        }
        finally
        {
            _connections.Release();
        }
    }

    /// <summary>Stores one message through the handler, then builds its acknowledgment.</summary>
    internal async Task<byte[]> HandleAsync(byte[] frame, string partner, X509Certificate2? clientCertificate = null)
    {
        var now = _options.Clock.GetLocalNow();
        Hl7Reader.TryRead(frame, _options.ReadOptions, out var message, out var parseError);
        var inbound = new Hl7InboundMessage(frame, message, parseError, partner, now) { ClientCertificate = clientCertificate };
        var controlId = "ACK" + now.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture) + Interlocked.Increment(ref _ackCounter);
        Hl7Message ack;
        try
        {
            var receipt = await _handler.StoreAsync(inbound, _stop.Token).ConfigureAwait(false);
            ArgumentNullException.ThrowIfNull(receipt);
            if (receipt.Rejection is { } rejection)
            {
                ack = Hl7Acks.Build(message, receipt.Refused ? Hl7AckCode.Reject : Hl7AckCode.Error, controlId, rejection, now, _options.ApplicationName);
            }
            else if (parseError is not null)
            {
                ack = Hl7Acks.Build(message, Hl7AckCode.Error, controlId, ParseAckError(parseError), now, _options.ApplicationName);
            }
            else
            {
                ack = Hl7Acks.Build(message, Hl7AckCode.Accept, controlId, receipt.Warning, now, _options.ApplicationName);
            }

            LogStored(_logger, receipt.StorageId, message?.Msh.ControlId, receipt.Rejection?.Rule ?? parseError?.Rule);
        }
        catch (Exception e) when (e is not OperationCanceledException || !_stop.IsCancellationRequested)
        {
            LogStoreFailed(_logger, message?.Msh.ControlId, e.GetType().Name);
            ack = Hl7Acks.Build(message, Hl7AckCode.Reject, controlId, new Hl7AckError("store-failed", "The message could not be stored; it was not accepted. Send it again later.", "207"), now, _options.ApplicationName);
        }

        return ack.ToBytes();
    }

    private static Hl7AckError ParseAckError(Hl7ParseError e) =>
        new("parse-" + e.Rule, e.ToString(), e.Rule is "segment-name" or "second-msh" or "no-msh" ? "100" : "102", e.SegmentName, e.Field);

    [LoggerMessage(Level = LogLevel.Information, Message = "HL7 message stored as {StorageId} (control id {ControlId}, refused rule {Rule})")]
    private static partial void LogStored(ILogger logger, string storageId, string? controlId, string? rule);

    [LoggerMessage(Level = LogLevel.Error, Message = "HL7 message (control id {ControlId}) could not be stored ({Error}); answered AR")]
    private static partial void LogStoreFailed(ILogger logger, string? controlId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MLLP frame from {Remote} exceeds {Limit} bytes; connection closed")]
    private static partial void LogFrameTooLarge(ILogger logger, string remote, int limit);

    [LoggerMessage(Level = LogLevel.Information, Message = "MLLP connection from {Remote} ended: {Error}")]
    private static partial void LogConnectionFailed(ILogger logger, string remote, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MLLP accept failed: {Error}")]
    private static partial void LogAcceptFailed(ILogger logger, SocketError error);
}
