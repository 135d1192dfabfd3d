using OrleansSessions.Common;

namespace OrleansSessions.Sessions;

/// <summary>The client description a session keeps for the user's session list (the User-Agent unless given).</summary>
public static class SessionClientInfo
{
    public const int MaxLength = 256;

    /// <summary>Cut to <see cref="MaxLength"/> characters, never inside a surrogate pair; text that is not valid Unicode is refused.</summary>
    public static string? Normalize(string? clientInfo)
    {
        if (clientInfo is null)
        {
            return null;
        }

        if (!CanonicalJson.IsValidUnicode(clientInfo))
        {
            throw new DomainValidationException("clientInfo", "'clientInfo' holds text that is not valid Unicode (an unpaired surrogate).");
        }

        return clientInfo.Length <= MaxLength
            ? clientInfo
            : clientInfo[..(char.IsHighSurrogate(clientInfo[MaxLength - 1]) ? MaxLength - 1 : MaxLength)];
    }
}
