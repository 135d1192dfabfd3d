using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OrleansSessions.Client.Tokens;

public static class SessionTokenServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="SessionTokens"/> as a singleton, configured from the <c>Tokens</c> section of
    /// <paramref name="configuration"/> (the application's configuration root). Invalid options stop the host at start;
    /// without a signing key, the ephemeral key is made, and its warning logged, at start rather than at the first request.
    /// </summary>
    public static IServiceCollection AddOrleansSessionTokens(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<SessionTokenOptions>()
            .Bind(configuration.GetSection(SessionTokenOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SessionTokenOptions>, SessionTokenOptionsValidator>());
        services.TryAddSingleton(sp => new SessionTokens(
            sp.GetRequiredService<IOptions<SessionTokenOptions>>().Value,
            sp.GetService<TimeProvider>(),
            sp.GetService<ILogger<SessionTokens>>()));
        services.AddHostedService<SessionTokensStartup>();
        return services;
    }
}

/// <summary>Creates <see cref="SessionTokens"/> while the host starts, so a missing key is reported in the start-up log.</summary>
internal sealed class SessionTokensStartup(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = services.GetRequiredService<SessionTokens>();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
