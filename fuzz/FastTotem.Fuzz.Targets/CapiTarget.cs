using System.Net;
using System.Text;
using FastTotem.Config;
using FastTotem.Native;
using FastTotem.Protocol.Services;
using FastTotem.Transport;

namespace FastTotem.Fuzz;

/// <summary>
/// <c>capi</c>: what a C host hands libfasttotem.so. The exports of src/FastTotem.Native/Exports.cs are called
/// in-process through unmanaged function pointers, as C calls them, with fuzzed config structs, paths, handles,
/// buffers and sizes; and corosync.conf text goes through the validation <c>ft_node_create</c> runs before it binds
/// a socket. Each op byte picks one call:
/// <list type="bullet">
/// <item>0 <c>ft_node_create_ex</c> (flags byte, 24-byte ft_node_config, path), 1 <c>ft_node_create</c>
/// (flags byte, nodeid, path); paths lie under a directory that does not exist, so no file is read or written</item>
/// <item>2 corosync.conf text (2 length bytes, the text) through CorosyncConfig, the transport options, the SRP
/// config and votequorum's config, as TotemNode's constructor builds them; host names are skipped (each would be
/// a DNS query)</item>
/// <item>3 a handle call (which byte, handle, buffers) with a forged handle, 4 <c>ft_last_error</c> into a buffer of
/// fuzzed size, 5 <c>ft_strerror</c></item>
/// </list>
/// Invariants: every call returns one of fasttotem.h's codes (or a count where it returns one), an out handle is
/// 0 after a failure, a failure leaves a message for ft_last_error, and no exception escapes (an exception in an
/// UnmanagedCallersOnly export would abort the host; here it fails the run).
/// Calls that need a live node (a started node's group join, take and release of real deliveries) are not reached:
/// that would bind sockets and start a loop thread per input.
/// </summary>
public sealed unsafe class CapiTarget : IFuzzTarget
{
    private const int OpsMax = 64;
    private const int ErrorCodeMin = -11;
    private const int ErrInvalidArgument = -1;
    private const int ErrInvalidHandle = -2;
    private const int ErrConfig = -3;
    private static readonly IPAddress[] LocalAddresses = [IPAddress.Loopback, IPAddress.IPv6Loopback];
    private readonly byte[] _buffer = new byte[4096];
    private readonly uint[] _nodeIds = new uint[64];
    private readonly uint[] _pids = new uint[64];

    public string Name => "capi";

    public void Run(ReadOnlySpan<byte> input)
    {
        var reader = new FuzzInput(input);
        // ft_last_error's message is per thread and outlives a call: start every input from the same one, or an
        // input's outcome would depend on the inputs before it in the same process.
        _ = ((delegate* unmanaged<nint, uint*, int>)(&Exports.NodeId))(0, null);
        for (int op = 0; op < OpsMax && !reader.IsEmpty; op++)
        {
            switch (reader.Byte() % 6)
            {
                case 0:
                    NodeCreateEx(ref reader);
                    break;
                case 1:
                    NodeCreate(ref reader);
                    break;
                case 2:
                    ValidateConfig(Encoding.UTF8.GetString(reader.Bytes(reader.UInt16())));
                    break;
                case 3:
                    HandleCall(ref reader);
                    break;
                case 4:
                    LastError(reader.UInt16() % (_buffer.Length + 1));
                    break;
                default:
                    byte* text = ((delegate* unmanaged<int, byte*>)(&Exports.StrError))((int)reader.UInt32());
                    // fasttotem.h: a non-empty text, NUL-terminated within FT_STRERROR_MAX (128) bytes.
                    if (text == null || new ReadOnlySpan<byte>(text, FtErrorText.LengthMax + 1).IndexOf((byte)0) <= 0)
                    {
                        throw new FuzzInvariantException("ft_strerror returned no NUL-terminated text");
                    }

                    break;
            }
        }
    }

    private void NodeCreateEx(ref FuzzInput reader)
    {
        byte flags = reader.Byte();
        Exports.NodeConfig config = default;
        reader.Bytes(sizeof(Exports.NodeConfig)).CopyTo(new Span<byte>(&config, sizeof(Exports.NodeConfig)));
        if ((flags & 4) != 0)
        {
            config.Size = (uint)sizeof(Exports.NodeConfig);
        }

        byte[] path = MissingPath(reader.Bytes(reader.Byte()));
        nint node = 12345;
        int rc;
        fixed (byte* p = path)
        {
            rc = ((delegate* unmanaged<byte*, Exports.NodeConfig*, nint*, int>)(&Exports.NodeCreateEx))(
                (flags & 1) != 0 ? null : p, (flags & 2) != 0 ? null : &config, (flags & 8) != 0 ? null : &node);
        }

        CheckFailedCreate("ft_node_create_ex", rc, node, (flags & 8) != 0);
    }

    private void NodeCreate(ref FuzzInput reader)
    {
        byte flags = reader.Byte();
        uint nodeId = reader.UInt32();
        byte[] path = MissingPath(reader.Bytes(reader.Byte()));
        nint node = 12345;
        int rc;
        fixed (byte* p = path)
        {
            rc = ((delegate* unmanaged<byte*, uint, nint*, int>)(&Exports.NodeCreate))(
                (flags & 1) != 0 ? null : p, nodeId, (flags & 8) != 0 ? null : &node);
        }

        CheckFailedCreate("ft_node_create", rc, node, (flags & 8) != 0);
    }

    /// <summary>A NUL-terminated path that cannot exist: nothing on disk is read, created or bound.</summary>
    private static byte[] MissingPath(ReadOnlySpan<byte> tail)
    {
        byte[] path = new byte["/nonexistent-fasttotem-fuzz/"u8.Length + tail.Length + 1];
        "/nonexistent-fasttotem-fuzz/"u8.CopyTo(path);
        tail.CopyTo(path.AsSpan("/nonexistent-fasttotem-fuzz/"u8.Length));
        // A NUL inside the tail just ends the path early, as it would in C; '/', ".." and the like stay inside the
        // missing directory because the prefix is never shortened.
        return path;
    }

    private void CheckFailedCreate(string call, int rc, nint node, bool nodeNull)
    {
        if (rc is not (ErrInvalidArgument or ErrConfig))
        {
            throw new FuzzInvariantException($"{call} on a missing file or bad arguments returned {rc}");
        }

        if (!nodeNull && node != 0 && node != 12345)
        {
            throw new FuzzInvariantException($"{call} failed but left node handle {node}");
        }

        ExpectMessage(call);
    }

    /// <summary>
    /// What TotemNode's constructor validates before it binds sockets: the file, the local node, the transport
    /// options, the SRP timers and sizes, votequorum's votes. A broken file must be a CorosyncConfigException, which
    /// the C API turns into FT_ERR_CONFIG; anything else would reach the host as FT_ERR_INTERNAL.
    /// </summary>
    internal static void ValidateConfig(string text)
    {
        CorosyncConfig config;
        try
        {
            config = CorosyncConfig.Parse(text, "fuzz.conf");
        }
        catch (CorosyncConfigException)
        {
            return;
        }

        foreach (ConfigNode node in config.Nodes)
        {
            if (!IPAddress.TryParse(node.Ring0Address, out _))
            {
                return;
            }
        }

        uint nodeId = config.FindLocalNode(LocalAddresses)?.NodeId ?? (config.Nodes.Count > 0 ? config.Nodes[0].NodeId : 1);
        try
        {
            TransportOptions transport = TransportOptions.FromConfig(config, nodeId);
            Protocol.Srp.SrpConfig srp = SrpConfigFactory.Create(config, nodeId);
            VotequorumConfig.FromCorosyncConfig(config, nodeId);
            if (transport.LocalNodeId != nodeId || srp.NodeId != nodeId || srp.TokenMs <= 0)
            {
                throw new FuzzInvariantException($"config for node {nodeId} built as transport {transport.LocalNodeId}, srp {srp.NodeId}, token {srp.TokenMs}");
            }
        }
        catch (CorosyncConfigException)
        {
        }
    }

    private void HandleCall(ref FuzzInput reader)
    {
        byte which = reader.Byte();
        // Handles are 16 * n + 0x10000 in a table; forged ones near the real range and anywhere else.
        nint handle = (which & 0x80) != 0 ? (nint)(0x10000 + (16 * reader.UInt16())) : (nint)(long)reader.UInt32();
        int rc;
        fixed (byte* buffer = _buffer)
        fixed (uint* nodeIds = _nodeIds)
        fixed (uint* pids = _pids)
        {
            switch (which % 11)
            {
                case 0:
                    ReadOnlySpan<byte> data = reader.Bytes(reader.UInt16());
                    data.CopyTo(_buffer);
                    rc = ((delegate* unmanaged<nint, byte*, nuint, int>)(&Exports.GroupTryMcast))(handle, (which & 0x40) != 0 ? null : buffer, (nuint)data.Length);
                    break;
                case 1:
                    rc = (which & 0x40) != 0
                        ? ((delegate* unmanaged<nint, int>)(&Exports.GroupClose))(handle)
                        : ((delegate* unmanaged<nint, int>)(&Exports.GroupLeave))(handle);
                    break;
                case 2:
                    Exports.Delivery taken;
                    rc = ((delegate* unmanaged<nint, Exports.Delivery*, int>)(&Exports.GroupTake))(handle, (which & 0x40) != 0 ? null : &taken);
                    break;
                case 3:
                    var released = new Exports.Delivery { Data = buffer, Length = reader.UInt16(), Token = (ulong)reader.UInt32() << (reader.Byte() % 33) };
                    rc = ((delegate* unmanaged<nint, Exports.Delivery*, int>)(&Exports.GroupRelease))(handle, (which & 0x40) != 0 ? null : &released);
                    break;
                case 4:
                    rc = ((delegate* unmanaged<nint, uint, int>)(&Exports.GroupWait))(handle, reader.Byte());
                    break;
                case 5:
                    Exports.GroupStatistics stats;
                    rc = ((delegate* unmanaged<nint, Exports.GroupStatistics*, int>)(&Exports.GroupStats))(handle, (which & 0x40) != 0 ? null : &stats);
                    break;
                case 6:
                    int capacity = (sbyte)reader.Byte() % (_nodeIds.Length + 1);
                    rc = ((delegate* unmanaged<nint, uint*, uint*, int, int>)(&Exports.GroupMembers))(handle, (which & 0x40) != 0 ? null : nodeIds, pids, capacity);
                    break;
                case 7:
                    Exports.LoopInfo info;
                    rc = ((delegate* unmanaged<nint, Exports.LoopInfo*, int>)(&Exports.NodeLoopInfo))(handle, (which & 0x40) != 0 ? null : &info);
                    break;
                case 8:
                    uint id;
                    rc = ((delegate* unmanaged<nint, uint*, int>)(&Exports.NodeId))(handle, (which & 0x40) != 0 ? null : &id);
                    break;
                case 9:
                    ReadOnlySpan<byte> name = reader.Bytes(reader.Byte());
                    name.CopyTo(_buffer);
                    _buffer[name.Length] = 0;
                    nint group = 12345;
                    rc = ((delegate* unmanaged<nint, byte*, uint, nint*, int>)(&Exports.GroupJoin))(handle, (which & 0x40) != 0 ? null : buffer, 1, &group);
                    if (rc != 0 && group is not (0 or 12345))
                    {
                        throw new FuzzInvariantException($"ft_group_join failed ({rc}) but left group handle {group}");
                    }

                    break;
                default:
                    rc = (which & 0x40) != 0
                        ? ((delegate* unmanaged<nint, int>)(&Exports.NodeStart))(handle)
                        : ((delegate* unmanaged<nint, int>)(&Exports.NodeDestroy))(handle);
                    break;
            }
        }

        if (rc is not (ErrInvalidArgument or ErrInvalidHandle))
        {
            throw new FuzzInvariantException($"handle call {which % 11} on forged handle {handle} returned {rc}");
        }

        ExpectMessage($"handle call {which % 11}");
    }

    private void ExpectMessage(string call)
    {
        int length = ((delegate* unmanaged<byte*, nuint, int>)(&Exports.LastError))(null, 0);
        if (length <= 1)
        {
            throw new FuzzInvariantException($"{call} failed without a message for ft_last_error");
        }
    }

    private void LastError(int size)
    {
        _buffer.AsSpan().Fill(0xAA);
        int written;
        fixed (byte* buffer = _buffer)
        {
            written = ((delegate* unmanaged<byte*, nuint, int>)(&Exports.LastError))(buffer, (nuint)size);
        }

        // The result is the size the whole message needs (NUL included); what fits is copied and terminated.
        int needed = ((delegate* unmanaged<byte*, nuint, int>)(&Exports.LastError))(null, 0);
        int copied = size > 0 ? Array.IndexOf(_buffer, (byte)0, 0, size) : -1;
        if (written != needed || needed < 1 || (size > 0 && (copied < 0 || copied > needed - 1 || (needed <= size && copied != needed - 1)))
            || (size < _buffer.Length && _buffer[size] != 0xAA))
        {
            throw new FuzzInvariantException($"ft_last_error into {size} bytes returned {written}, needs {needed}, terminated at {copied} (size or bounds wrong)");
        }
    }
}
