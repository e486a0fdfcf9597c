using SanteGateway.Identity;

namespace SanteGateway.DataMatrix.Tests;

internal static class InsGenerators
{
    public static readonly Gen<string> Matricule =
        Gen.Select(Gen.Int[1, 2], Gen.Int[0, 99], Gen.Int[1, 12], Gen.OneOf(Gen.Int[1, 95].Select(d => d.ToString("00")), Gen.OneOf("2A", "2B")), Gen.Int[0, 999], Gen.Int[1, 999])
            .Select((s, y, m, d, c, o) =>
            {
                var body = $"{s}{y:00}{m:00}{d}{c:000}{o:000}";
                return body + InsMatricule.ComputeKey(body).ToString("00");
            });

    public static readonly Gen<string> Oid = Gen.OneOf(InsOids.Nir, InsOids.Nia, InsOids.Test, InsOids.Demo);

    /// <summary>A deterministic name of exactly <paramref name="length"/> characters.</summary>
    public static string FixedName(int length, char separator, int seed)
    {
        var rnd = new Random(seed);
        var chars = new char[length];
        for (var i = 0; i < length; i++)
        {
            chars[i] = i >= 2 && i < length - 2 && rnd.Next(6) == 0 && chars[i - 1] != separator ? separator : (char)('A' + rnd.Next(26));
        }

        return new string(chars);
    }

    /// <summary>A name of exactly <paramref name="length"/> characters: words of A-Z joined by the separator.</summary>
    public static Gen<string> Name(int length, char separator) =>
        Gen.Char['A', 'Z'].Array[length].Select(Gen.Int[0, int.MaxValue], (chars, seed) =>
        {
            var rnd = new Random(seed);
            for (var i = 2; i < length - 2; i++)
            {
                if (rnd.Next(6) == 0 && chars[i - 1] != separator)
                {
                    chars[i] = separator;
                }
            }

            return new string(chars);
        });

    public static readonly Gen<(string Matricule, string Oid, string FirstNames, string BirthName, Sex Sex, DateOnly Date, string? Cog)> Identity =
        Gen.Select(
            Matricule,
            Oid,
            Gen.Int[1, 100].SelectMany(l => Name(l, ' ')),
            Gen.Int[1, 100].SelectMany(l => Name(l, '-')),
            Gen.OneOf(Sex.Female, Sex.Male),
            Gen.Int[0, 45000].Select(d => new DateOnly(1900, 1, 1).AddDays(d)),
            Gen.OneOf(Gen.Const((string?)null), Gen.Int[1000, 95999].Select(c => (string?)c.ToString("00000"))));
}
