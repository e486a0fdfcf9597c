using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SanteGateway.Conformance;

/// <summary>
/// A headless Chromium driven over the DevTools protocol (no browser-automation package in the tool): opens a page with
/// a session cookie, waits for it to load and takes a full-page PNG. Used by <c>santegw cnda run --screenshots</c> to put
/// the screens of the gateway in the acceptance file.
/// </summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    /// <summary>Where Debian installs Chromium.</summary>
    public const string DefaultPath = "/usr/bin/chromium";

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(20) };
    private readonly Process process;
    private readonly string profile;
    private readonly int port;

    private HeadlessChromium(Process process, string profile, int port)
    {
        this.process = process;
        this.profile = profile;
        this.port = port;
    }

    /// <summary>Starts Chromium headless with a throw-away profile.</summary>
    /// <param name="executable">Chromium binary (default <see cref="DefaultPath"/>).</param>
    /// <param name="cancellationToken">Cancellation.</param>
    /// <returns>The browser.</returns>
    /// <exception cref="FileNotFoundException">No Chromium at that path.</exception>
    /// <exception cref="TimeoutException">The DevTools endpoint did not come up within 30 seconds.</exception>
    public static async Task<HeadlessChromium> StartAsync(string? executable = null, CancellationToken cancellationToken = default)
    {
        executable ??= DefaultPath;
        if (!File.Exists(executable))
        {
            throw new FileNotFoundException($"No Chromium at {executable} (apt-get install chromium, or give its path).", executable);
        }

        var profile = Directory.CreateTempSubdirectory("santegw-chromium-").FullName;
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var a in new[]
                 {
                     "--headless=new", "--no-sandbox", "--lang=fr-FR", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
                     "--hide-scrollbars", "--mute-audio", "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1", "--user-data-dir=" + profile, "about:blank",
                 })
        {
            start.ArgumentList.Add(a);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Chromium did not start.");
        process.ErrorDataReceived += (_, _) => { };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var portFile = Path.Combine(profile, "DevToolsActivePort");
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"Chromium exited at start (code {process.ExitCode}).");
            }

            if (File.Exists(portFile) && (await File.ReadAllLinesAsync(portFile, cancellationToken).ConfigureAwait(false)) is [var first, ..] && int.TryParse(first, CultureInfo.InvariantCulture, out var p))
            {
                return new HeadlessChromium(process, profile, p);
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }

        process.Kill(entireProcessTree: true);
        throw new TimeoutException("Chromium's DevTools endpoint did not come up within 30 seconds.");
    }

    /// <summary>Opens <paramref name="url"/> with the given cookies and returns a full-page PNG.</summary>
    /// <param name="url">Page.</param>
    /// <param name="cookies">Cookies (name, value) set for the page's origin before loading it (the session cookie).</param>
    /// <param name="width">Viewport width in CSS pixels.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    /// <returns>PNG bytes.</returns>
    public async Task<byte[]> ScreenshotAsync(Uri url, IEnumerable<(string Name, string Value)> cookies, int width = 1280, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(cookies);
        using var created = await Http.PutAsync(new Uri($"http://127.0.0.1:{port}/json/new?about:blank"), null, cancellationToken).ConfigureAwait(false);
        created.EnsureSuccessStatusCode();
        var target = await created.Content.ReadFromJsonAsync<JsonElement>(cancellationToken).ConfigureAwait(false);
        var id = target.GetProperty("id").GetString()!;
        try
        {
            using var socket = new ClientWebSocket();
            socket.Options.KeepAliveInterval = TimeSpan.Zero;
            await socket.ConnectAsync(new Uri(target.GetProperty("webSocketDebuggerUrl").GetString()!), cancellationToken).ConfigureAwait(false);
            var session = new Session(socket);
            var origin = url.GetLeftPart(UriPartial.Authority) + "/";
            foreach (var (name, value) in cookies)
            {
                await session.SendAsync("Network.setCookie", new JsonObject { ["name"] = name, ["value"] = value, ["url"] = origin }, cancellationToken).ConfigureAwait(false);
            }

            await session.SendAsync("Emulation.setDeviceMetricsOverride", new JsonObject { ["width"] = width, ["height"] = 900, ["deviceScaleFactor"] = 1, ["mobile"] = false }, cancellationToken).ConfigureAwait(false);
            await session.SendAsync("Page.navigate", new JsonObject { ["url"] = url.ToString() }, cancellationToken).ConfigureAwait(false);
            var wait = Stopwatch.StartNew();
            while (wait.Elapsed < TimeSpan.FromSeconds(20))
            {
                var state = await session.SendAsync("Runtime.evaluate", new JsonObject { ["expression"] = "document.readyState", ["returnByValue"] = true }, cancellationToken).ConfigureAwait(false);
                if (state?["result"]?["value"]?.GetValue<string>() == "complete")
                {
                    break;
                }

                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }

            var metrics = await session.SendAsync("Page.getLayoutMetrics", [], cancellationToken).ConfigureAwait(false);
            var height = (int)Math.Ceiling(metrics?["cssContentSize"]?["height"]?.GetValue<double>() ?? 900);
            await session.SendAsync("Emulation.setDeviceMetricsOverride", new JsonObject { ["width"] = width, ["height"] = Math.Clamp(height, 200, 10_000), ["deviceScaleFactor"] = 1, ["mobile"] = false }, cancellationToken).ConfigureAwait(false);
            var shot = await session.SendAsync("Page.captureScreenshot", new JsonObject { ["format"] = "png" }, cancellationToken).ConfigureAwait(false);
            return Convert.FromBase64String(shot?["data"]?.GetValue<string>() ?? throw new InvalidOperationException("Chromium returned no screenshot."));
        }
        finally
        {
            try
            {
                using var closed = await Http.GetAsync(new Uri($"http://127.0.0.1:{port}/json/close/{id}"), CancellationToken.None).ConfigureAwait(false);
            }
            catch (HttpRequestException)
            {
                // The tab goes with the browser anyway.
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync().ConfigureAwait(false);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        process.Dispose();
        try
        {
            Directory.Delete(profile, recursive: true);
        }
        catch (IOException)
        {
            // Chromium may still hold a lock file for a moment; the temp folder is cleaned by the system.
        }
    }

    /// <summary>One DevTools connection: commands answered by id, events skipped.</summary>
    private sealed class Session(ClientWebSocket socket)
    {
        private int next;

        public async Task<JsonNode?> SendAsync(string method, JsonObject parameters, CancellationToken ct)
        {
            var id = ++next;
            var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters };
            await socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, ct).ConfigureAwait(false);
            var buffer = new byte[64 * 1024];
            while (true)
            {
                using var received = new MemoryStream();
                WebSocketReceiveResult r;
                do
                {
                    r = await socket.ReceiveAsync(buffer, ct).ConfigureAwait(false);
                    if (r.MessageType == WebSocketMessageType.Close)
                    {
                        throw new InvalidOperationException("Chromium closed the DevTools connection.");
                    }

                    received.Write(buffer, 0, r.Count);
                }
                while (!r.EndOfMessage);

                var node = JsonNode.Parse(received.ToArray());
                if (node?["id"]?.GetValue<int>() != id)
                {
                    continue; // an event
                }

                if (node["error"] is { } error)
                {
                    throw new InvalidOperationException($"DevTools {method}: {error["message"]}");
                }

                return node["result"];
            }
        }
    }
}
