using System.Globalization;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using OrleansSessions.PaymentGateway;

namespace OrleansSessions.Tests.Payments;

/// <summary>The fake payment gateway started in the test process, on a free loopback port, with its ledger and faults at hand.</summary>
public sealed class RunningFakeGateway : IAsyncDisposable
{
    private readonly WebApplication app;

    private RunningFakeGateway(WebApplication app)
    {
        this.app = app;
        Url = new Uri(app.Urls.Single());
        Http = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(30) };
    }

    public Uri Url { get; }

    public HttpClient Http { get; }

    /// <param name="slowCardDelay">How long <see cref="TestCards.Slow"/> takes to authorize.</param>
    public static async Task<RunningFakeGateway> StartAsync(TimeSpan slowCardDelay)
    {
        // Port 0: the server picks a free port itself, so there is no window in which another process can take it.
        var app = FakePaymentGateway.Create(
            [
                "--urls", "http://127.0.0.1:0",
                $"--{FakePaymentGateway.SectionName}:{nameof(FaultSettings.SlowCardDelayMs)}={((int)slowCardDelay.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)}",
            ],
            builder => builder.Logging.ClearProviders());
        await app.StartAsync();
        return new RunningFakeGateway(app);
    }

    public async Task<IReadOnlyList<LedgerEntry>> LedgerAsync() =>
        await Http.GetFromJsonAsync<List<LedgerEntry>>("v1/ledger") ?? throw new InvalidOperationException("GET /v1/ledger answered null");

    /// <summary>The ledger entries of one idempotency key: the operations really carried out for it.</summary>
    public async Task<IReadOnlyList<LedgerEntry>> EntriesAsync(string idempotencyKey) =>
        [.. (await LedgerAsync()).Where(e => e.IdempotencyKey == idempotencyKey)];

    /// <summary>Changes the faults in force until the result is disposed, which puts back the ones before.</summary>
    public async Task<IAsyncDisposable> InjectAsync(Func<FaultSettings, FaultSettings> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        var before = await Http.GetFromJsonAsync<FaultSettings>("admin/faults") ?? throw new InvalidOperationException("GET /admin/faults answered null");
        await SetAsync(change(before));
        return new Restore(this, before);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await app.DisposeAsync();
    }

    private async Task SetAsync(FaultSettings faults)
    {
        using var response = await Http.PutAsJsonAsync("admin/faults", faults);
        Assert.True(response.IsSuccessStatusCode, $"PUT /admin/faults {faults}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private sealed class Restore(RunningFakeGateway gateway, FaultSettings before) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await gateway.SetAsync(before);
    }
}
