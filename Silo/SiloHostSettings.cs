using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace OrleansSessions.Silo;

internal static class SiloHostSettings
{
    /// <summary>
    /// The host's settings: its content root, and so its <c>appsettings.json</c>, is the folder of its binary wherever it
    /// is started from (the default, the working directory, silently skips the file when started from elsewhere).
    /// An explicit content root (<c>--contentRoot</c>, <c>DOTNET_CONTENTROOT</c>) still wins, as do environment
    /// variables and arguments over the file's values.
    /// </summary>
    public static HostApplicationBuilderSettings For(string[] args)
    {
        var explicitRoot = new ConfigurationBuilder()
            .AddEnvironmentVariables("DOTNET_")
            .AddCommandLine(args)
            .Build()[HostDefaults.ContentRootKey];
        return new HostApplicationBuilderSettings { Args = args, ContentRootPath = explicitRoot is null ? AppContext.BaseDirectory : null };
    }
}
