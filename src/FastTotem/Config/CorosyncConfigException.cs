namespace FastTotem;

/// <summary>
/// A corosync.conf that cannot be used: a syntax error (with its line), a bad value, or a feature
/// FastTotem does not speak (with what to use instead). Thrown at start-up only, never on the data path.
/// </summary>
[BaseLayer]
public sealed class CorosyncConfigException : Exception
{
    /// <summary>A problem with the configuration.</summary>
    /// <param name="message">What is wrong, and what to use instead where FastTotem does not speak a feature.</param>
    /// <param name="line">The 1-based line it was found on, or 0 for the file as a whole.</param>
    /// <param name="file">The file's path, or null for text handed over in memory.</param>
    public CorosyncConfigException(string message, int line = 0, string? file = null)
        : base(Format(message, line, file))
    {
        Line = line;
        File = file;
    }

    /// <summary>1-based line the problem was found on, 0 when it concerns the file as a whole.</summary>
    public int Line { get; }

    /// <summary>The corosync.conf path, or null when the configuration came as text or typed options.</summary>
    public string? File { get; }

    private static string Format(string message, int line, string? file)
    {
        string where = file ?? "corosync.conf";
        return line > 0 ? $"{where}:{line}: {message}" : $"{where}: {message}";
    }
}
