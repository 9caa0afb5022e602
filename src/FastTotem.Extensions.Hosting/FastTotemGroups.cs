using System.Collections.Concurrent;

namespace FastTotem;

/// <summary>
/// The process groups the hosted service joined (<see cref="FastTotemOptions.Groups"/>), by name; injectable. Filled
/// when the host has started; emptied when it stops (each group left).
/// </summary>
public sealed class FastTotemGroups
{
    private readonly ConcurrentDictionary<string, ProcessGroup> _groups = new(StringComparer.Ordinal);

    /// <summary>The joined group <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">It is not configured, or the host has not started (or has stopped).</exception>
    public ProcessGroup this[string name] =>
        _groups.TryGetValue(name, out ProcessGroup? group)
            ? group
            : throw new KeyNotFoundException($"FastTotem: group '{name}' is not joined (list it in FastTotemOptions.Groups; it is joined when the host starts)");

    /// <summary>The names of the joined groups.</summary>
    public IReadOnlyCollection<string> Names => (IReadOnlyCollection<string>)_groups.Keys;

    /// <summary>The joined group <paramref name="name"/>, if it is.</summary>
    public bool TryGet(string name, out ProcessGroup? group) => _groups.TryGetValue(name, out group);

    internal void Add(ProcessGroup group) => _groups[group.Name] = group;

    internal IReadOnlyList<ProcessGroup> RemoveAll()
    {
        var all = new List<ProcessGroup>(_groups.Values);
        _groups.Clear();
        return all;
    }
}
