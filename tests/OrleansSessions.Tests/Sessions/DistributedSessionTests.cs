namespace OrleansSessions.Tests.Sessions;

/// <summary>
/// The stock ASP.NET Core session (<c>AddSession</c>, <c>UseSession</c>) over the cluster-backed IDistributedCache: two
/// instances of one service, each with its own Orleans client, share every <c>ISession</c> through the cookie alone.
/// </summary>
[Collection(DistributedSessionCollection.Name)]
public sealed class DistributedSessionTests(DistributedSessionFixture fixture)
{
    private SessionSampleApp First => fixture.First;

    private SessionSampleApp Second => fixture.Second;

    [Fact]
    public async Task A_value_set_through_one_instance_is_read_through_the_other_with_the_same_cookie()
    {
        var cookie = await First.SetAsync(null, "cart", "c-42");

        Assert.True(await Second.GetAsync(cookie, "cart") == "c-42", "session key 'cart' set through the first instance is not seen by the second");
        Assert.True(await First.GetAsync(cookie, "cart") == "c-42", "session key 'cart' does not read back on the instance that set it");
    }

    [Fact]
    public async Task A_value_changed_through_the_second_instance_is_seen_by_the_first()
    {
        var cookie = await First.SetAsync(null, "theme", "light");
        cookie = await Second.SetAsync(cookie, "theme", "dark");
        cookie = await Second.SetAsync(cookie, "locale", "ja-JP");

        Assert.True(await First.GetAsync(cookie, "theme") == "dark", "session key 'theme' changed through the second instance is stale on the first");
        Assert.True(await First.GetAsync(cookie, "locale") == "ja-JP", "session key 'locale' added through the second instance is missing on the first");
    }

    [Fact]
    public async Task A_value_removed_through_one_instance_is_gone_on_both_and_the_others_stay()
    {
        var cookie = await First.SetAsync(null, "step", "3");
        cookie = await First.SetAsync(cookie, "flow", "checkout");

        await Second.RemoveAsync(cookie, "step");

        Assert.True(await First.GetAsync(cookie, "step") is null, "session key 'step' removed through the second instance is still seen by the first");
        Assert.True(await Second.GetAsync(cookie, "step") is null, "session key 'step' is still seen by the instance that removed it");
        Assert.True(await First.GetAsync(cookie, "flow") == "checkout", "session key 'flow' was lost when 'step' was removed");
    }

    [Fact]
    public async Task A_session_cleared_through_one_instance_holds_nothing_on_either()
    {
        var cookie = await First.SetAsync(null, "a", "1");
        cookie = await Second.SetAsync(cookie, "b", "2");

        await First.RemoveAsync(cookie, key: null);

        Assert.True(await Second.GetAsync(cookie, "a") is null, "session key 'a' survived clearing the session");
        Assert.True(await Second.GetAsync(cookie, "b") is null, "session key 'b' survived clearing the session");
        Assert.True(await First.GetAsync(cookie, "b") is null, "session key 'b' survived clearing on the clearing instance");
    }

    [Fact]
    public async Task Two_sessions_do_not_see_each_others_values()
    {
        var alice = await First.SetAsync(null, "user", "alice");
        var bob = await Second.SetAsync(null, "user", "bob");

        Assert.NotEqual(alice, bob);
        Assert.True(await Second.GetAsync(alice, "user") == "alice", "session key 'user' of the first session reads another session's value");
        Assert.True(await First.GetAsync(bob, "user") == "bob", "session key 'user' of the second session reads another session's value");
        Assert.True(await First.GetAsync(null, "user") is null, "session key 'user' is visible to a request without a session cookie");
    }

    [Fact]
    public async Task A_session_not_used_for_its_idle_timeout_is_gone_on_both_instances()
    {
        var cookie = await First.SetAsync(null, "token", "t-1");

        fixture.Clock.Advance(SessionSampleApp.IdleTimeout + TimeSpan.FromSeconds(1));

        Assert.True(await Second.GetAsync(cookie, "token") is null, "session key 'token' outlived the session's idle timeout");
        Assert.True(await First.GetAsync(cookie, "token") is null, "session key 'token' came back after the session expired");
    }

    [Fact]
    public async Task Requests_on_either_instance_keep_a_session_alive_past_its_idle_timeout()
    {
        var cookie = await First.SetAsync(null, "basket", "b-7");
        var step = SessionSampleApp.IdleTimeout * 0.75;

        fixture.Clock.Advance(step);
        Assert.True(await Second.GetAsync(cookie, "basket") == "b-7", "session key 'basket' is gone before its idle timeout");
        fixture.Clock.Advance(step);
        Assert.True(await First.GetAsync(cookie, "basket") == "b-7", "session key 'basket' expired although it was read within its idle timeout");
        fixture.Clock.Advance(step);
        Assert.True(await Second.GetAsync(cookie, "basket") == "b-7", "session key 'basket' expired although it was read within its idle timeout");
    }
}
