using FastTotem.Wire;

namespace FastTotem.Sim;

/// <summary>Receives a node's deliveries and configuration changes as the simulator drains them.</summary>
internal interface ISimEventSink
{
    void OnDeliver(uint senderNodeId, ReadOnlySpan<byte> payload);
    void OnConfigChange(SimConfigKind kind, MembRingId ringId, ReadOnlySpan<uint> members, ReadOnlySpan<uint> left, ReadOnlySpan<uint> joined);

    /// <summary>The node's CPG process saw an event (background CPG traffic): a delivery, or a group configuration change.</summary>
    void OnCpgEvent(bool delivery)
    {
    }

    /// <summary>The node finished a synchronisation with its ring accelerated (docs/accelerated-ring.md).</summary>
    void OnAcceleratedSync()
    {
    }
}
