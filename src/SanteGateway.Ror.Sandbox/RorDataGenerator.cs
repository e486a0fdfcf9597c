using System.Globalization;
using Hl7.Fhir.Model;
using static SanteGateway.Ror.RorConstants;

namespace SanteGateway.Ror.Sandbox;

/// <summary>
/// Generates realistic, synthetic ROR data of any size, deterministic for a seed: EJ (SIREN-based idNatSt with a Luhn key),
/// EG (FINESS-based idNatSt with a Luhn key), OI under the EGs, offers (HealthcareService) with a Location each (commune,
/// position, idExterneSynchro, two capacity records), and practitioners with their roles. Shapes follow the IG examples.
/// Codes are real NOS code systems; the labels of codes that are not in the IG examples are descriptive, not NOS labels.
/// </summary>
public static class RorDataGenerator
{
    internal const string G07 = StructureIdentifierTypeSystem;
    private const string R283 = "https://mos.esante.gouv.fr/NOS/TRE_R283-NiveauConfidentialite/FHIR/TRE-R283-NiveauConfidentialite";
    private const string R200 = "https://mos.esante.gouv.fr/NOS/TRE_R200-CanalCommunication/FHIR/TRE-R200-CanalCommunication";
    private const string R227 = "https://mos.esante.gouv.fr/NOS/TRE_R227-ChampActivite/FHIR/TRE-R227-ChampActivite";
    private const string R244 = "https://mos.esante.gouv.fr/NOS/TRE_R244-CategorieOrganisation/FHIR/TRE-R244-CategorieOrganisation";
    private const string R213 = "https://mos.esante.gouv.fr/NOS/TRE_R213-ModePriseEnCharge/FHIR/TRE-R213-ModePriseEnCharge";
    private const string R343 = "https://mos.esante.gouv.fr/NOS/TRE_R343-FonctionLieu/FHIR/TRE-R343-FonctionLieu";
    private const string R66 = "https://mos.esante.gouv.fr/NOS/TRE_R66-CategorieEtablissement/FHIR/TRE-R66-CategorieEtablissement";
    private const string G15 = "https://mos.esante.gouv.fr/NOS/TRE_G15-ProfessionSante/FHIR/TRE-G15-ProfessionSante";
    private const string R23 = "https://mos.esante.gouv.fr/NOS/TRE_R23-ModeExercice/FHIR/TRE-R23-ModeExercice";
    private const string J209 = "https://mos.esante.gouv.fr/NOS/JDV_J209-TypeSavoirFaire-ROR/FHIR/JDV-J209-TypeSavoirFaire-ROR";
    private const string R355 = "https://mos.esante.gouv.fr/NOS/TRE_R355-TypeIdentifiantOffre/FHIR/TRE-R355-TypeIdentifiantOffre";
    private const string Ucum = "https://mos.esante.gouv.fr/NOS/TRE_R247-UcumUniteMesure/FHIR/TRE-R247-UcumUniteMesure";

    /// <summary>Communes used by the generator: COG, postal code, name, region (TRE_R30), latitude, longitude.</summary>
    internal static readonly (string Cog, string Postal, string City, string Region, decimal Lat, decimal Lon)[] Communes =
    [
        ("75056", "75013", "Paris", "11", 48.8566m, 2.3522m),
        ("92009", "92270", "Bois-Colombes", "11", 48.9175m, 2.2683m),
        ("78646", "78000", "Versailles", "11", 48.8049m, 2.1204m),
        ("69123", "69003", "Lyon", "84", 45.7640m, 4.8357m),
        ("38185", "38000", "Grenoble", "84", 45.1885m, 5.7245m),
        ("13055", "13005", "Marseille", "93", 43.2965m, 5.3698m),
        ("06088", "06000", "Nice", "93", 43.7102m, 7.2620m),
        ("33063", "33000", "Bordeaux", "75", 44.8378m, -0.5792m),
        ("31555", "31000", "Toulouse", "76", 43.6047m, 1.4442m),
        ("34172", "34000", "Montpellier", "76", 43.6108m, 3.8767m),
        ("44109", "44000", "Nantes", "52", 47.2184m, -1.5536m),
        ("35238", "35000", "Rennes", "53", 48.1173m, -1.6778m),
        ("59350", "59000", "Lille", "32", 50.6292m, 3.0573m),
        ("67482", "67000", "Strasbourg", "44", 48.5734m, 7.7521m),
        ("76540", "76000", "Rouen", "28", 49.4432m, 1.0999m),
        ("45234", "45000", "Orléans", "24", 47.9030m, 1.9093m),
        ("21231", "21000", "Dijon", "27", 47.3220m, 5.0415m),
        ("18033", "18000", "Bourges", "24", 47.0810m, 2.3988m),
    ];

    /// <summary>Operational activities (TRE_R211) used for offers.</summary>
    internal static readonly (string Code, string Label)[] Activities =
    [
        ("022", "Chirurgie gynécologique"),
        ("227", "Soins médicaux et de réadaptation"),
        ("103", "Médecine polyvalente"),
        ("140", "Réanimation adulte"),
        ("210", "Psychiatrie générale"),
        ("301", "Hébergement permanent pour personnes âgées"),
    ];

    private static readonly string[] Families = ["MARTIN", "BERNARD", "DUBOIS", "THOMAS", "ROBERT", "RICHARD", "PETIT", "DURAND", "LEROY", "MOREAU", "SIMON", "LAURENT"];
    private static readonly string[] Givens = ["Camille", "Léa", "Louis", "Hugo", "Chloé", "Jules", "Manon", "Lucas", "Inès", "Gabriel", "Zoé", "Noël"];
    private static readonly string[] Streets = ["rue de la République", "avenue Jean Jaurès", "boulevard Pasteur", "rue Victor Hugo", "place de la Mairie", "chemin des Écoles"];

    /// <summary>Offers per EG.</summary>
    public const int OffersPerEstablishment = 10;

    /// <summary>Generates the data of <paramref name="offers"/> offers (with their EJ, EG, OI, Locations, PractitionerRoles and Practitioners).</summary>
    /// <param name="offers">Number of HealthcareService resources.</param>
    /// <param name="seed">Random seed.</param>
    /// <param name="lastUpdated">The <c>meta.lastUpdated</c> of every generated resource.</param>
    /// <returns>The resources, organisations before what references them.</returns>
    public static IEnumerable<Resource> Generate(int offers, int seed, DateTimeOffset lastUpdated)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offers);
        var random = new Random(seed);
        var establishments = (offers + OffersPerEstablishment - 1) / OffersPerEstablishment;
        var created = lastUpdated.AddYears(-2);
        for (var e = 0; e < establishments; e++)
        {
            var commune = Communes[e % Communes.Length];
            var region = commune.Region;
            var dept = commune.Cog[..2];
            var ejIndex = e / 2;
            var ejId = Id("ej", ejIndex);
            if (e % 2 == 0)
            {
                var siren = WithLuhn((100_000_00 + (ejIndex * 7919 % 89_999_999)).ToString("D8", CultureInfo.InvariantCulture));
                yield return Organization(ejId, "2" + siren, [Ident(G07, "2", "SIREN", "https://sirene.fr", siren)],
                    $"Groupe hospitalier {commune.City} {ejIndex + 1}", null, region, commune, random, lastUpdated, created, ej: true);
            }

            var finess = WithLuhn(dept + (100_000 + (e * 31 % 899_999)).ToString("D6", CultureInfo.InvariantCulture));
            var egId = Id("eg", e);
            var egIdNat = "1" + finess;
            yield return Organization(egId, egIdNat, [Ident(G07, "1", "FINESS", "https://finess.esante.gouv.fr", finess)],
                $"Centre hospitalier {commune.City} site {e + 1}", ejId, region, commune, random, lastUpdated, created, ej: false);
            var oiId = Id("oi", e);
            var oi = Organization(oiId, null, [Ident("https://mos.esante.gouv.fr/NOS/TRE_R345-TypeIdentifiantAutre/FHIR/TRE-R345-TypeIdentifiantAutre", "42", "Identifiant OI", "https://oi.esante.gouv.fr", egIdNat + "-P1")],
                "Pôle médecine", egId, region, commune, random, lastUpdated, created, ej: false);
            oi.Address.Clear();
            oi.Contact.Clear();
            yield return oi;

            for (var k = 0; k < OffersPerEstablishment; k++)
            {
                var n = (e * OffersPerEstablishment) + k;
                if (n >= offers)
                {
                    yield break;
                }

                var activity = Activities[random.Next(Activities.Length)];
                var sensitive = random.Next(20) == 0;
                var locationId = Id("loc", n);
                yield return Location(locationId, egId, egIdNat, n, commune, region, random, lastUpdated, created);
                var hsId = Id("hs", n);
                yield return Offer(hsId, n, k % 2 == 0 ? oiId : egId, locationId, activity, sensitive, region, random, lastUpdated, created);
                var practitionerId = Id("pr", n / 2);
                if (n % 2 == 0)
                {
                    yield return Practitioner(practitionerId, n / 2, region, random, lastUpdated, created);
                }

                yield return Role(Id("prr", n), practitionerId, hsId, egId, locationId, n, region, random, lastUpdated, created);
            }
        }
    }

    /// <summary>Appends the Luhn key to a number (FINESS and SIREN keys).</summary>
    /// <param name="digits">The digits without the key.</param>
    /// <returns>The digits and their key.</returns>
    public static string WithLuhn(string digits)
    {
        ArgumentNullException.ThrowIfNull(digits);
        var sum = 0;
        var doubleIt = true;
        for (var i = digits.Length - 1; i >= 0; i--)
        {
            var d = digits[i] - '0';
            if (doubleIt)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }

            sum += d;
            doubleIt = !doubleIt;
        }

        return digits + ((10 - (sum % 10)) % 10).ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>True when the last digit is the Luhn key of the others.</summary>
    /// <param name="number">The number.</param>
    /// <returns>True when valid.</returns>
    public static bool IsLuhnValid(string number) =>
        number is { Length: > 1 } && number.All(char.IsAsciiDigit) && WithLuhn(number[..^1]) == number;

    private static string Id(string prefix, int n) => prefix + "-" + n.ToString("D6", CultureInfo.InvariantCulture);

    private static Identifier Ident(string typeSystem, string typeCode, string display, string system, string value) =>
        new(system, value) { Type = new CodeableConcept(typeSystem, typeCode, display) };

    private static Meta Meta(string profile, string region, DateTimeOffset lastUpdated) => new()
    {
        VersionId = "1",
        LastUpdated = lastUpdated,
        Profile = [profile],
        Tag = [new Coding(RegionSystem, region)],
    };

    private static Extension Created(DateTimeOffset created) => new(MetaCreationDateExtension, new FhirDateTime(created));

    private static ContactPoint Telecom(ContactPoint.ContactPointSystem system, string value, string channel, string confidentiality)
    {
        var t = new ContactPoint(system, null, value);
        t.Extension.Add(new Extension(StructureDefinitionBase + "ror-telecom-communication-channel", new CodeableConcept(R200, channel)));
        t.Extension.Add(new Extension(StructureDefinitionBase + "ror-telecom-confidentiality-level", new CodeableConcept(R283, confidentiality)));
        return t;
    }

    private static Address Address((string Cog, string Postal, string City, string Region, decimal Lat, decimal Lon) commune, Random random)
    {
        var number = random.Next(1, 200).ToString(CultureInfo.InvariantCulture);
        var street = Streets[random.Next(Streets.Length)];
        var line = new FhirString($"{number} {street}");
        line.Extension.Add(new Extension("http://hl7.org/fhir/StructureDefinition/iso21090-ADXP-houseNumber", new FhirString(number)));
        line.Extension.Add(new Extension("http://hl7.org/fhir/StructureDefinition/iso21090-ADXP-streetNameBase", new FhirString(street)));
        return new Address { LineElement = [line], City = commune.City, PostalCode = commune.Postal };
    }

    private static Organization Organization(string id, string? idNat, Identifier[] others, string name, string? partOf, string region,
        (string Cog, string Postal, string City, string Region, decimal Lat, decimal Lon) commune, Random random, DateTimeOffset lastUpdated, DateTimeOffset created, bool ej)
    {
        var o = new Organization { Id = id, Meta = Meta(OrganizationProfile, region, lastUpdated), Name = name };
        o.Extension.Add(Created(created));
        if (idNat is not null)
        {
            o.Identifier.Add(new Identifier(IdNatStructSystem, idNat) { Use = Identifier.IdentifierUse.Official, Type = new CodeableConcept(G07, "40", "Identifiant national de structure") });
        }

        o.Identifier.AddRange(others);
        if (!ej && idNat is not null)
        {
            o.Type.Add(new CodeableConcept(R66, "355", "Centre hospitalier (CH)"));
        }

        if (partOf is not null)
        {
            o.PartOf = new ResourceReference("Organization/" + partOf);
        }

        o.Address.Add(Address(commune, random));
        var contact = new Organization.ContactComponent { Purpose = new CodeableConcept("https://mos.esante.gouv.fr/NOS/TRE_R287-NatureContact/FHIR/TRE-R287-NatureContact", "06", "standard") };
        contact.Extension.Add(new Extension(StructureDefinitionBase + "ror-contact-confidentiality-level", new CodeableConcept(R283, "1", "Accès libre")));
        contact.Telecom.Add(Telecom(ContactPoint.ContactPointSystem.Phone, "0" + random.Next(100_000_000, 999_999_999).ToString(CultureInfo.InvariantCulture), "2", "1"));
        o.Contact.Add(contact);
        return o;
    }

    private static Location Location(string id, string egId, string egIdNat, int n, (string Cog, string Postal, string City, string Region, decimal Lat, decimal Lon) commune,
        string region, Random random, DateTimeOffset lastUpdated, DateTimeOffset created)
    {
        var l = new Location
        {
            Id = id,
            Meta = Meta(LocationProfile, region, lastUpdated),
            Name = "Unité " + (n + 1).ToString(CultureInfo.InvariantCulture),
            ManagingOrganization = new ResourceReference("Organization/" + egId),
            Address = Address(commune, random),
            Position = new Location.PositionComponent
            {
                Latitude = Math.Round(commune.Lat + ((decimal)random.NextDouble() - 0.5m) * 0.05m, 6),
                Longitude = Math.Round(commune.Lon + ((decimal)random.NextDouble() - 0.5m) * 0.05m, 6),
            },
        };
        l.Extension.Add(new Extension(CommuneCogExtension, new CodeableConcept(CommuneSystem, commune.Cog, commune.City)));
        l.Extension.Add(Created(created));
        l.Identifier.Add(new Identifier(null, "UF" + (1000 + n).ToString(CultureInfo.InvariantCulture)) { Type = new CodeableConcept(LocationIdentifierTypeSystem, "26", "Identifiant externe de synchronisation") });
        l.Identifier.Add(new Identifier(null, egIdNat + "/L" + n.ToString(CultureInfo.InvariantCulture)) { Type = new CodeableConcept(LocationIdentifierTypeSystem, "25", "Identifiant du lieu") });
        l.Type.Add(new CodeableConcept(R343, "001", "Hébergement"));
        var systems = new RorCapacityCodeSystems();
        var installed = random.Next(10, 40);
        foreach (var (status, count) in new[] { ("01", installed), ("02", random.Next(0, installed)) })
        {
            l.Extension.Add(RorCapacityPatch.Record(new RorCapacityUpdate
            {
                EgIdentifier = egIdNat,
                ExternalId = "UF" + (1000 + n).ToString(CultureInfo.InvariantCulture),
                CapacityType = "01",
                CapacityStatus = status,
                Count = count,
                UpdatedAt = lastUpdated.AddHours(-random.Next(1, 48)),
            }, systems));
        }

        return l;
    }

    private static HealthcareService Offer(string id, int n, string providerId, string locationId, (string Code, string Label) activity, bool sensitive, string region, Random random, DateTimeOffset lastUpdated, DateTimeOffset created)
    {
        var hs = new HealthcareService
        {
            Id = id,
            Meta = Meta(HealthcareServiceProfile, region, lastUpdated),
            Name = $"{activity.Label} - hospitalisation complète {n + 1}",
            ProvidedBy = new ResourceReference("Organization/" + providerId),
            Location = [new ResourceReference("Location/" + locationId)],
        };
        hs.Extension.Add(new Extension(SensitiveUnitExtension, new FhirBoolean(sensitive)));
        var patientType = new Extension { Url = StructureDefinitionBase + "ror-healthcareservice-patient-type" };
        var low = random.Next(3) == 0 ? 0 : 18;
        patientType.Extension.Add(new Extension("ageRange", new Hl7.Fhir.Model.Range
        {
            Low = new Quantity(low, "a", Ucum) { Unit = null },
            High = new Quantity(low == 0 ? 17 : 150, "a", Ucum) { Unit = null },
        }));
        hs.Extension.Add(patientType);
        hs.Extension.Add(Created(created));
        hs.Identifier.Add(new Identifier(null, region + "/" + (100_000 + n).ToString(CultureInfo.InvariantCulture)) { Type = new CodeableConcept(R355, "35", "Identifiant fonctionnel de l'offre connu par l'instance ROR") });
        hs.Category.Add(new CodeableConcept(R244, "157", "Unité hospitalière"));
        hs.Type.Add(new CodeableConcept(R227, "01", "Médecine, Chirurgie, Obstétrique (MCO)"));
        hs.Specialty.Add(new CodeableConcept(OperationalActivitySystem, activity.Code, activity.Label));
        hs.Characteristic.Add(new CodeableConcept(R213, "07", "Hospitalisation complète"));
        return hs;
    }

    private static Practitioner Practitioner(string id, int n, string region, Random random, DateTimeOffset lastUpdated, DateTimeOffset created)
    {
        var family = Families[random.Next(Families.Length)];
        var given = Givens[random.Next(Givens.Length)];
        var p = new Practitioner { Id = id, Meta = Meta(PractitionerProfile, region, lastUpdated) };
        p.Extension.Add(Created(created));
        p.Identifier.Add(new Identifier(IdNatPsSystem, "8" + (10_000_000_000L + (n * 7L)).ToString(CultureInfo.InvariantCulture)));
        p.Name.Add(new HumanName { Family = family, Given = [given] });
        p.Telecom.Add(Telecom(ContactPoint.ContactPointSystem.Email, $"{given.ToLowerInvariant()}.{family.ToLowerInvariant()}{n}@sandbox.mssante.fr", "3", "2"));
        return p;
    }

    private static PractitionerRole Role(string id, string practitionerId, string hsId, string egId, string locationId, int n, string region, Random random, DateTimeOffset lastUpdated, DateTimeOffset created)
    {
        var r = new PractitionerRole
        {
            Id = id,
            Meta = Meta(PractitionerRoleProfile, region, lastUpdated),
            Practitioner = new ResourceReference("Practitioner/" + practitionerId),
            Organization = new ResourceReference("Organization/" + egId),
            HealthcareService = [new ResourceReference("HealthcareService/" + hsId)],
            Location = [new ResourceReference("Location/" + locationId)],
        };
        r.Extension.Add(Created(created));
        r.Extension.Add(new Extension(StructureDefinitionBase + "ror-practitionerrole-unit-exercise-mode", new CodeableConcept(R23, random.Next(2) == 0 ? "S" : "L")));
        r.Identifier.Add(new Identifier(null, "SO" + n.ToString(CultureInfo.InvariantCulture)));
        r.Code.Add(new CodeableConcept(G15, n % 3 == 0 ? "60" : "10", n % 3 == 0 ? "Infirmier" : "Médecin"));
        r.Specialty.Add(new CodeableConcept(J209, "S", "Spécialité ordinale"));
        return r;
    }
}
