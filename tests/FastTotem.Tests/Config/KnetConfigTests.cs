using FastTotem.Protocol.Knet;
using FastTotem.Protocol.Knet.Crypto;
using System.Net;
using FastTotem.Config;

namespace FastTotem.Tests.Config;

public class KnetConfigTests
{
    // The corosync.conf pcs writes for a two-node cluster, unchanged (hostnames in ring0_addr).
    private const string PcsConfig = """
        totem {
            version: 2
            cluster_name: mycluster
            cluster_uuid: 2fb1b8f3e9c84b3f8d2c1b0a9e8d7c6b
            transport: knet
            crypto_cipher: aes256
            crypto_hash: sha256
        }
        nodelist {
            node { ring0_addr: node1
                name: node1
                nodeid: 1 }
            node { ring0_addr: node2
                name: node2
                nodeid: 2 }
        }
        quorum { provider: corosync_votequorum
            two_node: 1 }
        logging { to_logfile: yes
            logfile: /var/log/cluster/corosync.log
            to_syslog: yes
            timestamp: on }
        """;

    private static string Nodes(int count, bool twoLinks = false, string address = "10.9.0.")
    {
        var s = new System.Text.StringBuilder("nodelist {\n");
        for (int i = 1; i <= count; i++)
        {
            s.Append($"\tnode {{\n\t\tname: n{i}\n\t\tnodeid: {i}\n\t\tring0_addr: {address}{i}\n");
            if (twoLinks)
            {
                s.Append($"\t\tring1_addr: 10.10.0.{i}\n");
            }

            s.Append("\t}\n");
        }

        return s.Append("}\n").ToString();
    }

    [Fact]
    public void ThePcsShapedConfigIsKnetWithAes256Sha256AndTheDefaultKeyFile()
    {
        CorosyncConfig c = CorosyncConfig.Parse(PcsConfig);
        Assert.Equal(TotemTransport.Knet, c.Transport);
        Assert.Equal("mycluster", c.ClusterName);
        Assert.Equal(new uint[] { 1, 2 }, c.NodeIds());
        Assert.Equal("node2", c.Nodes[1].Ring0Address);
        KnetConfig k = Assert.IsType<KnetConfig>(c.Knet);
        Assert.Equal(KnetCipher.Aes256, k.Cipher);
        Assert.Equal(KnetHash.Sha256, k.Hash);
        Assert.Equal(KnetCryptoModel.Nss, k.CryptoModel);
        Assert.Equal(KnetKeySource.DefaultFile, k.KeySource);
        Assert.Equal("/etc/corosync/authkey", k.KeyFile);
        Assert.Equal(KnetLinkMode.Passive, k.LinkMode);
        Assert.Equal(65536, c.NetMtu);
        Assert.False(k.NetMtuSet);
        KnetLinkConfig link = Assert.Single(k.Links);
        Assert.Equal(0, link.LinkNumber);
        Assert.Equal(5405, link.Port);
        Assert.Equal(1, link.Priority);
        Assert.Equal(750, link.PingIntervalMs);  // token 3000 / (2 × 2)
        Assert.Equal(1500, link.PingTimeoutMs);  // token 3000 / 2
        Assert.Equal(2048, link.PingPrecision);
        Assert.Equal(2, link.PongCount);
        Assert.Equal(30, k.PmtudIntervalS);
        Assert.Equal(0, k.KnetMtu);
        Assert.Equal(TotemIpVersion.Ipv6Then4, c.IpVersion);
    }

    [Theory]
    [InlineData("crypto_cipher: aes256\n\tcrypto_hash: sha256", 1397)]
    [InlineData("crypto_cipher: none", 1446)]
    [InlineData("crypto_cipher: aes128\n\tcrypto_hash: sha512", 1365)]
    [InlineData("netmtu: 9000", 9000)]
    public void OverKnetTheEngineStoresCorosyncs64KiBFramesButSendsOneKnetPacketsWorth(string lines, int sendMtu)
    {
        CorosyncConfig c = CorosyncConfig.Parse($"totem {{\n\t{lines}\n}}\n" + Nodes(3));
        FastTotem.Protocol.Srp.SrpConfig srp = SrpConfigFactory.Create(c, 1);
        Assert.Equal(lines.StartsWith("netmtu") ? 9000 : 65536, srp.NetMtu);
        Assert.Equal(sendMtu, srp.SendMtu);
        Assert.Equal(sendMtu - 90, srp.MaxPayload);
        var limits = new FastTotem.Protocol.Srp.SrpLimits(srp);
        Assert.Equal(srp.NetMtu, limits.FrameSizeMax);
        Assert.Equal(sendMtu - 90, limits.MaxPayload);
    }

    [Theory]
    [InlineData(2, null, 750, 1500)]   // docs/knet.md §8 (derived ping timers), capture a
    [InlineData(3, null, 912, 1825)]   // token 3650 after token_coefficient, capture b
    [InlineData(2, 1000, 250, 500)]
    [InlineData(4, 1000, 575, 1150)]   // 1000 + 2 × 650 = 2300
    public void PingTimersDeriveFromTheAdjustedToken(int nodes, int? token, int interval, int timeout)
    {
        string totem = "totem {\n" + (token is int t ? $"\ttoken: {t}\n" : "") + "}\n";
        KnetLinkConfig link = CorosyncConfig.Parse(totem + Nodes(nodes)).Knet!.Links[0];
        Assert.Equal(interval, link.PingIntervalMs);
        Assert.Equal(timeout, link.PingTimeoutMs);
    }

    [Fact]
    public void OnePingKeyLeavesTheOtherDerivedAndPongCountFeedsTheDerivation()
    {
        const string totem = "totem {\n\tinterface {\n\t\tlinknumber: 0\n\t\tknet_ping_interval: 100\n\t\tknet_pong_count: 3\n\t\tknet_ping_precision: 64\n\t}\n}\n";
        KnetLinkConfig link = CorosyncConfig.Parse(totem + Nodes(2)).Knet!.Links[0];
        Assert.Equal(100, link.PingIntervalMs);
        Assert.Equal(1000, link.PingTimeoutMs); // 3000 / 3
        Assert.Equal(3, link.PongCount);
        Assert.Equal(64, link.PingPrecision);
    }

    [Fact]
    public void TwoLinksWithInterfaceSectionsLinkModeAndPorts()
    {
        const string totem = """
            totem {
            	transport: knet
            	link_mode: active
            	knet_pmtud_interval: 10
            	knet_mtu: 1400
            	netmtu: 8000
            	interface {
            		linknumber: 0
            		knet_link_priority: 2
            	}
            	interface {
            		linknumber: 1
            		knet_link_priority: 1
            		mcastport: 6000
            		knet_ping_timeout: 4000
            		knet_transport: udp
            	}
            }

            """;
        CorosyncConfig c = CorosyncConfig.Parse(totem + Nodes(2, twoLinks: true));
        KnetConfig k = c.Knet!;
        Assert.Equal(KnetLinkMode.Active, k.LinkMode);
        Assert.Equal(10, k.PmtudIntervalS);
        Assert.Equal(1400, k.KnetMtu);
        Assert.Equal(8000, c.NetMtu);
        Assert.True(k.NetMtuSet);
        Assert.Equal(2, k.Links.Length);
        Assert.Equal((0, 5405, 2, 1500), (k.Links[0].LinkNumber, k.Links[0].Port, k.Links[0].Priority, k.Links[0].PingTimeoutMs));
        Assert.Equal((1, 6000, 1, 4000, 750), (k.Links[1].LinkNumber, k.Links[1].Port, k.Links[1].Priority, k.Links[1].PingTimeoutMs, k.Links[1].PingIntervalMs));
        Assert.Equal("10.10.0.2", c.Nodes[1].RingAddresses[1]);
        Assert.Null(c.Nodes[1].RingAddresses[2]);
        Assert.Null(k.Link(2));
        Assert.Equal(IPAddress.Parse("10.10.0.1"), Assert.Single(c.ResolveRing(c.Nodes[0], 1)));
        Assert.Empty(c.ResolveRing(c.Nodes[0], 3));
    }

    [Fact]
    public void LinkOneWithoutInterfaceSectionUsesPort5406()
    {
        KnetConfig k = CorosyncConfig.Parse("totem {\n}\n" + Nodes(2, twoLinks: true)).Knet!;
        Assert.Equal(5406, k.Link(1)!.Port);
        Assert.Equal(KnetLinkMode.Passive, k.LinkMode);
    }

    [Theory]
    [InlineData("secauth: on", KnetCipher.Aes256, KnetHash.Sha256)]
    [InlineData("secauth: off", KnetCipher.None, KnetHash.None)]
    [InlineData("secauth: on\n\tcrypto_cipher: aes128", KnetCipher.Aes128, KnetHash.Sha256)]
    [InlineData("crypto_cipher: aes192\n\tcrypto_hash: sha512\n\tcrypto_model: openssl", KnetCipher.Aes192, KnetHash.Sha512)]
    [InlineData("crypto_cipher: none\n\tcrypto_hash: none", KnetCipher.None, KnetHash.None)]
    public void CryptoSettingsFollowCorosyncsRules(string lines, object cipherArg, object hashArg)
    {
        KnetCipher cipher = (KnetCipher)cipherArg;
        KnetHash hash = (KnetHash)hashArg;
        KnetConfig k = CorosyncConfig.Parse($"totem {{\n\t{lines}\n}}\n" + Nodes(2)).Knet!;
        Assert.Equal(cipher, k.Cipher);
        Assert.Equal(hash, k.Hash);
        Assert.Equal(cipher != KnetCipher.None, k.CryptoEnabled);
    }

    [Fact]
    public void IPv6LiteralsAndHostNamesResolveAsCorosyncDoes()
    {
        CorosyncConfig c = CorosyncConfig.Parse("totem {\n}\n" + Nodes(2, address: "fd00:9::"));
        Assert.Equal(IPAddress.Parse("fd00:9::2"), Assert.Single(c.ResolveRing(c.Nodes[1], 0)));

        // ip_version defaults to ipv6-4 for knet: a name resolving to both families gives IPv6 first.
        CorosyncConfig named = CorosyncConfig.Parse("totem {\n}\nnodelist {\n\tnode {\n\t\tnodeid: 1\n\t\tring0_addr: localhost\n\t}\n}\n");
        IPAddress[] resolved = named.ResolveRing(named.Nodes[0], 0);
        Assert.NotEmpty(resolved);
        Assert.All(resolved, a => Assert.True(IPAddress.IsLoopback(a)));
        CorosyncConfig v4 = CorosyncConfig.Parse("totem {\n\tip_version: ipv4\n}\nnodelist {\n\tnode {\n\t\tnodeid: 1\n\t\tring0_addr: localhost\n\t}\n}\n");
        Assert.All(v4.ResolveRing(v4.Nodes[0], 0), a => Assert.Equal(System.Net.Sockets.AddressFamily.InterNetwork, a.AddressFamily));
    }

    [Fact]
    public void KeyFileIsReadRawFirst4096BytesAtLeast128()
    {
        string dir = Directory.CreateTempSubdirectory("ftknetkey").FullName;
        try
        {
            string good = Path.Combine(dir, "authkey");
            byte[] key = new byte[256];
            new Random(7).NextBytes(key);
            File.WriteAllBytes(good, key);
            KnetConfig k = CorosyncConfig.Parse($"totem {{\n\tsecauth: on\n\tkeyfile: {good}\n}}\n" + Nodes(2)).Knet!;
            Assert.Equal(KnetKeySource.KeyFile, k.KeySource);
            Assert.Equal(key, k.LoadKey());

            string big = Path.Combine(dir, "big");
            byte[] bigKey = new byte[5000];
            new Random(8).NextBytes(bigKey);
            File.WriteAllBytes(big, bigKey);
            byte[] loaded = CorosyncConfig.Parse($"totem {{\n\tsecauth: on\n\tkeyfile: {big}\n}}\n" + Nodes(2)).Knet!.LoadKey()!;
            Assert.Equal(bigKey.AsSpan(0, 4096).ToArray(), loaded);

            string small = Path.Combine(dir, "small");
            File.WriteAllBytes(small, new byte[127]);
            var e = Assert.Throws<CorosyncConfigException>(() => CorosyncConfig.Parse($"totem {{\n\tsecauth: on\n\tkeyfile: {small}\n}}\n" + Nodes(2)).Knet!.LoadKey());
            Assert.Contains("127 bytes", e.Message);
            Assert.Contains("at least 128", e.Message);

            var missing = Assert.Throws<CorosyncConfigException>(() => CorosyncConfig.Parse($"totem {{\n\tsecauth: on\n\tkeyfile: {dir}/nope\n}}\n" + Nodes(2)).Knet!.LoadKey());
            Assert.Contains("nope", missing.Message);

            // Crypto off: no key is read at all, even when the file does not exist.
            Assert.Null(CorosyncConfig.Parse($"totem {{\n\tkeyfile: {dir}/nope\n}}\n" + Nodes(2)).Knet!.LoadKey());
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void InlineKeyIsTheValuesBytes()
    {
        string inline = new string('k', 130);
        KnetConfig k = CorosyncConfig.Parse($"totem {{\n\tsecauth: on\n\tkey: {inline}\n}}\n" + Nodes(2)).Knet!;
        Assert.Equal(KnetKeySource.Inline, k.KeySource);
        Assert.Equal(System.Text.Encoding.ASCII.GetBytes(inline), k.LoadKey());
    }

    [Theory]
    [InlineData("totem {\n\tknet_compression_model: zlib\n}\n", 2, "knet_compression_model 'zlib'")]
    [InlineData("totem {\n\tcrypto_hash: sha256\n}\n", 2, "hash-only")]
    [InlineData("totem {\n\tcrypto_cipher: none\n\tcrypto_hash: sha1\n}\n", 3, "hash-only")]
    [InlineData("totem {\n\tcrypto_cipher: aes256\n}\n", 2, "crypto_cipher requires crypto_hash")]
    [InlineData("totem {\n\tcrypto_cipher: aes512\n\tcrypto_hash: sha256\n}\n", 2, "crypto_cipher 'aes512' is invalid")]
    [InlineData("totem {\n\tcrypto_cipher: aes256\n\tcrypto_hash: crc\n}\n", 3, "crypto_hash 'crc' is invalid")]
    [InlineData("totem {\n\tcrypto_model: gnutls\n}\n", 2, "crypto_model 'gnutls'")]
    [InlineData("totem {\n\tlink_mode: fastest\n}\n", 2, "link mode 'fastest'")]
    [InlineData("totem {\n\tinterface {\n\t\tknet_transport: sctp\n\t}\n}\n", 3, "knet_transport 'sctp'")]
    [InlineData("totem {\n\tinterface {\n\t\tknet_link_priority: 300\n\t}\n}\n", 3, "knet_link_priority")]
    [InlineData("totem {\n\tinterface {\n\t\tlinknumber: 8\n\t}\n}\n", 3, "linknumber")]
    [InlineData("totem {\n\tkey: short\n\tsecauth: on\n}\n", 2, "totem.key is too short")]
    [InlineData("totem {\n}\nnodelist {\n\tnode {\n\t\tnodeid: 65536\n\t\tring0_addr: 10.0.0.1\n\t}\n}\n", 5, "1 to 65535")]
    [InlineData("totem {\n}\nnodelist {\n\tnode {\n\t\tring0_addr: 10.0.0.1\n\t}\n}\n", 4, "explicit nodeid")]
    [InlineData("totem {\n}\nnodelist {\n\tnode {\n\t\tnodeid: 1\n\t\tring0_addr: 10.0.0.1\n\t\tring9_addr: 10.0.0.2\n\t}\n}\n", 7, "ring9_addr")]
    [InlineData("totem {\n}\nnodelist {\n\tnode {\n\t\tnodeid: 1\n\t\tring0_addr: 10.0.0.1\n\t\tring1_addr: 10.1.0.1\n\t}\n}\n", 4, "'name' attribute")]
    public void KnetRefusalsNameTheSettingAndLine(string text, int line, string messagePart)
    {
        if (!text.Contains("nodelist"))
        {
            text += Nodes(2);
        }

        CorosyncConfigException e = Assert.Throws<CorosyncConfigException>(() => CorosyncConfig.Parse(text, "k.conf"));
        Assert.Contains(messagePart, e.Message);
        Assert.Equal(line, e.Line);
        Assert.StartsWith($"k.conf:{line}: ", e.Message);
    }
}
