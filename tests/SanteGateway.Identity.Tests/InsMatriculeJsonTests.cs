using System.Text.Json;
using SanteGateway.Identity;

namespace SanteGateway.Identity.Tests;

public class InsMatriculeJsonTests
{
    private sealed record Holder(InsMatricule Matricule);

    [Fact]
    public void A_matricule_is_written_as_a_json_string_and_read_back()
    {
        var json = JsonSerializer.Serialize(new Holder(InsMatricule.Parse("297022A02077878")));
        json.Should().Be("{\"Matricule\":\"297022A02077878\"}");
        JsonSerializer.Deserialize<Holder>(json)!.Matricule.Should().Be(InsMatricule.Parse("297022A02077878"));
    }

    [Fact]
    public void Reading_a_matricule_with_a_wrong_key_from_json_fails_with_the_reason()
    {
        var act = () => JsonSerializer.Deserialize<Holder>("{\"Matricule\":\"276037510669380\"}");
        act.Should().Throw<JsonException>().WithMessage("*expected 26*");
    }
}
