using Microsoft.Extensions.Hosting;
using OrleansSessions.Hosting;

var builder = Host.CreateApplicationBuilder(args);
builder.UseOrleans(silo => silo.AddOrleansSessionsCluster(builder.Configuration));
await builder.Build().RunAsync();
