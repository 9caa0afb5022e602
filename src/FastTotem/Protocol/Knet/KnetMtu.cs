namespace FastTotem.Protocol.Knet;

/// <summary>
/// libknet 1.25's MTU arithmetic (onwire.c calc_max_data_outlen, calc_data_outlen, calc_min_mtu; docs/knet.md,
/// "PMTUD and the data MTU"). "IP size" is a whole IP packet; "data MTU" is the most user bytes one DATA packet
/// may carry so that the sealed packet fits that IP size. The subtracted 26 is libknet's all-headers constant,
/// not the 14-byte DATA header: 12 bytes of a full packet's budget stay unused, as in libknet.
/// </summary>
internal readonly struct KnetMtu
{
    /// <summary>KNET_HEADER_ALL_SIZE.</summary>
    public const int AllHeadersSize = 26;

    /// <summary>IPv4 + UDP headers.</summary>
    public const int Ipv4Overhead = 28;

    /// <summary>IPv6 + UDP headers.</summary>
    public const int Ipv6Overhead = 48;

    /// <summary>IPv6 + SCTP: the worst case calc_min_mtu assumes.</summary>
    public const int WorstOverhead = 68;

    /// <summary>The smallest IP packet every IPv4 path carries.</summary>
    public const int MinIpv4Packet = 576;

    /// <summary>The smallest IP packet every IPv6 path carries.</summary>
    public const int MinIpv6Packet = 1280;

    /// <summary>Largest IP packet a probe may claim.</summary>
    public const int MaxIpPacket = 65535;

    private const int SaltSize = 16;
    private const int BlockSize = 16;

    public KnetMtu(bool cipher, int hashLength)
    {
        Cipher = cipher;
        HashLength = hashLength;
    }

    /// <summary>AES-CBC is on (salt, padding to 16).</summary>
    public bool Cipher { get; }

    /// <summary>HMAC length appended to every packet (0 without a hash).</summary>
    public int HashLength { get; }

    /// <summary>The data MTU for an IP packet of <paramref name="ipPacketSize"/> bytes over headers of <paramref name="ipOverhead"/>.</summary>
    public int DataMtu(int ipPacketSize, int ipOverhead)
    {
        int payload = ipPacketSize - ipOverhead;
        if (!Cipher)
        {
            return payload - AllHeadersSize - HashLength;
        }

        int x = payload - SaltSize - HashLength;
        return x - (x % BlockSize) - 1 - AllHeadersSize;
    }

    /// <summary>The data MTU used before PMTUd and after any link comes up (calc_min_mtu).</summary>
    public int MinDataMtu => DataMtu(MinIpv4Packet, WorstOverhead);

    /// <summary>UDP payload of a sealed packet whose cleartext is <paramref name="plainLength"/> bytes.</summary>
    public int SealedLength(int plainLength) =>
        Cipher ? SaltSize + (BlockSize * ((plainLength / BlockSize) + 1)) + HashLength : plainLength + HashLength;

    /// <summary>Bytes crypto may add to any packet (for buffer sizing).</summary>
    public int OverheadMax => Cipher ? SaltSize + BlockSize + HashLength : HashLength;
}
