using Npgsql;

namespace OrleansSessions.Tests.Infrastructure;

/// <summary>
/// The throwaway PostgreSQL that <c>scripts/test</c> starts with <c>orleans.sql</c> loaded. Tests that need it fail —
/// never skip — when it is missing, so a CI run without a database cannot pass.
/// </summary>
public static class TestDatabase
{
    public const string EnvironmentVariable = "ORLEANSSESSIONS_TEST_PG";

    public static string ConnectionString =>
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{EnvironmentVariable} is not set. Run the tests with scripts/test, which starts PostgreSQL and loads orleans.sql.");

    /// <summary>A service id (the storage row key prefix) and cluster id no other test uses.</summary>
    public static string UniqueId(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 13, 40)];

    public static async Task<long> ScalarAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
