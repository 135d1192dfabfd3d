using OrleansSessions.PaymentGateway;

// Listens on http://127.0.0.1:5090 unless --urls (or ASPNETCORE_URLS) says otherwise.
await FakePaymentGateway.Create(args).RunAsync();
