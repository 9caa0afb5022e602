namespace FastTotem.Protocol.Node;

/// <summary>What the node machine and its loop counted; read on the loop thread (or after it stopped).</summary>
internal sealed class NodeCounters
{
    /// <summary>Events the consumer left undrained before its next input; dropped so the engine's buffers stay consistent.</summary>
    public long EventsNotDrained;

    /// <summary>Configuration changes or sync completions that did not fit the machine's event queue (never with a draining loop).</summary>
    public long EventOverflowDrops;

    /// <summary>Inputs refused because the machine had faulted.</summary>
    public long InputsAfterFault;

    /// <summary>Exceptions caught on the loop thread that came from the machine (bugs): each ends the machine.</summary>
    public long ProtocolFaults;
}
