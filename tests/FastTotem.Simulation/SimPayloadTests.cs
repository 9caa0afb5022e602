using FastTotem.Sim;

namespace FastTotem.Simulation;

public class SimPayloadTests
{
    [Fact]
    public void RoundTripsAndIsASingleMessageTotempgPacketInGroupSim()
    {
        var buffer = new byte[2048];
        int length = new SimPayload().Write(buffer, new MessageId(7, 123456), 20);
        Assert.Equal(SimPayload.HeaderSize + 20, length);
        // docs/wire-format.md §7.1: version 0, type 0, fragmented 0, continuation 0, msg_count 1, msg_len[0] = 7 + 20;
        // §8: group_count 1, group_len 3, "sim".
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0, 1, 0, 27, 0, 1, 0, 3, 0, (byte)'s', (byte)'i', (byte)'m' }, buffer[..17]);
        Assert.Equal(new MessageId(7, 123456), SimPayload.Read(buffer.AsSpan(0, length)));
    }

    [Fact]
    public void ConsecutiveMessagesAreEachWholeAndIndependent()
    {
        var payload = new SimPayload();
        var buffer = new byte[2048];
        for (uint i = 1; i <= 300; i++)
        {
            int length = payload.Write(buffer, new MessageId(2, i), 8 + (int)(i % 50));
            Assert.Equal(0, buffer[4]); // never fragmented: each message fits one packet
            Assert.Equal(0, buffer[5]);
            Assert.Equal(new MessageId(2, i), SimPayload.Read(buffer.AsSpan(0, length)));
        }
    }

    [Fact]
    public void AnyCorruptionReadsAsInvalid()
    {
        var buffer = new byte[2048];
        int length = new SimPayload().Write(buffer, new MessageId(3, 9), 24);
        for (int i = 0; i < length; i++)
        {
            if (i >= SimPayload.HeaderSize && i < SimPayload.HeaderSize + SimPayload.IdSize)
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
