using System.Runtime.CompilerServices;

// The token tests forge tokens with a host's signing key (SessionTokens.SigningKey), as only an attacker holding the
// key could: wrong audience, expired, and so on, each to be refused for exactly that reason.
[assembly: InternalsVisibleTo("OrleansSessions.Tests")]
