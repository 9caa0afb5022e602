namespace FastTotem.Protocol.Knet;

/// <summary>Per host and link traffic and state, as <c>corosync-cfgtool -n</c> and libknet's link stats show them.</summary>
internal struct KnetLinkCounters
{
    public long TxDataPackets;
    public long TxDataBytes;
    public long RxDataPackets;
    public long RxDataBytes;
    public long TxPings;
    public long RxPings;
    public long TxPongs;
    public long RxPongs;
    public long TxPmtud;
    public long RxPmtud;
    public long LinkUps;
    public long LinkDowns;

    /// <summary>PONGs discarded for latency above pong_timeout.</summary>
    public long SlowPongs;

    /// <summary>Round trip of the last accepted PONG, microseconds.</summary>
    public long LastLatencyUs;

    /// <summary>libknet's averaged latency (over up to ping_precision samples), microseconds.</summary>
    public long AverageLatencyUs;
}

/// <summary>What the knet machine dropped, and why. Bad input is counted here, never thrown.</summary>
internal struct KnetDropCounters
{
    /// <summary>Shorter than a knet header, or a type's fixed part.</summary>
    public long Truncated;
    public long BadVersion;
    public long UnknownType;

    /// <summary>Host id not in the nodelist, or our own.</summary>
    public long UnknownHost;

    /// <summary>Source address is not the host's configured address on that link (libknet's access list).</summary>
    public long WrongSource;

    /// <summary>Link number in a PING/PONG/PMTUD body that the host has no address for.</summary>
    public long UnknownLink;

    /// <summary>HMAC, padding or length check failed (wrong key or cipher, or corrupt).</summary>
    public long CryptoFailed;

    /// <summary>Fragment number/count/size that does not add up.</summary>
    public long BadFragment;

    /// <summary>A seq already delivered (active mode sends every packet on every link).</summary>
    public long Duplicate;

    /// <summary>DATA from a host this node does not consider reachable yet.</summary>
    public long NotReachable;

    /// <summary>Compressed DATA (FastTotem speaks uncompressed knet only).</summary>
    public long Compressed;

    /// <summary>DATA on a channel other than 0.</summary>
    public long BadChannel;

    /// <summary>Reassembly buffers reused while incomplete (all busy, or the sender moved on).</summary>
    public long DefragEvicted;

    /// <summary>Sends refused because the transmit queue was full.</summary>
    public long TxQueueFull;

    /// <summary>Sends with no reachable destination.</summary>
    public long TxNoRoute;

    /// <summary>Sends too large for 255 fragments or 64 KiB.</summary>
    public long TxTooLarge;
}
