using FastTotem.Wire;

namespace FastTotem.Sim;

/// <summary>One recorded event of a run, in global (virtual time, arrival) order. Process is -1 for notes.</summary>
internal sealed class SimRecord
{
    public long TimeNs;
    public int Index;
    public SimRecordKind Kind;
    public int Process;
    public uint NodeId;
    public MessageId Message;
    public uint SenderNodeId;
    public SimConfigKind ConfigKind;
    public MembRingId RingId;
    public uint[] Members = [];
    public uint[] Left = [];
    public uint[] Joined = [];
    public string? Note;

    public override string ToString()
    {
        string time = SimFormat.Time(TimeNs);
        return Kind switch
        {
            SimRecordKind.Start => $"{time} n{NodeId}#{Process} start",
            SimRecordKind.Crash => $"{time} n{NodeId}#{Process} crash",
            SimRecordKind.Multicast => $"{time} n{NodeId}#{Process} multicast {Message}",
            SimRecordKind.Deliver => $"{time} n{NodeId}#{Process} deliver {Message} (from n{SenderNodeId})",
            SimRecordKind.ConfigChange =>
                $"{time} n{NodeId}#{Process} {(ConfigKind == SimConfigKind.Regular ? "REGULAR" : "transitional")} ring {RingId} members [{string.Join(',', Members)}] left [{string.Join(',', Left)}] joined [{string.Join(',', Joined)}]",
            _ => $"{time} note: {Note}",
        };
    }
}
