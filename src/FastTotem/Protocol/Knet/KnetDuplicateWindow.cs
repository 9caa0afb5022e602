namespace FastTotem.Protocol.Knet;

/// <summary>
/// libknet's per-sender duplicate window (host.c _seq_num_lookup / _seq_num_set; docs/knet.md, "Duplicates"):
/// the newest seq seen (<see cref="NewestSeq"/>, 0 = none yet) and two 4096-bit maps indexed by seq mod 4096, one
/// for delivered packets and one for "a reassembly was started". A seq up to 4096 behind the newest is a duplicate
/// when its bit is set; one far away in either direction restarts the window; one ahead moves it, clearing the bits
/// it passes. Gaps, reordering, copies over several links and the 65535 → 1 wrap are all handled.
/// </summary>
internal sealed class KnetDuplicateWindow
{
    public const int Size = 4096;
    private const int Words = Size / 64;

    private readonly ulong[] _delivered = new ulong[Words];
    private readonly ulong[] _defrag = new ulong[Words];

    /// <summary>The newest seq accepted, 0 when none has been seen since the last reset.</summary>
    public ushort NewestSeq { get; private set; }

    /// <summary>
    /// Whether <paramref name="seq"/> may still be delivered (or, with <paramref name="defragMap"/>, start a
    /// reassembly); moves the window as libknet does. <paramref name="restart"/> first forgets everything and
    /// takes <paramref name="seq"/> as the newest (a sender restart or a resync PING).
    /// </summary>
    public bool Lookup(ushort seq, bool defragMap, bool restart = false)
    {
        if (NewestSeq == 0)
        {
            NewestSeq = seq;
        }

        if (restart)
        {
            Reset();
            NewestSeq = seq;
        }

        // Distance behind the newest, in 16-bit arithmetic (libknet's seq_dist).
        ushort distance = seq < NewestSeq
            ? (ushort)(ushort.MaxValue - seq + NewestSeq)
            : (ushort)(NewestSeq - seq);
        int head = seq % Size;
        if (distance < Size)
        {
            return !Get(defragMap ? _defrag : _delivered, head);
        }

        if (distance <= ushort.MaxValue - Size)
        {
            Array.Clear(_delivered);
            Array.Clear(_defrag);
            NewestSeq = seq;
        }

        // Clear the bits from just after the old newest up to and including seq (they belong to seqs 4096 older).
        int tail = (NewestSeq + 1) % Size;
        ClearRange(tail, head);
        NewestSeq = seq;
        return true;
    }

    /// <summary>Marks <paramref name="seq"/> delivered (or its reassembly started).</summary>
    public void Set(ushort seq, bool defragMap)
    {
        int bit = seq % Size;
        (defragMap ? _defrag : _delivered)[bit >> 6] |= 1UL << (bit & 63);
    }

    /// <summary>Forgets everything (the host became unreachable, or it restarted).</summary>
    public void Reset()
    {
        Array.Clear(_delivered);
        Array.Clear(_defrag);
        NewestSeq = 0;
    }

    private static bool Get(ulong[] map, int bit) => (map[bit >> 6] & (1UL << (bit & 63))) != 0;

    private void ClearRange(int tail, int head)
    {
        if (tail > head)
        {
            ClearBits(tail, Size - 1);
            ClearBits(0, head);
        }
        else
        {
            ClearBits(tail, head);
        }
    }

    private void ClearBits(int from, int to)
    {
        for (int b = from; b <= to; b++)
        {
            ulong mask = ~(1UL << (b & 63));
            _delivered[b >> 6] &= mask;
            _defrag[b >> 6] &= mask;
        }
    }
}
