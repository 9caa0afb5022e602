using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FastTotem.Wire;

namespace FastTotem.Tests.Wire;

/// <summary>Sizes and offsets of every service-layer wire struct against docs/wire-format.md §7–§13.</summary>
public class ServiceWireLayoutTests
{
    private static int Off<T>(string field) => (int)Marshal.OffsetOf<T>(field);

    [Fact]
    public void TotempgAndExecHeaders()
    {
        Assert.Equal(8, Unsafe.SizeOf<PgMcastHeader>());
        Assert.Equal(0, Off<PgMcastHeader>(nameof(PgMcastHeader.Version)));
        Assert.Equal(2, Off<PgMcastHeader>(nameof(PgMcastHeader.Type)));
        Assert.Equal(4, Off<PgMcastHeader>(nameof(PgMcastHeader.Fragmented)));
        Assert.Equal(5, Off<PgMcastHeader>(nameof(PgMcastHeader.Continuation)));
        Assert.Equal(6, Off<PgMcastHeader>(nameof(PgMcastHeader.MsgCount)));

        Assert.Equal(16, Unsafe.SizeOf<QbIpcRequestHeader>());
        Assert.Equal(0, Off<QbIpcRequestHeader>(nameof(QbIpcRequestHeader.Id)));
        Assert.Equal(8, Off<QbIpcRequestHeader>(nameof(QbIpcRequestHeader.MessageSize)));

        Assert.Equal(24, Unsafe.SizeOf<QbIpcResponseHeader>());
        Assert.Equal(0, Off<QbIpcResponseHeader>(nameof(QbIpcResponseHeader.Id)));
        Assert.Equal(8, Off<QbIpcResponseHeader>(nameof(QbIpcResponseHeader.MessageSize)));
        Assert.Equal(16, Off<QbIpcResponseHeader>(nameof(QbIpcResponseHeader.Error)));
    }

    [Fact]
    public void SyncMessages()
    {
        Assert.Equal(552, Unsafe.SizeOf<SyncServiceBuildMessage>());
        Assert.Equal(512, Unsafe.SizeOf<SyncServiceList>());
        Assert.Equal(16, Off<SyncServiceBuildMessage>(nameof(SyncServiceBuildMessage.RingId)));
        Assert.Equal(32, Off<SyncServiceBuildMessage>(nameof(SyncServiceBuildMessage.ServiceListEntries)));
        Assert.Equal(40, Off<SyncServiceBuildMessage>(nameof(SyncServiceBuildMessage.ServiceList)));

        Assert.Equal(32, Unsafe.SizeOf<SyncBarrierMessage>());
        Assert.Equal(16, Off<SyncBarrierMessage>(nameof(SyncBarrierMessage.RingId)));
    }

    [Fact]
    public void CpgMessages()
    {
        Assert.Equal(136, Unsafe.SizeOf<MarCpgName>());
        Assert.Equal(8, Off<MarCpgName>(nameof(MarCpgName.Value)));
        Assert.Equal(128, Unsafe.SizeOf<MarCpgNameValue>());

        Assert.Equal(16, Unsafe.SizeOf<MarMessageSource>());
        Assert.Equal(8, Off<MarMessageSource>(nameof(MarMessageSource.Conn)));

        Assert.Equal(168, Unsafe.SizeOf<CpgProcJoinMessage>());
        Assert.Equal(16, Off<CpgProcJoinMessage>(nameof(CpgProcJoinMessage.GroupName)));
        Assert.Equal(152, Off<CpgProcJoinMessage>(nameof(CpgProcJoinMessage.Pid)));
        Assert.Equal(160, Off<CpgProcJoinMessage>(nameof(CpgProcJoinMessage.Reason)));

        Assert.Equal(184, Unsafe.SizeOf<CpgMcastMessage>());
        Assert.Equal(152, Off<CpgMcastMessage>(nameof(CpgMcastMessage.MsgLen)));
        Assert.Equal(160, Off<CpgMcastMessage>(nameof(CpgMcastMessage.Pid)));
        Assert.Equal(168, Off<CpgMcastMessage>(nameof(CpgMcastMessage.Source)));

        Assert.Equal(200, Unsafe.SizeOf<CpgPartialMcastMessage>());
        Assert.Equal(152, Off<CpgPartialMcastMessage>(nameof(CpgPartialMcastMessage.MsgLen)));
        Assert.Equal(160, Off<CpgPartialMcastMessage>(nameof(CpgPartialMcastMessage.FragLen)));
        Assert.Equal(168, Off<CpgPartialMcastMessage>(nameof(CpgPartialMcastMessage.Pid)));
        Assert.Equal(176, Off<CpgPartialMcastMessage>(nameof(CpgPartialMcastMessage.Type)));
        Assert.Equal(184, Off<CpgPartialMcastMessage>(nameof(CpgPartialMcastMessage.Source)));

        Assert.Equal(1568, Unsafe.SizeOf<CpgDownlistMessage>());
        Assert.Equal(1536, Unsafe.SizeOf<CpgNodeIdList>());
        Assert.Equal(16, Off<CpgDownlistMessage>(nameof(CpgDownlistMessage.OldMembers)));
        Assert.Equal(24, Off<CpgDownlistMessage>(nameof(CpgDownlistMessage.LeftNodes)));
        Assert.Equal(32, Off<CpgDownlistMessage>(nameof(CpgDownlistMessage.NodeIds)));

        Assert.Equal(1560, Unsafe.SizeOf<CpgDownlistOldMessage>());
        Assert.Equal(16, Off<CpgDownlistOldMessage>(nameof(CpgDownlistOldMessage.LeftNodes)));
        Assert.Equal(24, Off<CpgDownlistOldMessage>(nameof(CpgDownlistOldMessage.NodeIds)));

        Assert.Equal(144, Unsafe.SizeOf<CpgJoinListEntry>());
        Assert.Equal(8, Off<CpgJoinListEntry>(nameof(CpgJoinListEntry.GroupName)));
    }

    [Fact]
    public void VotequorumAndCmapMessages()
    {
        Assert.Equal(32, Unsafe.SizeOf<VotequorumNodeInfoMessage>());
        Assert.Equal(16, Off<VotequorumNodeInfoMessage>(nameof(VotequorumNodeInfoMessage.NodeId)));
        Assert.Equal(20, Off<VotequorumNodeInfoMessage>(nameof(VotequorumNodeInfoMessage.Votes)));
        Assert.Equal(24, Off<VotequorumNodeInfoMessage>(nameof(VotequorumNodeInfoMessage.ExpectedVotes)));
        Assert.Equal(28, Off<VotequorumNodeInfoMessage>(nameof(VotequorumNodeInfoMessage.Flags)));

        Assert.Equal(32, Unsafe.SizeOf<VotequorumReconfigureMessage>());
        Assert.Equal(16, Off<VotequorumReconfigureMessage>(nameof(VotequorumReconfigureMessage.NodeId)));
        Assert.Equal(20, Off<VotequorumReconfigureMessage>(nameof(VotequorumReconfigureMessage.Value)));
        Assert.Equal(24, Off<VotequorumReconfigureMessage>(nameof(VotequorumReconfigureMessage.Param)));

        Assert.Equal(280, Unsafe.SizeOf<VotequorumQdeviceRegMessage>());
        Assert.Equal(16, Off<VotequorumQdeviceRegMessage>(nameof(VotequorumQdeviceRegMessage.Operation)));
        Assert.Equal(20, Off<VotequorumQdeviceRegMessage>(nameof(VotequorumQdeviceRegMessage.Name)));

        Assert.Equal(528, Unsafe.SizeOf<VotequorumQdeviceReconfigureMessage>());
        Assert.Equal(16, Off<VotequorumQdeviceReconfigureMessage>(nameof(VotequorumQdeviceReconfigureMessage.OldName)));
        Assert.Equal(271, Off<VotequorumQdeviceReconfigureMessage>(nameof(VotequorumQdeviceReconfigureMessage.NewName)));

        Assert.Equal(48, Unsafe.SizeOf<CmapMcastHeader>());
        Assert.Equal(16, Off<CmapMcastHeader>(nameof(CmapMcastHeader.Reason)));
        Assert.Equal(24, Off<CmapMcastHeader>(nameof(CmapMcastHeader.NoItems)));
        Assert.Equal(32, Off<CmapMcastHeader>(nameof(CmapMcastHeader.Reserved1)));
        Assert.Equal(40, Off<CmapMcastHeader>(nameof(CmapMcastHeader.Reserved2)));

        Assert.Equal(280, Unsafe.SizeOf<CmapMcastItemHeader>());
        Assert.Equal(0, Off<CmapMcastItemHeader>(nameof(CmapMcastItemHeader.KeyLength)));
        Assert.Equal(8, Off<CmapMcastItemHeader>(nameof(CmapMcastItemHeader.KeyName)));
        Assert.Equal(264, Off<CmapMcastItemHeader>(nameof(CmapMcastItemHeader.ValueType)));
        Assert.Equal(272, Off<CmapMcastItemHeader>(nameof(CmapMcastItemHeader.ValueLength)));
        Assert.Equal(328, CmapMcastHeader.Size + CmapMcastItemHeader.AlignedLength(0));
        Assert.Equal(296, CmapMcastItemHeader.AlignedLength(9));
    }
}
