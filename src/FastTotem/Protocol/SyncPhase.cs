using FastTotem.Wire;

namespace FastTotem.Protocol;

/// <summary>
/// The one answer to "are we synchronising?" for a node: every layer that behaves differently during a
/// synchronisation reads it here instead of keeping its own flag in step by hand (the last two real bugs lived in
/// such a seam). The node machine's engine creates it and the machine hands it to totempg, sync and CPG.
/// <para>
/// corosync keeps three facts, changed at three moments of different layers, and so does this object; each
/// moment has one method, called by the layer corosync calls it from:
/// </para>
/// <list type="table">
/// <item><term><see cref="RegularLaneHeld"/></term><description>totemsrp's waiting_trans_ack: set when the SRP engine
/// installs a ring (<see cref="RingInstalled"/>, memb_state_operational_enter), cleared by the acknowledgement of that
/// very ring (<see cref="TransAck"/>). The engine sends only its transitional lane while it is set.</description></item>
/// <item><term><see cref="TotempgWaitingTransAck"/></term><description>totempg's copy of it: set just before the regular
/// configuration reaches the services (<see cref="RegularConfigurationDelivered"/>, totempg_waiting_trans_ack_cb(1)
/// after the old ring's messages), cleared by any acknowledgement. totempg reassembles in its transitional buffers and
/// packs on the transitional lane while it is set.</description></item>
/// <item><term><see cref="SyncInProgress"/></term><description>main.c's sync_in_process: set by every configuration
/// change (<see cref="ConfigurationChanged"/>), cleared when sync v2 completes (<see cref="SyncCompleted"/>). CPG
/// refuses local requests while it is set.</description></item>
/// </list>
/// Between inputs the facts are ordered (<see cref="CheckInvariants"/>): totempg never waits on a lane the engine
/// already opened, and never outside a synchronisation.
/// </summary>
internal sealed class SyncPhase
{
    /// <summary>A node's phase at start-up: corosync starts waiting for its first synchronisation.</summary>
    public SyncPhase()
        : this(synchronising: true)
    {
    }

    private SyncPhase(bool synchronising)
    {
        RegularLaneHeld = synchronising;
        TotempgWaitingTransAck = synchronising;
        SyncInProgress = synchronising;
    }

    /// <summary>
    /// A phase with no synchronisation running, for a layer used on its own (unit tests and tools that drive
    /// totempg or CPG without a node around them); a node machine never uses it.
    /// </summary>
    public static SyncPhase Idle() => new(synchronising: false);

    /// <summary>The ring the SRP engine installed last (zero before the first).</summary>
    public MembRingId InstalledRing { get; private set; }

    /// <summary>totemsrp's waiting_trans_ack: the engine holds its regular lane.</summary>
    public bool RegularLaneHeld { get; private set; }

    /// <summary>totempg's waiting_trans_ack: reassembly and packing use the transitional side.</summary>
    public bool TotempgWaitingTransAck { get; private set; }

    /// <summary>main.c's sync_in_process: a synchronisation runs; CPG answers local requests with TryAgain.</summary>
    public bool SyncInProgress { get; private set; }

    /// <summary>Rings installed.</summary>
    public long Installs { get; private set; }

    /// <summary>Synchronisations started while one was still running (sync_abort).</summary>
    public long Aborts { get; private set; }

    /// <summary>Synchronisations completed.</summary>
    public long Completions { get; private set; }

    /// <summary>Acknowledgements of a ring that is no longer the engine's, which leave its lane held.</summary>
    public long StaleAcks { get; private set; }

    /// <summary>The SRP engine installed <paramref name="ring"/> (memb_state_operational_enter): hold the regular lane.</summary>
    public void RingInstalled(MembRingId ring)
    {
        InstalledRing = ring;
        RegularLaneHeld = true;
        Installs++;
    }

    /// <summary>
    /// A configuration change reaches sync (main.c confchg_fn). Returns true when a synchronisation was still running:
    /// the caller aborts it.
    /// </summary>
    public bool ConfigurationChanged()
    {
        bool running = SyncInProgress;
        SyncInProgress = true;
        if (running)
        {
            Aborts++;
        }

        return running;
    }

    /// <summary>
    /// The regular configuration is about to reach the services (totempg_waiting_trans_ack_cb(1)). Returns true when
    /// totempg was not waiting before: what the services queued until now is regular traffic of the old ring.
    /// </summary>
    public bool RegularConfigurationDelivered()
    {
        bool wasOpen = !TotempgWaitingTransAck;
        TotempgWaitingTransAck = true;
        return wasOpen;
    }

    /// <summary>sync v2 finished its last service (corosync_sync_completed: sync_in_process = 0).</summary>
    public void SyncCompleted()
    {
        SyncInProgress = false;
        Completions++;
    }

    /// <summary>
    /// totempg_trans_ack → totemsrp_trans_ack: totempg leaves its transitional side; the engine opens its regular lane
    /// only when the synchronised ring is still its own (<paramref name="ringIsCurrent"/>, which the engine decides).
    /// Returns whether the lane opened.
    /// </summary>
    public bool TransAck(bool ringIsCurrent)
    {
        TotempgWaitingTransAck = false;
        if (!ringIsCurrent)
        {
            StaleAcks++;
            return false;
        }

        RegularLaneHeld = false;
        return true;
    }

    /// <summary>The facts' order, true between inputs; a node machine checks it after every input.</summary>
    public void CheckInvariants()
    {
        Invariant.That(!TotempgWaitingTransAck || RegularLaneHeld, "totempg waits for a trans ack only while the engine holds its regular lane");
        Invariant.That(!TotempgWaitingTransAck || SyncInProgress, "totempg waits for a trans ack only during a synchronisation");
    }
}
