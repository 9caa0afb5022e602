namespace FastTotem.Protocol.Cpg;

/// <summary>
/// Every process CPG knows, cluster-wide (process_info_list in cpg.c), kept sorted by (nodeid, pid) as
/// do_proc_join inserts, a new entry going after equal keys. Fixed capacity; an insert into a full table fails.
/// </summary>
internal sealed class CpgProcessTable
{
    private readonly uint[] _nodeIds;
    private readonly uint[] _pids;
    private readonly int[] _groups;

    public CpgProcessTable(int capacity)
    {
        _nodeIds = new uint[capacity];
        _pids = new uint[capacity];
        _groups = new int[capacity];
    }

    public int Count { get; private set; }

    public uint NodeId(int index) => _nodeIds[index];

    public uint Pid(int index) => _pids[index];

    public int Group(int index) => _groups[index];

    public int IndexOf(uint nodeId, uint pid, int group)
    {
        for (int i = 0; i < Count; i++)
        {
            if (_nodeIds[i] == nodeId && _pids[i] == pid && _groups[i] == group)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>True when <paramref name="nodeId"/> has any process in <paramref name="group"/> (the "known node" check).</summary>
    public bool HasNodeInGroup(uint nodeId, int group)
    {
        for (int i = 0; i < Count; i++)
        {
            if (_nodeIds[i] == nodeId && _groups[i] == group)
            {
                return true;
            }
        }

        return false;
    }

    public bool Insert(uint nodeId, uint pid, int group)
    {
        if (Count == _nodeIds.Length)
        {
            return false;
        }

        int at = Count;
        for (int i = 0; i < Count; i++)
        {
            if (_nodeIds[i] > nodeId || (_nodeIds[i] == nodeId && _pids[i] > pid))
            {
                at = i;
                break;
            }
        }

        int tail = Count - at;
        _nodeIds.AsSpan(at, tail).CopyTo(_nodeIds.AsSpan(at + 1));
        _pids.AsSpan(at, tail).CopyTo(_pids.AsSpan(at + 1));
        _groups.AsSpan(at, tail).CopyTo(_groups.AsSpan(at + 1));
        _nodeIds[at] = nodeId;
        _pids[at] = pid;
        _groups[at] = group;
        Count++;
        return true;
    }

    public void RemoveAt(int index)
    {
        int tail = Count - index - 1;
        _nodeIds.AsSpan(index + 1, tail).CopyTo(_nodeIds.AsSpan(index));
        _pids.AsSpan(index + 1, tail).CopyTo(_pids.AsSpan(index));
        _groups.AsSpan(index + 1, tail).CopyTo(_groups.AsSpan(index));
        Count--;
    }
}
