using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace OrleansSessions.Client.Tokens;

/// <summary>
/// The <c>Tokens</c> configuration section. Every host that issues or validates session tokens of one estate shares
/// <see cref="Issuer"/>, <see cref="Audience"/> and the signing keys.
/// </summary>
/// <remarks>
/// The keys form a ring: <see cref="SigningKeys"/> (id → key) and the older single <see cref="SigningKey"/> (its id
/// derived from the key). <see cref="ActiveKeyId"/> names the one that signs new tokens; every listed key validates
/// the tokens that name it, until it is removed. Rotation: add the new key everywhere, then make it active everywhere,
/// then remove the old one once the tokens it signed have expired (<see cref="Lifetime"/>).
/// </remarks>
public sealed partial class SessionTokenOptions
{
    public const string SectionName = "Tokens";

    /// <summary>HMAC-SHA256 needs a key at least as long as its output (RFC 7518, section 3.2).</summary>
    public const int MinKeyBytes = 32;

    /// <summary>What a key id may be (<see cref="IsKeyId"/>), as errors and documentation say it.</summary>
    private const string KeyIdRuleText = "1..64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit";

    public string Issuer { get; set; } = "orleanssessions";

    public string Audience { get; set; } = "orleanssessions";

    /// <summary>
    /// A single HMAC-SHA256 key, base64, at least <see cref="MinKeyBytes"/> bytes, in the ring under the id
    /// <see cref="DerivedKeyId"/>; it signs new tokens while <see cref="ActiveKeyId"/> is unset. When no key is
    /// configured at all, each process makes an ephemeral key and says so: its tokens validate nowhere else and not
    /// after a restart.
    /// </summary>
    public string? SigningKey { get; set; }

    /// <summary>Key id (1..64 of <c>a-z 0-9 . _ -</c>) → HMAC-SHA256 key, base64, at least <see cref="MinKeyBytes"/> bytes.</summary>
    public IDictionary<string, string> SigningKeys { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// The id of the key that signs new tokens. May be left out when the ring holds one key, or while
    /// <see cref="SigningKey"/> is set (it is then the active one).
    /// </summary>
    public string? ActiveKeyId { get; set; }

    /// <summary>How long a token lives at most; it never outlives its session either.</summary>
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Tolerance for clocks of issuing and validating hosts that disagree a little.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Whether any key is configured; without one, each process signs with an ephemeral key of its own.</summary>
    public bool HasConfiguredKeys => !string.IsNullOrEmpty(SigningKey) || SigningKeys.Count > 0;

    /// <summary>What is wrong with these options; empty when they can be used. Never quotes key material.</summary>
    internal IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Issuer))
        {
            problems.Add($"'{SectionName}:{nameof(Issuer)}' is required.");
        }

        if (string.IsNullOrWhiteSpace(Audience))
        {
            problems.Add($"'{SectionName}:{nameof(Audience)}' is required.");
        }

        if (Lifetime <= TimeSpan.Zero)
        {
            problems.Add($"'{SectionName}:{nameof(Lifetime)}' must be positive.");
        }

        if (ClockSkew < TimeSpan.Zero || ClockSkew > TimeSpan.FromMinutes(5))
        {
            problems.Add($"'{SectionName}:{nameof(ClockSkew)}' must be between 0 and 5 minutes.");
        }

        if (!string.IsNullOrEmpty(SigningKey) && DecodeKey(SigningKey) is null)
        {
            problems.Add($"'{SectionName}:{nameof(SigningKey)}' must be base64 of at least {MinKeyBytes} bytes.");
        }

        // An id that breaks the rule is not quoted: a key pasted where its id belongs would end up in the log.
        var badIds = SigningKeys.Keys.Count(id => !IsKeyId(id));
        if (badIds > 0)
        {
            problems.Add($"{badIds} id(s) of '{SectionName}:{nameof(SigningKeys)}' are not {KeyIdRuleText} (not shown).");
        }

        foreach (var (id, key) in SigningKeys.Where(k => IsKeyId(k.Key)))
        {
            if (DecodeKey(key) is null)
            {
                problems.Add($"'{SectionName}:{nameof(SigningKeys)}:{id}' must be base64 of at least {MinKeyBytes} bytes.");
            }
        }

        if (problems.Count == 0)
        {
            problems.AddRange(RingProblems());
        }

        return problems;
    }

    /// <summary>What is wrong with the ring as a whole, once each key is known to be well formed.</summary>
    private IEnumerable<string> RingProblems()
    {
        var legacyId = string.IsNullOrEmpty(SigningKey) ? null : DerivedKeyId(DecodeKey(SigningKey)!);
        if (legacyId is not null && SigningKeys.ContainsKey(legacyId))
        {
            yield return $"'{SectionName}:{nameof(SigningKeys)}:{legacyId}' has the id of '{SectionName}:{nameof(SigningKey)}'.";
        }

        if (ActiveKeyId is null)
        {
            if (legacyId is null && SigningKeys.Count > 1)
            {
                yield return $"'{SectionName}:{nameof(ActiveKeyId)}' must name the key that signs, of the {SigningKeys.Count} in '{SectionName}:{nameof(SigningKeys)}'.";
            }
        }
        else if (!IsKeyId(ActiveKeyId) || (ActiveKeyId != legacyId && !SigningKeys.ContainsKey(ActiveKeyId)))
        {
            yield return $"'{SectionName}:{nameof(ActiveKeyId)}' names no key of '{SectionName}:{nameof(SigningKeys)}'"
                + (legacyId is null ? "." : $" nor '{SectionName}:{nameof(SigningKey)}'.");
        }
    }

    /// <summary>The configured ring, id → key bytes, and the active id; options must be free of <see cref="Problems"/>.</summary>
    internal (IReadOnlyDictionary<string, byte[]> Keys, string? ActiveKeyId) Ring()
    {
        var keys = SigningKeys.ToDictionary(k => k.Key, k => DecodeKey(k.Value)!, StringComparer.Ordinal);
        string? legacyId = null;
        if (!string.IsNullOrEmpty(SigningKey))
        {
            var legacy = DecodeKey(SigningKey)!;
            legacyId = DerivedKeyId(legacy);
            keys[legacyId] = legacy;
        }

        return (keys, ActiveKeyId ?? legacyId ?? keys.Keys.SingleOrDefault());
    }

    /// <summary>
    /// The id of <see cref="SigningKey"/>: <c>k-</c> and 16 hex digits of the key's SHA-256, stable across hosts and
    /// restarts. It reveals nothing a signed token does not: an HMAC token already lets anyone test guesses of its key.
    /// </summary>
    internal static string DerivedKeyId(ReadOnlySpan<byte> key) => $"k-{Convert.ToHexStringLower(SHA256.HashData(key)[..8])}";

    /// <summary>The key bytes, or <see langword="null"/> when the text is not base64 of a long enough key.</summary>
    internal static byte[]? DecodeKey(string text)
    {
        var buffer = new byte[text.Length];
        return Convert.TryFromBase64String(text.Trim(), buffer, out var written) && written >= MinKeyBytes
            ? buffer[..written]
            : null;
    }

    /// <summary>
    /// Key ids are written in every token's header and compared exactly, while configuration keys are case-insensitive:
    /// lower case only, so two hosts cannot spell one id two ways.
    /// </summary>
    internal static bool IsKeyId(string id) => KeyIdRule().IsMatch(id);

    // \z, not $: $ would accept a final newline.
    [GeneratedRegex(@"^[a-z0-9][a-z0-9._-]{0,63}\z", RegexOptions.CultureInvariant)]
    private static partial Regex KeyIdRule();
}

/// <summary>Refuses to start a host whose token options cannot work, instead of failing at the first request.</summary>
internal sealed class SessionTokenOptionsValidator : IValidateOptions<SessionTokenOptions>
{
    public ValidateOptionsResult Validate(string? name, SessionTokenOptions options)
        => options.Problems() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
}
