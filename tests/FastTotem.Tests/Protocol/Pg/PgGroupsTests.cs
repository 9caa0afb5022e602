using FastTotem.Protocol.Pg;

namespace FastTotem.Tests.Protocol.Pg;

public class PgGroupsTests
{
    private sealed class Handler : IPgGroupHandler
    {
        public List<(uint Node, byte[] Payload)> Received { get; } = new();

        public void OnGroupMessage(uint nodeId, ReadOnlySpan<byte> payload, bool foreignEndian) => Received.Add((nodeId, payload.ToArray()));
    }

    private static byte[] Message(PgGroupSet groups, byte[] payload) => [.. groups.HeaderBytes.ToArray(), .. payload];

    [Fact]
    public void DeliversOnlyToInstancesThatJoinedAListedGroup()
    {
        var groups = new PgGroups();
        var services = new Handler();
        var sync = new Handler();
        int s = groups.AddInstance(services);
        int y = groups.AddInstance(sync);
        groups.Join(s, "a"u8);
        groups.Join(y, "sync"u8);
        groups.Join(y, "sync"u8);
        Assert.Equal(1, groups.JoinedGroups(y).Count);

        groups.OnMessage(1, Message(PgGroupSet.Services, [1, 2]), false);
        groups.OnMessage(2, Message(PgGroupSet.Sync, [3]), false);
        groups.OnMessage(3, Message(PgGroupSet.FromStrings("a", "sync"), [4]), false);
        groups.OnMessage(4, Message(PgGroupSet.FromStrings("other"), [5]), false);

        Assert.Equal([1u, 3u], services.Received.Select(r => r.Node));
        Assert.Equal([new byte[] { 1, 2 }, new byte[] { 4 }], services.Received.Select(r => r.Payload));
        Assert.Equal([2u, 3u], sync.Received.Select(r => r.Node));
        Assert.Equal([new byte[] { 3 }, new byte[] { 4 }], sync.Received.Select(r => r.Payload));
        Assert.Equal(1, groups.UnmatchedMessages);

        groups.Leave(s, "a"u8);
        groups.OnMessage(5, Message(PgGroupSet.Services, [6]), false);
        Assert.Equal(2, services.Received.Count);
        Assert.Equal(2, groups.UnmatchedMessages);

        groups.OnMessage(6, [5, 0], false);
        Assert.Equal(1, groups.MalformedDrops);
    }

    [Fact]
    public void JoinedGroupsIsTheHeaderOfMcastJoined()
    {
        var groups = new PgGroups();
        int i = groups.AddInstance(new Handler());
        groups.Join(i, "a"u8);
        groups.Join(i, "sync"u8);
        Assert.Equal(PgGroupSet.FromStrings("a", "sync").HeaderBytes.ToArray(), groups.JoinedGroups(i).HeaderBytes.ToArray());
    }
}
