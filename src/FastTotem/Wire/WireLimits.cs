namespace FastTotem.Wire;

/// <summary>Protocol limits of corosync 3.1.7 (docs/wire-format.md §1.2).</summary>
internal static class WireLimits
{
    /// <summary>PROCESSOR_COUNT_MAX: the largest membership and the largest join list.</summary>
    public const int ProcessorCountMax = 384;

    /// <summary>RETRANSMIT_ENTRIES_MAX: most rtr_list entries in an orf_token.</summary>
    public const int RetransmitEntriesMax = 30;

    /// <summary>A received orf_token longer than this is dropped (Debian CVE-2025-30472 fix).</summary>
    public const int OrfTokenLengthMax = 1500;

    /// <summary>FRAME_SIZE_MAX: the largest mcast frame corosync accepts.</summary>
    public const int FrameSizeMax = 65536;

    /// <summary>Default totem.netmtu for udp/udpu.</summary>
    public const int NetMtuDefault = 1500;

    /// <summary>totemsrp subtracts two mcast headers from netmtu at start-up (1500 → 1410).</summary>
    public const int NetMtuReduction = 90;

    /// <summary>Size of the receive buffer corosync gives each socket read.</summary>
    public const int ReceiveBufferSize = 136192;

    /// <summary>The sync service list is a fixed array of this many ints.</summary>
    public const int ServiceListMax = 128;

    /// <summary>Largest service id a corosync daemon holds (SERVICES_COUNT_MAX is 64).</summary>
    public const int ServiceIdMax = 63;

    /// <summary>totempg reassembly buffer per sender: 1 MiB + 64 KiB.</summary>
    public const int AssemblyMax = 1024 * 1024 + 64 * 1024;
}
