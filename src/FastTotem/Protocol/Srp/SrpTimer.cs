namespace FastTotem.Protocol.Srp;

/// <summary>The engine's timers, one deadline each in <see cref="TimerTable"/>.</summary>
internal enum SrpTimer
{
    /// <summary>orf_token timeout: token loss in OPERATIONAL/COMMIT/RECOVERY, second consensus check in GATHER.</summary>
    TokenTimeout,

    /// <summary>Re-send the last token or commit token (timer_function_token_retransmit_timeout).</summary>
    TokenRetransmit,

    /// <summary>The rep re-sends a held token after the hold time (timer_function_token_hold_retransmit_timeout).</summary>
    TokenHoldRetransmit,

    /// <summary>Re-send our join while gathering (memb_timer_function_state_gather).</summary>
    Join,

    /// <summary>Gather consensus timeout (memb_timer_function_gather_consensus_timeout).</summary>
    Consensus,

    /// <summary>Merge detection after an idle token visit (timer_function_merge_detect_timeout).</summary>
    MergeDetect,
}
