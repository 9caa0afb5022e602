using FastTotem.Wire;

namespace FastTotem.Protocol.Cpg;

/// <summary>
/// The group names CPG currently knows, each with a reference count (processes, local handles and partial
/// reassemblies that name it). A slot is reused once its count drops to zero. Lookups compare a hash first, then
/// the bytes, as mar_name_compare compares length and bytes.
/// </summary>
internal sealed class CpgGroupTable
{
    private readonly byte[] _names;
    private readonly int[] _lengths;
    private readonly uint[] _hashes;
    private readonly int[] _refs;
    private readonly int[] _free;
    private int _freeCount;
    private int _highWater;

    public CpgGroupTable(int capacity)
    {
        _names = new byte[capacity * MarCpgName.ValueMax];
        _lengths = new int[capacity];
        _hashes = new uint[capacity];
        _refs = new int[capacity];
        _free = new int[capacity];
    }

    public int Capacity => _lengths.Length;

    public ReadOnlySpan<byte> Name(int group) => _names.AsSpan(group * MarCpgName.ValueMax, _lengths[group]);

    public int Find(ReadOnlySpan<byte> name)
    {
        uint hash = Hash(name);
        for (int g = 0; g < _highWater; g++)
        {
            if (_refs[g] > 0 && _hashes[g] == hash && _lengths[g] == name.Length && Name(g).SequenceEqual(name))
            {
                return g;
            }
        }

        return -1;
    }

    /// <summary>The group for <paramref name="name"/> with one more reference, created if needed; -1 when full.</summary>
    public int Acquire(ReadOnlySpan<byte> name)
    {
        int group = Find(name);
        if (group < 0)
        {
            if (_freeCount > 0)
            {
                group = _free[--_freeCount];
            }
            else if (_highWater < _lengths.Length)
            {
                group = _highWater++;
            }
            else
            {
                return -1;
            }

            name.CopyTo(_names.AsSpan(group * MarCpgName.ValueMax));
            _lengths[group] = name.Length;
            _hashes[group] = Hash(name);
        }

        _refs[group]++;
        return group;
    }

    public void AddRef(int group) => _refs[group]++;

    public void Release(int group)
    {
        if (--_refs[group] == 0)
        {
            _free[_freeCount++] = group;
        }
    }

    /// <summary>Orders groups by name bytes, shorter first on a common prefix (strcmp on the names, as corosync's qb_map).</summary>
    public int Compare(int a, int b) => Name(a).SequenceCompareTo(Name(b));

    private static uint Hash(ReadOnlySpan<byte> name)
    {
        uint hash = 2166136261;
        foreach (byte b in name)
        {
            hash = (hash ^ b) * 16777619;
        }

        return hash;
    }
}
