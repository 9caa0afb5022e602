using System.Buffers.Binary;

namespace FastTotem.Tests.Wire;

/// <summary>
/// Builds what a big-endian corosync would have sent for a given little-endian datagram, working from
/// docs/wire-format.md's offsets and swap columns directly (independently of the codecs under test): magic
/// swapped, and exactly the fields marked swap16/32/64 reversed. target_nodeid, encapsulated,
/// token_hold_cancel's ring id and the mcast payload are left as they are.
/// </summary>
internal static class ForeignEndianTwin
{
    public static byte[] Build(ReadOnlySpan<byte> native)
    {
        byte[] twin = native.ToArray();
        Span<byte> t = twin;
        Swap16(t, 0);
        Swap32(t, 5);
        switch (native[3])
        {
            case 0:
                int rtrCount = BinaryPrimitives.ReadInt32LittleEndian(native.Slice(53));
                foreach (int off in new[] { 13, 17, 21, 25, 41, 45, 49, 53 })
                {
                    Swap32(t, off);
                }

                SwapRing(t, 29);
                for (int i = 0; i < rtrCount; i++)
                {
                    SwapRing(t, 57 + 16 * i);
                    Swap32(t, 57 + 16 * i + 12);
                }

                break;
            case 1:
                foreach (int off in new[] { 13, 17, 21, 37, 41 })
                {
                    Swap32(t, off);
                }

                SwapRing(t, 25);
                break;
            case 2:
                Swap32(t, 13);
                SwapRing(t, 17);
                break;
            case 3:
                int p = BinaryPrimitives.ReadInt32LittleEndian(native.Slice(17));
                int f = BinaryPrimitives.ReadInt32LittleEndian(native.Slice(21));
                Swap32(t, 13);
                Swap32(t, 17);
                Swap32(t, 21);
                Swap64(t, 25);
                for (int i = 0; i < p + f; i++)
                {
                    Swap32(t, 33 + 4 * i);
                }

                break;
            case 4:
                int n = BinaryPrimitives.ReadInt32LittleEndian(native.Slice(37));
                Swap32(t, 13);
                SwapRing(t, 17);
                Swap32(t, 29);
                Swap32(t, 33);
                Swap32(t, 37);
                for (int i = 0; i < n; i++)
                {
                    Swap32(t, 41 + 4 * i);
                    int entry = 41 + 4 * n + 24 * i;
                    if (BinaryPrimitives.ReadUInt32LittleEndian(native.Slice(entry)) != 0)
                    {
                        SwapRing(t, entry);
                        Swap32(t, entry + 12);
                        Swap32(t, entry + 16);
                        Swap32(t, entry + 20);
                    }
                }

                break;
            case 5:
                break;
            default:
                throw new ArgumentException("not an SRP message type", nameof(native));
        }

        return twin;
    }

    private static void SwapRing(Span<byte> t, int offset)
    {
        Swap32(t, offset);
        Swap64(t, offset + 4);
    }

    private static void Swap16(Span<byte> t, int offset) => t.Slice(offset, 2).Reverse();

    private static void Swap32(Span<byte> t, int offset) => t.Slice(offset, 4).Reverse();

    private static void Swap64(Span<byte> t, int offset) => t.Slice(offset, 8).Reverse();
}
