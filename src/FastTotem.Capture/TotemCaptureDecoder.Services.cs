using System.Buffers.Binary;
using System.Globalization;
using FastTotem.Wire;

namespace FastTotem.Capture;

internal sealed partial class TotemCaptureDecoder
{
    private static ReadOnlySpan<byte> GroupSync => "sync"u8;

    private static ReadOnlySpan<byte> GroupMain => "a"u8;

    /// <summary>Application bytes shown of a CPG mcast, as printable text.</summary>
    private const int DataPreviewMax = 16;

    /// <summary>Bytes of an opaque message shown in hex.</summary>
    private const int OpaqueHeadMax = 16;

    /// <summary>
    /// One totempg message: the group header, then the service message for the groups corosync uses
    /// ("sync": sync.c; "a": the exec services). Unknown services are shown by id, not counted as errors.
    /// </summary>
    private static (DecodedFields Fields, DecodeFailure Failure) DecodeMessage(ReadOnlySpan<byte> message, bool foreignEndian, int assembledLength)
    {
        var fields = new DecodedFields();
        WireError error = PgGroupHeader.TryParse(message, foreignEndian, out PgGroupHeaderView groups);
        if (error != WireError.None)
        {
            // The Totem mcast and its totempg framing are whole (the message lengths add up to the payload), but the
            // message's bytes do not begin with a group header that fits in them, so no totempg group would take it:
            // application bytes of no group. They are shown as such, with the group count they would claim and their
            // first bytes; the datagram is not undecodable (a test peer's filler message in peer-check p1 is one).
            fields.Set("service", "opaque");
            fields.Set("opaque", OpaqueReason(message, foreignEndian, error));
            fields.Set("head", Convert.ToHexString(message.Length > OpaqueHeadMax ? message[..OpaqueHeadMax] : message).ToLowerInvariant());
            fields.Set("len", message.Length);
            return (fields, DecodeFailure.None);
        }

        var names = new string[groups.Count];
        for (int i = 0; i < names.Length; i++)
        {
            names[i] = Printable(groups.NameAt(i));
        }

        fields.Set("groups", names);
        ReadOnlySpan<byte> body = groups.Payload;
        if (assembledLength > 0)
        {
            fields.Set("assembled", assembledLength);
        }

        DecodeFailure failure;
        if (groups.Contains(GroupSync))
        {
            failure = DecodeSync(body, fields);
        }
        else if (groups.Contains(GroupMain))
        {
            failure = DecodeExec(body, foreignEndian, fields);
        }
        else
        {
            fields.Set("service", "unknown");
            failure = DecodeFailure.None;
        }

        fields.Set("len", body.Length);
        if (failure.Error != WireError.None)
        {
            fields.Set("error", failure.Error.ToString());
        }

        return (fields, failure);
    }

    private static string OpaqueReason(ReadOnlySpan<byte> message, bool foreignEndian, WireError error)
    {
        if (message.Length < sizeof(ushort))
        {
            return string.Create(CultureInfo.InvariantCulture, $"no totempg group header ({error}: {message.Length} B)");
        }

        ushort count = foreignEndian ? BinaryPrimitives.ReadUInt16BigEndian(message) : BinaryPrimitives.ReadUInt16LittleEndian(message);
        return string.Create(CultureInfo.InvariantCulture, $"no totempg group header ({error}: group_count {count} in {message.Length} B)");
    }

    /// <summary>sync.c messages: header.id 0 barrier, 1 service build; nothing is byte-swapped.</summary>
    private static DecodeFailure DecodeSync(ReadOnlySpan<byte> body, DecodedFields fields)
    {
        fields.Set("service", "sync");
        WireError error = QbIpcRequestHeader.TryReadId(body, foreignEndian: false, out int id);
        if (error != WireError.None)
        {
            return new DecodeFailure(error, "sync");
        }

        switch (id)
        {
            case SyncMessageId.Barrier:
            {
                fields.Set("message", "barrier");
                error = SyncBarrierMessage.TryRead(body, out SyncBarrierMessage barrier);
                if (error == WireError.None)
                {
                    fields.Set("ring", barrier.RingId);
                }

                break;
            }

            case SyncMessageId.ServiceBuild:
            {
                fields.Set("message", "service_build");
                error = SyncServiceBuildMessage.TryRead(body, out SyncServiceBuildMessage build);
                if (error == WireError.None)
                {
                    fields.Set("ring", build.RingId);
                    fields.Set("services", build.Services.ToArray());
                }

                break;
            }

            default:
                fields.Set("message", "unknown");
                fields.Set("id", id);
                break;
        }

        return error == WireError.None ? DecodeFailure.None : new DecodeFailure(error, "sync");
    }

    /// <summary>Group "a": the exec services, dispatched on id = service &lt;&lt; 16 | function.</summary>
    private static DecodeFailure DecodeExec(ReadOnlySpan<byte> body, bool foreignEndian, DecodedFields fields)
    {
        WireError error = QbIpcRequestHeader.TryReadId(body, foreignEndian, out int id);
        if (error != WireError.None)
        {
            fields.Set("service", "exec");
            return new DecodeFailure(error, "exec");
        }

        int service = (int)((uint)id >> 16);
        int function = id & 0xFFFF;
        fields.Set("service", ServiceName(service));
        error = service switch
        {
            0 => DecodeCmap(body, function, foreignEndian, fields),
            CpgExecFunction.ServiceId => DecodeCpg(body, function, foreignEndian, fields),
            VotequorumExecFunction.ServiceId => DecodeVotequorum(body, function, foreignEndian, fields),
            _ => Unknown(fields, function),
        };
        return error == WireError.None ? DecodeFailure.None : new DecodeFailure(error, ServiceName(service));
    }

    private static WireError Unknown(DecodedFields fields, int function)
    {
        fields.Set("message", "fn" + function.ToString(CultureInfo.InvariantCulture));
        return WireError.None;
    }

    private static string ServiceName(int service) => service switch
    {
        0 => "cmap",
        1 => "cfg",
        2 => "cpg",
        3 => "quorum",
        4 => "pload",
        5 => "votequorum",
        6 => "mon",
        7 => "wd",
        _ => "service" + service.ToString(CultureInfo.InvariantCulture),
    };

    private static WireError DecodeCmap(ReadOnlySpan<byte> body, int function, bool foreignEndian, DecodedFields fields)
    {
        if (function != 0)
        {
            return Unknown(fields, function);
        }

        fields.Set("message", "mcast");
        WireError error = CmapMcastHeader.TryRead(body, foreignEndian, out CmapMcastHeader header);
        if (error != WireError.None)
        {
            return error;
        }

        fields.Set("reason", header.Reason);
        fields.Set("no_items", header.NoItems);
        var items = new List<object?>(header.NoItems);
        Span<byte> scratch = stackalloc byte[8];
        int offset = CmapMcastHeader.Size;
        for (int i = 0; i < header.NoItems; i++)
        {
            error = CmapMcastHeader.TryReadItem(body, ref offset, foreignEndian, scratch, out CmapMcastItemHeader item, out ReadOnlySpan<byte> value);
            if (error != WireError.None)
            {
                fields.Set("items", items);
                return error;
            }

            var itemFields = new DecodedFields()
                .Set("key", Printable(item.Key))
                .Set("value_type", item.ValueType)
                .Set("value_len", item.ValueLength);
            if (value.Length > 0)
            {
                itemFields.Set("value", CmapValue(item.ValueType, value));
            }

            items.Add(itemFields);
        }

        fields.Set("items", items);
        return WireError.None;
    }

    /// <summary>A cmap value by its ICMAP_VALUETYPE (integers little-endian after the codec's swap).</summary>
    private static object CmapValue(byte valueType, ReadOnlySpan<byte> value) => valueType switch
    {
        1 when value.Length >= 1 => (long)(sbyte)value[0],
        2 when value.Length >= 1 => (long)value[0],
        3 when value.Length >= 2 => (long)BinaryPrimitives.ReadInt16LittleEndian(value),
        4 when value.Length >= 2 => (long)BinaryPrimitives.ReadUInt16LittleEndian(value),
        5 when value.Length >= 4 => (long)BinaryPrimitives.ReadInt32LittleEndian(value),
        6 when value.Length >= 4 => (long)BinaryPrimitives.ReadUInt32LittleEndian(value),
        7 when value.Length >= 8 => BinaryPrimitives.ReadInt64LittleEndian(value),
        8 when value.Length >= 8 => BinaryPrimitives.ReadUInt64LittleEndian(value),
        9 when value.Length >= 4 => (double)BinaryPrimitives.ReadSingleLittleEndian(value),
        10 when value.Length >= 8 => BinaryPrimitives.ReadDoubleLittleEndian(value),
        11 => Printable(value.IndexOf((byte)0) is >= 0 and var end ? value[..end] : value),
        _ => Convert.ToHexString(value.Length > 64 ? value[..64] : value).ToLowerInvariant(),
    };

    private static WireError DecodeCpg(ReadOnlySpan<byte> body, int function, bool foreignEndian, DecodedFields fields)
    {
        switch (function)
        {
            case CpgExecFunction.ProcJoin:
            case CpgExecFunction.ProcLeave:
            {
                fields.Set("message", function == CpgExecFunction.ProcJoin ? "procjoin" : "procleave");
                WireError error = CpgProcJoinMessage.TryRead(body, foreignEndian, out CpgProcJoinMessage message);
                if (error == WireError.None)
                {
                    fields.Set("group", Printable(message.GroupName.Name));
                    fields.Set("pid", message.Pid);
                    fields.Set("reason", message.Reason);
                }

                return error;
            }

            case CpgExecFunction.JoinList:
            {
                fields.Set("message", "joinlist");
                WireError error = CpgJoinList.TryParse(body, foreignEndian, out _, out int entryCount);
                if (error != WireError.None)
                {
                    return error;
                }

                var entries = new List<object?>(entryCount);
                for (int i = 0; i < entryCount; i++)
                {
                    error = CpgJoinList.TryReadEntry(body, i, foreignEndian, out CpgJoinListEntry entry);
                    if (error != WireError.None)
                    {
                        return error;
                    }

                    entries.Add(new DecodedFields().Set("pid", entry.Pid).Set("group", Printable(entry.GroupName.Name)));
                }

                fields.Set("entries", entries);
                return WireError.None;
            }

            case CpgExecFunction.Mcast:
            {
                fields.Set("message", "mcast");
                WireError error = CpgMcastMessage.TryRead(body, foreignEndian, out CpgMcastMessage message, out ReadOnlySpan<byte> data);
                if (error == WireError.None)
                {
                    fields.Set("group", Printable(message.GroupName.Name));
                    fields.Set("pid", message.Pid);
                    fields.Set("source_nodeid", message.Source.NodeId);
                    fields.Set("msglen", message.MsgLen);
                    fields.Set("data", Printable(data.Length > DataPreviewMax ? data[..DataPreviewMax] : data) + (data.Length > DataPreviewMax ? "..." : ""));
                }

                return error;
            }

            case CpgExecFunction.DownlistOld:
            {
                fields.Set("message", "downlist_old");
                WireError error = CpgDownlistOldMessage.TryRead(body, out CpgDownlistOldMessage message);
                if (error == WireError.None)
                {
                    fields.Set("left_nodes", message.LeftNodes);
                }

                return error;
            }

            case CpgExecFunction.Downlist:
            {
                fields.Set("message", "downlist");
                WireError error = CpgDownlistMessage.TryRead(body, foreignEndian, out CpgDownlistMessage message);
                if (error == WireError.None)
                {
                    fields.Set("old_members", message.OldMembers);
                    fields.Set("left_nodes", message.LeftNodes);
                    fields.Set("nodeids", message.Left.ToArray());
                }

                return error;
            }

            case CpgExecFunction.PartialMcast:
            {
                fields.Set("message", "partial_mcast");
                WireError error = CpgPartialMcastMessage.TryRead(body, foreignEndian, out CpgPartialMcastMessage message, out ReadOnlySpan<byte> piece);
                if (error == WireError.None)
                {
                    fields.Set("group", Printable(message.GroupName.Name));
                    fields.Set("pid", message.Pid);
                    fields.Set("source_nodeid", message.Source.NodeId);
                    fields.Set("part", message.Type switch
                    {
                        CpgPartialMcastMessage.TypeFirst => "first",
                        CpgPartialMcastMessage.TypeContinued => "continued",
                        CpgPartialMcastMessage.TypeLast => "last",
                        _ => message.Type.ToString(CultureInfo.InvariantCulture),
                    });
                    fields.Set("msglen", message.MsgLen);
                    fields.Set("fraglen", message.FragLen);
                    _ = piece;
                }

                return error;
            }

            default:
                return Unknown(fields, function);
        }
    }

    private static WireError DecodeVotequorum(ReadOnlySpan<byte> body, int function, bool foreignEndian, DecodedFields fields)
    {
        switch (function)
        {
            case VotequorumExecFunction.NodeInfo:
            {
                fields.Set("message", "nodeinfo");
                WireError error = VotequorumNodeInfoMessage.TryRead(body, foreignEndian, out VotequorumNodeInfoMessage message);
                if (error == WireError.None)
                {
                    fields.Set("nodeid", message.NodeId);
                    fields.Set("votes", message.Votes);
                    fields.Set("expected_votes", message.ExpectedVotes);
                    fields.Set("flags", message.Flags);
                }

                return error;
            }

            case VotequorumExecFunction.Reconfigure:
            {
                fields.Set("message", "reconfigure");
                WireError error = VotequorumReconfigureMessage.TryRead(body, foreignEndian, out VotequorumReconfigureMessage message);
                if (error == WireError.None)
                {
                    fields.Set("nodeid", message.NodeId);
                    fields.Set("value", message.Value);
                    fields.Set("param", message.Param);
                }

                return error;
            }

            case VotequorumExecFunction.QdeviceReg:
            {
                fields.Set("message", "qdevice_reg");
                WireError error = VotequorumQdeviceRegMessage.TryRead(body, foreignEndian, out VotequorumQdeviceRegMessage message);
                if (error == WireError.None)
                {
                    fields.Set("operation", message.Operation);
                }

                return error;
            }

            case VotequorumExecFunction.QdeviceReconfigure:
            {
                fields.Set("message", "qdevice_reconfigure");
                return VotequorumQdeviceReconfigureMessage.TryRead(body, out _);
            }

            default:
                return Unknown(fields, function);
        }
    }
}
