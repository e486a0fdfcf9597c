using System.Globalization;
using SanteGateway.Insi.Sandbox.Data;

namespace SanteGateway.Benchmarks;

/// <summary>
/// Synthetic identities with French-like name frequencies, for benchmarks that must see what a hospital sees: a few very
/// common surnames and a very long tail. Ranks follow a two-segment power law (Zipf-like)
/// <c>p(r) ∝ r^-a</c> up to rank <c>R0</c>, then <c>∝ r^-b</c>, normalised over <c>N</c> names; names of the first ranks
/// are real frequent French surnames (MARTIN, BERNARD, …) and the rest are synthetic pronounceable names (unique per rank).
/// <para>
/// Calibration (docs/performance.md): surnames a = 0.38, b = 0.95, R0 = 150, N = 1,500,000 give MARTIN 0.337 % (INSEE
/// "fichier des noms", births 1891–1990: ≈ 230,000–250,000 MARTIN ≈ 0.35 %), rank 8 0.153 % (the first eight names
/// each &gt; 100,000 births ≈ 0.156 %), top 12 2.24 % (Tesnière 1975: the twelve first names ≈ 1 million people ≈ 2 %),
/// 49 % of names with fewer than 10 bearers in 66 million (France: ≈ 1.3–1.5 million names, half borne by fewer than
/// 10 people). First names (per sex) a = 0.6, b = 1.5, R0 = 50, N = 20,000: top name 5.2 % (INSEE "fichier des prénoms":
/// MARIE ≈ 2.2 million births since 1900, ≈ 5 % of girls), top 10 23 %.
/// </para>
/// <para>Worst case: the first surname carries <see cref="WorstShare"/> of all identities (≈ 15 times MARTIN).</para>
/// </summary>
internal sealed class RealisticIdentities
{
    /// <summary>Share of identities with the first surname in worst-case mode.</summary>
    public const double WorstShare = 0.05;

    private static readonly string[] TopSurnames =
    [
        "MARTIN", "BERNARD", "THOMAS", "PETIT", "ROBERT", "RICHARD", "DURAND", "DUBOIS", "MOREAU", "LAURENT", "SIMON", "MICHEL",
        "LEFEBVRE", "LEROY", "ROUX", "DAVID", "BERTRAND", "MOREL", "FOURNIER", "GIRARD", "BONNET", "DUPONT", "LAMBERT", "FONTAINE",
        "ROUSSEAU", "VINCENT", "MULLER", "LEFEVRE", "FAURE", "ANDRE", "MERCIER", "BLANC", "GUERIN", "BOYER", "GARNIER", "CHEVALIER",
        "FRANCOIS", "LEGRAND", "GAUTHIER", "GARCIA", "PERRIN", "ROBIN", "CLEMENT", "MORIN", "NICOLAS", "HENRY", "ROUSSEL", "MATHIEU",
        "GAUTIER", "MASSON", "MARCHAND", "DUVAL", "DENIS", "DUMONT", "MARIE", "LEMAIRE", "NOEL", "MEYER", "DUFOUR", "MEUNIER",
        "BRUN", "BLANCHARD", "GIRAUD", "JOLY", "RIVIERE", "LUCAS", "BRUNET", "GAILLARD", "BARBIER", "ARNAUD", "MARTINEZ", "GERARD",
        "ROCHE", "RENARD", "SCHMITT", "ROY", "LEROUX", "COLIN", "VIDAL", "CARON", "PICARD", "ROGER", "FABRE", "AUBERT", "LEMOINE",
        "RENAUD", "DUMAS", "LACROIX", "OLIVIER", "PHILIPPE", "BOURGEOIS", "PIERRE", "BENOIT", "REY", "LECLERC", "PAYET", "ROLLAND",
        "LECLERCQ", "GUILLAUME", "LECOMTE", "LOPEZ", "JEAN", "DUPUY", "GUILLOT", "HUBERT", "BERGER", "CARPENTIER", "SANCHEZ",
        "DUPUIS", "MOULIN", "LOUIS", "DESCHAMPS", "HUET", "VASSEUR", "PEREZ", "BOUCHER", "FLEURY", "ROYER", "KLEIN", "JACQUET",
        "ADAM", "PARIS", "POIRIER", "MARTY", "AUBRY", "GUYOT", "CARRE", "CHARLES", "RENAULT", "CHARPENTIER", "MENARD", "MAILLARD",
        "BARON", "BERTIN", "BAILLY", "HERVE", "SCHNEIDER", "FERNANDEZ", "LE GALL", "COLLET", "LEGER", "BOUVIER", "JULIEN", "PREVOST",
        "MILLET", "PERROT", "DANIEL", "LE ROUX", "COUSIN", "GERMAIN", "BRETON", "BESSON", "LANGLOIS", "REMY", "LE GOFF", "PELLETIER",
    ];

    private static readonly string[] TopMale =
    [
        "JEAN", "PIERRE", "MICHEL", "ANDRE", "PHILIPPE", "RENE", "LOUIS", "ALAIN", "JACQUES", "BERNARD", "MARCEL", "DANIEL", "ROGER",
        "PAUL", "CHRISTIAN", "GEORGES", "HENRI", "NICOLAS", "FRANCOIS", "PATRICK", "GERARD", "CHRISTOPHE", "JOSEPH", "CLAUDE",
        "ROBERT", "JULIEN", "FREDERIC", "LAURENT", "STEPHANE", "DAVID", "ERIC", "PASCAL", "OLIVIER", "THOMAS", "SEBASTIEN",
    ];

    private static readonly string[] TopFemale =
    [
        "MARIE", "JEANNE", "FRANCOISE", "MONIQUE", "CATHERINE", "NATHALIE", "ISABELLE", "JACQUELINE", "ANNE", "SYLVIE", "MARTINE",
        "MADELEINE", "NICOLE", "SUZANNE", "HELENE", "CHRISTINE", "MARGUERITE", "DENISE", "LOUISE", "CHRISTIANE", "YVONNE", "VALERIE",
        "SANDRINE", "STEPHANIE", "CELINE", "JULIE", "AURELIE", "CAMILLE", "LEA", "MANON", "CHLOE", "EMMA", "SOPHIE", "SIMONE",
    ];

    private static readonly string[] Consonants = ["B", "C", "D", "F", "G", "L", "M", "N", "P", "R", "S", "T", "V", "CH", "GR", "BR"];
    private static readonly string[] Vowels = ["A", "E", "I", "O", "OU"];

    private readonly double[] surnames;
    private readonly double[] male;
    private readonly double[] female;
    private readonly bool worst;

    /// <summary>Builds the cumulative laws.</summary>
    /// <param name="worst">Worst-case mode (first surname at <see cref="WorstShare"/>).</param>
    public RealisticIdentities(bool worst)
    {
        this.worst = worst;
        surnames = Cumulative(0.38, 0.95, 150, 1_500_000);
        male = Cumulative(0.6, 1.5, 50, 20_000);
        female = Cumulative(0.6, 1.5, 50, 20_000);
    }

    /// <summary>Probability of the surname of rank 1 (after the worst-case override).</summary>
    public double TopSurnameShare => worst ? WorstShare : surnames[0];

    /// <summary>The surname of a rank (1-based).</summary>
    public static string Surname(int rank) => rank <= TopSurnames.Length ? TopSurnames[rank - 1] : Synthetic(rank - TopSurnames.Length, 3);

    /// <summary>The identities as CSV rows of the import dialect (line numbers from 2), deterministic for a seed.</summary>
    /// <param name="count">How many.</param>
    /// <param name="seed">Random seed.</param>
    /// <returns>Fields by lower-cased column name.</returns>
    public IEnumerable<Dictionary<string, string>> Generate(int count, int seed)
    {
        var random = new Random(seed);
        var start = new DateOnly(1925, 1, 1).DayNumber;
        var span = new DateOnly(2025, 12, 31).DayNumber - start;
        for (var i = 0; i < count; i++)
        {
            var male = random.Next(2) == 0;
            var surname = worst && random.NextDouble() < WorstShare ? TopSurnames[0] : Surname(1 + Sample(surnames, random));
            var names = new List<string>(3);
            var n = 1 + random.Next(3);
            while (names.Count < n)
            {
                var rank = 1 + Sample(male ? this.male : female, random);
                var name = FirstName(rank, male);
                if (!names.Contains(name))
                {
                    names.Add(name);
                }
            }

            var date = DateOnly.FromDayNumber(start + random.Next(span + 1));
            var dept = 1 + (i % 95);
            var commune = 1 + ((i / 95) % 999);
            var order = 1 + ((i / (95 * 999)) % 999);
            var cog = random.Next(20) == 0 ? "99" + (100 + random.Next(300)).ToString("000", CultureInfo.InvariantCulture) : dept.ToString("00", CultureInfo.InvariantCulture) + (1 + random.Next(500)).ToString("000", CultureInfo.InvariantCulture);
            var row = new Dictionary<string, string>(10, StringComparer.Ordinal)
            {
                ["localid"] = "IPP" + i.ToString("D9", CultureInfo.InvariantCulture),
                ["birthname"] = surname,
                ["birthfirstnames"] = string.Join(' ', names),
                ["sex"] = male ? "M" : "F",
                ["birthdate"] = date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                ["birthplacecog"] = cog,
            };
            if (!male && random.Next(5) == 0)
            {
                row["usedname"] = Surname(1 + Sample(surnames, random)); // married name
            }

            if (random.Next(10) < 7)
            {
                // Unique by construction (i encodes department, commune and order); valid check key.
                var body = string.Concat(male ? "1" : "2", date.ToString("yyMM", CultureInfo.InvariantCulture), dept.ToString("00", CultureInfo.InvariantCulture),
                    commune.ToString("000", CultureInfo.InvariantCulture), order.ToString("000", CultureInfo.InvariantCulture));
                row["ins"] = body + InsKey.Format(body);
            }

            yield return row;
        }
    }

    private static string FirstName(int rank, bool male)
    {
        var top = male ? TopMale : TopFemale;
        return rank <= top.Length ? top[rank - 1] : Synthetic(rank - top.Length + (male ? 0 : 7_000_000), 2) + (male ? "" : "E");
    }

    /// <summary>
    /// Consonant–vowel syllables in mixed radix, padded with the zero digit (BA): the syllables decode uniquely (CH, GR,
    /// BR, OU cannot be read otherwise), so distinct ranks give distinct names.
    /// </summary>
    private static string Synthetic(int index, int minSyllables)
    {
        var parts = new List<string>(5);
        var x = index;
        do
        {
            parts.Add(Consonants[x % Consonants.Length] + Vowels[(x / Consonants.Length) % Vowels.Length]);
            x /= Consonants.Length * Vowels.Length;
        }
        while (x > 0);
        while (parts.Count < minSyllables)
        {
            parts.Add(Consonants[0] + Vowels[0]);
        }

        return string.Concat(parts) + "T";
    }

    private static int Sample(double[] cumulative, Random random)
    {
        var i = Array.BinarySearch(cumulative, random.NextDouble());
        return Math.Min(i < 0 ? ~i : i, cumulative.Length - 1);
    }

    private static double[] Cumulative(double a, double b, int r0, int n)
    {
        var w = new double[n];
        var sum = 0.0;
        for (var r = 1; r <= n; r++)
        {
            sum += r <= r0 ? Math.Pow(r, -a) : Math.Pow(r0, b - a) * Math.Pow(r, -b);
            w[r - 1] = sum;
        }

        for (var r = 0; r < n; r++)
        {
            w[r] /= sum;
        }

        return w;
    }
}
