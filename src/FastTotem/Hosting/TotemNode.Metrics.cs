using FastTotem.Protocol.Srp;

using FastTotem.Hosting;

namespace FastTotem;

public sealed partial class TotemNode
{
    private readonly NodeMetricsState _metrics = new();
    private volatile bool _sampleLoopAllocations;
    private long _loopAllocatedBytes;

    internal NodeMetricsState Metrics => _metrics;

    internal string ClusterName => _config.ClusterName ?? "";

    internal SrpCounters Srp => _machine.Engine.Counters;

    /// <summary>Messages waiting for the token (SRP's send queues) and CPG events waiting for their groups; plain reads.</summary>
    internal (int SrpSend, int CpgEvents) QueueDepths => (_machine.Engine.SendQueueCount, _machine.Cpg.PendingEvents);

    /// <summary>Tests: the loop thread notes its allocated bytes at every step (the zero-allocation check of the loop).</summary>
    internal bool SampleLoopAllocations
    {
        get => _sampleLoopAllocations;
        set => _sampleLoopAllocations = value;
    }

    /// <summary>The loop thread's GC.GetAllocatedBytesForCurrentThread at its last step (with <see cref="SampleLoopAllocations"/>).</summary>
    internal long LoopAllocatedBytes => Interlocked.Read(ref _loopAllocatedBytes);
}
