namespace FastTotem.Protocol.Srp;

/// <summary>
/// Where the engine pulls totempg payloads from during a token visit (token_callbacks_execute with
/// TOTEM_CALLBACK_TOKEN_RECEIVED, then totemsrp_mcast, in corosync): a valid token of our ring arrives, the source
/// finishes what it was packing, and the engine takes its finished payloads, as many as its send queues hold, before
/// it multicasts from them. A struct the engine is generic over, with no path back into the engine: nothing runs
/// inside the token visit but the engine itself.
/// </summary>
internal interface IPayloadSource
{
    /// <summary>A valid token of our ring arrived: finish the payload being packed.</summary>
    void OnTokenReceived();

    /// <summary>The next finished payload for <paramref name="lane"/>, without taking it; empty when none.</summary>
    ReadOnlySpan<byte> Peek(SendLane lane);

    /// <summary>The engine queued what <see cref="Peek"/> returned for <paramref name="lane"/>.</summary>
    void Take(SendLane lane);
}

/// <summary>A source with nothing to send: the engine alone (tests, SRP-only machines).</summary>
internal readonly struct NoPayloadSource : IPayloadSource
{
    public void OnTokenReceived()
    {
    }

    public ReadOnlySpan<byte> Peek(SendLane lane) => default;

    public void Take(SendLane lane)
    {
    }
}
