using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using CsCheck;

namespace OrleansSessions.Tests.Api;

/// <summary>
/// A JSON value model for the fuzz oracle. System.Text.Json refuses exactly the hostile inputs the fuzz sends (lone
/// surrogate escapes, invalid UTF-8 inside strings, duplicate names, deep nesting), so values are read from raw bytes
/// and compared here instead.
/// </summary>
internal abstract record JValue
{
    /// <summary>Deep enough for every document the generators make (they stop at 70 levels).</summary>
    private static readonly JsonDocumentOptions Lenient = new() { MaxDepth = 1024 };

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Parses <paramref name="utf8"/> (a leading BOM is skipped); null when it is not strict JSON.</summary>
    public static JValue? TryParse(ReadOnlyMemory<byte> utf8)
    {
        if (utf8.Span.StartsWith("\uFEFF"u8))
        {
            utf8 = utf8[3..];
        }

        try
        {
            using var document = JsonDocument.Parse(utf8, Lenient);
            return From(document.RootElement);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static JValue From(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Null => JNull.Instance,
        JsonValueKind.True => new JBool(true),
        JsonValueKind.False => new JBool(false),
        JsonValueKind.Number => new JNumber(Encoding.UTF8.GetString(JsonMarshal.GetRawUtf8Value(element))),
        JsonValueKind.String => JString.FromRaw(JsonMarshal.GetRawUtf8Value(element)),
        JsonValueKind.Array => new JArray([.. element.EnumerateArray().Select(From)]),
        JsonValueKind.Object => new JObject([.. element.EnumerateObject().Select(p => (Name(p), From(p.Value)))]),
        _ => throw new ArgumentException($"Unexpected JSON value kind {element.ValueKind}.", nameof(element)),
    };

    /// <summary>A property name as a key: decoded text, or a marker of the raw bytes when they are not valid UTF-8.</summary>
    public static string Name(JsonProperty property)
    {
        var quoted = new byte[JsonMarshal.GetRawUtf8PropertyName(property).Length + 2];
        quoted[0] = quoted[^1] = (byte)'"';
        JsonMarshal.GetRawUtf8PropertyName(property).CopyTo(quoted.AsSpan(1));
        return JString.FromRaw(quoted).Key;
    }

    /// <summary>Whether any object in the value repeats a name: then "what was sent" has no single meaning.</summary>
    public abstract bool HasDuplicateNames { get; }

    public abstract bool SemanticEquals(JValue other);

    /// <summary>RFC 7396, applied literally (members in document order).</summary>
    public static JValue MergePatch(JValue? target, JValue patch)
    {
        if (patch is not JObject members)
        {
            return patch;
        }

        var result = target is JObject existing ? existing.ToDictionary() : new Dictionary<string, JValue>(StringComparer.Ordinal);
        foreach (var (name, value) in members.Members)
        {
            if (value is JNull)
            {
                result.Remove(name);
            }
            else
            {
                result[name] = MergePatch(result.GetValueOrDefault(name), value);
            }
        }

        return new JObject([.. result.Select(p => (p.Key, p.Value))]);
    }

    public static bool Utf8IsValid(ReadOnlySpan<byte> bytes)
    {
        try
        {
            _ = StrictUtf8.GetCharCount(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    protected static string DecodeUtf8(ReadOnlySpan<byte> bytes) => StrictUtf8.GetString(bytes);
}

internal sealed record JNull : JValue
{
    public static readonly JNull Instance = new();

    public override bool HasDuplicateNames => false;

    public override bool SemanticEquals(JValue other) => other is JNull;
}

internal sealed record JBool(bool Value) : JValue
{
    public override bool HasDuplicateNames => false;

    public override bool SemanticEquals(JValue other) => other is JBool b && b.Value == Value;
}

internal sealed record JNumber(string Raw) : JValue
{
    private const NumberStyles Json = NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent;

    public override bool HasDuplicateNames => false;

    /// <summary>Same text, else the same decimal, else the same double: 1.0, 1 and 1E0 are one number.</summary>
    public override bool SemanticEquals(JValue other)
    {
        if (other is not JNumber n)
        {
            return false;
        }

        if (string.Equals(n.Raw, Raw, StringComparison.Ordinal))
        {
            return true;
        }

        if (decimal.TryParse(Raw, Json, CultureInfo.InvariantCulture, out var a) && decimal.TryParse(n.Raw, Json, CultureInfo.InvariantCulture, out var b))
        {
            return a == b;
        }

        return double.TryParse(Raw, Json, CultureInfo.InvariantCulture, out var x)
            && double.TryParse(n.Raw, Json, CultureInfo.InvariantCulture, out var y)
            && x.Equals(y);
    }
}

/// <summary>
/// A string as UTF-16 code units, lone surrogates included (escapes are decoded by hand). When the raw bytes are not
/// valid UTF-8, only identical raw bytes are equal: there is no text to compare.
/// </summary>
internal sealed record JString(string Text, byte[]? InvalidUtf8Raw) : JValue
{
    public override bool HasDuplicateNames => false;

    /// <summary>A dictionary key that keeps invalid-UTF-8 names apart from every real name.</summary>
    public string Key => InvalidUtf8Raw is null ? Text : "\uFFFF\uFFFFraw:" + Convert.ToHexString(InvalidUtf8Raw);

    /// <param name="quoted">The raw token, quotes included, as it appears in the document.</param>
    public static JString FromRaw(ReadOnlySpan<byte> quoted)
    {
        var raw = quoted[1..^1];
        var text = new StringBuilder(raw.Length);
        var run = new List<byte>();
        var valid = true;
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] != (byte)'\\')
            {
                run.Add(raw[i]);
                continue;
            }

            valid &= Flush(run, text);
            var escape = (char)raw[++i];
            if (escape == 'u')
            {
                text.Append((char)int.Parse(Encoding.ASCII.GetString(raw.Slice(i + 1, 4)), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                i += 4;
            }
            else
            {
                text.Append(escape switch
                {
                    'b' => '\b',
                    'f' => '\f',
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    _ => escape,
                });
            }
        }

        valid &= Flush(run, text);
        return new JString(text.ToString(), valid ? null : raw.ToArray());
    }

    public override bool SemanticEquals(JValue other) => other is JString s
        && (InvalidUtf8Raw is null && s.InvalidUtf8Raw is null
            ? string.Equals(s.Text, Text, StringComparison.Ordinal)
            : InvalidUtf8Raw is not null && s.InvalidUtf8Raw is not null && InvalidUtf8Raw.AsSpan().SequenceEqual(s.InvalidUtf8Raw));

    private static bool Flush(List<byte> run, StringBuilder text)
    {
        var bytes = CollectionsMarshal.AsSpan(run);
        var valid = Utf8IsValid(bytes);
        if (valid)
        {
            text.Append(DecodeUtf8(bytes));
        }

        run.Clear();
        return valid;
    }
}

internal sealed record JArray(IReadOnlyList<JValue> Items) : JValue
{
    public override bool HasDuplicateNames => Items.Any(i => i.HasDuplicateNames);

    public override bool SemanticEquals(JValue other)
        => other is JArray a && a.Items.Count == Items.Count && Items.Zip(a.Items).All(p => p.First.SemanticEquals(p.Second));
}

/// <summary>An object's members in document order; lookups take the last of repeated names.</summary>
internal sealed record JObject(IReadOnlyList<(string Name, JValue Value)> Members) : JValue
{
    public override bool HasDuplicateNames
        => Members.Select(m => m.Name).Distinct(StringComparer.Ordinal).Count() != Members.Count || Members.Any(m => m.Value.HasDuplicateNames);

    public Dictionary<string, JValue> ToDictionary()
    {
        var map = new Dictionary<string, JValue>(StringComparer.Ordinal);
        foreach (var (name, value) in Members)
        {
            map[name] = value;
        }

        return map;
    }

    public override bool SemanticEquals(JValue other)
    {
        if (other is not JObject o)
        {
            return false;
        }

        var mine = ToDictionary();
        var theirs = o.ToDictionary();
        return mine.Count == theirs.Count && mine.All(p => theirs.TryGetValue(p.Key, out var v) && p.Value.SemanticEquals(v));
    }
}

/// <summary>The fuzz oracle and generators are test code too: they must be right for a finding to mean anything.</summary>
public sealed class HttpFuzzOracleTests
{
    private static JValue Parse(string json) => JValue.TryParse(Encoding.UTF8.GetBytes(json)) ?? throw new ArgumentException(json, nameof(json));

    [Theory]
    [InlineData("\"\\ud800\"", "\"\\uD800\"")]
    [InlineData("\"\\u00e9\"", "\"é\"")]
    [InlineData("1.0", "1")]
    [InlineData("1E2", "100")]
    [InlineData("1e400", "1E400")]
    [InlineData("{\"a\":1,\"b\":[true,null]}", "{\"b\":[true,null],\"a\":1.00}")]
    public void Equal_json_compares_equal(string left, string right) => Assert.True(Parse(left).SemanticEquals(Parse(right)));

    [Theory]
    [InlineData("\"\\ud800\"", "\"\\ufffd\"")]
    [InlineData("1", "2")]
    [InlineData("\"1\"", "1")]
    [InlineData("[1,2]", "[2,1]")]
    [InlineData("{\"a\":1}", "{\"a\":1,\"b\":2}")]
    [InlineData("{\"a\":null}", "{}")]
    public void Different_json_compares_different(string left, string right) => Assert.False(Parse(left).SemanticEquals(Parse(right)));

    [Fact]
    public void Invalid_utf8_equals_only_the_same_bytes()
    {
        byte[] raw = [(byte)'"', (byte)'a', 0xFF, (byte)'b', (byte)'"'];
        var bad = Assert.IsType<JString>(JValue.TryParse(raw));
        Assert.NotNull(bad.InvalidUtf8Raw);
        Assert.True(bad.SemanticEquals(JValue.TryParse(raw.ToArray())!));
        Assert.False(bad.SemanticEquals(Parse("\"a\uFFFDb\"")));
    }

    [Fact]
    public void Duplicate_names_are_seen()
    {
        Assert.True(Parse("{\"a\":1,\"a\":2}").HasDuplicateNames);
        Assert.True(Parse("[{\"x\":{\"a\":1,\"a\":2}}]").HasDuplicateNames);
        Assert.False(Parse("{\"a\":{\"a\":1}}").HasDuplicateNames);
    }

    [Theory]
    [InlineData("{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}")]
    [InlineData("{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}")]
    [InlineData("{\"a\":\"b\"}", "{\"a\":null}", "{}")]
    [InlineData("{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}", "{\"a\":{\"b\":\"d\"}}")]
    [InlineData("{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}")]
    [InlineData("[1,2]", "{\"a\":\"b\",\"c\":null}", "{\"a\":\"b\"}")]
    [InlineData("{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}")]
    public void Merge_patch_follows_rfc_7396(string target, string patch, string result)
        => Assert.True(JValue.MergePatch(Parse(target), Parse(patch)).SemanticEquals(Parse(result)));

    [Fact]
    public void The_same_seed_generates_the_same_requests()
    {
        static string Run(string seed)
        {
            var pcg = PCG.Parse(seed);
            var generators = new HttpFuzzGenerators("fzseed-l0");
            return string.Join("\n", Enumerable.Range(0, 300).Select(i =>
            {
                var r = generators.Request.Generate(pcg, null!, out _);
                return $"{r.Method} {r.Path} {string.Join(",", r.Headers.Select(h => h.Name + "=" + Convert.ToHexString(h.Value)))} {r.ContentType} {Convert.ToHexString(r.Body ?? [])}";
            }));
        }

        var seed = new PCG(7, 42).ToString();
        Assert.Equal(Run(seed), Run(seed));
        Assert.NotEqual(Run(seed), Run(new PCG(7, 43).ToString()));
    }
}
