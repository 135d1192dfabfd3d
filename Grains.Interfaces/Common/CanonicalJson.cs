using System.Buffers;
using System.Text;
using System.Text.Json;

namespace OrleansSessions.Common;

/// <summary>
/// The one form in which JSON enters a grain: checked and rewritten so that whatever is stored can always be served
/// back. Refused: malformed JSON, invalid UTF-8 (raw bytes inside strings), unpaired UTF-16 surrogates (<c>"\ud800"</c>),
/// duplicate member names, comments, trailing commas, and nesting deeper than the caller's limit. Accepted JSON is
/// rewritten minified with System.Text.Json's default escaping (numbers keep their digits), so equal values are stored
/// as equal ASCII text and every read of a value writes the same bytes.
/// </summary>
public static class CanonicalJson
{
    /// <summary>
    /// Nesting levels a stored value may have (an attribute value, a merge patch member). Well inside the 64 levels
    /// System.Text.Json's serializer writes, so the levels of the response around a value never push it over.
    /// </summary>
    public const int MaxValueDepth = 32;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Canonicalizes UTF-8 JSON, or explains what is wrong with it and where.</summary>
    /// <param name="utf8">The JSON text.</param>
    /// <param name="rootPath">
    /// How errors name the document itself (<c>attributes.theme</c>); its members are appended. Empty for a request
    /// body: errors then name the body's own members (<c>idleTimeoutSeconds</c>), or <c>body</c> for the whole.
    /// </param>
    /// <param name="enclosingLevels">
    /// Levels the document adds above the values it carries (1 for a merge patch, 2 for a create request's
    /// <c>attributes</c>), so each value may still nest <see cref="MaxValueDepth"/> levels.
    /// </param>
    public static CanonicalJsonResult Canonicalize(ReadOnlySpan<byte> utf8, string rootPath, int enclosingLevels = 0)
    {
        var maxDepth = MaxValueDepth + enclosingLevels;
        var output = new ArrayBufferWriter<byte>(Math.Max(16, utf8.Length));
        var walker = new Walker(maxDepth, rootPath);
        using (var writer = new Utf8JsonWriter(output, new JsonWriterOptions { SkipValidation = true, MaxDepth = maxDepth + 2 }))
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = maxDepth + 2 });
            try
            {
                if (!walker.Copy(ref reader, writer))
                {
                    return CanonicalJsonResult.Refused(walker.ErrorPath, walker.Error!);
                }
            }
            catch (JsonException)
            {
                return CanonicalJsonResult.Refused(walker.CurrentPath, "is not valid JSON.");
            }

            writer.Flush();
        }

        return CanonicalJsonResult.Accepted(Encoding.ASCII.GetString(output.WrittenSpan));
    }

    /// <summary>Canonicalizes JSON held in a .NET string (in-process callers); a string with unpaired surrogates is refused.</summary>
    public static CanonicalJsonResult Canonicalize(string json, string rootPath, int enclosingLevels = 0)
    {
        ArgumentNullException.ThrowIfNull(json);
        byte[] utf8;
        try
        {
            utf8 = StrictUtf8.GetBytes(json);
        }
        catch (EncoderFallbackException)
        {
            return CanonicalJsonResult.Refused(rootPath, "holds text that is not valid Unicode (an unpaired surrogate).");
        }

        return Canonicalize(utf8, rootPath, enclosingLevels);
    }

    /// <summary>Whether a .NET string is valid Unicode: no unpaired UTF-16 surrogate.</summary>
    public static bool IsValidUnicode(ReadOnlySpan<char> text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (!char.IsSurrogate(text[i]))
            {
                continue;
            }

            if (!char.IsHighSurrogate(text[i]) || i + 1 == text.Length || !char.IsLowSurrogate(text[i + 1]))
            {
                return false;
            }

            i++;
        }

        return true;
    }

    /// <summary>Copies tokens from reader to writer, checking each; keeps the path of the current token for errors.</summary>
    private sealed class Walker(int maxDepth, string rootPath)
    {
        private const string InvalidText = "holds text that is not valid UTF-8 or Unicode (invalid bytes or an unpaired surrogate escape).";

        /// <summary>Member names are client input: long ones are cut in error paths.</summary>
        private const int MaxNameInPath = 64;

        private readonly Stack<Frame> frames = new();
        private string? pendingName;

        public string? Error { get; private set; }

        public string ErrorPath { get; private set; } = "";

        public string CurrentPath => PathOf(pendingName);

        public bool Copy(ref Utf8JsonReader reader, Utf8JsonWriter writer)
        {
            var tokens = 0;
            while (reader.Read())
            {
                tokens++;
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        if (frames.Count >= maxDepth)
                        {
                            return Fail($"is nested deeper than the {MaxValueDepth} levels a value may have.");
                        }

                        var isObject = reader.TokenType == JsonTokenType.StartObject;
                        BeginValue();
                        frames.Push(new Frame(PathOf(pendingName), isObject));
                        pendingName = null;
                        if (isObject)
                        {
                            writer.WriteStartObject();
                        }
                        else
                        {
                            writer.WriteStartArray();
                        }

                        break;

                    case JsonTokenType.EndObject:
                        frames.Pop();
                        writer.WriteEndObject();
                        break;

                    case JsonTokenType.EndArray:
                        frames.Pop();
                        writer.WriteEndArray();
                        break;

                    case JsonTokenType.PropertyName:
                        if (!TryGetText(ref reader, out var name))
                        {
                            return false;
                        }

                        if (!frames.Peek().Names.Add(name))
                        {
                            pendingName = name;
                            return Fail("appears more than once in the same object.");
                        }

                        pendingName = name;
                        writer.WritePropertyName(name);
                        break;

                    case JsonTokenType.String:
                        BeginValue();
                        if (!TryGetText(ref reader, out var text))
                        {
                            return false;
                        }

                        pendingName = null;
                        writer.WriteStringValue(text);
                        break;

                    case JsonTokenType.Number or JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null:
                        BeginValue();
                        pendingName = null;

                        // Numbers keep the digits they were sent with (the reader has checked the grammar).
                        writer.WriteRawValue(reader.ValueSpan, skipInputValidation: true);
                        break;

                    default:
                        return Fail("is not valid JSON.");
                }
            }

            return tokens > 0 || Fail("is empty: a JSON value is required.");
        }

        private void BeginValue()
        {
            if (frames.TryPeek(out var frame) && !frame.IsObject)
            {
                pendingName = $"[{frame.Index++}]";
            }
        }

        private bool TryGetText(ref Utf8JsonReader reader, out string text)
        {
            try
            {
                text = reader.GetString()!;
            }
            catch (InvalidOperationException)
            {
                // Raw bytes that are not UTF-8, or an escape of an unpaired surrogate, depending on the runtime's check.
                text = "";
                return Fail(InvalidText);
            }

            return IsValidUnicode(text) || Fail(InvalidText);
        }

        private bool Fail(string message)
        {
            Error = message;
            ErrorPath = CurrentPath;
            return false;
        }

        private string PathOf(string? member)
        {
            var parent = frames.TryPeek(out var frame) ? frame.Path : rootPath;
            if (member is { Length: > MaxNameInPath })
            {
                // Never between the two halves of a surrogate pair: the error is written as JSON too.
                member = member[..(char.IsHighSurrogate(member[MaxNameInPath - 1]) ? MaxNameInPath - 1 : MaxNameInPath)] + "…";
            }

            return member switch
            {
                null => parent,
                ['[', ..] => parent + member,
                _ when parent.Length == 0 => member,
                _ => $"{parent}.{member}",
            };
        }

        private sealed class Frame(string path, bool isObject)
        {
            public string Path { get; } = path;

            public bool IsObject { get; } = isObject;

            public HashSet<string> Names { get; } = new(StringComparer.Ordinal);

            public int Index { get; set; }
        }
    }
}

/// <summary>The canonical text of accepted JSON, or the path and reason of the first defect.</summary>
public readonly record struct CanonicalJsonResult(string? Json, string Path, string? Error)
{
    public bool IsAccepted => Json is not null;

    public static CanonicalJsonResult Accepted(string json) => new(json, "", null);

    public static CanonicalJsonResult Refused(string path, string error) => new(null, path, error);

    /// <summary>The canonical JSON, or a <see cref="DomainValidationException"/> naming the defect's path.</summary>
    public string OrThrow()
    {
        if (Json is not null)
        {
            return Json;
        }

        var field = Path.Length == 0 ? "body" : Path;
        throw new DomainValidationException(field, $"'{field}' {Error}");
    }
}
