using FastTotem.Wire;

namespace FastTotem.Protocol.Srp;

/// <summary>
/// Totem SRP settings (the protocol part of corosync's struct totem_config), built once at start-up.
/// All times are milliseconds, as corosync configures them. Immutable once built (init-only; derive a variant
/// with <c>with</c>), so the engine that keeps it sees exactly what it was given.
/// </summary>
internal sealed record SrpConfig
{
    /// <summary>This node's nodeid (non-zero).</summary>
    public uint NodeId { get; init; }

    /// <summary>Every configured nodeid. "mcast"-path datagrams go to each of them (udpu).</summary>
    public uint[] NodeList { get; init; } = [];

    /// <summary>
    /// Identity binding (docs/robustness.md): a message is believed only from the address of the node it speaks for.
    /// On by default; off gives corosync's unbound behaviour (for NAT'd setups whose source addresses are rewritten).
    /// Nodeids outside <see cref="NodeList"/> are refused either way.
    /// </summary>
    public bool BindIdentity { get; init; } = true;

    public int TokenMs { get; init; } = 3000;
    public int TokenRetransmitMs { get; init; } = 714;
    public int HoldMs { get; init; } = 561;
    public int JoinMs { get; init; } = 50;
    public int ConsensusMs { get; init; } = 3600;
    public int MergeMs { get; init; } = 200;

    /// <summary>Kept for completeness: corosync uses it only to re-check a downed interface (transport layer).</summary>
    public int DowncheckMs { get; init; } = 1000;

    public int TokenRetransmitsBeforeLoss { get; init; } = 4;
    public int FailRecvConst { get; init; } = 2500;
    public int SeqnoUnchangedConst { get; init; } = 30;
    public int MissCountConst { get; init; } = 5;
    public int WindowSize { get; init; } = 50;
    public int MaxMessages { get; init; } = 17;

    /// <summary>totem.netmtu. The largest totempg payload per mcast is NetMtu − 90 (docs/wire-format.md §1.2).</summary>
    public int NetMtu { get; init; } = WireLimits.NetMtuDefault;

    /// <summary>
    /// Capacity of the send queue in messages. corosync's MESSAGE_QUEUE_MAX is 4 MiB divided by the effective MTU
    /// (2974 with netmtu 1500); 0 means "derive it that way".
    /// </summary>
    public int SendQueueCapacity { get; init; }

    /// <summary>
    /// Capacity of each message store (sort queue) in messages; 0 derives it from window_size and max_messages, at
    /// least 4096 so a recovery (every member re-sending the old ring's unreleased messages) fits. Rounded up to a
    /// power of two.
    /// </summary>
    public int StoreCapacity { get; init; }

    /// <summary>
    /// Bytes of the transmit queue's arena for control frames; 0 (the default) derives it as room for 24 of the
    /// largest (<c>SrpLimits.ControlArenaBytes</c>, 259,032 bytes). A smaller value, at least one largest control
    /// frame, suits harnesses whose nodelist keeps every control frame small and that copy the whole engine per
    /// input (the fuzz rings); a frame the arena cannot take is dropped and counted as a lost datagram.
    /// </summary>
    public int ControlArenaBytes { get; init; }

    /// <summary>
    /// The largest frame this node builds itself, when smaller than <see cref="NetMtu"/> (0: NetMtu). Over knet the
    /// store slots must take corosync's frames of up to 64 KiB (NetMtu 65536) while FastTotem's own frames stay
    /// within one knet packet (docs/knet.md, "Live").
    /// </summary>
    public int SendMtu { get; init; }

    /// <summary>
    /// totem.fasttotem_accelerated (off by default): on a ring whose every member is a FastTotem node with this setting
    /// on (each announces <c>SyncCapability.AcceleratedRingServiceId</c> in its service_build), pass the token before
    /// the visit's new multicasts (docs/accelerated-ring.md). Any configuration change returns to standard mode until
    /// the new ring's synchronisation shows every member again.
    /// </summary>
    public bool Accelerated { get; init; }

    /// <summary>
    /// In accelerated mode, how many of a visit's new multicasts leave after the token (the rest, and every
    /// retransmission, leave before it). The default, max_messages' default, puts all of them after the token.
    /// </summary>
    public int AcceleratedWindow { get; init; } = 17;

    /// <summary>Largest totempg payload one mcast carries (corosync's net_mtu after the 90-byte reduction).</summary>
    public int MaxPayload => (SendMtu > 0 ? Math.Min(SendMtu, NetMtu) : NetMtu) - WireLimits.NetMtuReduction;

    /// <summary>
    /// The timers exactly as corosync 3.1.7 derives them when totem.conf sets only <c>token</c>
    /// (totem_volatile_config_read, totemconfig.c): the coefficient is added for every node beyond two, and
    /// retransmit, hold and consensus follow from the resulting token timeout with corosync's integer truncation.
    /// </summary>
    public static SrpConfig CorosyncDefaults(uint nodeId, uint[] nodeList, int tokenMs = 3000, int tokenCoefficientMs = 650)
    {
        ArgumentNullException.ThrowIfNull(nodeList);
        int token = tokenMs;
        if (nodeList.Length > 2)
        {
            token += (nodeList.Length - 2) * tokenCoefficientMs;
        }

        const int retransmitsBeforeLoss = 4;
        const int hz = 100;
        int retransmit = (int)(token / (retransmitsBeforeLoss + 0.2));
        int hold = (int)(retransmit * 0.8 - (1000 / hz));
        int consensus = (int)(float)(1.2 * token);
        return new SrpConfig
        {
            NodeId = nodeId,
            NodeList = (uint[])nodeList.Clone(),
            TokenMs = token,
            TokenRetransmitMs = retransmit,
            HoldMs = hold,
            JoinMs = 50,
            ConsensusMs = consensus,
            MergeMs = 200,
            DowncheckMs = 1000,
            TokenRetransmitsBeforeLoss = retransmitsBeforeLoss,
        };
    }
}
