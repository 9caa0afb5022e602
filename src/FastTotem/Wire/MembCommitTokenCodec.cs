using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace FastTotem.Wire;

/// <summary>
/// Decodes and encodes the commit token (struct memb_commit_token + addr[] + memb_list[], totemsrp.c).
/// </summary>
/// <remarks>
/// Receive checks follow check_memb_commit_token_sanity with Debian's CVE-2026-35091 fix (a token
/// shorter than its 41-byte header is dropped, not accepted), plus two of our own that keep the engine
/// in bounds: addr_entries 0–384 and memb_index 0..addr_entries. Extra bytes are ignored.
/// </remarks>
internal static class MembCommitTokenCodec
{
    /// <summary>Bytes per member on the wire: one srp_addr plus one memb entry.</summary>
    public const int BytesPerMember = sizeof(uint) + MembCommitTokenMembEntry.Size;

    /// <summary>Wire size of a commit token for <paramref name="memberCount"/> members.</summary>
    public static int GetEncodedLength(int memberCount) => MembCommitToken.Size + memberCount * BytesPerMember;

    /// <summary>
    /// Validates and decodes a received commit token. Both lists are always copied into the caller's
    /// spans (first <see cref="MembCommitToken.AddrEntries"/> entries valid). For a sender of the other
    /// byte order the addresses are swapped, and a memb entry only when its raw ring_id.rep is non-zero,
    /// as memb_commit_token_endian_convert does; an entry with raw rep 0 is copied as it arrived (all
    /// zero from any real sender). Spans of <see cref="WireLimits.ProcessorCountMax"/> always suffice.
    /// </summary>
    public static WireError TryDecode(
        ReadOnlySpan<byte> datagram,
        out MembCommitToken token,
        Span<uint> addr,
        Span<MembCommitTokenMembEntry> membList)
    {
        token = default;
        WireError error = TotemDatagram.TryParseAs(
            datagram, MessageType.MembCommitToken, out TotemHeader header, out bool foreignEndian);
        if (error != WireError.None)
        {
            return error;
        }

        if (datagram.Length < MembCommitToken.Size)
        {
            return WireError.Truncated;
        }

        token = MemoryMarshal.Read<MembCommitToken>(datagram);
        if (foreignEndian)
        {
            token.TokenSeq = BinaryPrimitives.ReverseEndianness(token.TokenSeq);
            token.RingId = token.RingId.ReverseEndianness();
            token.RetransFlg = BinaryPrimitives.ReverseEndianness(token.RetransFlg);
            token.MembIndex = BinaryPrimitives.ReverseEndianness(token.MembIndex);
            token.AddrEntries = BinaryPrimitives.ReverseEndianness(token.AddrEntries);
        }

        token.Header = header;
        int count = token.AddrEntries;
        if ((uint)count > WireLimits.ProcessorCountMax)
        {
            return WireError.CountTooLarge;
        }

        if (datagram.Length < GetEncodedLength(count))
        {
            return WireError.CountBeyondPacket;
        }

        if ((uint)token.MembIndex > (uint)count)
        {
            return WireError.BadField;
        }

        if (addr.Length < count || membList.Length < count)
        {
            return WireError.DestinationTooSmall;
        }

        ReadOnlySpan<uint> wireAddr = MemoryMarshal.Cast<byte, uint>(datagram.Slice(MembCommitToken.Size, count * sizeof(uint)));
        ReadOnlySpan<MembCommitTokenMembEntry> wireEntries = MemoryMarshal.Cast<byte, MembCommitTokenMembEntry>(
            datagram.Slice(MembCommitToken.Size + count * sizeof(uint), count * MembCommitTokenMembEntry.Size));
        if (foreignEndian)
        {
            BinaryPrimitives.ReverseEndianness(wireAddr, addr.Slice(0, count));
            for (int i = 0; i < wireEntries.Length; i++)
            {
                MembCommitTokenMembEntry entry = wireEntries[i];
                membList[i] = entry.RingId.Rep != 0 ? entry.ReverseEndianness() : entry;
            }
        }
        else
        {
            wireAddr.CopyTo(addr);
            wireEntries.CopyTo(membList);
        }

        return WireError.None;
    }

    /// <summary>
    /// Writes a commit token, little-endian. Magic, version and type are forced. The
    /// <see cref="MembCommitToken.AddrEntries"/> field is ignored: the count written is the lists'
    /// common length (at most 384); <see cref="MembCommitToken.MembIndex"/> must lie in 0..count.
    /// </summary>
    public static WireError TryEncode(
        in MembCommitToken token,
        ReadOnlySpan<uint> addr,
        ReadOnlySpan<MembCommitTokenMembEntry> membList,
        Span<byte> destination,
        out int written)
    {
        TotemDatagram.EnsureLittleEndianHost();
        if (addr.Length != membList.Length)
        {
            Invariant.ThrowArgument(nameof(membList), "A commit token has one memb entry per address.");
        }

        if (addr.Length > WireLimits.ProcessorCountMax)
        {
            Invariant.ThrowArgument(nameof(addr), "A commit token holds at most 384 members.");
        }

        if ((uint)token.MembIndex > (uint)addr.Length)
        {
            Invariant.ThrowArgument(nameof(token), "memb_index must lie in 0..addr_entries.");
        }

        int length = GetEncodedLength(addr.Length);
        if (destination.Length < length)
        {
            written = 0;
            return WireError.DestinationTooSmall;
        }

        MembCommitToken fixedPart = token;
        fixedPart.Header = TotemDatagram.ForSend(token.Header, MessageType.MembCommitToken);
        fixedPart.AddrEntries = addr.Length;
        MemoryMarshal.Write(destination, in fixedPart);
        Span<byte> lists = destination.Slice(MembCommitToken.Size);
        MemoryMarshal.AsBytes(addr).CopyTo(lists);
        MemoryMarshal.AsBytes(membList).CopyTo(lists.Slice(addr.Length * sizeof(uint)));
        written = length;
        return WireError.None;
    }
}
