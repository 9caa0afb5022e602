using FastTotem.Protocol.Srp;

namespace FastTotem.Transport;

/// <summary>
/// Receives the engine's outputs on the loop thread. Must not block: it runs between two
/// socket reads. The event's spans are valid only during the call.
/// </summary>
public interface IRingListener
{
    void OnEvent(in SrpEvent ev);

    /// <summary>Called once per loop iteration after events, to let the host feed the engine (e.g. drain its queues).</summary>
    void OnIdle(SrpEngine engine, long nowNs);
}
