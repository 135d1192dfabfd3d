namespace OrleansSessions.PaymentGateway;

// Not top-level statements: their Program class is public in the global namespace, and would clash with the API host's
// in the projects that reference both.
internal static class Program
{
    /// <summary>Listens on http://127.0.0.1:5090 unless --urls (or ASPNETCORE_URLS) says otherwise.</summary>
    public static Task Main(string[] args) => FakePaymentGateway.Create(args).RunAsync();
}
