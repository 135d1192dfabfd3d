using System.Security.Cryptography;
using System.Text;
using OrleansSessions.ApiHost.Security;

namespace OrleansSessions.Tests.Infrastructure;

/// <summary>
/// The API keys every test host is configured with: one with every scope (the default of the tests' clients), one with
/// none, one per scope alone and one per scope left out, so each route's refusals can be tried with a real key.
/// </summary>
public static class TestCredentials
{
    public const string ApiKeyHeader = "X-Api-Key";

    public static string AllScopes { get; } = Key("all");

    public static string NoScopes { get; } = Key("none");

    public static string Only(string scope) => Key($"only-{Name(scope)}");

    public static string AllBut(string scope) => Key($"all-but-{Name(scope)}");

    /// <summary>Configuration for these keys, with rate limits off (their own tests turn them on); <paramref name="separator"/> is ":" or "__".</summary>
    public static Dictionary<string, string> Settings(string separator = ":")
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        void Add(string name, IEnumerable<string> scopes)
        {
            settings[$"Auth{separator}ApiKeys{separator}{name}{separator}Sha256"] = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(Key(name))));
            settings[$"Auth{separator}ApiKeys{separator}{name}{separator}Scopes"] = string.Join(' ', scopes);
        }

        Add("all", Scopes.All);
        Add("none", []);
        foreach (var scope in Scopes.All)
        {
            Add($"only-{Name(scope)}", [scope]);
            Add($"all-but-{Name(scope)}", Scopes.All.Where(s => s != scope));
        }

        foreach (var limit in new[] { "PerCredential", "PerUser", "PerAnonymousAddress", "Sensitive" })
        {
            settings[$"RateLimits{separator}{limit}{separator}PerSecond"] = "0";
        }

        return settings;
    }

    /// <summary>A client of <paramref name="baseAddress"/> that sends <paramref name="apiKey"/> on every request.</summary>
    public static HttpClient WithKey(this HttpClient client, string apiKey)
    {
        client.DefaultRequestHeaders.Remove(ApiKeyHeader);
        client.DefaultRequestHeaders.Add(ApiKeyHeader, apiKey);
        return client;
    }

    private static string Key(string name) => $"osk_test_{name}_0123456789abcdefghij";

    private static string Name(string scope) => scope.Replace(':', '-');
}
