// SanteGateway console sample: what a publisher's program does with the NuGet packages.
// 1. generate a test PKI and start the INSi sandbox in-process (SanteGateway.Insi.Sandbox),
// 2. search the INS of a patient over mutual TLS (SanteGateway.Insi),
// 3. apply the identity-vigilance (RNIV) rules: PROV -> RECUP (INSi answer) -> QUAL (high-trust document) (SanteGateway.Identity),
// 4. render the INS DataMatrix of the qualified identity and read it back (SanteGateway.DataMatrix).
// Run: dotnet run --project samples/ConsoleSample [-- output-folder]
using System.Reflection;
using SanteGateway.DataMatrix;
using SanteGateway.Identity;
using SanteGateway.Insi;
using SanteGateway.Insi.Sandbox;
using SanteGateway.Insi.Sandbox.Pki;

var output = args.Length > 0 ? args[0] : Directory.GetCurrentDirectory();
var work = Path.Combine(Path.GetTempPath(), "santegw-console-sample-" + Guid.NewGuid().ToString("N"));
try
{
    Console.WriteLine($"SanteGateway.Identity {Version(typeof(IdentityTraits))}");

    // 1. Test PKI (CA, sandbox server, INSI-AUTO/INSI-MANU client certificates) and the sandbox on an ephemeral port.
    var pki = TestPki.Create(work, password: null, force: false);
    await using var sandbox = await InsiSandboxServer.StartAsync(new InsiSandboxOptions { PkiDirectory = work, Port = 0 });
    Console.WriteLine($"INSi sandbox listening on {sandbox.Endpoint}");

    // 2. The INSi client, authenticated by the INSI-AUTO certificate and trusting only the sandbox CA.
    var options = new InsiClientOptions
    {
        Endpoint = sandbox.Endpoint,
        Idam = InsiSandboxOptions.DefaultIdam,
        Instance = "7c1f6a52-1f0e-4a55-9a49-0d3c8f7b2e10",
        SoftwareName = "console-sample",
        SoftwareVersion = "1.0",
        AutomaticCertificatePath = Path.Combine(work, TestPki.InsiAutoP12File),
        AutomaticCertificatePassword = pki.Password,
        ManualCertificatePath = Path.Combine(work, TestPki.InsiManuP12File),
        ManualCertificatePassword = pki.Password,
    };
    options.TrustedCaPaths.Add(Path.Combine(work, TestPki.CaPemFile));
    using var client = InsiClient.Create(options);

    // 3a. Traits typed at the front desk: a provisional identity.
    var typed = IdentityTraits.Create("ADRTROIS", ["TOUSSAINT"], "TOUSSAINT", Sex.Male, new BirthDate(new DateOnly(1960, 1, 1), false), "2B020");
    if (!typed.IsValid)
    {
        throw new InvalidOperationException(string.Join("; ", typed.Errors.Select(e => $"{e.Field}: {e.Rule}")));
    }

    var identity = RnivIdentity.CreateProvisional(typed.Value!);
    Console.WriteLine($"Status: {identity.Status.ToString().ToUpperInvariant()}");

    // 3b. INSi search (CNDA first-name strategy) over mutual TLS, then RECUP with the returned INS and traits.
    var found = (await client.SearchWithStrategyAsync(InsiTraitsQuery.FromTraits(typed.Value!), InsiCallContext.Automatic)).Final;
    Console.WriteLine($"INSi answer: CR {found.Code} {found.Label}");
    var individual = found.Individual ?? throw new InvalidOperationException("INSi found no single identity.");
    if (individual.Active.Matricule is not { } matricule
        || !InsIdentifier.TryCreate(matricule, individual.Active.Oid, InsPolicy.Production, out var ins, out var insError))
    {
        throw new InvalidOperationException("INSi returned an INS that cannot be trusted.");
    }

    var returned = individual.Traits;
    var firstNames = IdentityTraits.SplitFirstNames(returned.FirstNames);
    if (!SexCodes.TryParseInsi(returned.Sex, out var sex) || !BirthDate.TryParseIso(returned.BirthDate, out var birthDate))
    {
        throw new InvalidOperationException("INSi returned traits that cannot be read.");
    }

    var insiTraits = IdentityTraits.Create(returned.BirthName, firstNames, firstNames.FirstOrDefault(), sex, birthDate, returned.BirthPlace);
    Check(identity.RecordInsiResult(ins, [], insiTraits.Value!, DateTimeOffset.UtcNow));
    Console.WriteLine($"Status: {identity.Status.ToString().ToUpperInvariant()} (INS retrieved, OID {ins.Oid})");

    // 3c. The patient shows a national identity card: with a high-trust document the identity becomes QUAL.
    var policy = new HighTrustDocumentPolicy([DocumentTypes.NationalIdentityCard, DocumentTypes.Passport]);
    var today = DateOnly.FromDateTime(DateTime.UtcNow);
    Check(identity.RecordHighTrustEvidence(new Evidence(DocumentTypes.NationalIdentityCard, today, today.AddYears(5)), policy));
    Console.WriteLine($"Status: {identity.Status.ToString().ToUpperInvariant()} (may transmit INS: {identity.CanTransmitIns})");

    // 4. The INS DataMatrix (refused unless QUAL), written as PNG and SVG, then read back from the PNG.
    if (!InsDataMatrix.TryCreatePayload(identity, out var payload, out var errors))
    {
        throw new InvalidOperationException(string.Join("; ", errors.Select(e => $"{e.Field}: {e.Rule}")));
    }

    var png = InsDataMatrix.RenderPng(payload);
    Directory.CreateDirectory(output);
    var pngPath = Path.Combine(output, "ins-datamatrix.png");
    await File.WriteAllBytesAsync(pngPath, png);
    await File.WriteAllTextAsync(Path.Combine(output, "ins-datamatrix.svg"), InsDataMatrix.RenderSvg(payload));
    var readBack = InsDataMatrix.TryReadImage(png, out var decoded, out _) && decoded!.ToText() == payload.ToText();
    Console.WriteLine($"DataMatrix: {png.Length} bytes PNG written to {pngPath}; read back: {(readBack ? "identical" : "DIFFERENT")}");
    return readBack ? 0 : 1;
}
finally
{
    try
    {
        Directory.Delete(work, recursive: true);
    }
    catch (IOException)
    {
        // The sandbox may still hold a file for a moment; a temp folder left behind is harmless.
    }
}

static void Check(TransitionResult result)
{
    if (!result.Succeeded)
    {
        throw new InvalidOperationException($"Transition refused: {result.Reason}");
    }
}

static string Version(Type type) =>
    type.Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
