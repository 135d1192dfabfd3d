using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace OrleansSessions.Tests.Infrastructure;

/// <summary>
/// A minimal OpenID Connect issuer over real HTTP on loopback: a discovery document and its signing keys (RS256), and
/// access tokens for services with the scopes a test asks for. The API host finds it through <c>Auth:Jwt:Authority</c>
/// exactly as it would find a production issuer.
/// </summary>
public sealed class TestOidcIssuer : IAsyncDisposable
{
    public const string Audience = "orleanssessions-api";

    /// <summary>The <c>kid</c> of the issuer's one signing key.</summary>
    public const string KeyId = "test-issuer-key-1";

    private static readonly string[] SigningAlgorithms = ["RS256"];

    private readonly RsaSecurityKey key;
    private readonly WebApplication app;

    private TestOidcIssuer(WebApplication app, RsaSecurityKey key)
    {
        this.app = app;
        this.key = key;
    }

    public string Authority { get; private set; } = "";

    public static async Task<TestOidcIssuer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var rsa = RSA.Create(2048);
        var key = new RsaSecurityKey(rsa) { KeyId = KeyId };
        var app = builder.Build();
        var issuer = new TestOidcIssuer(app, key);
        app.MapGet("/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = issuer.Authority,
            ["jwks_uri"] = $"{issuer.Authority}/jwks",
            ["id_token_signing_alg_values_supported"] = SigningAlgorithms,
        }));
        app.MapGet("/jwks", () =>
        {
            var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(rsa.ExportParameters(false)) { KeyId = key.KeyId });
            return Results.Json(new { keys = new[] { new { kty = jwk.Kty, kid = jwk.Kid, use = "sig", alg = "RS256", n = jwk.N, e = jwk.E } } });
        });
        await app.StartAsync();
        issuer.Authority = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return issuer;
    }

    /// <summary>Settings that point the API host at this issuer.</summary>
    public Dictionary<string, string> Settings() => new()
    {
        ["Auth:Jwt:Authority"] = Authority,
        ["Auth:Jwt:Audience"] = Audience,
        ["Auth:Jwt:RequireHttpsMetadata"] = "false",
    };

    /// <summary>An access token for client <paramref name="clientId"/>; the parameters vary one thing from a good token.</summary>
    public string Issue(
        string clientId, string scope, string audience = Audience, TimeSpan? lifetime = null, string? issuer = null, SecurityKey? signingKey = null, object? scp = null)
    {
        var now = DateTime.UtcNow;
        var claims = new Dictionary<string, object> { ["client_id"] = clientId, ["scope"] = scope };
        if (scp is not null)
        {
            claims.Remove("scope");
            claims["scp"] = scp;
        }

        var expires = now + (lifetime ?? TimeSpan.FromMinutes(5));
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer ?? Authority,
            Audience = audience,
            Subject = new System.Security.Claims.ClaimsIdentity([new System.Security.Claims.Claim("sub", clientId)]),
            IssuedAt = expires < now ? expires.AddMinutes(-5) : now,
            NotBefore = expires < now ? expires.AddMinutes(-5) : now,
            Expires = expires,
            Claims = claims,
            TokenType = "at+jwt",
            SigningCredentials = new SigningCredentials(signingKey ?? key, SecurityAlgorithms.RsaSha256),
        });
    }

    public async ValueTask DisposeAsync()
    {
        await app.DisposeAsync();
        key.Rsa.Dispose();
    }
}
