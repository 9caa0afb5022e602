using FastTotem.Wire;

namespace FastTotem.Protocol.Srp;

/// <summary>
/// What an observer of a running ring knows about one of its operational members: enough to start an engine as
/// that member without having watched the ring form (capture replays whose ring formed before the capture began).
/// Internal: a real node never joins a ring this way; it always goes through GATHER, COMMIT and RECOVERY.
/// </summary>
internal sealed class SrpSeedState
{
    /// <summary>The installed ring (ring_id of the tokens).</summary>
    public MembRingId RingId { get; init; }

    /// <summary>my_memb_list in ring order (the commit token's sorted order); the token goes to our successor.</summary>
    public uint[] Members { get; init; } = [];

    /// <summary>my_aru.</summary>
    public uint Aru { get; init; }

    /// <summary>my_high_seq_received.</summary>
    public uint HighSeqReceived { get; init; }

    /// <summary>my_high_delivered: every seq up to it has been handed to the application.</summary>
    public uint HighDelivered { get; init; }

    /// <summary>last_released: seqs up to it are gone from the sort queue (its head is this + 1).</summary>
    public uint LastReleased { get; init; }

    /// <summary>my_token_seq: the token_seq of the last token we processed.</summary>
    public uint TokenSeq { get; init; }

    /// <summary>my_last_seq: the ring seq the last token carried.</summary>
    public uint LastTokenRingSeq { get; init; }

    /// <summary>my_last_aru: the aru the last token carried when it reached us.</summary>
    public uint LastTokenAru { get; init; }

    /// <summary>my_seq_unchanged: consecutive visits on which the token's seq did not move (holds the token).</summary>
    public int SeqUnchanged { get; init; }

    /// <summary>my_token_held.</summary>
    public bool TokenHeld { get; init; }

    /// <summary>this_seqno for our next mcast (global_seqno: every mcast this process sent since it started).</summary>
    public uint ThisSeqno { get; init; }

    /// <summary>The last orf_token we sent (kept for token_retransmit), or empty when unknown.</summary>
    public byte[] LastToken { get; init; } = [];

    /// <summary>
    /// Mcast datagrams of this ring we still hold (received or sent, not yet released): each is stored at the seq
    /// in its header, so it can be retransmitted on request or re-sent in a recovery.
    /// </summary>
    public byte[][] Messages { get; init; } = [];

    /// <summary>When we last saw the token: the token timeout, retransmit and (rep, held) hold timers run from it.</summary>
    public long LastTokenAtNs { get; init; }
}
