using System.Globalization;

namespace FastTotem.Cli.Bench;

/// <summary>Number formatting shared by the table, markdown and chart.</summary>
internal static class BenchFormat
{
    public static string Size(int bytes) => bytes switch
    {
        >= 1024 when bytes % 1024 == 0 => $"{bytes / 1024} KiB",
        _ => $"{bytes} B",
    };

    public static string Count(double v) => double.IsNaN(v) ? "n/a" : v.ToString("N0", CultureInfo.InvariantCulture);

    public static string Fixed(double v, int digits) => double.IsNaN(v) ? "n/a" : v.ToString("F" + digits, CultureInfo.InvariantCulture);

    public static string Ratio(double v) => double.IsNaN(v) || double.IsInfinity(v) ? "n/a" : v.ToString("0.00", CultureInfo.InvariantCulture) + "x";

    public static string Json(double v) => double.IsNaN(v) || double.IsInfinity(v) ? "null" : v.ToString("R", CultureInfo.InvariantCulture);
}
