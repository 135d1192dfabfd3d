namespace OrleansSessions.ApiHost.Infrastructure;

/// <summary>Whether grain calls can be attempted at all; grain-backed endpoints answer 503 while they cannot.</summary>
public interface IClusterAvailability
{
    bool IsAvailable { get; }
}
