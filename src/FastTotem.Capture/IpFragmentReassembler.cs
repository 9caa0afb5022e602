using System.Net;

namespace FastTotem.Capture;

/// <summary>
/// Puts IPv4 fragments and IPv6 Fragment-header fragments back together, in any arrival order
/// (RFC 791 / RFC 8200 semantics, without timers: a capture is finite). Full-size corosync recovery
/// mcasts and every full-size mcast over IPv6 are IP-fragmented on real wires (docs/wire-format.md §1.2, §1.3).
/// </summary>
internal sealed class IpFragmentReassembler
{
    /// <summary>Largest IP payload a datagram can reassemble to.</summary>
    private const int PayloadMax = 65535;

    /// <summary>Open reassemblies kept at once; the oldest is dropped past this.</summary>
    private const int PendingMax = 1024;

    private readonly Dictionary<Key, Pending> _pending = new();
    private readonly Queue<Key> _order = new();

    public int DroppedIncomplete { get; private set; }

    private readonly record struct Key(IPAddress Source, IPAddress Destination, uint Id, int Protocol);

    private sealed class Pending
    {
        public readonly byte[] Buffer = new byte[PayloadMax];
        public readonly List<(int Start, int End)> Pieces = new();
        public int TotalLength = -1;
        public int Count;
    }

    /// <summary>
    /// Adds one fragment. <paramref name="offset"/> is in bytes. Returns the whole payload once every
    /// byte from 0 to the end given by the last fragment has arrived, otherwise null.
    /// <paramref name="protocol"/> is the IPv4 protocol or the IPv6 Fragment header's next header,
    /// which only the first fragment's value matters for; it is kept in the key for IPv4 (RFC 791).
    /// </summary>
    public byte[]? Add(
        IPAddress source, IPAddress destination, uint id, int protocol, int offset, bool moreFragments,
        ReadOnlySpan<byte> data, out int fragmentCount, out string? problem)
    {
        fragmentCount = 0;
        problem = null;
        if (offset + data.Length > PayloadMax)
        {
            problem = $"IP fragment at offset {offset} with {data.Length} bytes runs past 65535; dropped";
            return null;
        }

        var key = new Key(source, destination, id, protocol);
        if (!_pending.TryGetValue(key, out Pending? pending))
        {
            if (_pending.Count >= PendingMax)
            {
                Key oldest = _order.Dequeue();
                if (_pending.Remove(oldest))
                {
                    DroppedIncomplete++;
                }
            }

            pending = new Pending();
            _pending.Add(key, pending);
            _order.Enqueue(key);
        }

        data.CopyTo(pending.Buffer.AsSpan(offset));
        pending.Pieces.Add((offset, offset + data.Length));
        pending.Count++;
        if (!moreFragments)
        {
            pending.TotalLength = offset + data.Length;
        }

        if (pending.TotalLength < 0 || !Covers(pending.Pieces, pending.TotalLength))
        {
            return null;
        }

        _pending.Remove(key);
        fragmentCount = pending.Count;
        return pending.Buffer.AsSpan(0, pending.TotalLength).ToArray();
    }

    /// <summary>Reassemblies still missing pieces (reported once the capture has been read).</summary>
    public int PendingCount => _pending.Count;

    private static bool Covers(List<(int Start, int End)> pieces, int total)
    {
        pieces.Sort(static (a, b) => a.Start.CompareTo(b.Start));
        int reached = 0;
        foreach ((int start, int end) in pieces)
        {
            if (start > reached)
            {
                return false;
            }

            reached = Math.Max(reached, end);
        }

        return reached >= total;
    }
}
