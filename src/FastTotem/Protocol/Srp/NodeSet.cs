namespace FastTotem.Protocol.Srp;

/// <summary>
/// A fixed-capacity list of nodeids in insertion order (corosync's srp_addr arrays with their entry counts).
/// Order matters on the wire: join lists keep insertion order. Capacity is PROCESSOR_COUNT_MAX.
/// </summary>
internal sealed class NodeSet
{
    private readonly uint[] _items;

    public NodeSet(int capacity) => _items = new uint[capacity];

    public int Count { get; private set; }

    public ReadOnlySpan<uint> Span => _items.AsSpan(0, Count);

    public void Clear() => Count = 0;

    public bool Contains(uint node) => _items.AsSpan(0, Count).Contains(node);

    /// <summary>Adds the node unless present (memb_set_merge of one). Full sets ignore the add.</summary>
    public void Add(uint node)
    {
        if (Contains(node) || Count == _items.Length)
        {
            return;
        }

        _items[Count++] = node;
    }

    /// <summary>memb_set_merge: appends each node of <paramref name="nodes"/> not yet present.</summary>
    public void Merge(ReadOnlySpan<uint> nodes)
    {
        for (int i = 0; i < nodes.Length; i++)
        {
            Add(nodes[i]);
        }
    }

    public void CopyFrom(ReadOnlySpan<uint> nodes)
    {
        int n = Math.Min(nodes.Length, _items.Length);
        nodes[..n].CopyTo(_items);
        Count = n;
    }

    /// <summary>memb_set_subtract: this = <paramref name="one"/> minus <paramref name="two"/>, keeping order.</summary>
    public void SetDifference(ReadOnlySpan<uint> one, ReadOnlySpan<uint> two)
    {
        Count = 0;
        for (int i = 0; i < one.Length; i++)
        {
            if (!two.Contains(one[i]) && Count < _items.Length)
            {
                _items[Count++] = one[i];
            }
        }
    }

    /// <summary>memb_set_equal: same members, in any order.</summary>
    public static bool SetEqual(ReadOnlySpan<uint> a, ReadOnlySpan<uint> b)
    {
        if (a.Length != b.Length)
        {
            return false;
        }

        for (int i = 0; i < b.Length; i++)
        {
            if (!a.Contains(b[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>memb_set_subset: every member of <paramref name="subset"/> is in <paramref name="full"/>.</summary>
    public static bool IsSubset(ReadOnlySpan<uint> subset, ReadOnlySpan<uint> full)
    {
        if (subset.Length > full.Length)
        {
            return false;
        }

        for (int i = 0; i < subset.Length; i++)
        {
            if (!full.Contains(subset[i]))
            {
                return false;
            }
        }

        return true;
    }
}
