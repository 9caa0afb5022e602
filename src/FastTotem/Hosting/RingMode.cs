namespace FastTotem;

/// <summary>How the ring passes its token (docs/accelerated-ring.md).</summary>
public enum RingMode
{
    /// <summary>As corosync does: the token leaves after the visit's multicasts. Always the case while any member is a
    /// corosync daemon, while the ring re-forms and until its synchronisation completes.</summary>
    Standard,

    /// <summary>Every member is a FastTotem node with the accelerated ring on: the token leaves ahead of the visit's new
    /// multicasts.</summary>
    Accelerated,
}
