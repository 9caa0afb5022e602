namespace FastTotem.Sim;

/// <summary>
/// One entry of the simulator's event queue. Events addressed to a node carry the node's incarnation, so anything
/// queued for a process that has since crashed is dropped when it comes due.
/// </summary>
internal struct SimEvent
{
    public SimEventKind Kind;
    public int Node;
    public int Incarnation;
    public int FromNode;
    public int Length;
    public byte[]? Buffer;
    public Action<Simulator>? Action;
}
