using System.Xml.Linq;

namespace SanteGateway.Insi.Tests;

/// <summary>Element-by-element comparison by expanded names (prefixes ignored), skipping per-request values.</summary>
internal static class XmlEquivalence
{
    private static readonly HashSet<string> VolatileElements = ["Id", "Temps", "MessageID"];

    public static List<string> Differences(XElement expected, XElement actual)
    {
        var diffs = new List<string>();
        Compare(expected, actual, "/" + expected.Name.LocalName, diffs);
        return diffs;
    }

    private static void Compare(XElement e, XElement a, string path, List<string> diffs)
    {
        if (e.Name != a.Name)
        {
            diffs.Add($"{path}: expected {e.Name}, got {a.Name}");
            return;
        }

        var ea = e.Attributes().Where(x => !x.IsNamespaceDeclaration).OrderBy(x => x.Name.ToString()).Select(x => $"{x.Name}={x.Value}");
        var aa = a.Attributes().Where(x => !x.IsNamespaceDeclaration).OrderBy(x => x.Name.ToString()).Select(x => $"{x.Name}={x.Value}");
        if (!ea.SequenceEqual(aa))
        {
            diffs.Add($"{path}: attributes [{string.Join(",", ea)}] vs [{string.Join(",", aa)}]");
        }

        var ec = e.Elements().ToList();
        var ac = a.Elements().ToList();
        if (ec.Count == 0 && ac.Count == 0)
        {
            if (!VolatileElements.Contains(e.Name.LocalName) && e.Value != a.Value)
            {
                diffs.Add($"{path}: value '{e.Value}' vs '{a.Value}'");
            }

            if (e.Name.LocalName == "MessageID" && !a.Value.StartsWith("uuid:", StringComparison.Ordinal))
            {
                diffs.Add($"{path}: MessageID without uuid: prefix");
            }

            return;
        }

        if (ec.Count != ac.Count)
        {
            diffs.Add($"{path}: {ec.Count} children vs {ac.Count}: [{string.Join(",", ec.Select(x => x.Name.LocalName))}] vs [{string.Join(",", ac.Select(x => x.Name.LocalName))}]");
            return;
        }

        for (var i = 0; i < ec.Count; i++)
        {
            Compare(ec[i], ac[i], $"{path}/{ec[i].Name.LocalName}", diffs);
        }
    }
}
