using FastTotem.Protocol.Services;

using FastTotem.Hosting;

namespace FastTotem;

public sealed partial class TotemNode
{
    private QuorumState _quorum = null!;
    private long _quorumChanges;
    private long _quorumSeenNodeInfo = -1;
    private long _quorumSeenNotifications = -1;

    /// <summary>
    /// The cluster's quorum as this node's votequorum computes it (what <c>corosync-quorumtool -s</c> shows on a
    /// daemon): quorate, the votes present and expected, the quorum, this node's votes and each member's. A snapshot,
    /// replaced (never changed) whenever a figure changes; any thread may read it.
    /// </summary>
    public QuorumState Quorum => Volatile.Read(ref _quorum);

    /// <summary>
    /// The quorum changed (quorate or not, votes, expected votes, quorum or the members): raised on the protocol
    /// thread with the new <see cref="Quorum"/>, like <see cref="RingChanged"/>; handlers must not block.
    /// </summary>
    public event Action<QuorumState>? QuorumChanged;

    /// <summary>How many times <see cref="Quorum"/> was replaced (a pollable change counter; the C API's).</summary>
    public long QuorumChanges => Interlocked.Read(ref _quorumChanges);

    /// <summary>The first snapshot, before the loop runs (votequorum already computed it: this node's vote alone).</summary>
    private void InitQuorum() => Volatile.Write(ref _quorum, ReadQuorum());

    /// <summary>
    /// Loop thread, every step: votequorum's figures only move when a nodeinfo is applied or a synchronisation
    /// activates, so two counters tell whether to look; a new snapshot is made only when something differs.
    /// </summary>
    private void CheckQuorum()
    {
        VotequorumService vq = _machine.Services.Votequorum;
        if (vq.ReceivedNodeInfo == _quorumSeenNodeInfo && vq.QuorumNotifications == _quorumSeenNotifications)
        {
            return;
        }

        _quorumSeenNodeInfo = vq.ReceivedNodeInfo;
        _quorumSeenNotifications = vq.QuorumNotifications;
        QuorumState next = ReadQuorum();
        QuorumState current = _quorum;
        if (Same(current, next))
        {
            return;
        }

        Volatile.Write(ref _quorum, next);
        Interlocked.Increment(ref _quorumChanges);
        try
        {
            QuorumChanged?.Invoke(next);
        }
        catch (Exception exception)
        {
            ReportHandlerFault(exception, nameof(QuorumChanged));
        }
    }

    private QuorumState ReadQuorum()
    {
        VotequorumService vq = _machine.Services.Votequorum;
        VotequorumStatus status = vq.GetStatus();
        // Before the first synchronisation the quorum ring is this node alone.
        ReadOnlySpan<uint> members = vq.QuorumMembers.IsEmpty ? new[] { NodeId } : vq.QuorumMembers;
        var list = new List<QuorumMember>(members.Length);

        foreach (uint id in members)
        {
            vq.TryGetNode(id, out uint votes, out _, out _, out _);
            list.Add(new QuorumMember(id, votes));
        }

        list.Sort(static (a, b) => a.NodeId.CompareTo(b.NodeId));
        vq.TryGetNode(NodeId, out uint ownVotes, out _, out _, out _);
        return new QuorumState(status.Quorate, status.ExpectedVotes, status.HighestExpected, status.TotalVotes, status.Quorum,
            ownVotes, list.AsReadOnly(), new RingId(vq.QuorumRingId));
    }

    private static bool Same(QuorumState a, QuorumState b) =>
        a.Quorate == b.Quorate && a.ExpectedVotes == b.ExpectedVotes && a.HighestExpected == b.HighestExpected
        && a.TotalVotes == b.TotalVotes && a.Quorum == b.Quorum && a.NodeVotes == b.NodeVotes && a.RingId == b.RingId
        && a.Members.SequenceEqual(b.Members);
}
