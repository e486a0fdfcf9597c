using Npgsql;

namespace SanteGateway.Store.Tests;

public sealed class PostgresConnectionStringTests
{
    [Fact]
    public void Automatic_preparation_is_turned_on_when_the_connection_string_says_nothing_of_it()
    {
        var cs = new NpgsqlConnectionStringBuilder(GatewayStore.PostgresConnectionString("Host=db;Database=santegw;Username=app;Password=p;Maximum Pool Size=20"));

        cs.MaxAutoPrepare.Should().Be(64);
        cs.AutoPrepareMinUsages.Should().Be(2);
        cs.NoResetOnClose.Should().BeTrue();
        cs.Host.Should().Be("db");
        cs.Database.Should().Be("santegw");
        cs.Password.Should().Be("p");
        cs.MaxPoolSize.Should().Be(20);
    }

    [Theory]
    [InlineData("Host=db;Database=santegw;Max Auto Prepare=0", 0, 2)]
    [InlineData("Host=db;Database=santegw;maxautoprepare=10;Auto Prepare Min Usages=7", 10, 7)]
    public void What_the_connection_string_says_of_preparation_is_kept(string given, int max, int usages)
    {
        var cs = new NpgsqlConnectionStringBuilder(GatewayStore.PostgresConnectionString(given));

        cs.MaxAutoPrepare.Should().Be(max);
        cs.AutoPrepareMinUsages.Should().Be(usages);
    }

    [Theory]
    [InlineData("Host=db;Database=santegw;No Reset On Close=false", false)]
    [InlineData("Host=db;Database=santegw;noresetonclose=true", true)]
    public void What_the_connection_string_says_of_the_pooled_connection_reset_is_kept(string given, bool skipped)
    {
        new NpgsqlConnectionStringBuilder(GatewayStore.PostgresConnectionString(given)).NoResetOnClose.Should().Be(skipped);
    }

    [Fact]
    public void A_password_that_contains_the_keyword_does_not_count_as_a_preparation_setting()
    {
        var cs = new NpgsqlConnectionStringBuilder(GatewayStore.PostgresConnectionString("Host=db;Database=santegw;Password=MaxAutoPrepare"));

        cs.MaxAutoPrepare.Should().Be(64);
        cs.Password.Should().Be("MaxAutoPrepare");
    }

    [Fact]
    public void A_connection_string_Npgsql_cannot_read_is_passed_on_unchanged_for_Npgsql_to_refuse_at_first_use()
    {
        GatewayStore.PostgresConnectionString("Host=db;Nonsense Keyword=1").Should().Be("Host=db;Nonsense Keyword=1");
    }
}
