using System.Net;
using FastTotem.Config;
using FastTotem.Protocol.Knet;

namespace FastTotem.Tests.Protocol.Knet;

/// <summary>
/// Knet machines wired in memory on a virtual clock. Host h (id h + 1) has address 10.(link).0.(h + 1) on each
/// link. Every datagram goes through <see cref="Filter"/>, which may drop, duplicate or hold it back; held
/// datagrams are delivered by <see cref="Release"/> in any order the test likes.
/// </summary>
internal sealed class KnetTestNet
{
    public const long Ms = 1_000_000;

    private readonly byte[] _tx = new byte[KnetMachine.TransmitBufferMin];
    private readonly int _links;
    private readonly Func<int, IKnetCrypto?> _crypto;
    private readonly Func<int, KnetMachineOptions, KnetMachineOptions>? _adjust;

    public KnetTestNet(int hosts, int links = 1, KnetLinkMode mode = KnetLinkMode.Passive, Func<int, IKnetCrypto?>? crypto = null,
        int[]? priorities = null, Func<int, KnetMachineOptions, KnetMachineOptions>? adjust = null)
    {
        _links = links;
        _crypto = crypto ?? (_ => null);
        _adjust = adjust;
        Mode = mode;
        Priorities = priorities ?? new int[links];
        Machines = new KnetMachine[hosts];
        Delivered = new List<(int From, byte[] Bytes)>[hosts];
        for (int h = 0; h < hosts; h++)
        {
            Delivered[h] = new();
            Machines[h] = Create(h);
            Machines[h].Start(Now);
        }
    }

    public KnetLinkMode Mode { get; }

    public int[] Priorities { get; }

    public long Now { get; private set; } = 1_000 * Ms;

    public KnetMachine[] Machines { get; }

    public List<(int From, byte[] Bytes)>[] Delivered { get; }

    /// <summary>(from host, to host, link, bytes) → how many copies to deliver now (0 drops it), or -1 to hold it.</summary>
    public Func<int, int, int, byte[], int>? Filter { get; set; }

    public List<(int From, int To, int Link, byte[] Bytes)> Held { get; } = new();

    /// <summary>Bytes sent per (from, to, link), every packet type.</summary>
    public Dictionary<(int, int, int), long> WireBytes { get; } = new();

    /// <summary>The IP packet size above which a link drops everything (a path MTU below the interface's).</summary>
    public int PathMtu { get; set; } = int.MaxValue;

    public static KnetAddress AddressOf(int host, int link) => KnetAddress.From(IPAddress.Parse($"10.{link}.0.{host + 1}"));

    public KnetMachine Create(int host)
    {
        int hosts = Machines.Length;
        var peers = new KnetPeer[hosts];
        for (int h = 0; h < hosts; h++)
        {
            var addresses = new KnetAddress[_links];
            for (int l = 0; l < _links; l++)
            {
                addresses[l] = AddressOf(h, l);
            }

            peers[h] = new KnetPeer { HostId = (ushort)(h + 1), LinkAddresses = addresses };
        }

        var links = new KnetLinkOptions[_links];
        for (int l = 0; l < _links; l++)
        {
            links[l] = new KnetLinkOptions { LinkNumber = l, Priority = Priorities[l], PingIntervalMs = 750, PingTimeoutMs = 1500, InterfaceMtu = 1500 };
        }

        var options = new KnetMachineOptions { LocalHostId = (ushort)(host + 1), Hosts = peers, Links = links, LinkMode = Mode, Crypto = _crypto(host) };
        return new KnetMachine(_adjust?.Invoke(host, options) ?? options);
    }

    /// <summary>Replaces a host's machine by a fresh one (a restarted process: seq starts again at 1).</summary>
    public void Restart(int host)
    {
        Machines[host] = Create(host);
        Machines[host].Start(Now);
    }

    /// <summary>Moves time forward in 10 ms steps, running timers and the wire.</summary>
    public void Run(long durationNs)
    {
        long end = Now + durationNs;
        while (Now < end)
        {
            Now += 10 * Ms;
            foreach (KnetMachine m in Machines)
            {
                m.HandleTimeout(Now);
            }

            Pump();
        }
    }

    /// <summary>Delivers every queued datagram (and the replies they cause) until the wire is quiet.</summary>
    public void Pump()
    {
        for (int round = 0; round < 100; round++)
        {
            bool any = false;
            for (int from = 0; from < Machines.Length; from++)
            {
                while (Machines[from].PollTransmit(_tx, out KnetTransmit t))
                {
                    any = true;
                    byte[] bytes = _tx.AsSpan(0, t.Length).ToArray();
                    int to = t.HostIndex;
                    WireBytes[(from, to, t.Link)] = WireBytes.GetValueOrDefault((from, to, t.Link)) + t.Length;
                    if (t.Length + 28 > PathMtu)
                    {
                        continue;
                    }

                    int copies = Filter?.Invoke(from, to, t.Link, bytes) ?? 1;
                    if (copies < 0)
                    {
                        Held.Add((from, to, t.Link, bytes));
                        continue;
                    }

                    for (int c = 0; c < copies; c++)
                    {
                        Deliver(from, to, t.Link, bytes);
                    }
                }
            }

            if (!any)
            {
                return;
            }
        }
    }

    public void Deliver(int from, int to, int link, byte[] bytes)
    {
        if (Machines[to].HandleDatagram(link, AddressOf(from, link), bytes, Now, out ReadOnlySpan<byte> payload))
        {
            Delivered[to].Add((from, payload.ToArray()));
        }
    }

    /// <summary>Delivers the held datagrams in the order of <paramref name="order"/> (indexes into <see cref="Held"/>).</summary>
    public void Release(IEnumerable<int> order)
    {
        var held = Held.ToArray();
        Held.Clear();
        foreach (int i in order)
        {
            Deliver(held[i].From, held[i].To, held[i].Link, held[i].Bytes);
        }

        Pump();
    }

    public bool AllReachable()
    {
        for (int a = 0; a < Machines.Length; a++)
        {
            for (int b = 0; b < Machines.Length; b++)
            {
                if (a != b && !Machines[a].IsReachable(b))
                {
                    return false;
                }
            }
        }

        return true;
    }

    public void Send(int from, byte[] payload, ushort destination = 0)
    {
        KnetSendResult r = Machines[from].HandleSend(payload, destination, Now);
        if (r != KnetSendResult.Sent)
        {
            throw new InvalidOperationException($"send from {from} failed: {r}");
        }

        Pump();
    }

    public static byte[] Payload(int length, int seed)
    {
        var b = new byte[length];
        new Random(seed).NextBytes(b);
        return b;
    }
}
