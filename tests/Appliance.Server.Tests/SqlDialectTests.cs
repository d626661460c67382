using Appliance.Server.Store;
using Appliance.TestSupport;

namespace Appliance.Server.Tests;

/// <summary>The session's "$name" parameters become Npgsql's "@name"; a '$' inside a quoted literal or identifier is data.</summary>
[Trait("Category", TestCategories.Unit)]
public sealed class SqlDialectTests
{
    [Theory]
    [InlineData("plain parameters", "SELECT 1 FROM t WHERE a = $n AND b = $_x", "SELECT 1 FROM t WHERE a = @n AND b = @_x")]
    [InlineData("a literal keeps its dollar", "SELECT '$n' || $n", "SELECT '$n' || @n")]
    [InlineData("a quoted identifier keeps its dollar", "SELECT \"$col\" FROM t WHERE x = $v", "SELECT \"$col\" FROM t WHERE x = @v")]
    [InlineData("a dollar before a digit is no name", "SELECT $1, $n", "SELECT $1, @n")]
    [InlineData("an escaped quote stays inside the literal", "SELECT 'it''s $n', $n", "SELECT 'it''s $n', @n")]
    public void Postgres_rewrites_only_parameter_names(string name, string sql, string expected)
    {
        Assert.True(expected == SqlDialect.Postgres.Sql(sql), name);
        Assert.Equal(sql, SqlDialect.Sqlite.Sql(sql));
    }

    [Fact]
    public void Parameter_names_follow()
    {
        Assert.Equal("@n", SqlDialect.Postgres.ParameterName("$n"));
        Assert.Equal("$n", SqlDialect.Sqlite.ParameterName("$n"));
    }
}
