using System.Globalization;

namespace FastTotem.Sim;

/// <summary>Formatting and parsing of virtual times for reports and the command line.</summary>
internal static class SimFormat
{
    public const long NsPerMs = 1_000_000;
    public const long NsPerSecond = 1_000_000_000;

    public static string Time(long ns) =>
        (ns / (double)NsPerSecond).ToString("0.000000", CultureInfo.InvariantCulture) + "s";

    /// <summary>Parses "60s", "500ms", "2m", "1.5s", "250us", "1500ns" (a bare number means seconds). False on anything else.</summary>
    public static bool TryParseDuration(string text, out long ns)
    {
        ns = 0;
        string t = text.Trim();
        double scale;
        string number;
        if (t.EndsWith("ns", StringComparison.Ordinal))
        {
            scale = 1;
            number = t[..^2];
        }
        else if (t.EndsWith("ms", StringComparison.Ordinal))
        {
            scale = NsPerMs;
            number = t[..^2];
        }
        else if (t.EndsWith("us", StringComparison.Ordinal))
        {
            scale = 1_000;
            number = t[..^2];
        }
        else if (t.EndsWith('s'))
        {
            scale = NsPerSecond;
            number = t[..^1];
        }
        else if (t.EndsWith('m'))
        {
            scale = 60.0 * NsPerSecond;
            number = t[..^1];
        }
        else if (t.EndsWith('h'))
        {
            scale = 3600.0 * NsPerSecond;
            number = t[..^1];
        }
        else
        {
            scale = NsPerSecond;
            number = t;
        }

        if (number.Length == 0 || number[0] == '+' || number[0] == '-' ||
            !double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value) ||
            double.IsNaN(value) || double.IsInfinity(value))
        {
            return false;
        }

        double result = value * scale;
        if (result <= 0 || result > 365.0 * 24 * 3600 * NsPerSecond)
        {
            return false;
        }

        ns = (long)result;
        return ns > 0;
    }

    /// <summary>A duration <see cref="TryParseDuration"/> reads back exactly: whole seconds or milliseconds where it can, else nanoseconds.</summary>
    public static string Duration(long ns) =>
        ns % NsPerSecond == 0 ? (ns / NsPerSecond).ToString(CultureInfo.InvariantCulture) + "s"
        : ns % NsPerMs == 0 ? (ns / NsPerMs).ToString(CultureInfo.InvariantCulture) + "ms"
        : ns.ToString(CultureInfo.InvariantCulture) + "ns";
}
