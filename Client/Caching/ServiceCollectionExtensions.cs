using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace OrleansSessions.Client.Caching;

public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Makes the OrleansSessions cluster the service's <see cref="IDistributedCache"/> (<see cref="ClusterDistributedCache"/>),
    /// replacing any cache registered before, so the stock <c>AddSession()</c> / <c>app.UseSession()</c> keep
    /// <c>ISession</c> in the store every instance of every service shares.
    /// </summary>
    /// <remarks>
    /// The service must already reach the cluster: an Orleans client (<c>builder.UseOrleansClient(...)</c> with the
    /// cluster's clustering, <c>ClusterId</c> and <c>ServiceId</c>) or an in-process silo (<c>UseOrleans</c>). The cache
    /// takes its <see cref="IGrainFactory"/> from either.
    /// </remarks>
    public static IServiceCollection AddOrleansSessionsDistributedCache(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.RemoveAll<IDistributedCache>();
        services.AddSingleton<IDistributedCache, ClusterDistributedCache>();
        return services;
    }
}
