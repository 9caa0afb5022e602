using System.Runtime.InteropServices;
using FastTotem.Wire;

namespace FastTotem.Protocol.Services;

/// <summary>
/// The cmap service's part in sync (service 0, cmap.c): in its round a node multicasts one req_exec_cmap_mcast
/// with reason SYNC and the single item <c>totem.config_version</c> (cmap_sync_process). Received cmap mcasts are
/// validated and counted; nothing in them changes our behaviour. corosync's "shut down on a newer config_version"
/// rule cannot fire for a node whose own version is 0 (the default, and all we send unless configured).
/// </summary>
internal sealed class CmapSyncService : ISyncParticipant, IExecHandler
{
    /// <summary>ICMAP_VALUETYPE_UINT64: totem.config_version's type when it is set.</summary>
    public const byte ValueTypeUInt64 = 8;

    private static ReadOnlySpan<byte> ConfigVersionKey => "totem.config_version"u8;

    private readonly ExecOutbox _outbox;
    private readonly ulong? _configVersion;
    private bool _sent;
    private long _ticket;

    /// <param name="outbox">Where the sync message goes.</param>
    /// <param name="configVersion">totem.config_version, or null when the key is not set (value_type 0, as in the lab).</param>
    public CmapSyncService(ExecOutbox outbox, ulong? configVersion = null)
    {
        ArgumentNullException.ThrowIfNull(outbox);
        _outbox = outbox;
        _configVersion = configVersion;
    }

    public int ServiceId => 0;

    /// <summary>Well-formed cmap mcasts received.</summary>
    public long ReceivedMessages { get; private set; }

    /// <summary>cmap messages dropped as malformed (bad length, item beyond the message, unknown function).</summary>
    public long MalformedDrops { get; private set; }

    /// <summary>Sync messages we could not queue at once because the outbox was full (retried).</summary>
    public long OutboxFullRetries { get; private set; }

    /// <summary>Highest config_version a member announced in a SYNC mcast (0 when none set it).</summary>
    public ulong HighestReceivedConfigVersion { get; private set; }

    /// <summary>Length of the sync message this node sends: 328 bytes when config_version is not set.</summary>
    public int SyncMessageLength => CmapMcastHeader.Size + CmapMcastItemHeader.AlignedLength(_configVersion.HasValue ? sizeof(ulong) : 0);

    public void SyncInit(ReadOnlySpan<uint> transitionalMembers, ReadOnlySpan<uint> members, MembRingId ringId)
    {
        _sent = false;
    }

    /// <summary>cmap_sync_process: queue the SYNC mcast once, then wait until it has left the outbox.</summary>
    public bool SyncProcess()
    {
        if (!_sent)
        {
            if (!_outbox.TryEnqueue(SyncMessageLength, out Span<byte> message))
            {
                OutboxFullRetries++;
                return false;
            }

            WriteSyncMessage(message);
            _sent = true;
            _ticket = _outbox.EnqueuedTotal;
        }

        return _outbox.HasSent(_ticket);
    }

    public void SyncActivate()
    {
    }

    public void SyncAbort()
    {
    }

    /// <summary>Writes the SYNC mcast (exactly <see cref="SyncMessageLength"/> bytes, zero padding).</summary>
    public void WriteSyncMessage(Span<byte> destination)
    {
        int length = SyncMessageLength;
        Span<byte> message = destination.Slice(0, length);
        message.Clear();

        CmapMcastHeader header = default;
        header.Header = new QbIpcRequestHeader(QbIpcRequestHeader.MakeId(ServiceId, 0), length);
        header.Reason = CmapMcastHeader.ReasonSync;
        header.NoItems = 1;
        Invariant.Encoded(header.TryWrite(message), "a cmap header fits its message");

        int valueLength = _configVersion.HasValue ? sizeof(ulong) : 0;
        CmapMcastItemHeader item = CmapMcastItemHeader.Create(
            ConfigVersionKey, _configVersion.HasValue ? ValueTypeUInt64 : CmapMcastItemHeader.ValueTypeNotExist, valueLength);
        MemoryMarshal.Write(message.Slice(CmapMcastHeader.Size), in item);
        if (_configVersion is ulong version)
        {
            MemoryMarshal.Write(message.Slice(CmapMcastHeader.Size + CmapMcastItemHeader.Size), in version);
        }
    }

    /// <summary>message_handler_req_exec_cmap_mcast, reduced to validation and the config_version it announces.</summary>
    public void HandleExec(uint senderNodeId, ReadOnlySpan<byte> message, bool foreignEndian)
    {
        if (CmapMcastHeader.TryRead(message, foreignEndian, out CmapMcastHeader header) != WireError.None
            || header.Header.FunctionId != 0
            || header.Reason > CmapMcastHeader.ReasonNewConfigVersion)
        {
            MalformedDrops++;
            return;
        }

        Span<byte> scratch = stackalloc byte[8];
        int offset = CmapMcastHeader.Size;
        for (int i = 0; i < header.NoItems; i++)
        {
            if (CmapMcastHeader.TryReadItem(message, ref offset, foreignEndian, scratch, out CmapMcastItemHeader item, out ReadOnlySpan<byte> value)
                != WireError.None)
            {
                MalformedDrops++;
                return;
            }

            if (header.Reason == CmapMcastHeader.ReasonSync
                && item.ValueType == ValueTypeUInt64
                && value.Length == sizeof(ulong)
                && item.Key.SequenceEqual(ConfigVersionKey))
            {
                ulong version = MemoryMarshal.Read<ulong>(value);
                if (version > HighestReceivedConfigVersion)
                {
                    HighestReceivedConfigVersion = version;
                }
            }
        }

        ReceivedMessages++;
    }
}
