using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using FastTotem.Hosting;
using FastTotem.Hosting.Config;
using FastTotem.Transport;

namespace FastTotem.Native;

/// <summary>
/// The C ABI of libfasttotem.so (native/include/fasttotem.h). Every export catches everything and returns an
/// error code: an exception escaping an [UnmanagedCallersOnly] method would abort the host. Handles are ids in
/// a table, so a stale or forged handle is an error code, never a crash.
/// </summary>
public static unsafe class Exports
{
    private const int Ok = 0;
    private const int ErrInvalidArgument = -1;
    private const int ErrInvalidHandle = -2;
    private const int ErrConfig = -3;
    private const int ErrTransport = -4;
    private const int ErrTryAgain = -5;
    private const int ErrTooLarge = -6;
    private const int ErrClosed = -7;
    private const int ErrTimeout = -8;
    private const int ErrInternal = -9;
    private const int ErrState = -10;

    private static readonly ConcurrentDictionary<nint, object> Handles = new();
    private static long _nextHandle;

    [ThreadStatic]
    private static string? _lastError;

    [UnmanagedCallersOnly(EntryPoint = "ft_api_version")]
    public static int ApiVersion() => 1;

    [UnmanagedCallersOnly(EntryPoint = "ft_node_create")]
    public static int NodeCreate(byte* configPath, uint nodeId, nint* node)
    {
        try
        {
            if (configPath == null || node == null)
            {
                return Fail(ErrInvalidArgument, "config_path and node must not be NULL");
            }

            *node = 0;
            string path = Marshal.PtrToStringUTF8((nint)configPath)!;
            TotemNode created = TotemNode.FromConfigFile(path, nodeId == 0 ? null : nodeId);
            *node = Register(new NodeState(created));
            return Ok;
        }
        catch (CorosyncConfigException e)
        {
            return Fail(ErrConfig, e.Message);
        }
        catch (TransportException e)
        {
            return Fail(ErrTransport, e.Message);
        }
        catch (Exception e)
        {
            return Fail(ErrInternal, e.Message);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "ft_node_start")]
    public static int NodeStart(nint node)
    {
        try
        {
            if (!TryGet(node, out NodeState? state))
            {
                return Fail(ErrInvalidHandle, "not a node handle");
            }

            state.Node.Start();
            return Ok;
        }
        catch (InvalidOperationException e)
        {
            return Fail(ErrState, e.Message);
        }
        catch (Exception e)
        {
            return Fail(ErrInternal, e.Message);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "ft_node_destroy")]
    public static int NodeDestroy(nint node)
    {
        try
        {
            if (!Handles.TryRemove(node, out object? o) || o is not NodeState state)
            {
                return Fail(ErrInvalidHandle, "not a node handle");
            }

            foreach (nint g in state.Groups)
            {
                Handles.TryRemove(g, out _);
            }

            state.Node.Dispose();
            return Ok;
        }
        catch (Exception e)
        {
            return Fail(ErrInternal, e.Message);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "ft_node_id")]
    public static int NodeId(nint node, uint* nodeId)
    {
        if (nodeId == null || !TryGet(node, out NodeState? state))
        {
            return Fail(ErrInvalidHandle, "not a node handle, or nodeid is NULL");
        }

        *nodeId = state.Node.NodeId;
        return Ok;
    }

    [UnmanagedCallersOnly(EntryPoint = "ft_group_join")]
    public static int GroupJoin(nint node, byte* name, uint timeoutMs, nint* group)
    {
        try
        {
            if (name == null || group == null)
            {
                return Fail(ErrInvalidArgument, "name and group must not be NULL");
            }

            *group = 0;
            if (!TryGet(node, out NodeState? state))
            {
                return Fail(ErrInvalidHandle, "not a node handle");
            }

            string groupName = Marshal.PtrToStringUTF8((nint)name)!;
            if (groupName.Length == 0 || Encoding.UTF8.GetByteCount(groupName) > 128)
            {
                return Fail(ErrInvalidArgument, "group names hold 1 to 128 bytes");
            }

            Task<ProcessGroup> join = state.Node.JoinGroupAsync(groupName, new ProcessGroupOptions { Delivery = DeliveryMode.Queue });
            if (!join.Wait(TimeSpan.FromMilliseconds(timeoutMs == 0 ? 30_000 : timeoutMs)))
            {
                return Fail(ErrTimeout, "the join was not confirmed in time");
            }

            var g = new GroupState(join.Result);
            *group = Register(g);
            state.Groups.Add(*group);
            return Ok;
        }
        catch (AggregateException e)
        {
            return Fail(ErrState, e.InnerException?.Message ?? e.Message);
        }
        catch (InvalidOperationException e)
        {
            return Fail(ErrState, e.Message);
        }
        catch (Exception e)
        {
            return Fail(ErrInternal, e.Message);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "ft_group_leave")]
    public static int GroupLeave(nint group)
    {
        try
        {
            if (!TryGet(group, out GroupState? g))
            {
                return Fail(ErrInvalidHandle, "not a group handle");
            }

            g.Group.Leave();
            return Ok;
        }
        catch (Exception e)
        {
            return Fail(ErrInternal, e.Message);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "ft_group_try_mcast")]
    public static int GroupTryMcast(nint group, byte* data, nuint length)
    {
        try
        {
            if (data == null && length != 0)
            {
                return Fail(ErrInvalidArgument, "data is NULL");
            }

            if (!TryGet(group, out GroupState? g))
            {
                return Fail(ErrInvalidHandle, "not a group handle");
            }

            if (length > int.MaxValue)
            {
                return Fail(ErrTooLarge, "message too large");
            }

            return g.Group.TryMulticast(new ReadOnlySpan<byte>(data, (int)length)) switch
            {
                SendResult.Ok => Ok,
                SendResult.TryAgain => ErrTryAgain,
                SendResult.TooLarge => Fail(ErrTooLarge, $"messages hold at most {g.Group.Options.MaxMessageSize} bytes"),
                _ => Fail(ErrClosed, "the group was left or the node stopped"),
            };
        }
        catch (Exception e)
        {
            return Fail(ErrInternal, e.Message);
        }
    }

    /// <summary>Hands up to <paramref name="max"/> waiting deliveries to <paramref name="deliver"/> on the calling thread; returns how many, or an error.</summary>
    [UnmanagedCallersOnly(EntryPoint = "ft_group_dispatch")]
    public static int GroupDispatch(nint group, delegate* unmanaged<void*, uint, uint, byte*, nuint, void> deliver, void* user, int max)
    {
        try
        {
            if (deliver == null || max <= 0)
            {
                return Fail(ErrInvalidArgument, "deliver must not be NULL and max must be positive");
            }

            if (!TryGet(group, out GroupState? g))
            {
                return Fail(ErrInvalidHandle, "not a group handle");
            }

            g.Callback = deliver;
            g.User = user;
            int count = 0;
            while (count < max && g.Group.TryReceive(g.Handler))
            {
                count++;
            }

            return count;
        }
        catch (Exception e)
        {
            return Fail(ErrInternal, e.Message);
        }
    }

    /// <summary>The members of the group as of its latest membership change: writes up to <paramref name="capacity"/> (nodeid, pid) pairs.</summary>
    [UnmanagedCallersOnly(EntryPoint = "ft_group_members")]
    public static int GroupMembers(nint group, uint* nodeIds, uint* pids, int capacity)
    {
        try
        {
            if (!TryGet(group, out GroupState? g))
            {
                return Fail(ErrInvalidHandle, "not a group handle");
            }

            GroupMember[] members = g.Group.Membership?.Members ?? Array.Empty<GroupMember>();
            if (capacity > 0 && (nodeIds == null || pids == null))
            {
                return Fail(ErrInvalidArgument, "nodeids and pids must not be NULL");
            }

            for (int i = 0; i < members.Length && i < capacity; i++)
            {
                nodeIds[i] = members[i].NodeId;
                pids[i] = members[i].Pid;
            }

            return members.Length;
        }
        catch (Exception e)
        {
            return Fail(ErrInternal, e.Message);
        }
    }

    /// <summary>A static description of an error code.</summary>
    [UnmanagedCallersOnly(EntryPoint = "ft_strerror")]
    public static byte* StrError(int code) => code switch
    {
        Ok => Utf8("success"),
        ErrInvalidArgument => Utf8("invalid argument"),
        ErrInvalidHandle => Utf8("invalid handle"),
        ErrConfig => Utf8("bad or unsupported corosync.conf"),
        ErrTransport => Utf8("socket setup failed"),
        ErrTryAgain => Utf8("try again: the send queue is full"),
        ErrTooLarge => Utf8("message too large"),
        ErrClosed => Utf8("closed"),
        ErrTimeout => Utf8("timed out"),
        ErrState => Utf8("not allowed in this state"),
        _ => Utf8("internal error"),
    };

    /// <summary>The detailed message of the last error on this thread (valid until the next call on this thread).</summary>
    [UnmanagedCallersOnly(EntryPoint = "ft_last_error")]
    public static int LastError(byte* buffer, nuint size)
    {
        try
        {
            string message = _lastError ?? "";
            if (buffer == null || size == 0)
            {
                return Encoding.UTF8.GetByteCount(message) + 1;
            }

            var destination = new Span<byte>(buffer, (int)Math.Min(size, int.MaxValue));
            int written = Encoding.UTF8.GetBytes(message.AsSpan(0, Math.Min(message.Length, destination.Length - 1)), destination);
            destination[Math.Min(written, destination.Length - 1)] = 0;
            return written;
        }
        catch
        {
            return ErrInternal;
        }
    }

    private static int Fail(int code, string message)
    {
        _lastError = message;
        return code;
    }

    private static nint Register(object o)
    {
        nint id = (nint)Interlocked.Increment(ref _nextHandle) * 16 + 0x10000;
        Handles[id] = o;
        return id;
    }

    private static bool TryGet<T>(nint handle, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out T? value)
        where T : class
    {
        value = Handles.TryGetValue(handle, out object? o) ? o as T : null;
        return value != null;
    }

    private static readonly ConcurrentDictionary<string, nint> Strings = new();

    private static byte* Utf8(string s) =>
        (byte*)Strings.GetOrAdd(s, static text =>
        {
            byte[] bytes = Encoding.UTF8.GetBytes(text + "\0");
            nint p = Marshal.AllocHGlobal(bytes.Length);
            Marshal.Copy(bytes, 0, p, bytes.Length);
            return p;
        });

    private sealed class NodeState(TotemNode node)
    {
        public TotemNode Node { get; } = node;

        public List<nint> Groups { get; } = new();
    }

    private sealed class GroupState
    {
        public GroupState(ProcessGroup group)
        {
            Group = group;
            Handler = Deliver;
        }

        public ProcessGroup Group { get; }

        public DeliverHandler Handler { get; }

        public delegate* unmanaged<void*, uint, uint, byte*, nuint, void> Callback;

        public void* User;

        private void Deliver(uint nodeId, uint pid, ReadOnlySpan<byte> data)
        {
            fixed (byte* p = data)
            {
                Callback(User, nodeId, pid, p, (nuint)data.Length);
            }
        }
    }
}
