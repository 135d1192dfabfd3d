using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using OrleansSessions.ApiHost.Sessions;
using OrleansSessions.Tests.Infrastructure;

namespace OrleansSessions.Tests.Api;

/// <summary>
/// The classes of hostile input that once produced 500s or a broken session, one by one: each is a 4xx problem, and
/// the session it aimed at is unchanged and still readable. (The fuzz test covers the same classes at random.)
/// </summary>
[Collection(EmbeddedApiCollection.Name)]
public sealed class HostileInputTests(EmbeddedApiFixture api)
{
    private readonly HttpClient http = api.Client;

    private async Task<(string Id, string Body)> CreateAsync()
    {
        var response = await http.PostAsync("/sessions", Json("{\"attributes\":{\"keep\":{\"n\":1}}}"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var session = (await response.Content.ReadFromJsonAsync<SessionResponse>())!;
        return (session.Id, await ReadAttributesAsync(session.Id));
    }

    private async Task<string> ReadAttributesAsync(string id)
    {
        var response = await http.GetAsync($"/sessions/{id}");
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"session {id[..6]}…: unreadable ({(int)response.StatusCode}): {await response.Content.ReadAsStringAsync()}");
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        return $"{body.GetProperty("version")}:{body.GetProperty("attributes").GetRawText()}";
    }

    private static ByteArrayContent Json(string json, string contentType = "application/json") => Raw(Encoding.UTF8.GetBytes(json), contentType);

    private static ByteArrayContent Raw(byte[] body, string? contentType = "application/json")
    {
        var content = new ByteArrayContent(body);
        if (contentType is not null)
        {
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        return content;
    }

    public static TheoryData<string, byte[]> HostileValues()
    {
        var data = new TheoryData<string, byte[]>
        {
            { "invalid UTF-8 inside a string", [(byte)'"', 0xC3, 0x28, (byte)'"'] },
            { "a lone continuation byte", [(byte)'{', (byte)'"', 0x80, (byte)'"', (byte)':', (byte)'1', (byte)'}'] },
            { "unpaired high surrogate escape", Encoding.ASCII.GetBytes("\"\\ud800\"") },
            { "unpaired low surrogate escape in a name", Encoding.ASCII.GetBytes("{\"\\udc00\":1}") },
            { "duplicate names", Encoding.ASCII.GetBytes("{\"a\":1,\"a\":1}") },
            { "nested 33 levels", Encoding.ASCII.GetBytes(new string('[', 33) + new string(']', 33)) },
            { "nested 63 levels", Encoding.ASCII.GetBytes(new string('[', 63) + new string(']', 63)) },
            { "nested 65 levels", Encoding.ASCII.GetBytes(new string('{', 0) + new string('[', 65) + new string(']', 65)) },
        };
        return data;
    }

    [Theory]
    [MemberData(nameof(HostileValues))]
    public async Task A_hostile_value_is_400_in_put_patch_and_create_and_the_session_is_unchanged(string why, byte[] value)
    {
        var (id, before) = await CreateAsync();

        var put = await http.PutAsync($"/sessions/{id}/attributes/v", Raw(value));
        await ProblemAssert.IsProblemAsync(put, HttpStatusCode.BadRequest, $"PUT {why}");

        var patch = await http.PatchAsync($"/sessions/{id}", Raw([.. "{\"v\":"u8, .. value, .. "}"u8], "application/merge-patch+json"));
        await ProblemAssert.IsProblemAsync(patch, HttpStatusCode.BadRequest, $"PATCH {why}");

        var create = await http.PostAsync("/sessions", Raw([.. "{\"attributes\":{\"v\":"u8, .. value, .. "}}"u8]));
        await ProblemAssert.IsProblemAsync(create, HttpStatusCode.BadRequest, $"create with {why}");

        Assert.Equal(before, await ReadAttributesAsync(id));
    }

    [Fact]
    public async Task The_deepest_accepted_value_reads_back_byte_equal()
    {
        var (id, _) = await CreateAsync();
        var deep = "{\"a\":" + new string('[', 31) + "\"\\u00e9\"" + new string(']', 31) + "}";

        var put = await http.PutAsync($"/sessions/{id}/attributes/deep", Json(deep));
        var written = JsonDocument.Parse(await put.Content.ReadAsStringAsync()).RootElement.GetProperty("attributes").GetProperty("deep").GetRawText();
        var read = JsonDocument.Parse(await http.GetStringAsync($"/sessions/{id}")).RootElement.GetProperty("attributes").GetProperty("deep").GetRawText();

        Assert.True(put.StatusCode == HttpStatusCode.OK, $"session {id[..6]}…: 32 levels refused: {(int)put.StatusCode}");
        Assert.Equal(written, read);
        Assert.True(JsonElement.DeepEquals(JsonDocument.Parse(deep).RootElement, JsonDocument.Parse(read).RootElement), $"session {id[..6]}…: read back {read}");
    }

    [Theory]
    [InlineData("application/json; charset=foo", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("application/json; charset=\"foo\"", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("application/json; charset=utf-16", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("application/json; charset=latin1", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("application/json; charset=", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("text/plain", HttpStatusCode.UnsupportedMediaType)]
    [InlineData(null, HttpStatusCode.UnsupportedMediaType)]
    [InlineData("application/json; charset=\"utf-8\"", HttpStatusCode.OK)]
    [InlineData("application/json; charset=UTF-8", HttpStatusCode.OK)]
    [InlineData("application/json", HttpStatusCode.OK)]
    public async Task Only_utf8_json_is_taken_and_every_other_charset_or_type_is_415(string? contentType, HttpStatusCode expected)
    {
        var (id, before) = await CreateAsync();

        var response = await http.PutAsync($"/sessions/{id}/attributes/v", Raw("1"u8.ToArray(), contentType));

        if (expected == HttpStatusCode.OK)
        {
            Assert.True(response.StatusCode == expected, $"{contentType}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
        else
        {
            await ProblemAssert.IsProblemAsync(response, expected, $"Content-Type {contentType}");
            Assert.Equal(before, await ReadAttributesAsync(id));
        }
    }

    [Theory]
    [InlineData("/sessions", "{\"idleTimeoutSeconds\":\"60\"}", "idleTimeoutSeconds")]
    [InlineData("/sessions", "{\"idleTimeout\":60}", "idleTimeout")]
    [InlineData("/sessions", "{\"idleTimeoutSeconds\":59}", "idleTimeoutSeconds")]
    [InlineData("/sessions", "{\"idleTimeoutSeconds\":1e99}", "idleTimeoutSeconds")]
    [InlineData("/sessions", "{\"userId\":\"alice\\n\"}", "userId")]
    [InlineData("/sessions", "{\"attributes\":{\"..\":1}}", "attributes")]
    [InlineData("/sessions", "[]", "body")]
    [InlineData("/sessions", "null", "body")]
    [InlineData("/users/c1/cart/items", "{\"sku\":\"A\",\"quantity\":\"2\"}", "quantity")]
    [InlineData("/users/c1/cart/items", "{\"sku\":\"A\\n\",\"quantity\":2}", "sku")]
    [InlineData("/tokens/validate", "{}", "token")]
    public async Task Client_mistakes_are_400_naming_the_requests_own_field_in_our_words(string path, string body, string field)
    {
        var response = await http.PostAsync(path, Json(body));
        await ProblemAssert.NamesFieldAsync(response, field, $"POST {path} {body}");
        var text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("System.", text, StringComparison.Ordinal);
        Assert.DoesNotContain("could not be converted", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_without_a_body_is_an_empty_request()
    {
        var response = await http.PostAsync("/sessions", content: null);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Theory]
    [InlineData("/users/alice%0A/sessions")]
    [InlineData("/users/c1%0A/cart")]
    [InlineData("/users/c1/cart/items/A%0A")]
    public async Task Identifiers_with_a_trailing_newline_are_refused(string path)
    {
        var response = await http.SendAsync(new HttpRequestMessage(path.Contains("/items/", StringComparison.Ordinal) ? HttpMethod.Delete : HttpMethod.Get, path));
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, path);
    }

    [Theory]
    [InlineData("..")]
    [InlineData("%2E%2E")]
    [InlineData(".")]
    [InlineData("%2e")]
    public async Task A_dot_segment_in_an_attribute_path_is_400_and_never_ends_the_session(string segment)
    {
        var (id, before) = await CreateAsync();

        var response = await SendRawAsync($"DELETE /sessions/{id}/attributes/{segment} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 400", response, StringComparison.Ordinal);
        Assert.Contains("application/problem+json", response, StringComparison.Ordinal);
        Assert.Equal(before, await ReadAttributesAsync(id));
    }

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    [InlineData("/sessions/nope")]
    [InlineData("/users/c1/cart")]
    [InlineData("/no/such/route")]
    public async Task An_unsafe_correlation_id_is_replaced_on_every_route_and_errors_carry_one_too(string path)
    {
        foreach (var unsafeId in new[] { "caf\u00c3\u00a9", "a\tb", new string('x', 129), "a b" })
        {
            var response = await SendRawAsync($"GET {path} HTTP/1.1\r\nHost: x\r\nX-Correlation-Id: {unsafeId}\r\nConnection: close\r\n\r\n");
            var status = int.Parse(response.AsSpan(9, 3), provider: System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(status < 500, $"{path} with correlation id {Escape(unsafeId)}: {status}");
            var echoed = HeaderOf(response, "X-Correlation-Id");
            Assert.True(
                echoed is { Length: > 0 and <= 128 } && echoed != unsafeId && echoed.All(c => char.IsAsciiLetterOrDigit(c) || "._:+/=-".Contains(c, StringComparison.Ordinal)),
                $"{path}: correlation id {Escape(unsafeId)} answered with {Escape(echoed ?? "(none)")}");
        }

        var safe = new HttpRequestMessage(HttpMethod.Get, path);
        safe.Headers.Add("X-Correlation-Id", "order-4711");
        Assert.Equal("order-4711", (await http.SendAsync(safe)).Headers.GetValues("X-Correlation-Id").Single());
    }

    /// <summary>Bytes on the wire as written: HttpClient would refuse or normalise what these tests send.</summary>
    private async Task<string> SendRawAsync(string request)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(http.BaseAddress!.Host, http.BaseAddress.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.Latin1.GetBytes(request));
        using var reader = new StreamReader(stream, Encoding.Latin1);
        return await reader.ReadToEndAsync();
    }

    private static string? HeaderOf(string response, string name)
        => response.Split("\r\n").TakeWhile(l => l.Length > 0)
            .Where(l => l.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase))
            .Select(l => l[(name.Length + 1)..].Trim())
            .FirstOrDefault();

    private static string Escape(string text) => string.Concat(text.Select(c => c is < ' ' or > '~' ? $"\\u{(int)c:x4}" : c.ToString()));
}
