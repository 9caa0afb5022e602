using FastTotem.Cli.Bench;

namespace FastTotem.Lab;

/// <summary>
/// The one network-namespace plumbing of the lab, used by the bench (<see cref="BenchLab"/>) and by the interop
/// tests (<see cref="NetLab"/>): a switch namespace holding a bridge, host namespaces each joined to it by a veth
/// pair, and the deletion of exactly the namespaces made here, newest first.
/// </summary>
internal sealed class NamespaceNetwork
{
    private readonly List<string> _namespaces = new();

    /// <summary>Creates <paramref name="switchNamespace"/> with bridge br0, up.</summary>
    public NamespaceNetwork(string switchNamespace)
    {
        SwitchNamespace = switchNamespace;
        Shell.Run("ip", "netns", "add", switchNamespace);
        _namespaces.Add(switchNamespace);
        try
        {
            AddBridge("br0");
        }
        catch
        {
            Delete();
            throw;
        }
    }

    public string SwitchNamespace { get; }

    /// <summary>Another bridge in the switch namespace (a second knet link's network).</summary>
    public void AddBridge(string bridge)
    {
        Shell.Run("ip", "-n", SwitchNamespace, "link", "add", bridge, "type", "bridge");
        Shell.Run("ip", "-n", SwitchNamespace, "link", "set", bridge, "up");
    }

    /// <summary>Creates namespace <paramref name="ns"/> with loopback up; it is deleted with the network.</summary>
    public void AddNamespace(string ns)
    {
        Shell.Run("ip", "netns", "add", ns);
        _namespaces.Add(ns);
        Shell.Run("ip", "-n", ns, "link", "set", "lo", "up");
    }

    /// <summary>
    /// A veth pair: <paramref name="hostInterface"/> in <paramref name="ns"/> (renamed to <paramref name="renameTo"/>
    /// when given), its peer <paramref name="switchPort"/> on <paramref name="bridge"/>; both up, with the addresses.
    /// Returns the interface's name in the host namespace.
    /// </summary>
    public string Connect(string ns, string hostInterface, string switchPort, string bridge = "br0", string? renameTo = null, params string[] addresses)
    {
        Shell.Run("ip", "link", "add", hostInterface, "netns", ns, "type", "veth", "peer", "name", switchPort, "netns", SwitchNamespace);
        Shell.Run("ip", "-n", SwitchNamespace, "link", "set", switchPort, "master", bridge, "up");
        string name = hostInterface;
        if (renameTo != null)
        {
            Shell.Run("ip", "-n", ns, "link", "set", hostInterface, "name", renameTo);
            name = renameTo;
        }

        foreach (string address in addresses)
        {
            // IPv6 without duplicate address detection, so the address is usable at once.
            if (address.Contains(':', StringComparison.Ordinal))
            {
                Shell.Run("ip", "-n", ns, "addr", "add", address, "dev", name, "nodad");
            }
            else
            {
                Shell.Run("ip", "-n", ns, "addr", "add", address, "dev", name);
            }
        }

        Shell.Run("ip", "-n", ns, "link", "set", name, "up");
        return name;
    }

    /// <summary>Deletes every namespace made here, newest first (the hosts, then the switch).</summary>
    public void Delete()
    {
        for (int i = _namespaces.Count - 1; i >= 0; i--)
        {
            Shell.TryRun("ip", "netns", "del", _namespaces[i]);
        }

        _namespaces.Clear();
    }
}
