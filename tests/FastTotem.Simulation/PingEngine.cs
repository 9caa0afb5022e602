using System.Buffers.Binary;
using FastTotem.Sim;
using FastTotem.Wire;

namespace FastTotem.Simulation;

/// <summary>
/// A stand-in engine for testing the simulator's network and fault machinery: every millisecond it "mcasts" a
/// numbered ping (destination 0) and unicasts one to itself; it records what arrives. Application messages are
/// delivered to itself at once, and it reports one singleton regular configuration whose seq it persists.
/// </summary>
internal sealed class PingEngine : ISimEngine
{
    public const long IntervalNs = SimFormat.NsPerMs;

    private readonly uint _nodeId;
    private readonly SimRingSeqMemory _store;
    private readonly int _pingCount;
    private readonly Queue<(byte[] Data, uint Destination)> _out = new();
    private readonly Queue<byte[]> _deliver = new();
    private long _deadline = long.MaxValue;
    private uint _sent;
    private bool _configPending;

    public readonly List<(uint From, uint Counter, long TimeNs)> Received = [];
    public int SelfReceived;
    public ulong StartSeq;

    public uint NodeId => _nodeId;

    public PingEngine(uint nodeId, SimRingSeqMemory store, int pingCount)
    {
        _nodeId = nodeId;
        _store = store;
        _pingCount = pingCount;
    }


    public static SimEngineFactory Factory(List<PingEngine> created, int pingCount) =>
        (nodeId, _, store, _) =>
        {
            var e = new PingEngine(nodeId, store, pingCount);
            created.Add(e);
            return e;
        };

    public string StateName => "PING";

    /// <summary>The simulator's step, by hand (a fake has no node machine): batch, timer, sends, events.</summary>
    public void Step(long nowNs, ISimNodeIo io, bool start)
    {
        if (start)
        {
            Start(nowNs);
        }

        for (int i = 0; i < io.ReceivedCount; i++)
        {
            HandleDatagram(io.Received(i), nowNs);
        }

        HandleTimeout(nowNs);
        byte[] buffer = new byte[64];
        while (PollTransmit(buffer, out int length, out uint destination))
        {
            io.Send(destination, buffer.AsSpan(0, length));
        }

        DrainEvents(io);
    }

    public void Start(long nowNs)
    {
        StartSeq = _store.Load(_nodeId) + 4;
        _store.Store(_nodeId, StartSeq);
        _configPending = true;
        _deadline = nowNs + IntervalNs;
    }

    public void HandleDatagram(ReadOnlySpan<byte> datagram, long nowNs)
    {
        uint from = BinaryPrimitives.ReadUInt32LittleEndian(datagram[5..]);
        uint counter = BinaryPrimitives.ReadUInt32LittleEndian(datagram[13..]);
        if (from == _nodeId)
        {
            SelfReceived++;
            return;
        }

        Received.Add((from, counter, nowNs));
    }

    public void HandleTimeout(long nowNs)
    {
        if (nowNs < _deadline)
        {
            return;
        }

        _sent++;
        _out.Enqueue((Ping(_sent), 0));
        _out.Enqueue((Ping(_sent), _nodeId));
        _deadline = _sent < _pingCount ? _deadline + IntervalNs : long.MaxValue;
    }

    private byte[] Ping(uint counter)
    {
        var d = new byte[17];
        // TotemHeader layout: magic, version, type at offset 3, encapsulated, nodeid at offset 5.
        d[0] = 0x70;
        d[1] = 0xC0;
        d[2] = 3;
        d[3] = (byte)MessageType.Mcast;
        BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(5), _nodeId);
        BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(13), counter);
        return d;
    }

    public bool TryMulticast(ReadOnlySpan<byte> totempgPayload)
    {
        _deliver.Enqueue(totempgPayload.ToArray());
        return true;
    }

    public bool PollTransmit(Span<byte> buffer, out int length, out uint destination)
    {
        if (_out.TryDequeue(out var item))
        {
            item.Data.CopyTo(buffer);
            length = item.Data.Length;
            destination = item.Destination;
            return true;
        }

        length = 0;
        destination = 0;
        return false;
    }

    public long PollTimeout() => _deadline;

    public void DrainEvents(ISimEventSink sink)
    {
        if (_configPending)
        {
            _configPending = false;
            sink.OnConfigChange(SimConfigKind.Regular, new MembRingId(_nodeId, StartSeq), [_nodeId], [], [_nodeId]);
        }

        while (_deliver.TryDequeue(out byte[]? payload))
        {
            sink.OnDeliver(_nodeId, payload);
        }
    }
}
