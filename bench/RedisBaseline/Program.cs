using System.Text.Json;
using OrleansSessions.Bench.RedisBaseline;
using StackExchange.Redis;

// Benchmark baseline for scripts/bench: the sessions contract of the OrleansSessions API host (the operations the
// benchmark measures) on Redis, stored like a typical Redis session store (Spring Session, ASP.NET Core's Redis
// IDistributedCache): one hash per session, a sliding idle TTL refreshed with EXPIRE on every access.
var builder = WebApplication.CreateBuilder(args);
var redisConfiguration = builder.Configuration["Redis:Configuration"] ?? "127.0.0.1:6379";
var idleTimeout = TimeSpan.FromSeconds(builder.Configuration.GetValue("Sessions:IdleTimeoutSeconds", 1800));

// One multiplexer for the process: it pipelines every request's commands over its connection.
var redis = await ConnectionMultiplexer.ConnectAsync(redisConfiguration);
builder.Services.AddSingleton<IConnectionMultiplexer>(redis);
builder.Services.AddSingleton(new RedisSessionStore(redis.GetDatabase(), idleTimeout));
builder.Services.AddProblemDetails();

var app = builder.Build();

app.MapGet("/health/ready", async (IConnectionMultiplexer mux) =>
{
    await mux.GetDatabase().PingAsync();
    return Results.Text("Healthy");
});

app.MapPost("/sessions", async (CreateSessionRequest? body, HttpContext http, RedisSessionStore store) =>
{
    var id = RedisSessionStore.NewId();
    var entries = await store.CreateAsync(id, body?.Attributes);
    http.Response.Headers.Location = $"/sessions/{id}";
    await RedisSessionStore.WriteAsync(http, StatusCodes.Status201Created, id, entries, store.IdleTimeout);
});

app.MapGet("/sessions/{sessionId}", async (string sessionId, HttpContext http, RedisSessionStore store) =>
{
    var entries = RedisSessionStore.IsWellFormed(sessionId) ? await store.GetAsync(sessionId) : null;
    await (entries is null
        ? Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Session not found").ExecuteAsync(http)
        : RedisSessionStore.WriteAsync(http, StatusCodes.Status200OK, sessionId, entries, store.IdleTimeout));
});

app.MapPut("/sessions/{sessionId}/attributes/{key}", async (string sessionId, string key, JsonElement value, HttpContext http, RedisSessionStore store) =>
{
    var entries = RedisSessionStore.IsWellFormed(sessionId) ? await store.SetAttributeAsync(sessionId, key, value.GetRawText()) : null;
    await (entries is null
        ? Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Session not found").ExecuteAsync(http)
        : RedisSessionStore.WriteAsync(http, StatusCodes.Status200OK, sessionId, entries, store.IdleTimeout));
});

await app.RunAsync();
