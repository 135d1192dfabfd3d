using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using OrleansSessions.PaymentGateway;
using OrleansSessions.Tests.Infrastructure;

namespace OrleansSessions.Tests.Payments;

/// <summary>The fake payment gateway's HTTP contract: test cards, idempotency keys, the ledger and injected faults.</summary>
[Collection(FakeGatewayCollection.Name)]
public sealed class FakeGatewayTests(FakeGatewayFixture fixture)
{
    /// <summary>How far before a Stopwatch a Task.Delay may end (it counts ticks of a millisecond clock).</summary>
    private static readonly TimeSpan TimerGrace = TimeSpan.FromMilliseconds(5);

    private RunningFakeGateway Gateway => fixture.Gateway;

    private HttpClient Http => fixture.Gateway.Http;

    private static string NewKey(string operation = "authorize") => $"pay-{Guid.NewGuid():N}:{operation}";

    private static object Authorization(string paymentMethod, long amount = 1250) => new { amount, currency = "EUR", paymentMethod };

    private Task<HttpResponseMessage> PostAsync(string path, string? key, object? body = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = body is null ? null : JsonContent.Create(body) };
        if (key is not null)
        {
            request.Headers.Add(FakePaymentGateway.IdempotencyKeyHeader, key);
        }

        return Http.SendAsync(request);
    }

    private async Task<AuthorizationView> AuthorizeAsync(string key, string paymentMethod = TestCards.Visa)
    {
        using var response = await PostAsync("v1/authorizations", key, Authorization(paymentMethod));
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"authorize {key}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<AuthorizationView>())!;
    }

    [Fact]
    public async Task The_visa_card_authorizes_captures_and_refunds_and_the_ledger_records_each_operation_once()
    {
        var authorization = await AuthorizeAsync(NewKey());
        Assert.Equal(AuthorizationStatus.Authorized, authorization.Status);

        using var capture = await PostAsync($"v1/authorizations/{authorization.Id}/capture", NewKey("capture"));
        Assert.Equal(AuthorizationStatus.Captured, (await capture.Content.ReadFromJsonAsync<AuthorizationView>())!.Status);
        using var refund = await PostAsync($"v1/authorizations/{authorization.Id}/refund", NewKey("refund"));
        Assert.Equal(AuthorizationStatus.Refunded, (await refund.Content.ReadFromJsonAsync<AuthorizationView>())!.Status);

        var entries = (await Gateway.LedgerAsync()).Where(e => e.AuthorizationId == authorization.Id).ToList();
        Assert.True(
            entries.Select(e => (e.Operation, e.Outcome)).SequenceEqual([("authorize", "authorized"), ("capture", "captured"), ("refund", "refunded")]),
            $"authorization {authorization.Id}: ledger {string.Join(", ", entries)}");
        Assert.All(entries, e => Assert.Equal(1250, e.Amount));
    }

    [Theory]
    [InlineData(TestCards.ChargeDeclined, "generic_decline")]
    [InlineData(TestCards.ChargeDeclinedInsufficientFunds, "insufficient_funds")]
    public async Task A_declining_card_is_answered_402_with_its_decline_code_and_recorded_as_declined(string card, string declineCode)
    {
        var key = NewKey();
        using var response = await PostAsync("v1/authorizations", key, Authorization(card));

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.PaymentRequired, $"authorize {key}");
        Assert.Equal("card_declined", problem.GetProperty("code").GetString());
        Assert.Equal(declineCode, problem.GetProperty("declineCode").GetString());
        var entry = Assert.Single(await Gateway.EntriesAsync(key));
        Assert.True(entry is { Outcome: "declined", AuthorizationId: null } && entry.DeclineCode == declineCode, $"key {key}: {entry}");
    }

    [Fact]
    public async Task The_capture_fails_card_authorizes_but_every_capture_fails_and_it_can_still_be_voided()
    {
        var authorization = await AuthorizeAsync(NewKey(), TestCards.CaptureFails);

        foreach (var key in new[] { NewKey("capture"), NewKey("capture") })
        {
            using var capture = await PostAsync($"v1/authorizations/{authorization.Id}/capture", key);
            var problem = await ProblemAssert.IsProblemAsync(capture, HttpStatusCode.PaymentRequired, $"capture {key}");
            Assert.Equal("capture_failed", problem.GetProperty("code").GetString());
        }

        using var voided = await PostAsync($"v1/authorizations/{authorization.Id}/void", NewKey("void"));
        Assert.Equal(AuthorizationStatus.Voided, (await voided.Content.ReadFromJsonAsync<AuthorizationView>())!.Status);
    }

    [Fact]
    public async Task The_slow_card_answers_only_after_the_configured_delay()
    {
        var watch = Stopwatch.StartNew();
        var authorization = await AuthorizeAsync(NewKey(), TestCards.Slow);

        Assert.Equal(AuthorizationStatus.Authorized, authorization.Status);
        // Task.Delay counts whole ticks of a millisecond clock, so it may end up to a tick before a Stopwatch says
        // (CI saw 499.94 ms for 500): a few milliseconds' grace, far below any answer that skipped the delay.
        Assert.True(
            watch.Elapsed >= FakeGatewayFixture.SlowCardDelay - TimerGrace,
            $"authorization {authorization.Id} answered after {watch.Elapsed}, before the slow card's {FakeGatewayFixture.SlowCardDelay}");
    }

    [Fact]
    public async Task The_same_key_twice_is_one_ledger_entry_and_the_first_answer_replayed()
    {
        var key = NewKey();
        var first = await AuthorizeAsync(key);
        using var again = await PostAsync("v1/authorizations", key, Authorization(TestCards.Visa));

        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        Assert.Equal(first, await again.Content.ReadFromJsonAsync<AuthorizationView>());
        Assert.True(again.Headers.TryGetValues(FakePaymentGateway.ReplayedHeader, out var replayed) && replayed.Single() == "true", $"key {key}: no replay header");
        Assert.True((await Gateway.EntriesAsync(key)).Count == 1, $"key {key}: one authorization expected");
    }

    [Fact]
    public async Task The_same_key_with_another_body_is_422_and_carries_out_nothing()
    {
        var key = NewKey();
        await AuthorizeAsync(key);

        using var otherAmount = await PostAsync("v1/authorizations", key, Authorization(TestCards.Visa, amount: 9999));
        var problem = await ProblemAssert.IsProblemAsync(otherAmount, HttpStatusCode.UnprocessableEntity, $"authorize {key} with another amount");
        Assert.Equal("idempotency_key_reused", problem.GetProperty("code").GetString());

        // Another operation is another request, too.
        var authorization = (await Gateway.EntriesAsync(key)).Single().AuthorizationId;
        using var otherOperation = await PostAsync($"v1/authorizations/{authorization}/capture", key);
        await ProblemAssert.IsProblemAsync(otherOperation, HttpStatusCode.UnprocessableEntity, $"capture with authorize key {key}");
        Assert.True((await Gateway.EntriesAsync(key)).Count == 1, $"key {key}: nothing more may be carried out");
    }

    [Fact]
    public async Task Twenty_concurrent_authorizations_with_one_key_make_one_ledger_entry_and_the_same_answer()
    {
        var key = NewKey();
        // The slow card keeps the first one running while the others arrive.
        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => PostAsync("v1/authorizations", key, Authorization(TestCards.Slow))));

        var ids = new HashSet<string>();
        foreach (var response in responses)
        {
            using (response)
            {
                Assert.True(response.StatusCode == HttpStatusCode.Created, $"key {key}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                ids.Add((await response.Content.ReadFromJsonAsync<AuthorizationView>())!.Id);
            }
        }

        Assert.True(ids.Count == 1, $"key {key}: {ids.Count} authorizations answered");
        Assert.True((await Gateway.EntriesAsync(key)).Count == 1, $"key {key}: one ledger entry expected");
    }

    [Fact]
    public async Task A_mutating_call_without_an_idempotency_key_is_400_and_carries_out_nothing()
    {
        var before = (await Gateway.LedgerAsync()).Count;
        using var response = await PostAsync("v1/authorizations", key: null, Authorization(TestCards.Visa));

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "authorize without a key");
        Assert.Equal("idempotency_key_missing", problem.GetProperty("code").GetString());
        Assert.Equal(before, (await Gateway.LedgerAsync()).Count);
    }

    [Theory]
    [InlineData(0, "EUR", TestCards.Visa, "amount")]
    [InlineData(100_000_000, "EUR", TestCards.Visa, "amount")]
    [InlineData(100, "eur", TestCards.Visa, "currency")]
    [InlineData(100, "EUR", "pm_card_unknown", "paymentMethod")]
    public async Task An_invalid_authorization_is_a_400_naming_the_field_and_is_not_stored_under_its_key(long amount, string currency, string card, string field)
    {
        var key = NewKey();
        using var invalid = await PostAsync("v1/authorizations", key, new { amount, currency, paymentMethod = card });
        await ProblemAssert.NamesFieldAsync(invalid, field, $"authorize {key}");

        // Nothing was kept under the key: the corrected request goes through with it.
        await AuthorizeAsync(key);
        Assert.True((await Gateway.EntriesAsync(key)).Count == 1, $"key {key}: one authorization expected");
    }

    [Fact]
    public async Task Operations_out_of_order_are_409_and_unknown_authorizations_404()
    {
        var authorization = await AuthorizeAsync(NewKey());

        using var refund = await PostAsync($"v1/authorizations/{authorization.Id}/refund", NewKey("refund"));
        var problem = await ProblemAssert.IsProblemAsync(refund, HttpStatusCode.Conflict, $"refund of authorized {authorization.Id}");
        Assert.Equal("invalid_state", problem.GetProperty("code").GetString());

        using var missing = await PostAsync("v1/authorizations/auth_missing/capture", NewKey("capture"));
        await ProblemAssert.IsProblemAsync(missing, HttpStatusCode.NotFound, "capture of auth_missing");
    }

    [Fact]
    public async Task Injected_transient_failures_are_503s_that_are_not_stored_so_a_retry_with_the_same_key_goes_through()
    {
        var key = NewKey();
        await using (await Gateway.InjectAsync(f => f with { FailureRate = 1 }))
        {
            using var failed = await PostAsync("v1/authorizations", key, Authorization(TestCards.Visa));
            var problem = await ProblemAssert.IsProblemAsync(failed, HttpStatusCode.ServiceUnavailable, $"authorize {key} while failing");
            Assert.Equal("gateway_unavailable", problem.GetProperty("code").GetString());
            Assert.True((await Gateway.EntriesAsync(key)).Count == 0, $"key {key}: a failed call must carry out nothing");
        }

        await AuthorizeAsync(key);
        Assert.True((await Gateway.EntriesAsync(key)).Count == 1, $"key {key}: one authorization expected");
    }

    [Fact]
    public async Task Faults_are_read_and_replaced_through_the_admin_route_and_invalid_ones_are_refused()
    {
        var before = await Http.GetFromJsonAsync<FaultSettings>("admin/faults");
        Assert.Equal(0, before!.FailureRate);

        await using (await Gateway.InjectAsync(f => f with { LatencyMs = 50 }))
        {
            Assert.Equal(50, (await Http.GetFromJsonAsync<FaultSettings>("admin/faults"))!.LatencyMs);
        }

        using var invalid = await Http.PutAsJsonAsync("admin/faults", new { failureRate = 1.5, latencyMs = -1, slowCardDelayMs = 0 });
        var problem = await ProblemAssert.IsProblemAsync(invalid, HttpStatusCode.BadRequest, "PUT /admin/faults out of range");
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty("failureRate", out _) && errors.TryGetProperty("latencyMs", out _), $"errors: {errors}");
        Assert.Equal(before, await Http.GetFromJsonAsync<FaultSettings>("admin/faults"));
    }
}
