using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Internal;
using Microsoft.Extensions.Options;
using OrleansSessions.Common;
using OrleansSessions.Common.Expiry;
using OrleansSessions.Sessions;
using OrleansSessions.Tests.Infrastructure;

namespace OrleansSessions.Tests.Sessions;

/// <summary>
/// The cluster-backed IDistributedCache under the session middleware: expirations on the cluster's (fake) clock, slides
/// stored only now and then, the size cap, and expired rows deleted. Written through one instance, read through the other.
/// Where a scenario says "as in MemoryDistributedCache", it runs against Microsoft's in-memory implementation on the same
/// fake clock too, and both must behave alike.
/// </summary>
[Collection(DistributedSessionCollection.Name)]
public sealed class DistributedSessionCacheTests(DistributedSessionFixture fixture)
{
    private static readonly byte[] Value = [1, 2, 3];

    private Microsoft.Extensions.Time.Testing.FakeTimeProvider Clock => fixture.Clock;

    private IDistributedCache First => fixture.First.Cache;

    private IDistributedCache Second => fixture.Second.Cache;

    // Lone surrogates: high, low, the ends of both ranges, a reversed pair, and a high one followed by a plain character.
    private static readonly string[] LoneSurrogates = ["\uD800", "\uDC00", "\uDBFF", "\uDFFF", "\uDC00\uD800", "\uD800x"];

    private static string NewKey() => Guid.NewGuid().ToString();

    /// <summary>Non-ASCII characters as \uXXXX, so a failure message shows which key it was.</summary>
    private static string Show(string key) => string.Concat(key.Select(c => char.IsAscii(c) ? c.ToString() : $"\\u{(int)c:X4}"));

    /// <summary>Microsoft's reference implementation, on the cluster's fake clock.</summary>
    private MemoryDistributedCache NewReference()
        => new(Options.Create(new MemoryDistributedCacheOptions { Clock = new SystemClockOf(Clock) }));

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
    public async Task A_set_with_an_absolute_date_already_passed_does_not_throw_stores_nothing_and_removes_the_old_value_as_in_MemoryDistributedCache()
    {
        var reference = NewReference();
        var past = Clock.GetUtcNow().AddMinutes(-1);
        (string Case, DistributedCacheEntryOptions Options)[] cases =
        [
            ("absolute date passed", new() { AbsoluteExpiration = past }),
            ("absolute date passed, relative expiration ahead", new() { AbsoluteExpiration = past, AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(5) }),
        ];

        foreach (var (name, options) in cases)
        {
            var key = NewKey();
            await reference.SetAsync(key, Value, new DistributedCacheEntryOptions());
            await First.SetAsync(key, Value, new DistributedCacheEntryOptions());

            await reference.SetAsync(key, [9], options);
            await First.SetAsync(key, [9], options);

            Assert.True(await reference.GetAsync(key) is null, $"{name}: MemoryDistributedCache reads cache key '{key}' (the reference changed)");
            Assert.True(await Second.GetAsync(key) is null, $"{name}: cache key '{key}' is read although its last set had a past deadline");
            Assert.True(await fixture.StoredEntryAsync(key) is null, $"{name}: cache key '{key}' still has stored state");
        }
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
            await Expiry.SweepMinuteAsync(fixture.Client, partition, Expiry.MinuteOf(deadline));
        }

        Assert.True(await fixture.StoredEntryAsync(key) is null, $"cache key '{key}' expired and was swept, but its row is still stored");
    }

    [Fact]
    public async Task With_both_an_absolute_date_and_a_relative_expiration_the_earlier_one_ends_the_entry_as_in_MemoryDistributedCache()
    {
        var reference = NewReference();
        var now = Clock.GetUtcNow();
        var earlier = TimeSpan.FromMinutes(5);
        var later = TimeSpan.FromMinutes(10);
        var entries = new (string Case, string Key, DistributedCacheEntryOptions Options)[]
        {
            ("absolute date earlier", NewKey(), new() { AbsoluteExpiration = now + earlier, AbsoluteExpirationRelativeToNow = later }),
            ("relative expiration earlier", NewKey(), new() { AbsoluteExpiration = now + later, AbsoluteExpirationRelativeToNow = earlier }),
            ("absolute date earlier, with a longer sliding window", NewKey(), new()
            {
                AbsoluteExpiration = now + earlier,
                AbsoluteExpirationRelativeToNow = later,
                SlidingExpiration = TimeSpan.FromMinutes(20),
            }),
        };
        foreach (var (_, key, options) in entries)
        {
            await reference.SetAsync(key, Value, options);
            await First.SetAsync(key, Value, options);
        }

        Clock.Advance(earlier - TimeSpan.FromSeconds(1));
        await AssertBothReadAsync(expected: true, "a second before the earlier deadline");
        Clock.Advance(TimeSpan.FromSeconds(1));
        await AssertBothReadAsync(expected: false, "at the earlier deadline");

        async Task AssertBothReadAsync(bool expected, string when)
        {
            foreach (var (name, key, _) in entries)
            {
                var referenceReads = await reference.GetAsync(key) is not null;
                var clusterReads = await Second.GetAsync(key) is not null;
                Assert.True(
                    referenceReads == expected && clusterReads == expected,
                    $"{name}, {when}: cache key '{key}' expected {(expected ? "read" : "gone")}; MemoryDistributedCache reads it: {referenceReads}, the cluster cache: {clusterReads}");
            }
        }
    }

    [Fact]
    public async Task A_key_with_a_lone_surrogate_is_refused_by_the_cluster_cache_before_any_grain_call_and_never_takes_the_entry_of_its_U_FFFD_twin()
    {
        // MemoryDistributedCache keeps such a key as a key of its own; the cluster cache, whose grain key hashes the key's
        // UTF-8 bytes, refuses it. What both must do alike: a valid key's entry is never reached through another key.
        var reference = NewReference();
        var stem = "s" + NewKey();
        var replacementTwin = stem + "\uFFFD";
        var surrogatePair = stem + "\uD83D\uDE00";
        foreach (var cache in new IDistributedCache[] { reference, First })
        {
            await cache.SetAsync(replacementTwin, [0xFD], new DistributedCacheEntryOptions());
            await cache.SetAsync(surrogatePair, [0x0F], new DistributedCacheEntryOptions());
        }

        (string Member, Action<IDistributedCache, string> Call)[] members =
        [
            ("Get", (cache, key) => cache.Get(key)),
            ("Set", (cache, key) => cache.Set(key, [9], new DistributedCacheEntryOptions())),
            ("Refresh", (cache, key) => cache.Refresh(key)),
            ("Remove", (cache, key) => cache.Remove(key)),
            ("GetAsync", (cache, key) => _ = cache.GetAsync(key)),
            ("SetAsync", (cache, key) => _ = cache.SetAsync(key, [9], new DistributedCacheEntryOptions())),
            ("RefreshAsync", (cache, key) => _ = cache.RefreshAsync(key)),
            ("RemoveAsync", (cache, key) => _ = cache.RemoveAsync(key)),
        ];
        for (var i = 0; i < LoneSurrogates.Length; i++)
        {
            var key = stem + LoneSurrogates[i];
            await reference.SetAsync(key, [(byte)i], new DistributedCacheEntryOptions());
            Assert.True(await reference.GetAsync(key) is [var read] && read == i, $"MemoryDistributedCache: key '{Show(key)}' does not read its own value (the reference changed)");

            // Thrown by the call itself, not by the task it would return: no grain was called.
            foreach (var (member, call) in members)
            {
                var refused = Record.Exception(() => call(First, key));
                Assert.True(refused is ArgumentException { ParamName: "key" }, $"{member}('{Show(key)}') was not refused with an ArgumentException for 'key': {refused?.GetType().Name ?? "no exception"}");
            }

            Assert.True(
                Record.Exception(() => fixture.Client.GetCacheEntryGrain(key)) is ArgumentException,
                $"GetCacheEntryGrain('{Show(key)}') hands out a grain for a key that is not valid UTF-16");
        }

        foreach (var (name, cache) in new (string, IDistributedCache)[] { ("MemoryDistributedCache", reference), ("the cluster cache", Second) })
        {
            Assert.True(await cache.GetAsync(replacementTwin) is [0xFD], $"{name}: key '{Show(replacementTwin)}' lost its value to a key with a lone surrogate");
            Assert.True(await cache.GetAsync(surrogatePair) is [0x0F], $"{name}: key '{Show(surrogatePair)}' (a valid surrogate pair) lost its value");
        }
    }

    [Fact]
    public void Valid_keys_and_session_ids_keep_their_hash_so_stored_grains_are_found_again()
    {
        // Computed outside .NET: the first 16 bytes of SHA-256 over the UTF-8 bytes, base64url without padding.
        (string Text, string Hash)[] known =
        [
            (new string('A', SessionIds.Length), "DwBzhbb51LfusnSGBa_hqQ"),
            ("s\uFFFD", "bA6rbSHC6L-q1LnhXq97wg"),
            ("s\uD83D\uDE00", "QjCs0ynXjLaMmdxlh9Lmhw"),
        ];
        foreach (var (text, hash) in known)
        {
            Assert.True(SessionIds.Hash(text) == hash, $"'{Show(text)}' hashes to {SessionIds.Hash(text)}, not {hash}");
        }
    }

    [Fact]
    public async Task Relative_expirations_that_are_not_positive_or_pass_the_calendar_end_are_refused_with_ArgumentOutOfRangeException_as_in_MemoryDistributedCache()
    {
        var key = NewKey();
        var grain = fixture.Client.GetCacheEntryGrain(key);
        foreach (var relative in new[] { TimeSpan.Zero, TimeSpan.FromTicks(-1) })
        {
            // DistributedCacheEntryOptions refuses these already, for both caches; the grain refuses them from direct callers.
            Assert.True(
                Record.Exception(() => new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = relative }) is ArgumentOutOfRangeException,
                $"DistributedCacheEntryOptions accepted a relative expiration of {relative} (the reference changed)");
            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => grain.SetAsync(Value, new CacheEntryTiming(null, relative, null)));
            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => grain.SetAsync(Value, new CacheEntryTiming(null, null, relative)));
        }

        var endless = new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.MaxValue };
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => NewReference().SetAsync(key, Value, endless));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => First.SetAsync(key, Value, endless));
        Assert.True(await Second.GetAsync(key) is null, $"cache key '{key}': a refused set stored a value");
    }

    /// <summary>MemoryDistributedCacheOptions takes its clock as an <see cref="ISystemClock"/>, not a <see cref="TimeProvider"/>.</summary>
    private sealed class SystemClockOf(TimeProvider time) : ISystemClock
    {
        public DateTimeOffset UtcNow => time.GetUtcNow();
    }
}
