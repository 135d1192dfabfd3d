using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace OrleansSessions.Tests.Infrastructure;

public static class ProblemAssert
{
    /// <summary>Asserts an RFC 9457 problem-details response with <paramref name="status"/> and returns its body.</summary>
    public static async Task<JsonElement> IsProblemAsync(HttpResponseMessage response, HttpStatusCode status, string request)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{request}: expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.True(
            response.Content.Headers.ContentType?.MediaType == "application/problem+json",
            $"{request}: expected application/problem+json, got {response.Content.Headers.ContentType}: {body}");
        var problem = JsonSerializer.Deserialize<JsonElement>(body);
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("title").GetString()), $"{request}: problem without a title");
        return problem;
    }

    /// <summary>Asserts a 400 whose <c>errors</c> name <paramref name="field"/>.</summary>
    public static async Task NamesFieldAsync(HttpResponseMessage response, string field, string request)
    {
        var problem = await IsProblemAsync(response, HttpStatusCode.BadRequest, request);
        Assert.True(
            problem.TryGetProperty("errors", out var errors) && errors.TryGetProperty(field, out _),
            $"{request}: expected errors to name '{field}': {problem}");
    }

    public static Task<HttpResponseMessage> PostJsonTextAsync(this HttpClient client, string uri, string json)
        => client.PostAsync(uri, new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

    public static Task<T?> ReadJsonAsync<T>(this HttpResponseMessage response) => response.Content.ReadFromJsonAsync<T>();
}
