using Microsoft.Extensions.Caching.Distributed;
using OrleansSessions.Common;
using OrleansSessions.Common.Expiry;
using OrleansSessions.Sessions;
using OrleansSessions.Tests.Infrastructure;

namespace OrleansSessions.Tests.Sessions;

/// <summary>
/// The cluster-backed IDistributedCache under the session middleware: expirations on the cluster's (fake) clock, slides
/// stored only now and then, the size cap, and expired rows deleted. Written through one instance, read through the other.
/// </summary>
[Collection(DistributedSessionCollection.Name)]
public sealed class DistributedSessionCacheTests(DistributedSessionFixture fixture)
{
    private static readonly byte[] Value = [1, 2, 3];

    private Microsoft.Extensions.Time.Testing.FakeTimeProvider Clock => fixture.Clock;

    private IDistributedCache First => fixture.First.Cache;

    private IDistributedCache Second => fixture.Second.Cache;

    private static string NewKey() => Guid.NewGuid().ToString();

    [Fact]
    public async Task An_entry_with_a_relative_absolute_expiry_reads_null_after_it_and_its_row_is_deleted()
    {
        var key = NewKey();
        await First.SetAsync(key, Value, new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(5) });

        Clock.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(1));
        Assert.True(await Second.GetAsync(key) is not null, $"cache key '{key}' expired before its absolute expiry");
        Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(await Second.GetAsync(key) is null, $"cache key '{key}' is still read after its absolute expiry");
        Assert.True(await fixture.StoredEntryAsync(key) is null, $"cache key '{key}' expired but its stored state was not deleted");
    }

    [Fact]
    public async Task An_entry_with_an_absolute_expiration_date_reads_null_from_that_date()
    {
        var key = NewKey();
        var at = Clock.GetUtcNow().AddMinutes(10);
        await First.SetAsync(key, Value, new DistributedCacheEntryOptions { AbsoluteExpiration = at });

        Clock.Advance(TimeSpan.FromMinutes(9));
        Assert.True(await Second.GetAsync(key) is not null, $"cache key '{key}' expired before its absolute date");
        Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.True(await Second.GetAsync(key) is null, $"cache key '{key}' is still read at its absolute date");
    }

    [Fact]
    public async Task Reads_slide_an_entry_but_never_past_its_absolute_expiry()
    {
        var key = NewKey();
        await First.SetAsync(key, Value, new DistributedCacheEntryOptions
        {
            SlidingExpiration = TimeSpan.FromMinutes(10),
            AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(15),
        });

        Clock.Advance(TimeSpan.FromMinutes(8));
        Assert.True(await Second.GetAsync(key) is not null, $"cache key '{key}' expired within its sliding window");
        Clock.Advance(TimeSpan.FromMinutes(6));
        Assert.True(await First.GetAsync(key) is not null, $"cache key '{key}' was not slid by the read 6 minutes ago");
        Clock.Advance(TimeSpan.FromMinutes(2));
        Assert.True(await Second.GetAsync(key) is null, $"cache key '{key}' was slid past its absolute expiry");
    }

    [Fact]
    public async Task Refresh_keeps_a_sliding_entry_alive_and_does_not_revive_an_expired_one()
    {
        var key = NewKey();
        var window = TimeSpan.FromMinutes(10);
        await First.SetAsync(key, Value, new DistributedCacheEntryOptions { SlidingExpiration = window });

        Clock.Advance(TimeSpan.FromMinutes(8));
        await Second.RefreshAsync(key);
        Clock.Advance(TimeSpan.FromMinutes(8));
        Assert.True(await First.GetAsync(key) is not null, $"cache key '{key}' expired although it was refreshed within its window");

        Clock.Advance(window);
        await Second.RefreshAsync(key);
        Assert.True(await First.GetAsync(key) is null, $"cache key '{key}' was revived by refreshing it after it expired");
    }

    [Fact]
    public async Task A_read_stores_the_slid_deadline_only_once_it_moved_by_more_than_a_quarter_of_the_window()
    {
        var key = NewKey();
        var window = TimeSpan.FromMinutes(20);
        var setAt = Clock.GetUtcNow();
        await First.SetAsync(key, Value, new DistributedCacheEntryOptions { SlidingExpiration = window });

        Clock.Advance(window * CacheEntryGrain.SlidePersistFraction);
        await Second.GetAsync(key);
        Assert.True((await fixture.StoredEntryAsync(key))?.LastAccessAt == setAt, $"cache key '{key}': a read within a quarter window wrote its slide");

        Clock.Advance(TimeSpan.FromSeconds(1));
        var readAt = Clock.GetUtcNow();
        await Second.GetAsync(key);
        await Poll.UntilAsync(
            async () => (await fixture.StoredEntryAsync(key))?.LastAccessAt == readAt,
            TimeSpan.FromSeconds(10),
            $"cache key '{key}': the slide past a quarter window to be stored");
    }

    [Fact]
    public async Task A_slide_not_yet_stored_is_stored_when_the_entry_deactivates()
    {
        var key = NewKey();
        await First.SetAsync(key, Value, new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(20) });
        Clock.Advance(TimeSpan.FromMinutes(1));
        var readAt = Clock.GetUtcNow();
        await Second.GetAsync(key);

        await fixture.Cluster.DeactivateAsync(fixture.Client.GetCacheEntryGrain(key));

        Assert.True((await fixture.StoredEntryAsync(key))?.LastAccessAt == readAt, $"cache key '{key}': the slide in memory was lost on deactivation");
        Assert.True(await First.GetAsync(key) is { } value && value.SequenceEqual(Value), $"cache key '{key}' does not read back after its grain was reactivated");
    }

    [Fact]
    public void The_synchronous_members_work_like_the_asynchronous_ones()
    {
        var key = NewKey();
        First.Set(key, Value, new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(5) });
        Assert.True(Second.Get(key) is { } read && read.SequenceEqual(Value), $"cache key '{key}' set synchronously does not read back");

        Clock.Advance(TimeSpan.FromMinutes(4));
        Second.Refresh(key);
        Clock.Advance(TimeSpan.FromMinutes(4));
        Assert.True(First.Get(key) is not null, $"cache key '{key}' was not slid by the synchronous refresh");

        First.Remove(key);
        Assert.True(Second.Get(key) is null, $"cache key '{key}' is still read after the synchronous remove");
    }

    [Fact]
    public async Task A_value_over_one_mebibyte_is_refused_by_the_cache_and_by_the_grain_and_nothing_is_stored()
    {
        var key = NewKey();
        var tooLarge = new byte[CacheEntryLimits.MaxValueBytes + 1];

        var refused = await Assert.ThrowsAsync<CacheValueTooLargeException>(() => First.SetAsync(key, tooLarge, new DistributedCacheEntryOptions()));
        Assert.Contains("1048576", refused.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<CacheValueTooLargeException>(() => fixture.Client.GetCacheEntryGrain(key).SetAsync(tooLarge, CacheEntryTiming.None));
        Assert.True(await Second.GetAsync(key) is null, $"cache key '{key}': a refused value was stored");

        await First.SetAsync(key, new byte[CacheEntryLimits.MaxValueBytes], new DistributedCacheEntryOptions());
        Assert.True((await Second.GetAsync(key))?.Length == CacheEntryLimits.MaxValueBytes, $"cache key '{key}': a value of exactly the limit was not stored");
        await First.RemoveAsync(key);
    }

    [Fact]
    public async Task A_set_with_an_absolute_date_already_passed_stores_nothing_and_removes_the_old_value()
    {
        var key = NewKey();
        await First.SetAsync(key, Value, new DistributedCacheEntryOptions());

        await First.SetAsync(key, [9], new DistributedCacheEntryOptions { AbsoluteExpiration = Clock.GetUtcNow().AddMinutes(-1) });

        Assert.True(await Second.GetAsync(key) is null, $"cache key '{key}' is read although its last set had a past deadline");
        Assert.True(await fixture.StoredEntryAsync(key) is null, $"cache key '{key}' still has stored state");
    }

    [Fact]
    public async Task Keys_that_are_empty_or_too_long_are_refused()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => First.GetAsync(""));
        await Assert.ThrowsAsync<ArgumentException>(() => First.GetAsync(new string('k', CacheEntryLimits.MaxKeyLength + 1)));
    }

    [Fact]
    public async Task The_expiry_call_answers_the_deadline_of_a_live_entry_and_deletes_a_due_one()
    {
        var key = NewKey();
        var grain = fixture.Client.GetCacheEntryGrain(key);
        var deadline = Clock.GetUtcNow().AddMinutes(5);
        await First.SetAsync(key, Value, new DistributedCacheEntryOptions { AbsoluteExpiration = deadline });

        Assert.Equal(deadline, await grain.ExpireIfDueAsync());
        Clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Null(await grain.ExpireIfDueAsync());
        Assert.True(await fixture.StoredEntryAsync(key) is null, $"cache key '{key}' was due but its stored state was not deleted");
        Assert.True(await Second.GetAsync(key) is null, $"cache key '{key}' reads after the expiry call deleted it");
    }

    [Fact]
    public async Task The_expiry_call_leaves_an_entry_without_deadline_in_place()
    {
        var key = NewKey();
        await First.SetAsync(key, Value, new DistributedCacheEntryOptions());

        Assert.Null(await fixture.Client.GetCacheEntryGrain(key).ExpireIfDueAsync());
        Clock.Advance(TimeSpan.FromHours(2));
        Assert.True(await Second.GetAsync(key) is not null, $"cache key '{key}' without a deadline expired");
        await First.RemoveAsync(key);
    }

    [Fact]
    public async Task The_expiry_sweep_deletes_the_row_of_an_expired_entry_nobody_reads_again()
    {
        var key = NewKey();
        var deadline = Clock.GetUtcNow().AddMinutes(2);
        await First.SetAsync(key, Value, new DistributedCacheEntryOptions { AbsoluteExpiration = deadline });
        Assert.True(await fixture.StoredEntryAsync(key) is not null, $"cache key '{key}' was not stored");

        // The buckets of the deadline's minute, swept as the sweeper does once that minute is over (every partition:
        // which one holds the entry is the sweep's business).
        Clock.Advance(TimeSpan.FromMinutes(3));
        for (var partition = 0; partition < Expiry.Partitions; partition++)
        {
            await fixture.Client.GetGrain<IExpiryBucketGrain>(Expiry.BucketKey(partition, Expiry.MinuteOf(deadline))).SweepAsync();
        }

        Assert.True(await fixture.StoredEntryAsync(key) is null, $"cache key '{key}' expired and was swept, but its row is still stored");
    }
}
