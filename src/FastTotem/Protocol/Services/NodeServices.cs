using FastTotem.Protocol.Cpg;
using FastTotem.Protocol.Sync;

namespace FastTotem.Protocol.Services;

/// <summary>
/// The service participants a FastTotem node runs so that corosync 3.1.7 daemons accept it in sync: cmap (0),
/// cpg (2), quorum (3) and votequorum (5), sharing one <see cref="ExecOutbox"/>, with the group "a"
/// <see cref="ServiceDispatcher"/> wired to their exec handlers.
/// </summary>
/// <remarks>
/// Host loop, on the protocol thread: join <see cref="Dispatcher"/> to totempg group "a" and the sync engine to
/// group "sync"; call <see cref="RegisterWith"/> once; call <c>Votequorum.Start()</c> once when the node starts
/// (its nodeinfo precedes the first service_build, a#3); then after every input run <c>engine.PollProcess()</c>
/// and, after each call, drain <see cref="Outbox"/> into group "a" before taking the engine's messages for group
/// "sync". Services report a round done only after their messages left the outbox, so the barrier follows them.
/// </remarks>
internal sealed class NodeServices
{
    public NodeServices(uint nodeId, VotequorumConfig votequorum, CpgLimits? cpgLimits = null, ulong? configVersion = null, ExecOutbox? outbox = null,
        SyncPhase? phase = null)
    {
        ArgumentNullException.ThrowIfNull(votequorum);
        if (votequorum.NodeId != nodeId)
        {
            Invariant.ThrowArgumentOutOfRange(nameof(votequorum), "the votequorum config is for another node");
        }

        Outbox = outbox ?? new ExecOutbox();
        Cmap = new CmapSyncService(Outbox, configVersion);
        Cpg = new CpgService(nodeId, Outbox, cpgLimits, phase);
        Quorum = new QuorumSyncService();
        Votequorum = new VotequorumService(Outbox, votequorum);
        Dispatcher = new ServiceDispatcher();
        Dispatcher.Register(Cmap.ServiceId, Cmap);
        Dispatcher.Register(Cpg.ServiceId, Cpg);
        Dispatcher.Register(Votequorum.ServiceId, Votequorum);
        Dispatcher.Register(CfgWatch.ServiceIdValue, Cfg);
    }

    public ExecOutbox Outbox { get; }

    public CmapSyncService Cmap { get; }

    public CpgService Cpg { get; }

    public QuorumSyncService Quorum { get; }

    public VotequorumService Votequorum { get; }

    /// <summary>Watches cfg (service 1) for a live crypto change (corosync-cfgtool -R); not a sync participant.</summary>
    public CfgWatch Cfg { get; } = new();

    /// <summary>The group "a" instance: hand it every message of group "a" (IPgGroupHandler).</summary>
    public ServiceDispatcher Dispatcher { get; }

    /// <summary>Registers the four participants in id order, as a corosync daemon lists them ([0, 2, 3, 5]).</summary>
    public void RegisterWith(SyncEngine engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        engine.RegisterService(Cmap.ServiceId, Cmap, "corosync configuration map access");
        engine.RegisterService(Cpg.ServiceId, Cpg, "corosync cluster closed process group service v1.01");
        engine.RegisterService(Quorum.ServiceId, Quorum, "corosync cluster quorum service v0.1");
        engine.RegisterService(Votequorum.ServiceId, Votequorum, "corosync vote quorum service v1.0");
    }
}
