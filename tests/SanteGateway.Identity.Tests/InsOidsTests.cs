using SanteGateway.Identity;

namespace SanteGateway.Identity.Tests;

public class InsOidsTests
{
    [Theory]
    [InlineData("1.2.250.1.213.1.4.8", InsOidKind.Nir, InsEnvironment.Production)]
    [InlineData("1.2.250.1.213.1.4.9", InsOidKind.Nia, InsEnvironment.Production)]
    [InlineData("1.2.250.1.213.1.4.10", InsOidKind.Test, InsEnvironment.Test)]
    [InlineData("1.2.250.1.213.1.4.11", InsOidKind.Demo, InsEnvironment.Demo)]
    [InlineData("urn:oid:1.2.250.1.213.1.4.8", InsOidKind.Nir, InsEnvironment.Production)]
    public void Each_ins_oid_has_its_kind_and_environment(string oid, InsOidKind kind, InsEnvironment environment)
    {
        InsOids.TryGetKind(oid, out var k).Should().BeTrue();
        k.Should().Be(kind);
        InsOids.EnvironmentOf(k).Should().Be(environment);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("1.2.250.1.213.1.4.2")]
    [InlineData("1.2.250.1.213.1.4.5")]
    [InlineData("1.2.250.1.213.1.4.80")]
    [InlineData("1.2.250.1.213.1.4.8 ")]
    public void Other_oids_are_not_ins_oids(string? oid)
    {
        InsOids.TryGetKind(oid, out _).Should().BeFalse();
    }

    [Fact]
    public void The_kind_comes_from_the_oid_and_never_from_the_digits()
    {
        InsIdentifier.TryCreate("1090763220888 35", InsOids.Nia, InsPolicy.Production, out var nia, out _).Should().BeTrue();
        InsIdentifier.TryCreate("1090763220888 35", InsOids.Nir, InsPolicy.Production, out var nir, out _).Should().BeTrue();
        nia!.Kind.Should().Be(InsOidKind.Nia);
        nir!.Kind.Should().Be(InsOidKind.Nir);
        nia.Matricule.Should().Be(nir.Matricule);
    }

    [Theory]
    [InlineData("1.2.250.1.213.1.4.10", "test")]
    [InlineData("1.2.250.1.213.1.4.11", "demonstration")]
    public void The_production_policy_refuses_test_and_demo_oids_with_a_clear_reason(string oid, string word)
    {
        InsIdentifier.TryCreate("279035121518989", oid, InsPolicy.Production, out var id, out var error).Should().BeFalse();
        id.Should().BeNull();
        error.Should().StartWith("oid:").And.Contain(word).And.Contain("production policy");
    }

    [Fact]
    public void The_permissive_policy_accepts_test_and_demo_oids()
    {
        InsIdentifier.TryCreate("279035121518989", InsOids.Test, InsPolicy.AllowTestAndDemo, out var id, out _).Should().BeTrue();
        id!.Environment.Should().Be(InsEnvironment.Test);
        id.Oid.Should().Be(InsOids.Test);
    }

    [Fact]
    public void An_identifier_with_an_invalid_matricule_is_refused_naming_the_matricule()
    {
        InsIdentifier.TryCreate("276037510669380", InsOids.Nir, InsPolicy.Production, out _, out var error).Should().BeFalse();
        error.Should().StartWith("matricule:").And.Contain("26");
    }

    [Fact]
    public void An_identifier_with_a_non_ins_oid_is_refused_naming_the_oid()
    {
        InsIdentifier.TryCreate("279035121518989", "1.2.250.1.213.1.4.2", InsPolicy.AllowTestAndDemo, out _, out var error).Should().BeFalse();
        error.Should().StartWith("oid:");
    }

    [Fact]
    public void The_constructor_refuses_a_default_matricule_and_a_foreign_oid()
    {
        var noMatricule = () => new InsIdentifier(default, InsOids.Nir);
        noMatricule.Should().Throw<ArgumentException>();
        var foreign = () => new InsIdentifier(InsMatricule.Parse("279035121518989"), "1.2.3");
        foreign.Should().Throw<ArgumentException>();
    }

    [Fact]
    public void Identifiers_with_the_same_matricule_and_oid_are_equal()
    {
        var a = new InsIdentifier(InsMatricule.Parse("279035121518989"), InsOids.Nir);
        var b = new InsIdentifier(InsMatricule.Parse("2 79 03 51 215 189 89"), "urn:oid:" + InsOids.Nir);
        a.Should().Be(b);
        b.Oid.Should().Be(InsOids.Nir);
    }
}
