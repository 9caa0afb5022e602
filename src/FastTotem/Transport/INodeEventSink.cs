using FastTotem.Protocol.Node;

namespace FastTotem.Transport;

/// <summary>Where <see cref="RingDriver"/> hands the node machine's events, on the loop thread. Must not block.</summary>
internal interface INodeEventSink
{
    void OnEvent(in NodeEvent ev);
}
