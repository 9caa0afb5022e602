using FastTotem.Protocol.Pg;
using FastTotem.Protocol.Srp;

namespace FastTotem.Protocol.Node;

/// <summary>
/// The node machine's <see cref="IPayloadSource"/>: totempg packers, one per engine lane (either may be absent). On a
/// token visit they close the payload they were packing (callback_token_received_fn) and the engine takes their
/// finished payloads. It holds the packers only, never the engine.
/// </summary>
internal readonly struct PackerPayloads(PgPacker? transitional, PgPacker? regular) : IPayloadSource
{
    public void OnTokenReceived()
    {
        regular?.HandleTokenReceived();
        transitional?.HandleTokenReceived();
    }

    public ReadOnlySpan<byte> Peek(SendLane lane) => Packer(lane) is { } packer ? packer.PeekPacket() : default;

    public void Take(SendLane lane) => Packer(lane)?.DropPacket();

    private PgPacker? Packer(SendLane lane) => lane == SendLane.Transitional ? transitional : regular;
}
