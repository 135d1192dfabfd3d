using System.Collections.Concurrent;
using System.Diagnostics;

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

    /// <summary>Starts <c>dotnet &lt;project&gt;/bin/&lt;configuration&gt;/net10.0/&lt;assembly&gt;.dll</c> with the given environment.</summary>
    public static ProcessHost Start(string name, string project, string assembly, IReadOnlyDictionary<string, string> environment, params string[] args)
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
            WorkingDirectory = Path.GetDirectoryName(dll)!,
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

    private static string RepositoryRoot { get; } = FindRepositoryRoot();

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
