using System.Buffers.Text;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace OrleansSessions.ApiHost.Security;

/// <summary>
/// The embedded mode's API key when none is configured: made once per machine (kept in a file only its owner can
/// read), holding every scope, and printed at start with a curl line that uses it, so the default stays two commands.
/// </summary>
internal static class DevelopmentCredential
{
    public const string Name = "development";

    public static string DefaultFile => Path.Combine(
        Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData, Environment.SpecialFolderOption.DoNotVerify),
        "orleanssessions", "dev-api-key");

    /// <summary>The key in <paramref name="path"/>, made there first when the file does not exist.</summary>
    public static string LoadOrCreate(string path)
    {
        if (File.Exists(path) && File.ReadAllText(path).Trim() is { Length: > 0 } existing)
        {
            return existing;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var key = NewKey();
        var file = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            file.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var writer = new StreamWriter(path, file))
        {
            writer.WriteLine(key);
        }

        return key;
    }

    /// <summary>A new API key: <c>osk_</c> and 32 random bytes, base64url.</summary>
    public static string NewKey() => "osk_" + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
}

/// <summary>Prints the development key and a curl line once the host listens (so the line names the real address).</summary>
internal sealed partial class DevelopmentCredentialNotice(
    string key, string path, IServer server, IHostApplicationLifetime lifetime, ILogger<DevelopmentCredentialNotice> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() =>
        {
            var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? "http://localhost:5080";
            LogKey(logger, path, key, address.TrimEnd('/'));
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message =
        "Embedded mode without configured credentials: development API key (every scope, this machine only, kept in {KeyFile}): {ApiKey}\n" +
        "      curl -H 'X-Api-Key: {ApiKey}' {Address}/admin/dead-letters")]
    private static partial void LogKey(ILogger logger, string keyFile, string apiKey, string address);
}
