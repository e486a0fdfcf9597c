using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using SanteGateway.Interop.Hl7v2.Er7;
using SanteGateway.Interop.Hl7v2.Segments;

namespace SanteGateway.Interop.Hl7v2.Mllp;

/// <summary>Settings of an <see cref="MllpClient"/>.</summary>
public sealed record MllpClientOptions
{
    /// <summary>Host name or address of the partner.</summary>
    public required string Host { get; init; }

    /// <summary>Port of the partner.</summary>
    public required int Port { get; init; }

    /// <summary>Use TLS.</summary>
    public bool UseTls { get; init; }

    /// <summary>TLS server name (defaults to <see cref="Host"/>).</summary>
    public string? TlsTargetHost { get; init; }

    /// <summary>Client certificates for mutual TLS.</summary>
    public X509CertificateCollection? ClientCertificates { get; init; }

    /// <summary>Checks the server certificate; null uses the system's chain validation.</summary>
    public RemoteCertificateValidationCallback? ServerCertificateValidation { get; init; }

    /// <summary>How long to wait for the connection.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long to wait for the acknowledgment of one message.</summary>
    public TimeSpan AckTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Largest acknowledgment accepted.</summary>
    public int MaxFrameBytes { get; init; } = 1024 * 1024;
}

/// <summary>The acknowledgment received for a message.</summary>
/// <param name="Raw">The bytes received.</param>
/// <param name="Message">The parsed ACK, or null when unreadable.</param>
public sealed record MllpAck(byte[] Raw, Hl7Message? Message)
{
    /// <summary>MSA-1 (<c>AA</c>, <c>AE</c>, <c>AR</c>, <c>CA</c>, <c>CE</c>, <c>CR</c>), or null.</summary>
    public string? Code => Message?.Msa?.AcknowledgmentCode;

    /// <summary>MSA-2: the control id of the acknowledged message.</summary>
    public string? AcknowledgedControlId => Message?.Msa?.ControlId;

    /// <summary>The ERR segments.</summary>
    public IReadOnlyList<ErrSegment> Errors => Message?.Err.ToArray() ?? [];

    /// <summary>True for <c>AA</c> and <c>CA</c>.</summary>
    public bool IsAccepted => Code is "AA" or "CA";
}

/// <summary>No acknowledgment arrived in time; the connection is dropped (the message may or may not have been received).</summary>
public sealed class MllpTimeoutException : TimeoutException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What timed out.</param>
    public MllpTimeoutException(string message)
        : base(message)
    {
    }
}

/// <summary>The partner answered with something that is not an acknowledgment of the message sent.</summary>
public sealed class MllpProtocolException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong.</param>
    public MllpProtocolException(string message)
        : base(message)
    {
    }
}

/// <summary>
/// Sends messages over MLLP and waits for each acknowledgment (one message at a time per connection). The connection is
/// opened on first use and reopened after a failure.
/// </summary>
public sealed class MllpClient : IAsyncDisposable
{
    private readonly MllpClientOptions _options;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private TcpClient? _tcp;
    private Stream? _stream;
    private MllpFrameReader? _reader;

    /// <summary>Creates a client.</summary>
    /// <param name="options">Partner and timeouts.</param>
    public MllpClient(MllpClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    /// <summary>Sends a message and waits for its acknowledgment.</summary>
    /// <param name="message">The message.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>The acknowledgment.</returns>
    /// <exception cref="MllpTimeoutException">No acknowledgment in time.</exception>
    /// <exception cref="MllpProtocolException">The answer acknowledges another message.</exception>
    public Task<MllpAck> SendAsync(Hl7Message message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        return SendAsync(message.ToBytes(), message.Msh.ControlId, cancellationToken);
    }

    /// <summary>Sends message bytes and waits for the acknowledgment.</summary>
    /// <param name="message">The message bytes (unframed).</param>
    /// <param name="expectedControlId">MSH-10 of the message, checked against MSA-2 when given.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>The acknowledgment.</returns>
    /// <exception cref="MllpTimeoutException">No connection or no acknowledgment in time.</exception>
    /// <exception cref="MllpProtocolException">The answer acknowledges another message.</exception>
    public async Task<MllpAck> SendAsync(ReadOnlyMemory<byte> message, string? expectedControlId, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await EnsureConnectedAsync(cancellationToken).ConfigureAwait(false);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.AckTimeout);
            byte[]? frame;
            try
            {
                await _stream!.WriteAsync(MllpFraming.Frame(message.Span), timeout.Token).ConfigureAwait(false);
                await _stream.FlushAsync(timeout.Token).ConfigureAwait(false);
                frame = await _reader!.ReadFrameAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                Disconnect();
                throw new MllpTimeoutException($"No acknowledgment from {_options.Host}:{_options.Port} within {_options.AckTimeout.TotalSeconds:0.#} s.");
            }
            catch
            {
                Disconnect();
                throw;
            }

            if (frame is null)
            {
                Disconnect();
                throw new MllpProtocolException($"{_options.Host}:{_options.Port} closed the connection without acknowledging the message.");
            }

            Hl7Reader.TryRead(frame, null, out var ack, out _);
            var result = new MllpAck(frame, ack);
            if (ack?.Msa is null)
            {
                Disconnect();
                throw new MllpProtocolException("The answer is not an HL7 acknowledgment (no MSA segment).");
            }

            if (expectedControlId is not null && result.AcknowledgedControlId != expectedControlId)
            {
                Disconnect();
                throw new MllpProtocolException("The acknowledgment names another message (MSA-2 differs from MSH-10 of the message sent).");
            }

            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Closes the connection.</summary>
    /// <returns>A task.</returns>
    public ValueTask DisposeAsync()
    {
        Disconnect();
        _gate.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task EnsureConnectedAsync(CancellationToken cancellationToken)
    {
        if (_stream is not null && _tcp is { Connected: true })
        {
            return;
        }

        Disconnect();
        var tcp = new TcpClient { NoDelay = true };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ConnectTimeout);
        try
        {
            await tcp.ConnectAsync(_options.Host, _options.Port, timeout.Token).ConfigureAwait(false);
            Stream stream = tcp.GetStream();
            if (_options.UseTls)
            {
                var ssl = new SslStream(stream, false, _options.ServerCertificateValidation);
                await ssl.AuthenticateAsClientAsync(
                    new SslClientAuthenticationOptions
                    {
                        TargetHost = _options.TlsTargetHost ?? _options.Host,
                        ClientCertificates = _options.ClientCertificates,
                        EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                        RemoteCertificateValidationCallback = _options.ServerCertificateValidation,
                    },
                    timeout.Token).ConfigureAwait(false);
                stream = ssl;
            }

            _tcp = tcp;
            _stream = stream;
            _reader = new MllpFrameReader(stream, _options.MaxFrameBytes);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            tcp.Dispose();
            throw new MllpTimeoutException($"Could not connect to {_options.Host}:{_options.Port} within {_options.ConnectTimeout.TotalSeconds:0.#} s.");
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    private void Disconnect()
    {
        _stream?.Dispose();
        _tcp?.Dispose();
        _stream = null;
        _tcp = null;
        _reader = null;
    }
}
