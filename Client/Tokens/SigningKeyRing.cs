using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace OrleansSessions.Client.Tokens;

/// <summary>
/// The keys tokens are checked against, by the id (<c>kid</c>) each token names in its header, and the one new tokens
/// are signed with. A token naming no key of the ring is refused: keys are never tried one after the other.
/// </summary>
internal sealed class SigningKeyRing
{
    private readonly Dictionary<string, SymmetricSecurityKey> keys;

    private SigningKeyRing(IReadOnlyDictionary<string, byte[]> keys, string activeKeyId, bool ephemeral)
    {
        this.keys = keys.ToDictionary(k => k.Key, k => new SymmetricSecurityKey(k.Value) { KeyId = k.Key }, StringComparer.Ordinal);
        Active = this.keys[activeKeyId];
        IsEphemeral = ephemeral;
    }

    /// <summary>Signs new tokens; its <see cref="SecurityKey.KeyId"/> goes into their header.</summary>
    public SymmetricSecurityKey Active { get; }

    /// <summary>Made by this process at start, known to no other.</summary>
    public bool IsEphemeral { get; }

    public IEnumerable<string> KeyIds => keys.Keys.Order(StringComparer.Ordinal);

    /// <summary>The configured ring; the options must be free of problems and hold at least one key.</summary>
    public static SigningKeyRing From(SessionTokenOptions options)
    {
        var (keys, activeKeyId) = options.Ring();
        return new(keys, activeKeyId!, ephemeral: false);
    }

    public static SigningKeyRing Ephemeral()
    {
        var key = RandomNumberGenerator.GetBytes(SessionTokenOptions.MinKeyBytes);
        var id = SessionTokenOptions.DerivedKeyId(key);
        return new(new Dictionary<string, byte[]> { [id] = key }, id, ephemeral: true);
    }

    /// <summary>The key named <paramref name="keyId"/>, or none: the token then fails as signed with an unknown key.</summary>
    public IEnumerable<SecurityKey> Resolve(string? keyId)
        => keyId is not null && keys.TryGetValue(keyId, out var key) ? [key] : [];

    /// <summary>The same ids with the same key bytes, and the same one active.</summary>
    public bool SameAs(SigningKeyRing other)
        => Active.KeyId == other.Active.KeyId
            && keys.Count == other.keys.Count
            && keys.All(k => other.keys.TryGetValue(k.Key, out var key) && CryptographicOperations.FixedTimeEquals(k.Value.Key, key.Key));
}
