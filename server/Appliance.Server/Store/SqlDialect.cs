using System.Collections.Concurrent;
using System.Text;

namespace Appliance.Server.Store;

/// <summary>
/// What differs between the engines in the SQL <see cref="SqlSession"/> sends. The session's SQL names parameters
/// <c>$name</c> (SQLite's spelling); Npgsql only knows <c>@name</c>, so the PostgreSQL dialect rewrites them once per
/// statement text (cached: the texts are constants). Everything else the session sends is SQL both engines run.
/// </summary>
internal sealed class SqlDialect
{
    private readonly bool _atParameters;
    private readonly ConcurrentDictionary<string, string> _rewritten = new(StringComparer.Ordinal);

    private SqlDialect(string name, bool atParameters, string rowsChangedSql)
    {
        Name = name;
        _atParameters = atParameters;
        RowsChangedSql = rowsChangedSql;
    }

    public static SqlDialect Sqlite { get; } = new("sqlite", atParameters: false, "SELECT total_changes()");

    public static SqlDialect Postgres { get; } = new("postgres", atParameters: true,
        "SELECT COALESCE(SUM(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_xact_user_tables");

    /// <summary>A query for the rows written so far, a count that grows with every insert, update and delete.</summary>
    public string RowsChangedSql { get; }

    public string Name { get; }

    /// <summary>The statement as this engine takes it.</summary>
    public string Sql(string sql) => _atParameters ? _rewritten.GetOrAdd(sql, AtParameters) : sql;

    /// <summary>A parameter's name as this engine takes it ("$n" → "@n" for PostgreSQL).</summary>
    public string ParameterName(string name) =>
        _atParameters && name.StartsWith('$') ? string.Concat("@", name.AsSpan(1)) : name;

    /// <summary>"$name" → "@name" outside quoted literals and identifiers (a '$' there is data).</summary>
    internal static string AtParameters(string sql)
    {
        var sb = new StringBuilder(sql.Length);
        char quote = '\0';
        for (var i = 0; i < sql.Length; i++)
        {
            var c = sql[i];
            if (quote != '\0')
            {
                if (c == quote)
                {
                    quote = '\0';
                }
            }
            else if (c is '\'' or '"')
            {
                quote = c;
            }
            else if (c == '$' && i + 1 < sql.Length && (char.IsAsciiLetter(sql[i + 1]) || sql[i + 1] == '_'))
            {
                c = '@';
            }
            sb.Append(c);
        }
        return sb.ToString();
    }
}
