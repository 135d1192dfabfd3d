using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.IdentityModel.JsonWebTokens;
using OrleansSessions.ApiHost.Infrastructure;
using OrleansSessions.Client.Tokens;

namespace OrleansSessions.ApiHost.Security;

internal static class SecurityExtensions
{
    /// <summary>
    /// Authentication (API keys, OIDC access tokens, session tokens), access rules and rate limits. Cluster mode refuses
    /// to start without configured credentials; embedded mode without them makes a development key and prints it.
    /// </summary>
    public static WebApplicationBuilder AddApiSecurity(this WebApplicationBuilder builder, HostingMode mode)
    {
        var options = builder.Configuration.GetSection(AuthOptions.SectionName).Get<AuthOptions>() ?? new AuthOptions();
        if (options.Problems() is { Count: > 0 } problems)
        {
            throw new InvalidOperationException(string.Join(" ", problems));
        }

        var keys = ApiKeyRing.From(options);
        if (!options.HasCredentials)
        {
            if (mode != HostingMode.Embedded)
            {
                throw new InvalidOperationException(
                    $"Cluster mode needs credentials: '{AuthOptions.SectionName}:ApiKeys:<name>:Sha256' and ':Scopes', or '{AuthOptions.SectionName}:Jwt:Authority' and ':Audience' (README, Security model).");
            }

            var file = options.DevelopmentKeyFile ?? DevelopmentCredential.DefaultFile;
            var key = DevelopmentCredential.LoadOrCreate(file);
            keys = new ApiKeyRing([new ApiKey(DevelopmentCredential.Name, ApiKeyRing.Hash(key), Scopes.All)]);
            builder.Services.AddHostedService(sp => ActivatorUtilities.CreateInstance<DevelopmentCredentialNotice>(sp, key, file));
        }

        builder.Services.AddSingleton(keys);
        var authentication = builder.Services.AddAuthentication(Credentials.Scheme)
            .AddPolicyScheme(Credentials.Scheme, "API key, access token or session token", o =>
                o.ForwardDefaultSelector = http => SchemeFor(http.Request, options.Jwt.IsConfigured))
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(Credentials.ApiKeyScheme, null)
            .AddScheme<AuthenticationSchemeOptions, SessionTokenAuthenticationHandler>(Credentials.SessionTokenScheme, null);
        if (options.Jwt.IsConfigured)
        {
            authentication.AddJwtBearer(o =>
            {
                o.Authority = options.Jwt.Authority;
                o.Audience = options.Jwt.Audience;
                o.RequireHttpsMetadata = options.Jwt.RequireHttpsMetadata;

                // Claims as the issuer wrote them (scope, scp, sub), not renamed to the WS-Federation URIs.
                o.MapInboundClaims = false;
                o.Events = new JwtBearerEvents
                {
                    OnTokenValidated = context =>
                    {
                        var token = (JsonWebToken)context.SecurityToken;
                        var client = token.TryGetPayloadValue<string>("azp", out var azp) ? azp
                            : token.TryGetPayloadValue<string>("client_id", out var clientId) ? clientId
                            : token.Subject;
                        // Scopes in `scope` (OAuth 2.0, space-separated) or `scp` (Microsoft Entra ID: a space-separated
                        // string or one claim per scope), parsed once here rather than on every check.
                        var scopes = context.Principal!.Claims.Where(c => c.Type is "scope" or "scp")
                            .SelectMany(c => Scopes.Parse(c.Value)).Distinct(StringComparer.Ordinal);
                        context.Principal.AddIdentity(new System.Security.Claims.ClaimsIdentity(
                        [
                            new(Caller.KindClaim, Caller.Service),
                            new(Caller.CredentialClaim, $"client:{client}"),
                            .. scopes.Select(s => new System.Security.Claims.Claim(Caller.ScopeClaim, s)),
                        ]));
                        return Task.CompletedTask;
                    },
                };
            });
        }

        builder.Services.AddAuthorization();
        builder.Services.AddSingleton<IAuthorizationHandler, AccessHandler>();
        builder.Services.AddSingleton<IAuthorizationMiddlewareResultHandler, AccessResultHandler>();
        builder.Services.AddApiRateLimits(builder.Configuration);
        return builder;
    }

    /// <summary>Who is calling, then how often, then may they: rate limits partition by the authenticated caller.</summary>
    public static WebApplication UseApiSecurity(this WebApplication app)
    {
        app.UseRouting();
        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseAuthorization();
        return app;
    }

    /// <summary>
    /// An API key header picks the key scheme; a bearer token our session tokens' <c>typ</c> picks the session scheme,
    /// any other bearer token the OIDC issuer's (when one is configured).
    /// </summary>
    private static string SchemeFor(HttpRequest request, bool jwtConfigured)
    {
        if (request.Headers.ContainsKey(Credentials.ApiKeyHeader))
        {
            return Credentials.ApiKeyScheme;
        }

        return jwtConfigured && Credentials.TryGetBearer(request, out var token) && !SessionTokens.IsSessionToken(token)
            ? JwtBearerDefaults.AuthenticationScheme
            : Credentials.SessionTokenScheme;
    }
}
