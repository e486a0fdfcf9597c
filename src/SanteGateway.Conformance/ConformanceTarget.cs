using SanteGateway.Insi;

namespace SanteGateway.Conformance;

/// <summary>Where and as whom the kit calls INSi (the built-in sandbox or a configured real endpoint).</summary>
public sealed class ConformanceTarget
{
    /// <summary>INSi endpoint (mutual TLS).</summary>
    public required Uri Endpoint { get; init; }

    /// <summary>True when the endpoint is the built-in sandbox (sandbox-only cases run, invented INS values are checked).</summary>
    public bool IsSandbox { get; init; }

    /// <summary>Software authorisation number (<c>LPS/IDAM</c>).</summary>
    public required string Idam { get; init; }

    /// <summary>Installation id (<c>LPS/Instance</c>).</summary>
    public string Instance { get; init; } = "00000000-0000-0000-0000-00000000c0da";

    /// <summary>Software name (<c>LPS/Nom</c>).</summary>
    public string SoftwareName { get; init; } = "santegw";

    /// <summary>Software version under test (<c>LPS/Version</c>).</summary>
    public string SoftwareVersion { get; init; } = "0.1.0";

    /// <summary>PKCS#12 of the INSI-AUTO certificate.</summary>
    public string? AutomaticCertificatePath { get; init; }

    /// <summary>Password of <see cref="AutomaticCertificatePath"/>.</summary>
    public string? AutomaticCertificatePassword { get; init; }

    /// <summary>PKCS#12 of the INSI-MANU certificate (user-triggered calls; the plan's searches are made by a user).</summary>
    public string? ManualCertificatePath { get; init; }

    /// <summary>Password of <see cref="ManualCertificatePath"/>.</summary>
    public string? ManualCertificatePassword { get; init; }

    /// <summary>PKCS#12 of a certificate whose CN is neither INSI-AUTO nor INSI-MANU (test "wrong CN"); without it that test is not run.</summary>
    public string? WrongCnCertificatePath { get; init; }

    /// <summary>Password of <see cref="WrongCnCertificatePath"/>.</summary>
    public string? WrongCnCertificatePassword { get; init; }

    /// <summary>CAs trusted for the server chain.</summary>
    public IList<string> TrustedCaPaths { get; } = [];

    /// <summary>Folder holding the approval centre's response files (<c>REP_CR01.xml</c>, <c>TEST_2.04_cas2.xml</c>…).</summary>
    public required string CndaFilesDirectory { get; init; }

    /// <summary>The client options for one case (certificate and IDAM of the case, its injector).</summary>
    /// <param name="testCase">The case.</param>
    /// <param name="injector">CNDA file injector, or null.</param>
    /// <returns>New options (one client per case).</returns>
    public InsiClientOptions ClientOptions(ConformanceCase testCase, IInsiResponseInjector? injector)
    {
        ArgumentNullException.ThrowIfNull(testCase);
        var wrong = testCase.Certificate == ConformanceCertificate.WrongCommonName;
        var options = new InsiClientOptions
        {
            Endpoint = Endpoint,
            Idam = testCase.Idam ?? Idam,
            Instance = Instance,
            SoftwareName = SoftwareName,
            SoftwareVersion = SoftwareVersion,
            AutomaticCertificatePath = wrong ? WrongCnCertificatePath : AutomaticCertificatePath ?? ManualCertificatePath,
            AutomaticCertificatePassword = wrong ? WrongCnCertificatePassword : AutomaticCertificatePath is null ? ManualCertificatePassword : AutomaticCertificatePassword,
            ManualCertificatePath = wrong ? WrongCnCertificatePath : ManualCertificatePath ?? AutomaticCertificatePath,
            ManualCertificatePassword = wrong ? WrongCnCertificatePassword : ManualCertificatePath is null ? AutomaticCertificatePassword : ManualCertificatePassword,
            ResponseInjector = injector,
        };
        foreach (var ca in TrustedCaPaths)
        {
            options.TrustedCaPaths.Add(ca);
        }

        return options;
    }
}
