using FastTotem.Cli.Bench;

namespace FastTotem.Interop;

/// <summary>
/// Proves the harness on its own: two real corosync 3.1.7 daemons in lab namespaces form a ring,
/// synchronise, and are seen by corosync's own tools; then everything is cleaned up.
/// </summary>
public class HarnessTests
{
    [SkippableFact]
    public void TwoCorosyncDaemonsFormARingInTheLab()
    {
        Prerequisites.Require();
        string[] namespacesBefore;
        string labPrefix;
        using (var lab = new NetLab())
        {
            labPrefix = lab.SwitchNamespace[..^"sw".Length];
            LabNode a = lab.AddHost(1);
            LabNode b = lab.AddHost(2);
            lab.CorosyncConf(a, new[] { 1, 2 });
            lab.CorosyncConf(b, new[] { 1, 2 });
            lab.StartCorosync(a);
            lab.StartCorosync(b);

            Assert.True(NetLab.WaitForLog(a, @"Members\[2\]: 1 2", TimeSpan.FromSeconds(15)), "node 1 never saw a 2-member ring");
            Assert.True(NetLab.WaitForLog(b, @"Completed service synchronization", TimeSpan.FromSeconds(15)), "node 2 never completed sync");

            string quorum = lab.Exec(a, "corosync-quorumtool", "-l");
            Assert.Matches(@"(?m)^\s+1\s+1\s", quorum);
            Assert.Matches(@"(?m)^\s+2\s+1\s", quorum);
            string members = lab.Exec(b, "corosync-cmapctl", "-g", "runtime.members.1.status");
            Assert.Contains("joined", members);
            namespacesBefore = Shell.Run("ip", "netns", "list").Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Contains(namespacesBefore, l => l.StartsWith(a.Namespace, StringComparison.Ordinal));
        }

        string after = Shell.Run("ip", "netns", "list");
        foreach (string line in namespacesBefore)
        {
            string name = line.Split(' ')[0];
            // Only this lab's namespaces: a benchmark or another lab may be running next to the test.
            if (name == labPrefix + "sw" || name.StartsWith(labPrefix + "n", StringComparison.Ordinal))
            {
                Assert.DoesNotContain(name, after);
            }
        }
    }
}
