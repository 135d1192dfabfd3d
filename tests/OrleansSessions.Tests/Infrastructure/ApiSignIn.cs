using System.Net;
using System.Text.Json;
using OrleansSessions.Sessions;

namespace OrleansSessions.Tests.Infrastructure;

/// <summary>What a login service does through the API for a test: a session, bound to a user or anonymous, and its token.</summary>
public static class ApiSignIn
{
    public static async Task<(string SessionId, string Token)> SignInAsync(this HttpClient service, string? userId, string attributesJson = "{}")
    {
        var body = userId is null ? $$"""{"attributes":{{attributesJson}}}""" : $$"""{"userId":"{{userId}}","attributes":{{attributesJson}}}""";
        using var created = await service.PostJsonTextAsync("/sessions", body);
        var text = await created.Content.ReadAsStringAsync();
        Assert.True(created.StatusCode == HttpStatusCode.Created, $"setup: a session for {userId ?? "an anonymous user"}: {(int)created.StatusCode} {text}");
        var sessionId = JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!;
        return (sessionId, await service.SessionTokenAsync(sessionId));
    }

    public static async Task<string> SessionTokenAsync(this HttpClient service, string sessionId)
    {
        using var issued = await service.PostAsync($"/sessions/{sessionId}/token", null);
        var text = await issued.Content.ReadAsStringAsync();
        Assert.True(issued.StatusCode == HttpStatusCode.OK, $"setup: the token of session {SessionIds.Hash(sessionId)}: {(int)issued.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.GetProperty("token").GetString()!;
    }
}
