using System.Text.RegularExpressions;

namespace OrleansSessions.ApiHost.Security;

/// <summary>The <c>Auth</c> configuration section: who may call the API.</summary>
public sealed partial class AuthOptions
{
    public const string SectionName = "Auth";

    /// <summary>API keys by name; each stores the key's SHA-256, never the key.</summary>
    public Dictionary<string, ApiKeyOptions> ApiKeys { get; set; } = new(StringComparer.Ordinal);

    /// <summary>An OpenID Connect issuer whose access tokens services may present.</summary>
    public JwtIssuerOptions Jwt { get; set; } = new();

    /// <summary>
    /// Embedded mode without configured credentials: where the development API key is kept, so it stays the same
    /// across restarts of this machine's host (default: <c>~/.config/orleanssessions/dev-api-key</c>).
    /// </summary>
    public string? DevelopmentKeyFile { get; set; }

    public bool HasCredentials => ApiKeys.Count > 0 || Jwt.IsConfigured;

    /// <summary>What is wrong with these options; empty when they can be used. Never quotes a key or its hash.</summary>
    internal IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        foreach (var (name, key) in ApiKeys)
        {
            var at = $"'{SectionName}:{nameof(ApiKeys)}:{name}'";
            if (!SafeName().IsMatch(name))
            {
                problems.Add($"API key names are 1..64 of letters, digits and . _ - ({at}).");
            }

            if (key.Sha256 is null || !Sha256Hex().IsMatch(key.Sha256))
            {
                problems.Add($"{at}: 'Sha256' must be the key's SHA-256 as 64 hex digits (printf %s \"$KEY\" | sha256sum).");
            }

            foreach (var scope in Scopes.Parse(key.Scopes).Where(s => !Security.Scopes.All.Contains(s, StringComparer.Ordinal)))
            {
                problems.Add($"{at}: unknown scope '{scope}' (known: {string.Join(" ", Security.Scopes.All)}).");
            }
        }

        if (Jwt.IsConfigured && string.IsNullOrWhiteSpace(Jwt.Audience))
        {
            problems.Add($"'{SectionName}:Jwt:Audience' is required with '{SectionName}:Jwt:Authority'.");
        }

        return problems;
    }

    [GeneratedRegex(@"\A[A-Za-z0-9._-]{1,64}\z")]
    private static partial Regex SafeName();

    [GeneratedRegex(@"\A[0-9a-fA-F]{64}\z")]
    private static partial Regex Sha256Hex();
}

public sealed class ApiKeyOptions
{
    /// <summary>SHA-256 of the key, hex.</summary>
    public string? Sha256 { get; set; }

    /// <summary>Space-separated scopes (see <see cref="Security.Scopes"/>).</summary>
    public string? Scopes { get; set; }
}

public sealed class JwtIssuerOptions
{
    /// <summary>The issuer's address; its discovery document and keys are fetched from there.</summary>
    public string? Authority { get; set; }

    /// <summary>The audience access tokens must be issued for.</summary>
    public string? Audience { get; set; }

    /// <summary>Only for a development issuer on loopback: allow plain HTTP for discovery.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Authority);
}
