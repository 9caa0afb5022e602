using FastTotem.Protocol.Srp;
using FastTotem.Wire;

namespace FastTotem.Protocol.Node;

/// <summary>What the node stack tells its <see cref="NodeMachine"/> while it settles, on the loop thread.</summary>
internal interface INodeListener
{
    /// <summary>A transitional or regular configuration change (spans valid during the call).</summary>
    void OnConfigChange(in SrpEvent ev);

    /// <summary>Every service finished synchronising on <paramref name="ringId"/>; <paramref name="accelerated"/>: the
    /// ring now runs accelerated.</summary>
    void OnSyncComplete(MembRingId ringId, bool accelerated);

    /// <summary>The ring is re-forming: the engine entered GATHER on <paramref name="ringId"/> for <paramref name="reason"/>.</summary>
    void OnGather(GatherReason reason, MembRingId ringId)
    {
    }

    /// <summary>Node <paramref name="senderNodeId"/>'s cfg CRYPTO_RECONFIG phase 1 was delivered (a live crypto change).</summary>
    void OnCryptoReconfigure(uint senderNodeId)
    {
    }
}
