using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Hl7.Fhir.Specification.Source;
using SanteGateway.Documents.Fhir;
using SanteGateway.Interop.Fhir.Validation;
using SanteGateway.Testing;

[assembly: AssemblyFixture(typeof(SanteGateway.Documents.Tests.PdsmValidatorFixture))]

namespace SanteGateway.Documents.Tests;

/// <summary>A definition the official profiles reference that <c>shared/</c> lacks, and what stands in for it.</summary>
/// <param name="Missing">The canonical that cannot be loaded here.</param>
/// <param name="StandIn">The available definition loaded under <paramref name="Missing"/>: its nearest available ancestor.</param>
/// <param name="Why">Which package is absent and what is lost.</param>
public sealed record PdsmSubstitution(string Missing, string StandIn, string Why);

/// <summary>A constraint of an official profile that is not checked: prose only (no FHIRPath expression).</summary>
/// <param name="Profile">The profile's id.</param>
/// <param name="Element">The element id.</param>
/// <param name="Key">The constraint key.</param>
public sealed record DroppedConstraint(string Profile, string Element, string Key);

/// <summary>
/// One Firely validator with the <b>official</b> PDSm 3.1.1 DocumentReference profiles
/// (<c>pdsm-comprehensive-document-reference</c> for ITI-65, <c>pdsm-simplified-publish</c> for ITI-105), compiled from
/// <c>../shared/data/fhir</c>, for the whole test assembly.
/// </summary>
/// <remarks>
/// <para>The profiles cannot compile as published here: they derive from the IHE MHD 4.2 package and reference the ANS
/// annuaire 1.1.0 package, neither of which is in <c>shared/</c> (no network). So, and only so:</para>
/// <list type="bullet">
/// <item>each profile is loaded unchanged except its <c>baseDefinition</c>, pointed at the core DocumentReference: its
/// snapshot already carries every MHD constraint (Firely validates against the snapshot, but refuses a profile whose
/// base it cannot load);</item>
/// <item>each missing definition the snapshot references (annuaire targets of author/authenticator, MHD identifier types,
/// the MHD status value set) is stood in for by its nearest available ancestor, loaded under the missing canonical and
/// listed in <see cref="Substitutions"/>;</item>
/// <item>the constraints that are prose only (no FHIRPath expression, which Firely cannot compile) are left out and
/// listed in <see cref="Dropped"/>; every constraint that has an expression is checked.</item>
/// </list>
/// <para>Construction fails loudly (an exception naming the profile) when a profile did not compile or validates
/// vacuously: an empty DocumentReference must be refused for its missing <c>subject</c> and <c>authenticator</c>/<c>author</c>.
/// The IHE Bundle and SubmissionSet profiles are not compiled (they need MHD's extension definitions):
/// <see cref="PdsmProvideBundleRules"/> checks their rules in code.</para>
/// </remarks>
public sealed class PdsmValidatorFixture : IDisposable
{
    private const string Annuaire = "https://interop.esante.gouv.fr/ig/fhir/annuaire/StructureDefinition/";
    private const string Mhd = "https://profiles.ihe.net/ITI/MHD/";
    private const string Core = "http://hl7.org/fhir/StructureDefinition/";
    private const string FrCore = "https://hl7.fr/ig/fhir/core/StructureDefinition/";

    /// <summary>The official profiles compiled here (file name in PDSm_3.1.1 → profile).</summary>
    public static IReadOnlyList<string> Profiles { get; } = [Pdsm.DocumentReferenceProfile, Pdsm.SimplifiedPublishProfile];

    /// <summary>Every stand-in, declared: a new one must be added here (and to docs/conformance.md) on purpose.</summary>
    public static IReadOnlyList<PdsmSubstitution> Substitutions { get; } =
    [
        new(Mhd + "StructureDefinition/IHE.MHD.Comprehensive.DocumentReference", Core + "DocumentReference",
            "ihe.iti.mhd 4.2 absent: baseDefinition of pdsm-comprehensive-document-reference; its snapshot carries MHD's constraints."),
        new(Mhd + "StructureDefinition/IHE.MHD.SimplifiedPublish.DocumentReference", Core + "DocumentReference",
            "ihe.iti.mhd 4.2 absent: baseDefinition of pdsm-simplified-publish; its snapshot carries MHD's constraints."),
        new(Annuaire + "as-practitionerrole", Core + "PractitionerRole",
            "ans.fhir.fr.annuaire 1.1.0 absent (author, authenticator targets); as-practitionerrole derives from PractitionerRole: its own rules (practitioner 1..1, no identifier…) are not checked."),
        new(Annuaire + "as-organization", FrCore + "fr-core-organization",
            "ans.fhir.fr.annuaire 1.1.0 absent (authenticator, author targets); as-organization derives from FR Core Organization."),
        new(Annuaire + "as-practitioner", FrCore + "fr-core-practitioner",
            "ans.fhir.fr.annuaire 1.1.0 absent (ITI-105 author target); as-practitioner derives from FR Core Practitioner."),
        new(Mhd + "StructureDefinition/IHE.MHD.UniqueIdIdentifier", Core + "Identifier",
            "ihe.iti.mhd 4.2 absent: type of masterIdentifier (MHD's own rules on the uniqueId form are not checked)."),
        new(Mhd + "StructureDefinition/IHE.MHD.EntryUUID.Identifier", Core + "Identifier",
            "ihe.iti.mhd 4.2 absent: type of identifier:entryUUID (MHD's urn:uuid form is not checked)."),
        new(FrCore + "fr-core-patient|2.1.0", FrCore + "fr-core-patient|2.2.0",
            "FR Core 2.1.0 (PDSm's dependency) does not compile in Firely (Patient.contact.relationship:Role: a value discriminator on Coding.system without fixed/pattern); the targets are unversioned, so the released 2.2.0, also in shared/, is loaded first."),
        new(Mhd + "ValueSet/DocumentReferenceStats", "http://hl7.org/fhir/ValueSet/document-reference-status",
            "ihe.iti.mhd 4.2 absent: required binding of status; the core value set also allows entered-in-error."),
    ];

    private readonly string folder = Path.Combine(Path.GetTempPath(), "santegw-pdsm-profiles-" + Guid.NewGuid().ToString("N"));
    private readonly Lazy<FhirProfileValidator> validator;
    private readonly List<DroppedConstraint> dropped = [];

    public PdsmValidatorFixture()
    {
        validator = new(() =>
        {
            Prepare();
            var v = new FhirProfileValidator(new FhirValidatorOptions
            {
                DefinitionPaths =
                [
                    folder,
                    TestPaths.SharedFile("data", "fhir", "pdsm", "PDSm_3.1.1", "package.tgz"),
                    // FR Core 2.2.0 first: PDSm depends on 2.1.0, whose fr-core-patient Firely cannot compile (see Substitutions).
                    TestPaths.SharedFile("data", "fhir", "fr-core", "2.2.0", "package.tgz"),
                    TestPaths.SharedFile("data", "fhir", "fr-core", "2.1.0", "package.tgz"),
                ],
            });
            foreach (var profile in Profiles)
            {
                RequireCompiled(v, profile);
            }

            return v;
        });
    }

    /// <summary>The validator (built on first use; throws when a profile did not compile).</summary>
    public FhirProfileValidator Validator => validator.Value;

    private readonly Lock gate = new();

    /// <summary>The errors of the official profile on a resource, one validation at a time (the SQLite and PostgreSQL
    /// classes run in parallel and Firely's schema compilation is not thread-safe here).</summary>
    /// <param name="resource">The resource.</param>
    /// <param name="profile">The profile's canonical.</param>
    /// <returns>Each error as text (severity, code, location, message).</returns>
    public IReadOnlyList<string> Errors(Resource resource, string profile)
    {
        lock (gate)
        {
            return Validator.Validate(resource, profile).Errors.Select(e => e.ToString()).ToList();
        }
    }

    /// <summary>Runs <paramref name="action"/> while no other validation runs (for a test with a validator of its own).</summary>
    /// <param name="action">The work.</param>
    public void Exclusive(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        lock (gate)
        {
            _ = Validator;
            action();
        }
    }

    /// <summary>The prose-only constraints left out (filled once <see cref="Validator"/> is built).</summary>
    public IReadOnlyList<DroppedConstraint> Dropped
    {
        get
        {
            _ = Validator;
            return dropped;
        }
    }

    /// <summary>
    /// Throws unless <paramref name="profile"/> compiled and checks something: an empty DocumentReference must be refused
    /// for its missing <c>subject</c> and its missing author or authenticator, and no issue may say a definition could
    /// not be loaded or converted.
    /// </summary>
    /// <param name="v">The validator.</param>
    /// <param name="profile">The profile's canonical.</param>
    /// <exception cref="InvalidOperationException">The check is vacuous.</exception>
    public static void RequireCompiled(FhirProfileValidator v, string profile)
    {
        ArgumentNullException.ThrowIfNull(v);
        var report = v.Validate(new DocumentReference(), profile);
        var text = report.Issues.Select(i => i.ToString()).ToList();
        var unloadable = text.Where(t => t.Contains("nable to resolve", StringComparison.Ordinal) || t.Contains("Failed to convert", StringComparison.Ordinal)
            || t.Contains("annot resolve", StringComparison.Ordinal) || t.Contains("ould not be found", StringComparison.Ordinal)).ToList();
        var errors = report.Errors.Select(e => e.ToString()).ToList();
        var refusesSubject = errors.Any(e => e.Contains("subject", StringComparison.Ordinal));
        var refusesAuthor = errors.Any(e => e.Contains("authenticator", StringComparison.Ordinal) || e.Contains("author", StringComparison.Ordinal));
        if (unloadable.Count > 0 || !refusesSubject || !refusesAuthor)
        {
            throw new InvalidOperationException(
                $"The official profile {profile} did not compile (or validates nothing): an empty DocumentReference gave {text.Count} issue(s):{Environment.NewLine}  "
                + string.Join(Environment.NewLine + "  ", text.DefaultIfEmpty("(none)")));
        }
    }

    /// <summary>Writes the rebased PDSm profiles and the stand-ins into the fixture's folder.</summary>
    private void Prepare()
    {
        Directory.CreateDirectory(folder);
        var pdsm = TestPaths.SharedFile("data", "fhir", "pdsm", "PDSm_3.1.1");
        foreach (var name in new[] { "pdsm-comprehensive-document-reference", "pdsm-simplified-publish" })
        {
            var json = JsonNode.Parse(File.ReadAllText(Path.Combine(pdsm, $"StructureDefinition-{name}.json")))!.AsObject();
            var rebased = Substitutions.Single(s => s.Missing == (string?)json["baseDefinition"]);
            json["baseDefinition"] = rebased.StandIn;
            foreach (var part in new[] { "snapshot", "differential" })
            {
                foreach (var element in json[part]?["element"]?.AsArray().OfType<JsonObject>() ?? [])
                {
                    if (element["constraint"] is not JsonArray constraints)
                    {
                        continue;
                    }

                    foreach (var c in constraints.OfType<JsonObject>().Where(c => c["expression"] is null).ToList())
                    {
                        constraints.Remove(c);
                        if (part == "snapshot")
                        {
                            dropped.Add(new DroppedConstraint(name, (string)element["id"]!, (string)c["key"]!));
                        }
                    }
                }
            }

            File.WriteAllText(Path.Combine(folder, $"StructureDefinition-{name}.json"), json.ToJsonString());
        }

        var frCore = new FhirDefinitionSource([TestPaths.SharedFile("data", "fhir", "fr-core", "2.1.0", "package.tgz")]);
        var core = ZipSource.CreateValidationSource();
        foreach (var s in Substitutions.Where(s => !s.Missing.EndsWith(".DocumentReference", StringComparison.Ordinal) && !s.Missing.Contains('|', StringComparison.Ordinal)))
        {
            var source = frCore.ResolveByCanonicalUri(s.StandIn) ?? core.ResolveByCanonicalUri(s.StandIn)
                ?? throw new InvalidOperationException($"Stand-in {s.StandIn} for {s.Missing} is not available either.");
            var standIn = (Resource)source.DeepCopy();
            var id = s.Missing[(s.Missing.LastIndexOf('/') + 1)..];
            switch (standIn)
            {
                case StructureDefinition sd:
                    sd.Url = s.Missing;
                    sd.Id = id;
                    sd.Name = "StandIn" + new string(id.Where(char.IsLetterOrDigit).ToArray());
                    sd.Version = null;
                    sd.Derivation = StructureDefinition.TypeDerivationRule.Constraint;
                    sd.BaseDefinition = s.StandIn;
                    break;
                case ValueSet vs:
                    vs.Url = s.Missing;
                    vs.Id = id;
                    vs.Version = null;
                    break;
                default:
                    throw new InvalidOperationException($"Unexpected stand-in {standIn.TypeName} for {s.Missing}.");
            }

            File.WriteAllText(Path.Combine(folder, $"{standIn.TypeName}-standin-{id}.json"), PdsmClient.ToJson(standIn));
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
