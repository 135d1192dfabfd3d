using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace OrleansSessions.Tests.Infrastructure;

/// <summary>A logger provider that keeps every entry, for tests that assert what a host in the test process logged.</summary>
public sealed class CapturedLog : ILoggerProvider
{
    private readonly ConcurrentQueue<Entry> entries = new();

    public IReadOnlyCollection<Entry> Entries => entries;

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, entries);

    /// <summary>A typed logger writing here, for a class a test builds by hand.</summary>
    public ILogger<T> CreateLogger<T>() => new Logger<T>(typeof(T).FullName!, entries);

    public void Dispose()
    {
    }

    public sealed record Entry(string Category, LogLevel Level, string Message, Exception? Exception);

    private sealed class Logger<T>(string category, ConcurrentQueue<Entry> entries) : Logger(category, entries), ILogger<T>;

    private class Logger(string category, ConcurrentQueue<Entry> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => entries.Enqueue(new Entry(category, logLevel, formatter(state, exception), exception));
    }
}
