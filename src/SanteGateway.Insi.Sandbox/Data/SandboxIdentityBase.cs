using System.Text.Json;
using System.Text.Json.Serialization;

namespace SanteGateway.Insi.Sandbox.Data;

/// <summary>Outcome of a search in the identity base.</summary>
/// <param name="Count">Number of persons matching (0, 1 or more).</param>
/// <param name="Single">The person when <paramref name="Count"/> is 1.</param>
public readonly record struct SandboxSearchResult(int Count, SandboxPerson? Single);

/// <summary>
/// The sandbox's in-memory identity base, indexed for O(1) searches: a dictionary keyed by birth name + sex + birth date
/// (the three traits INSi matches exactly), the few persons sharing a key being filtered by first name and COG.
/// </summary>
public sealed class SandboxIdentityBase
{
    /// <summary>Value of the <c>format</c> field of a base file.</summary>
    public const string FormatId = "santegw-insi-sandbox-base/1";

    private const string EmbeddedResource = "SanteGateway.Insi.Sandbox.default-base.json";

    private readonly Dictionary<TraitsKey, SandboxPerson[]> _byTraits;
    private readonly Dictionary<string, SandboxPerson[]> _byBeneficiaryNir;
    private readonly Dictionary<string, SandboxPerson[]> _byInsuredNir;

    private SandboxIdentityBase(IReadOnlyList<SandboxPerson> persons)
    {
        Persons = persons;
        _byTraits = Index<TraitsKey>(persons, p => [new TraitsKey(p.BirthName, p.Sex, p.BirthDate)]);
        _byBeneficiaryNir = Index<string>(persons, p => p.Vitale.Where(v => v.BeneficiaryNir is not null).Select(v => v.BeneficiaryNir!));
        _byInsuredNir = Index<string>(persons, p => p.Vitale.Select(v => v.InsuredNir));
    }

    /// <summary>Every person of the base, in file order.</summary>
    public IReadOnlyList<SandboxPerson> Persons { get; }

    /// <summary>The default base embedded in the assembly (the persons of insi.md §5; see README).</summary>
    public static SandboxIdentityBase LoadDefault()
    {
        using var stream = typeof(SandboxIdentityBase).Assembly.GetManifestResourceStream(EmbeddedResource)
            ?? throw new InvalidOperationException($"Embedded resource {EmbeddedResource} missing.");
        return Load(stream, "(embedded default base)");
    }

    /// <summary>Loads a base file (JSON, format documented in the project README).</summary>
    /// <exception cref="InvalidDataException">The file is not a valid base; the message names the person and the field.</exception>
    public static SandboxIdentityBase LoadFile(string path)
    {
        using var stream = File.OpenRead(path);
        return Load(stream, path);
    }

    /// <summary>Loads a base from a JSON stream.</summary>
    /// <exception cref="InvalidDataException">The content is not a valid base.</exception>
    public static SandboxIdentityBase Load(Stream json, string sourceName)
    {
        BaseFileDto? dto;
        try
        {
            dto = JsonSerializer.Deserialize(json, SandboxJsonContext.Default.BaseFileDto);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{sourceName}: not a sandbox identity base ({ex.Message}).", ex);
        }

        if (dto is null || !string.Equals(dto.Format, FormatId, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{sourceName}: field 'format' must be \"{FormatId}\".");
        }

        var persons = new List<SandboxPerson>(dto.Persons?.Count ?? 0);
        for (var i = 0; i < (dto.Persons?.Count ?? 0); i++)
        {
            persons.Add(ToPerson(dto.Persons![i], $"{sourceName}: persons[{i}]"));
        }

        return new SandboxIdentityBase(persons);
    }

    /// <summary>Builds a base from persons already in memory (validated the same way as a file).</summary>
    /// <exception cref="InvalidDataException">A person breaks a rule.</exception>
    public static SandboxIdentityBase FromPersons(IEnumerable<SandboxPerson> persons)
    {
        ArgumentNullException.ThrowIfNull(persons);
        var list = persons.ToList();
        for (var i = 0; i < list.Count; i++)
        {
            Validate(list[i], $"persons[{i}]");
        }

        return new SandboxIdentityBase(list);
    }

    /// <summary>Writes persons as a base file, streaming (suitable for millions of persons).</summary>
    public static void Write(Stream output, IEnumerable<SandboxPerson> persons, string description)
    {
        ArgumentNullException.ThrowIfNull(persons);
        using var writer = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = false });
        writer.WriteStartObject();
        writer.WriteString("format", FormatId);
        writer.WriteString("description", description);
        writer.WriteStartArray("persons");
        foreach (var person in persons)
        {
            JsonSerializer.Serialize(writer, ToDto(person), SandboxJsonContext.Default.PersonDto);
            if (writer.BytesPending > 1 << 16)
            {
                writer.Flush();
            }
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.Flush();
    }

    /// <summary>
    /// INSi search by traits: exact birth name, sex and birth date; first name equal to the first birth first name,
    /// any listed one or the whole list; optional COG filter.
    /// </summary>
    public SandboxSearchResult Search(string birthName, string firstName, char sex, string birthDate, string? birthPlace)
    {
        if (!_byTraits.TryGetValue(new TraitsKey(birthName, sex, birthDate), out var candidates))
        {
            return default;
        }

        var count = 0;
        SandboxPerson? single = null;
        foreach (var person in candidates)
        {
            if (person.MatchesFirstName(firstName) &&
                (birthPlace is null || string.Equals(person.BirthPlace, birthPlace, StringComparison.Ordinal)))
            {
                count++;
                single = person;
            }
        }

        return new SandboxSearchResult(count, count == 1 ? single : null);
    }

    /// <summary>
    /// Search with Vitale card data: by the beneficiary's own NIR when given, else by the insured NIR, narrowed by
    /// birth name, birth date and rank when given.
    /// </summary>
    public SandboxSearchResult SearchVitale(string? beneficiaryNir, string? insuredNir, string? birthName, string? birthDate, int? rank)
    {
        SandboxPerson[]? candidates = null;
        if (beneficiaryNir is not null)
        {
            _byBeneficiaryNir.TryGetValue(beneficiaryNir, out candidates);
        }

        if (candidates is null && insuredNir is not null)
        {
            _byInsuredNir.TryGetValue(insuredNir, out candidates);
        }

        if (candidates is null)
        {
            return default;
        }

        var count = 0;
        SandboxPerson? single = null;
        foreach (var person in candidates)
        {
            var card = person.Vitale.FirstOrDefault(v =>
                (beneficiaryNir is not null && string.Equals(v.BeneficiaryNir, beneficiaryNir, StringComparison.Ordinal)) ||
                (insuredNir is not null && string.Equals(v.InsuredNir, insuredNir, StringComparison.Ordinal)));
            if (card is null ||
                (birthName is not null && !string.Equals(person.BirthName, birthName, StringComparison.Ordinal)) ||
                (birthDate is not null && !string.Equals(person.BirthDate, birthDate, StringComparison.Ordinal)) ||
                (rank is not null && card.Rank != rank))
            {
                continue;
            }

            count++;
            single = person;
        }

        return new SandboxSearchResult(count, count == 1 ? single : null);
    }

    private static Dictionary<TKey, SandboxPerson[]> Index<TKey>(IReadOnlyList<SandboxPerson> persons, Func<SandboxPerson, IEnumerable<TKey>> keys)
        where TKey : notnull
    {
        var index = new Dictionary<TKey, SandboxPerson[]>(persons.Count);
        foreach (var person in persons)
        {
            foreach (var key in keys(person).Distinct())
            {
                index[key] = index.TryGetValue(key, out var existing) ? [.. existing, person] : [person];
            }
        }

        index.TrimExcess();
        return index;
    }

    private static SandboxPerson ToPerson(PersonDto dto, string where)
    {
        if (dto.Sex is not { Length: 1 })
        {
            throw new InvalidDataException($"{where}.sex: must be \"M\" or \"F\".");
        }

        if (dto.Ins is null)
        {
            throw new InvalidDataException($"{where}.ins: the active INS is required.");
        }

        var person = new SandboxPerson(
            dto.BirthName ?? string.Empty,
            dto.FirstNames ?? [],
            dto.Sex[0],
            dto.BirthDate ?? string.Empty,
            dto.BirthPlace,
            ToIns(dto.Ins),
            (dto.History ?? []).Select(ToIns).ToList(),
            (dto.Vitale ?? []).Select(v => new SandboxVitale(v.Card ?? string.Empty, v.InsuredNir ?? string.Empty, v.BeneficiaryNir, v.Rank ?? 1)).ToList(),
            dto.Note);
        Validate(person, where);
        return person;
    }

    private static SandboxIns ToIns(InsDto dto) => new(dto.NumIdentifiant ?? string.Empty, dto.Cle ?? string.Empty, dto.Oid ?? string.Empty, dto.DateDeb, dto.DateFin);

    private static void Validate(SandboxPerson p, string where)
    {
        Fail(InsiTraitRules.CheckBirthName(p.BirthName), where, "birthName");
        if (p.FirstNames.Count == 0)
        {
            throw new InvalidDataException($"{where}.firstNames: at least one first name is required.");
        }

        for (var i = 0; i < p.FirstNames.Count; i++)
        {
            Fail(InsiTraitRules.CheckFirstNames(p.FirstNames[i]), where, $"firstNames[{i}]");
            if (p.FirstNames[i].Contains(' ', StringComparison.Ordinal))
            {
                throw new InvalidDataException($"{where}.firstNames[{i}]: one first name per entry (no space).");
            }
        }

        Fail(InsiTraitRules.CheckSex(p.Sex.ToString()), where, "sex");
        Fail(InsiTraitRules.CheckBirthDate(p.BirthDate), where, "birthDate");
        if (p.BirthPlace is not null)
        {
            Fail(InsiTraitRules.CheckCog(p.BirthPlace), where, "birthPlace");
        }

        ValidateIns(p.Ins, $"{where}.ins");
        for (var i = 0; i < p.History.Count; i++)
        {
            ValidateIns(p.History[i], $"{where}.history[{i}]");
        }

        for (var i = 0; i < p.Vitale.Count; i++)
        {
            var v = p.Vitale[i];
            if (InsKey.Compute(v.InsuredNir) < 0)
            {
                throw new InvalidDataException($"{where}.vitale[{i}].insuredNir: must be a 13-character NIR.");
            }

            if (v.BeneficiaryNir is not null && InsKey.Compute(v.BeneficiaryNir) < 0)
            {
                throw new InvalidDataException($"{where}.vitale[{i}].beneficiaryNir: must be a 13-character NIR.");
            }
        }
    }

    private static void ValidateIns(SandboxIns ins, string where)
    {
        var key = InsKey.Compute(ins.NumIdentifiant);
        if (key < 0)
        {
            throw new InvalidDataException($"{where}.numIdentifiant: '{ins.NumIdentifiant}' is not a 13-character NIR/NIA body.");
        }

        if (!InsKey.IsValid(ins.NumIdentifiant, ins.Cle))
        {
            throw new InvalidDataException($"{where}.cle: key '{ins.Cle}' is wrong for {ins.NumIdentifiant} (expected {key:00}); " +
                "to serve a deliberately wrong key use a scripted response.");
        }

        if (ins.Oid is not (SandboxIns.NirOid or SandboxIns.NiaOid or "1.2.250.1.213.1.4.10" or "1.2.250.1.213.1.4.11"))
        {
            throw new InvalidDataException($"{where}.oid: '{ins.Oid}' is not an INS OID (1.2.250.1.213.1.4.8, .9, .10 or .11).");
        }

        if (ins.DateDeb is not null && !DateOnly.TryParseExact(ins.DateDeb, "yyyy-MM-dd", out _))
        {
            throw new InvalidDataException($"{where}.dateDeb: must be a YYYY-MM-DD date.");
        }

        if (ins.DateFin is not null && !DateOnly.TryParseExact(ins.DateFin, "yyyy-MM-dd", out _))
        {
            throw new InvalidDataException($"{where}.dateFin: must be a YYYY-MM-DD date.");
        }
    }

    private static void Fail(string? error, string where, string field)
    {
        if (error is not null)
        {
            throw new InvalidDataException($"{where}.{field}: {error}.");
        }
    }

    private static PersonDto ToDto(SandboxPerson p) => new()
    {
        BirthName = p.BirthName,
        FirstNames = [.. p.FirstNames],
        Sex = p.Sex.ToString(),
        BirthDate = p.BirthDate,
        BirthPlace = p.BirthPlace,
        Ins = ToDto(p.Ins),
        History = p.History.Count == 0 ? null : p.History.Select(ToDto).ToList(),
        Vitale = p.Vitale.Count == 0 ? null : p.Vitale.Select(v => new VitaleDto { Card = v.CardLabel, InsuredNir = v.InsuredNir, BeneficiaryNir = v.BeneficiaryNir, Rank = v.Rank }).ToList(),
        Note = p.Note,
    };

    private static InsDto ToDto(SandboxIns i) => new() { NumIdentifiant = i.NumIdentifiant, Cle = i.Cle, Oid = i.Oid, DateDeb = i.DateDeb, DateFin = i.DateFin };

    private readonly record struct TraitsKey(string BirthName, char Sex, string BirthDate);
}

internal sealed class BaseFileDto
{
    public string? Format { get; set; }

    public string? Description { get; set; }

    public List<PersonDto>? Persons { get; set; }
}

internal sealed class PersonDto
{
    public string? BirthName { get; set; }

    public List<string>? FirstNames { get; set; }

    public string? Sex { get; set; }

    public string? BirthDate { get; set; }

    public string? BirthPlace { get; set; }

    public InsDto? Ins { get; set; }

    public List<InsDto>? History { get; set; }

    public List<VitaleDto>? Vitale { get; set; }

    public string? Note { get; set; }
}

internal sealed class InsDto
{
    public string? NumIdentifiant { get; set; }

    public string? Cle { get; set; }

    public string? Oid { get; set; }

    public string? DateDeb { get; set; }

    public string? DateFin { get; set; }
}

internal sealed class VitaleDto
{
    public string? Card { get; set; }

    public string? InsuredNir { get; set; }

    public string? BeneficiaryNir { get; set; }

    public int? Rank { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(BaseFileDto))]
[JsonSerializable(typeof(PersonDto))]
[JsonSerializable(typeof(ScriptedIndexDto))]
internal sealed partial class SandboxJsonContext : JsonSerializerContext;
