using System.Text.RegularExpressions;
using OrleansSessions.Common;

namespace OrleansSessions.Sessions;

/// <summary>
/// Session attribute names: 1..128 characters of ASCII letters, digits and <c>. _ : -</c>, starting with a letter, digit
/// or <c>_</c>. Every such name can be addressed as one URL path segment as it is (no <c>/</c>, no <c>.</c> or <c>..</c>
/// segment that URL normalisation would remove), so what a patch sets can also be read, replaced and removed one by one.
/// </summary>
public static partial class AttributeKeys
{
    public const int MaxLength = 128;

    /// <summary>The rule as an ECMA-262 pattern, for API documents (JSON Schema <c>pattern</c>).</summary>
    public const string SchemaPattern = "^[A-Za-z0-9_][A-Za-z0-9._:-]{0,127}$";

    [GeneratedRegex(@"\A[A-Za-z0-9_][A-Za-z0-9._:-]{0,127}\z", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    public static bool IsValid(string? key) => key is not null && Pattern().IsMatch(key);

    /// <summary>The key, or a <see cref="DomainValidationException"/> naming <paramref name="field"/>.</summary>
    public static string Validate(string? key, string field = "key")
        => IsValid(key)
            ? key!
            : throw new DomainValidationException(
                field,
                $"Attribute names are 1..{MaxLength} characters of letters, digits and . _ : - starting with a letter, digit or _.");
}
