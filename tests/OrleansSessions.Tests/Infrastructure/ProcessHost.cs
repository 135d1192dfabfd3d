using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace OrleansSessions.Tests.Infrastructure;

/// <summary>One of the product's hosts (silo or API host) run as its own process from its build output.</summary>
public sealed class ProcessHost : IDisposable
{
    private readonly Process process;
    private readonly ConcurrentQueue<string> output = new();

    private ProcessHost(string name, Process process)
    {
        Name = name;
        this.process = process;
    }

    public string Name { get; }

    public bool HasExited => process.HasExited;

    /// <summary>The folder of <c>OrleansSessions.sln</c>.</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>Everything the process wrote so far (the last 2000 lines), stdout and stderr interleaved.</summary>
    public IReadOnlyList<string> Output => [.. output];

    /// <summary>Starts <c>dotnet &lt;project&gt;/bin/&lt;configuration&gt;/net10.0/&lt;assembly&gt;.dll</c> in its bin folder with the given environment.</summary>
    public static ProcessHost Start(string name, string project, string assembly, IReadOnlyDictionary<string, string> environment, params string[] args)
        => StartIn(null, name, project, assembly, environment, args);

    /// <summary>As <see cref="Start"/>, with <paramref name="workingDirectory"/> as the current directory (null: the bin folder).</summary>
    public static ProcessHost StartIn(
        string? workingDirectory, string name, string project, string assembly, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var dll = Path.Combine(RepositoryRoot, project, "bin", Configuration, "net10.0", assembly + ".dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"{dll} is missing: build the solution (scripts/test does) before running the tests.", dll);
        }

        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetDirectoryName(dll)!,
        };
        info.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info };
        var host = new ProcessHost(name, process);
        process.OutputDataReceived += (_, e) => host.Record(e.Data);
        process.ErrorDataReceived += (_, e) => host.Record(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return host;
    }

    /// <summary>
    /// The same as <c>kill -TERM</c>, the way an orchestrator stops a host: waits until the process has exited and its
    /// output is read to the end, and returns its exit code.
    /// </summary>
    public async Task<int> StopAsync(TimeSpan deadline)
    {
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(deadline);
        await process.WaitForExitAsync(timeout.Token);
        return process.ExitCode;
    }

    /// <summary>The same as <c>kill -9</c>: no shutdown, no goodbye to the cluster.</summary>
    public void KillHard()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
    }

    /// <summary>The last lines the process wrote, for failure messages.</summary>
    public string Tail(int lines = 40) => $"--- {Name} ---{Environment.NewLine}{string.Join(Environment.NewLine, output.TakeLast(lines))}";

    public void Dispose()
    {
        KillHard();
        process.Dispose();
    }

    private void Record(string? line)
    {
        if (line is null)
        {
            return;
        }

        output.Enqueue(line);
        while (output.Count > 2000 && output.TryDequeue(out _))
        {
        }
    }

    /// <summary>Debug or Release: the one these tests were built with, so the hosts match them.</summary>
    private static string Configuration { get; } = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OrleansSessions.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"OrleansSessions.sln not found above {AppContext.BaseDirectory}.");
    }
}
