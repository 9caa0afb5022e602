using FastTotem.Protocol.Cpg;
using FastTotem.Protocol.Services;
using FastTotem.Wire;

namespace FastTotem.Tests.Services;

/// <summary>Arbitrary and mutated exec messages never throw out of the services; they are delivered or counted.</summary>
public class ServiceRandomInputTests
{
    [Fact]
    public void RandomAndMutatedMessagesNeverThrow()
    {
        int seed = Environment.GetEnvironmentVariable("FASTTOTEM_SEED") is { } s ? int.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : 20261125;
        Console.WriteLine($"ServiceRandomInputTests seed {seed}");
        var random = new Random(seed);

        var services = new NodeServices(
            1,
            VotequorumConfig.FromNodelist(1, [1, 2, 3], [1, 1, 1]),
            new CpgLimits { GroupCountMax = 32, ProcessCountMax = 128, LocalProcessCountMax = 4, MessageLengthMax = 64 * 1024, PartialSlotCount = 2, EventCountMax = 256, EventDataBytes = 256 * 1024 },
            outbox: new ExecOutbox(2 * 1024 * 1024, 64));
        services.Cpg.SyncInit([], [1], new MembRingId(1, 5));
        services.Cpg.SyncActivate();
        services.Cpg.Join("g"u8, 10, out int handle);
        services.Outbox.TryPeek(out ReadOnlySpan<byte> join);
        services.Dispatcher.OnGroupMessage(1, join, false);
        services.Outbox.Dequeue();

        // Valid seeds to mutate: one message of each kind we understand.
        var seeds = new List<byte[]>();
        foreach (List<CaptureExecMessages.Message> frame in new[] { CaptureExecMessages.Read("d"), CaptureExecMessages.Read("a") })
        {
            foreach (CaptureExecMessages.Message m in frame)
            {
                if (m.Group == "a" && seeds.Count < 40)
                {
                    seeds.Add(m.Payload);
                }
            }
        }

        Assert.True(seeds.Count >= 10);
        for (int i = 0; i < 20000; i++)
        {
            byte[] message;
            if (i % 3 == 0)
            {
                message = new byte[random.Next(0, 2000)];
                random.NextBytes(message);
                if (message.Length >= 4)
                {
                    message[2] = (byte)(random.Next(4) switch { 0 => 0, 1 => 2, 2 => 5, _ => random.Next(256) });
                    message[3] = 0;
                    message[0] = (byte)random.Next(8);
                    message[1] = 0;
                }
            }
            else
            {
                byte[] source = seeds[random.Next(seeds.Count)];
                message = source.AsSpan(0, random.Next(source.Length + 1)).ToArray();
                for (int k = random.Next(1, 6); k > 0 && message.Length > 0; k--)
                {
                    message[random.Next(message.Length)] = (byte)random.Next(256);
                }
            }

            services.Dispatcher.OnGroupMessage((uint)random.Next(1, 5), message, random.Next(8) == 0);
            while (services.Cpg.PollEvent(out _))
            {
            }
        }

        long counted = services.Dispatcher.MalformedDrops + services.Dispatcher.UnknownServiceDrops
            + services.Cmap.MalformedDrops + services.Votequorum.MalformedDrops
            + services.Cpg.Counters.MalformedDrops + services.Cpg.Counters.BadNameDrops + services.Cpg.Counters.UnknownFunctionDrops;
        Assert.True(counted > 1000, $"only {counted} drops counted (seed {seed})");
        Assert.Equal(CpgLocalState.JoinCompleted, services.Cpg.GetLocalState(handle));
    }
}
