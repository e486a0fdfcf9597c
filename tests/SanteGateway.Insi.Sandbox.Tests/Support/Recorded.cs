using System.Text;
using SanteGateway.Testing;

namespace SanteGateway.Insi.Sandbox.Tests.Support;

/// <summary>Recorded exchanges of the real test platform and CNDA files from shared/.</summary>
internal static class Recorded
{
    /// <summary>IDAM carried by every recorded request (PADOA's CNDA number); the tests add it to the allow-list.</summary>
    public const string RecordedIdam = "PDP17NF21DD0";

    /// <summary>wsa:MessageID of every recorded request.</summary>
    public const string RecordedMessageId = "uuid:b3549edd-4ae9-472a-b26f-fd2fb4ef397f";

    public static string File(string name) => TestPaths.SharedFile("data", "insi", "recorded", name);

    public static string Cnda(string name) => TestPaths.SharedFile("data", "insi", "cnda", name);

    public static string ContractDir => TestPaths.SharedFile("data", "insi", "contract");

    public static byte[] Request(string name) => System.IO.File.ReadAllBytes(File(name + ".request.xml"));

    /// <summary>A recorded request with textual replacements (e.g. another IDAM or other traits).</summary>
    public static byte[] Request(string name, params (string From, string To)[] replacements)
    {
        var text = System.IO.File.ReadAllText(File(name + ".request.xml"), Encoding.UTF8);
        foreach (var (from, to) in replacements)
        {
            text.Should().Contain(from, "the replacement must apply to the recorded request");
            text = text.Replace(from, to, StringComparison.Ordinal);
        }

        return Encoding.UTF8.GetBytes(text);
    }

    /// <summary>A search-by-traits request in the recorded layout with the given body content (already XML).</summary>
    public static byte[] WithBody(string recSansInnerXml, string idam = RecordedIdam)
    {
        var text = System.IO.File.ReadAllText(File("AdrtroisToussaint.request.xml"), Encoding.UTF8);
        var start = text.IndexOf("<insi_recsans_ins:NomNaissance>", StringComparison.Ordinal);
        var end = text.IndexOf("</insi_recsans_ins:RECSANSVITALE>", StringComparison.Ordinal);
        text = string.Concat(text.AsSpan(0, start), recSansInnerXml, text.AsSpan(end));
        return Encoding.UTF8.GetBytes(text.Replace(RecordedIdam, idam, StringComparison.Ordinal));
    }

    /// <summary>RECSANSVITALE children in the recorded prefix style.</summary>
    public static string Traits(string birthName, string firstName, string sex, string birthDate, string? cog = null)
    {
        static string E(string name, string value) =>
            $"<insi_recsans_ins:{name}>{System.Security.SecurityElement.Escape(value)}</insi_recsans_ins:{name}>";
        return E("NomNaissance", birthName) + E("Prenom", firstName) + E("Sexe", sex) + E("DateNaissance", birthDate) +
               (cog is null ? string.Empty : E("LieuNaissance", cog));
    }
}
