using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using Npgsql;
using OrleansSessions.Bench;

// Benchmark peers for scripts/bench: what OrleansSessions is measured against, on the same Kestrel settings (server
// GC, loopback). Each peer is mapped only when its backend is configured:
//   GET  /constant                                  always: a fixed session-sized body (the ceiling of any read)
//   POST /stock/sessions, GET /stock/session,       Redis:Configuration: the stock ASP.NET Core session middleware
//   PUT  /stock/session/attributes/{key}            (AddStackExchangeRedisCache + AddSession), cookie-keyed
//   POST /pg/sessions,                              ConnectionStrings:Postgres: one Npgsql upsert per request,
//   PUT  /pg/sessions/{id}/attributes/{key}         acknowledged after its commit
var builder = WebApplication.CreateBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
var redis = builder.Configuration["Redis:Configuration"];
var postgres = builder.Configuration.GetConnectionString("Postgres");
var constantBody = builder.Configuration["Peers:ConstantBodyFile"] is { Length: > 0 } file
    ? await File.ReadAllBytesAsync(file)
    : """{"constant":true}"""u8.ToArray();

if (redis is not null)
{
    builder.Services.AddStackExchangeRedisCache(o =>
    {
        o.Configuration = redis;
        o.InstanceName = "stock:";
    });
    builder.Services.AddSession(o => o.IdleTimeout = TimeSpan.FromMinutes(30));
}

if (postgres is not null)
{
    builder.Services.AddSingleton(NpgsqlDataSource.Create(postgres));
}

var app = builder.Build();
app.MapGet("/health/ready", () => "Healthy");

app.MapGet("/constant", (HttpContext http) => JsonResponse.WriteAsync(http, StatusCodes.Status200OK, constantBody));

if (redis is not null)
{
    app.UseWhen(http => http.Request.Path.StartsWithSegments("/stock"), stock => stock.UseSession());

    // Every attribute of the create body becomes one session key holding its JSON text.
    app.MapPost("/stock/sessions", async (HttpContext http, CreateRequest body) =>
    {
        await http.Session.LoadAsync();
        foreach (var (key, value) in body.Attributes ?? [])
        {
            http.Session.SetString(key, value.GetRawText());
        }

        await http.Session.CommitAsync();
        await StockSession.WriteAsync(http, StatusCodes.Status201Created);
    });

    app.MapGet("/stock/session", async (HttpContext http) =>
    {
        await http.Session.LoadAsync();
        await StockSession.WriteAsync(http, StatusCodes.Status200OK);
    });

    // Committed before the answer, as OrleansSessions stores a write before acknowledging it; without the explicit
    // commit the middleware would commit after the body has gone out.
    app.MapPut("/stock/session/attributes/{key}", async (HttpContext http, string key, JsonElement value) =>
    {
        await http.Session.LoadAsync();
        if (!http.Session.Keys.Any())
        {
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        http.Session.SetString(key, value.GetRawText());
        await http.Session.CommitAsync();
        await StockSession.WriteAsync(http, StatusCodes.Status200OK);
    });
}

if (postgres is not null)
{
    var data = app.Services.GetRequiredService<NpgsqlDataSource>();
    await using (var create = data.CreateCommand(
        "CREATE TABLE IF NOT EXISTS bench_sessions (id text PRIMARY KEY, attributes bytea NOT NULL, version bigint NOT NULL)"))
    {
        await create.ExecuteNonQueryAsync();
    }

    app.MapPost("/pg/sessions", async (HttpContext http, NpgsqlDataSource db) =>
    {
        var id = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var attributes = await PgSession.ReadBodyAsync(http.Request);
        await using var insert = db.CreateCommand("INSERT INTO bench_sessions (id, attributes, version) VALUES ($1, $2, 1)");
        insert.Parameters.Add(new() { Value = id });
        insert.Parameters.Add(new() { Value = attributes });
        await insert.ExecuteNonQueryAsync();
        http.Response.StatusCode = StatusCodes.Status201Created;
        await http.Response.WriteAsJsonAsync(new { id, version = 1L });
    });

    // The row holds a session's whole attributes (~1 KB), as a session grain's stored state does.
    app.MapPut("/pg/sessions/{id}/attributes/{key}", async (HttpContext http, string id, NpgsqlDataSource db) =>
    {
        var attributes = await PgSession.ReadBodyAsync(http.Request);
        await using var upsert = db.CreateCommand("""
            INSERT INTO bench_sessions AS s (id, attributes, version) VALUES ($1, $2, 1)
            ON CONFLICT (id) DO UPDATE SET attributes = substring(s.attributes from 1 for 1024) || EXCLUDED.attributes, version = s.version + 1
            RETURNING version
            """);
        upsert.Parameters.Add(new() { Value = id });
        upsert.Parameters.Add(new() { Value = attributes });
        var version = (long)(await upsert.ExecuteScalarAsync())!;
        await http.Response.WriteAsJsonAsync(new { id, version });
    });
}

await app.RunAsync();

/// <summary>The create body: the same shape as the OrleansSessions API's (other members are ignored).</summary>
internal sealed record CreateRequest(Dictionary<string, JsonElement>? Attributes);

internal static class StockSession
{
    /// <summary>Writes <c>{"attributes":{...}}</c>, each value copied as stored; 404 when the session has no keys.</summary>
    public static async Task WriteAsync(HttpContext http, int status)
    {
        var session = http.Session;
        if (!session.Keys.Any())
        {
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        var buffer = new ArrayBufferWriter<byte>(2048);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("attributes");
            foreach (var key in session.Keys)
            {
                json.WritePropertyName(key);
                json.WriteRawValue(session.Get(key)!, skipInputValidation: true);
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        await JsonResponse.WriteAsync(http, status, buffer.WrittenMemory);
    }
}

internal static class PgSession
{
    public static async Task<byte[]> ReadBodyAsync(HttpRequest request)
    {
        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body);
        return body.ToArray();
    }
}
