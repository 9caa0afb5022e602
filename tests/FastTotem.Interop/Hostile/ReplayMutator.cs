using System.Buffers.Binary;

namespace FastTotem.Interop.Hostile;

/// <summary>
/// Mutates real sniffed datagrams, deterministically from one seed: bit flips, counts and lengths at 0/1/max,
/// seq and ring_seq jumps, truncation, extension, the endian flag (magic) flipped, and the sender's identity
/// rewritten to the attacker's so that a mutation gets past identity binding to the code behind it.
/// </summary>
internal sealed class ReplayMutator(int seed)
{
    private static readonly uint[] Extremes = { 0, 1, 2, 29, 30, 31, 383, 384, 385, 0x7fffffff, 0x80000000, 0xffffffff };
    private static readonly ulong[] SeqJumps = { 1, 4, 100_000, 1UL << 32, (1UL << 32) + 5, 1UL << 63, ulong.MaxValue - 3 };

    private readonly Random _random = new(seed);

    public int Next(int max) => _random.Next(max);

    /// <summary>One mutation of <paramref name="original"/>; <paramref name="what"/> names it (for the log).</summary>
    public byte[] Mutate(byte[] original, uint attackerNodeId, out string what)
    {
        byte[] b = (byte[])original.Clone();
        byte type = b.Length > 3 ? b[3] : (byte)0;
        int kinds = _random.Next(9);
        switch (kinds)
        {
            case 0:
                int flips = 1 + _random.Next(8);
                for (int i = 0; i < flips; i++)
                {
                    int bit = _random.Next(b.Length * 8);
                    b[bit / 8] ^= (byte)(1 << (bit % 8));
                }

                what = $"{flips} bit flips";
                break;
            case 1:
            {
                int offset = CountOffset(type, b.Length);
                uint value = Extremes[_random.Next(Extremes.Length)];
                if (offset + 4 <= b.Length)
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(offset), value);
                }

                what = $"count at {offset} = {value}";
                break;
            }
            case 2:
            {
                int offset = SeqOffset(type);
                uint jump = (uint)SeqJumps[_random.Next(SeqJumps.Length)];
                if (offset + 4 <= b.Length)
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(offset), BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(offset)) + jump);
                }

                what = $"seq at {offset} + {jump}";
                break;
            }
            case 3:
            {
                int offset = RingSeqOffset(type);
                ulong jump = SeqJumps[_random.Next(SeqJumps.Length)];
                if (offset + 8 <= b.Length)
                {
                    BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(offset), BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(offset)) + jump);
                }

                what = $"ring_seq at {offset} + {jump}";
                break;
            }
            case 4:
                int keep = _random.Next(b.Length);
                b = b[..keep];
                what = $"truncated to {keep}";
                break;
            case 5:
                int extra = 1 + _random.Next(_random.Next(2) == 0 ? 64 : 1400);
                var longer = new byte[b.Length + extra];
                b.CopyTo(longer, 0);
                _random.NextBytes(longer.AsSpan(b.Length));
                b = longer;
                what = $"extended by {extra}";
                break;
            case 6:
                (b[0], b[1]) = (b[1], b[0]);
                what = "endian flag flipped";
                break;
            case 7:
                b[3] = (byte)_random.Next(7);
                what = $"type set to {b[3]}";
                break;
            default:
                BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(_random.Next(Math.Max(1, b.Length - 3))), (uint)_random.Next());
                what = "random word";
                break;
        }

        if (_random.Next(2) == 0)
        {
            SpeakAs(b, attackerNodeId);
            what += ", as the attacker";
        }

        return b;
    }

    /// <summary>Rewrites the header nodeid and, where the type has one, system_from, to <paramref name="nodeId"/>.</summary>
    private static void SpeakAs(byte[] b, uint nodeId)
    {
        if (b.Length >= 9)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(5), nodeId);
        }

        byte type = b.Length > 3 ? b[3] : (byte)0;
        if (type is Forge.Mcast or Forge.MergeDetect or Forge.Join && b.Length >= 17)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(13), nodeId);
        }
    }

    /// <summary>A count or length field of the type (rtr entries, proc/failed entries, memb_index/addr_entries, the
    /// totempg msg_count), or any word.</summary>
    private int CountOffset(byte type, int length) => type switch
    {
        Forge.OrfToken => 53,
        Forge.Join => _random.Next(2) == 0 ? 17 : 21,
        Forge.CommitToken => _random.Next(2) == 0 ? 33 : 37,
        Forge.Mcast => 45 + _random.Next(2) * 4,
        _ => _random.Next(Math.Max(1, length - 3)),
    };

    private static int SeqOffset(byte type) => type switch
    {
        Forge.OrfToken => 13,
        Forge.Mcast => 17,
        Forge.CommitToken => 13,
        _ => 13,
    };

    private static int RingSeqOffset(byte type) => type switch
    {
        Forge.OrfToken => 33,
        Forge.Mcast => 29,
        Forge.MergeDetect => 21,
        Forge.Join => 25,
        Forge.CommitToken => 21,
        _ => 17,
    };
}
