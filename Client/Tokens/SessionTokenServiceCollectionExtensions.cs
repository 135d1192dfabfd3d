using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace OrleansSessions.Client.Tokens;

public static class SessionTokenServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="SessionTokens"/> as a singleton, configured from the <c>Tokens</c> section of
    /// <paramref name="configuration"/> (the application's configuration root). Invalid options stop the host at start;
    /// without a signing key, the ephemeral key is made, and its warning logged, at start rather than at the first request.
    /// Once the host has started, a reloaded <c>Tokens</c> section (appsettings.json edited) takes effect without a
    /// restart: keys added, made active or removed; invalid changes are logged and ignored.
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
        services.TryAddSingleton<SessionTokenReload>();
        services.AddHostedService<SessionTokensStartup>();
        return services;
    }
}

/// <summary>
/// Creates <see cref="SessionTokens"/> while the host starts, so a missing key is reported in the start-up log, and
/// from then on follows changes of its options.
/// </summary>
internal sealed class SessionTokensStartup(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = services.GetRequiredService<SessionTokenReload>();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>
/// Hands reloaded options to <see cref="SessionTokens.Reload"/>. Not through <see cref="IOptionsMonitor{TOptions}"/>:
/// its validation of a bad reload throws on the configuration's reload thread and never reaches a listener
/// (dotnet/runtime#44381); here a bad reload is logged and the options in force stay.
/// </summary>
internal sealed class SessionTokenReload : IDisposable
{
    private readonly List<IDisposable> subscriptions;

    public SessionTokenReload(
        SessionTokens tokens, IOptionsFactory<SessionTokenOptions> factory, IEnumerable<IOptionsChangeTokenSource<SessionTokenOptions>> sources)
    {
        subscriptions = sources
            .Where(source => source.Name == Options.DefaultName)
            .Select(source => ChangeToken.OnChange(source.GetChangeToken, () =>
            {
                try
                {
                    tokens.Reload(factory.Create(Options.DefaultName));
                }
                catch (OptionsValidationException e)
                {
                    tokens.RefuseReload(e.Failures);
                }
                catch (InvalidOperationException e)
                {
                    // A value the binder cannot convert (a Lifetime that is no TimeSpan). Its message quotes that value, but
                    // keys are strings, never converted, so no key can be in it.
                    tokens.RefuseReload([e.Message]);
                }
            }))
            .ToList();
    }

    public void Dispose() => subscriptions.ForEach(s => s.Dispose());
}
