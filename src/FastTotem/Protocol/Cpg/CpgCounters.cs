namespace FastTotem.Protocol.Cpg;

/// <summary>What the CPG service dropped or refused, by reason; read on the control plane.</summary>
internal sealed class CpgCounters
{
    /// <summary>Exec messages too short for their structure, or whose inner lengths point past the message.</summary>
    public long MalformedDrops { get; internal set; }

    /// <summary>Group names longer than 128 bytes.</summary>
    public long BadNameDrops { get; internal set; }

    /// <summary>Exec function ids CPG does not have.</summary>
    public long UnknownFunctionDrops { get; internal set; }

    /// <summary>Messages from a node with no known process in the group ("Unknown node -> we will not deliver message").</summary>
    public long UnknownSenderDrops { get; internal set; }

    /// <summary>Messages for a group with no local recipient (normal, not an error).</summary>
    public long NotForUs { get; internal set; }

    /// <summary>Events lost because the event queue or its data ring was full.</summary>
    public long EventOverflowDrops { get; internal set; }

    /// <summary>Processes or groups not recorded because a table was full.</summary>
    public long TableFullDrops { get; internal set; }

    /// <summary>partial_mcast pieces dropped: out of order, no free slot, inconsistent lengths, too long, or the sender left.</summary>
    public long PartialDrops { get; internal set; }

    /// <summary>Downlist messages received (3.1.7 only logs them).</summary>
    public long DownlistsReceived { get; internal set; }

    /// <summary>Joinlist messages received.</summary>
    public long JoinlistsReceived { get; internal set; }

    /// <summary>Joinlists that arrived outside a synchronisation (corosync's only travel in one): dropped whole.</summary>
    public long JoinlistOutsideSyncDrops { get; internal set; }

    /// <summary>Joinlists from a node that is not a member of the ring being synchronised: dropped whole.</summary>
    public long JoinlistNonMemberDrops { get; internal set; }

    /// <summary>
    /// Remote processes (joinlist entries or procjoins) not recorded because their node already has
    /// <see cref="CpgLimits.ProcessesPerNodeMax"/> of them: one node cannot fill the tables for everyone.
    /// </summary>
    public long NodeShareDrops { get; internal set; }

    /// <summary>Messages delivered (counted once per message, not per local recipient).</summary>
    public long Delivered { get; internal set; }
}
