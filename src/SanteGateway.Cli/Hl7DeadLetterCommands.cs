using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SanteGateway.Application;
using SanteGateway.Server;
using SanteGateway.Server.Hl7;
using SanteGateway.Store.Entities;

namespace SanteGateway.Cli;

/// <summary>
/// <c>santegw hl7 dead-letters list|show ID|replay ID</c>: deliveries the outbox gave up (HL7 identity feed to subscribers,
/// inbound deliveries to the publisher's software), on the data folder (the gateway's services in this process) or on a
/// running gateway through its API (<c>--url</c>, <c>--api-key</c> or <c>$SANTEGW_API_KEY</c>: identity-vigilance or admin).
/// Exit 0 done, 1 refused (not a dead letter any more), 2 usage or unknown id.
/// </summary>
internal static class Hl7DeadLetterCommands
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static Command Create()
    {
        var cmd = new Command("dead-letters", "Outbox dead letters (HL7 feed and inbound deliveries): list, show, replay.");
        cmd.Subcommands.Add(CreateList());
        cmd.Subcommands.Add(CreateShow());
        cmd.Subcommands.Add(CreateReplay());
        return cmd;
    }

    private sealed record Common(Option<string> Data, Option<string> Config, Option<string> Url, Option<string> ApiKey, Option<bool> AsJson)
    {
        public static Common AddTo(Command cmd)
        {
            var c = new Common(
                new Option<string>("--data") { Description = "Data folder (default $SANTEGW_DATA or ~/.santegw)." },
                new Option<string>("--config") { Description = "Configuration file (default DATA/appsettings.json)." },
                new Option<string>("--url") { Description = "Work on a running gateway (e.g. https://gw:5443) through its API instead of on a data folder." },
                new Option<string>("--api-key") { Description = "API key for --url (identity-vigilance or admin role; default $SANTEGW_API_KEY)." },
                new Option<bool>("--json") { Description = "Print JSON." });
            cmd.Options.Add(c.Data);
            cmd.Options.Add(c.Config);
            cmd.Options.Add(c.Url);
            cmd.Options.Add(c.ApiKey);
            cmd.Options.Add(c.AsJson);
            return c;
        }
    }

    private static Command CreateList()
    {
        var cmd = new Command("list", "Dead letters, newest first: id, destination, kind, attempts, why the last attempt failed.");
        var destination = new Option<string>("--destination") { Description = "Only this destination (subscriber name, or inbound:ROUTE)." };
        var page = new Option<int?>("--page") { Description = "Page from 1." };
        var size = new Option<int?>("--page-size") { Description = "1–200 (50)." };
        cmd.Options.Add(destination);
        cmd.Options.Add(page);
        cmd.Options.Add(size);
        var c = Common.AddTo(cmd);
        cmd.SetAction((parse, ct) => RunAsync(parse, c, "list",
            svc => svc.OutboxAsync(OutboxStates.DeadLetter, parse.GetValue(destination), parse.GetValue(page), parse.GetValue(size), ct),
            http => http.GetAsync("api/hl7/dead-letters" + Query(("destination", parse.GetValue(destination)), ("page", parse.GetValue(page)?.ToString(CultureInfo.InvariantCulture)), ("pageSize", parse.GetValue(size)?.ToString(CultureInfo.InvariantCulture))), ct),
            PrintList, ct));
        return cmd;
    }

    private static Command CreateShow()
    {
        var cmd = new Command("show", "One outbox message with its content (the HL7 message or the delivery notice).");
        var id = new Argument<long>("id") { Description = "Outbox id (from list)." };
        cmd.Arguments.Add(id);
        var c = Common.AddTo(cmd);
        cmd.SetAction((parse, ct) => RunAsync(parse, c, "show",
            svc => svc.OutboxMessageAsync(parse.GetValue(id), ct),
            http => http.GetAsync($"api/hl7/outbox/{parse.GetValue(id).ToString(CultureInfo.InvariantCulture)}", ct),
            PrintOne, ct));
        return cmd;
    }

    private static Command CreateReplay()
    {
        var cmd = new Command("replay", "Put a dead letter back in the queue (attempts reset, due now); audited.");
        var id = new Argument<long>("id") { Description = "Outbox id (from list)." };
        cmd.Arguments.Add(id);
        var c = Common.AddTo(cmd);
        cmd.SetAction((parse, ct) => RunAsync(parse, c, "replay",
            svc => svc.ReplayAsync(parse.GetValue(id), new Actor(Environment.UserName, "cli", false), ct),
            http => http.PostAsync($"api/hl7/dead-letters/{parse.GetValue(id).ToString(CultureInfo.InvariantCulture)}/replay", null, ct),
            (OutboxMessageSummary m) => Console.WriteLine($"Outbox {m.Id.ToString(CultureInfo.InvariantCulture)} ({m.Destination}) is {m.State} again, due now."), ct));
        return cmd;
    }

    private static async Task<int> RunAsync<T>(ParseResult parse, Common c, string verb, Func<Hl7MessageService, Task<Result<T>>> local, Func<HttpClient, Task<HttpResponseMessage>> remote, Action<T> print, CancellationToken ct)
    {
        var asJson = parse.GetValue(c.AsJson);
        T value;
        if (parse.GetValue(c.Url) is { } url)
        {
            using var http = RemoteBatch.Client(url, parse.GetValue(c.ApiKey), out var error, "hl7 dead-letters");
            if (http is null)
            {
                await Console.Error.WriteLineAsync(error).ConfigureAwait(false);
                return Program.UsageError;
            }

            using var response = await remote(http).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
                await Console.Error.WriteLineAsync($"santegw hl7 dead-letters {verb}: the gateway answered {(int)response.StatusCode}: {body}").ConfigureAwait(false);
                return response.StatusCode == HttpStatusCode.Conflict ? Hl7Commands.Refused : Program.UsageError;
            }

            value = (await response.Content.ReadFromJsonAsync<T>(Json, ct).ConfigureAwait(false))!;
        }
        else
        {
            var (options, cfg, error) = GatewaySettings.Resolve(parse.GetValue(c.Data), parse.GetValue(c.Config), null, null, null);
            if (options is null)
            {
                await Console.Error.WriteLineAsync(error).ConfigureAwait(false);
                return Program.UsageError;
            }

            // The gateway's services without its host: no listener, no worker, nothing but the store.
            var app = GatewayApp.Build(GatewayApp.CreateBuilder([], options, configuration: cfg));
            await using (app.ConfigureAwait(false))
            {
                await GatewayApp.InitializeAsync(app.Services, ct).ConfigureAwait(false);
                await using var scope = app.Services.CreateAsyncScope();
                var result = await local(scope.ServiceProvider.GetRequiredService<Hl7MessageService>()).ConfigureAwait(false);
                if (!result.IsSuccess)
                {
                    await Console.Error.WriteLineAsync($"santegw hl7 dead-letters {verb}: {result.Error.Rule}: {result.Error.Message}").ConfigureAwait(false);
                    return result.Error.Kind == ErrorKind.Conflict ? Hl7Commands.Refused : Program.UsageError;
                }

                value = result.Value;
            }
        }

        if (asJson)
        {
            Console.WriteLine(JsonSerializer.Serialize(value, Json));
        }
        else
        {
            print(value);
        }

        return 0;
    }

    private static void PrintList(Paged<OutboxMessageSummary> page)
    {
        if (page.Items.Count == 0)
        {
            Console.WriteLine("No dead letters.");
            return;
        }

        Console.WriteLine($"{"ID",8}  {"DESTINATION",-24} {"KIND",-10} {"ATTEMPTS",8}  LAST ERROR");
        foreach (var m in page.Items)
        {
            Console.WriteLine($"{m.Id,8}  {Clip(m.Destination, 24),-24} {Clip(m.Kind ?? "-", 10),-10} {m.Attempts,8}  {m.LastError}");
        }

        Console.WriteLine($"Page {page.Page.ToString(CultureInfo.InvariantCulture)}: {page.Items.Count.ToString(CultureInfo.InvariantCulture)} of {page.Total.ToString(CultureInfo.InvariantCulture)} dead letters.");
    }

    private static void PrintOne(OutboxMessageView view)
    {
        var m = view.Summary;
        Console.WriteLine($"Outbox {m.Id.ToString(CultureInfo.InvariantCulture)}: {m.State}, {m.Channel} to {m.Destination}, {m.Kind ?? "-"}, message id {m.MessageId ?? "-"}");
        Console.WriteLine($"Created {m.CreatedAt:O}; attempts {m.Attempts.ToString(CultureInfo.InvariantCulture)}; next {m.NextAttemptAt:O}");
        if (m.LastError is not null)
        {
            Console.WriteLine("Last error: " + m.LastError);
        }

        Console.WriteLine();
        Console.WriteLine(view.Text.Replace("\r", Environment.NewLine, StringComparison.Ordinal));
    }

    private static string Clip(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "…";

    private static string Query(params (string Name, string? Value)[] parts)
    {
        var q = string.Join('&', parts.Where(p => !string.IsNullOrEmpty(p.Value)).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}"));
        return q.Length == 0 ? "" : "?" + q;
    }
}
