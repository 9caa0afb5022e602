using System.Text.Json;

namespace FastTotem.Cli.Bench;

/// <summary>The JSON summary line of a bench member (bench-node, cpgprobe -J or bench-udp).</summary>
internal sealed class NodeReport
{
    public double WindowSeconds;
    public long Sent;
    public long Delivered;
    public long Bytes;
    public long Gaps;
    public long Reorders;
    public long AllocBytes = -1;
    public long SenderThreadAllocBytes = -1;
    public long GcCount = -1;
    public bool Sender;

    /// <summary>Configuration changes the node saw after the start (a token loss re-forms the ring).</summary>
    public long RingChanges;

    /// <summary>False for the raw UDP sender, which delivers nothing by design.</summary>
    public bool Receives = true;
    public LatencyHistogram Latency { get; } = new();

    public static NodeReport? Parse(string line)
    {
        try
        {
            using JsonDocument doc = JsonDocument.Parse(line);
            JsonElement r = doc.RootElement;
            var n = new NodeReport
            {
                WindowSeconds = r.GetProperty("window_s").GetDouble(),
                Sent = Long(r, "sent"),
                Delivered = Long(r, "delivered"),
                Bytes = Long(r, "bytes"),
                Gaps = Long(r, "gaps"),
                Reorders = Long(r, "reorders"),
                Sender = Long(r, "sender") != 0,
                RingChanges = Long(r, "ring_changes"),
                Receives = !r.TryGetProperty("receives", out JsonElement rv) || rv.GetInt64() != 0,
            };
            if (r.TryGetProperty("alloc_bytes", out JsonElement a))
            {
                n.AllocBytes = a.GetInt64();
                n.SenderThreadAllocBytes = Long(r, "sender_thread_alloc_bytes");
                n.GcCount = Long(r, "gc0") + Long(r, "gc1") + Long(r, "gc2");
            }

            if (r.TryGetProperty("hist", out JsonElement hist))
            {
                foreach (JsonElement pair in hist.EnumerateArray())
                {
                    n.Latency.Add(pair[0].GetInt32(), pair[1].GetInt64());
                }
            }

            return n;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            return null;
        }
    }

    private static long Long(JsonElement r, string name) => r.TryGetProperty(name, out JsonElement v) ? v.GetInt64() : 0;
}
