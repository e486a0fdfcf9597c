using System.Globalization;

namespace SanteGateway.Insi.Sandbox.Data;

/// <summary>
/// Generates large synthetic identity bases: realistic French names (INSi lexical profile), valid NIR/NIA keys
/// consistent with sex, birth month and birth place, a configurable share of homonyms (same birth name, first name, sex and
/// date, different birth place: CR 02 without COG) and of INS-NIA (OID .9). Deterministic for a given seed.
/// </summary>
public static class SyntheticIdentityGenerator
{
    private static readonly string[] Surnames =
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
        "LEVEQUE", "PERRIER", "LEBLANC", "BARRE", "LEBRUN", "MARCHAL", "WEBER", "MALLET", "HAMON", "BOULANGER", "JACOB", "MONNIER",
        "D'ALMEIDA", "N'DIAYE", "DE LA FONTAINE", "SAINT-MARTIN", "DUPONT--DURAND", "LE BRIS", "O'CONNOR", "DIALLO", "TRAORE", "NGUYEN",
    ];

    private static readonly string[] MaleFirstNames =
    [
        "JEAN", "PIERRE", "MICHEL", "ANDRE", "PHILIPPE", "ALAIN", "BERNARD", "JACQUES", "DANIEL", "CHRISTIAN", "NICOLAS", "PATRICK",
        "FREDERIC", "LAURENT", "STEPHANE", "DAVID", "ERIC", "CHRISTOPHE", "PASCAL", "OLIVIER", "THOMAS", "JULIEN", "SEBASTIEN",
        "ALEXANDRE", "ANTOINE", "MAXIME", "LUCAS", "HUGO", "LOUIS", "GABRIEL", "LEO", "RAPHAEL", "ARTHUR", "JULES", "ADAM", "NATHAN",
        "PAUL", "ETIENNE", "FRANCOIS", "GUILLAUME", "JEAN-PIERRE", "JEAN-LUC", "PIERRE-ALAIN", "MARC", "YVES", "HENRI", "RENE",
    ];

    private static readonly string[] FemaleFirstNames =
    [
        "MARIE", "NATHALIE", "ISABELLE", "SYLVIE", "CATHERINE", "FRANCOISE", "MARTINE", "CHRISTINE", "MONIQUE", "NICOLE", "VALERIE",
        "SANDRINE", "STEPHANIE", "CELINE", "JULIE", "AURELIE", "CAROLINE", "EMILIE", "CAMILLE", "LEA", "MANON", "CHLOE", "EMMA",
        "JADE", "LOUISE", "ALICE", "LINA", "ROSE", "ANNA", "ZOE", "INES", "SARAH", "LAURA", "PAULINE", "ANNE", "SOPHIE", "HELENE",
        "MARIE-CLAIRE", "ANNE-SOPHIE", "MARIE-THERESE", "JEANNE", "SIMONE", "GENEVIEVE", "YVONNE", "ODETTE", "M'BALIA",
    ];

    // COG codes: department (2 chars, incl. Corsica 2A/2B and overseas 97x) + commune (3), and 99xxx = born abroad.
    private static readonly string[] Cogs =
    [
        "75056", "13055", "69123", "31555", "06088", "44109", "67482", "34172", "33063", "59350", "35238", "51454", "42218", "83137",
        "76351", "38185", "21231", "49007", "37261", "63113", "63220", "2A004", "2B033", "2A020", "2B020", "97411", "97209", "64445",
        "29019", "80021", "99350", "99352", "99134", "99109", "99139",
    ];

    /// <summary>Generates <paramref name="count"/> persons.</summary>
    /// <param name="count">Number of persons (≥ 0).</param>
    /// <param name="seed">Random seed.</param>
    /// <param name="homonymRate">Share (0..1) of persons generated as a homonym of the previous one (different COG).</param>
    /// <param name="niaRate">Share (0..1) of persons whose active INS is an NIA (OID .9; laid out like a NIR, sex digit 1/2).</param>
    /// <exception cref="ArgumentOutOfRangeException">A count or rate is out of range.</exception>
    public static IEnumerable<SandboxPerson> Generate(int count, int seed = 1, double homonymRate = 0.01, double niaRate = 0.01)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (homonymRate is < 0 or > 1 || double.IsNaN(homonymRate))
        {
            throw new ArgumentOutOfRangeException(nameof(homonymRate), homonymRate, "homonym rate must be between 0 and 1");
        }

        if (niaRate is < 0 or > 1 || double.IsNaN(niaRate))
        {
            throw new ArgumentOutOfRangeException(nameof(niaRate), niaRate, "NIA rate must be between 0 and 1");
        }

        return Iterate(count, seed, homonymRate, niaRate);
    }

    private static IEnumerable<SandboxPerson> Iterate(int count, int seed, double homonymRate, double niaRate)
    {
        var random = new Random(seed);
        var start = new DateOnly(1930, 1, 1).DayNumber;
        var span = new DateOnly(2024, 12, 31).DayNumber - start;
        SandboxPerson? previous = null;
        var bodies = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            string birthName;
            IReadOnlyList<string> firstNames;
            char sex;
            string birthDate;
            string cog = Cogs[random.Next(Cogs.Length)];
            if (previous is not null && random.NextDouble() < homonymRate)
            {
                birthName = previous.BirthName;
                firstNames = previous.FirstNames;
                sex = previous.Sex;
                birthDate = previous.BirthDate;
                while (cog == previous.BirthPlace)
                {
                    cog = Cogs[random.Next(Cogs.Length)];
                }
            }
            else
            {
                sex = random.Next(2) == 0 ? 'M' : 'F';
                birthName = Surnames[random.Next(Surnames.Length)];
                if (random.Next(20) == 0)
                {
                    birthName += "-" + Surnames[random.Next(Surnames.Length)];
                }

                var pool = sex == 'M' ? MaleFirstNames : FemaleFirstNames;
                var n = 1 + random.Next(3);
                var names = new List<string>(n);
                while (names.Count < n)
                {
                    var candidate = pool[random.Next(pool.Length)];
                    if (!names.Contains(candidate))
                    {
                        names.Add(candidate);
                    }
                }

                firstNames = names;
                birthDate = DateOnly.FromDayNumber(start + random.Next(span + 1)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            }

            var nia = random.NextDouble() < niaRate;
            // A NIA is laid out like a NIR (same sex digit, same key; ins-rules §1.4): only the OID tells them apart. Bodies
            // stay unique through the (COG, order) pair drawn from the index.
            var first = sex == 'M' ? '1' : '2';
            // The order number makes the body unique: two persons never share an INS (INSi would not).
            var prefix = string.Concat(first.ToString(), birthDate.Substring(2, 2), birthDate.Substring(5, 2), cog);
            var next = i / Cogs.Length;
            string body;
            var tries = 0;
            do
            {
                body = prefix + (1 + (next++ % 999)).ToString("000", CultureInfo.InvariantCulture);
                if (++tries > 999)
                {
                    throw new InvalidOperationException("More than 999 generated persons share sex, birth month and birth place.");
                }
            }
            while (!bodies.Add(body));
            var ins = new SandboxIns(body, InsKey.Format(body), nia ? SandboxIns.NiaOid : SandboxIns.NirOid);
            var person = new SandboxPerson(birthName, firstNames, sex, birthDate, cog, ins, [], [], null);
            previous = person;
            yield return person;
        }
    }
}
