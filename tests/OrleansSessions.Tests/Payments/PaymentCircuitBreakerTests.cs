using OrleansSessions.PaymentGateway;
using OrleansSessions.Payments;
using OrleansSessions.Tests.Infrastructure;

namespace OrleansSessions.Tests.Payments;

/// <summary>The circuit breaker in front of the payment gateway, on a cluster of its own (its circuits must not trip other tests).</summary>
[Collection(PaymentCircuitClusterCollection.Name)]
public sealed class PaymentCircuitBreakerTests(PaymentCircuitClusterFixture fixture)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Repeated_gateway_failures_open_the_circuit_which_refuses_calls_without_sending_them_and_closes_again_after_the_break()
    {
        // One payment, so every call goes through the circuit of the silo its activation lives on.
        var id = $"order-{Guid.NewGuid():N}";
        var payment = fixture.Client.GetGrain<IPaymentGrain>(id);
        var request = new PaymentRequest(990, "EUR", TestCards.Visa);

        await using (await fixture.Gateway.InjectAsync(f => f with { FailureRate = 1 }))
        {
            await Poll.ForAsync(
                async () =>
                {
                    try
                    {
                        await payment.AuthorizeAsync(request);
                        Assert.Fail($"payment {id}: authorized while the gateway fails every call");
                    }
                    catch (PaymentGatewayUnavailableException e) when (e.Failure == PaymentGatewayFailure.CircuitOpen)
                    {
                        return e;
                    }
                    catch (PaymentGatewayUnavailableException)
                    {
                        // Server errors count towards opening the circuit.
                    }

                    return null;
                },
                Deadline,
                $"the circuit to open for payment {id}");
        }

        // The gateway is healthy again, but the open circuit still refuses at once, sending nothing.
        var refused = await Assert.ThrowsAsync<PaymentGatewayUnavailableException>(() => payment.AuthorizeAsync(request));
        Assert.True(refused.Failure == PaymentGatewayFailure.CircuitOpen, $"payment {id}: {refused.Failure}: {refused.Message}");
        Assert.True((await fixture.Gateway.EntriesAsync($"{id}:authorize")).Count == 0, $"payment {id}: nothing may reach the gateway");

        // After the break, a probe goes through and closes it; the pending authorization settles with its key, once.
        var authorized = await Poll.ForAsync(
            async () =>
            {
                try
                {
                    return await payment.AuthorizeAsync(request);
                }
                catch (PaymentGatewayUnavailableException e) when (e.Failure == PaymentGatewayFailure.CircuitOpen)
                {
                    return null;
                }
            },
            Deadline,
            $"the circuit to close for payment {id}");
        Assert.True(authorized.Status == PaymentStatus.Authorized, $"payment {id}: {authorized}");
        Assert.True((await fixture.Gateway.EntriesAsync($"{id}:authorize")).Count == 1, $"payment {id}: one authorization expected");
    }
}
