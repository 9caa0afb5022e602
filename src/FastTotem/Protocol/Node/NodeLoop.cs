namespace FastTotem.Protocol.Node;

/// <summary>
/// The one loop every driver runs: the epoll driver, the simulator, the in-memory rings of the benchmarks and tests.
/// A step feeds the machine the received datagrams one at a time, then its due timers, then the host's commands, and
/// after every single input drains what the machine produced: its datagrams go to the driver, its events to the
/// driver's sink. So no input ever finds an earlier input's events undrained, however many datagrams a batch holds.
/// A datagram the node addresses to itself (a singleton ring's token) travels like any other: the kernel loops it
/// back on a live node, as it does for corosync, so datagrams that arrived meanwhile are read first; the simulator and
/// the in-memory rings carry it over their wire the same way.
/// <para>Fault policy: an exception out of the machine is a bug. It is caught here, the machine leaves the ring
/// (<see cref="NodeMachine.Fault"/>), and the driver hears of it through <see cref="INodeIo.OnFault"/>. An exception
/// out of the driver's own sink (user code) is the driver's to catch; one that reaches here is treated the same way.</para>
/// </summary>
internal static class NodeLoop
{
    /// <summary>What a step does besides the received datagrams.</summary>
    [Flags]
    public enum Input : byte
    {
        None = 0,

        /// <summary>The node starts first (forms its singleton ring).</summary>
        Start = 1,

        /// <summary>The node sends corosync's LEAVE last and stops.</summary>
        Leave = 2,
    }

    /// <summary>One turn of the loop at time <paramref name="nowNs"/>; returns the machine's next deadline.</summary>
    public static long Step<TIo>(NodeMachine machine, ref TIo io, long nowNs, Input input = Input.None)
        where TIo : struct, INodeIo
    {
        if (machine.Faulted)
        {
            return long.MaxValue;
        }

        try
        {
            if ((input & Input.Start) != 0)
            {
                machine.Start(nowNs);
                Drain(machine, ref io, nowNs);
            }

            int received = io.ReceivedCount;
            for (int i = 0; i < received; i++)
            {
                ReadOnlySpan<byte> datagram = io.Received(i);
                if (datagram.IsEmpty)
                {
                    continue;
                }

                machine.HandleDatagram(nowNs, io.ReceivedSource(i), datagram);
                Drain(machine, ref io, nowNs);
            }

            if (machine.PollTimeout() <= nowNs)
            {
                machine.HandleTimeout(nowNs);
                Drain(machine, ref io, nowNs);
            }

            // The host reacts to what it just heard (CPG events, sync done) and queues its commands; what they produce
            // (a token hold cancel, the held token released) leaves in this step, not at the next wake-up.
            machine.HandleHostCommands(nowNs);
            Drain(machine, ref io, nowNs);

            if ((input & Input.Leave) != 0)
            {
                machine.Leave(nowNs);
                Drain(machine, ref io, nowNs);
            }
        }
        catch (Exception exception)
        {
            machine.Fault(nowNs, exception);
            try
            {
                Drain(machine, ref io, nowNs); // the LEAVE, if the engine could still make one
            }
            catch (Exception)
            {
                // Nothing more to save; the others notice the silence.
            }

            io.OnFault(exception);
            return long.MaxValue;
        }

        return machine.PollTimeout();
    }

    /// <summary>Everything the last input produced: datagrams out, then events.</summary>
    private static void Drain<TIo>(NodeMachine machine, ref TIo io, long nowNs)
        where TIo : struct, INodeIo
    {
        byte[] tx = machine.TransmitBuffer;
        while (machine.PollTransmit(tx, out Srp.TransmitInfo info))
        {
            io.Transmit(tx.AsSpan(0, info.Length), info.Destination);
        }

        io.Flush();
        while (machine.PollEvent(out NodeEvent ev))
        {
            io.OnEvent(in ev);
        }
    }
}
