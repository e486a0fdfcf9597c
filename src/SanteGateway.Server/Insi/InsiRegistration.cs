using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SanteGateway.Application;
using SanteGateway.Insi;

namespace SanteGateway.Server.Insi;

/// <summary>Registers the INSi client as the application's <see cref="IInsiPort"/>.</summary>
public static class InsiRegistration
{
    /// <summary>Registers the INSi client with options already built (e.g. for the sandbox <c>serve</c> started); they are validated now.</summary>
    /// <param name="services">Services.</param>
    /// <param name="options">The options.</param>
    /// <returns>The same services.</returns>
    /// <exception cref="OptionsValidationException">A setting is wrong (the message names it).</exception>
    public static IServiceCollection AddGatewayInsi(this IServiceCollection services, InsiClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var check = new InsiClientOptionsValidator().Validate(null, options);
        if (check.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(InsiClientOptions), check.Failures ?? []);
        }

        services.AddSingleton(Options.Create(options));
        services.RemoveAll<IInsiPort>();
        services.AddSingleton<InsiClientPort>();
        services.AddSingleton<IInsiPort>(sp => sp.GetRequiredService<InsiClientPort>());
        return services;
    }

    /// <summary>
    /// Replaces the unconfigured port with <see cref="InsiClientPort"/> built from <paramref name="configure"/>, with the
    /// host's logging and clock. The options are validated when the host starts: a wrong setting stops the start with a
    /// message naming it, not the first call.
    /// </summary>
    /// <param name="services">Services.</param>
    /// <param name="configure">Fills the options (from configuration, or from the sandbox that <c>serve</c> started).</param>
    /// <returns>The same services.</returns>
    public static IServiceCollection AddGatewayInsi(this IServiceCollection services, Action<InsiClientOptions> configure)
    {
        services.AddOptions<InsiClientOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<InsiClientOptions>, InsiClientOptionsValidator>());
        services.RemoveAll<IInsiPort>();
        services.AddSingleton<InsiClientPort>();
        services.AddSingleton<IInsiPort>(sp => sp.GetRequiredService<InsiClientPort>());
        return services;
    }
}

/// <summary>Checks the INSi settings at start.</summary>
internal sealed class InsiClientOptionsValidator : IValidateOptions<InsiClientOptions>
{
    public ValidateOptionsResult Validate(string? name, InsiClientOptions options)
    {
        var failures = new List<string>();
        if (options.Endpoint is null || options.Endpoint.Scheme != Uri.UriSchemeHttps)
        {
            failures.Add("Insi:Endpoint: an https URL is required.");
        }

        if (string.IsNullOrWhiteSpace(options.Idam))
        {
            failures.Add("Insi:Idam: the CNDA authorisation number is required.");
        }

        if (string.IsNullOrWhiteSpace(options.Instance))
        {
            failures.Add("Insi:Instance: the per-installation id is required.");
        }

        if (options.Mode == InsiAuthenticationMode.MutualTls)
        {
            if (string.IsNullOrWhiteSpace(options.AutomaticCertificatePath) || !File.Exists(options.AutomaticCertificatePath))
            {
                failures.Add("Insi:CertificatePath: the INSI-AUTO PKCS#12 file is missing.");
            }

            if (options.ManualCertificatePath is { } manual && !File.Exists(manual))
            {
                failures.Add("Insi:ManualCertificatePath: the INSI-MANU PKCS#12 file is missing.");
            }
        }

        foreach (var ca in options.TrustedCaPaths)
        {
            if (!File.Exists(ca))
            {
                failures.Add($"Insi:TrustedCaPaths: {ca} does not exist.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
