using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using SanteGateway.Documents.Sandbox;
using SanteGateway.Insi;
using SanteGateway.Insi.Sandbox;
using SanteGateway.Ror;
using SanteGateway.Ror.Sandbox;
using SanteGateway.Server;
using SanteGateway.Server.Insi;

namespace SanteGateway.Cli;

/// <summary>
/// The gateway's services composed from its settings, with the sandboxes those settings ask for. <c>santegw serve</c> and
/// the commands that run the gateway's services in this process (<c>batch</c>) compose it the same way, so a job run from
/// the command line calls INSi exactly as the served gateway would (same endpoint, certificates, sandbox).
/// </summary>
internal sealed class GatewayComposition : IAsyncDisposable
{
    private GatewayComposition(WebApplicationBuilder builder)
    {
        Builder = builder;
    }

    /// <summary>The builder, INSi (and, when asked, document sharing and ROR) registered; the caller adds what only it needs.</summary>
    public WebApplicationBuilder Builder { get; }

    /// <summary>The INSi target: the client's options, or null with <c>Insi:Mode none</c>.</summary>
    public InsiClientOptions? Insi { get; private set; }

    /// <summary>The built-in INSi sandbox, when the settings ask for it.</summary>
    public InsiSandboxServer? InsiSandbox { get; private set; }

    /// <summary>The document-sharing targets, when composed with them.</summary>
    public DocumentTargets? Documents { get; private set; }

    /// <summary>The built-in documents sandbox, when the settings ask for it.</summary>
    public DocumentsSandboxServer? DocumentsSandbox { get; private set; }

    /// <summary>The ROR client's options, when composed with it.</summary>
    public RorClientOptions? Ror { get; private set; }

    /// <summary>The built-in ROR sandbox, when the settings ask for it.</summary>
    public RorSandboxServer? RorSandbox { get; private set; }

    /// <summary>Starts the sandboxes the settings ask for and registers the clients. On an error nothing stays running.</summary>
    /// <param name="cfg">The resolved configuration.</param>
    /// <param name="options">The resolved gateway options.</param>
    /// <param name="documentsAndRor">Also compose document sharing and the ROR (the served gateway); in-process jobs need INSi only.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The composition, or the error to print.</returns>
    public static async Task<(GatewayComposition? Composition, string? Error)> PrepareAsync(IConfiguration cfg, GatewayOptions options, bool documentsAndRor, CancellationToken ct)
    {
        var composition = new GatewayComposition(GatewayApp.CreateBuilder([], options, configuration: cfg));
        try
        {
            var error = await composition.ComposeAsync(cfg, options, documentsAndRor, ct).ConfigureAwait(false);
            if (error is null)
            {
                return (composition, null);
            }

            await composition.DisposeAsync().ConfigureAwait(false);
            return (null, error);
        }
        catch
        {
            await composition.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task<string?> ComposeAsync(IConfiguration cfg, GatewayOptions options, bool documentsAndRor, CancellationToken ct)
    {
        var (insi, insiSandbox, insiError) = await ServeInsi.PrepareAsync(cfg, options, ct).ConfigureAwait(false);
        (Insi, InsiSandbox) = (insi, insiSandbox);
        if (insiError is not null)
        {
            return insiError;
        }

        if (documentsAndRor)
        {
            var (documents, documentsSandbox, documentsError) = await ServeDocuments.PrepareAsync(cfg, options, ct).ConfigureAwait(false);
            (Documents, DocumentsSandbox) = (documents, documentsSandbox);
            if (documentsError is not null)
            {
                return documentsError;
            }

            var (ror, rorSandbox, rorError) = await ServeRor.PrepareAsync(cfg, options, ct).ConfigureAwait(false);
            (Ror, RorSandbox) = (ror, rorSandbox);
            if (rorError is not null)
            {
                return rorError;
            }

            if (Documents is not null)
            {
                ServeDocuments.Register(Builder.Services, Documents, DocumentsSandbox is not null);
            }

            if (Ror is not null)
            {
                ServeRor.Register(Builder, Ror, RorSandbox is not null);
            }
        }

        if (Insi is not null)
        {
            try
            {
                Builder.Services.AddGatewayInsi(Insi);
            }
            catch (Microsoft.Extensions.Options.OptionsValidationException ex)
            {
                return string.Join(Environment.NewLine, ex.Failures);
            }
        }

        return null;
    }

    /// <summary>Stops the sandboxes (the application built from <see cref="Builder"/> is the caller's to dispose first).</summary>
    /// <returns>A task.</returns>
    public async ValueTask DisposeAsync()
    {
        if (RorSandbox is not null)
        {
            await RorSandbox.DisposeAsync().ConfigureAwait(false);
        }

        if (DocumentsSandbox is not null)
        {
            await DocumentsSandbox.DisposeAsync().ConfigureAwait(false);
        }

        if (InsiSandbox is not null)
        {
            await InsiSandbox.DisposeAsync().ConfigureAwait(false);
        }
    }
}
