using OrleansSessions.ApiHost.Infrastructure;

var builder = WebApplication.CreateBuilder(ApiHostOptions.For(args));
builder.AddOrleansSessionsApi();

var app = builder.Build();
app.MapOrleansSessionsApi();
app.Run();

/// <summary>Entry point; public so tests can host the API with WebApplicationFactory.</summary>
public partial class Program;
