// SanteGateway minimal-API sample: an ASP.NET Core service embedding the NuGet packages.
// At start-up it generates a test PKI and starts the INSi sandbox in-process (SanteGateway.Insi.Sandbox), then registers
// the INSi client (SanteGateway.Insi, services.AddInsiClient). POST /patients/qualify takes typed traits and the
// identity document shown, searches the INS over mutual TLS, applies the RNIV rules (SanteGateway.Identity) and answers
// with the status trail and the INS DataMatrix (SanteGateway.DataMatrix). GET /patients/datamatrix.svg renders one.
// Run: dotnet run --project samples/WebSample, then
//   curl -X POST localhost:5000/patients/qualify -H 'Content-Type: application/json' \
//     -d '{"birthName":"ADRTROIS","firstNames":["TOUSSAINT"],"sex":"M","birthDate":"1960-01-01","birthPlace":"2B020","documentType":"CN"}'
using System.Reflection;
using SanteGateway.DataMatrix;
using SanteGateway.Identity;
using SanteGateway.Insi;
using SanteGateway.Insi.Sandbox;
using SanteGateway.Insi.Sandbox.Pki;

var builder = WebApplication.CreateBuilder(args);

// The sandbox and its PKI live for the life of the process, in a temporary folder.
var pkiDirectory = Path.Combine(Path.GetTempPath(), "santegw-web-sample-" + Guid.NewGuid().ToString("N"));
var pki = TestPki.Create(pkiDirectory, password: null, force: false);
var sandbox = await InsiSandboxServer.StartAsync(new InsiSandboxOptions { PkiDirectory = pkiDirectory, Port = 0 });

builder.Services.AddInsiClient(o =>
{
    o.Endpoint = sandbox.Endpoint;
    o.Idam = InsiSandboxOptions.DefaultIdam;
    o.Instance = "0b5f2d7e-3c1a-4e8b-9f60-2a7d4c9e1b38";
    o.SoftwareName = "web-sample";
    o.SoftwareVersion = "1.0";
    o.AutomaticCertificatePath = Path.Combine(pkiDirectory, TestPki.InsiAutoP12File);
    o.AutomaticCertificatePassword = pki.Password;
    o.ManualCertificatePath = Path.Combine(pkiDirectory, TestPki.InsiManuP12File);
    o.ManualCertificatePassword = pki.Password;
    o.TrustedCaPaths.Add(Path.Combine(pkiDirectory, TestPki.CaPemFile));
});
builder.Services.AddSingleton(new HighTrustDocumentPolicy([DocumentTypes.NationalIdentityCard, DocumentTypes.Passport, DocumentTypes.ResidencePermit]));

var app = builder.Build();
app.Lifetime.ApplicationStopped.Register(() =>
{
    sandbox.DisposeAsync().AsTask().GetAwaiter().GetResult();
    try
    {
        Directory.Delete(pkiDirectory, recursive: true);
    }
    catch (IOException)
    {
        // A temporary folder left behind is harmless.
    }
});

app.MapGet("/", () => new
{
    service = "SanteGateway web sample",
    identity = typeof(IdentityTraits).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion,
    insiSandbox = sandbox.Endpoint.ToString(),
});

app.MapPost("/patients/qualify", async (QualifyRequest request, IInsiClient insi, HighTrustDocumentPolicy policy, CancellationToken ct) =>
{
    var trail = new List<string>();

    // Typed traits -> PROV. Errors name the field and the rule.
    if (!SexCodes.TryParseInsi(request.Sex, out var sex))
    {
        return Results.ValidationProblem(new Dictionary<string, string[]> { ["sex"] = ["M or F"] });
    }

    if (!BirthDate.TryParseIso(request.BirthDate, out var birthDate, out var dateError))
    {
        return Results.ValidationProblem(new Dictionary<string, string[]> { ["birthDate"] = [dateError ?? "YYYY-MM-DD"] });
    }

    var typed = IdentityTraits.Create(request.BirthName, request.FirstNames, request.FirstNames?.FirstOrDefault(), sex, birthDate, request.BirthPlace);
    if (!typed.IsValid)
    {
        return Results.ValidationProblem(typed.Errors.GroupBy(e => e.Field).ToDictionary(g => g.Key, g => g.Select(e => $"{e.Rule}: {e.Message}").ToArray()));
    }

    var identity = RnivIdentity.CreateProvisional(typed.Value!);
    trail.Add(identity.Status.ToString().ToUpperInvariant());

    // INSi over mutual TLS -> RECUP.
    var answer = (await insi.SearchWithStrategyAsync(InsiTraitsQuery.FromTraits(typed.Value!), InsiCallContext.Automatic, ct)).Final;
    if (answer.Individual is not { } individual || individual.Active.Matricule is not { } matricule
        || !InsIdentifier.TryCreate(matricule, individual.Active.Oid, InsPolicy.Production, out var ins, out _))
    {
        return Results.Ok(new QualifyResponse(trail, answer.Code, null, null, null));
    }

    var returned = individual.Traits;
    var firstNames = IdentityTraits.SplitFirstNames(returned.FirstNames);
    SexCodes.TryParseInsi(returned.Sex, out var insiSex);
    BirthDate.TryParseIso(returned.BirthDate, out var insiDate);
    var insiTraits = IdentityTraits.Create(returned.BirthName, firstNames, firstNames.FirstOrDefault(), insiSex, insiDate, returned.BirthPlace);
    var recup = insiTraits.IsValid ? identity.RecordInsiResult(ins, [], insiTraits.Value!, DateTimeOffset.UtcNow) : TransitionResult.Refused("INSi traits unreadable");
    if (!recup.Succeeded)
    {
        return Results.Problem(recup.Reason, statusCode: StatusCodes.Status409Conflict);
    }

    trail.Add(identity.Status.ToString().ToUpperInvariant());

    // The document shown -> QUAL when it is high-trust.
    if (request.DocumentType is { } documentType)
    {
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var qual = identity.RecordHighTrustEvidence(new Evidence(documentType, today, null), policy);
        if (!qual.Succeeded)
        {
            return Results.Problem(qual.Reason, statusCode: StatusCodes.Status409Conflict);
        }

        trail.Add(identity.Status.ToString().ToUpperInvariant());
    }

    // The DataMatrix exists only for a qualified identity.
    string? png = InsDataMatrix.TryCreatePayload(identity, out var payload, out _) ? Convert.ToBase64String(InsDataMatrix.RenderPng(payload)) : null;
    return Results.Ok(new QualifyResponse(trail, answer.Code, ins.Matricule.ToString(), ins.Oid, png));
});

app.MapGet("/patients/datamatrix.svg", (string matricule, string oid, string firstName, string birthName, string sex, string birthDate, string? birthPlace) =>
{
    // For an identity the caller already holds as QUAL (the caller vouches for it).
    if (!SexCodes.TryParseInsi(sex, out var s) || !DateOnly.TryParseExact(birthDate, "yyyy-MM-dd", out var date))
    {
        return Results.ValidationProblem(new Dictionary<string, string[]> { ["sex/birthDate"] = ["M|F and YYYY-MM-DD"] });
    }

    return InsDataMatrixPayload.TryCreate(matricule, oid, firstName, birthName, s, date, birthPlace, out var payload, out var errors)
        ? Results.Text(InsDataMatrix.RenderSvg(payload), "image/svg+xml")
        : Results.ValidationProblem(errors.GroupBy(e => e.Field).ToDictionary(g => g.Key, g => g.Select(e => e.Rule).ToArray()));
});

app.Run();

/// <summary>Traits as typed at the front desk and the identity document shown (CN, PA, CS...).</summary>
internal sealed record QualifyRequest(string? BirthName, string[]? FirstNames, string? Sex, string? BirthDate, string? BirthPlace, string? DocumentType);

/// <summary>Statuses passed through, the INSi answer code, the INS, and the DataMatrix PNG (base64) when QUAL.</summary>
internal sealed record QualifyResponse(IReadOnlyList<string> Statuses, string InsiCode, string? Ins, string? Oid, string? DataMatrixPng);
