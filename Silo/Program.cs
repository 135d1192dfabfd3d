using Microsoft.Extensions.Hosting;
using OrleansSessions.Hosting;
using OrleansSessions.Silo;

var builder = Host.CreateApplicationBuilder(SiloHostSettings.For(args));
builder.UseOrleans(silo => silo.AddOrleansSessionsCluster(builder.Configuration));
await builder.Build().RunAsync();
