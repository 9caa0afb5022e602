using System.Diagnostics.Metrics;
using FastTotem.Hosting.Status;

namespace FastTotem.Hosting;

/// <summary>
/// The <c>FastTotem</c> <see cref="Meter"/> (System.Diagnostics.Metrics): every started node of the process reports. All instruments are observable: the collector reads the protocol thread's counters
/// and its fixed-bucket histograms (<see cref="Log2Histogram"/>) when it collects, so nothing is recorded, and nothing
/// allocated, on the message path. Every measurement carries the tags <c>node.id</c> and <c>cluster.name</c>. Names,
/// units and tags are listed in docs/operations.md.
/// </summary>
internal static class FastTotemMeter
{
    public const string Name = "FastTotem";

    private static readonly List<TotemNode> Nodes = new();
    private static readonly object Gate = new();

    public static readonly Meter Meter = new(Name, typeof(FastTotemMeter).Assembly.GetName().Version?.ToString());

    static FastTotemMeter()
    {
        Meter.CreateObservableCounter("fasttotem.messages.sent", () => Each(n => n.Metrics.MessagesSent), "{message}",
            "Messages this node's process groups multicast (accepted by CPG)");
        Meter.CreateObservableCounter("fasttotem.messages.delivered", () => Each(n => n.Metrics.MessagesDelivered), "{message}",
            "Messages delivered to this node's process groups");
        Meter.CreateObservableCounter("fasttotem.bytes.sent", () => Each(n => n.Metrics.BytesSent), "By",
            "Payload bytes this node's process groups multicast");
        Meter.CreateObservableCounter("fasttotem.bytes.delivered", () => Each(n => n.Metrics.BytesDelivered), "By",
            "Payload bytes delivered to this node's process groups");
        Meter.CreateObservableCounter("fasttotem.retransmits", () => Each(n => n.Srp.McastRetransmitTx), "{datagram}",
            "Totem mcasts this node retransmitted on request (rtr list)");
        Meter.CreateObservableCounter("fasttotem.token.rotations", () => Each(n => n.Srp.OrfTokenRx), "{token}",
            "Tokens this node received");
        Meter.CreateObservableCounter("fasttotem.membership.changes", () => Each(n => n.Metrics.MembershipChanges), "{change}",
            "Regular configurations installed (the ring changed)");
        Meter.CreateObservableCounter("fasttotem.drops", () => Tagged(n => n.ReadDrops()), "{drop}",
            "Datagrams, messages and events dropped, by reason (tag reason)");
        Meter.CreateObservableCounter("fasttotem.gather.entries", GatherEntries, "{entry}",
            "GATHER entries by corosync's gather_state_from reason (tag reason)");
        Meter.CreateObservableGauge("fasttotem.queue.depth", QueueDepths, "{item}",
            "Queue depths: srp_send (messages waiting for the token), cpg_events (events waiting for their group)");
        Meter.CreateObservableGauge("fasttotem.quorate", () => Each(n => n.Quorum.Quorate ? 1 : 0), "{bool}",
            "1 while the cluster is quorate, as this node's votequorum computes it");
        Meter.CreateObservableGauge("fasttotem.quorum.total_votes", () => Each(n => n.Quorum.TotalVotes), "{vote}",
            "Votes of the members present");
        Histogram("fasttotem.token.rotation_time", n => n.Metrics.TokenRotation, "Time between two tokens received by this node");
        Histogram("fasttotem.delivery.latency", n => n.Metrics.DeliveryLatency,
            "From a process group's multicast handed to CPG to its delivery back to that group, on this node");
    }

    public static void Register(TotemNode node)
    {
        lock (Gate)
        {
            if (!Nodes.Contains(node))
            {
                Nodes.Add(node);
            }
        }
    }

    public static void Unregister(TotemNode node)
    {
        lock (Gate)
        {
            Nodes.Remove(node);
        }
    }

    private static TotemNode[] Snapshot()
    {
        lock (Gate)
        {
            return Nodes.ToArray();
        }
    }

    private static KeyValuePair<string, object?> NodeTag(TotemNode n) => new("node.id", n.NodeId);

    private static KeyValuePair<string, object?> ClusterTag(TotemNode n) => new("cluster.name", n.ClusterName);

    private static IEnumerable<Measurement<long>> Each(Func<TotemNode, long> read)
    {
        foreach (TotemNode n in Snapshot())
        {
            yield return new Measurement<long>(read(n), NodeTag(n), ClusterTag(n));
        }
    }

    private static IEnumerable<Measurement<long>> Tagged(Func<TotemNode, NamedCount[]> read)
    {
        foreach (TotemNode n in Snapshot())
        {
            foreach (NamedCount c in read(n))
            {
                yield return new Measurement<long>(c.Value, NodeTag(n), ClusterTag(n), new("reason", c.Name));
            }
        }
    }

    private static IEnumerable<Measurement<long>> GatherEntries()
    {
        foreach (TotemNode n in Snapshot())
        {
            long[] byReason = n.Srp.GatherByReason;
            for (int i = 0; i < byReason.Length; i++)
            {
                yield return new Measurement<long>(Volatile.Read(ref byReason[i]), NodeTag(n), ClusterTag(n),
                    new("reason", GatherReasonNames.Name((GatherReason)i)));
            }
        }
    }

    private static IEnumerable<Measurement<long>> QueueDepths()
    {
        foreach (TotemNode n in Snapshot())
        {
            (int srp, int cpg) = n.QueueDepths;
            yield return new Measurement<long>(srp, NodeTag(n), ClusterTag(n), new("queue", "srp_send"));
            yield return new Measurement<long>(cpg, NodeTag(n), ClusterTag(n), new("queue", "cpg_events"));
        }
    }

    /// <summary>
    /// A histogram as observable instruments: <c>NAME.bucket</c> (a counter per bucket, tag <c>le_us</c> = the
    /// bucket's upper bound in µs), <c>NAME.count</c>, <c>NAME.sum</c> (µs), and gauges <c>NAME.p50</c> and
    /// <c>NAME.p99</c> (the bucket bound, µs, below which half and 99 % of all samples since start lie).
    /// </summary>
    private static void Histogram(string name, Func<TotemNode, Log2Histogram> pick, string description)
    {
        Meter.CreateObservableCounter($"{name}.bucket", () => Buckets(pick), "{sample}", description + ", per log2 bucket (tag le_us)");
        Meter.CreateObservableCounter($"{name}.count", () => Each(n => pick(n).Count), "{sample}", description + ", samples");
        Meter.CreateObservableCounter($"{name}.sum", () => Each(n => pick(n).SumNs / 1000), "us", description + ", sum");
        Meter.CreateObservableGauge($"{name}.p50", () => Each(n => pick(n).QuantileUpperBoundUs(0.5)), "us", description + ", median bucket bound");
        Meter.CreateObservableGauge($"{name}.p99", () => Each(n => pick(n).QuantileUpperBoundUs(0.99)), "us", description + ", 99th percentile bucket bound");
    }

    private static IEnumerable<Measurement<long>> Buckets(Func<TotemNode, Log2Histogram> pick)
    {
        foreach (TotemNode n in Snapshot())
        {
            Log2Histogram h = pick(n);
            for (int i = 0; i < Log2Histogram.BucketCount; i++)
            {
                yield return new Measurement<long>(h.Bucket(i), NodeTag(n), ClusterTag(n), new("le_us", Log2Histogram.UpperBoundUs(i)));
            }
        }
    }
}
