using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.Tokens;
using OrleansSessions.Client.Tokens;
using OrleansSessions.Sessions;
using OrleansSessions.Tests.Infrastructure;
using static OrleansSessions.Tests.Sessions.SessionTokenForgery;

namespace OrleansSessions.Tests.Sessions;

/// <summary>The token library (<see cref="SessionTokens"/>) against session grains on an in-memory TestCluster.</summary>
[Collection(MemoryClusterCollection.Name)]
public sealed class SessionTokenTests(MemoryClusterFixture cluster)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(15);
    private static readonly TimeSpan Skew = TimeSpan.FromSeconds(30);

    private readonly IClusterClient grains = cluster.Client;

    // Starts at the cluster's (fake) time, which other tests of the collection move: the tokens' clock and the session
    // grains' clock must agree for deadlines to compare.
    private readonly FakeTimeProvider clock = new(cluster.Clock.GetUtcNow());
    private readonly string key = Convert.ToBase64String(RandomKey().Key);

    private SessionTokens Tokens(string? signingKey = null, string? audience = null) => new(
        new SessionTokenOptions
        {
            Issuer = Issuer,
            Audience = audience ?? Audience,
            SigningKey = signingKey ?? key,
            Lifetime = Lifetime,
            ClockSkew = Skew,
        },
        clock);

    private ISessionGrain Session(string id) => grains.GetSessionGrain(id);

    private async Task<TestSession> NewSessionAsync(string? userId = null, TimeSpan? idleTimeout = null)
    {
        var id = SessionIds.New();
        return new(id, await Session(id).CreateAsync(NewSession(userId, idleTimeout)));
    }

    private async Task AssertRefusedAsync(SessionTokens tokens, string token, SessionTokenFailure expected, string sessionId, string what)
    {
        var result = await tokens.ValidateAsync(token, grains);
        Assert.False(result.IsValid, $"session {SessionIds.Hash(sessionId)}: {what} was accepted");
        Assert.True(result.Failure == expected, $"session {SessionIds.Hash(sessionId)}: {what} refused as {result.Failure}, expected {expected}");
    }

    [Fact]
    public async Task A_token_of_a_live_session_validates_to_its_session_user_and_expiry()
    {
        var user = NewUserId();
        var session = await NewSessionAsync(user);
        var tokens = Tokens();

        var issued = await tokens.IssueAsync(session.SessionId, grains);
        var result = await tokens.ValidateAsync(issued.Token, grains);

        Assert.True(result.IsValid, $"session {SessionIds.Hash(session.SessionId)}: refused as {result.Failure}");
        Assert.Equal(new ValidatedSessionToken(SessionIds.Hash(session.SessionId), user, issued.ExpiresAt), result.Token);
        var payload = ReadPayload(issued.Token);
        Assert.Equal(SessionIds.Hash(session.SessionId), payload.GetProperty("sid").GetString());
        Assert.Equal(user, payload.GetProperty("sub").GetString());
        Assert.Equal(session.SecurityStamp.ToString(System.Globalization.CultureInfo.InvariantCulture), payload.GetProperty("sst").GetString());
        Assert.Equal(Issuer, payload.GetProperty("iss").GetString());
        Assert.Equal(Audience, payload.GetProperty("aud").GetString());
        var header = ReadHeader(issued.Token);
        Assert.Equal("HS256", header.GetProperty("alg").GetString());
        Assert.Equal(SessionTokens.TokenType, header.GetProperty("typ").GetString());
        Assert.Equal(SessionTokenOptions.DerivedKeyId(Convert.FromBase64String(key)), header.GetProperty("kid").GetString());
    }

    [Fact]
    public async Task A_token_of_an_anonymous_session_carries_no_user()
    {
        var session = await NewSessionAsync();
        var tokens = Tokens();

        var issued = await tokens.IssueAsync(session.SessionId, grains);
        var result = await tokens.ValidateAsync(issued.Token, grains);

        Assert.True(result.IsValid, $"session {SessionIds.Hash(session.SessionId)}: refused as {result.Failure}");
        Assert.Null(result.Token.UserId);
        Assert.False(ReadPayload(issued.Token).TryGetProperty("sub", out _), $"session {SessionIds.Hash(session.SessionId)}: anonymous token has a sub");
    }

    [Fact]
    public async Task A_token_lives_the_configured_lifetime_when_the_session_lives_longer()
    {
        var session = await NewSessionAsync(idleTimeout: TimeSpan.FromHours(1));

        var issued = await Tokens().IssueAsync(session.SessionId, grains);

        var expected = DateTimeOffset.FromUnixTimeSeconds((clock.GetUtcNow() + Lifetime).ToUnixTimeSeconds());
        Assert.True(issued.ExpiresAt == expected, $"session {SessionIds.Hash(session.SessionId)}: token expires {issued.ExpiresAt:O}, expected {expected:O}");
        Assert.Equal(issued.ExpiresAt.ToUnixTimeSeconds(), ReadPayload(issued.Token).GetProperty("exp").GetInt64());
    }

    [Fact]
    public async Task A_token_names_its_session_by_the_id_hash_and_never_carries_the_id_itself()
    {
        var session = await NewSessionAsync(NewUserId());
        var issued = await Tokens().IssueAsync(session.SessionId, grains);

        var payload = System.Text.Encoding.UTF8.GetString(Base64UrlDecode(issued.Token.Split('.')[1]));
        Assert.DoesNotContain(session.SessionId, payload, StringComparison.Ordinal);
        Assert.Contains(SessionIds.Hash(session.SessionId), payload, StringComparison.Ordinal);
    }

    private static byte[] Base64UrlDecode(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(padded.PadRight(padded.Length + ((4 - (padded.Length % 4)) % 4), '='));
    }

    [Fact]
    public async Task A_token_never_outlives_its_session()
    {
        // The shortest idle timeout allowed (1 minute) is shorter than the token lifetime (15 minutes).
        var session = await NewSessionAsync(idleTimeout: TimeSpan.FromMinutes(1));
        var tokens = Tokens();

        var issued = await tokens.IssueAsync(session.SessionId, grains);
        var current = await Session(session.SessionId).PeekAsync();

        Assert.NotNull(current);
        Assert.True(issued.ExpiresAt <= current.ExpiresAt, $"session {SessionIds.Hash(session.SessionId)}: token expires {issued.ExpiresAt:O} after the session {current.ExpiresAt:O}");
        Assert.True(issued.ExpiresAt > current.ExpiresAt - TimeSpan.FromSeconds(2), $"session {SessionIds.Hash(session.SessionId)}: token expires {issued.ExpiresAt:O}, long before the session {current.ExpiresAt:O}");

        // Sub-second session deadlines round down: "exp" is in whole seconds and must not pass the deadline.
        var view = session.View with { IdleExpiresAt = clock.GetUtcNow() + TimeSpan.FromSeconds(90.7), AbsoluteExpiresAt = clock.GetUtcNow().AddDays(1) };
        var fromView = tokens.Issue(view);
        Assert.True(fromView.ExpiresAt <= view.ExpiresAt && fromView.ExpiresAt > view.ExpiresAt.AddSeconds(-1), $"session {SessionIds.Hash(session.SessionId)}: {fromView.ExpiresAt:O} vs {view.ExpiresAt:O}");
    }

    [Fact]
    public async Task A_token_is_accepted_within_the_clock_skew_and_refused_as_expired_beyond_it()
    {
        var session = await NewSessionAsync(idleTimeout: TimeSpan.FromHours(1));
        var tokens = Tokens();
        var issued = await tokens.IssueAsync(session.SessionId, grains);

        clock.SetUtcNow(issued.ExpiresAt + Skew - TimeSpan.FromSeconds(1));
        var late = await tokens.ValidateAsync(issued.Token, grains);
        Assert.True(late.IsValid, $"session {SessionIds.Hash(session.SessionId)}: refused within the clock skew as {late.Failure}");

        clock.SetUtcNow(issued.ExpiresAt + Skew + TimeSpan.FromSeconds(1));
        await AssertRefusedAsync(tokens, issued.Token, SessionTokenFailure.Expired, session.SessionId, "an expired token");
    }

    [Fact]
    public async Task A_forged_token_with_nothing_changed_validates_so_each_forgery_below_is_refused_for_its_one_difference()
    {
        var session = await NewSessionAsync(NewUserId());
        var tokens = Tokens();

        var control = Sign(tokens.SigningKey, Payload(session, clock.GetUtcNow(), Lifetime));

        var result = await tokens.ValidateAsync(control, grains);
        Assert.True(result.IsValid, $"session {SessionIds.Hash(session.SessionId)}: control token refused as {result.Failure}");
    }

    [Fact]
    public async Task An_unsigned_alg_none_token_is_refused()
    {
        var session = await NewSessionAsync(NewUserId());
        var tokens = Tokens();

        await AssertRefusedAsync(tokens, Unsigned(Payload(session, clock.GetUtcNow(), Lifetime)), SessionTokenFailure.BadSignature, session.SessionId, "alg none");
    }

    [Fact]
    public async Task A_token_signed_with_another_key_is_refused()
    {
        var session = await NewSessionAsync(NewUserId());
        var tokens = Tokens();
        var otherKey = Convert.ToBase64String(RandomKey().Key);

        var fromOtherIssuer = await Tokens(signingKey: otherKey).IssueAsync(session.SessionId, grains);
        var forged = Sign(RandomKey(), Payload(session, clock.GetUtcNow(), Lifetime));

        await AssertRefusedAsync(tokens, fromOtherIssuer.Token, SessionTokenFailure.BadSignature, session.SessionId, "a token of another key");
        await AssertRefusedAsync(tokens, forged, SessionTokenFailure.BadSignature, session.SessionId, "a forged token of another key");
        await AssertRefusedAsync(tokens, Sign(WithKeyId(RandomKey(), tokens.SigningKey.KeyId), Payload(session, clock.GetUtcNow(), Lifetime)),
            SessionTokenFailure.BadSignature, session.SessionId, "a token of another key under the right key id");
    }

    [Fact]
    public async Task A_token_naming_no_key_of_the_ring_is_refused_even_when_one_of_its_keys_signed_it()
    {
        // Validation picks the key by kid; it never tries every key, so these fail although the MAC is right.
        var session = await NewSessionAsync(NewUserId());
        var tokens = Tokens();
        var payload = Payload(session, clock.GetUtcNow(), Lifetime);

        await AssertRefusedAsync(tokens, Sign(WithKeyId(tokens.SigningKey, "unknown"), payload), SessionTokenFailure.BadSignature, session.SessionId, "a token naming an unknown key");
        await AssertRefusedAsync(tokens, Sign(WithKeyId(tokens.SigningKey, keyId: null), payload), SessionTokenFailure.BadSignature, session.SessionId, "a token naming no key");
    }

    [Fact]
    public async Task A_token_of_another_type_signed_with_the_right_key_is_refused()
    {
        // Token confusion: a plain JWT (an access token, say) made with the same key must not pass for a session token.
        var session = await NewSessionAsync(NewUserId());
        var tokens = Tokens();
        var payload = Payload(session, clock.GetUtcNow(), Lifetime);
        var plain = Header(tokens.SigningKey);
        plain["typ"] = "JWT";
        var shouting = Header(tokens.SigningKey);
        shouting["typ"] = SessionTokens.TokenType.ToUpperInvariant();
        var untyped = Header(tokens.SigningKey);
        untyped.Remove("typ");

        await AssertRefusedAsync(tokens, Sign(tokens.SigningKey, payload, header: plain), SessionTokenFailure.WrongType, session.SessionId, "a plain JWT");
        await AssertRefusedAsync(tokens, Sign(tokens.SigningKey, payload, header: shouting), SessionTokenFailure.WrongType, session.SessionId, "a token of another spelling of the type");
        await AssertRefusedAsync(tokens, Sign(tokens.SigningKey, payload, header: untyped), SessionTokenFailure.WrongType, session.SessionId, "a token without typ");
    }

    [Fact]
    public async Task Only_a_token_whose_header_says_session_jwt_is_taken_for_a_session_token_without_checking_it()
    {
        var session = await NewSessionAsync(NewUserId());
        var tokens = Tokens();
        var issued = await tokens.IssueAsync(session.SessionId, grains);
        var payload = Payload(session, clock.GetUtcNow(), Lifetime);
        var plain = Header(tokens.SigningKey);
        plain["typ"] = "JWT";
        var typeNotFirst = new JsonObject { ["kid"] = new JsonArray(1, new JsonObject { ["typ"] = "JWT" }), ["alg"] = "HS256", ["typ"] = SessionTokens.TokenType };
        var longHeader = Header(tokens.SigningKey);
        longHeader["pad"] = new string('x', 600);

        Assert.True(SessionTokens.IsSessionToken(issued.Token), $"session {SessionIds.Hash(session.SessionId)}: an issued token is not taken for a session token");
        Assert.True(SessionTokens.IsSessionToken(Sign(RandomKey(), payload, header: typeNotFirst)), "typ after other members (one nested) is not found");
        foreach (var (what, token) in new[]
        {
            ("a plain JWT", Sign(tokens.SigningKey, payload, header: plain)),
            ("a header over 512 characters", Sign(tokens.SigningKey, payload, header: longHeader)),
            ("a header that is a JSON array", HeaderOnly("[\"typ\",\"session+jwt\"]")),
            ("a header with a second typ", HeaderOnly("{\"typ\":\"session+jwt\",\"typ\":\"JWT\"}")),
            ("a header that is not JSON", HeaderOnly("{\"typ\":\"session+jwt\"")),
            ("a header that is not base64url", "*.e30."),
            ("no header", ".e30."),
            ("not a token", "not a token"),
        })
        {
            Assert.False(SessionTokens.IsSessionToken(token), $"{what} is taken for a session token");
        }

        static string HeaderOnly(string json) => $"{Base64UrlEncoder.Encode(json)}.e30.";
    }

    [Fact]
    public async Task A_correctly_signed_token_living_longer_than_the_configured_lifetime_or_without_iat_is_refused()
    {
        // What a leaked key or an older, longer Tokens:Lifetime would produce; the control forgery above lives exactly Lifetime.
        var session = await NewSessionAsync(NewUserId());
        var tokens = Tokens();
        var now = clock.GetUtcNow();
        var tooLong = Payload(session, now, Lifetime + Skew + TimeSpan.FromSeconds(1));
        var issuedLongAgo = Payload(session, now - TimeSpan.FromHours(1), Lifetime + TimeSpan.FromHours(1) - TimeSpan.FromMinutes(1));
        var issuedLater = Payload(session, now + TimeSpan.FromHours(1), Lifetime);
        issuedLater.Remove("nbf");
        var noIssuedAt = Payload(session, now, Lifetime);
        noIssuedAt.Remove("iat");
        var longerConfig = new SessionTokens(new SessionTokenOptions { SigningKey = key, Lifetime = TimeSpan.FromHours(1) }, clock);

        await AssertRefusedAsync(tokens, Sign(tokens.SigningKey, tooLong), SessionTokenFailure.LifetimeTooLong, session.SessionId, "a token living longer than Lifetime + skew");
        await AssertRefusedAsync(tokens, Sign(tokens.SigningKey, issuedLongAgo), SessionTokenFailure.LifetimeTooLong, session.SessionId, "a token issued an hour ago for an hour");
        await AssertRefusedAsync(tokens, Sign(tokens.SigningKey, issuedLater), SessionTokenFailure.LifetimeTooLong, session.SessionId, "a token expiring an hour after now plus Lifetime");
        await AssertRefusedAsync(tokens, Sign(tokens.SigningKey, noIssuedAt), SessionTokenFailure.LifetimeTooLong, session.SessionId, "a token without iat");
        await AssertRefusedAsync(tokens, (await longerConfig.IssueAsync(session.SessionId, grains)).Token, SessionTokenFailure.LifetimeTooLong, session.SessionId,
            "a token of a host configured with a longer Lifetime");
        var withinSkew = await tokens.ValidateAsync(Sign(tokens.SigningKey, Payload(session, now, Lifetime + Skew)), grains);
        Assert.True(withinSkew.IsValid, $"session {SessionIds.Hash(session.SessionId)}: a token living Lifetime + skew refused as {withinSkew.Failure}");
    }

    [Fact]
    public async Task A_token_signed_with_the_right_key_but_not_HS256_is_refused()
    {
        var session = await NewSessionAsync(NewUserId());

        // A 64-byte key, long enough for HS384 and HS512 too: only the algorithm differs.
        var tokens = Tokens(signingKey: Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(64)));
        var payload = Payload(session, clock.GetUtcNow(), Lifetime);

        await AssertRefusedAsync(tokens, Sign(tokens.SigningKey, payload, SecurityAlgorithms.HmacSha384), SessionTokenFailure.BadSignature, session.SessionId, "an HS384 token");
        await AssertRefusedAsync(tokens, Sign(tokens.SigningKey, payload, SecurityAlgorithms.HmacSha512), SessionTokenFailure.BadSignature, session.SessionId, "an HS512 token");
        Assert.True((await tokens.ValidateAsync(Sign(tokens.SigningKey, payload), grains)).IsValid, $"session {SessionIds.Hash(session.SessionId)}: the HS256 control was refused");
    }

    [Fact]
    public async Task A_token_whose_payload_was_changed_after_signing_is_refused()
    {
        var session = await NewSessionAsync(NewUserId());
        var tokens = Tokens();
        var issued = await tokens.IssueAsync(session.SessionId, grains);

        var longer = Tamper(issued.Token, p => p["exp"] = clock.GetUtcNow().AddDays(30).ToUnixTimeSeconds());
        var otherUser = Tamper(issued.Token, p => p["sub"] = NewUserId());

        await AssertRefusedAsync(tokens, longer, SessionTokenFailure.BadSignature, session.SessionId, "a token with a later exp");
        await AssertRefusedAsync(tokens, otherUser, SessionTokenFailure.BadSignature, session.SessionId, "a token with another sub");
    }

    [Fact]
    public async Task A_token_for_another_audience_or_issuer_is_refused()
    {
        var session = await NewSessionAsync(NewUserId());
        var tokens = Tokens();
        var otherAudience = Payload(session, clock.GetUtcNow(), Lifetime);
        otherAudience["aud"] = "billing";
        var otherIssuer = Payload(session, clock.GetUtcNow(), Lifetime);
        otherIssuer["iss"] = "someone-else";

        var issuedForBilling = await Tokens(audience: "billing").IssueAsync(session.SessionId, grains);

        await AssertRefusedAsync(tokens, issuedForBilling.Token, SessionTokenFailure.WrongAudience, session.SessionId, "a token issued for another audience");
        await AssertRefusedAsync(tokens, Sign(tokens.SigningKey, otherAudience), SessionTokenFailure.WrongAudience, session.SessionId, "a token for another audience");
        await AssertRefusedAsync(tokens, Sign(tokens.SigningKey, otherIssuer), SessionTokenFailure.WrongIssuer, session.SessionId, "a token of another issuer");
    }

    [Fact]
    public async Task A_signed_token_without_expiry_or_without_session_claims_is_refused()
    {
        var session = await NewSessionAsync(NewUserId());
        var tokens = Tokens();
        var noExpiry = Payload(session, clock.GetUtcNow(), Lifetime);
        noExpiry.Remove("exp");
        var noSession = Payload(session, clock.GetUtcNow(), Lifetime);
        noSession.Remove("sid");
        var numericStamp = Payload(session, clock.GetUtcNow(), Lifetime);
        numericStamp["sst"] = JsonValue.Create(session.SecurityStamp + 0.5);

        await AssertRefusedAsync(tokens, Sign(tokens.SigningKey, noExpiry), SessionTokenFailure.Expired, session.SessionId, "a token without exp");
        await AssertRefusedAsync(tokens, Sign(tokens.SigningKey, noSession), SessionTokenFailure.Malformed, session.SessionId, "a token without sid");
        await AssertRefusedAsync(tokens, Sign(tokens.SigningKey, numericStamp), SessionTokenFailure.Malformed, session.SessionId, "a token with a non-integer sst");
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a token")]
    [InlineData("a.b.c")]
    [InlineData("eyJhbGciOiJIUzI1NiJ9.e30.")]
    public async Task Garbage_is_refused(string token)
    {
        var result = await Tokens().ValidateAsync(token, grains);
        Assert.False(result.IsValid, $"'{token}' was accepted");
        Assert.NotEqual(SessionTokenFailure.None, result.Failure);
    }

    [Fact]
    public async Task A_token_whose_stamp_or_user_no_longer_matches_its_session_is_revoked()
    {
        var session = await NewSessionAsync(NewUserId());
        var tokens = Tokens();
        var olderStamp = Payload(session, clock.GetUtcNow(), Lifetime);
        olderStamp["sst"] = (session.SecurityStamp - 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var otherUser = Payload(session, clock.GetUtcNow(), Lifetime);
        otherUser["sub"] = NewUserId();
        var noUser = Payload(session, clock.GetUtcNow(), Lifetime);
        noUser.Remove("sub");

        await AssertRefusedAsync(tokens, Sign(tokens.SigningKey, olderStamp), SessionTokenFailure.Revoked, session.SessionId, "a token of an older stamp");
        await AssertRefusedAsync(tokens, Sign(tokens.SigningKey, otherUser), SessionTokenFailure.Revoked, session.SessionId, "a token of another user");
        await AssertRefusedAsync(tokens, Sign(tokens.SigningKey, noUser), SessionTokenFailure.Revoked, session.SessionId, "an anonymous token of a bound session");
    }

    [Fact]
    public async Task Rotating_the_session_revokes_an_outstanding_token_at_once()
    {
        var session = await NewSessionAsync(NewUserId());
        var tokens = Tokens();
        var issued = await tokens.IssueAsync(session.SessionId, grains);

        var rotated = await Session(session.SessionId).RotateAsync();

        await AssertRefusedAsync(tokens, issued.Token, SessionTokenFailure.SessionEnded, session.SessionId, "a token of the id before rotation");
        var fresh = await tokens.ValidateAsync((await tokens.IssueAsync(rotated.SessionId, grains)).Token, grains);
        Assert.True(fresh.IsValid, $"session {SessionIds.Hash(rotated.SessionId)}: a token of the rotated id refused as {fresh.Failure}");
    }

    [Fact]
    public async Task Binding_a_user_to_an_anonymous_session_revokes_its_anonymous_token()
    {
        var session = await NewSessionAsync();
        var tokens = Tokens();
        var issued = await tokens.IssueAsync(session.SessionId, grains);

        await Session(session.SessionId).BindUserAsync(NewUserId());

        await AssertRefusedAsync(tokens, issued.Token, SessionTokenFailure.SessionEnded, session.SessionId, "an anonymous token after login");
    }

    [Fact]
    public async Task Invalidating_the_session_revokes_an_outstanding_token_at_once()
    {
        var session = await NewSessionAsync(NewUserId());
        var tokens = Tokens();
        var issued = await tokens.IssueAsync(session.SessionId, grains);

        Assert.True(await Session(session.SessionId).InvalidateAsync(SessionEndReason.Invalidated), $"session {SessionIds.Hash(session.SessionId)} was not live");

        await AssertRefusedAsync(tokens, issued.Token, SessionTokenFailure.SessionEnded, session.SessionId, "a token of an invalidated session");
    }

    [Fact]
    public async Task Logging_the_user_out_everywhere_revokes_the_tokens_of_all_their_sessions_at_once()
    {
        var user = NewUserId();
        var first = await NewSessionAsync(user);
        var second = await NewSessionAsync(user);
        var tokens = Tokens();
        var firstToken = await tokens.IssueAsync(first.SessionId, grains);
        var secondToken = await tokens.IssueAsync(second.SessionId, grains);

        Assert.Equal(2, await grains.LogoutEverywhereAsync(user));

        await AssertRefusedAsync(tokens, firstToken.Token, SessionTokenFailure.SessionEnded, first.SessionId, "a token after logout everywhere");
        await AssertRefusedAsync(tokens, secondToken.Token, SessionTokenFailure.SessionEnded, second.SessionId, "a token after logout everywhere");
    }

    [Fact]
    public async Task Writing_attributes_does_not_revoke_the_token()
    {
        var session = await NewSessionAsync(NewUserId());
        var tokens = Tokens();
        var issued = await tokens.IssueAsync(session.SessionId, grains);

        await Session(session.SessionId).SetAttributeAsync("theme", "\"dark\"", expectedVersion: null);

        var result = await tokens.ValidateAsync(issued.Token, grains);
        Assert.True(result.IsValid, $"session {SessionIds.Hash(session.SessionId)}: refused after an attribute write as {result.Failure}");
    }

    [Fact]
    public async Task No_token_is_issued_for_an_unknown_ended_or_malformed_session_id()
    {
        var tokens = Tokens();
        var ended = await NewSessionAsync();
        await Session(ended.SessionId).InvalidateAsync(SessionEndReason.Invalidated);

        await Assert.ThrowsAsync<SessionNotFoundException>(() => tokens.IssueAsync(SessionIds.New(), grains));
        await Assert.ThrowsAsync<SessionNotFoundException>(() => tokens.IssueAsync(ended.SessionId, grains));
        await Assert.ThrowsAsync<SessionNotFoundException>(() => tokens.IssueAsync("not-a-session-id", grains));
    }

    [Fact]
    public async Task Without_a_configured_key_each_instance_makes_its_own_key_and_warns_once()
    {
        var session = await NewSessionAsync();
        var firstLog = new CapturedLog();
        var secondLog = new CapturedLog();
        var options = new SessionTokenOptions();
        var first = new SessionTokens(options, clock, firstLog.CreateLogger<SessionTokens>());
        var second = new SessionTokens(options, clock, secondLog.CreateLogger<SessionTokens>());

        var issued = await first.IssueAsync(session.SessionId, grains);

        Assert.True((await first.ValidateAsync(issued.Token, grains)).IsValid, $"session {SessionIds.Hash(session.SessionId)}: refused by its issuer");
        await AssertRefusedAsync(second, issued.Token, SessionTokenFailure.BadSignature, session.SessionId, "a token of another ephemeral key");
        var warning = Assert.Single(firstLog.Entries, e => e.Level == LogLevel.Warning);
        Assert.Contains("ephemeral", warning.Message, StringComparison.Ordinal);
        Assert.Single(secondLog.Entries, e => e.Level == LogLevel.Warning);
    }

    [Theory]
    [InlineData("c2hvcnQ=", "too short")]
    [InlineData("this is not base64 at all, even if it is long enough to be a key", "not base64")]
    public void A_key_that_is_too_short_or_not_base64_is_refused_without_echoing_it(string signingKey, string what)
    {
        var thrown = Assert.Throws<ArgumentException>(() => new SessionTokens(new SessionTokenOptions { SigningKey = signingKey }));
        Assert.True(thrown.Message.Contains("SigningKey", StringComparison.Ordinal), $"{what}: the error does not name the setting: {thrown.Message}");
        Assert.False(thrown.Message.Contains(signingKey, StringComparison.Ordinal), $"{what}: the error echoes the key");

        using var services = new ServiceCollection()
            .AddLogging()
            .AddOrleansSessionTokens(new ConfigurationBuilder().AddInMemoryCollection([new("Tokens:SigningKey", signingKey)]).Build())
            .BuildServiceProvider();
        Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<SessionTokens>());
    }

    [Fact]
    public async Task The_DI_registration_reads_the_Tokens_section_so_services_sharing_it_accept_each_others_tokens()
    {
        var session = await NewSessionAsync(NewUserId());
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(
        [
            new("Tokens:Issuer", Issuer),
            new("Tokens:Audience", Audience),
            new("Tokens:SigningKey", key),
            new("Tokens:Lifetime", "00:05:00"),
        ]).Build();
        await using var services = new ServiceCollection().AddLogging().AddOrleansSessionTokens(configuration).BuildServiceProvider();
        await using var otherService = new ServiceCollection().AddLogging().AddOrleansSessionTokens(configuration).BuildServiceProvider();
        var registered = services.GetRequiredService<SessionTokens>();

        var issued = await registered.IssueAsync(session.SessionId, grains);

        Assert.Same(registered, services.GetRequiredService<SessionTokens>());
        var validated = await otherService.GetRequiredService<SessionTokens>().ValidateAsync(issued.Token, grains);
        Assert.True(validated.IsValid, $"session {SessionIds.Hash(session.SessionId)}: refused by another service with the same Tokens section ({validated.Failure})");
        Assert.True(issued.ExpiresAt <= DateTimeOffset.UtcNow.AddMinutes(5), $"session {SessionIds.Hash(session.SessionId)}: Tokens:Lifetime not applied ({issued.ExpiresAt:O})");
    }

    [Fact]
    public async Task Rotating_the_signing_key_keeps_outstanding_tokens_valid_until_their_key_is_removed()
    {
        // The procedure of the README, one SessionTokens per step as a host restarted with that step's configuration.
        var session = await NewSessionAsync(NewUserId());
        var (keyA, keyB) = (Convert.ToBase64String(RandomKey().Key), Convert.ToBase64String(RandomKey().Key));
        var onlyA = new SessionTokens(Ring(null, ("a", keyA)), clock);
        var bAdded = new SessionTokens(Ring("a", ("a", keyA), ("b", keyB)), clock);
        var bActive = new SessionTokens(Ring("b", ("a", keyA), ("b", keyB)), clock);
        var onlyB = new SessionTokens(Ring(null, ("b", keyB)), clock);
        var fromA = (await onlyA.IssueAsync(session.SessionId, grains)).Token;
        var fromB = (await bActive.IssueAsync(session.SessionId, grains)).Token;

        Assert.Equal("a", ReadHeader(fromA).GetProperty("kid").GetString());
        Assert.Equal("b", ReadHeader(fromB).GetProperty("kid").GetString());
        Assert.Equal("a", ReadHeader((await bAdded.IssueAsync(session.SessionId, grains)).Token).GetProperty("kid").GetString());
        foreach (var (step, tokens, token) in new[]
        {
            ("B added", bAdded, fromA), ("B added", bAdded, fromB),
            ("B active", bActive, fromA), ("B active", bActive, fromB),
            ("A removed", onlyB, fromB),
        })
        {
            var result = await tokens.ValidateAsync(token, grains);
            Assert.True(result.IsValid, $"session {SessionIds.Hash(session.SessionId)}: step '{step}' refused a token of key {ReadHeader(token).GetProperty("kid")} as {result.Failure}");
        }

        await AssertRefusedAsync(onlyB, fromA, SessionTokenFailure.BadSignature, session.SessionId, "a token of the removed key A");
        await AssertRefusedAsync(onlyA, fromB, SessionTokenFailure.BadSignature, session.SessionId, "a token of B where B was never added");
    }

    [Fact]
    public async Task The_single_SigningKey_has_a_stable_key_id_and_moves_to_the_ring_without_refusing_its_tokens()
    {
        var session = await NewSessionAsync(NewUserId());
        var keyB = Convert.ToBase64String(RandomKey().Key);
        var legacy = Tokens();
        var fromLegacy = (await legacy.IssueAsync(session.SessionId, grains)).Token;

        // Step 1 adds B beside the unchanged SigningKey, which keeps signing while ActiveKeyId is unset.
        var bAdded = Ring(null, ("b", keyB));
        bAdded.SigningKey = key;
        var bActive = Ring("b", ("b", keyB));
        bActive.SigningKey = key;
        var afterStep1 = new SessionTokens(bAdded, clock);
        var afterStep2 = new SessionTokens(bActive, clock);

        Assert.Equal(ReadHeader(fromLegacy).GetProperty("kid").GetString(), ReadHeader((await afterStep1.IssueAsync(session.SessionId, grains)).Token).GetProperty("kid").GetString());
        Assert.True((await Tokens().ValidateAsync(fromLegacy, grains)).IsValid, $"session {SessionIds.Hash(session.SessionId)}: another host with the same SigningKey refused its token");
        Assert.True((await afterStep1.ValidateAsync(fromLegacy, grains)).IsValid, $"session {SessionIds.Hash(session.SessionId)}: SigningKey + B refused a SigningKey token");
        Assert.True((await afterStep2.ValidateAsync(fromLegacy, grains)).IsValid, $"session {SessionIds.Hash(session.SessionId)}: B active refused a SigningKey token");
        var fromB = (await afterStep2.IssueAsync(session.SessionId, grains)).Token;
        Assert.True((await afterStep1.ValidateAsync(fromB, grains)).IsValid, $"session {SessionIds.Hash(session.SessionId)}: SigningKey + B refused a token of B");
        await AssertRefusedAsync(new SessionTokens(Ring(null, ("b", keyB)), clock), fromLegacy, SessionTokenFailure.BadSignature, session.SessionId, "a SigningKey token after SigningKey was removed");
    }

    [Fact]
    public async Task A_reloaded_Tokens_section_adds_activates_and_removes_keys_without_a_restart_and_a_bad_one_changes_nothing()
    {
        var session = await NewSessionAsync(NewUserId());
        var (keyA, keyB) = (Convert.ToBase64String(RandomKey().Key), Convert.ToBase64String(RandomKey().Key));
        var configuration = new ReloadableConfiguration(Settings(("a", keyA)));
        var log = new CapturedLog();
        await using var services = new ServiceCollection()
            .AddSingleton<TimeProvider>(clock)
            .AddSingleton(log.CreateLogger<SessionTokens>())
            .AddOrleansSessionTokens(new ConfigurationBuilder().Add(configuration).Build())
            .BuildServiceProvider();
        foreach (var hosted in services.GetServices<IHostedService>())
        {
            await hosted.StartAsync(CancellationToken.None);
        }

        var tokens = services.GetRequiredService<SessionTokens>();
        var fromA = (await tokens.IssueAsync(session.SessionId, grains)).Token;

        configuration.Replace(Settings(("a", keyA), ("b", keyB)).Append(new("Tokens:ActiveKeyId", "b")));
        var fromB = (await tokens.IssueAsync(session.SessionId, grains)).Token;
        Assert.Equal("b", ReadHeader(fromB).GetProperty("kid").GetString());
        Assert.True((await tokens.ValidateAsync(fromA, grains)).IsValid, $"session {SessionIds.Hash(session.SessionId)}: a token of A refused once B was made active");

        configuration.Replace(Settings(("b", keyB)));
        await AssertRefusedAsync(tokens, fromA, SessionTokenFailure.BadSignature, session.SessionId, "a token of A after A was removed by a reload");

        configuration.Replace(Settings(("b", keyB)).Append(new("Tokens:ActiveKeyId", "c")));
        configuration.Replace(Settings(("b", keyB)).Append(new("Tokens:Lifetime", "soon")));
        configuration.Replace([]);
        Assert.True((await tokens.ValidateAsync(fromB, grains)).IsValid, $"session {SessionIds.Hash(session.SessionId)}: a bad reload changed the keys");
        Assert.Equal("b", ReadHeader((await tokens.IssueAsync(session.SessionId, grains)).Token).GetProperty("kid").GetString());

        var errors = log.Entries.Where(e => e.Level == LogLevel.Error).Select(e => e.Message).ToList();
        Assert.True(
            errors.Count == 3 && errors[0].Contains("Tokens:ActiveKeyId", StringComparison.Ordinal) && errors[1].Contains("Tokens:Lifetime", StringComparison.Ordinal),
            $"expected three refused reloads, naming ActiveKeyId, Lifetime, and that no key is left: {string.Join(" | ", errors)}");
        Assert.Equal(
            [
                "Session tokens are signed with key a and validated with keys a.",
                "Session tokens are signed with key b and validated with keys a, b.",
                "Session tokens are signed with key b and validated with keys b.",
            ],
            log.Entries.Where(e => e.Level == LogLevel.Information).Select(e => e.Message));
        Assert.DoesNotContain(log.Entries, e => e.Message.Contains(keyA, StringComparison.Ordinal) || e.Message.Contains(keyB, StringComparison.Ordinal));
    }

    /// <summary>Valid 32-byte keys (base64), written where they must never show up again.</summary>
    private const string KeyOne = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY=";
    private const string KeyTwo = "Z2hpamtsbW5vcHFyc3R1dnd4eXowMTIzNDU2Nzg5QUI=";

    [Theory]
    [InlineData("an active key id naming no key", "Tokens:ActiveKeyId", "Tokens:SigningKeys:a|" + KeyOne, "Tokens:ActiveKeyId|b")]
    [InlineData("an active key id without any key", "Tokens:ActiveKeyId", "Tokens:ActiveKeyId|a")]
    [InlineData("a short key in the ring", "Tokens:SigningKeys:a", "Tokens:SigningKeys:a|c2hvcnQ=")]
    [InlineData("a key pasted where its id belongs", "Tokens:SigningKeys", "Tokens:SigningKeys:" + KeyOne + "|" + KeyTwo)]
    [InlineData("an upper-case key id", "Tokens:SigningKeys", "Tokens:SigningKeys:A|" + KeyOne)]
    [InlineData("several keys, none said active", "Tokens:ActiveKeyId", "Tokens:SigningKeys:a|" + KeyOne, "Tokens:SigningKeys:b|" + KeyTwo)]
    public void A_key_ring_that_cannot_work_is_refused_at_start_naming_the_setting_and_never_a_key(string what, string setting, params string[] settings)
    {
        // Each setting is "key|value": '=' is part of base64.
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => s.Split('|', 2)).Select(kv => new KeyValuePair<string, string?>(kv[0], kv[1])))
            .Build();

        var thrown = Assert.Throws<ArgumentException>(() => new SessionTokens(configuration.GetSection("Tokens").Get<SessionTokenOptions>()!));
        Assert.True(thrown.Message.Contains(setting, StringComparison.Ordinal), $"{what}: the error does not name {setting}: {thrown.Message}");
        Assert.False(thrown.Message.Contains(KeyOne, StringComparison.Ordinal) || thrown.Message.Contains(KeyTwo, StringComparison.Ordinal), $"{what}: the error echoes a key: {thrown.Message}");

        using var services = new ServiceCollection().AddLogging().AddOrleansSessionTokens(configuration).BuildServiceProvider();
        var invalid = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<SessionTokens>());
        Assert.Contains(string.Join(" ", invalid.Failures), thrown.Message, StringComparison.Ordinal);
    }

    private static SessionTokenOptions Ring(string? activeKeyId, params (string Id, string Key)[] keys)
    {
        var options = new SessionTokenOptions { Issuer = Issuer, Audience = Audience, Lifetime = Lifetime, ClockSkew = Skew, ActiveKeyId = activeKeyId };
        foreach (var (id, key) in keys)
        {
            options.SigningKeys[id] = key;
        }

        return options;
    }

    private static IEnumerable<KeyValuePair<string, string?>> Settings(params (string Id, string Key)[] keys)
        => keys.Select(k => new KeyValuePair<string, string?>($"Tokens:SigningKeys:{k.Id}", k.Key));

    /// <summary>A configuration source whose whole content a test replaces, raising the reload a file change would.</summary>
    private sealed class ReloadableConfiguration(IEnumerable<KeyValuePair<string, string?>> settings) : ConfigurationProvider, IConfigurationSource
    {
        public override void Load() => Replace(settings, reload: false);

        public IConfigurationProvider Build(IConfigurationBuilder builder) => this;

        public void Replace(IEnumerable<KeyValuePair<string, string?>> replacement, bool reload = true)
        {
            Data = new Dictionary<string, string?>(replacement, StringComparer.OrdinalIgnoreCase);
            if (reload)
            {
                OnReload();
            }
        }
    }
}
