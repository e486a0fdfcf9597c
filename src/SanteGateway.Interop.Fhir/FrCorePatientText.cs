using Hl7.Fhir.Model;

namespace SanteGateway.Interop.Fhir;

/// <summary>Reads a Patient from JSON or XML text into the domain, format problems included.</summary>
public static class FrCorePatientText
{
    /// <summary>Reads a Patient from JSON (text starting with <c>{</c>) or XML.</summary>
    /// <param name="text">The document.</param>
    /// <param name="partner">The partner's conventions.</param>
    /// <returns>The mapped identity; format problems appear as notes with rule <c>format</c>.</returns>
    /// <exception cref="FhirFormatException">The text is not a Patient.</exception>
    public static FhirPatientReadResult Read(string text, FhirPartnerProfile? partner = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parsed = text.TrimStart().StartsWith('<') ? FhirFormats.ParseXml<Patient>(text) : FhirFormats.ParseJson<Patient>(text);
        var result = FrCorePatientReader.Read(parsed.Resource, partner);
        return parsed.Issues.Count == 0
            ? result
            : result with { Notes = [.. parsed.Issues.Select(i => new FhirReadIssue("Patient", "format", i)), .. result.Notes] };
    }
}
