using Microsoft.Playwright;

namespace SanteGateway.EndToEnd;

/// <summary>
/// One gateway and one headless Debian Chromium for the whole test class. Playwright never downloads a browser here:
/// it drives <c>/usr/bin/chromium</c>. Without it the tests skip on a developer machine but fail in CI (CI=true).
/// </summary>
public class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright? playwright;

    public GatewayServer Gateway { get; private set; } = null!;

    public IBrowser? Browser { get; private set; }

    public string? Unavailable { get; private set; }

    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public async ValueTask InitializeAsync()
    {
        Gateway = await StartGatewayAsync();
        if (!File.Exists(ChromiumPath))
        {
            Unavailable = $"{ChromiumPath} is missing (apt-get install chromium).";
            return;
        }

        // The whole suite shares two cores in CI: generous waits, never fixed sleeps.
        Assertions.SetDefaultExpectTimeout(20_000);
        playwright = await Playwright.CreateAsync();
        Browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    /// <summary>Starts the gateway the tests use (a subclass may configure its INSi sandbox).</summary>
    protected virtual Task<GatewayServer> StartGatewayAsync() => GatewayServer.StartAsync();

    /// <summary>A fresh browser context (own cookies) with French locale, on the gateway's address.</summary>
    public async Task<IBrowserContext> NewContextAsync()
    {
        if (Browser is null)
        {
            if (InCi)
            {
                throw new InvalidOperationException("Chromium is required in CI: " + Unavailable);
            }

            Assert.Skip(Unavailable ?? "no browser");
        }

        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Gateway.BaseAddress.ToString(),
            Locale = "fr-FR",
            TimezoneId = "Europe/Paris",
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
        });
        context.SetDefaultTimeout(30_000);
        return context;
    }

    public virtual async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        playwright?.Dispose();
        if (Gateway is not null)
        {
            await Gateway.DisposeAsync();
        }
    }
}
