namespace OrleansSessions.ApiHost.Infrastructure;

/// <summary>How the API host reaches grains (<c>Orleans:Mode</c>).</summary>
public enum HostingMode
{
    /// <summary>An in-process silo with in-memory state: runs anywhere, keeps nothing.</summary>
    Embedded,

    /// <summary>A client of silos found through the PostgreSQL membership table.</summary>
    Cluster,

    /// <summary>A silo of the PostgreSQL cluster in this process, serving the API without a gateway hop.</summary>
    CoHosted,
}
