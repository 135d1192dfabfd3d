using System.Text.RegularExpressions;

namespace OrleansSessions.Common;

/// <summary>Rules for the ids and codes that cross context boundaries (cart ids, SKUs).</summary>
public static partial class Identifiers
{
    public const int MaxLength = 64;

    /// <summary>The rule as an ECMA-262 pattern, for API documents (JSON Schema <c>pattern</c>).</summary>
    public const string SchemaPattern = "^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$";

    /// <summary>Letters, digits and <c>. _ : -</c>, starting with a letter or digit, 1..64 characters.</summary>
    /// <remarks>Anchored with <c>\A</c> and <c>\z</c>: <c>$</c> would also match before a final newline.</remarks>
    [GeneratedRegex(@"\A[A-Za-z0-9][A-Za-z0-9._:-]{0,63}\z", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    public static bool IsValid(string? value) => value is not null && Pattern().IsMatch(value);

    /// <summary>Throws <see cref="DomainValidationException"/> naming <paramref name="field"/> when the value breaks the rule.</summary>
    public static void Validate(string? value, string field)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw new DomainValidationException(field, $"'{field}' is required.");
        }

        if (value.Length > MaxLength)
        {
            throw new DomainValidationException(field, $"'{field}' must be at most {MaxLength} characters.");
        }

        if (!IsValid(value))
        {
            throw new DomainValidationException(
                field, $"'{field}' may contain only letters, digits and . _ : - and must start with a letter or digit.");
        }
    }
}
