namespace OrleansSessions.PaymentGateway;

/// <summary>The faults in force; starts from the <c>FakeGateway</c> configuration section, changed through <c>PUT /admin/faults</c>.</summary>
internal sealed class GatewayFaults(FaultSettings initial)
{
    private FaultSettings current = initial;

    public FaultSettings Current
    {
        get => Volatile.Read(ref current);
        set => Volatile.Write(ref current, value);
    }

    /// <summary>What is wrong with <paramref name="settings"/>, by field; empty when they can be applied.</summary>
    public static Dictionary<string, string[]> Validate(FaultSettings settings)
    {
        var errors = new Dictionary<string, string[]>();
        if (settings.FailureRate is < 0 or > 1 || double.IsNaN(settings.FailureRate))
        {
            errors["failureRate"] = ["'failureRate' must be between 0 and 1."];
        }

        if (settings.LatencyMs < 0)
        {
            errors["latencyMs"] = ["'latencyMs' must not be negative."];
        }

        if (settings.SlowCardDelayMs < 0)
        {
            errors["slowCardDelayMs"] = ["'slowCardDelayMs' must not be negative."];
        }

        return errors;
    }
}
