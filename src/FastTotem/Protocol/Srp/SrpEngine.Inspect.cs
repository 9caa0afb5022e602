namespace FastTotem.Protocol.Srp;

internal sealed partial class SrpEngine
{
    /// <summary>my_high_delivered: the highest seq delivered on the current ring (tests and the simulator read it).</summary>
    internal uint HighDelivered => _myHighDelivered;

    /// <summary>The token_seq of the last fresh token of our ring (tests and the simulator read it).</summary>
    internal uint LastTokenSeq => _myTokenSeq;
}
