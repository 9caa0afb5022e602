using FastTotem.Sim;

namespace FastTotem.Simulation;

public class SimPayloadTests
{
    [Fact]
    public void RoundTripsAndIsAValidSingleEntryTotempgPacket()
    {
        var buffer = new byte[64];
        int length = SimPayload.Write(buffer, new MessageId(7, 123456), 20);
        Assert.Equal(30, length);
        // WIRE.md §7.1: version 0, type 0, fragmented 0, continuation 0, msg_count 1, msg_len[0] = 20.
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0, 1, 0, 20, 0 }, buffer[..10]);
        Assert.Equal(new MessageId(7, 123456), SimPayload.Read(buffer.AsSpan(0, length)));
    }

    [Fact]
    public void AnyCorruptionReadsAsInvalid()
    {
        var buffer = new byte[64];
        int length = SimPayload.Write(buffer, new MessageId(3, 9), 24);
        for (int i = 0; i < length; i++)
        {
            if (i >= 10 && i < 18)
            {
                continue; // the id bytes themselves: any value is some id
            }

            byte[] copy = buffer[..length];
            copy[i] ^= 0x40;
            Assert.Equal(MessageId.Invalid, SimPayload.Read(copy));
        }

        Assert.Equal(MessageId.Invalid, SimPayload.Read(buffer.AsSpan(0, length - 1)));
        Assert.Equal(MessageId.Invalid, SimPayload.Read([]));
    }
}
