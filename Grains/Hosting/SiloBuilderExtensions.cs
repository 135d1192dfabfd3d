using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Serialization.Serializers;
using Orleans.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OrleansSessions.Common;
using OrleansSessions.Common.Events;
using OrleansSessions.Common.Expiry;
using OrleansSessions.Common.Storage;
using OrleansSessions.Payments;
using OrleansSessions.Sessions;

namespace OrleansSessions.Hosting;

public static class SiloBuilderExtensions
{
    /// <summary>The PostgreSQL provider behind <see cref="StorageNames.State"/> (<c>Orleans:Storage:Mode</c>), which grains reach through <see cref="StoreOutageGrainStorage"/>.</summary>
    private const string PostgresStateStorage = StorageNames.State + ".postgres";

    /// <summary>The storage name Orleans' stream pub-sub looks for.</summary>
    private const string PubSubStore = "PubSubStore";

    /// <summary>
    /// A durable silo: membership, grain state and reminders in PostgreSQL (schema: <c>orleans.sql</c>), configured from
    /// <c>ConnectionStrings:Orleans</c> and the <c>Orleans</c> section.
    /// </summary>
    public static ISiloBuilder AddOrleansSessionsCluster(this ISiloBuilder silo, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(configuration);
        var settings = configuration.GetSection(ClusterSettings.SectionName).Get<ClusterSettings>() ?? new ClusterSettings();
        var connectionString = configuration.GetConnectionString(ClusterSettings.ConnectionStringName)
            ?? throw new InvalidOperationException(
                $"Cluster mode needs the connection string 'ConnectionStrings:{ClusterSettings.ConnectionStringName}'.");

        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = settings.ClusterId;
            o.ServiceId = settings.ServiceId;
        });
        var advertised = settings.AdvertisedAddress is { Length: > 0 } a ? IPAddress.Parse(a) : IPAddress.Loopback;
        silo.ConfigureEndpoints(advertised, settings.SiloPort, settings.GatewayPort, listenOnAnyHostAddress: settings.AdvertisedAddress is not null);

        silo.UseAdoNetClustering(o =>
        {
            o.Invariant = ClusterSettings.Invariant;
            o.ConnectionString = connectionString;
        });
        silo.UseClusterTls(configuration);
        return silo.AddPostgresStorage(connectionString);
    }

    /// <summary>
    /// Grain state, reminders and stream queues in PostgreSQL (schema and queries: <c>orleans.sql</c>). Grain state goes
    /// through <see cref="GroupCommitGrainStorage"/> or, with <c>Orleans:Storage:Mode</c> = <c>AdoNet</c>, Orleans' ADO.NET
    /// provider (one commit per write); both use the same rows.
    /// </summary>
    public static ISiloBuilder AddPostgresStorage(this ISiloBuilder silo, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(silo);
        var storage = silo.Configuration.GetSection(PostgresStorageOptions.SectionName).Get<PostgresStorageOptions>() ?? new PostgresStorageOptions();
        storage.Validate();
        if (storage.Mode == PostgresStorageMode.InMemory)
        {
            silo.Services.AddKeyedSingleton(PostgresStateStorage, (sp, _) => BenchmarkStorage.Create(sp));
        }
        else if (storage.Mode == PostgresStorageMode.AdoNet)
        {
            silo.AddAdoNetGrainStorage(PostgresStateStorage, o =>
            {
                o.Invariant = ClusterSettings.Invariant;
                o.ConnectionString = connectionString;

                // Ended sessions and swept buckets must leave no row behind.
                o.DeleteStateOnClear = true;
            });
        }
        else
        {
            silo.Services.AddKeyedSingleton<IGrainStorage>(PostgresStateStorage, (sp, _) => new GroupCommitGrainStorage(
                connectionString,
                sp.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId,
                sp.GetRequiredService<OrleansGrainStorageSerializer>(),
                sp.GetRequiredService<IActivatorProvider>(),
                storage));
        }

        silo.Services.AddKeyedSingleton<IGrainStorage>(
            StorageNames.State, (sp, _) => new StoreOutageGrainStorage(sp.GetRequiredKeyedService<IGrainStorage>(PostgresStateStorage)));
        silo.Services.AddSingleton<IDeadLetterStore>(sp => new PostgresDeadLetterStore(
            connectionString,
            sp.GetRequiredService<Orleans.Serialization.Serializer<EventEnvelope>>(),
            sp.GetRequiredKeyedService<TimeProvider>(DomainClock.Key)));
        silo.UseAdoNetReminderService(o =>
        {
            o.Invariant = ClusterSettings.Invariant;
            o.ConnectionString = connectionString;
        });

        // Domain events queue in PostgreSQL, so events in flight survive the death of a silo.
        silo.AddAdoNetStreams(StreamNames.Provider, o =>
        {
            o.Invariant = ClusterSettings.Invariant;
            o.ConnectionString = connectionString;
        });
        silo.AddAdoNetGrainStorage(PubSubStore, o =>
        {
            o.Invariant = ClusterSettings.Invariant;
            o.ConnectionString = connectionString;
        });
        return silo.AddOrleansSessionsCommon();
    }

    /// <summary>
    /// A single in-process silo with localhost clustering and in-memory state and streams: no database, nothing durable.
    /// </summary>
    public static ISiloBuilder AddOrleansSessionsEmbedded(this ISiloBuilder silo, ClusterSettings settings)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(settings);
        silo.UseLocalhostClustering(settings.SiloPort, settings.GatewayPort, serviceId: settings.ServiceId, clusterId: settings.ClusterId);
        silo.Services.AddKeyedSingleton<IGrainStorage>(
            StorageNames.State, (sp, _) => new InProcessGrainStorage(sp.GetRequiredService<OrleansGrainStorageSerializer>()));
        silo.UseInMemoryReminderService();
        silo.AddMemoryStreams(StreamNames.Provider);
        silo.AddMemoryGrainStorage(PubSubStore);
        return silo.AddOrleansSessionsCommon();
    }

    /// <summary>What every silo has whatever its storage.</summary>
    public static ISiloBuilder AddOrleansSessionsCommon(this ISiloBuilder silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        silo.Services.TryAddKeyedSingleton(DomainClock.Key, TimeProvider.System);
        silo.Services.TryAddSingleton<IEventPublisher, StreamEventPublisher>();
        silo.Services.TryAddSingleton<IDeadLetterStore, GrainDeadLetterStore>();
        silo.Services.AddSingleton<IEventReaction, Carts.SessionCartReaction>();
        silo.Services.AddSingleton<IEventReaction, Orders.OrderHistoryReaction>();
        silo.Services.AddSingleton<IEventReaction, Orders.OrderedCartReaction>();
        silo.Services.AddSingleton<IEventReaction>(new Orders.UserActivityReaction(SessionEvent.StreamNamespace));
        silo.Services.AddSingleton<IEventReaction>(new Orders.UserActivityReaction("orders"));
        silo.Services.AddOptions<Orders.OrderOptions>().Bind(silo.Configuration.GetSection(Orders.OrderOptions.SectionName));
        silo.Services.AddOptions<SessionOptions>().Bind(silo.Configuration.GetSection(SessionOptions.SectionName));
        silo.AddStartupTask<ExpirySweepStartup>();
        silo.AddPayments();
        silo.AddActivationLimits();

        // Orleans' own serializer keys stored state by [Id] and [Alias], not by CLR type and assembly names,
        // so renaming a state type or moving it between assemblies does not break rows already stored.
        silo.Services.AddSingleton<OrleansGrainStorageSerializer>();
        silo.Services.AddOptions<AdoNetGrainStorageOptions>(PostgresStateStorage)
            .Configure<OrleansGrainStorageSerializer>((o, serializer) => o.GrainStorageSerializer = serializer);
        silo.Services.AddOptions<MemoryGrainStorageOptions>(StorageNames.State)
            .Configure<OrleansGrainStorageSerializer>((o, serializer) => o.GrainStorageSerializer = serializer);
        return silo;
    }
}
