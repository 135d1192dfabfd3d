namespace OrleansSessions.ApiHost.Security;

/// <summary>
/// What a service credential (API key or OIDC access token) may do. Scopes are exact: one does not imply another, so a
/// credential lists every scope it needs. End users (session tokens) carry no scopes: they reach only what is theirs.
/// </summary>
public static class Scopes
{
    /// <summary>Read any session; validate session tokens.</summary>
    public const string SessionsRead = "sessions:read";

    /// <summary>Create, change, rotate and end any session; issue its token.</summary>
    public const string SessionsWrite = "sessions:write";

    /// <summary>Bind users to sessions (login, creation with a user), list and end a user's sessions.</summary>
    public const string SessionsAdmin = "sessions:admin";

    /// <summary>Read and change any cart.</summary>
    public const string Carts = "carts";

    /// <summary>Place and read any user's orders, history and activity.</summary>
    public const string Orders = "orders";

    /// <summary>Read stock and prices.</summary>
    public const string InventoryRead = "inventory:read";

    /// <summary>Set stock and prices.</summary>
    public const string InventoryAdmin = "inventory:admin";

    /// <summary>Operator routes: sagas and dead letters.</summary>
    public const string Admin = "admin";

    public static readonly IReadOnlyList<string> All =
        [SessionsRead, SessionsWrite, SessionsAdmin, Carts, Orders, InventoryRead, InventoryAdmin, Admin];

    /// <summary>Space-separated scopes, as OAuth 2.0 writes them (RFC 6749 §3.3).</summary>
    public static string[] Parse(string? scopes) => (scopes ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
}
