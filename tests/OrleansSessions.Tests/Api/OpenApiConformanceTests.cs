using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using OrleansSessions.Inventory;
using OrleansSessions.Tests.Infrastructure;

namespace OrleansSessions.Tests.Api;

/// <summary>
/// The OpenAPI document is the contract. Every operation it declares is called for real, one scenario per operation,
/// and every answer is checked against what the document declares for that operation and status: the status itself,
/// the required headers and their schemas, the media type and the body's schema.
/// </summary>
[Collection(EmbeddedApiCollection.Name)]
public sealed class OpenApiConformanceTests(EmbeddedApiFixture api)
{
    /// <summary>Well-formed, never issued: 404 on every session route.</summary>
    private static readonly string UnknownSessionId = new('A', 43);

    /// <summary>More than <see cref="EmbeddedApiFixture.MaxRequestBodyBytes"/> of JSON.</summary>
    private static readonly string OversizedJson = $"{{\"pad\":\"{new string('x', (int)EmbeddedApiFixture.MaxRequestBodyBytes)}\"}}";

    /// <summary>One attribute value over the default 16 KiB session budget (limit maxValueBytes), far under the body limit.</summary>
    private static readonly string OverBudgetValue = $"\"{new string('x', 17 * 1024)}\"";

    /// <summary>
    /// Declared statuses this fixture does not produce; each is checked against the document elsewhere: 503 needs a
    /// cluster that is away (UnreachableClusterTests), 429 a host with rate limits on (RateLimitTests).
    /// </summary>
    private static readonly HashSet<string> NotProducibleEmbedded = ["503", "429"];

    private readonly HttpClient http = api.Client;
    private readonly List<string> failures = [];
    private readonly Dictionary<string, SortedSet<int>> produced = new(StringComparer.Ordinal);
    private OpenApiContract contract = null!;

    [Fact]
    public async Task Every_operation_answers_each_documented_status_exactly_as_the_document_declares_it()
    {
        contract = await OpenApiContract.FetchAsync(http);
        var scenarios = Scenarios();

        foreach (var operation in contract.Operations)
        {
            if (!scenarios.TryGetValue(operation.Key, out var scenario))
            {
                failures.Add($"{operation.Key}: the document declares it but no scenario calls it (add one to {nameof(Scenarios)})");
                continue;
            }

            produced.TryAdd(operation.Key, []);
            await scenario();
        }

        await CallWithoutTheRightCredentialAsync();

        foreach (var key in scenarios.Keys.Where(k => contract.Operations.All(o => o.Key != k)))
        {
            failures.Add($"{key}: a scenario calls it but the document does not declare it");
        }

        foreach (var operation in contract.Operations.Where(o => produced.ContainsKey(o.Key)))
        {
            var seen = produced[operation.Key];
            foreach (var status in operation.DeclaredStatuses.Where(s => !NotProducibleEmbedded.Contains(s)))
            {
                if (!seen.Any(s => s.ToString(CultureInfo.InvariantCulture) == status))
                {
                    failures.Add($"{operation.Key}: declares {status} but its scenario never produced it (produced: {string.Join(", ", seen)})");
                }
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} contract mismatch(es):\n{string.Join("\n", failures)}");
    }

    [Fact]
    public async Task The_document_declares_the_statuses_headers_parameters_and_types_the_api_promises()
    {
        contract = await OpenApiContract.FetchAsync(http);

        // Creation is 201 with Location, never 200.
        var create = contract.Operation("POST /sessions");
        Expect(create.DeclaredStatuses.Contains("201") && !create.DeclaredStatuses.Contains("200"),
            $"POST /sessions: expected 201 and no 200, declared {string.Join(", ", create.DeclaredStatuses)}");
        foreach (var header in new[] { "Location", "ETag", "Cache-Control" })
        {
            ExpectRequiredHeader(create, 201, header);
        }

        // Deletes that answer 204 say so, with no body.
        foreach (var key in new[] { "DELETE /sessions/{sessionId}", "DELETE /users/{userId}/sessions/{sessionIdHash}" })
        {
            var delete = contract.Operation(key);
            var noContent = contract.DeclaredResponse(delete, 204);
            Expect(noContent is { } r && !r.TryGetProperty("content", out _) && !delete.DeclaredStatuses.Contains("200"),
                $"{key}: expected 204 without content and no 200, declared {string.Join(", ", delete.DeclaredStatuses)}");
        }

        // Session bodies carry their version and must not be cached.
        foreach (var operation in contract.Operations.Where(o => o.Path.StartsWith("/sessions/{sessionId}", StringComparison.Ordinal)))
        {
            if (contract.DeclaredResponse(operation, 200) is { } ok && RefersTo(ok, "SessionResponse"))
            {
                ExpectRequiredHeader(operation, 200, "ETag");
                ExpectRequiredHeader(operation, 200, "Cache-Control");
            }
        }

        // If-Match is a parameter exactly of the writes that honour it, and each of them declares 412.
        string[] honoursIfMatch = ["PATCH /sessions/{sessionId}", "PUT /sessions/{sessionId}/attributes/{key}", "DELETE /sessions/{sessionId}/attributes/{key}"];
        var withIfMatch = contract.Operations
            .Where(o => contract.Parameters(o).Any(p => p.GetProperty("in").GetString() == "header" && p.GetProperty("name").GetString() == "If-Match"))
            .Select(o => o.Key)
            .ToList();
        Expect(withIfMatch.Order(StringComparer.Ordinal).SequenceEqual(honoursIfMatch.Order(StringComparer.Ordinal)),
            $"If-Match parameter: expected on {string.Join(", ", honoursIfMatch)}; found on {string.Join(", ", withIfMatch)}");
        foreach (var operation in contract.Operations)
        {
            var declares412 = operation.DeclaredStatuses.Contains("412");
            Expect(declares412 == withIfMatch.Contains(operation.Key),
                $"{operation.Key}: declares 412 = {declares412} but takes If-Match = {withIfMatch.Contains(operation.Key)}");
        }

        // Every answer carries the correlation id; 503 says when to retry; 401 names the scheme.
        foreach (var operation in contract.Operations)
        {
            foreach (var status in operation.DeclaredStatuses)
            {
                if (!int.TryParse(status, NumberStyles.None, CultureInfo.InvariantCulture, out var code))
                {
                    failures.Add($"{operation.Key} → {status}: expected an exact status; ranges and default say too little for a contract");
                    continue;
                }

                ExpectRequiredHeader(operation, code, "X-Correlation-Id");
                if (code == 503)
                {
                    ExpectRequiredHeader(operation, code, "Retry-After");
                }

                if (code == 401)
                {
                    ExpectRequiredHeader(operation, code, "WWW-Authenticate");
                }

                // Every problem is application/problem+json of ApiProblem.
                if (code >= 400)
                {
                    var response = contract.DeclaredResponse(operation, code)!.Value;
                    var media = response.TryGetProperty("content", out var content) ? content.EnumerateObject().Select(m => m.Name).ToList() : [];
                    Expect(media.SequenceEqual(["application/problem+json"]) && RefersTo(response, "ApiProblem"),
                        $"{operation.Key} → {status}: expected application/problem+json of ApiProblem, declared {string.Join(", ", media)}");
                }
            }
        }

        // Numbers are numbers: no numeric schema also admits strings (web defaults read "60" as 60 and say so).
        var loose = new List<string>();
        FindLooseNumbers(contract.Document, "#", loose);
        Expect(loose.Count == 0, $"numeric schemas that also admit strings or carry a pattern: {string.Join(", ", loose)}");
        foreach (var (schema, property) in new[] { ("SessionResponse", "version"), ("CartView", "version"), ("CartLine", "quantity"), ("LogoutEverywhereResponse", "ended"), ("ApiProblem", "status") })
        {
            var type = contract.ComponentSchema(schema).GetProperty("properties").GetProperty(property).GetProperty("type");
            Expect(type.ValueKind == JsonValueKind.String && type.GetString() == "integer", $"{schema}.{property}: expected type \"integer\", got {type}");
        }

        // The problem schema carries this API's extensions; checked by validating problems against it.
        var problem = contract.ComponentSchema("ApiProblem");
        foreach (var extension in new[] { "errors", "limit", "outcome" })
        {
            Expect(problem.GetProperty("properties").TryGetProperty(extension, out _), $"ApiProblem: expected a '{extension}' property");
        }

        ExpectValid("ApiProblem", problem, """{"title":"Invalid request","status":400,"errors":{"userId":["'userId' is required."]}}""", valid: true);
        ExpectValid("ApiProblem", problem, """{"title":"Invalid request","status":400,"errors":{"userId":"not a list"}}""", valid: false);
        ExpectValid("ApiProblem", problem, """{"title":"Session limit exceeded","status":413,"limit":"maxValueBytes"}""", valid: true);
        ExpectValid("ApiProblem", problem, """{"title":"Session limit exceeded","status":413,"limit":413}""", valid: false);
        ExpectValid("ApiProblem", problem, """{"title":"Service unavailable","status":503,"outcome":"not-applied"}""", valid: true);
        ExpectValid("ApiProblem", problem, """{"title":"Service unavailable","status":503,"outcome":"unknown"}""", valid: true);
        ExpectValid("ApiProblem", problem, """{"title":"Service unavailable","status":503,"outcome":"maybe"}""", valid: false);
        ExpectValid("ApiProblem", problem, """{"title":"Bad request","status":"400"}""", valid: false);

        // The validator itself refuses what it must: a string version, a deadline that is no date-time, and (through
        // a $ref) a listed session without its dates.
        const string session = """{"id":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","userId":null,"attributes":{},"createdAt":"2026-01-01T00:00:00+00:00","lastAccessAt":"2026-01-01T00:00:00+00:00","idleExpiresAt":"2026-01-01T00:30:00+00:00","absoluteExpiresAt":"2026-01-01T12:00:00+00:00","expiresAt":"2026-01-01T00:30:00+00:00","version":1}""";
        var sessionSchema = contract.ComponentSchema("SessionResponse");
        ExpectValid("SessionResponse", sessionSchema, session, valid: true);
        ExpectValid("SessionResponse", sessionSchema, session.Replace("\"version\":1", "\"version\":\"1\"", StringComparison.Ordinal), valid: false);
        ExpectValid("SessionResponse", sessionSchema, session.Replace("2026-01-01T12:00:00+00:00", "tomorrow", StringComparison.Ordinal), valid: false);
        var listed = contract.DeclaredResponse(contract.Operation("GET /users/{userId}/sessions"), 200)!.Value
            .GetProperty("content").GetProperty("application/json").GetProperty("schema");
        ExpectValid("GET /users/{userId}/sessions → 200", listed, """[{"sessionIdHash":"AAAAAAAAAAAAAAAAAAAAAA","createdAt":"2026-01-01T00:00:00+00:00","lastAccessAt":"2026-01-01T00:00:00+00:00"}]""", valid: true);
        ExpectValid("GET /users/{userId}/sessions → 200", listed, """[{"sessionIdHash":"AAAAAAAAAAAAAAAAAAAAAA"}]""", valid: false);

        Assert.True(failures.Count == 0, $"{failures.Count} document fact(s) missing:\n{string.Join("\n", failures)}");
    }

    /// <summary>Each operation's scenario: requests that produce every status it declares (but 503), in embedded mode.</summary>
    private Dictionary<string, Func<Task>> Scenarios() => new(StringComparer.Ordinal)
    {
        ["GET /users/{userId}/cart"] = async () =>
        {
            const string op = "GET /users/{userId}/cart";
            await CallAsync(op, $"/users/{NewName("cart")}/cart", 200);
            await CallAsync(op, "/users/-cart/cart", 400);
        },
        ["POST /users/{userId}/cart/items"] = async () =>
        {
            const string op = "POST /users/{userId}/cart/items";
            var path = $"/users/{NewName("cart")}/cart/items";
            await CallAsync(op, path, 200, """{"sku":"A1","quantity":2}""");
            await CallAsync(op, path, 200, """{"sku":"A1","quantity":1}""", idempotencyKey: "add-1");
            await CallAsync(op, path, 200, """{"sku":"A1","quantity":1}""", idempotencyKey: "add-1");
            await CallAsync(op, path, 422, """{"sku":"A1","quantity":2}""", idempotencyKey: "add-1");
            await CallAsync(op, path, 400, """{"sku":"A1","quantity":0}""");
            ExpectLimit(await CallAsync(op, path, 413, OversizedJson), "maxRequestBodyBytes");
            await CallAsync(op, path, 415, content: TextPlain());
        },
        ["PUT /users/{userId}/cart/items/{sku}"] = async () =>
        {
            const string op = "PUT /users/{userId}/cart/items/{sku}";
            var path = $"/users/{NewName("cart")}/cart/items/A1";
            await CallAsync(op, path, 200, """{"quantity":3}""");
            await CallAsync(op, path, 400, """{"quantity":1000}""");
            ExpectLimit(await CallAsync(op, path, 413, OversizedJson), "maxRequestBodyBytes");
            await CallAsync(op, path, 415, content: TextPlain());
        },
        ["DELETE /users/{userId}/cart/items/{sku}"] = async () =>
        {
            const string op = "DELETE /users/{userId}/cart/items/{sku}";
            var cart = NewName("cart");
            await CallAsync("POST /users/{userId}/cart/items", $"/users/{cart}/cart/items", 200, """{"sku":"A1","quantity":1}""");
            await CallAsync(op, $"/users/{cart}/cart/items/A1", 200);
            await CallAsync(op, $"/users/{cart}/cart/items/-sku", 400);
        },
        ["GET /sessions/{sessionId}/cart"] = async () =>
        {
            const string op = "GET /sessions/{sessionId}/cart";
            var (id, _) = await CreateSessionAsync();
            await CallAsync(op, $"/sessions/{id}/cart", 200);
            await CallAsync(op, $"/sessions/{UnknownSessionId}/cart", 404);
        },
        ["POST /sessions/{sessionId}/cart/items"] = async () =>
        {
            const string op = "POST /sessions/{sessionId}/cart/items";
            var (id, _) = await CreateSessionAsync();
            var path = $"/sessions/{id}/cart/items";
            await CallAsync(op, path, 200, """{"sku":"A1","quantity":2}""", idempotencyKey: "add-1");
            await CallAsync(op, path, 422, """{"sku":"B1","quantity":2}""", idempotencyKey: "add-1");
            await CallAsync(op, path, 400, """{"sku":"A1"}""");
            await CallAsync(op, $"/sessions/{UnknownSessionId}/cart/items", 404, """{"sku":"A1","quantity":1}""");
            ExpectLimit(await CallAsync(op, path, 413, OversizedJson), "maxRequestBodyBytes");
            await CallAsync(op, path, 415, content: TextPlain());
        },
        ["PUT /sessions/{sessionId}/cart/items/{sku}"] = async () =>
        {
            const string op = "PUT /sessions/{sessionId}/cart/items/{sku}";
            var (id, _) = await CreateSessionAsync();
            var path = $"/sessions/{id}/cart/items/A1";
            await CallAsync(op, path, 200, """{"quantity":3}""");
            await CallAsync(op, path, 400, """{"quantity":1000}""");
            await CallAsync(op, $"/sessions/{UnknownSessionId}/cart/items/A1", 404, """{"quantity":3}""");
            ExpectLimit(await CallAsync(op, path, 413, OversizedJson), "maxRequestBodyBytes");
            await CallAsync(op, path, 415, content: TextPlain());
        },
        ["DELETE /sessions/{sessionId}/cart/items/{sku}"] = async () =>
        {
            const string op = "DELETE /sessions/{sessionId}/cart/items/{sku}";
            var (id, _) = await CreateSessionAsync();
            await CallAsync(op, $"/sessions/{id}/cart/items/A1", 200);
            await CallAsync(op, $"/sessions/{id}/cart/items/-sku", 400);
            await CallAsync(op, $"/sessions/{UnknownSessionId}/cart/items/A1", 404);
        },
        ["POST /users/{userId}/orders"] = async () =>
        {
            const string op = "POST /users/{userId}/orders";
            var user = NewName("buyer");
            await CallAsync("POST /users/{userId}/cart/items", $"/users/{user}/cart/items", 200, """{"sku":"A1","quantity":1}""");
            var path = $"/users/{user}/orders";
            await CallAsync(op, path, 202, """{"paymentMethod":"pm_card_visa"}""", idempotencyKey: "order-1");
            await CallAsync(op, path, 202, """{"paymentMethod":"pm_card_visa"}""", idempotencyKey: "order-1");
            await CallAsync(op, path, 422, """{"paymentMethod":"pm_card_chargeDeclined"}""", idempotencyKey: "order-1");
            await CallAsync(op, path, 400, """{"paymentMethod":"pm_card_visa"}""");
            ExpectLimit(await CallAsync(op, path, 413, OversizedJson, idempotencyKey: "order-2"), "maxRequestBodyBytes");
            await CallAsync(op, path, 415, content: TextPlain(), idempotencyKey: "order-2");
        },
        ["GET /users/{userId}/orders"] = async () =>
        {
            const string op = "GET /users/{userId}/orders";
            await CallAsync(op, $"/users/{NewName("buyer")}/orders", 200);
            await CallAsync(op, "/users/-buyer/orders", 400);
        },
        ["GET /users/{userId}/activity"] = async () =>
        {
            const string op = "GET /users/{userId}/activity";
            await CallAsync(op, $"/users/{NewName("buyer")}/activity", 200);
            await CallAsync(op, "/users/-buyer/activity", 400);
        },
        ["GET /users/{userId}/overview"] = async () =>
        {
            const string op = "GET /users/{userId}/overview";
            await CallAsync(op, $"/users/{NewName("buyer")}/overview", 200);
            await CallAsync(op, "/users/-buyer/overview", 400);
        },
        ["GET /orders/{orderId}"] = async () =>
        {
            const string op = "GET /orders/{orderId}";
            var user = NewName("buyer");
            await CallAsync("POST /users/{userId}/cart/items", $"/users/{user}/cart/items", 200, """{"sku":"A1","quantity":1}""");
            var placed = await CallAsync("POST /users/{userId}/orders", $"/users/{user}/orders", 202, """{"paymentMethod":"pm_card_visa"}""", idempotencyKey: "k");
            await CallAsync(op, placed.Headers["Location"], 200);
            await CallAsync(op, $"/orders/{NewName("order")}", 404);
            await CallAsync(op, "/orders/-order", 400);
        },
        ["GET /admin/sagas"] = async () =>
        {
            const string op = "GET /admin/sagas";
            await CallAsync(op, "/admin/sagas?status=CompensationFailed", 200);
            await CallAsync(op, "/admin/sagas?status=Pending", 400);
        },
        ["POST /admin/sagas/{orderId}/retry"] = async () =>
        {
            const string op = "POST /admin/sagas/{orderId}/retry";
            var user = NewName("buyer");
            await CallAsync("POST /users/{userId}/cart/items", $"/users/{user}/cart/items", 200, """{"sku":"A1","quantity":1}""");
            var placed = await CallAsync("POST /users/{userId}/orders", $"/users/{user}/orders", 202, """{"paymentMethod":"pm_card_visa"}""", idempotencyKey: "k");
            await CallAsync(op, $"{placed.Headers["Location"]}/retry".Replace("/orders/", "/admin/sagas/", StringComparison.Ordinal), 200);
            await CallAsync(op, $"/admin/sagas/{NewName("order")}/retry", 404);
            await CallAsync(op, "/admin/sagas/-order/retry", 400);
        },
        ["GET /admin/dead-letters"] = async () => await CallAsync("GET /admin/dead-letters", "/admin/dead-letters", 200),
        ["POST /admin/dead-letters/{id}/replay"] = async () =>
        {
            const string op = "POST /admin/dead-letters/{id}/replay";
            var user = NewName("buyer");
            var placed = new OrleansSessions.Common.Events.EventOutbox().Raise(
                "order-x", new OrleansSessions.Orders.OrderPlaced("order-x", user, []), DateTimeOffset.UtcNow, null).Pending[0];
            var letter = await api.Factory.Services.GetRequiredService<OrleansSessions.Common.Events.IDeadLetterStore>()
                .AddAsync("orders.user-history", placed, "test: set aside", 3);
            await CallAsync(op, $"/admin/dead-letters/{letter.Id}/replay", 204);
            await CallAsync(op, $"/admin/dead-letters/{letter.Id}/replay", 404);
        },
        ["GET /inventory/{sku}"] = async () =>
        {
            const string op = "GET /inventory/{sku}";
            var sku = NewName("sku");
            await CallAsync("PUT /inventory/{sku}", $"/inventory/{sku}", 200, """{"onHand":5,"unitPrice":1999,"currency":"EUR"}""");
            await CallAsync(op, $"/inventory/{sku}", 200);
            await CallAsync(op, $"/inventory/{NewName("sku")}", 404);
            await CallAsync(op, "/inventory/-sku", 400);
        },
        ["PUT /inventory/{sku}"] = async () =>
        {
            const string op = "PUT /inventory/{sku}";
            var sku = NewName("sku");
            var path = $"/inventory/{sku}";
            await CallAsync(op, path, 200, """{"onHand":5,"unitPrice":1999,"currency":"EUR"}""");
            await CallAsync(op, path, 400, """{"onHand":-1,"unitPrice":1999,"currency":"EUR"}""");

            // Below what a live reservation holds (reserved through the grain: there is no HTTP route for it).
            await api.Factory.Services.GetRequiredService<IClusterClient>().GetGrain<IInventoryGrain>(sku)
                .ReserveAsync(NewName("order"), 3, DateTimeOffset.UtcNow.AddMinutes(10));
            await CallAsync(op, path, 409, """{"onHand":2,"unitPrice":1999,"currency":"EUR"}""");
            ExpectLimit(await CallAsync(op, path, 413, OversizedJson), "maxRequestBodyBytes");
            await CallAsync(op, path, 415, content: TextPlain());
        },
        ["POST /sessions"] = async () =>
        {
            const string op = "POST /sessions";
            await CallAsync(op, "/sessions", 201, """{"attributes":{"theme":{"dark":true},"n":2},"idleTimeoutSeconds":600,"clientInfo":"contract"}""");
            await CallAsync(op, "/sessions", 201, content: null);
            await CallAsync(op, "/sessions", 400, """{"idleTimeoutSeconds":"600"}""");
            await CallAsync(op, "/sessions", 409, UserBody(await FullUserAsync()));
            ExpectLimit(await CallAsync(op, "/sessions", 413, OversizedJson), "maxRequestBodyBytes");
            ExpectLimit(await CallAsync(op, "/sessions", 413, $"{{\"attributes\":{{\"big\":{OverBudgetValue}}}}}"), "maxValueBytes");
            await CallAsync(op, "/sessions", 415, content: TextPlain());
        },
        ["GET /sessions/{sessionId}"] = async () =>
        {
            const string op = "GET /sessions/{sessionId}";
            var (id, _) = await CreateSessionAsync();
            await CallAsync(op, $"/sessions/{id}", 200);
            await CallAsync(op, $"/sessions/{UnknownSessionId}", 404);
        },
        ["PATCH /sessions/{sessionId}"] = async () =>
        {
            const string op = "PATCH /sessions/{sessionId}";
            var (id, etag) = await CreateSessionAsync();
            var path = $"/sessions/{id}";
            await CallAsync(op, path, 200, content: MergePatch("""{"theme":"dark"}"""), ifMatch: etag);
            await CallAsync(op, path, 200, """{"theme":null}""");

            // The creation ETag is two versions old now; a malformed one is a 400, not a failed precondition.
            await CallAsync(op, path, 412, content: MergePatch("""{"theme":"light"}"""), ifMatch: etag);
            await CallAsync(op, path, 400, content: MergePatch("""{"theme":"light"}"""), ifMatch: "not-an-etag");
            await CallAsync(op, $"/sessions/{UnknownSessionId}", 404, content: MergePatch("""{"theme":"light"}"""));
            ExpectLimit(await CallAsync(op, path, 413, content: MergePatch($"{{\"big\":{OverBudgetValue}}}")), "maxValueBytes");
            ExpectLimit(await CallAsync(op, path, 413, OversizedJson), "maxRequestBodyBytes");
            await CallAsync(op, path, 415, content: TextPlain());
        },
        ["DELETE /sessions/{sessionId}"] = async () =>
        {
            const string op = "DELETE /sessions/{sessionId}";
            var (id, _) = await CreateSessionAsync();
            await CallAsync(op, $"/sessions/{id}", 204);
            await CallAsync(op, $"/sessions/{id}", 404);
        },
        ["PUT /sessions/{sessionId}/attributes/{key}"] = async () =>
        {
            const string op = "PUT /sessions/{sessionId}/attributes/{key}";
            var (id, created) = await CreateSessionAsync();
            var path = $"/sessions/{id}/attributes/theme";
            var written = await CallAsync(op, path, 200, "\"dark\"");
            await CallAsync(op, path, 200, "{\"dark\":false}", ifMatch: written.Headers.GetValueOrDefault("ETag"));
            await CallAsync(op, path, 412, "\"light\"", ifMatch: created);
            await CallAsync(op, $"/sessions/{id}/attributes/-theme", 400, "\"light\"");
            await CallAsync(op, $"/sessions/{UnknownSessionId}/attributes/theme", 404, "\"light\"");
            ExpectLimit(await CallAsync(op, path, 413, OverBudgetValue), "maxValueBytes");
            ExpectLimit(await CallAsync(op, path, 413, OversizedJson), "maxRequestBodyBytes");
            await CallAsync(op, path, 415, content: TextPlain());
        },
        ["DELETE /sessions/{sessionId}/attributes/{key}"] = async () =>
        {
            const string op = "DELETE /sessions/{sessionId}/attributes/{key}";
            var (id, etag) = await CreateSessionAsync("""{"attributes":{"theme":"dark"}}""");
            var path = $"/sessions/{id}/attributes/theme";
            await CallAsync(op, path, 200, ifMatch: etag);

            // The removal moved the version on: the same ETag is stale now.
            await CallAsync(op, path, 412, ifMatch: etag);
            await CallAsync(op, $"/sessions/{id}/attributes/-theme", 400);
            await CallAsync(op, $"/sessions/{UnknownSessionId}/attributes/theme", 404);
        },
        ["POST /sessions/{sessionId}/rotate"] = async () =>
        {
            const string op = "POST /sessions/{sessionId}/rotate";
            var (id, _) = await CreateSessionAsync();
            await CallAsync(op, $"/sessions/{id}/rotate", 200);

            // The old id is dead at once.
            await CallAsync(op, $"/sessions/{id}/rotate", 404);
        },
        ["POST /sessions/{sessionId}/login"] = async () =>
        {
            const string op = "POST /sessions/{sessionId}/login";
            var (id, _) = await CreateSessionAsync();
            var (other, _) = await CreateSessionAsync();
            await CallAsync(op, $"/sessions/{id}/login", 200, UserBody(NewName("user")));
            await CallAsync(op, $"/sessions/{other}/login", 400, "{}");
            await CallAsync(op, $"/sessions/{UnknownSessionId}/login", 404, UserBody(NewName("user")));
            await CallAsync(op, $"/sessions/{other}/login", 409, UserBody(await FullUserAsync()));
            ExpectLimit(await CallAsync(op, $"/sessions/{other}/login", 413, OversizedJson), "maxRequestBodyBytes");
            await CallAsync(op, $"/sessions/{other}/login", 415, content: TextPlain());
        },
        ["GET /users/{userId}/sessions"] = async () =>
        {
            const string op = "GET /users/{userId}/sessions";
            var user = NewName("user");
            await CreateSessionAsync(UserBody(user));
            await CallAsync(op, $"/users/{user}/sessions", 200);
            await CallAsync(op, "/users/-user/sessions", 400);
        },
        ["DELETE /users/{userId}/sessions"] = async () =>
        {
            const string op = "DELETE /users/{userId}/sessions";
            var user = NewName("user");
            await CreateSessionAsync(UserBody(user));
            await CallAsync(op, $"/users/{user}/sessions", 200);
            await CallAsync(op, "/users/-user/sessions", 400);
        },
        ["DELETE /users/{userId}/sessions/{sessionIdHash}"] = async () =>
        {
            const string op = "DELETE /users/{userId}/sessions/{sessionIdHash}";
            var user = NewName("user");
            await CreateSessionAsync(UserBody(user));
            var listed = await CallAsync("GET /users/{userId}/sessions", $"/users/{user}/sessions", 200);
            var hash = listed.Json.EnumerateArray().Single().GetProperty("sessionIdHash").GetString();
            await CallAsync(op, $"/users/{user}/sessions/{hash}", 204);
            await CallAsync(op, $"/users/{user}/sessions/{hash}", 404);
            await CallAsync(op, $"/users/-user/sessions/{hash}", 400);
        },
        ["POST /sessions/{sessionId}/token"] = async () =>
        {
            const string op = "POST /sessions/{sessionId}/token";
            var (id, _) = await CreateSessionAsync();
            await CallAsync(op, $"/sessions/{id}/token", 200);
            await CallAsync(op, $"/sessions/{UnknownSessionId}/token", 404);
        },
        ["POST /tokens/validate"] = async () =>
        {
            const string op = "POST /tokens/validate";
            var (id, _) = await CreateSessionAsync();
            var issued = await CallAsync("POST /sessions/{sessionId}/token", $"/sessions/{id}/token", 200);
            await CallAsync(op, "/tokens/validate", 200, JsonSerializer.Serialize(new { token = issued.Json.GetProperty("token").GetString() }));
            await CallAsync(op, "/tokens/validate", 400, "{}");
            await CallAsync(op, "/tokens/validate", 401, """{"token":"garbage"}""");
            ExpectLimit(await CallAsync(op, "/tokens/validate", 413, OversizedJson), "maxRequestBodyBytes");
            await CallAsync(op, "/tokens/validate", 415, content: TextPlain());
        },
    };

    /// <summary>
    /// Sends one request to <paramref name="operation"/> and checks the answer against the document; a scenario that
    /// did not get the status it aimed for is reported too, so every documented status stays exercised.
    /// </summary>
    private async Task<ContractResponse> CallAsync(
        string operation, string path, int expect, string? json = null, HttpContent? content = null, string? ifMatch = null, string? idempotencyKey = null,
        HttpClient? caller = null)
    {
        var op = contract.Operation(operation);
        using var request = new HttpRequestMessage(new HttpMethod(op.Method), new Uri(path, UriKind.Relative))
        {
            Content = content ?? (json is null ? null : new StringContent(json, Encoding.UTF8, "application/json")),
        };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        if (ifMatch is not null)
        {
            // Unvalidated: a malformed If-Match is one of the requests sent on purpose.
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        using var response = await (caller ?? http).SendAsync(request);
        var answer = await ContractResponse.ReadAsync(response);
        produced.TryAdd(op.Key, []);
        produced[op.Key].Add(answer.Status);
        failures.AddRange(contract.Check(op, answer));
        if (answer.Status is >= 200 and < 300)
        {
            failures.AddRange(contract.CheckAcceptedRequest(op, path, request.Content?.Headers.ContentType?.MediaType));
        }

        if (answer.Status != expect)
        {
            failures.Add($"{op.Key} {Shorten(path)}: the scenario expected {expect}, got {answer.Status}: {Shorten(answer.Body)}");
        }

        return answer;
    }

    /// <summary>
    /// Every operation: without a credential 401, with a key without scopes 403, and with an end user's session token
    /// on someone else's resource the 404 an unknown one gets (403 on the routes that are for services only).
    /// </summary>
    private async Task CallWithoutTheRightCredentialAsync()
    {
        var (session, _) = await CreateSessionAsync(UserBody(NewName("end-user")));
        var token = (await CallAsync("POST /sessions/{sessionId}/token", $"/sessions/{session}/token", 200)).Json.GetProperty("token").GetString()!;
        using var anonymous = api.Factory.AnonymousClient();
        using var scopeless = api.Factory.AnonymousClient().WithKey(TestCredentials.NoScopes);
        using var endUser = api.Factory.BearerClient(token);
        foreach (var operation in contract.Operations)
        {
            var path = Regex.Replace(operation.Path, "{([A-Za-z]+)}", m => m.Groups[1].Value switch
            {
                "sessionId" => UnknownSessionId,
                "sessionIdHash" => new string('A', 22),
                "key" => "theme",
                "id" => "1",
                _ => NewName("someone-else"),
            });
            await CallAsync(operation.Key, path, 401, caller: anonymous);
            await CallAsync(operation.Key, path, 403, caller: scopeless);
            var servicesOnly = operation.Definition.TryGetProperty("description", out var description)
                && description.GetString()!.EndsWith("end users: none.", StringComparison.Ordinal);
            await CallAsync(operation.Key, path, servicesOnly ? 403 : 404, caller: endUser);
        }
    }

    /// <summary>Creates a session for a scenario to work on; its id and ETag.</summary>
    private async Task<(string Id, string ETag)> CreateSessionAsync(string json = "{}")
    {
        var created = await CallAsync("POST /sessions", "/sessions", 201, json);
        Assert.True(created.Status == 201, $"POST /sessions (setup): expected 201, got {created.Status}: {created.Body}");
        return (created.Json.GetProperty("id").GetString()!, created.Headers["ETag"]);
    }

    /// <summary>A fresh user at the default limit of 10 sessions (policy Reject): one more is 409.</summary>
    private async Task<string> FullUserAsync()
    {
        var user = NewName("full");
        for (var i = 0; i < 10; i++)
        {
            await CreateSessionAsync(UserBody(user));
        }

        return user;
    }

    private void ExpectLimit(ContractResponse answer, string limit)
    {
        if (answer.Status == 413 && !(answer.Json.TryGetProperty("limit", out var actual) && actual.GetString() == limit))
        {
            failures.Add($"413 {Shorten(answer.Body)}: expected limit '{limit}'");
        }
    }

    private void ExpectRequiredHeader(ContractOperation operation, int status, string header)
    {
        var declared = contract.DeclaredResponse(operation, status);
        var required = declared is { } r && r.TryGetProperty("headers", out var headers) && headers.TryGetProperty(header, out var h)
            && contract.Resolve(h).TryGetProperty("required", out var flag) && flag.GetBoolean();
        Expect(required, $"{operation.Key} → {status}: expected header {header} declared with required: true");
    }

    private void ExpectValid(string schemaName, JsonElement schema, string instance, bool valid)
    {
        using var document = JsonDocument.Parse(instance);
        var errors = contract.Validate(schema, document.RootElement);
        Expect(errors.Count == 0 == valid, $"{schemaName}: {instance} should be {(valid ? "valid" : "invalid")}; errors: {string.Join("; ", errors)}");
    }

    private void Expect(bool condition, string failure)
    {
        if (!condition)
        {
            failures.Add(failure);
        }
    }

    private static bool RefersTo(JsonElement response, string component)
        => response.TryGetProperty("content", out var content)
            && content.EnumerateObject().All(m => m.Value.TryGetProperty("schema", out var schema)
                && schema.TryGetProperty("$ref", out var reference) && reference.GetString() == $"#/components/schemas/{component}");

    /// <summary>Schemas anywhere in the document whose type is numeric but that also admit a string or carry a pattern.</summary>
    private static void FindLooseNumbers(JsonElement node, string path, List<string> loose)
    {
        if (node.ValueKind == JsonValueKind.Object)
        {
            if (node.TryGetProperty("type", out var type) && type.ValueKind is JsonValueKind.String or JsonValueKind.Array)
            {
                var types = type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()).ToList() : [type.GetString()];
                if ((types.Contains("integer") || types.Contains("number")) && (types.Contains("string") || node.TryGetProperty("pattern", out _)))
                {
                    loose.Add($"{path} ({type})");
                }
            }

            if (node.TryGetProperty("format", out var format) && format.GetString() is "int32" or "int64"
                && !(node.TryGetProperty("type", out var t) && (t.ValueKind == JsonValueKind.String ? t.GetString() == "integer" : t.EnumerateArray().Select(x => x.GetString()).Order(StringComparer.Ordinal).SequenceEqual(["integer", "null"]))))
            {
                loose.Add($"{path} (format {format} with type {(node.TryGetProperty("type", out var bad) ? bad.ToString() : "none")})");
            }

            foreach (var property in node.EnumerateObject())
            {
                FindLooseNumbers(property.Value, $"{path}/{property.Name.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal)}", loose);
            }
        }
        else if (node.ValueKind == JsonValueKind.Array)
        {
            var i = 0;
            foreach (var item in node.EnumerateArray())
            {
                FindLooseNumbers(item, $"{path}/{i++}", loose);
            }
        }
    }

    private static string NewName(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    private static string UserBody(string userId) => JsonSerializer.Serialize(new { userId });

    private static StringContent MergePatch(string json) => new(json, Encoding.UTF8, "application/merge-patch+json");

    private static StringContent TextPlain() => new("theme=dark", Encoding.UTF8, "text/plain");

    private static string Shorten(string text) => text.Length <= 300 ? text : $"{text[..300]}… ({text.Length} chars)";
}

/// <summary>
/// 503 cannot happen in embedded mode: a host in cluster mode whose database is nowhere answers it on every grain-backed
/// route. Every operation of that host's document is called; those that declare 503 must answer it as declared, and
/// the others must not answer an undeclared status.
/// </summary>
public sealed class OpenApiConformanceOutageTests : IDisposable
{
    /// <summary>A well-formed value for each path parameter, so the request gets past routing to the availability check.</summary>
    private static readonly Dictionary<string, string> PathSamples = new(StringComparer.Ordinal)
    {
        ["sessionId"] = new('A', 43),
        ["sessionIdHash"] = new('A', 22),
        ["key"] = "theme",
        ["userId"] = "user-1",
        ["cartId"] = "cart-1",
        ["sku"] = "A1",
        ["orderId"] = "order-1",
        ["id"] = "1",
    };

    private readonly ApiHostFactory factory = ApiHostFactory.ForUnreachableCluster();

    public void Dispose() => factory.Dispose();

    [Fact]
    public async Task Every_grain_backed_operation_answers_its_documented_503_with_retry_after_while_the_cluster_is_unreachable()
    {
        var http = factory.StartClient();
        var contract = await OpenApiContract.FetchAsync(http);
        var failures = new List<string>();
        var unavailable = 0;

        foreach (var operation in contract.Operations)
        {
            var path = string.Join('/', operation.Path.Split('/').Select(segment => segment is ['{', .. var name, '}']
                ? PathSamples.GetValueOrDefault(name) ?? $"no-sample-for-{name}"
                : segment));
            if (path.Contains("no-sample-for-", StringComparison.Ordinal))
            {
                failures.Add($"{operation.Key}: add a sample value for its path parameters to {nameof(PathSamples)}");
                continue;
            }

            using var request = new HttpRequestMessage(new HttpMethod(operation.Method), new Uri(path, UriKind.Relative));
            if (operation.Definition.TryGetProperty("requestBody", out var body))
            {
                var mediaType = contract.Resolve(body).GetProperty("content").EnumerateObject().First().Name;
                request.Content = new StringContent("{}", Encoding.UTF8, mediaType);
            }

            using var response = await http.SendAsync(request);
            var answer = await ContractResponse.ReadAsync(response);
            failures.AddRange(contract.Check(operation, answer));
            if (!operation.DeclaredStatuses.Contains("503"))
            {
                continue;
            }

            unavailable++;
            if (answer.Status != 503)
            {
                failures.Add($"{operation.Key} {path}: expected 503 without a cluster, got {answer.Status}: {answer.Body}");
            }
            else if (!(answer.Json.TryGetProperty("outcome", out var outcome) && outcome.GetString() == "not-applied"))
            {
                failures.Add($"{operation.Key} → 503: expected outcome 'not-applied' (refused before any grain call): {answer.Body}");
            }
        }

        Assert.True(unavailable >= 2, $"expected at least two operations to declare 503, found {unavailable}");
        Assert.True(failures.Count == 0, $"{failures.Count} contract mismatch(es) without a cluster:\n{string.Join("\n", failures)}");
    }
}
