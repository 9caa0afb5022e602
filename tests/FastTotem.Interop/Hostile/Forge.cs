using System.Buffers.Binary;

namespace FastTotem.Interop.Hostile;

/// <summary>
/// Builds Totem SRP datagrams byte by byte (little-endian, layouts of docs/wire-format.md §5), with whatever values
/// an attacker wants, impossible ones included: the project's encoders refuse those, so the attacker does not use them.
/// </summary>
internal static class Forge
{
    public const byte OrfToken = 0;
    public const byte Mcast = 1;
    public const byte MergeDetect = 2;
    public const byte Join = 3;
    public const byte CommitToken = 4;
    public const byte HoldCancel = 5;

    /// <summary>An empty but valid totempg payload (msg_count 0).</summary>
    public static readonly byte[] EmptyPgPayload = { 0, 0, 0, 0, 0, 0, 0, 0 };

    /// <summary>A totempg payload that opens a fragment chain: fragmented 1, continuation 0, one message of length 0.</summary>
    public static readonly byte[] OpenChainPgPayload = { 0, 0, 0, 0, 1, 0, 1, 0, 0, 0 };

    public static byte[] Token(uint hdrNodeId, uint seq, uint tokenSeq, uint aru, uint aruAddr, uint rep, ulong ringSeq,
        uint backlog = 0, uint fcc = 0, int retransFlag = 0, ReadOnlySpan<uint> rtrSeqs = default)
    {
        var b = new byte[57 + 16 * rtrSeqs.Length];
        Header(b, OrfToken, 0, hdrNodeId);
        U32(b, 13, seq);
        U32(b, 17, tokenSeq);
        U32(b, 21, aru);
        U32(b, 25, aruAddr);
        RingId(b, 29, rep, ringSeq);
        U32(b, 41, backlog);
        U32(b, 45, fcc);
        U32(b, 49, (uint)retransFlag);
        U32(b, 53, (uint)rtrSeqs.Length);
        for (int i = 0; i < rtrSeqs.Length; i++)
        {
            RingId(b, 57 + 16 * i, rep, ringSeq);
            U32(b, 57 + 16 * i + 12, rtrSeqs[i]);
        }

        return b;
    }

    public static byte[] McastMessage(uint hdrNodeId, uint seq, uint rep, ulong ringSeq, ReadOnlySpan<byte> payload, byte encapsulated = 2)
    {
        var b = new byte[45 + payload.Length];
        Header(b, Mcast, encapsulated, hdrNodeId);
        U32(b, 13, hdrNodeId); // system_from
        U32(b, 17, seq);
        U32(b, 21, 0); // this_seqno
        RingId(b, 25, rep, ringSeq);
        payload.CopyTo(b.AsSpan(45));
        return b;
    }

    public static byte[] Merge(uint hdrNodeId, uint systemFrom, uint rep, ulong ringSeq)
    {
        var b = new byte[29];
        Header(b, MergeDetect, 0, hdrNodeId);
        U32(b, 13, systemFrom);
        RingId(b, 17, rep, ringSeq);
        return b;
    }

    /// <summary>A memb_join; header nodeid 0 makes it a LEAVE.</summary>
    public static byte[] JoinMessage(uint hdrNodeId, uint systemFrom, ReadOnlySpan<uint> proc, ReadOnlySpan<uint> failed, ulong ringSeq)
    {
        var b = new byte[33 + 4 * (proc.Length + failed.Length)];
        Header(b, Join, 0, hdrNodeId);
        U32(b, 13, systemFrom);
        U32(b, 17, (uint)proc.Length);
        U32(b, 21, (uint)failed.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(25), ringSeq);
        int o = 33;
        foreach (uint id in proc)
        {
            U32(b, o, id);
            o += 4;
        }

        foreach (uint id in failed)
        {
            U32(b, o, id);
            o += 4;
        }

        return b;
    }

    /// <summary>A memb_commit_token with <paramref name="members"/> and one entry per member (ring (rep, ringSeq),
    /// aru and high_delivered 0, received_flg as given).</summary>
    public static byte[] Commit(uint hdrNodeId, uint tokenSeq, uint rep, ulong ringSeq, int membIndex, ReadOnlySpan<uint> members, uint receivedFlag = 0)
    {
        int n = members.Length;
        var b = new byte[41 + 28 * n];
        Header(b, CommitToken, 0, hdrNodeId);
        U32(b, 13, tokenSeq);
        RingId(b, 17, rep, ringSeq);
        U32(b, 29, 0); // retrans_flg
        U32(b, 33, (uint)membIndex);
        U32(b, 37, (uint)n);
        for (int i = 0; i < n; i++)
        {
            U32(b, 41 + 4 * i, members[i]);
            int e = 41 + 4 * n + 24 * i;
            RingId(b, e, rep, ringSeq);
            U32(b, e + 20, receivedFlag);
        }

        return b;
    }

    public static byte[] Cancel(uint hdrNodeId, uint rep, ulong ringSeq)
    {
        var b = new byte[25];
        Header(b, HoldCancel, 0, hdrNodeId);
        RingId(b, 13, rep, ringSeq);
        return b;
    }

    private static void Header(byte[] b, byte type, byte encapsulated, uint nodeId)
    {
        b[0] = 0x70;
        b[1] = 0xc0;
        b[2] = 3;
        b[3] = type;
        b[4] = encapsulated;
        U32(b, 5, nodeId);
        U32(b, 9, 0);
    }

    private static void RingId(byte[] b, int offset, uint rep, ulong seq)
    {
        U32(b, offset, rep);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(offset + 4), seq);
    }

    private static void U32(byte[] b, int offset, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(offset), value);
}
