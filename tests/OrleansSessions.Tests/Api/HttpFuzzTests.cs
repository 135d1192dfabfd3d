using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using CsCheck;
using OrleansSessions.Sessions;
using OrleansSessions.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansSessions.Tests.Api;

/// <summary>
/// Property-based fuzz of the whole HTTP API against its contract: never a 5xx; every 4xx from the app is a
/// problem-details document; every response carries a safe correlation id (the caller's when it is safe); a refused
/// request changes nothing; an accepted value reads back byte for byte.
/// </summary>
/// <remarks>
/// The seed (a CsCheck <see cref="PCG"/> seed, env <c>ORLEANSSESSIONS_FUZZ_SEED</c>) fixes every generated request.
/// Requests run in <see cref="Lanes"/> lanes: each lane is sequential and owns its ids (control session, control cart,
/// users, carts, the sessions it creates), so what a lane observes does not depend on how lanes interleave, and the
/// control checks after each request are ordered.
/// </remarks>
[Collection(EmbeddedApiCollection.Name)]
public sealed class HttpFuzzTests(EmbeddedApiFixture api, ITestOutputHelper output)
{
    private const string SeedVariable = "ORLEANSSESSIONS_FUZZ_SEED";
    private const string RequestsVariable = "ORLEANSSESSIONS_FUZZ_REQUESTS";
    private const string DumpVariable = "ORLEANSSESSIONS_FUZZ_DUMP";
    private const int Lanes = 6;
    private const int DefaultRequests = 10_200;

    /// <summary>A wedged API must fail the run with its seed, not hang it.</summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Generated_requests_keep_the_http_contract_on_every_route()
    {
        var seed = Environment.GetEnvironmentVariable(SeedVariable) is { Length: > 0 } given ? given.Trim() : NewSeed();
        var requests = int.TryParse(Environment.GetEnvironmentVariable(RequestsVariable), CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : DefaultRequests;
        var master = PCG.Parse(seed);

        // Derived from the seed, so a replay sends the same ids; lane prefixes keep the run apart from other tests.
        var run = master.Next().ToString("x8", CultureInfo.InvariantCulture);
        using var handler = Handler();
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(20) }.WithKey(TestCredentials.AllScopes);
        using var freshHandler = Handler();
        using var fresh = new HttpClient(freshHandler) { Timeout = TimeSpan.FromSeconds(20) }.WithKey(TestCredentials.AllScopes);
        var origin = api.Client.BaseAddress!.GetLeftPart(UriPartial.Authority);
        var findings = new FuzzFindings(seed);
        using var deadline = new CancellationTokenSource(Deadline);
        var lanes = Enumerable.Range(0, Lanes)
            .Select(i => new FuzzLane(
                http, fresh, origin, i, $"fz{run}-l{i}", new PCG((uint)i + 1, master.Next64()),
                requests / Lanes + (i < requests % Lanes ? 1 : 0), findings, deadline.Token))
            .ToList();

        var clock = Stopwatch.StartNew();
        await Task.WhenAll(lanes.Select(lane => Task.Run(lane.RunAsync)));
        clock.Stop();

        var sent = lanes.Sum(l => l.Sent);
        var checks = lanes.Sum(l => l.CheckRequests);
        output.WriteLine($"seed {seed} ({SeedVariable}={seed} replays it)");
        output.WriteLine(
            $"{sent} generated requests + {checks} check requests in {clock.Elapsed.TotalSeconds:F1} s over {Lanes} lanes "
            + $"({(sent + checks) / clock.Elapsed.TotalSeconds:F0} req/s; {lanes.Sum(l => l.Retries)} sent again after a pooled connection failed)");
        foreach (var retry in lanes.SelectMany(l => l.RetriedAfter).Take(5))
        {
            output.WriteLine("sent again: " + retry);
        }

        output.WriteLine("statuses: " + string.Join(", ", lanes.SelectMany(l => l.Statuses).GroupBy(s => s.Key)
            .OrderBy(g => g.Key).Select(g => $"{g.Key}×{g.Sum(s => s.Value)}")));
        output.WriteLine("accepted (2xx) hostile inputs: " + string.Join(", ", lanes.SelectMany(l => l.AcceptedHostile).GroupBy(s => s.Key)
            .OrderByDescending(g => g.Sum(s => s.Value)).Select(g => $"{g.Key}×{g.Sum(s => s.Value)}")));
        output.WriteLine("answered by Kestrel before the app (most frequent input classes): " + string.Join(", ", lanes.SelectMany(l => l.AnsweredByKestrel)
            .GroupBy(s => s.Key).OrderByDescending(g => g.Sum(s => s.Value)).Take(12).Select(g => $"{g.Key}×{g.Sum(s => s.Value)}")));
        output.WriteLine($"read-back checks: {lanes.Sum(l => l.ReadBacks)}, semantic: {lanes.Sum(l => l.SemanticChecks)}, control re-reads: {lanes.Sum(l => l.ControlChecks)}");
        if (!findings.IsEmpty)
        {
            output.WriteLine($"{findings.Count} findings:\n{findings.Summary()}");
            if (Environment.GetEnvironmentVariable(DumpVariable) is { Length: > 0 } dump)
            {
                await File.WriteAllTextAsync(dump, findings.Dump());
                output.WriteLine($"all findings written to {dump}");
            }
        }

        Assert.True(sent >= requests || !findings.IsEmpty, $"seed {seed}: only {sent} of {requests} requests were sent");
        Assert.True(findings.IsEmpty, findings.Report(sent));
    }

    private static SocketsHttpHandler Handler() => new()
    {
        // Latin-1 maps each char to one byte: header values go out as exactly the generated bytes and come back so.
        RequestHeaderEncodingSelector = (_, _) => Encoding.Latin1,
        ResponseHeaderEncodingSelector = (_, _) => Encoding.Latin1,
        AllowAutoRedirect = false,
        UseCookies = false,
        ConnectTimeout = TimeSpan.FromSeconds(10),
    };

    private static string NewSeed()
        => new PCG((uint)RandomNumberGenerator.GetInt32(1, 1 << 16), (ulong)RandomNumberGenerator.GetInt32(int.MaxValue) << 31 ^ (ulong)Stopwatch.GetTimestamp()).ToString();
}

/// <summary>A request with its slots filled in, exactly as sent.</summary>
internal sealed record FuzzExchange(FuzzRequest Request, string Path, IReadOnlyList<FuzzHeader> Headers, byte[]? Body, string? ResolvedSession)
{
    public string Describe()
    {
        var text = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"{Request.Method} {FuzzText.Escape(Encoding.Latin1.GetBytes(Path), 300)}");
        foreach (var header in Headers)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n    {header.Name}: {FuzzText.Escape(header.Value, 200)}");
        }

        if (Request.ContentType is { } contentType)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n    Content-Type: {contentType}");
        }

        text.Append(Body is null ? "\n    (no body)" : $"\n    body ({Body.Length} bytes): {FuzzText.Escape(Body, 400)}");
        return text.ToString();
    }
}

internal sealed record FuzzResponse(
    int Status, string? MediaType, byte[] Body, IReadOnlyList<string> Correlation, string? ETag, string? Error, bool ConnectionClose = false)
{
    /// <summary>Inputs Kestrel refuses at the protocol level: NUL in the path, header bytes it does not take.</summary>
    private static readonly HashSet<string> ProtocolLevel = new(["id:nul", "key:nul", "corr:control", "corr:invalid-utf8"], StringComparer.Ordinal);

    /// <summary>
    /// Kestrel answers some malformed requests itself, before the app runs: an empty 400/414/431 without our headers, on a
    /// connection it closes. Only requests that are malformed that way qualify (a protocol-level input, a request line
    /// near Kestrel's 8 KiB limit, headers near its 32 KiB limit): an app answer of that shape is a violation.
    /// </summary>
    public bool FromKestrel(FuzzExchange exchange)
        => Status is 400 or 414 or 431 && Body.Length == 0 && MediaType is null && Correlation.Count == 0 && ConnectionClose
           && (exchange.Request.Tags.Any(ProtocolLevel.Contains)
               || exchange.Request.Method.Length + exchange.Path.Length > 7 * 1024
               || exchange.Headers.Sum(h => h.Name.Length + h.Value.Length) > 28 * 1024);

    /// <summary>The exchange failed before any of a response arrived (not an answer cut off half-way).</summary>
    public bool BeforeResponse { get; init; }

    public bool Accepted => Status is >= 200 and < 300;

    public bool Refused => Status is >= 400 and < 500;

    public string Describe()
        => Error is not null
            ? $"no response: {Error}"
            : $"{Status} {MediaType ?? "(no content type)"}; X-Correlation-Id: [{string.Join(" | ", Correlation.Select(c => FuzzText.Escape(Encoding.Latin1.GetBytes(c), 80)))}]; "
              + $"body: {FuzzText.Escape(Body, 300)}";
}

/// <summary>A session as the API answered it: attributes as raw bytes per (decoded) name.</summary>
internal sealed record SessionSnapshot(string Id, string? UserId, long Version, string? ETag, IReadOnlyDictionary<string, byte[]> Raw, JObject Attributes)
{
    private static readonly JsonDocumentOptions Deep = new() { MaxDepth = 1024 };

    public static SessionSnapshot? TryParse(FuzzResponse response)
    {
        try
        {
            using var document = JsonDocument.Parse(response.Body, Deep);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("attributes", out var attributes) || attributes.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("version", out var version) || !version.TryGetInt64(out var v))
            {
                return null;
            }

            var raw = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            foreach (var property in attributes.EnumerateObject())
            {
                raw[JValue.Name(property)] = JsonMarshal.GetRawUtf8Value(property.Value).ToArray();
            }

            var userId = root.TryGetProperty("userId", out var user) && user.ValueKind == JsonValueKind.String ? user.GetString() : null;
            return new SessionSnapshot(id.GetString()!, userId, v, response.ETag, raw, (JObject)JValue.From(attributes));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>What a refused request must leave alone: attributes (bytes), user and version. Not the deadlines: reads slide them.</summary>
    public string Content
        => $"user={UserId}; version={Version}; etag={ETag}; "
           + string.Join("; ", Raw.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"{FuzzText.Escape(Encoding.UTF8.GetBytes(a.Key), 60)}={FuzzText.Escape(a.Value, 120)}"))
           + $"; sha256={Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', Raw.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => a.Key + "=" + Convert.ToHexString(a.Value))))))}";
}

internal static partial class FuzzText
{
    /// <summary>The correlation id a response may echo (and must be, when it replaces one).</summary>
    [GeneratedRegex(@"^[A-Za-z0-9._:+/=-]{1,128}\z", RegexOptions.CultureInvariant)]
    public static partial Regex SafeToken();

    /// <summary>Printable ASCII as is, the rest as escapes; long values keep their head and tail.</summary>
    public static string Escape(ReadOnlySpan<byte> bytes, int max)
    {
        var text = new StringBuilder();
        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes.Length > max && i == max * 2 / 3)
            {
                var skip = bytes.Length - max;
                text.Append(CultureInfo.InvariantCulture, $"…({skip} bytes)…");
                i += skip - 1;
                continue;
            }

            var b = bytes[i];
            _ = b switch
            {
                (byte)'\\' => text.Append("\\\\"),
                (byte)'\n' => text.Append("\\n"),
                (byte)'\r' => text.Append("\\r"),
                (byte)'\t' => text.Append("\\t"),
                >= 0x20 and < 0x7F => text.Append((char)b),
                _ => text.Append(CultureInfo.InvariantCulture, $"\\x{b:X2}"),
            };
        }

        return text.ToString();
    }
}

/// <summary>Contract violations, grouped by what broke, where, and with which status; the first example of each kept whole.</summary>
internal sealed class FuzzFindings(string seed)
{
    /// <summary>Worst first: the report leads with what breaks clients and data.</summary>
    private static readonly string[] Severity =
    [
        "lane aborted", "5xx", "no response", "refused request changed the control session", "refused request changed the control cart",
        "accepted value does not read back", "accepted value does not read back byte-equal", "accepted value differs from what was sent",
        "accepted without a session", "accepted what must be refused", "4xx is not problem+json", "correlation id missing",
        "correlation id not echoed", "correlation id unsafe",
    ];

    private readonly ConcurrentQueue<Finding> all = new();

    private sealed record Finding(string Check, string Route, int Status, int Lane, int Index, IReadOnlyList<string> Tags, string Request, string Response, string Detail)
    {
        public string Describe()
            => $"  seed/lane/request: lane {Lane}, request #{Index}, input classes [{string.Join(", ", Tags)}]\n  {Detail}\n  request: {Request}\n  response: {Response}";
    }

    public bool IsEmpty => all.IsEmpty;

    public int Count => all.Count;

    public void Add(string check, FuzzExchange exchange, FuzzResponse response, int lane, int index, string detail)
        => all.Enqueue(new Finding(
            check, exchange.Request.Route, response.Error is null ? response.Status : 0, lane, index, exchange.Request.Tags,
            exchange.Describe(), response.Describe(), detail));

    public string Summary() => string.Join("\n", Groups().Select(Line));

    public string Report(int sent)
    {
        var groups = Groups().ToList();
        var text = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"HTTP fuzz: {all.Count} contract violations in {groups.Count} groups after {sent} requests.")
            .AppendLine(CultureInfo.InvariantCulture, $"Replay: ORLEANSSESSIONS_FUZZ_SEED={seed} dotnet test --filter \"FullyQualifiedName~HttpFuzz\"")
            .AppendLine("Groups (check / status / route ×count, most frequent input classes):");
        foreach (var group in groups.Take(120))
        {
            text.AppendLine(Line(group));
        }

        text.AppendLine().AppendLine("First example of each check and status:");
        foreach (var example in groups.GroupBy(g => (g.Key.Check, g.Key.Status)).Take(40))
        {
            var first = example.SelectMany(g => g).OrderBy(f => f.Lane).ThenBy(f => f.Index).First();
            text.AppendLine()
                .AppendLine(CultureInfo.InvariantCulture, $"[{first.Check}] {first.Status} on {first.Route} (seed {seed})")
                .AppendLine(first.Describe());
        }

        return text.ToString();
    }

    /// <summary>Every finding in full, for reading offline (<c>ORLEANSSESSIONS_FUZZ_DUMP</c>).</summary>
    public string Dump()
        => string.Join("\n\n", Groups().SelectMany(g => g.Select(f => $"[{f.Check}] {f.Status} on {f.Route}\n{f.Describe()}")));

    private static string Line(IGrouping<(string Check, int Status, string Route), Finding> group)
    {
        var tags = group.SelectMany(f => f.Tags).Where(t => t is not ("json:plain" or "ct:json" or "corr:none" or "corr:safe" or "runner"))
            .GroupBy(t => t, StringComparer.Ordinal).OrderByDescending(t => t.Count()).Take(6).Select(t => $"{t.Key}×{t.Count()}");
        return $"  [{group.Key.Check}] {group.Key.Status} {group.Key.Route} ×{group.Count()}: {string.Join(", ", tags)}";
    }

    private IEnumerable<IGrouping<(string Check, int Status, string Route), Finding>> Groups()
        => all.GroupBy(f => (f.Check, f.Status, f.Route))
            .OrderBy(g => System.Array.IndexOf(Severity, g.Key.Check) is var i and >= 0 ? i : Severity.Length)
            .ThenBy(g => g.Key.Status)
            .ThenBy(g => g.Key.Route, StringComparer.Ordinal);
}

/// <summary>One sequential stream of generated requests with the ids it owns.</summary>
internal sealed partial class FuzzLane(
    HttpClient http, HttpClient fresh, string origin, int index, string prefix, PCG pcg, int count, FuzzFindings findings, CancellationToken deadline)
{
    private static readonly UriCreationOptions AsIs = new() { DangerousDisablePathAndQueryCanonicalization = true };

    private readonly HttpFuzzGenerators generators = new(prefix);
    private readonly string controlCart = HttpFuzzGenerators.ControlCartOf(prefix);
    private readonly List<string> live = [];
    private readonly Dictionary<string, SessionSnapshot> known = new(StringComparer.Ordinal);
    private SessionSnapshot control = null!;
    private string controlUser = "";
    private int controlGeneration;
    private string cartBaseline = "";
    private string? token;
    private int current = -1;
    private FuzzExchange? lastGenerated;

    /// <summary>The lane's last two exchanges, generated or checks: a connection's trouble may start one request earlier.</summary>
    private (FuzzExchange Exchange, FuzzResponse Response)? previous, last;

    public int Sent { get; private set; }

    public int CheckRequests { get; private set; }

    /// <summary>Requests sent again on a new connection after a pooled one failed before any response.</summary>
    public int Retries => RetriedAfter.Count;

    /// <summary>For each retry: the error, and the lane's exchange before it (which may have left the connection unusable).</summary>
    public List<string> RetriedAfter { get; } = [];

    public int ReadBacks { get; private set; }

    public int SemanticChecks { get; private set; }

    public int ControlChecks { get; private set; }

    public Dictionary<int, int> Statuses { get; } = [];

    /// <summary>Input classes of the requests Kestrel answered itself (empty 400/414/431 before the app ran).</summary>
    public Dictionary<string, int> AnsweredByKestrel { get; } = new(StringComparer.Ordinal);

    /// <summary>Hostile input classes that were answered 2xx: not a contract breach by itself, worth reading.</summary>
    public Dictionary<string, int> AcceptedHostile { get; } = new(StringComparer.Ordinal);

    public async Task RunAsync()
    {
        try
        {
            await CreateControlAsync();
            await BaselineCartAsync(refused: null);
            for (current = 0; current < count; current++)
            {
                if (deadline.IsCancellationRequested)
                {
                    Abort($"deadline: the run did not finish within its time limit ({current} of {count} requests sent in this lane)");
                    return;
                }

                await StepAsync(generators.Request.Generate(pcg, null!, out _));
            }

            // Last word on the controls: nothing later (timers, deferred writes) changed them.
            current = count;
            await CheckControlsAsync(FuzzTargets.ControlSession | FuzzTargets.ControlCart, refused: null);
        }
        catch (Exception e)
        {
            // Whatever stops a lane (its setup failing, or a bug in the test itself) must fail the run with its seed.
            Abort(e is FuzzLaneAbortedException ? e.Message : e.ToString());
        }
    }

    private void Abort(string why)
    {
        var request = new FuzzRequest("(lane)", "-", "-", [], null, null, []);
        findings.Add("lane aborted", new FuzzExchange(request, "-", [], null, null), new FuzzResponse(0, null, [], [], null, why), index, current, why);
    }

    private async Task StepAsync(FuzzRequest request)
    {
        var exchange = Resolve(request);
        lastGenerated = exchange;
        var prior = exchange.ResolvedSession is { } addressed ? known.GetValueOrDefault(addressed) : null;
        var response = await SendAsync(exchange);
        Sent++;
        Statuses[response.Status] = Statuses.GetValueOrDefault(response.Status) + 1;
        CheckContract(exchange, response);
        if (response.FromKestrel(exchange))
        {
            foreach (var tag in request.Tags)
            {
                AnsweredByKestrel[tag] = AnsweredByKestrel.GetValueOrDefault(tag) + 1;
            }
        }

        if (response.Accepted)
        {
            foreach (var tag in request.Tags.Where(t => t.StartsWith("id:", StringComparison.Ordinal) && t is not ("id:control" or "id:live")
                || t.StartsWith("value:", StringComparison.Ordinal) || t.StartsWith("key:", StringComparison.Ordinal) && t != "key:plain"
                || t.StartsWith("json:", StringComparison.Ordinal) && t != "json:plain" || t.StartsWith("charset:", StringComparison.Ordinal)
                || t.StartsWith("ct:", StringComparison.Ordinal) && t is not ("ct:json" or "ct:merge-patch")))
            {
                AcceptedHostile[tag] = AcceptedHostile.GetValueOrDefault(tag) + 1;
            }
        }

        var snapshot = response.Accepted ? SessionSnapshot.TryParse(response) : null;
        await ReadBackAsync(exchange, response, snapshot, prior);
        Learn(exchange, response, snapshot);
        await CheckControlsAsync(request.Targets, response.Refused || response.FromKestrel(exchange) ? exchange : null);
    }

    // ----- contract -------------------------------------------------------------------------------------------------------

    /// <param name="cause">For the runner's own requests: the generated request just before, the likely cause.</param>
    private void CheckContract(FuzzExchange exchange, FuzzResponse response, FuzzExchange? cause = null)
    {
        void Fail(string check, FuzzExchange exchange, FuzzResponse response, string detail)
            => findings.Add(check, exchange, response, index, current, cause is null ? detail : $"{detail}\n  after generated request: {cause.Describe()}");

        if (response.Error is not null)
        {
            Fail("no response", exchange, response, "The connection failed or timed out instead of answering."
                + (previous is { } before ? $"\n  the lane's request before it: {before.Exchange.Describe()}\n  answered: {before.Response.Describe()}" : ""));
            return;
        }

        if (response.Status >= 500)
        {
            Fail("5xx", exchange, response, "Never a 5xx.");
            return;
        }

        if (response.FromKestrel(exchange))
        {
            return;
        }

        if (response.Refused && ProblemError(response) is { } problem)
        {
            Fail("4xx is not problem+json", exchange, response, problem);
        }

        CheckCorrelation(exchange, response, Fail);
        if (exchange.Request.MustRefuse is { } why && response.Accepted)
        {
            Fail("accepted what must be refused", exchange, response, $"Must not be 2xx: {why}.");
        }
    }

    private static string? ProblemError(FuzzResponse response)
    {
        if (!string.Equals(response.MediaType, "application/problem+json", StringComparison.OrdinalIgnoreCase))
        {
            return $"Content type is {response.MediaType ?? "missing"}, not application/problem+json.";
        }

        try
        {
            using var document = JsonDocument.Parse(response.Body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return "The problem document is not a JSON object.";
            }

            if (!root.TryGetProperty("status", out var status) || status.ValueKind != JsonValueKind.Number
                || !status.TryGetInt32(out var value) || value != response.Status)
            {
                return $"The problem's status is not the number {response.Status}.";
            }

            return root.TryGetProperty("title", out var title) && title.ValueKind == JsonValueKind.String && title.GetString() is { Length: > 0 }
                ? null
                : "The problem has no title.";
        }
        catch (JsonException e)
        {
            return $"The problem body is not JSON: {e.Message}";
        }
    }

    private static void CheckCorrelation(FuzzExchange exchange, FuzzResponse response, Action<string, FuzzExchange, FuzzResponse, string> fail)
    {
        if (response.Correlation.Count != 1)
        {
            fail("correlation id missing", exchange, response, $"Expected one X-Correlation-Id on the response, got {response.Correlation.Count}.");
            return;
        }

        var answered = response.Correlation[0];
        var sent = exchange.Headers.Where(h => h.Name == "X-Correlation-Id").ToList();

        // Leading and trailing spaces and tabs are not part of a field value (RFC 9110 5.5).
        var given = sent.Count == 1 ? Encoding.Latin1.GetString(sent[0].Value).Trim(' ', '\t') : null;
        if (given is not null && FuzzText.SafeToken().IsMatch(given))
        {
            if (!string.Equals(answered, given, StringComparison.Ordinal))
            {
                fail("correlation id not echoed", exchange, response, "A safe X-Correlation-Id must be echoed unchanged.");
            }
        }
        else if (!FuzzText.SafeToken().IsMatch(answered))
        {
            fail("correlation id unsafe", exchange, response, "An unsafe or missing X-Correlation-Id must be replaced by a safe token.");
        }
    }

    // ----- read-back ------------------------------------------------------------------------------------------------------

    private async Task ReadBackAsync(FuzzExchange exchange, FuzzResponse response, SessionSnapshot? answered, SessionSnapshot? prior)
    {
        var request = exchange.Request;
        if (!response.Accepted || request.ReadBack == FuzzReadBack.None)
        {
            return;
        }

        if (answered is null)
        {
            Fail("accepted without a session", exchange, response, "A 2xx here must answer the session.");
            return;
        }

        ReadBacks++;
        var (read, readResponse) = await ReadSessionAsync(answered.Id);
        if (read is null)
        {
            Fail("accepted value does not read back", exchange, response, $"The following GET answered {readResponse.Describe()}.");
            return;
        }

        var keys = answered.Raw.Keys.Union(read.Raw.Keys, StringComparer.Ordinal)
            .Where(k => !answered.Raw.TryGetValue(k, out var a) || !read.Raw.TryGetValue(k, out var b) || !a.AsSpan().SequenceEqual(b))
            .ToList();
        if (keys.Count > 0)
        {
            var k = keys[0];
            Fail("accepted value does not read back byte-equal", exchange, response,
                $"Attribute '{FuzzText.Escape(Encoding.UTF8.GetBytes(k), 60)}' answered {FuzzText.Escape(answered.Raw.GetValueOrDefault(k), 200)} "
                + $"but reads back {FuzzText.Escape(read.Raw.GetValueOrDefault(k), 200)} ({keys.Count} attributes differ).");
        }

        if (!request.Oracle || Meant(exchange) is not { } sent || sent.HasDuplicateNames)
        {
            return;
        }

        var expected = request.ReadBack switch
        {
            FuzzReadBack.SetAttribute when request.AttributeKey is { } key => Expect(answered, key, sent),
            FuzzReadBack.Create when sent is JObject body => body.ToDictionary().GetValueOrDefault("attributes") switch
            {
                null or JNull => new JObject([]),
                var attributes => attributes,
            },
            FuzzReadBack.Patch when prior is not null && sent is JObject && !prior.Attributes.HasDuplicateNames => JValue.MergePatch(prior.Attributes, sent),
            _ => null,
        };
        if (expected is null)
        {
            return;
        }

        SemanticChecks++;
        if (!expected.SemanticEquals(answered.Attributes))
        {
            Fail("accepted value differs from what was sent", exchange, response,
                $"Expected attributes equal (as JSON) to what was sent{(request.ReadBack == FuzzReadBack.Patch ? " merged into " + prior!.Content : "")}.");
        }
    }

    /// <summary>The attributes a set must produce: the answer's, with the sent value under the key.</summary>
    private static JObject Expect(SessionSnapshot answered, string key, JValue sent)
    {
        var map = answered.Attributes.ToDictionary();
        map[key] = sent;
        return new JObject([.. map.Select(p => (p.Key, p.Value))]);
    }

    /// <summary>What the request meant, decoded by the charset it declared; null when that has no single meaning.</summary>
    private static JValue? Meant(FuzzExchange exchange)
    {
        if (exchange.Body is not { } body)
        {
            return null;
        }

        var charset = exchange.Request.ContentType is { } contentType
            && contentType.IndexOf("charset=", StringComparison.OrdinalIgnoreCase) is var at and >= 0
                ? contentType[(at + "charset=".Length)..].Trim().Trim('"').ToLowerInvariant()
                : "utf-8";
        Encoding? encoding = charset switch
        {
            "utf-8" or "utf8" or "" => null,
            "utf-16" or "utf-16le" => Encoding.Unicode,
            "latin1" or "iso-8859-1" => Encoding.Latin1,
            "us-ascii" => Encoding.ASCII,
            "utf-32" => Encoding.UTF32,
            _ => Encoding.UTF8,
        };
        if (charset is not ("utf-8" or "utf8" or "" or "utf-16" or "utf-16le" or "latin1" or "iso-8859-1" or "us-ascii" or "utf-32"))
        {
            // An unknown charset has no meaning to compare with.
            return null;
        }

        var utf8 = encoding is null ? body : Encoding.UTF8.GetBytes(encoding.GetString(body));
        return JValue.TryParse(utf8);
    }

    // ----- what the lane learns -------------------------------------------------------------------------------------------

    private void Learn(FuzzExchange exchange, FuzzResponse response, SessionSnapshot? snapshot)
    {
        var request = exchange.Request;
        if (response.Accepted && request.Route == "POST /sessions/{id}/token" && TryReadString(response.Body, "token") is { } issued)
        {
            token = issued;
        }

        if (snapshot is not null)
        {
            known[snapshot.Id] = snapshot;
            if (request.Route == "POST /sessions" && !live.Contains(snapshot.Id))
            {
                live.Add(snapshot.Id);
                if (live.Count > FuzzSlots.LiveSlots)
                {
                    live.RemoveAt(0);
                }
            }
        }

        if (exchange.ResolvedSession is not { } addressed)
        {
            return;
        }

        if (response.Error is not null || response.Status >= 500)
        {
            // A failed answer may or may not have changed the session: forget it rather than judge later patches by it.
            known.Remove(addressed);
        }

        var moved = snapshot is not null && snapshot.Id != addressed;
        // A 204 to a DELETE under /sessions/{id} ended it (a dot-segment key routes DELETE .../attributes/.. there too).
        var ended = response.Accepted && request.Method == "DELETE" && snapshot is null && request.Route.StartsWith("DELETE /sessions/", StringComparison.Ordinal);
        if (moved || ended)
        {
            known.Remove(addressed);
            var slot = live.IndexOf(addressed);
            if (slot >= 0 && moved)
            {
                live[slot] = snapshot!.Id;
            }
            else if (slot >= 0)
            {
                live.RemoveAt(slot);
            }

            if (moved && addressed == control.Id)
            {
                control = snapshot!;
            }
        }
    }

    private static string? TryReadString(byte[] body, string name)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty(name, out var value)
                && value.ValueKind == JsonValueKind.String
                ? value.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    // ----- controls -------------------------------------------------------------------------------------------------------

    /// <param name="refused">The refused request that may have touched the controls; null when changes are allowed.</param>
    private async Task CheckControlsAsync(FuzzTargets targets, FuzzExchange? refused)
    {
        if (targets.HasFlag(FuzzTargets.ControlSession))
        {
            ControlChecks++;
            var before = control;
            var (now, response) = await ReadSessionAsync(before.Id);
            if (refused is not null && (now is null || now.Content != before.Content))
            {
                findings.Add(
                    "refused request changed the control session", refused, response, index, current,
                    $"Before: {before.Content}\n  after: {(now is null ? "gone: " + response.Describe() : now.Content)}");
            }

            if (now is null)
            {
                await CreateControlAsync();
            }
            else
            {
                control = now;
                known[now.Id] = now;
            }
        }

        if (targets.HasFlag(FuzzTargets.ControlCart))
        {
            ControlChecks++;
            await BaselineCartAsync(refused);
        }
    }

    private async Task CreateControlAsync()
    {
        controlGeneration++;
        controlUser = HttpFuzzGenerators.ControlUserOf(prefix, controlGeneration);
        var body = Encoding.UTF8.GetBytes(
            $"{{\"userId\":\"{controlUser}\",\"attributes\":{{\"theme\":\"dark\",\"k1\":\"v\",\"n\":[1,2.5,{{\"x\":null}}],"
            + "\"s\":\"été 😀\",\"deep\":{\"a\":{\"b\":{\"c\":true}}}},\"idleTimeoutSeconds\":3600,\"clientInfo\":\"fuzz control\"}");
        var (created, response) = await CheckedAsync("(setup) POST /sessions", "POST", "/sessions", body);
        control = SessionSnapshot.TryParse(response)
            ?? throw new FuzzLaneAbortedException($"The control session could not be created: {response.Describe()} ({created.Describe()})");
        known[control.Id] = control;
    }

    private async Task BaselineCartAsync(FuzzExchange? refused)
    {
        if (cartBaseline.Length == 0)
        {
            var (put, answer) = await CheckedAsync("(setup) PUT /users/{userId}/cart/items/{sku}", "PUT", $"/users/{controlCart}/cart/items/base", "{\"quantity\":1}"u8.ToArray());
            if (answer.Status != 200)
            {
                throw new FuzzLaneAbortedException($"The control cart could not be filled: {answer.Describe()} ({put.Describe()})");
            }
        }

        var (_, response) = await CheckedAsync("(check) GET /users/{userId}/cart", "GET", $"/users/{controlCart}/cart", null);
        var now = response.Status == 200 ? CartContent(response.Body) : $"unreadable: {response.Describe()}";
        if (refused is not null && now != cartBaseline)
        {
            findings.Add("refused request changed the control cart", refused, response, index, current, $"Before: {cartBaseline}\n  after: {now}");
        }

        cartBaseline = now;
    }

    private static string CartContent(byte[] body)
    {
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        return $"version={root.GetProperty("version").GetRawText()}; lines={root.GetProperty("lines").GetRawText()}";
    }

    private async Task<(SessionSnapshot? Session, FuzzResponse Response)> ReadSessionAsync(string id)
    {
        var (_, response) = await CheckedAsync("(check) GET /sessions/{id}", "GET", $"/sessions/{id}", null);
        return (response.Status == 200 ? SessionSnapshot.TryParse(response) : null, response);
    }

    /// <summary>A request of the runner's own: it keeps the same contract as the generated ones.</summary>
    private async Task<(FuzzExchange Exchange, FuzzResponse Response)> CheckedAsync(string route, string method, string path, byte[]? body)
    {
        var request = new FuzzRequest(route, method, path, [], body, body is null ? null : "application/json", ["runner"]);
        var exchange = new FuzzExchange(request, path, [], body, null);
        var response = await SendAsync(exchange);
        CheckRequests++;
        CheckContract(exchange, response, lastGenerated);
        return (exchange, response);
    }

    // ----- transport ------------------------------------------------------------------------------------------------------

    [GeneratedRegex(@"\{(sid|hash|cu|tok|etag|live\d|lhash\d)\}", RegexOptions.CultureInvariant)]
    private static partial Regex Slot();

    private FuzzExchange Resolve(FuzzRequest request)
    {
        string? session = request.Session switch
        {
            "sid" => control.Id,
            { } slot when slot.StartsWith("live", StringComparison.Ordinal) => Live(slot[4] - '0'),
            _ => null,
        };
        string Fill(string text) => Slot().Replace(text, m => m.Groups[1].Value switch
        {
            "sid" => control.Id,
            "hash" => SessionIds.Hash(control.Id),
            "cu" => controlUser,
            "tok" => token ?? "no-token-yet",
            "etag" => $"\"{(session is not null && known.TryGetValue(session, out var s) ? s.Version : 0).ToString(CultureInfo.InvariantCulture)}\"",
            var live when live.StartsWith("live", StringComparison.Ordinal) => Live(live[4] - '0'),
            var hash => SessionIds.Hash(Live(hash[5] - '0')),
        });
        var headers = request.Headers.Select(h => h with { Value = Encoding.Latin1.GetBytes(Fill(Encoding.Latin1.GetString(h.Value))) }).ToList();

        // Bodies may hold invalid UTF-8: fill slots byte-wise, through Latin-1, which round-trips every byte.
        var body = request.Body is { } bytes && bytes.AsSpan().IndexOf((byte)'{') >= 0
            ? Encoding.Latin1.GetBytes(Fill(Encoding.Latin1.GetString(bytes)))
            : request.Body;
        return new FuzzExchange(request, Fill(request.Path), headers, body, session);
    }

    /// <summary>Slot n of the lane's live sessions; a well-formed id nobody has when there are none.</summary>
    private string Live(int n) => live.Count == 0 ? new string('L', SessionIds.Length) : live[n % live.Count];

    private async Task<FuzzResponse> SendAsync(FuzzExchange exchange)
    {
        var response = await SendWithRetryAsync(exchange);
        (previous, last) = (last, (exchange, response));
        return response;
    }

    private async Task<FuzzResponse> SendWithRetryAsync(FuzzExchange exchange)
    {
        var first = await SendOnceAsync(exchange, http, freshConnection: false);
        if (first.Error is null || !first.BeforeResponse)
        {
            return first;
        }

        // Nothing came back and the request may not have left: a pooled connection the server had just closed (it closes
        // some after the aborted answers this fuzz provokes). Once more on a new connection, so only the API is judged.
        RetriedAfter.Add($"{exchange.Request.Method} {exchange.Request.Route}: {first.Error}; the lane's request before it: "
            + (last is { } before ? $"{before.Exchange.Describe()}\n  answered: {before.Response.Describe()}" : "none"));
        var second = await SendOnceAsync(exchange, fresh, freshConnection: true);
        return second.Error is null ? second : second with { Error = $"{first.Error}; retried on a new connection: {second.Error}" };
    }

    private async Task<FuzzResponse> SendOnceAsync(FuzzExchange exchange, HttpClient client, bool freshConnection)
    {
        using var message = new HttpRequestMessage(new HttpMethod(exchange.Request.Method), new Uri(origin + exchange.Path, AsIs));
        foreach (var header in exchange.Headers)
        {
            if (!message.Headers.TryAddWithoutValidation(header.Name, Encoding.Latin1.GetString(header.Value)))
            {
                throw new InvalidOperationException($"The generator made a header HttpClient refuses: {exchange.Describe()}");
            }
        }

        message.Headers.ConnectionClose = freshConnection ? true : null;
        if (exchange.Body is { } body)
        {
            message.Content = new ByteArrayContent(body);
            if (exchange.Request.ContentType is { } contentType && !message.Content.Headers.TryAddWithoutValidation("Content-Type", contentType))
            {
                throw new InvalidOperationException($"The generator made a content type HttpClient refuses: {exchange.Describe()}");
            }
        }

        var answered = false;
        try
        {
            using var response = await client.SendAsync(message, deadline);
            answered = true;
            var content = await response.Content.ReadAsByteArrayAsync(deadline);
            var correlation = response.Headers.TryGetValues("X-Correlation-Id", out var values) ? values.ToList() : [];
            return new FuzzResponse(
                (int)response.StatusCode,
                response.Content.Headers.TryGetValues("Content-Type", out var types) ? types.First().Split(';')[0].Trim() : null,
                content,
                correlation,
                response.Headers.TryGetValues("ETag", out var tags) ? tags.First() : null,
                null,
                response.Headers.ConnectionClose == true);
        }
        catch (HttpRequestException e)
        {
            return new FuzzResponse(0, null, [], [], null, $"{e.HttpRequestError}: {e.Message} {e.InnerException?.Message}")
            {
                // Not ResponseEnded: a keep-alive answer followed by a closed connection is the server's fault (an unread
                // oversized body did that until it said Connection: close).
                BeforeResponse = !answered && (e.HttpRequestError is HttpRequestError.Unknown or HttpRequestError.ConnectionError),
            };
        }
        catch (Exception e) when (e is TaskCanceledException or IOException)
        {
            return new FuzzResponse(0, null, [], [], null, $"{e.GetType().Name}: {e.Message} {e.InnerException?.Message}");
        }
    }

    private void Fail(string check, FuzzExchange exchange, FuzzResponse response, string detail)
        => findings.Add(check, exchange, response, index, current, detail);
}

internal sealed class FuzzLaneAbortedException(string message) : Exception(message);
