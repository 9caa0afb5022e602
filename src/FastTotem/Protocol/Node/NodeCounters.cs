namespace FastTotem.Protocol.Node;

/// <summary>What the node machine and its loop counted; read on the loop thread (or after it stopped).</summary>
public sealed class NodeCounters
{
    /// <summary>Datagrams the node addressed to itself and the loop handed straight back (a singleton ring's token).</summary>
    public long SelfDatagrams;

    /// <summary>A second self-addressed datagram in one drain round replaced the first (never seen; counted in case).</summary>
    public long SelfDatagramsOverwritten;

    /// <summary>Events the consumer left undrained before its next input; dropped so the engine's buffers stay consistent.</summary>
    public long EventsNotDrained;

    /// <summary>Configuration changes or sync completions that did not fit the machine's event queue (never with a draining loop).</summary>
    public long EventOverflowDrops;

    /// <summary>Drain rounds cut short by the loop's bound (a node looping datagrams to itself without end).</summary>
    public long DrainRoundsExhausted;

    /// <summary>Inputs refused because the machine had faulted.</summary>
    public long InputsAfterFault;

    /// <summary>Exceptions caught on the loop thread that came from the machine (bugs): each ends the machine.</summary>
    public long ProtocolFaults;
}
