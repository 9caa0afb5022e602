namespace FastTotem.Capture;

/// <summary>The LINKTYPE_* values (tcpdump.org link-layer header types) the reader understands.</summary>
internal static class LinkType
{
    /// <summary>BSD loopback: a 4-byte address family in the capturing host's byte order.</summary>
    public const int Null = 0;

    public const int Ethernet = 1;

    /// <summary>Raw IPv4 or IPv6, version taken from the first nibble.</summary>
    public const int Raw = 101;

    /// <summary>Linux "cooked" capture v1 (16-byte header), what `tcpdump -i any` writes.</summary>
    public const int LinuxSll = 113;

    /// <summary>Linux "cooked" capture v2 (20-byte header).</summary>
    public const int LinuxSll2 = 276;

    /// <summary>Raw IP under the OpenBSD/other numbering some writers still emit.</summary>
    public const int RawAlt12 = 12;

    public const int RawAlt14 = 14;
}
