namespace FastTotem.Protocol.Srp;

/// <summary>Membership state of the single-ring protocol (enum memb_state, totemsrp.c).</summary>
internal enum SrpState
{
    Operational,
    Gather,
    Commit,
    Recovery,
}
