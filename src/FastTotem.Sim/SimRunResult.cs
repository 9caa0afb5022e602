using System.Globalization;
using System.Text;
using FastTotem.Wire;

namespace FastTotem.Sim;

/// <summary>The outcome of one checked run.</summary>
internal sealed class SimRunResult
{
    public required SimOptions Options { get; init; }
    public required SimHistory History { get; init; }
    public required SimStats Stats { get; init; }
    public required CheckReport Report { get; init; }
    public required TimeSpan RealTime { get; init; }

    /// <summary>The fault schedule's fingerprint (<see cref="Simulator.ScheduleFingerprint"/>): what a pinned seed is checked against.</summary>
    public ulong ScheduleFingerprint { get; init; }

    /// <summary>Distinct regular configurations (ring ids) formed during the run.</summary>
    public int RingsFormed
    {
        get
        {
            var rings = new HashSet<MembRingId>();
            foreach (SimRecord r in History.Records)
            {
                if (r.Kind == SimRecordKind.ConfigChange && r.ConfigKind == SimConfigKind.Regular)
                {
                    rings.Add(r.RingId);
                }
            }

            return rings.Count;
        }
    }

    public double SimulatedSecondsPerRealSecond =>
        RealTime.TotalSeconds > 0 ? History.EndNs / (double)SimFormat.NsPerSecond / RealTime.TotalSeconds : double.PositiveInfinity;

    public string Summary()
    {
        var sb = new StringBuilder();
        CultureInfo inv = CultureInfo.InvariantCulture;
        SimOptions o = Options;
        sb.AppendLine(inv, $"fasttotem sim: {o.NodeCount} nodes, seed {o.Seed}, duration {SimFormat.Time(o.DurationNs)}");
        sb.AppendLine(inv, $"  faults: loss {o.Loss}, dup {o.Duplicate}, reorder {o.Reorder}, partitions {(o.Partitions ? "on" : "off")}, crashes {(o.Crashes ? "on" : "off")}, until {SimFormat.Time(o.FaultsEndNs)}");
        sb.AppendLine(inv, $"  timers: token {o.EffectiveTokenMs} ms, consensus {o.ConsensusMs} ms, liveness bound {SimFormat.Time(o.LivenessBoundNs)}");
        sb.AppendLine(inv, $"  configurations formed: {RingsFormed} rings, {Stats.RegularConfigs} regular and {Stats.ConfigChanges - Stats.RegularConfigs} transitional changes delivered");
        sb.AppendLine(inv, $"  messages: {Stats.Multicasts} multicast ({Stats.MulticastsRejected} refused), {Stats.Deliveries} deliveries");
        sb.AppendLine(inv, $"  datagrams: {Stats.DatagramsSent} sent, {Stats.DatagramsArrived} arrived, lost {Stats.DroppedLoss}, partitioned {Stats.DroppedPartition}, to down nodes {Stats.DroppedNodeDown}, duplicated {Stats.Duplicated}, reordered {Stats.Reordered}");
        sb.AppendLine(inv, $"  faults injected: {Stats.Partitions} partitions, {Stats.Heals} heals, {Stats.Crashes} crashes, {Stats.Restarts} restarts; last fault healed at {SimFormat.Time(History.FaultsHealedNs)}");
        if (o.HasNewFaults)
        {
            sb.AppendLine(inv, $"  later faults: drift {o.ClockDriftPpmMax} ppm ({Stats.DriftChanges} changes), {Stats.Pauses} pauses, {Stats.LinkCuts} one-way cuts or clogs ({Stats.DroppedOneWay} dropped, {Stats.DelayedClog} late), {Stats.TypeBursts} per-type bursts ({Stats.DroppedTypeFault} dropped, {Stats.DelayedTypeFault} held back), {Stats.Replayed} replayed, {Stats.FaultPointHits} fault-point hits, {Stats.DroppedSocketBuffer} socket-buffer drops");
        }

        if (o.CpgTraffic)
        {
            sb.AppendLine(inv, $"  cpg: {Stats.CpgDeliveries} deliveries, {Stats.CpgConfigChanges} group configuration changes");
        }

        if (o.Accelerated)
        {
            sb.AppendLine(inv, $"  accelerated ring: {Stats.AcceleratedSyncs} node synchronisations ended accelerated");
        }

        sb.AppendLine(inv, $"  stack {(o.SrpOnly ? "srp" : "full")}, schedule fingerprint {ScheduleFingerprint:x16}");
        sb.AppendLine(inv, $"  virtual time {SimFormat.Time(History.EndNs)}, real time {RealTime.TotalSeconds:0.000}s ({SimulatedSecondsPerRealSecond:0.#} simulated s per real s), {Stats.Events} events");
        sb.AppendLine("guarantees:");
        sb.Append(Report.Summary());
        sb.AppendLine(inv, $"seed {o.Seed}");
        return sb.ToString();
    }
}
