using System.Text;

namespace FastTotem.Cli.Bench;

/// <summary>
/// The corosync.conf of a bench node. FastTotem nodes and corosync daemons get the same totem section (shipped
/// defaults: token 3000, window_size 50, max_messages 17, no crypto), so the comparison is like for like; only
/// corosync gets logging, and the "norr" series adds <c>system { sched_rr: no }</c>.
/// </summary>
internal static class BenchConfig
{
    /// <summary>The totem options the bench uses, printed with the results.</summary>
    public static string TotemSummary(BenchSettings settings) =>
        settings.WindowSize is null && settings.MaxMessages is null && settings.NetMtu is null
            ? "udpu, token 3000 ms, window_size 50, max_messages 17, netmtu 1500 (defaults of both), no crypto"
            : $"udpu, token 3000 ms, window_size {settings.WindowSize ?? 50}, max_messages {settings.MaxMessages ?? 17}, netmtu {settings.NetMtu ?? 1500} (tuned, the same for both), no crypto";

    /// <summary>The knet systems' totem options, printed with their table.</summary>
    public const string KnetSummary =
        "knet, one link, link_mode passive, token 3000 ms, window_size 50, max_messages 17, netmtu unset (each side's own knet default), crypto none or aes256/sha256 with one 256-byte authkey";

    /// <summary>The one authkey of a bench run (256 random bytes, as corosync-keygen writes), shared by every knet node.</summary>
    public static string AuthKey(BenchLab lab)
    {
        string path = Path.Combine(lab.Root, "authkey");
        if (!File.Exists(path))
        {
            File.WriteAllBytes(path, System.Security.Cryptography.RandomNumberGenerator.GetBytes(256));
        }

        return path;
    }

    /// <param name="knet">Null: udpu (the main comparison). False: knet without crypto. True: knet with aes256/sha256.</param>
    public static string Write(BenchLab lab, int self, int nodes, bool corosync, bool schedRr, BenchSettings? settings = null, bool? knet = null)
    {
        string dir = lab.HostDir(self);
        string state = Path.Combine(dir, corosync ? "state-corosync" : "state-fasttotem");
        Directory.CreateDirectory(state);
        var sb = new StringBuilder();
        sb.Append($"totem {{\n\tversion: 2\n\tcluster_name: ftbench\n\ttransport: {(knet is null ? "udpu" : "knet")}\n");
        sb.Append(knet == true
            ? $"\tcrypto_cipher: aes256\n\tcrypto_hash: sha256\n\tkeyfile: {AuthKey(lab)}\n\ttoken: 3000\n"
            : "\tcrypto_cipher: none\n\tcrypto_hash: none\n\ttoken: 3000\n");
        if (settings?.WindowSize is int window)
        {
            sb.Append($"\twindow_size: {window}\n");
        }

        if (settings?.NetMtu is int mtu && knet is null)
        {
            sb.Append($"\tnetmtu: {mtu}\n");
        }

        if (settings?.MaxMessages is int max)
        {
            sb.Append($"\tmax_messages: {max}\n");
        }

        sb.Append("}\n\n");
        if (corosync)
        {
            sb.Append($"logging {{\n\tto_stderr: no\n\tto_syslog: no\n\tto_logfile: yes\n\tlogfile: {Path.Combine(dir, "corosync.log")}\n\ttimestamp: hires\n\tdebug: off\n}}\n\n");
            sb.Append("quorum {\n\tprovider: corosync_votequorum\n}\n\n");
        }

        sb.Append($"system {{\n\tstate_dir: {state}\n");
        if (corosync && !schedRr)
        {
            sb.Append("\tsched_rr: no\n");
        }

        sb.Append("}\n\nnodelist {\n");
        for (int n = 1; n <= nodes; n++)
        {
            sb.Append($"\tnode {{\n\t\tnodeid: {n}\n\t\tring0_addr: {lab.Address(n)}\n\t}}\n");
        }

        sb.Append("}\n");
        string suffix = knet switch { null => "", false => "-knet", true => "-knet-aes256" };
        string path = Path.Combine(dir, (corosync ? (schedRr ? "corosync" : "corosync-norr") : "fasttotem") + suffix + ".conf");
        File.WriteAllText(path, sb.ToString());
        return path;
    }
}
