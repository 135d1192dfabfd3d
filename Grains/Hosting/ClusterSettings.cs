namespace OrleansSessions.Hosting;

/// <summary>The <c>Orleans</c> configuration section shared by silos and API hosts.</summary>
public sealed class ClusterSettings
{
    public const string SectionName = "Orleans";

    /// <summary>Name of the connection string (<c>ConnectionStrings:Orleans</c>) for membership, state and reminders.</summary>
    public const string ConnectionStringName = "Orleans";

    /// <summary>ADO.NET invariant of the Npgsql provider.</summary>
    public const string Invariant = "Npgsql";

    public string ClusterId { get; set; } = "local";

    public string ServiceId { get; set; } = "orleanssessions";

    public int SiloPort { get; set; } = 11111;

    public int GatewayPort { get; set; } = 30000;

    /// <summary>Address other silos and clients reach this silo on; loopback when unset (a one-machine cluster).</summary>
    public string? AdvertisedAddress { get; set; }

    /// <summary>How often clients re-read the gateway list from the membership table, so they find restarted silos quickly.</summary>
    public TimeSpan GatewayListRefreshPeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long an API host waits for a grain call before answering 503 (outcome unknown).</summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
