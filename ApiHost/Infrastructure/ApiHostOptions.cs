namespace OrleansSessions.ApiHost.Infrastructure;

internal static class ApiHostOptions
{
    /// <summary>
    /// The host's options: its content root, and so its <c>appsettings.json</c>, is the folder of its binary wherever it
    /// is started from (the default, the working directory, silently skips the file when started from elsewhere).
    /// An explicit content root (<c>--contentRoot</c>, <c>ASPNETCORE_CONTENTROOT</c>; WebApplicationFactory passes one)
    /// still wins, as do environment variables and arguments over the file's values.
    /// </summary>
    public static WebApplicationOptions For(string[] args)
    {
        var explicitRoot = new ConfigurationBuilder()
            .AddEnvironmentVariables("DOTNET_")
            .AddEnvironmentVariables("ASPNETCORE_")
            .AddCommandLine(args)
            .Build()[WebHostDefaults.ContentRootKey];
        return new WebApplicationOptions { Args = args, ContentRootPath = explicitRoot is null ? AppContext.BaseDirectory : null };
    }
}
