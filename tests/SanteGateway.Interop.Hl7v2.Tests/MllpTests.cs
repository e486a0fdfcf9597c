using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using SanteGateway.Interop.Hl7v2.Er7;
using SanteGateway.Interop.Hl7v2.Mllp;

namespace SanteGateway.Interop.Hl7v2.Tests;

/// <summary>Stores in memory, recording when each message was stored; can be told to fail or to wait.</summary>
internal sealed class RecordingHandler : IHl7InboundHandler
{
    public ConcurrentQueue<Hl7InboundMessage> Stored { get; } = new();

    public Func<Hl7InboundMessage, Hl7StoreReceipt?>? Decide { get; set; }

    public TaskCompletionSource? Gate { get; set; }

    public bool Fail { get; set; }

    public async ValueTask<Hl7StoreReceipt> StoreAsync(Hl7InboundMessage message, CancellationToken cancellationToken)
    {
        if (Gate is { } gate)
        {
            await gate.Task.WaitAsync(cancellationToken);
        }

        if (Fail)
        {
            throw new IOException("disk full");
        }

        Stored.Enqueue(message);
        var id = "m" + Stored.Count;
        return Decide?.Invoke(message) ?? Hl7StoreReceipt.Stored(id);
    }
}

public sealed class MllpFramingTests
{
    [Fact]
    public async Task Frames_are_read_back_across_arbitrary_chunk_boundaries_and_stray_bytes_between_frames_are_skipped()
    {
        var one = Encoding.ASCII.GetBytes("MSH|one\r");
        var two = Encoding.ASCII.GetBytes("MSH|two\x1Cnot-end\r");
        byte[] wire = [.. MllpFraming.Frame(one), (byte)'\r', (byte)'\n', .. MllpFraming.Frame(two)];

        foreach (var chunk in new[] { 1, 2, 3, 7, wire.Length })
        {
            var reader = new MllpFrameReader(new ChunkedStream(wire, chunk));
            (await reader.ReadFrameAsync(TestContext.Current.CancellationToken)).Should().Equal(one);
            (await reader.ReadFrameAsync(TestContext.Current.CancellationToken)).Should().Equal(two);
            (await reader.ReadFrameAsync(TestContext.Current.CancellationToken)).Should().BeNull();
        }
    }

    [Fact]
    public async Task A_frame_larger_than_the_limit_is_refused()
    {
        var reader = new MllpFrameReader(new MemoryStream(MllpFraming.Frame(new byte[100])), maxFrameBytes: 50);

        var act = async () => await reader.ReadFrameAsync(TestContext.Current.CancellationToken);

        await act.Should().ThrowAsync<MllpFrameTooLargeException>();
    }

    [Fact]
    public async Task A_connection_closed_inside_a_frame_is_an_error_not_a_message()
    {
        var reader = new MllpFrameReader(new MemoryStream([MllpFraming.StartBlock, (byte)'M', (byte)'S']));

        var act = async () => await reader.ReadFrameAsync(TestContext.Current.CancellationToken);

        await act.Should().ThrowAsync<EndOfStreamException>();
    }

    private sealed class ChunkedStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(chunk, buffer.Length)], cancellationToken);
    }
}

public sealed class MllpExchangeTests
{
    private static readonly string Adt = Fixtures.Adt("000003^^^CHU-X&000897406&M^PI", "PROV");

    private static async Task<MllpListener> StartAsync(IHl7InboundHandler handler, MllpListenerOptions? options = null)
    {
        var listener = new MllpListener(options ?? new MllpListenerOptions(), handler);
        listener.Start();
        await Task.Yield();
        return listener;
    }

    private static MllpClient ClientFor(MllpListener listener, TimeSpan? ackTimeout = null) =>
        new(new MllpClientOptions { Host = "127.0.0.1", Port = listener.LocalEndpoint.Port, AckTimeout = ackTimeout ?? TimeSpan.FromSeconds(10) });

    [Fact]
    public async Task A_message_is_stored_then_acknowledged_AA_with_its_control_id()
    {
        var handler = new RecordingHandler();
        await using var listener = await StartAsync(handler);
        await using var client = ClientFor(listener);

        var ack = await client.SendAsync(Hl7Reader.Read(Adt), TestContext.Current.CancellationToken);

        ack.Code.Should().Be("AA");
        ack.AcknowledgedControlId.Should().Be("1");
        ack.IsAccepted.Should().BeTrue();
        handler.Stored.Should().ContainSingle().Which.Raw.ToArray().Should().Equal(Encoding.UTF8.GetBytes(Adt));
        handler.Stored.Single().Partner.Should().StartWith("127.0.0.1:");
    }

    [Fact]
    public async Task The_ACK_is_sent_only_after_the_handler_has_stored_the_message()
    {
        var handler = new RecordingHandler { Gate = new TaskCompletionSource() };
        await using var listener = await StartAsync(handler);
        await using var client = ClientFor(listener);

        var send = client.SendAsync(Hl7Reader.Read(Adt), TestContext.Current.CancellationToken);
        await Task.Delay(300, TestContext.Current.CancellationToken);

        send.IsCompleted.Should().BeFalse("no ACK may leave before the message is stored");
        handler.Stored.Should().BeEmpty();
        handler.Gate.SetResult();
        (await send).Code.Should().Be("AA");
        handler.Stored.Should().ContainSingle();
    }

    [Fact]
    public async Task When_storing_fails_the_sender_gets_AR_naming_the_rule_so_that_it_keeps_the_message()
    {
        var handler = new RecordingHandler { Fail = true };
        await using var listener = await StartAsync(handler);
        await using var client = ClientFor(listener);

        var ack = await client.SendAsync(Hl7Reader.Read(Adt), TestContext.Current.CancellationToken);

        ack.Code.Should().Be("AR");
        ack.Errors.Should().ContainSingle().Which.ApplicationErrorCode.Should().Be("store-failed");
    }

    [Fact]
    public async Task A_message_stored_but_refused_by_a_rule_gets_AE_with_ERR_naming_the_rule()
    {
        var handler = new RecordingHandler { Decide = m => Hl7StoreReceipt.StoredButRejected("r1", new Hl7AckError("ins-wrong-key", "The INS key is wrong.", "102", "PID", 3)) };
        await using var listener = await StartAsync(handler);
        await using var client = ClientFor(listener);

        var ack = await client.SendAsync(Hl7Reader.Read(Adt), TestContext.Current.CancellationToken);

        ack.Code.Should().Be("AE");
        var err = ack.Errors.Should().ContainSingle().Subject;
        err.ApplicationErrorCode.Should().Be("ins-wrong-key");
        err.Location.Should().Be("PID^1^3");
        handler.Stored.Should().ContainSingle();
    }

    [Fact]
    public async Task An_unreadable_message_is_still_stored_raw_and_answered_AE_with_the_parse_rule()
    {
        var handler = new RecordingHandler();
        await using var listener = await StartAsync(handler);
        await using var client = ClientFor(listener);
        var garbage = Encoding.UTF8.GetBytes("MSH|^~\\&|A|B\rnot a segment\r");

        var ack = await client.SendAsync(garbage, null, TestContext.Current.CancellationToken);

        ack.Code.Should().Be("AE");
        ack.Errors.Single().ApplicationErrorCode.Should().Be("parse-segment-name");
        var stored = handler.Stored.Should().ContainSingle().Subject;
        stored.Raw.ToArray().Should().Equal(garbage);
        stored.ParseError!.SegmentIndex.Should().Be(2);
    }

    [Fact]
    public async Task Several_messages_on_one_connection_are_acknowledged_in_order()
    {
        var handler = new RecordingHandler();
        await using var listener = await StartAsync(handler);
        await using var client = ClientFor(listener);

        for (var i = 1; i <= 20; i++)
        {
            var message = Hl7Reader.Read(Adt);
            message.Msh.Segment.SetField(10, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            (await client.SendAsync(message, TestContext.Current.CancellationToken)).AcknowledgedControlId.Should().Be(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        handler.Stored.Select(m => m.Message!.Msh.ControlId).Should().Equal(Enumerable.Range(1, 20).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public async Task An_oversized_frame_closes_the_connection_without_storing_anything()
    {
        var handler = new RecordingHandler();
        await using var listener = await StartAsync(handler, new MllpListenerOptions { MaxFrameBytes = 64 });
        await using var client = ClientFor(listener);

        var act = async () => await client.SendAsync(Hl7Reader.Read(Adt), TestContext.Current.CancellationToken);

        await act.Should().ThrowAsync<IOException>();
        handler.Stored.Should().BeEmpty();
    }

    [Fact]
    public async Task The_client_times_out_when_no_ACK_comes()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        await using var client = new MllpClient(new MllpClientOptions { Host = "127.0.0.1", Port = ((IPEndPoint)silent.LocalEndpoint).Port, AckTimeout = TimeSpan.FromMilliseconds(300) });

        var act = async () => await client.SendAsync(Hl7Reader.Read(Adt), TestContext.Current.CancellationToken);

        await act.Should().ThrowAsync<MllpTimeoutException>();
    }

    [Fact]
    public async Task Messages_travel_over_TLS_when_the_listener_has_a_certificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        using var generated = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        using var certificate = X509CertificateLoader.LoadPkcs12(generated.Export(X509ContentType.Pfx), null);
        var handler = new RecordingHandler();
        await using var listener = await StartAsync(handler, new MllpListenerOptions { ServerCertificate = certificate });
        await using var client = new MllpClient(new MllpClientOptions
        {
            Host = "127.0.0.1",
            Port = listener.LocalEndpoint.Port,
            UseTls = true,
            TlsTargetHost = "localhost",
            ServerCertificateValidation = (_, cert, _, _) => cert is not null && cert.GetCertHashString() == certificate.GetCertHashString(),
        });

        var ack = await client.SendAsync(Hl7Reader.Read(Adt), TestContext.Current.CancellationToken);

        ack.Code.Should().Be("AA");
        handler.Stored.Should().ContainSingle();
    }
}
