using System.Text.RegularExpressions;
using OrleansSessions.Common;

namespace OrleansSessions.ApiHost.Infrastructure;

/// <summary>The <c>Idempotency-Key</c> header: 1..255 printable ASCII characters (a UUID is typical).</summary>
internal static partial class IdempotencyKeys
{
    public const string Header = "Idempotency-Key";

    public const int MaxLength = 255;

    public const string SchemaPattern = "^[\\x21-\\x7E]{1,255}$";

    [GeneratedRegex(@"\A[\x21-\x7E]{1,255}\z", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    public static string Validate(string key)
        => Pattern().IsMatch(key)
            ? key
            : throw new DomainValidationException(Header, $"'{Header}' must be 1..{MaxLength} printable ASCII characters.");
}
