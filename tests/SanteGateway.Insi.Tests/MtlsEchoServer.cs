using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SanteGateway.Insi.Tests;

/// <summary>Tiny Kestrel server requiring a client certificate from the test CA; records each request and answers a fixed body.</summary>
internal sealed class MtlsEchoServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private MtlsEchoServer(WebApplication app, Uri endpoint)
    {
        _app = app;
        Endpoint = endpoint;
    }

    public Uri Endpoint { get; }

    public ConcurrentQueue<Seen> Requests { get; } = new();

    public Func<Seen, (int Status, byte[] Body)> Answer { get; set; } = _ => (200, File.ReadAllBytes(InsiFiles.Recorded("AdrtroisToussaint.response.xml")));

    public TimeSpan Delay { get; set; }

    public static async Task<MtlsEchoServer> StartAsync(X509Certificate2 serverCertificate, Func<X509Certificate2, bool> acceptClient)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(new HttpsConnectionAdapterOptions
        {
            ServerCertificate = serverCertificate,
            ClientCertificateMode = ClientCertificateMode.RequireCertificate,
            ClientCertificateValidation = (cert, _, _) => acceptClient(cert),
        })));
        var app = builder.Build();
        MtlsEchoServer? server = null;
        app.MapPost("/lps", async (HttpContext ctx) =>
        {
            using var ms = new MemoryStream();
            await ctx.Request.Body.CopyToAsync(ms, ctx.RequestAborted);
            var seen = new Seen(ctx.Connection.ClientCertificate?.GetNameInfo(X509NameType.SimpleName, false), ctx.Request.ContentType, ms.ToArray());
            server!.Requests.Enqueue(seen);
            if (server.Delay > TimeSpan.Zero)
            {
                await Task.Delay(server.Delay, ctx.RequestAborted);
            }

            var (status, body) = server.Answer(seen);
            ctx.Response.StatusCode = status;
            ctx.Response.ContentType = "application/soap+xml; charset=utf-8";
            await ctx.Response.Body.WriteAsync(body, ctx.RequestAborted);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server = new MtlsEchoServer(app, new Uri(new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal)), "/lps"));
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    internal sealed record Seen(string? ClientCn, string? ContentType, byte[] Body);
}
