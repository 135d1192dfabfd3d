using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace OrleansSessions.Sessions;

/// <summary>Session ids: 256 bits from a CSPRNG, base64url without padding (43 characters). Never logged in full.</summary>
public static class SessionIds
{
    public const int Length = 43;

    /// <summary>The shape of an id as an ECMA-262 pattern, for API documents.</summary>
    public const string SchemaPattern = "^[A-Za-z0-9_-]{43}$";

    /// <summary>The shape of an id hash (<see cref="Hash"/>) as an ECMA-262 pattern, for API documents.</summary>
    public const string HashSchemaPattern = "^[A-Za-z0-9_-]{22}$";

    // Throws on a lone surrogate instead of writing U+FFFD for it, which would give distinct strings one hash.
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Hashing a longer id or key takes a heap buffer; session ids (43 characters) never do.</summary>
    private const int StackBytes = 256;

    private static readonly SearchValues<char> Base64UrlChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

    public static string New()
    {
        Span<byte> random = stackalloc byte[32];
        RandomNumberGenerator.Fill(random);
        return Base64Url.EncodeToString(random);
    }

    /// <summary>Whether <paramref name="id"/> has the shape of a session id; anything else is answered like an unknown id.</summary>
    public static bool IsWellFormed(string? id)
        => id is { Length: Length } && !id.AsSpan().ContainsAnyExcept(Base64UrlChars);

    /// <summary>Whether <paramref name="hash"/> has the shape of an id hash (<see cref="Hash"/>): 22 base64url characters.</summary>
    public static bool IsWellFormedHash(string? hash)
        => hash is { Length: 22 } && !hash.AsSpan().ContainsAnyExcept(Base64UrlChars);

    /// <summary>
    /// A stable, non-reversible handle for logs, events, the per-user index and grain keys (128 bits of SHA-256 of the
    /// UTF-8 bytes). Text that is not valid UTF-16 (a lone surrogate) has no UTF-8 form and is refused with an
    /// <see cref="EncoderFallbackException"/> (an <see cref="ArgumentException"/>).
    /// </summary>
    public static string Hash(string id)
    {
        ArgumentNullException.ThrowIfNull(id);

        // Every request hashes the id it names: no allocation but the hash's own string.
        var length = StrictUtf8.GetMaxByteCount(id.Length);
        var utf8 = length <= StackBytes ? stackalloc byte[StackBytes] : new byte[length];
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(utf8[..StrictUtf8.GetBytes(id, utf8)], hash);
        return Base64Url.EncodeToString(hash[..16]);
    }
}
