using Microsoft.Extensions.Options;

namespace OrleansSessions.Client.Tokens;

/// <summary>
/// The <c>Tokens</c> configuration section. Every host that issues or validates session tokens of one estate shares
/// <see cref="Issuer"/>, <see cref="Audience"/> and <see cref="SigningKey"/>.
/// </summary>
public sealed class SessionTokenOptions
{
    public const string SectionName = "Tokens";

    /// <summary>HMAC-SHA256 needs a key at least as long as its output (RFC 7518, section 3.2).</summary>
    public const int MinKeyBytes = 32;

    public string Issuer { get; set; } = "orleanssessions";

    public string Audience { get; set; } = "orleanssessions";

    /// <summary>
    /// The HMAC-SHA256 key, base64, at least <see cref="MinKeyBytes"/> bytes. When absent, each process makes an
    /// ephemeral key and says so: its tokens validate nowhere else and not after a restart.
    /// </summary>
    public string? SigningKey { get; set; }

    /// <summary>How long a token lives at most; it never outlives its session either.</summary>
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Tolerance for clocks of issuing and validating hosts that disagree a little.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>What is wrong with these options; empty when they can be used.</summary>
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
            // Never echo the key itself: configuration errors end up in logs.
            problems.Add($"'{SectionName}:{nameof(SigningKey)}' must be base64 of at least {MinKeyBytes} bytes.");
        }

        return problems;
    }

    /// <summary>The key bytes, or <see langword="null"/> when the text is not base64 of a long enough key.</summary>
    internal static byte[]? DecodeKey(string text)
    {
        var buffer = new byte[text.Length];
        return Convert.TryFromBase64String(text.Trim(), buffer, out var written) && written >= MinKeyBytes
            ? buffer[..written]
            : null;
    }
}

/// <summary>Refuses to start a host whose token options cannot work, instead of failing at the first request.</summary>
internal sealed class SessionTokenOptionsValidator : IValidateOptions<SessionTokenOptions>
{
    public ValidateOptionsResult Validate(string? name, SessionTokenOptions options)
        => options.Problems() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
}
