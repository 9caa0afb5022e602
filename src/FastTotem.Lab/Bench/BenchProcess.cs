using System.Collections.Concurrent;
using System.Diagnostics;

namespace FastTotem.Cli.Bench;

/// <summary>
/// A process the bench started (inside a namespace or not): its stdout lines are queued for the runner, its
/// stderr goes to a log file, and its stdin stays open for the <c>start T</c> line.
/// </summary>
internal sealed class BenchProcess
{
    private readonly BlockingCollection<string> _lines = new();

    public BenchProcess(Process process, string logFile)
    {
        Process = process;
        LogFile = logFile;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data == null)
            {
                _lines.CompleteAdding();
                return;
            }

            Append(e.Data);
            _lines.Add(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data != null)
            {
                Append(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Process Process { get; }

    public int Pid => Process.Id;

    public string LogFile { get; }

    /// <summary>The next stdout line that satisfies <paramref name="match"/>, or null on timeout or exit.</summary>
    public string? WaitForLine(Func<string, bool> match, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            TimeSpan left = timeout - sw.Elapsed;
            try
            {
                if (_lines.TryTake(out string? line, left < TimeSpan.Zero ? TimeSpan.Zero : left) && match(line))
                {
                    return line;
                }
            }
            catch (InvalidOperationException)
            {
                return null; // stdout closed: the process exited
            }

            if (_lines.IsCompleted)
            {
                return null;
            }
        }

        return null;
    }

    public void WriteLine(string line)
    {
        try
        {
            Process.StandardInput.WriteLine(line);
            Process.StandardInput.Flush();
        }
        catch (IOException)
        {
            // it exited; the missing report says so
        }
    }

    private void Append(string line)
    {
        lock (_lines)
        {
            try
            {
                File.AppendAllText(LogFile, line + "\n");
            }
            catch (IOException)
            {
                // The log directory went away under us: an event handler must not take the whole bench down with it.
            }
        }
    }
}
