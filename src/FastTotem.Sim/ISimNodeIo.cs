namespace FastTotem.Sim;

/// <summary>A simulated node's side of a loop step: its received batch, its way onto the simulated wire, its recorders.</summary>
internal interface ISimNodeIo : ISimEventSink
{
    int ReceivedCount { get; }

    ReadOnlySpan<byte> Received(int index);

    /// <summary>The nodeid that sent datagram <paramref name="index"/> (0 for an injected one).</summary>
    uint ReceivedFrom(int index);

    /// <summary>Puts a datagram on the simulated wire: to a nodeid, or with 0 to every other node.</summary>
    void Send(uint destination, ReadOnlySpan<byte> datagram);
}
