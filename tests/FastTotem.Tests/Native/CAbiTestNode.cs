using FastTotem.Native;

namespace FastTotem.Tests.Native;

/// <summary>
/// What the C ABI tests share: a one-node udpu corosync.conf on loopback in a directory of the test's own, and nodes
/// created from it through the exports, called through unmanaged function pointers exactly as C calls them.
/// </summary>
internal static unsafe class CAbiTestNode
{
    /// <summary>Writes <c>corosync.conf</c> for node 1 on 127.0.0.1 (udpu, token 1000 ms, state_dir
    /// <paramref name="dir"/>) and returns its path.</summary>
    public static string WriteConf(string dir, string clusterName, int port)
    {
        string conf = Path.Combine(dir, "corosync.conf");
        File.WriteAllText(conf,
            $"totem {{\n\tversion: 2\n\tcluster_name: {clusterName}\n\ttransport: udpu\n\ttoken: 1000\n" +
            $"\tinterface {{\n\t\tlinknumber: 0\n\t\tmcastport: {port}\n\t}}\n}}\n" +
            $"system {{\n\tstate_dir: {dir}\n}}\nnodelist {{\n\tnode {{\n\t\tnodeid: 1\n\t\tring0_addr: 127.0.0.1\n\t}}\n}}\n");
        return conf;
    }

    /// <summary><c>ft_node_create(conf, 1, &amp;node)</c>; asserts it succeeded.</summary>
    public static nint Create(string conf)
    {
        nint node = 0;
        byte[] path = System.Text.Encoding.UTF8.GetBytes(conf + "\0");
        fixed (byte* p = path)
        {
            Assert.Equal(0, ((delegate* unmanaged<byte*, uint, nint*, int>)(&Exports.NodeCreate))(p, 1, &node));
        }

        return node;
    }

    /// <summary><c>ft_node_create_ex(conf, &amp;config, &amp;node)</c>; asserts it succeeded.</summary>
    public static nint CreateEx(string conf, Exports.NodeConfig config)
    {
        nint node = 0;
        byte[] path = System.Text.Encoding.UTF8.GetBytes(conf + "\0");
        fixed (byte* p = path)
        {
            Assert.Equal(0, ((delegate* unmanaged<byte*, Exports.NodeConfig*, nint*, int>)(&Exports.NodeCreateEx))(p, &config, &node));
        }

        return node;
    }

    /// <summary>The calling thread's <c>ft_last_error</c> text.</summary>
    public static string LastError()
    {
        byte[] buffer = new byte[512];
        fixed (byte* b = buffer)
        {
            ((delegate* unmanaged<byte*, nuint, int>)(&Exports.LastError))(b, (nuint)buffer.Length);
        }

        return System.Text.Encoding.UTF8.GetString(buffer, 0, Math.Max(0, Array.IndexOf(buffer, (byte)0)));
    }
}
