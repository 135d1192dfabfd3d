using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace OrleansSessions.ApiHost.Security;

/// <summary>One configured API key: its name, the SHA-256 of its secret and its scopes.</summary>
internal sealed record ApiKey(string Name, byte[] Sha256, IReadOnlyList<string> Scopes);

/// <summary>The API keys this host takes (configured ones, or the development key in embedded mode).</summary>
internal sealed class ApiKeyRing(IReadOnlyList<ApiKey> keys)
{
    /// <summary>Longer than any key this product makes; longer input is not hashed at all.</summary>
    private const int MaxKeyLength = 256;

    public IReadOnlyList<ApiKey> Keys { get; } = keys;

    public static ApiKeyRing From(AuthOptions options) => new([.. options.ApiKeys.Select(k => new ApiKey(
        k.Key, Convert.FromHexString(k.Value.Sha256!), Security.Scopes.Parse(k.Value.Scopes)))]);

    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    /// <summary>
    /// The key whose hash matches. Keys are random and long, so a plain SHA-256 is enough to keep a configuration leak
    /// from yielding them; every stored hash is compared, each in constant time, so timing tells nothing either.
    /// </summary>
    public ApiKey? Find(string presented)
    {
        if (presented.Length is 0 or > MaxKeyLength)
        {
            return null;
        }

        var hash = Hash(presented);
        ApiKey? found = null;
        foreach (var key in Keys)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, key.Sha256))
            {
                found = key;
            }
        }

        return found;
    }
}

internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiKeyRing keys)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(Credentials.ApiKeyHeader, out var values))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (values.Count != 1 || keys.Find(values[0] ?? "") is not { } key)
        {
            return Task.FromResult(AuthenticateResult.Fail("Unknown API key."));
        }

        List<Claim> claims =
        [
            new(Caller.KindClaim, Caller.Service),
            new(Caller.CredentialClaim, $"key:{key.Name}"),
            .. key.Scopes.Select(s => new Claim(Caller.ScopeClaim, s)),
        ];
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme.Name));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name)));
    }
}
