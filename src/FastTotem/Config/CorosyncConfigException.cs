namespace FastTotem.Config;

/// <summary>
/// A corosync.conf that cannot be used: a syntax error (with its line), a bad value, or a feature
/// FastTotem does not speak (with what to use instead). Thrown at start-up only, never on the data path.
/// </summary>
public sealed class CorosyncConfigException : Exception
{
    public CorosyncConfigException(string message, int line = 0, string? file = null)
        : base(Format(message, line, file))
    {
        Line = line;
        File = file;
    }

    /// <summary>1-based line the problem was found on, 0 when it concerns the file as a whole.</summary>
    public int Line { get; }

    public string? File { get; }

    private static string Format(string message, int line, string? file)
    {
        string where = file ?? "corosync.conf";
        return line > 0 ? $"{where}:{line}: {message}" : $"{where}: {message}";
    }
}
