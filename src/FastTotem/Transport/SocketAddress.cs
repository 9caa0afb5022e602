using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace FastTotem.Transport;

/// <summary>
/// A blittable sockaddr_in / sockaddr_in6 (28 bytes, the larger of the two), built once at start-up
/// so the send path passes addresses to the kernel without marshalling.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct SocketAddress
{
    public const int Size = 28;
    private const ushort AfInet = 2;
    private const ushort AfInet6 = 10;

    [FieldOffset(0)] public ushort Family;
    [FieldOffset(2)] public ushort PortNetworkOrder;
    [FieldOffset(4)] public uint V4AddressNetworkOrder;   // sockaddr_in.sin_addr
    [FieldOffset(4)] public uint V6FlowInfo;              // sockaddr_in6.sin6_flowinfo
    [FieldOffset(8)] public Address16 V6Address;          // sockaddr_in6.sin6_addr
    [FieldOffset(24)] public uint V6ScopeId;

    [System.Runtime.CompilerServices.InlineArray(16)]
    public struct Address16
    {
        private byte _element0;
    }

    public readonly int Length => Family == AfInet6 ? 28 : 16;

    public readonly bool IsV6 => Family == AfInet6;

    public readonly int Port => BinaryPrimitives.ReverseEndianness(PortNetworkOrder);

    public static SocketAddress From(IPAddress address, int port)
    {
        var sa = default(SocketAddress);
        sa.PortNetworkOrder = BinaryPrimitives.ReverseEndianness((ushort)port);
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            sa.Family = AfInet6;
            address.TryWriteBytes(sa.V6Address, out _);
            sa.V6ScopeId = (uint)address.ScopeId;
        }
        else
        {
            sa.Family = AfInet;
            Span<byte> b = stackalloc byte[4];
            address.TryWriteBytes(b, out _);
            sa.V4AddressNetworkOrder = MemoryMarshal.Read<uint>(b);
        }

        return sa;
    }

    /// <summary>True when both hold the same IP address (ports are ignored, as block_unlisted_ips does).</summary>
    public readonly bool SameAddress(in SocketAddress other)
    {
        if (Family != other.Family)
        {
            return false;
        }

        return Family == AfInet
            ? V4AddressNetworkOrder == other.V4AddressNetworkOrder
            : ((ReadOnlySpan<byte>)V6Address).SequenceEqual(other.V6Address);
    }

    public readonly IPAddress ToIPAddress()
    {
        if (Family == AfInet6)
        {
            return new IPAddress(V6Address, V6ScopeId);
        }

        Span<byte> b = stackalloc byte[4];
        MemoryMarshal.Write(b, V4AddressNetworkOrder);
        return new IPAddress(b);
    }

    public override readonly string ToString() =>
        Family == AfInet6 ? $"[{ToIPAddress()}]:{Port}" : $"{ToIPAddress()}:{Port}";
}
