using System.Globalization;
using System.Text;

namespace FastTotem.Cli.Bench;

/// <summary>An SVG line chart: one-sender msgs/s against message size, both axes log scale, one line per system.</summary>
internal static class BenchChart
{
    private const int Width = 760, Height = 480, Left = 80, Right = 170, Top = 40, Bottom = 60;

    private static readonly (string System, string Label, string Color)[] Series =
    {
        ("fasttotem", "FastTotem", "#d62728"),
        ("corosync", "corosync", "#1f77b4"),
        ("corosync-norr", "corosync sched_rr: no", "#17becf"),
        ("mixed", "FastTotem to corosync", "#2ca02c"),
        ("udp", "raw UDP (sendmmsg)", "#7f7f7f"),
    };

    public static string Svg(BenchSettings settings, Dictionary<string, BenchResult> medians, string subtitle)
    {
        var inv = CultureInfo.InvariantCulture;
        var sizes = settings.Sizes.OrderBy(s => s).ToList();
        var values = new List<double>();
        foreach ((string system, _, _) in Series)
        {
            foreach (int size in sizes)
            {
                double v = BenchMedian.Find(medians, system, size, false)?.MsgsPerSec ?? double.NaN;
                if (v > 0)
                {
                    values.Add(v);
                }
            }
        }

        double yMin = Math.Pow(10, Math.Floor(Math.Log10(values.Count > 0 ? values.Min() : 100)));
        double yMax = Math.Pow(10, Math.Ceiling(Math.Log10(values.Count > 0 ? values.Max() : 1e6)));
        if (yMax <= yMin)
        {
            yMax = yMin * 10;
        }

        double xMin = Math.Log2(sizes.First()), xMax = Math.Log2(sizes.Last());
        double plotW = Width - Left - Right, plotH = Height - Top - Bottom;
        double X(int size) => Left + (xMax == xMin ? plotW / 2 : (Math.Log2(size) - xMin) / (xMax - xMin) * plotW);
        double Y(double v) => Top + plotH - (Math.Log10(v) - Math.Log10(yMin)) / (Math.Log10(yMax) - Math.Log10(yMin)) * plotH;

        var sb = new StringBuilder();
        sb.Append(inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        sb.Append(inv, $"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>\n");
        sb.Append(inv, $"<text x=\"{Width / 2}\" y=\"20\" text-anchor=\"middle\" font-size=\"15\">Messages/s, one sender, {settings.Nodes}-node ring (log scale)</text>\n");
        sb.Append(inv, $"<text x=\"{Width / 2}\" y=\"{Height - 8}\" text-anchor=\"middle\" fill=\"#555\">{Escape(subtitle)}</text>\n");
        for (double d = yMin; d <= yMax * 1.001; d *= 10)
        {
            double y = Y(d);
            sb.Append(inv, $"<line x1=\"{Left}\" y1=\"{y:F1}\" x2=\"{Left + plotW}\" y2=\"{y:F1}\" stroke=\"#ddd\"/>\n");
            sb.Append(inv, $"<text x=\"{Left - 6}\" y=\"{y + 4:F1}\" text-anchor=\"end\">{BenchFormat.Count(d)}</text>\n");
        }

        foreach (int size in sizes)
        {
            double x = X(size);
            sb.Append(inv, $"<line x1=\"{x:F1}\" y1=\"{Top}\" x2=\"{x:F1}\" y2=\"{Top + plotH}\" stroke=\"#eee\"/>\n");
            sb.Append(inv, $"<text x=\"{x:F1}\" y=\"{Top + plotH + 18}\" text-anchor=\"middle\">{BenchFormat.Size(size)}</text>\n");
        }

        sb.Append(inv, $"<text x=\"{Left + plotW / 2}\" y=\"{Top + plotH + 36}\" text-anchor=\"middle\">message size</text>\n");
        sb.Append(inv, $"<rect x=\"{Left}\" y=\"{Top}\" width=\"{plotW}\" height=\"{plotH}\" fill=\"none\" stroke=\"#333\"/>\n");
        int legend = 0;
        foreach ((string system, string label, string color) in Series)
        {
            var points = new List<string>();
            foreach (int size in sizes)
            {
                double v = BenchMedian.Find(medians, system, size, false)?.MsgsPerSec ?? double.NaN;
                if (v > 0)
                {
                    points.Add(string.Create(inv, $"{X(size):F1},{Y(v):F1}"));
                    sb.Append(inv, $"<circle cx=\"{X(size):F1}\" cy=\"{Y(v):F1}\" r=\"3.5\" fill=\"{color}\"><title>{label} {BenchFormat.Size(size)}: {BenchFormat.Count(v)} msgs/s</title></circle>\n");
                }
            }

            if (points.Count == 0)
            {
                continue;
            }

            sb.Append(inv, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{string.Join(' ', points)}\"/>\n");
            double ly = Top + 10 + legend++ * 20;
            sb.Append(inv, $"<line x1=\"{Left + plotW + 12}\" y1=\"{ly}\" x2=\"{Left + plotW + 32}\" y2=\"{ly}\" stroke=\"{color}\" stroke-width=\"2\"/>\n");
            sb.Append(inv, $"<text x=\"{Left + plotW + 36}\" y=\"{ly + 4}\">{Escape(label)}</text>\n");
        }

        sb.Append("</svg>\n");
        return sb.ToString();
    }

    private static string Escape(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
}
