using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace FastTotem.Tests.Hosting;

/// <summary>One log line as a test sees it: which event, what level, the formatted text and the writing thread's name.</summary>
internal sealed record CapturedLog(string Category, LogLevel Level, EventId EventId, string Message, string? ThreadName, Exception? Exception);

/// <summary>An <see cref="ILoggerFactory"/> (or provider, for a host's logging) that keeps every line (all levels enabled).</summary>
internal sealed class CaptureLoggerFactory : ILoggerFactory, ILoggerProvider
{
    public ConcurrentQueue<CapturedLog> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    public void Dispose()
    {
    }

    public IEnumerable<CapturedLog> Named(string eventName) => Lines.Where(l => l.EventId.Name == eventName);

    public string Dump() => string.Join("\n", Lines.Select(l => $"{l.Level} {l.EventId.Name}: {l.Message}"));

    private sealed class Logger(CaptureLoggerFactory owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Lines.Enqueue(new CapturedLog(category, logLevel, eventId, formatter(state, exception), Thread.CurrentThread.Name, exception));
    }
}
