using System.Net;
using System.Net.Sockets;

namespace FastTotem.Protocol.Knet;

/// <summary>
/// An IP address without a port, as the knet machine compares them (libknet compares source addresses, never
/// ports). IPv4 is held IPv4-mapped so both families fit one 128-bit value; <see cref="IsV6"/> tells them apart.
/// </summary>
internal readonly struct KnetAddress : IEquatable<KnetAddress>
{
    public KnetAddress(UInt128 value, bool isV6)
    {
        Value = value;
        IsV6 = isV6;
    }

    public UInt128 Value { get; }

    public bool IsV6 { get; }

    public bool IsSet => Value != UInt128.Zero;

    public static KnetAddress From(IPAddress address)
    {
        bool v6 = address.AddressFamily == AddressFamily.InterNetworkV6 && !address.IsIPv4MappedToIPv6;
        Span<byte> bytes = stackalloc byte[16];
        address.MapToIPv6().TryWriteBytes(bytes, out _);
        return new KnetAddress(System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(bytes), v6);
    }

    /// <summary>From the 4 bytes of sin_addr (network order).</summary>
    public static KnetAddress FromV4(ReadOnlySpan<byte> fourBytes)
    {
        UInt128 v = ((UInt128)0xFFFF << 32) | System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(fourBytes);
        return new KnetAddress(v, false);
    }

    /// <summary>From the 16 bytes of sin6_addr.</summary>
    public static KnetAddress FromV6(ReadOnlySpan<byte> sixteenBytes) =>
        new(System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(sixteenBytes), true);

    public bool Equals(KnetAddress other) => Value == other.Value && IsV6 == other.IsV6;

    public override bool Equals(object? obj) => obj is KnetAddress a && Equals(a);

    public override int GetHashCode() => Value.GetHashCode();

    public IPAddress ToIPAddress()
    {
        Span<byte> bytes = stackalloc byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt128BigEndian(bytes, Value);
        var a = new IPAddress(bytes);
        return IsV6 ? a : a.MapToIPv4();
    }

    public override string ToString() => ToIPAddress().ToString();
}
