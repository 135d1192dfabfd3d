using System.Globalization;
using System.Text;
using CsCheck;

namespace OrleansSessions.Tests.Api;

/// <summary>Which control resources a request may touch: the runner re-reads them after it.</summary>
[Flags]
internal enum FuzzTargets
{
    None = 0,
    ControlSession = 1,
    ControlCart = 2,
}

/// <summary>What an accepted (2xx) answer must read back.</summary>
internal enum FuzzReadBack
{
    None,
    Create,
    SetAttribute,
    Patch,
}

/// <summary>A header as raw bytes: the fuzz sends values HttpClient would otherwise refuse or re-encode.</summary>
internal sealed record FuzzHeader(string Name, byte[] Value);

/// <summary>
/// One generated request. <see cref="Path"/>, header values and <see cref="Body"/> may hold slots that only the run
/// knows (see <see cref="FuzzSlots"/>); everything else is fixed by the seed.
/// </summary>
internal sealed record FuzzRequest(
    string Route,
    string Method,
    string Path,
    IReadOnlyList<FuzzHeader> Headers,
    byte[]? Body,
    string? ContentType,
    IReadOnlyList<string> Tags,
    FuzzTargets Targets = FuzzTargets.None,
    string? Session = null,
    FuzzReadBack ReadBack = FuzzReadBack.None,
    string? AttributeKey = null,
    bool Oracle = true,
    string? MustRefuse = null);

/// <summary>Slots resolved at run time, when the ids they stand for exist.</summary>
internal static class FuzzSlots
{
    /// <summary>The lane's control session id.</summary>
    public const string ControlSession = "{sid}";

    /// <summary>The SHA-256 handle of the control session id.</summary>
    public const string ControlHash = "{hash}";

    /// <summary>The user the control session is bound to.</summary>
    public const string ControlUser = "{cu}";

    /// <summary>The last token the lane was issued.</summary>
    public const string Token = "{tok}";

    /// <summary>The current ETag of the session the request addresses.</summary>
    public const string ETag = "{etag}";

    public const int LiveSlots = 6;

    /// <summary>One of the sessions the lane created (slot n mod how many are alive).</summary>
    public static string Live(int n) => $"{{live{n}}}";

    public static string LiveHash(int n) => $"{{lhash{n}}}";
}

/// <summary>
/// CsCheck generators for one lane of the HTTP fuzz. Valid requests keep 2xx paths busy; the hostile classes are the
/// ones that answered 500 before (invalid UTF-8 and lone surrogates in JSON strings, nesting around 64 levels,
/// duplicate names, odd charsets and media types, dot segments and newlines in ids, non-ASCII correlation ids).
/// Every valid identifier starts with the lane prefix, so lanes and other tests never share state.
/// </summary>
internal sealed class HttpFuzzGenerators
{
    private const string SafeTokenChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:+/=-";
    private const string Base64UrlChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    private readonly string[] users;
    private readonly string[] carts;
    private readonly string controlCart;

    public HttpFuzzGenerators(string lanePrefix)
    {
        users = [.. Enumerable.Range(0, 4).Select(i => $"{lanePrefix}-u{i}")];
        carts = [.. Enumerable.Range(0, 4).Select(i => $"{lanePrefix}-c{i}")];
        controlCart = ControlCartOf(lanePrefix);
        var values = JsonValues();
        Request = Gen.Frequency(
            (10, Create(values)),
            (6, GetSession()),
            (16, SetAttribute(values)),
            (5, RemoveAttribute()),
            (12, Patch(values)),
            (2, Simple("DELETE /sessions/{id}", "DELETE", "")),
            (3, Simple("POST /sessions/{id}/rotate", "POST", "/rotate")),
            (3, Login()),
            (3, Simple("POST /sessions/{id}/token", "POST", "/token")),
            (3, ValidateToken()),
            (3, UserSessions("GET")),
            (1, UserSessions("DELETE")),
            (2, EndUserSession()),
            (4, GetCart()),
            (7, AddItem()),
            (5, SetItem()),
            (3, RemoveItem()),
            (3, SetStock()),
            (2, GetStock()),
            (4, PlaceOrder()),
            (2, ReadOnlyOrderRoute()),
            (2, Operator()),
            (2, Health()),
            (4, Unknown()));
    }

    public static string ControlCartOf(string lanePrefix) => $"{lanePrefix}-cart";

    public static string ControlUserOf(string lanePrefix, int generation) => $"{lanePrefix}-cu{generation}";

    public Gen<FuzzRequest> Request { get; }

    // ----- building blocks -------------------------------------------------------------------------------------------

    /// <summary>A path segment (already percent-encoded as sent) and what it stands for.</summary>
    private sealed record Segment(string Text, string Tag, FuzzTargets Targets = FuzzTargets.None, string? Session = null, string? Decoded = null);

    /// <summary>A JSON fragment as raw bytes (hostile ones are not valid UTF-8 or not valid JSON) and every hostile class in it.</summary>
    private sealed record Json(byte[] Bytes, IReadOnlyList<string> Tags, string? MustRefuse = null, bool Oracle = true)
    {
        public Json(byte[] bytes, string tag)
            : this(bytes, tag == "json:plain" ? [] : [tag])
        {
        }

        public bool Plain => Tags.Count == 0;

        public Json Tagged(string tag) => this with { Tags = [tag, .. Tags.Where(t => t != tag)] };
    }

    private sealed record HeaderSet(IReadOnlyList<FuzzHeader> Headers, IReadOnlyList<string> Tags);

    private sealed record BodyPart(byte[]? Body, string? ContentType, IReadOnlyList<string> Tags, string? MustRefuse = null, bool Oracle = true);

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    private static byte[] Cat(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    private static Json Raw(string jsonText, string tag) => new(Utf8(jsonText), tag);

    /// <summary>A JSON string literal: quotes, backslashes and control characters escaped, everything else raw UTF-8.</summary>
    private static byte[] Quote(string text)
    {
        var builder = new StringBuilder("\"");
        foreach (var c in text)
        {
            _ = c switch
            {
                '"' => builder.Append("\\\""),
                '\\' => builder.Append("\\\\"),
                < ' ' => builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"),
                _ => builder.Append(c),
            };
        }

        return Utf8(builder.Append('"').ToString());
    }

    private static Json Str(string text, string tag = "json:plain") => new(Quote(text), tag);

    /// <summary>Joins members into an object; the first hostile member names the whole.</summary>
    private static Json Object(IEnumerable<(string Name, Json Value)> members, string? tag = null)
    {
        var list = members.ToList();
        var bytes = Cat([Utf8("{"), .. list.SelectMany((m, i) => new[] { i == 0 ? [] : Utf8(","), Quote(m.Name), Utf8(":"), m.Value.Bytes }), Utf8("}")]);
        return Merge(bytes, tag, list.Select(m => m.Value));
    }

    private static Json ObjectRaw(IEnumerable<(byte[] Name, Json Value)> members, string? tag = null)
    {
        var list = members.ToList();
        var bytes = Cat([Utf8("{"), .. list.SelectMany((m, i) => new[] { i == 0 ? [] : Utf8(","), m.Name, Utf8(":"), m.Value.Bytes }), Utf8("}")]);
        return Merge(bytes, tag, list.Select(m => m.Value));
    }

    private static Json Array(IReadOnlyList<Json> items)
    {
        var bytes = Cat([Utf8("["), .. items.SelectMany((v, i) => new[] { i == 0 ? [] : Utf8(","), v.Bytes }), Utf8("]")]);
        return Merge(bytes, null, items);
    }

    private static Json Merge(byte[] bytes, string? tag, IEnumerable<Json> parts)
    {
        var all = parts.ToList();
        return new Json(
            bytes,
            [.. new[] { tag }.OfType<string>().Concat(all.SelectMany(p => p.Tags)).Distinct()],
            all.Select(p => p.MustRefuse).FirstOrDefault(r => r is not null),
            all.All(p => p.Oracle));
    }

    private static Gen<T> Weighted<T>(params (int Weight, Gen<T> Gen)[] choices)
        => Gen.Frequency([.. choices.Select(c => (c.Weight, (IGen<T>)c.Gen))]);

    private static Gen<T> One<T>(params T[] values) => Gen.OneOf(values);

    /// <summary>Up to <paramref name="max"/> distinct names from <paramref name="pool"/>, in generated order.</summary>
    private static Gen<string[]> Subset(string[] pool, int max)
        => Gen.Int[0, pool.Length - 1].Array[0, max].Select(picks => picks.Distinct().Select(i => pool[i]).ToArray());

    // ----- JSON values -------------------------------------------------------------------------------------------------

    private static Gen<Json> Scalars(int hostilePercent) => Weighted((100 - hostilePercent, PlainScalars()), (hostilePercent, HostileScalars()));

    private static Gen<Json> PlainScalars() => Weighted(
        (6, One(Raw("null", "json:plain"), Raw("true", "json:plain"), Raw("false", "json:plain"))),
        (8, Gen.Int.Select(i => Raw(i.ToString(CultureInfo.InvariantCulture), "json:plain"))),
        (3, One(Raw("1.5", "json:plain"), Raw("-0", "json:plain"), Raw("0.1e2", "json:plain"), Raw("1.0", "json:plain"), Raw("2E-3", "json:plain"))),
        (12, Gen.String[Gen.Char["abcdefghij klmnopqrstuvwxyz0123456789-_.,!"], 0, 16].Select(s => Str(s))),
        (2, One(Str("été 日本 😀 ∑"), Str("\u00e9\u0301"), Raw("\"\\u00e9\\n\\t\\\"\\\\\\/\\b\\f\\r\"", "json:plain"), Raw("\"\\ud83d\\ude00\"", "json:plain"))));

    /// <summary>Scalars that answered 500 before, or that a careless fix would mangle.</summary>
    private static Gen<Json> HostileScalars() => Weighted(
        (3, One(
            Raw("1e308", "json:huge-number"), Raw("1e400", "json:huge-number"), Raw("-1e400", "json:huge-number"),
            Raw("123456789012345678901234567890", "json:huge-number"), Raw("1E-400", "json:huge-number"),
            Raw("0.00000000000000000000000000000001", "json:huge-number"))),
        (3, One(Str("été 日本 😀 ∑", "json:unicode"), Str("\u00e9\u0301", "json:unicode"), Str("\uFEFFbom-inside", "json:unicode"))),
        (3, One(
            Raw("\"\\u00e9\\n\\t\\\"\\\\\\/\\b\\f\\r\"", "json:escapes"), Raw("\"\\u0000\"", "json:nul-escape"),
            Raw("\"a\\u0000b\"", "json:nul-escape"), Raw("\"\\ud83d\\ude00\"", "json:surrogate-pair"))),
        (5, One(
            Raw("\"\\ud800\"", "json:lone-surrogate"), Raw("\"\\udc00\"", "json:lone-surrogate"), Raw("\"\\udbff\"", "json:lone-surrogate"),
            Raw("\"\\ude00\\ud83d\"", "json:lone-surrogate"), Raw("\"a\\ud800b\"", "json:lone-surrogate"), Raw("\"\\ud800\\u0041\"", "json:lone-surrogate"))),
        (5, One<byte[]>([0xFF], [0xC3], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x80], [0xE6, 0x97])
            .SelectMany(bad => Gen.Bool.Select(prefix => new Json(Cat(Utf8(prefix ? "\"ok" : "\""), bad, Utf8(prefix ? "\"" : "x\"")), "json:invalid-utf8")))));

    private static readonly string[] MemberNames = ["a", "b", "c", "id", "été", "k1", "n", "list", "x y", "😀"];

    /// <summary>Small nested values; containers stop at depth 3 so the generator stays finite.</summary>
    private static Gen<Json> Values(int depth)
    {
        // Hostile leaves are frequent at the top and rare inside, so most findings name one cause.
        var scalars = Scalars(depth == 0 ? 30 : 4);
        if (depth >= 3)
        {
            return scalars;
        }

        var inner = Values(depth + 1);
        var array = inner.Array[0, 4].Select(items => Array(items));
        var uniqueObject = Subset(MemberNames, 4).SelectMany(names => inner.Array[names.Length].Select(vs => Object(names.Zip(vs))));
        var hostileNames = One(
                (Utf8("\"\\ud800\""), "json:lone-surrogate-name"),
                (Cat(Utf8("\"k"), [0xFF], Utf8("\"")), "json:invalid-utf8-name"),
                (Utf8("\"\""), "json:empty-name"))
            .SelectMany(n => inner.Select(v => ObjectRaw([(n.Item1, v)], n.Item2)));
        var duplicates = Gen.Select(inner, inner, (a, b) => Object([("a", a), ("b", b), ("a", b)], "json:duplicate-names") with { Oracle = false });
        return Weighted((12, scalars), (3, array), (4, uniqueObject), (1, hostileNames), (1, duplicates));
    }

    /// <summary>Depth counts the value's own levels; requests add theirs (an attribute in a create adds two).</summary>
    private static Gen<Json> Deep() => Gen.Frequency(
            (3, Gen.Int[28, 70]),
            (2, One(62, 63, 64, 65, 66)))
        .SelectMany(depth => One("array", "object", "mixed").Select(kind =>
        {
            var builder = new StringBuilder();
            for (var i = 0; i < depth; i++)
            {
                builder.Append(kind == "array" || (kind == "mixed" && i % 2 == 0) ? "[" : "{\"d\":");
            }

            builder.Append('1');
            for (var i = depth - 1; i >= 0; i--)
            {
                builder.Append(kind == "array" || (kind == "mixed" && i % 2 == 0) ? "]" : "}");
            }

            return Raw(builder.ToString(), depth < 60 ? "json:depth-28..59" : $"json:depth-{depth}");
        }));

    /// <summary>Around <c>Sessions:MaxValueBytes</c> (16384, quotes included).</summary>
    private static Gen<Json> Big()
        => One(16000, 16382, 16383, 16384, 16390, 17000).Select(n => new Json(Cat(Utf8("\""), Enumerable.Repeat((byte)'v', n - 2).ToArray(), Utf8("\"")), "json:big-value"));

    private static Gen<Json> JsonValues() => Weighted((20, Values(0)), (3, Deep()), (1, Big()));

    /// <summary>Bodies no JSON parser should take, and ones only a lenient one would.</summary>
    private static Gen<Json> BrokenDocuments() => One(
        Raw("", "body:empty"), Raw("   ", "body:empty"), Raw("{", "body:invalid-json"), Raw("[1,]", "body:invalid-json"),
        Raw("{\"a\":1,}", "body:invalid-json"), Raw("'x'", "body:invalid-json"), Raw("NaN", "body:invalid-json"),
        Raw("tru", "body:invalid-json"), Raw("1 2", "body:invalid-json"), Raw("/*c*/1", "body:invalid-json"),
        Raw("{\"a\" 1}", "body:invalid-json"), Raw("\"unterminated", "body:invalid-json"), Raw("{}}", "body:invalid-json"),
        new Json(Cat([0xEF, 0xBB, 0xBF], Utf8("{\"a\":1}")), "body:bom"),
        new Json(Cat(Utf8("\"a"), [0x01], Utf8("\"")), "body:raw-control-char"),
        new Json(Encoding.Unicode.GetBytes("{\"a\":1}"), "body:utf16-bytes"),
        Raw(new string('[', 5000), "body:unclosed-deep"),
        Raw(string.Concat(Enumerable.Repeat("[", 200)) + string.Concat(Enumerable.Repeat("]", 200)), "json:depth-200"));

    // ----- identifiers -------------------------------------------------------------------------------------------------

    /// <summary>Hostile forms of an id segment; <paramref name="baseId"/> is a real id (or its slot).</summary>
    private static Gen<Segment> HostileSegment(string baseId, FuzzTargets targets) => One(
        new Segment(baseId + "%0A", "id:trailing-newline", targets),
        new Segment(baseId + "%0D%0A", "id:trailing-crlf", targets),
        new Segment(baseId + ".", "id:trailing-dot", targets),
        new Segment(baseId + "%2F", "id:encoded-slash", targets),
        new Segment(baseId + "%2Fx", "id:encoded-slash", targets),
        new Segment(baseId + "%C3%A9", "id:non-ascii", targets),
        new Segment(baseId + "%00", "id:nul", targets),
        new Segment(baseId + "%20", "id:space", targets),
        new Segment(baseId + "%C3", "id:invalid-utf8", targets),
        new Segment(".", "id:dot-segment"),
        new Segment("..", "id:dot-segment"),
        new Segment("%2E%2E", "id:dot-segment"),
        new Segment("%2e", "id:dot-segment"),
        new Segment(".%2E", "id:dot-segment"),
        new Segment("%FF", "id:invalid-utf8"),
        new Segment("%ED%A0%80", "id:invalid-utf8"),
        new Segment("%ZZ", "id:bad-percent"),
        new Segment("%", "id:bad-percent"),
        new Segment("", "id:empty"),
        new Segment("-x", "id:leading-punct"),
        new Segment("%E6%97%A5%E6%9C%AC", "id:non-ascii"),
        new Segment(new string('x', 65), "id:long"),
        new Segment(new string('x', 5000), "id:very-long"),
        new Segment(new string('x', 9000), "id:over-long-line"));

    private static Gen<Segment> SessionTarget() => Weighted(
        (45, Gen.Const(new Segment(FuzzSlots.ControlSession, "id:control", FuzzTargets.ControlSession, "sid"))),
        (30, Gen.Int[0, FuzzSlots.LiveSlots - 1].Select(i => new Segment(FuzzSlots.Live(i), "id:live", Session: $"live{i}"))),
        (17, HostileSegment(FuzzSlots.ControlSession, FuzzTargets.ControlSession)),
        (8, Weighted(
            (3, Gen.String[Gen.Char[Base64UrlChars], 43, 43].Select(s => new Segment(s, "id:unknown"))),
            (1, One(
                new Segment(new string('A', 42) + "%2B", "id:bad-alphabet"),
                new Segment(new string('A', 42), "id:short"),
                new Segment(new string('A', 44), "id:long"))))));

    private Gen<Segment> UserTarget() => Weighted(
        (30, Gen.OneOf(users).Select(u => new Segment(u, "user:lane"))),
        (25, Gen.Const(new Segment(FuzzSlots.ControlUser, "user:control", FuzzTargets.ControlSession))),
        (30, HostileSegment(FuzzSlots.ControlUser, FuzzTargets.ControlSession)),
        (15, Gen.OneOf(users).SelectMany(u => HostileSegment(u, FuzzTargets.None))));

    private Gen<Segment> CartTarget() => Weighted(
        (40, Gen.Const(new Segment(controlCart, "cart:control", FuzzTargets.ControlCart))),
        (30, Gen.OneOf(carts).Select(c => new Segment(c, "cart:lane"))),
        (30, HostileSegment(controlCart, FuzzTargets.ControlCart)));

    private static readonly string[] Skus = ["sku-1", "sku-2", "sku-3", "A", "b.c", "x:y", "Z_9", "base"];

    private static Gen<Segment> SkuSegment() => Weighted(
        (60, Gen.OneOf(Skus).Select(s => new Segment(s, "sku:valid"))),
        (40, Gen.OneOf(Skus).SelectMany(s => HostileSegment(s, FuzzTargets.None))));

    /// <summary>Attribute keys in a path; <see cref="Segment.Decoded"/> is the key the route must see, when certain.</summary>
    private static Gen<Segment> KeySegment() => Weighted(
        (60, One("theme", "k1", "k2", "k3", "cart", "a.b").Select(k => new Segment(k, "key:plain", Decoded: k))),
        (20, One(
            new Segment("%C3%A9t%C3%A9", "key:non-ascii", Decoded: "été"),
            new Segment("%F0%9F%98%80", "key:non-ascii", Decoded: "😀"),
            new Segment("with%20space", "key:space", Decoded: "with space"),
            new Segment("k1%0A", "key:trailing-newline", Decoded: "k1\n"),
            new Segment(new string('k', 128), "key:128", Decoded: new string('k', 128)),
            new Segment(new string('k', 129), "key:129", Decoded: new string('k', 129)),
            new Segment(new string('k', 5000), "key:very-long", Decoded: new string('k', 5000)))),
        (20, One(
            new Segment(".", "key:dot-segment"),
            new Segment("..", "key:dot-segment"),
            new Segment("%2E%2E", "key:dot-segment"),
            new Segment("a%2Fb", "key:encoded-slash"),
            new Segment("%FF", "key:invalid-utf8"),
            new Segment("%ED%A0%80", "key:invalid-utf8"),
            new Segment("%00", "key:nul"),
            new Segment("k%00", "key:nul"),
            new Segment("%ZZ", "key:bad-percent"))));

    /// <summary>Identifier values inside JSON bodies (userId, sku).</summary>
    private static Gen<Json> HostileIdentifierJson() => One(
        Raw("\"u\\n\"", "value:trailing-newline"), Str("", "value:empty"), Str("..", "value:dot-segment"), Str(".", "value:dot-segment"),
        Str("a/b", "value:slash"), Str(new string('u', 65), "value:long"), Str(new string('u', 5000), "value:very-long"),
        Str("été", "value:non-ascii"), Raw("\"\\ud800\"", "json:lone-surrogate"), new Json(Cat(Utf8("\"u"), [0xFF], Utf8("\"")), "json:invalid-utf8"),
        Str("-x", "value:leading-punct"), Str(" u0", "value:space"), Raw("123", "value:wrong-type"), Raw("true", "value:wrong-type"),
        Raw("{}", "value:wrong-type"), Raw("[]", "value:wrong-type"), Raw("null", "value:null"));

    // ----- headers and bodies --------------------------------------------------------------------------------------------

    private static readonly Gen<(FuzzHeader[] Headers, string Tag)> CorrelationHeader = Weighted(
        (35, Gen.Const((System.Array.Empty<FuzzHeader>(), "corr:none"))),
        (35, Weighted(
                (9, Gen.String[Gen.Char[SafeTokenChars], 1, 64]),
                (1, Gen.String[Gen.Char[SafeTokenChars], 128, 128]))
            .Select(s => (new[] { Correlation(Utf8(s)) }, "corr:safe"))),
        (30, One(
                (Utf8(new string('c', 129)), "corr:129"),
                (Utf8(new string('c', 1000)), "corr:long"),
                (Utf8(new string('c', 40_000)), "corr:huge"),
                (Utf8("café-é"), "corr:non-ascii"),
                (Utf8("日本😀"), "corr:non-ascii"),
                (new byte[] { (byte)'a', 0xFF, (byte)'b' }, "corr:invalid-utf8"),
                (new byte[] { 0xC3 }, "corr:invalid-utf8"),
                (Utf8("a\tb"), "corr:tab"),
                (new byte[] { (byte)'a', 0x01, (byte)'b' }, "corr:control"),
                (new byte[] { (byte)'a', 0x1F }, "corr:control"),
                (new byte[] { (byte)'a', 0x7F }, "corr:control"),
                (Utf8("a b"), "corr:space"),
                (Utf8("a,b"), "corr:comma"),
                (Utf8("<script>\"';"), "corr:punct"),
                (Utf8(""), "corr:empty"),
                (Utf8("  padded  "), "corr:ows"))
            .Select(c => (new[] { Correlation(c.Item1) }, c.Item2))),
        (2, Gen.Const((new[] { Correlation(Utf8("first")), Correlation(Utf8("second")) }, "corr:multiple"))));

    private static FuzzHeader Correlation(byte[] value) => new("X-Correlation-Id", value);

    private static readonly Gen<(FuzzHeader[] Headers, string? Tag)> AcceptHeader = Weighted(
        (85, Gen.Const((System.Array.Empty<FuzzHeader>(), (string?)null))),
        (15, One("application/json", "application/problem+json", "text/html", "application/xml", "text/plain", "*/*", "garbage/;;", "application/json;q=0")
            .Select(a => (new[] { new FuzzHeader("Accept", Utf8(a)) }, (string?)$"accept:{a}"))));

    private static readonly Gen<(FuzzHeader[] Headers, string? Tag)> IfMatchHeader = Weighted(
        (60, Gen.Const((System.Array.Empty<FuzzHeader>(), (string?)null))),
        (20, Gen.Const((new[] { new FuzzHeader("If-Match", Utf8(FuzzSlots.ETag)) }, (string?)"ifmatch:current"))),
        (20, One(
                ("\"0\"", "ifmatch:stale"), ("\"1\"", "ifmatch:stale"), ("*", "ifmatch:any"), ("W/\"1\"", "ifmatch:weak"),
                ("abc", "ifmatch:garbage"), ("\"abc\"", "ifmatch:garbage"), ("\"1\", \"2\"", "ifmatch:list"),
                ("\"99999999999999999999\"", "ifmatch:overflow"), ("\"-1\"", "ifmatch:garbage"), ("", "ifmatch:empty"), ("\"", "ifmatch:garbage"))
            .Select(v => (new[] { new FuzzHeader("If-Match", Utf8(v.Item1)) }, (string?)v.Item2))));

    private static Gen<HeaderSet> Headers(bool ifMatch)
        => Gen.Select(CorrelationHeader, AcceptHeader, ifMatch ? IfMatchHeader : Gen.Const((System.Array.Empty<FuzzHeader>(), (string?)null)), (c, a, m) =>
            new HeaderSet([.. c.Item1, .. a.Item1, .. m.Item1], new[] { c.Item2, a.Item2, m.Item2 }.OfType<string>().ToList()));

    private static readonly Gen<(string? Value, string Tag)> MediaType = Weighted(
        (70, Gen.Const(((string?)"application/json", "ct:json"))),
        (30, One<(string?, string)>(
            (null, "ct:missing"), ("text/plain", "ct:text"), ("application/x-www-form-urlencoded", "ct:form"),
            ("multipart/form-data; boundary=x", "ct:multipart"), ("application/xml", "ct:xml"), ("json", "ct:garbage"),
            ("application/json;;", "ct:garbage"), ("*/*", "ct:wildcard"), ("text/json", "ct:text-json"),
            ("application/vnd.fuzz+json", "ct:suffix-json"), ("application/merge-patch+json", "ct:merge-patch"))));

    private static readonly Gen<(string? Value, string? Tag)> Charset = Weighted(
        (75, Gen.Const(((string?)null, (string?)null))),
        (25, One<(string?, string?)>(
            ("utf-8", "charset:utf-8"), ("UTF-8", "charset:utf-8"), ("\"utf-8\"", "charset:quoted"), ("foo", "charset:unknown"),
            ("utf-16", "charset:utf-16"), ("latin1", "charset:latin1"), ("iso-8859-1", "charset:latin1"),
            ("us-ascii", "charset:ascii"), ("utf-32", "charset:utf-32"), ("", "charset:empty"))));

    /// <summary>
    /// A JSON body with a content type. A declared UTF-16/Latin-1 charset sometimes comes with bytes really encoded that
    /// way (the oracle decodes by the declared charset either way).
    /// </summary>
    private static Gen<BodyPart> JsonBody(Gen<Json> documents, Gen<(string? Value, string Tag)>? mediaTypes = null)
        => Gen.Select(documents, mediaTypes ?? MediaType, Charset, Gen.Bool, (doc, media, charset, transcode) =>
        {
            var contentType = media.Value is null ? null : charset.Value is null ? media.Value : $"{media.Value}; charset={charset.Value}";
            var bytes = doc.Bytes;
            var transcoded = transcode && JValue.Utf8IsValid(bytes) && charset.Tag is "charset:utf-16" or "charset:latin1";
            if (transcoded)
            {
                var text = Encoding.UTF8.GetString(bytes);
                bytes = charset.Tag == "charset:utf-16" ? Encoding.Unicode.GetBytes(text) : Encoding.Latin1.GetBytes(text);
            }

            var tags = new List<string>(doc.Tags) { media.Tag };
            tags.AddRange(new[] { charset.Tag, transcoded ? "body:transcoded" : null }.OfType<string>());
            return new BodyPart(bytes, contentType, tags, doc.MustRefuse, doc.Oracle);
        });

    private static readonly Gen<string> QuerySuffix = Weighted(
        (95, Gen.Const("")),
        (5, One("?x=1", "?%ZZ", "?a=%FF", "?a=%0A&a=2", "?" + new string('q', 3000))));

    // ----- routes ---------------------------------------------------------------------------------------------------------

    private static FuzzRequest Build(
        string route, string method, string path, HeaderSet headers, BodyPart? body, IEnumerable<Segment> segments,
        FuzzTargets extraTargets = FuzzTargets.None, FuzzReadBack readBack = FuzzReadBack.None, string? attributeKey = null)
    {
        var parts = segments.ToList();
        var tags = new List<string>();
        tags.AddRange(parts.Select(s => s.Tag));
        tags.AddRange(body?.Tags ?? []);
        tags.AddRange(headers.Tags);
        var targets = parts.Aggregate(extraTargets, (t, s) => t | s.Targets);
        if (body?.Body is { } bytes && bytes.AsSpan().IndexOf(Utf8(FuzzSlots.ControlUser)) >= 0)
        {
            targets |= FuzzTargets.ControlSession;
        }

        return new FuzzRequest(
            route, method, path, headers.Headers, body?.Body, body?.ContentType, tags, targets,
            parts.Select(s => s.Session).FirstOrDefault(s => s is not null), readBack, attributeKey, body?.Oracle ?? true, body?.MustRefuse);
    }

    /// <summary>Most bodiless routes still sometimes get a stray body.</summary>
    private static Gen<BodyPart?> StrayBody() => Weighted(
        (90, Gen.Const((BodyPart?)null)),
        (10, JsonBody(Weighted((1, Values(2)), (1, BrokenDocuments()))).Select(b => (BodyPart?)(b with { Tags = [.. b.Tags, "body:stray"] }))));

    private static Gen<Json> Seconds(string[] valid) => Weighted(
        (20, Gen.OneOf(valid).Select(v => Raw(v, "json:plain"))),
        (20, One(
            Raw("0", "seconds:out-of-range"), Raw("-1", "seconds:out-of-range"), Raw("59", "seconds:out-of-range"),
            Raw("99999999", "seconds:out-of-range"), Raw("60.5", "seconds:fraction"), Raw("6e1", "seconds:exponent"),
            Raw("1e20", "json:huge-number"), Raw("2147483648", "json:huge-number"), Raw("99999999999999999999", "json:huge-number"),
            Raw("true", "value:wrong-type"), Raw("{}", "value:wrong-type"), Raw("null", "value:null"),
            Raw("\"60\"", "value:number-as-string") with { MustRefuse = "a number sent as a JSON string" },
            Raw("\"3600\"", "value:number-as-string") with { MustRefuse = "a number sent as a JSON string" })));

    private static Gen<(string, Json)?> Optional(int absentWeight, int presentWeight, string name, Gen<Json> value)
        => Weighted((absentWeight, Gen.Const(default((string, Json)?))), (presentWeight, value.Select(v => ((string, Json)?)(name, v))));

    private static Gen<Json> Attributes(Gen<Json> values) => Weighted(
        (55, Subset(["theme", "k1", "k2", "k3", "cart", "a.b", "été", "😀", "with space", "k1\n"], 5)
            .SelectMany(names => values.Array[names.Length].Select(vs => Object(names.Zip(vs))))),
        (8, Deep().Select(d => Object([("deep", d)]))),
        (4, Gen.Int[250, 260].Select(n => Object(Enumerable.Range(0, n).Select(i => ($"m{i}", Raw("1", "json:plain"))), "attrs:many-keys"))),
        (3, Gen.Int[17, 18].Select(n => Object(Enumerable.Range(0, n).Select(i => ($"b{i}", Str(new string('v', 15_900)))), "attrs:session-budget"))),
        (5, One(Raw("[]", "attrs:wrong-type"), Raw("\"x\"", "attrs:wrong-type"), Raw("1", "attrs:wrong-type"), Raw("null", "value:null"))),
        (3, Gen.Select(values, values, (a, b) => Object([("k1", a), ("k1", b)], "json:duplicate-names") with { Oracle = false })),
        (2, One(
            ObjectRaw([(Utf8("\"\\ud800\""), Raw("1", "json:plain"))], "json:lone-surrogate-name"),
            ObjectRaw([(Cat(Utf8("\"k"), [0xFF], Utf8("\"")), Raw("1", "json:plain"))], "json:invalid-utf8-name"),
            ObjectRaw([(Utf8("\"\""), Raw("1", "json:plain"))], "json:empty-name"),
            Object([(new string('k', 129), Raw("1", "json:plain"))], "attrs:key-129"))));

    private Gen<Json> UserIdValue() => Weighted(
        (45, Gen.OneOf(users).Select(u => Str(u))),
        (25, Gen.Const(Str(FuzzSlots.ControlUser, "user:control"))),
        (30, HostileIdentifierJson()));

    private Gen<FuzzRequest> Create(Gen<Json> values)
    {
        var members =
            from userId in Optional(50, 50, "userId", UserIdValue())
            from attributes in Optional(20, 80, "attributes", Attributes(values))
            from idle in Optional(60, 40, "idleTimeoutSeconds", Seconds(["60", "600", "3600", "86400"]))
            from absolute in Optional(70, 30, "absoluteLifetimeSeconds", Seconds(["3600", "43200", "2592000"]))
            from clientInfo in Optional(70, 30, "clientInfo", Weighted(
                (3, Gen.String[Gen.Char["abcdef 0123/."], 0, 20].Select(s => Str(s))),
                (2, One(
                    Str(new string('i', 5000), "value:very-long"), Str("навигатор", "value:non-ascii"), Raw("\"\\ud800\"", "json:lone-surrogate"),
                    new Json(Cat(Utf8("\"i"), [0xFF], Utf8("\"")), "json:invalid-utf8"), Raw("42", "value:wrong-type")))))
            from unknown in Optional(85, 15, "unknown", Weighted(
                (3, Values(2).Select(v => v.Tagged("body:unknown-member"))),
                (1, Gen.Const(Raw("{}", "body:unknown-member")))))
            from repeat in Weighted((90, Gen.Const(0)), (5, Gen.Const(1)), (5, Gen.Const(2)))
            select Member([userId, attributes, idle, absolute, clientInfo, unknown], repeat);
        var documents = Weighted((80, members), (10, BrokenDocuments()), (5, One(Raw("[]", "body:wrong-type"), Raw("\"x\"", "body:wrong-type"), Raw("1", "body:wrong-type"), Raw("null", "body:null"))));
        return from body in JsonBody(documents)
               from headers in Headers(ifMatch: false)
               select Build("POST /sessions", "POST", "/sessions", headers, body, [], readBack: FuzzReadBack.Create);

        static Json Member((string Name, Json Value)?[] optional, int repeat)
        {
            var members = optional.OfType<(string Name, Json Value)>().ToList();
            var oracle = true;
            if (repeat == 1 && members.Count > 0)
            {
                // The same member twice: which one counts is not defined, so nothing is read back.
                members.Add(members[0]);
                oracle = false;
            }
            else if (repeat == 2 && members.Count > 0)
            {
                // Web defaults match names case-insensitively: "UserId" collides with "userId".
                members.Add((char.ToUpperInvariant(members[0].Name[0]) + members[0].Name[1..], members[0].Value));
                oracle = false;
            }

            var json = Object(members);
            json = repeat switch
            {
                1 => json.Tagged("body:duplicate-member"),
                2 => json.Tagged("body:case-variant-member"),
                _ => json,
            };
            return json with { Oracle = json.Oracle && oracle };
        }
    }

    private static Gen<FuzzRequest> GetSession()
        => from target in SessionTarget()
           from body in StrayBody()
           from query in QuerySuffix
           from headers in Headers(ifMatch: false)
           select Build("GET /sessions/{id}", "GET", $"/sessions/{target.Text}{query}", headers, body, [target]);

    private static Gen<FuzzRequest> SetAttribute(Gen<Json> values)
        => from target in SessionTarget()
           from key in KeySegment()
           from body in JsonBody(Weighted((85, values), (15, BrokenDocuments())))
           from headers in Headers(ifMatch: true)
           select Build(
               "PUT /sessions/{id}/attributes/{key}", "PUT", $"/sessions/{target.Text}/attributes/{key.Text}", headers, body, [target, key],
               readBack: FuzzReadBack.SetAttribute, attributeKey: key.Decoded);

    private static Gen<FuzzRequest> RemoveAttribute()
        => from target in SessionTarget()
           from key in KeySegment()
           from body in StrayBody()
           from headers in Headers(ifMatch: true)
           select Build("DELETE /sessions/{id}/attributes/{key}", "DELETE", $"/sessions/{target.Text}/attributes/{key.Text}", headers, body, [target, key]);

    private static Gen<FuzzRequest> Patch(Gen<Json> values)
    {
        var names = One(
            Utf8("\"theme\""), Utf8("\"k1\""), Utf8("\"k2\""), Utf8("\"k3\""), Utf8("\"cart\""), Utf8("\"a.b\""), Utf8("\"été\""), Utf8("\"deep\""));
        var member = Gen.Select(
            names,
            Weighted((70, values), (30, Gen.Const(Raw("null", "json:plain")))),
            (n, v) => (n, v));
        var hostileName = One(
            (Utf8("\"\""), "patch:empty-name"), (Quote(new string('k', 129)), "patch:key-129"),
            (Utf8("\"\\ud800\""), "json:lone-surrogate-name"), (Cat(Utf8("\"k"), [0xFF], Utf8("\"")), "json:invalid-utf8-name"));
        var patches = Weighted(
            (55, member.Array[1, 4].Select(ms => ObjectRaw(ms.DistinctBy(m => Encoding.UTF8.GetString(m.n)).Select(m => (m.n, m.v))))),
            (8, Deep().Select(d => Object([("deep", d)]))),
            (5, Gen.Select(values, values, (a, b) => Object([("k1", a), ("k2", Raw("1", "json:plain")), ("k1", b)], "json:duplicate-names") with { Oracle = false })),
            (3, Gen.Int[17, 18].Select(n => Object(Enumerable.Range(0, n).Select(i => ($"b{i}", Str(new string('v', 15_900)))), "attrs:session-budget"))),
            (3, Gen.Int[256, 260].Select(n => Object(Enumerable.Range(0, n).Select(i => ($"m{i}", Raw("1", "json:plain"))), "attrs:many-keys"))),
            (3, hostileName.Select(h => ObjectRaw([(h.Item1, Raw("1", "json:plain"))], h.Item2))),
            (10, BrokenDocuments()),
            (6, One(Raw("[]", "patch:not-object"), Raw("\"x\"", "patch:not-object"), Raw("1", "patch:not-object"), Raw("null", "patch:not-object"), Raw("true", "patch:not-object"))));
        var media = Weighted(
            (50, Gen.Const(((string?)"application/merge-patch+json", "ct:merge-patch"))),
            (30, Gen.Const(((string?)"application/json", "ct:json"))),
            (20, MediaType));
        return from target in SessionTarget()
               from body in JsonBody(patches, media)
               from headers in Headers(ifMatch: true)
               select Build("PATCH /sessions/{id}", "PATCH", $"/sessions/{target.Text}", headers, body, [target], readBack: FuzzReadBack.Patch);
    }

    private static Gen<FuzzRequest> Simple(string route, string method, string suffix)
        => from target in SessionTarget()
           from body in StrayBody()
           from headers in Headers(ifMatch: false)
           select Build(route, method, $"/sessions/{target.Text}{suffix}", headers, body, [target]);

    private Gen<FuzzRequest> Login()
    {
        var documents = Weighted(
            (75, Optional(15, 85, "userId", UserIdValue()).Select(m => Object(m is { } member ? [member] : []))),
            (10, BrokenDocuments()),
            (5, Gen.Const(Raw("[]", "body:wrong-type"))));
        return from target in SessionTarget()
               from body in JsonBody(documents)
               from headers in Headers(ifMatch: false)
               select Build("POST /sessions/{id}/login", "POST", $"/sessions/{target.Text}/login", headers, body, [target]);
    }

    private static Gen<FuzzRequest> ValidateToken()
    {
        var token = Weighted(
            (40, Gen.Const(Str(FuzzSlots.Token))),
            (10, Gen.Const(Str(FuzzSlots.Token + "x", "token:tampered"))),
            (20, One(
                Str("", "token:garbage"), Str("a.b.c", "token:garbage"), Str(new string('t', 5000), "token:garbage"),
                Str("été.été.été", "token:garbage"), Raw("\"\\ud800\"", "json:lone-surrogate"),
                new Json(Cat(Utf8("\"t"), [0xFF], Utf8("\"")), "json:invalid-utf8"))),
            (10, One(Raw("1", "value:wrong-type"), Raw("null", "value:null"), Raw("{}", "value:wrong-type"))));
        var documents = Weighted(
            (80, Optional(10, 90, "token", token).Select(m => Object(m is { } member ? [member] : []))),
            (10, BrokenDocuments()));
        return from body in JsonBody(documents)
               from headers in Headers(ifMatch: false)
               select Build("POST /tokens/validate", "POST", "/tokens/validate", headers, body, []);
    }

    private Gen<FuzzRequest> UserSessions(string method)
        => from user in UserTarget()
           from body in StrayBody()
           from headers in Headers(ifMatch: false)
           select Build($"{method} /users/{{userId}}/sessions", method, $"/users/{user.Text}/sessions", headers, body, [user]);

    private Gen<FuzzRequest> EndUserSession()
    {
        var hash = Weighted(
            (50, Gen.Const(new Segment(FuzzSlots.ControlHash, "hash:control", FuzzTargets.ControlSession))),
            (20, Gen.Int[0, FuzzSlots.LiveSlots - 1].Select(i => new Segment(FuzzSlots.LiveHash(i), "hash:live"))),
            (10, Gen.String[Gen.Char[Base64UrlChars], 22, 22].Select(s => new Segment(s, "hash:unknown"))),
            (20, HostileSegment(FuzzSlots.ControlHash, FuzzTargets.ControlSession)));
        var user = Weighted(
            (60, Gen.Const(new Segment(FuzzSlots.ControlUser, "user:control", FuzzTargets.ControlSession))),
            (40, UserTarget()));
        return from u in user
               from h in hash
               from headers in Headers(ifMatch: false)
               select Build("DELETE /users/{userId}/sessions/{hash}", "DELETE", $"/users/{u.Text}/sessions/{h.Text}", headers, null, [u, h]);
    }

    private Gen<FuzzRequest> GetCart()
        => from cart in CartTarget()
           from body in StrayBody()
           from query in QuerySuffix
           from headers in Headers(ifMatch: false)
           select Build("GET /users/{userId}/cart", "GET", $"/users/{cart.Text}/cart{query}", headers, body, [cart]);

    private static Gen<Json> Quantity() => Weighted(
        (60, Weighted((4, Gen.Int[1, 5]), (1, Gen.Int[1, 999])).Select(q => Raw(q.ToString(CultureInfo.InvariantCulture), "json:plain"))),
        (40, One(
            Raw("0", "quantity:out-of-range"), Raw("-1", "quantity:out-of-range"), Raw("1000", "quantity:out-of-range"),
            Raw("999", "json:plain"), Raw("2147483647", "quantity:out-of-range"), Raw("2147483648", "json:huge-number"),
            Raw("1.5", "quantity:fraction"), Raw("1e3", "quantity:exponent"), Raw("null", "value:null"), Raw("true", "value:wrong-type"),
            Raw("\"5\"", "value:number-as-string") with { MustRefuse = "a number sent as a JSON string" })));

    private Gen<FuzzRequest> AddItem()
    {
        var sku = Weighted((65, Gen.OneOf(Skus).Select(s => Str(s))), (35, HostileIdentifierJson()));
        var documents = Weighted(
            (80,
                from s in Optional(10, 90, "sku", sku)
                from q in Optional(10, 90, "quantity", Quantity())
                from extra in Weighted(
                    (85, Gen.Const(0)),
                    (15, One(1, 2)))
                select ItemBody(s, q, extra)),
            (12, BrokenDocuments()),
            (3, Gen.Const(Raw("[]", "body:wrong-type"))));
        return from cart in CartTarget()
               from body in JsonBody(documents)
               from headers in Headers(ifMatch: false)
               select Build("POST /users/{userId}/cart/items", "POST", $"/users/{cart.Text}/cart/items", headers, body, [cart]);
    }

    private static Json ItemBody((string, Json)? sku, (string, Json)? quantity, int extra)
    {
        var members = new[] { sku, quantity }.OfType<(string Name, Json Value)>().ToList();
        if (extra == 1)
        {
            members.Add(("quantity", Raw("2", "json:plain")));
            return Object(members, "body:duplicate-member") with { Oracle = false };
        }

        if (extra == 2)
        {
            members.Add(("unknown", Raw("{\"x\":1}", "json:plain")));
            return Object(members, "body:unknown-member");
        }

        return Object(members);
    }

    private Gen<FuzzRequest> SetItem()
    {
        var documents = Weighted(
            (80, Gen.Select(Optional(10, 90, "quantity", Quantity()), Weighted((85, Gen.Const(0)), (15, One(1, 2))), (q, extra) => ItemBody(null, q, extra))),
            (12, BrokenDocuments()));
        return from cart in CartTarget()
               from sku in SkuSegment()
               from body in JsonBody(documents)
               from headers in Headers(ifMatch: false)
               select Build("PUT /users/{userId}/cart/items/{sku}", "PUT", $"/users/{cart.Text}/cart/items/{sku.Text}", headers, body, [cart, sku]);
    }

    private Gen<FuzzRequest> RemoveItem()
        => from cart in CartTarget()
           from sku in SkuSegment()
           from body in StrayBody()
           from headers in Headers(ifMatch: false)
           select Build("DELETE /users/{userId}/cart/items/{sku}", "DELETE", $"/users/{cart.Text}/cart/items/{sku.Text}", headers, body, [cart, sku]);

    private static Gen<FuzzRequest> SetStock()
    {
        var currency = Weighted((70, Gen.Const(Str("EUR"))), (30, One(Str("eur"), Str("EURO"), Str(""), Raw("978", "currency:number"))));
        var documents = Weighted(
            (85,
                from onHand in Optional(10, 90, "onHand", Quantity())
                from unitPrice in Optional(10, 90, "unitPrice", Quantity())
                from code in Optional(10, 90, "currency", currency)
                select Object(new[] { onHand, unitPrice, code }.OfType<(string Name, Json Value)>())),
            (15, BrokenDocuments()));
        return from sku in SkuSegment()
               from body in JsonBody(documents)
               from headers in Headers(ifMatch: false)
               select Build("PUT /inventory/{sku}", "PUT", $"/inventory/{sku.Text}", headers, body, [sku]);
    }

    private static Gen<FuzzRequest> GetStock()
        => from sku in SkuSegment()
           from body in StrayBody()
           from headers in Headers(ifMatch: false)
           select Build("GET /inventory/{sku}", "GET", $"/inventory/{sku.Text}", headers, body, [sku]);

    private static readonly Gen<(string? Value, string Tag)> IdempotencyKeyValue = Weighted(
        (60, One<(string?, string)>(("order-1", "idem:plain"), ("order-2", "idem:plain"))),
        (40, One<(string?, string)>((null, "idem:missing"), ("", "idem:empty"), ("a b", "idem:space"), (new string('k', 256), "idem:too-long"), ("caf\u00e9", "idem:escaped"))));

    private Gen<FuzzRequest> PlaceOrder()
    {
        var method = Weighted((70, One(Str("pm_card_visa"), Str("pm_card_chargeDeclined"))), (30, HostileIdentifierJson()));
        var documents = Weighted(
            (85, Optional(10, 90, "paymentMethod", method).Select(m => Object(new[] { m }.OfType<(string Name, Json Value)>()))),
            (15, BrokenDocuments()));
        // Never the control cart's user: a confirmed order empties what it ordered from that cart later, on its own.
        var buyer = Weighted(
            (70, Gen.OneOf(carts).Select(c => new Segment(c, "cart:lane"))),
            (30, Gen.OneOf(carts).SelectMany(c => HostileSegment(c, FuzzTargets.None))));
        return from user in buyer
               from body in JsonBody(documents)
               from key in IdempotencyKeyValue
               from headers in Headers(ifMatch: false)
               select Build(
                   "POST /users/{userId}/orders", "POST", $"/users/{user.Text}/orders",
                   key.Value is null ? headers with { } : headers with { Headers = [.. headers.Headers, new FuzzHeader("Idempotency-Key", System.Text.Encoding.ASCII.GetBytes(key.Value))] },
                   body, [user, new Segment("", key.Tag)]);
    }

    private Gen<FuzzRequest> ReadOnlyOrderRoute()
        => from user in CartTarget()
           from route in One(("/orders", "GET /users/{userId}/orders"), ("/overview", "GET /users/{userId}/overview"))
           from headers in Headers(ifMatch: false)
           select Build(route.Item2, "GET", $"/users/{user.Text}{route.Item1}", headers, null, [user]);

    private static Gen<FuzzRequest> Operator()
        => from route in One(
               ("GET", "/admin/sagas?status=CompensationFailed", "GET /admin/sagas"), ("GET", "/admin/sagas?status=x%0A", "GET /admin/sagas"),
               ("POST", "/admin/sagas/no-such-order/retry", "POST /admin/sagas/{orderId}/retry"), ("POST", "/admin/sagas/%0A/retry", "POST /admin/sagas/{orderId}/retry"),
               ("GET", "/admin/dead-letters", "GET /admin/dead-letters"), ("POST", "/admin/dead-letters/999999/replay", "POST /admin/dead-letters/{id}/replay"),
               ("POST", "/admin/dead-letters/abc/replay", "POST /admin/dead-letters/{id}/replay"), ("GET", "/orders/no-such-order", "GET /orders/{orderId}"),
               ("GET", "/orders/-x", "GET /orders/{orderId}"))
           from headers in Headers(ifMatch: false)
           select Build(route.Item3, route.Item1, route.Item2, headers, null, [new Segment("", "operator")]);

    private static Gen<FuzzRequest> Health()
        => from route in One(
               ("GET", "/health/live", "health:live"), ("GET", "/health/ready", "health:ready"), ("POST", "/health/live", "health:wrong-method"),
               ("GET", "/health/%2E%2E/health/live", "health:dot-segment"), ("GET", "/health/live%0A", "health:trailing-newline"))
           from headers in Headers(ifMatch: false)
           select Build($"{route.Item1} {route.Item2}", route.Item1, route.Item2, headers, null, [new Segment("", route.Item3)]);

    private Gen<FuzzRequest> Unknown()
    {
        var paths = One(
            new Segment("/", "unknown:root"), new Segment("/nope", "unknown:path"), new Segment("/sessions", "unknown:collection"),
            new Segment("/carts", "unknown:removed-route"), new Segment("/users", "unknown:collection"), new Segment("/tokens", "unknown:collection"),
            new Segment("/health", "unknown:collection"), new Segment("/sessions/{sid}/nope", "unknown:sub-path", FuzzTargets.ControlSession),
            new Segment("/sessions/{sid}/attributes", "unknown:no-key", FuzzTargets.ControlSession),
            new Segment("/sessions/{sid}/attributes/k1/extra", "unknown:extra-segment", FuzzTargets.ControlSession),
            new Segment("/SESSIONS/{sid}", "unknown:upper-case", FuzzTargets.ControlSession),
            new Segment("/%2E%2E/sessions", "unknown:dot-segment"), new Segment($"/users/{controlCart}/cart/items", "unknown:collection", FuzzTargets.ControlCart),
            new Segment($"/users/{controlCart}/cart/nope", "unknown:sub-path", FuzzTargets.ControlCart), new Segment("/openapi/v1.json", "unknown:openapi"),
            new Segment("/sessions/{sid}%2Fattributes%2Fk1", "unknown:encoded-slash", FuzzTargets.ControlSession));
        var methods = Weighted(
            (50, One("GET", "POST", "PUT", "PATCH", "DELETE")),
            (50, One("FOO", "PROPFIND", "OPTIONS", "TRACE", "get", "M-SEARCH")));
        return from path in paths
               from method in methods
               from body in StrayBody()
               from headers in Headers(ifMatch: false)
               select Build("(unknown route or method)", method, path.Text, headers, body, [path, new Segment("", $"method:{method}")]);
    }
}
