using FastTotem.Wire;

namespace FastTotem.Protocol.Pg;

/// <summary>
/// Local group membership of totempg (totempg_groups_initialize / _join / _leave, group_matches and
/// app_deliver_fn in totempg.c). Each local instance (the sync engine, the service dispatcher, …) joins named
/// groups; a received message is handed to every instance that joined at least one of the names in its group
/// header, with the header stripped. Joining and leaving happen on the control plane and may allocate;
/// delivery does not.
/// </summary>
internal sealed class PgGroups : IPgMessageSink
{
    /// <summary>Most local instances.</summary>
    public const int InstanceCountMax = 64;

    private readonly Instance[] _instances = new Instance[InstanceCountMax];
    private int _instanceCount;

    /// <summary>Messages whose group header did not parse.</summary>
    public long MalformedDrops { get; private set; }

    /// <summary>Messages no local instance had joined a group of.</summary>
    public long UnmatchedMessages { get; private set; }

    /// <summary>Adds a local instance; returns its handle for <see cref="Join"/>, <see cref="Leave"/> and <see cref="JoinedGroups"/>.</summary>
    public int AddInstance(IPgGroupHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        if (_instanceCount == InstanceCountMax)
        {
            Invariant.ThrowInvalidOperation("too many totempg group instances");
        }

        _instances[_instanceCount] = new Instance(handler);
        return _instanceCount++;
    }

    /// <summary>Joins <paramref name="name"/> locally; joining a name twice is a no-op.</summary>
    public void Join(int instance, ReadOnlySpan<byte> name)
    {
        Instance i = Get(instance);
        if (name.Length > ushort.MaxValue)
        {
            Invariant.ThrowArgumentOutOfRange(nameof(name), "a group name length must fit in 16 bits");
        }

        if (i.IndexOf(name) >= 0)
        {
            return;
        }

        if (i.Names.Count == PgGroupHeader.GroupsPerMessageMax)
        {
            Invariant.ThrowInvalidOperation("an instance joins at most 32 groups");
        }

        i.Names.Add(name.ToArray());
        i.Joined = new PgGroupSet([.. i.Names]);
    }

    /// <summary>
    /// Leaves <paramref name="name"/> locally. (corosync's totempg_groups_leave does nothing; leaving here
    /// really stops delivery of that group to this instance.)
    /// </summary>
    public void Leave(int instance, ReadOnlySpan<byte> name)
    {
        Instance i = Get(instance);
        int index = i.IndexOf(name);
        if (index < 0)
        {
            return;
        }

        i.Names.RemoveAt(index);
        i.Joined = new PgGroupSet([.. i.Names]);
    }

    /// <summary>The groups the instance has joined, in join order: what totempg_groups_mcast_joined sends to.</summary>
    public PgGroupSet JoinedGroups(int instance) => Get(instance).Joined;

    /// <summary>Delivers a complete totempg message to the matching local instances.</summary>
    public void OnMessage(uint nodeId, ReadOnlySpan<byte> message, bool foreignEndian)
    {
        if (PgGroupHeader.TryParse(message, foreignEndian, out PgGroupHeaderView header) != WireError.None)
        {
            MalformedDrops++;
            return;
        }

        bool delivered = false;
        for (int k = 0; k < _instanceCount; k++)
        {
            Instance instance = _instances[k];
            foreach (byte[] name in instance.Names)
            {
                if (header.Contains(name))
                {
                    instance.Handler.OnGroupMessage(nodeId, header.Payload, foreignEndian);
                    delivered = true;
                    break;
                }
            }
        }

        if (!delivered)
        {
            UnmatchedMessages++;
        }
    }

    private Instance Get(int instance)
    {
        if ((uint)instance >= (uint)_instanceCount)
        {
            Invariant.ThrowArgumentOutOfRange(nameof(instance), "unknown group instance");
        }

        return _instances[instance];
    }

    private sealed class Instance(IPgGroupHandler handler)
    {
        public IPgGroupHandler Handler { get; } = handler;

        public List<byte[]> Names { get; } = new(PgGroupHeader.GroupsPerMessageMax);

        public PgGroupSet Joined { get; set; } = new PgGroupSet(Array.Empty<byte[]>());

        public int IndexOf(ReadOnlySpan<byte> name)
        {
            for (int i = 0; i < Names.Count; i++)
            {
                if (name.SequenceEqual(Names[i]))
                {
                    return i;
                }
            }

            return -1;
        }
    }
}
