using System.Collections.Immutable;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Storage;
using OrleansSessions.ApiHost.Sessions;
using OrleansSessions.Common;
using OrleansSessions.Sessions;
using OrleansSessions.Tests.Infrastructure;
using static OrleansSessions.Tests.Sessions.SessionTestKit;

namespace OrleansSessions.Tests.Sessions;

/// <summary>
/// The session grain re-checks what crosses its boundary: in-process .NET callers skip HTTP, so everything the API host
/// refuses must be refused here too, and nothing a grain stores may be unservable.
/// </summary>
[Collection(MemoryClusterCollection.Name)]
public sealed class SessionInputTests(MemoryClusterFixture fixture)
{
    private readonly IClusterClient client = fixture.Client;

    public static TheoryData<string, string> UnstorableValues => new()
    {
        { "escaped lone surrogate", "\"\\ud800\"" },
        { "duplicate member names", "{\"a\":1,\"a\":2}" },
        { "duplicate names nested", "{\"x\":[{\"k\":1,\"k\":1}]}" },
        { "33 levels", new string('[', 33) + new string(']', 33) },
        { "not JSON", "{'a':1}" },
        { "trailing garbage", "1 2" },
        { "comment", "/*c*/1" },
        { "empty", "" },
    };

    [Theory]
    [MemberData(nameof(UnstorableValues))]
    public async Task A_value_that_could_not_be_served_back_is_refused_and_changes_nothing(string why, string json)
    {
        var (id, grain, created) = await CreateAsync(client, Request(attributes: ("a", "1")));

        await Assert.ThrowsAsync<DomainValidationException>(() => grain.SetAttributeAsync("v", json, expectedVersion: null));
        await Assert.ThrowsAsync<DomainValidationException>(() => grain.PatchAsync($"{{\"v\":{json}}}", expectedVersion: null));
        await Assert.ThrowsAsync<DomainValidationException>(() => CreateAsync(client, Request(attributes: ("v", json))));

        var read = await grain.PeekAsync();
        Assert.True(
            read is not null && read.Version == created.Version && read.Attributes.SequenceEqual(created.Attributes),
            $"session {Hash(id)} ({why}): changed by a refused value: {read}");
    }

    [Theory]
    [InlineData("\"a\uD800\"")]
    [InlineData("\"\uDC00b\"")]
    public async Task A_lone_surrogate_from_a_dotnet_caller_is_refused_or_arrives_replaced_and_is_never_stored_unservable(string json)
    {
        // The grain refuses one it receives (a call within its silo); Orleans' wire format replaces it with U+FFFD
        // on the way from another process, so it may arrive as valid text. Either way what is stored can be served.
        var (id, grain, _) = await CreateAsync(client, Request());
        try
        {
            var view = await grain.SetAttributeAsync("v", json, expectedVersion: null);
            Assert.True(
                CanonicalJson.IsValidUnicode(view.Attributes["v"]) && view.Attributes["v"].All(char.IsAscii),
                $"session {Hash(id)}: stored {view.Attributes["v"]}");
            Assert.Contains("\\uFFFD", view.Attributes["v"], StringComparison.Ordinal);
        }
        catch (DomainValidationException)
        {
            Assert.True((await grain.PeekAsync())?.Version == 1, $"session {Hash(id)}: changed by a refused value");
        }
    }

    [Theory]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("a/b")]
    [InlineData("alice\n")]
    [InlineData("")]
    [InlineData("-leading-dash")]
    [InlineData("caf\u00e9")]
    public async Task Attribute_names_a_url_segment_cannot_address_are_refused_everywhere(string key)
    {
        var (id, grain, created) = await CreateAsync(client, Request(attributes: ("a", "1")));

        await Assert.ThrowsAsync<DomainValidationException>(() => grain.SetAttributeAsync(key, "1", expectedVersion: null));
        await Assert.ThrowsAsync<DomainValidationException>(() => grain.RemoveAttributeAsync(key, expectedVersion: null));
        var patch = System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, int> { [key] = 1 });
        await Assert.ThrowsAsync<DomainValidationException>(() => grain.PatchAsync(patch, expectedVersion: null));
        await Assert.ThrowsAsync<DomainValidationException>(() => CreateAsync(client, Request(attributes: (key, "1"))));

        var read = await grain.PeekAsync();
        Assert.True(read?.Version == created.Version, $"session {Hash(id)}: a refused key changed the session");
    }

    [Fact]
    public async Task Values_are_stored_in_canonical_form_and_32_levels_are_accepted()
    {
        var deep = new string('[', CanonicalJson.MaxValueDepth) + new string(']', CanonicalJson.MaxValueDepth);
        var (id, grain, _) = await CreateAsync(client, Request(attributes: ("deep", deep)));

        var view = await grain.SetAttributeAsync("text", "{ \"name\" : \"caf\u00e9 <b>\", \"n\" : 1.50 }", expectedVersion: null);

        Assert.True(view.Attributes["deep"] == deep, $"session {Hash(id)}: 32 levels not kept as sent");
        Assert.True(
            view.Attributes["text"] == "{\"name\":\"caf\\u00E9 \\u003Cb\\u003E\",\"n\":1.50}",
            $"session {Hash(id)}: not canonical: {view.Attributes["text"]}");
    }

    [Fact]
    public async Task A_user_bound_create_refused_for_its_attributes_takes_no_session_slot()
    {
        var user = TestDatabase.UniqueId("user");
        await Assert.ThrowsAsync<DomainValidationException>(() => CreateAsync(client, Request(userId: user, attributes: ("v", "\"\\udc00\""))));
        Assert.Empty(await client.GetGrain<IUserSessionsGrain>(user).ListAsync());
    }

    [Fact]
    public async Task A_stored_value_that_cannot_be_served_is_set_aside_and_the_session_stays_readable()
    {
        // State as an older version (or a damaged row) might have left it: never activated, written straight to storage.
        var id = SessionIds.New();
        var grain = client.GetSessionGrain(id);
        var now = fixture.Clock.GetUtcNow();
        var stored = new SessionState
        {
            Attributes = ImmutableDictionary<string, string>.Empty
                .Add("good", "{ \"a\" : 1 }")
                .Add("bad", "\"\\ud800\"")
                .Add("deep", new string('[', 40) + new string(']', 40))
                .Add("../x", "1"),
            CreatedAt = now,
            LastAccessAt = now,
            IdleTimeout = TimeSpan.FromMinutes(30),
            AbsoluteExpiresAt = now.AddHours(1),
            Version = 7,
            SecurityStamp = 1,
        };
        var storage = fixture.SiloServices.GetRequiredKeyedService<IGrainStorage>(StorageNames.State);
        await storage.WriteStateAsync("sessions.session", grain.GetGrainId(), new GrainState<SessionState>(stored));

        var view = await grain.GetAsync();
        Assert.True(view is not null, $"session {Hash(id)}: unreadable because of stored values it cannot serve");
        Assert.Equal(["good"], view.Attributes.Keys);
        Assert.Equal("{\"a\":1}", view.Attributes["good"]);

        // The API can serve what the grain hands out, and the session takes writes again.
        Assert.Equal(1, SessionResponse.From(id, view).Attributes["good"].GetProperty("a").GetInt32());
        var written = await grain.SetAttributeAsync("bad", "2", expectedVersion: 7);
        Assert.True(written.Attributes["bad"] == "2" && written.Version == 8, $"session {Hash(id)}: {written}");
    }

    [Fact]
    public void The_response_leaves_out_a_value_it_cannot_read_instead_of_failing()
    {
        var now = DateTimeOffset.UnixEpoch;
        var view = new SessionView(
            "h", null, ImmutableDictionary<string, string>.Empty.Add("ok", "1").Add("broken", "{"), now, now, now, now, 1, null, 1);
        Assert.Equal(["ok"], SessionResponse.From("id", view).Attributes.Keys);
    }

    [Fact]
    public void The_body_copies_stored_values_as_they_are_and_leaves_out_one_it_cannot_read()
    {
        var now = DateTimeOffset.UnixEpoch;
        var stored = ImmutableDictionary<string, string>.Empty
            .Add("ok", "{\"a\":[1,\"x\\u0026y\"]}")
            .Add("broken", "{")
            .Add("two", "1 2")
            .Add("deep", new string('[', 33) + new string(']', 33))
            .Add("surrogate", "\"\ud800\"");
        var view = new SessionView("h", null, stored, now, now, now, now, 1, null, 1);
        var json = new SessionResponseJson(Options.Create(new JsonOptions()));

        var body = JsonDocument.Parse(JsonSerializer.Serialize(SessionResponse.From("id", view), json.TypeInfo)).RootElement;

        Assert.Equal("{\"ok\":{\"a\":[1,\"x\\u0026y\"]}}", body.GetProperty("attributes").GetRawText());
        Assert.Equal(1, body.GetProperty("version").GetInt64());
    }
}
