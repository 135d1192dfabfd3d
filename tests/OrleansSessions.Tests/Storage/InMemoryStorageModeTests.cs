using OrleansSessions.Common.Storage;
using OrleansSessions.Sessions;
using OrleansSessions.Tests.Infrastructure;
using OrleansSessions.Tests.Sessions;

namespace OrleansSessions.Tests.Storage;

/// <summary><c>Orleans:Storage:Mode=InMemory</c>, the benchmark's reference for what durability costs.</summary>
public sealed class InMemoryStorageModeTests
{
    [Fact]
    public async Task A_silo_with_grain_state_in_memory_serves_its_writes_and_stores_no_row_in_postgresql()
    {
        var serviceId = TestDatabase.UniqueId("inmemory");
        var cluster = await TestClusters.StartAsync<PostgresSiloConfigurator>(
            serviceId,
            settings: new Dictionary<string, string?> { [$"{PostgresStorageOptions.SectionName}:Mode"] = nameof(PostgresStorageMode.InMemory) },
            silos: 1);
        try
        {
            var id = SessionIds.New();
            var grain = cluster.Client.GetSessionGrain(id);
            await grain.CreateAsync(SessionTestKit.Request(attributes: ("theme", "\"dark\"")));

            Assert.True((await grain.GetAsync())?.Attributes["theme"] == "\"dark\"", $"session {SessionIds.Hash(id)}: not read back");
            var rows = await TestDatabase.ScalarAsync(
                "select count(*) from orleansstorage where serviceid = @service and graintypestring = 'sessions.session'", ("service", serviceId));
            Assert.True(rows == 0, $"session {SessionIds.Hash(id)}: {rows} rows in PostgreSQL with grain state in memory");
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }
}
