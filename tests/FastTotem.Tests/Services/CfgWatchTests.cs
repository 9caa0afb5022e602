using System.Buffers.Binary;
using FastTotem.Protocol.Cpg;
using FastTotem.Protocol.Services;

namespace FastTotem.Tests.Services;

/// <summary>cfg's CRYPTO_RECONFIG (corosync-cfgtool -R with a new authkey or crypto setting) is recognised; nothing else of cfg is.</summary>
public class CfgWatchTests
{
    /// <summary>struct req_exec_cfg_crypto_reconfig as cfg.c multicasts it: qb header (id, size), then phase at offset 16.</summary>
    private static byte[] CryptoReconfig(uint phase, bool bigEndian = false, int function = 4, int length = 24)
    {
        var message = new byte[length];
        int id = (1 << 16) | function;
        if (bigEndian)
        {
            BinaryPrimitives.WriteInt32BigEndian(message, id);
            BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(4), 24);
            if (length >= 20)
            {
                BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(16), phase);
            }
        }
        else
        {
            BinaryPrimitives.WriteInt32LittleEndian(message, id);
            BinaryPrimitives.WriteInt32LittleEndian(message.AsSpan(4), 24);
            if (length >= 20)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(16), phase);
            }
        }

        return message;
    }

    [Fact]
    public void PhaseOneIsReportedOnceWithTheFirstSender()
    {
        var cfg = new CfgWatch();
        Assert.False(cfg.TakeCryptoReconfig(out _));
        cfg.HandleExec(2, CryptoReconfig(1), foreignEndian: false);
        cfg.HandleExec(1, CryptoReconfig(1), foreignEndian: false);
        Assert.True(cfg.TakeCryptoReconfig(out uint from));
        Assert.Equal(2u, from);
        Assert.False(cfg.TakeCryptoReconfig(out _));
        Assert.Equal(2, cfg.CryptoReconfigActivations);
    }

    [Fact]
    public void CleanupPhaseOtherFunctionsAndShortMessagesAreNotAChange()
    {
        var cfg = new CfgWatch();
        cfg.HandleExec(1, CryptoReconfig(2), foreignEndian: false);          // phase 2, CLEANUP
        cfg.HandleExec(1, CryptoReconfig(1, function: 3), foreignEndian: false); // RELOAD_CONFIG
        cfg.HandleExec(1, CryptoReconfig(1, length: 18), foreignEndian: false);  // too short for its phase
        cfg.HandleExec(1, new byte[7], foreignEndian: false);                   // not even a header
        Assert.False(cfg.TakeCryptoReconfig(out _));
        Assert.Equal(2, cfg.OtherMessages);
        Assert.Equal(1, cfg.MalformedDrops);
    }

    [Fact]
    public void AForeignEndianSenderIsRead()
    {
        var cfg = new CfgWatch();
        cfg.HandleExec(3, CryptoReconfig(1, bigEndian: true), foreignEndian: true);
        Assert.True(cfg.TakeCryptoReconfig(out uint from));
        Assert.Equal(3u, from);
    }

    [Fact]
    public void TheNodesGroupADispatcherHandsCfgMessagesToTheWatch()
    {
        var services = new NodeServices(1, VotequorumConfig.FromNodelist(1, [1, 2], [1, 1]), new CpgLimits());
        services.Dispatcher.OnGroupMessage(2, CryptoReconfig(1), foreignEndian: false);
        Assert.Equal(0, services.Dispatcher.UnknownServiceDrops);
        Assert.True(services.Cfg.TakeCryptoReconfig(out uint from));
        Assert.Equal(2u, from);
    }
}
