using System.Net;
using FastTotem.Config;

namespace FastTotem.Tests.Config;

public class CorosyncConfigTests
{
    // The lab configuration of the fixture captures (INDEX.md), verbatim but for paths.
    private const string LabConfig = """
        totem {
        	version: 2
        	cluster_name: fsalab
        	transport: udpu
        	crypto_cipher: none
        	crypto_hash: none
        	token: 1000
        }

        logging {
        	to_stderr: no
        	timestamp: hires
        	debug: on
        }

        quorum {
        	provider: corosync_votequorum
        }

        system {
        	state_dir: /tmp/lab/node1/state
        }

        nodelist {
        	node {
        		nodeid: 1
        		ring0_addr: 10.212.0.1
        	}
        	node {
        		nodeid: 2
        		ring0_addr: 10.212.0.2
        	}
        	node {
        		nodeid: 3
        		ring0_addr: 10.212.0.3
        		quorum_votes: 2
        		name: third
        	}
        }
        """;

    [Fact]
    public void ParsesTheLabConfiguration()
    {
        CorosyncConfig c = CorosyncConfig.Parse(LabConfig);
        Assert.Equal("fsalab", c.ClusterName);
        Assert.Equal(TotemTransport.Udpu, c.Transport);
        Assert.Equal(1000, c.TokenMs);
        Assert.Equal(1650, c.EffectiveTokenMs); // docs/wire-format.md §14: 1000 + 650 × (3 − 2)
        Assert.Equal(new uint[] { 1, 2, 3 }, c.NodeIds());
        Assert.Equal("10.212.0.3", c.Nodes[2].Ring0Address);
        Assert.Equal(2u, c.Nodes[2].QuorumVotes);
        Assert.Equal("third", c.Nodes[2].Name);
        Assert.Equal("corosync_votequorum", c.QuorumProvider);
        Assert.Equal("/tmp/lab/node1/state", c.StateDir);
        Assert.Equal(5405, c.McastPort);
        Assert.Null(c.ConsensusMs);
        Assert.Equal(TotemIpVersion.Ipv6Then4, c.IpVersion);
    }

    [Fact]
    public void TwoNodeTokenHasNoCoefficient()
    {
        string twoNodes = LabConfig.Replace("\tnode {\n\t\tnodeid: 3\n\t\tring0_addr: 10.212.0.3\n\t\tquorum_votes: 2\n\t\tname: third\n\t}\n", "");
        CorosyncConfig c = CorosyncConfig.Parse(twoNodes);
        Assert.Equal(2, c.Nodes.Count);
        Assert.Equal(1000, c.EffectiveTokenMs);
    }

    [Fact]
    public void FindsTheLocalNodeByAddress()
    {
        CorosyncConfig c = CorosyncConfig.Parse(LabConfig);
        ConfigNode? local = c.FindLocalNode(new[] { IPAddress.Loopback, IPAddress.Parse("10.212.0.2") });
        Assert.NotNull(local);
        Assert.Equal(2u, local.NodeId);
        Assert.Null(c.FindLocalNode(new[] { IPAddress.Parse("10.212.0.9") }));
    }

    [Theory]
    [InlineData("totem {\n\tversion: 2\n\ttoken: 1000\n}\n", 1, "transport knet needs a nodelist")]
    [InlineData("totem {\n\ttransport: knet\n}\n", 1, "transport knet needs a nodelist")]
    [InlineData("totem {\n\ttransport: udpu\n\tcrypto_cipher: aes256\n}\n", 3, "only valid for the knet transport")]
    [InlineData("totem {\n\ttransport: udpu\n\ttoken: fast\n}\n", 3, "whole number")]
    [InlineData("totem {\n\ttransport: udpu\n\tthis is not valid\n}\n", 3, "not a section")]
    [InlineData("totem {\n\ttransport: udpu\n", 1, "missing closing brace")]
    [InlineData("totem {\n\ttransport: udpu\n}\n}\n", 4, "unexpected closing brace")]
    [InlineData("totem {\n\ttransport: udpu\n\tinterface {\n\t\tlinknumber: 1\n\t}\n}\n", 4, "link 1")]
    [InlineData("totem {\n\ttransport: udpu\n}\nnodelist {\n\tnode {\n\t\tnodeid: 1\n\t\tring0_addr: 10.0.0.1\n\t\tring1_addr: 10.1.0.1\n\t}\n}\n", 8, "ring1_addr")]
    [InlineData("totem {\n\ttransport: udpu\n}\nnodelist {\n\tnode {\n\t\tring0_addr: 10.0.0.1\n\t}\n}\n", 5, "nodeid")]
    [InlineData("totem {\n\ttransport: udpu\n}\nnodelist {\n\tnode {\n\t\tnodeid: 1\n\t\tring0_addr: a\n\t}\n\tnode {\n\t\tnodeid: 1\n\t\tring0_addr: b\n\t}\n}\n", 10, "used twice")]
    [InlineData("totem {\n\ttransport: udp\n\tinterface {\n\t\tmcastaddr: 10.0.0.1\n\t}\n}\n", 4, "not a multicast")]
    [InlineData("totem {\n\ttransport: udpu\n}\nsystem {\n\tsched_rr: maybe\n}\nnodelist {\n\tnode {\n\t\tnodeid: 1\n\t\tring0_addr: 10.0.0.1\n\t}\n}\n", 5, "yes or no")]
    public void BrokenOrUnsupportedConfigsNameTheLineAndTheFix(string text, int line, string messagePart)
    {
        CorosyncConfigException e = Assert.Throws<CorosyncConfigException>(() => CorosyncConfig.Parse(text, "test.conf"));
        Assert.Equal(line, e.Line);
        Assert.Contains(messagePart, e.Message);
        Assert.StartsWith($"test.conf:{line}: ", e.Message);
    }

    [Theory]
    [InlineData("", false)]
    [InlineData("system {\n\tsched_rr: yes\n}\n", true)]
    [InlineData("system {\n\tsched_rr: no\n}\n", false)]
    [InlineData("system {\n\tsched_rr: off\n}\n", false)]
    public void SchedRrIsOptIn(string system, bool expected) =>
        Assert.Equal(expected, CorosyncConfig.Parse("totem {\n\ttransport: udpu\n}\nnodelist {\n\tnode {\n\t\tnodeid: 1\n\t\tring0_addr: 10.0.0.1\n\t}\n}\n" + system).SchedRr);

    [Fact]
    public void UdpDerivesTheMulticastGroupFromTheClusterName()
    {
        // cluster id of "ab" = ('a' << 1) + 'b' = 194 + 98 = 292 → 239.192.(292 >> 8).(292 % 255) = 239.192.1.37.
        CorosyncConfig c = CorosyncConfig.Parse("totem {\n\ttransport: udp\n\tcluster_name: ab\n}\n");
        Assert.Equal(TotemTransport.Udp, c.Transport);
        Assert.Equal(TotemIpVersion.Ipv4, c.IpVersion);
        Assert.Equal(IPAddress.Parse("239.192.1.37"), c.McastAddress);
        Assert.Equal(IPAddress.Parse("ff15::124"), CorosyncConfig.DefaultMcastAddress("ab", TotemIpVersion.Ipv6));
    }

    [Fact]
    public void ExplicitMulticastSettingsWin()
    {
        CorosyncConfig c = CorosyncConfig.Parse("totem {\n\ttransport: udp\n\tinterface {\n\t\tlinknumber: 0\n\t\tmcastaddr: 239.1.2.3\n\t\tmcastport: 6000\n\t\tttl: 4\n\t}\n}\n");
        Assert.Equal(IPAddress.Parse("239.1.2.3"), c.McastAddress);
        Assert.Equal(6000, c.McastPort);
        Assert.Equal(4, c.Ttl);
    }
}

public class SrpConfigFactoryTests
{
    [Theory]
    // docs/wire-format.md §14, measured with corosync-cmapctl on real 3.1.7 daemons.
    [InlineData(2, null, 3000, 714, 561, 3600)]
    [InlineData(3, null, 3650, 869, 685, 4380)]
    [InlineData(2, 1000, 1000, 238, 180, 1200)]
    [InlineData(3, 1000, 1650, 392, 303, 1980)]
    public void DerivesTimersLikeCorosync(int nodes, int? token, int tokenMs, int retransmitMs, int holdMs, int consensusMs)
    {
        var text = new System.Text.StringBuilder("totem {\n\ttransport: udpu\n");
        if (token is int t)
        {
            text.Append($"\ttoken: {t}\n");
        }

        text.Append("}\nnodelist {\n");
        for (int i = 1; i <= nodes; i++)
        {
            text.Append($"\tnode {{\n\t\tnodeid: {i}\n\t\tring0_addr: 10.0.0.{i}\n\t}}\n");
        }

        text.Append("}\n");
        var srp = FastTotem.Config.SrpConfigFactory.Create(CorosyncConfig.Parse(text.ToString()), 1);
        Assert.Equal(tokenMs, srp.TokenMs);
        Assert.Equal(retransmitMs, srp.TokenRetransmitMs);
        Assert.Equal(holdMs, srp.HoldMs);
        Assert.Equal(consensusMs, srp.ConsensusMs);
        Assert.Equal(50, srp.JoinMs);
        Assert.Equal(200, srp.MergeMs);
        Assert.Equal(50, srp.WindowSize);
        Assert.Equal(17, srp.MaxMessages);
    }

    [Fact]
    public void ExplicitKeysOverrideDerivedOnes()
    {
        var c = CorosyncConfig.Parse("totem {\n\ttransport: udpu\n\ttoken: 2000\n\tconsensus: 5000\n\twindow_size: 100\n\tmax_messages: 25\n\tjoin: 60\n}\nnodelist {\n\tnode {\n\t\tnodeid: 1\n\t\tring0_addr: 10.0.0.1\n\t}\n}\n");
        var srp = FastTotem.Config.SrpConfigFactory.Create(c, 1);
        Assert.Equal(2000, srp.TokenMs);
        Assert.Equal(5000, srp.ConsensusMs);
        Assert.Equal(100, srp.WindowSize);
        Assert.Equal(25, srp.MaxMessages);
        Assert.Equal(60, srp.JoinMs);
    }
}

public class ConfigHardeningTests
{
    private static string Conf(string totemExtra, string transport = "udpu") =>
        $"totem {{\n\ttransport: {transport}\n\tcluster_name: c\n{totemExtra}}}\nnodelist {{\n\tnode {{\n\t\tnodeid: 1\n\t\tring0_addr: 127.0.0.1\n\t}}\n\tnode {{\n\t\tnodeid: 2\n\t\tring0_addr: 127.0.0.2\n\t}}\n}}\n";

    /// <summary>docs/robustness.md, finding M1: block_unlisted_ips was never read (always on). corosync applies it to udpu only.</summary>
    [Theory]
    [InlineData("", "udpu", true)]
    [InlineData("\tblock_unlisted_ips: yes\n", "udpu", true)]
    [InlineData("\tblock_unlisted_ips: no\n", "udpu", false)]
    [InlineData("", "udp", false)]
    public void BlockUnlistedIpsIsReadAsCorosyncDocumentsIt(string extra, string transport, bool expected)
    {
        var c = CorosyncConfig.Parse(Conf(extra, transport));
        Assert.Equal(expected, FastTotem.Transport.TransportOptions.FromConfig(c, 1).BlockUnlistedIps);
    }

    /// <summary>The identity-binding switch (docs/robustness.md) reaches the engine; on unless set to no.</summary>
    [Theory]
    [InlineData("", true)]
    [InlineData("\tfasttotem_bind_identity: no\n", false)]
    public void BindIdentityIsOnByDefault(string extra, bool expected) =>
        Assert.Equal(expected, SrpConfigFactory.Create(CorosyncConfig.Parse(Conf(extra)), 1).BindIdentity);

    /// <summary>The accelerated ring's switch (docs/accelerated-ring.md) reaches the engine; off unless set; a bad value names its line.</summary>
    [Theory]
    [InlineData("", false)]
    [InlineData("\tfasttotem_accelerated: on\n", true)]
    [InlineData("\tfasttotem_accelerated: yes\n", true)]
    [InlineData("\tfasttotem_accelerated: off\n", false)]
    public void AcceleratedRingIsOffByDefault(string extra, bool expected) =>
        Assert.Equal(expected, SrpConfigFactory.Create(CorosyncConfig.Parse(Conf(extra)), 1).Accelerated);

    [Fact]
    public void AcceleratedRingRefusesABadValue()
    {
        var e = Assert.Throws<CorosyncConfigException>(() => CorosyncConfig.Parse(Conf("\tfasttotem_accelerated: fast\n")));
        Assert.Contains("fasttotem_accelerated", e.Message);
    }

    /// <summary>
    /// docs/robustness.md, finding M2: timers are validated as corosync's totem_volatile_config_validate does (30 ms minimum, hold
    /// 14 ms, consensus not below join): a derived token_retransmit of 0 or a negative hold gave a busy timer loop.
    /// </summary>
    [Theory]
    [InlineData("\ttoken_retransmits_before_loss_const: 1000000\n", "Not appropriate token or token_retransmits_before_loss_const")]
    [InlineData("\ttoken_retransmit: 20\n", "token retransmit timeout")]
    [InlineData("\thold: 5\n", "token hold timeout")]
    [InlineData("\tjoin: 10\n", "join timeout")]
    [InlineData("\tconsensus: 20\n", "consensus timeout")]
    [InlineData("\tjoin: 100\n\tconsensus: 60\n", "may not be less than join timeout")]
    [InlineData("\tmerge: 1\n", "merge timeout")]
    [InlineData("\tdowncheck: 1\n", "downcheck timeout")]
    public void TimersAreValidatedAsCorosyncDoes(string extra, string messagePart)
    {
        var e = Assert.Throws<CorosyncConfigException>(() => SrpConfigFactory.Create(CorosyncConfig.Parse(Conf(extra)), 1));
        Assert.Contains(messagePart, e.Message);
    }

    /// <summary>The engine refuses timers that would spin its loop, whoever built the SrpConfig.</summary>
    [Fact]
    public void EngineRefusesZeroTimers()
    {
        var srp = FastTotem.Protocol.Srp.SrpConfig.CorosyncDefaults(1, [1, 2]) with { TokenRetransmitMs = 0 };
        Assert.ThrowsAny<ArgumentException>(() => new FastTotem.Protocol.Srp.SrpEngine(srp, new FastTotem.Protocol.Srp.MemoryRingSeqStore()));
        srp = FastTotem.Protocol.Srp.SrpConfig.CorosyncDefaults(1, [1, 2]) with { HoldMs = -4 };
        Assert.ThrowsAny<ArgumentException>(() => new FastTotem.Protocol.Srp.SrpEngine(srp, new FastTotem.Protocol.Srp.MemoryRingSeqStore()));
    }

    /// <summary>docs/robustness.md, finding M1: bindnetaddr was read and silently unused; like corosync, the nodelist wins, with a warning.</summary>
    [Fact]
    public void BindNetAddressWithANodelistWarns()
    {
        string text = Conf("\tinterface {\n\t\tbindnetaddr: 10.9.9.0\n\t}\n");
        Assert.Contains(CorosyncConfig.Parse(text).Warnings, w => w.Contains("bindnetaddr '10.9.9.0' is ignored"));
        Assert.Empty(CorosyncConfig.Parse(Conf("")).Warnings);
    }
}
