using FastTotem.Fuzz;

namespace FastTotem.Fuzz.Tests;

/// <summary>What the node fuzz targets rely on: a restore puts every reachable object and array back in place.</summary>
public class GraphSnapshotTests
{
    private sealed class Leaf
    {
        public int Value;
    }

    private struct Pair
    {
        public long Number;
        public Leaf? Leaf;
    }

    private class Base
    {
        private readonly int[] _hidden = [1, 2, 3];

        public int[] Hidden => _hidden;
    }

    private sealed class Root : Base
    {
        public readonly Leaf Shared = new() { Value = 7 };
        public Leaf? Replaced;
        public Pair Inline;
        public Pair[] Pairs = new Pair[2];
        public byte[] Bytes = new byte[16];
        public Queue<Leaf> Queue = new();
        public bool[,] Grid = new bool[2, 2];
        public Func<int>? Closure;
        public string Text = "kept";
    }

    [Fact]
    public void A_restore_undoes_every_change_below_the_root()
    {
        var root = new Root();
        var inPair = new Leaf { Value = 11 };
        root.Inline = new Pair { Number = 5, Leaf = inPair };
        root.Pairs[1] = new Pair { Number = 9, Leaf = root.Shared };
        root.Bytes[3] = 0x33;
        root.Queue.Enqueue(new Leaf { Value = 21 });
        root.Grid[1, 0] = true;
        var captured = new Leaf { Value = 31 };
        root.Closure = () => captured.Value;
        root.Replaced = new Leaf { Value = 41 };
        Leaf firstReplaced = root.Replaced;

        GraphSnapshot snapshot = GraphSnapshot.Take(root);

        for (int round = 0; round < 3; round++)
        {
            root.Shared.Value = 100;
            inPair.Value = 101;
            root.Inline.Number = 102;
            root.Pairs[1].Number = 103;
            root.Pairs[0] = new Pair { Number = 104, Leaf = new Leaf() };
            root.Bytes.AsSpan().Fill(0xFF);
            root.Queue.Dequeue().Value = 105;
            root.Queue.Enqueue(new Leaf { Value = 106 });
            root.Queue.Enqueue(new Leaf { Value = 107 });
            root.Grid[0, 1] = true;
            captured.Value = 108;
            root.Replaced = new Leaf { Value = 109 };
            root.Hidden[0] = 110;
            root.Text = "changed";

            snapshot.Restore();

            Assert.Equal(7, root.Shared.Value);
            Assert.Equal(11, inPair.Value);
            Assert.Same(inPair, root.Inline.Leaf);
            Assert.Equal(5, root.Inline.Number);
            Assert.Equal(9, root.Pairs[1].Number);
            Assert.Equal(default, root.Pairs[0]);
            Assert.Equal(0x33, root.Bytes[3]);
            Assert.Equal(15, root.Bytes.Count(b => b == 0));
            Assert.Single(root.Queue);
            Assert.Equal(21, root.Queue.Peek().Value);
            Assert.True(root.Grid[1, 0]);
            Assert.False(root.Grid[0, 1]);
            Assert.Equal(31, root.Closure!());
            Assert.Same(firstReplaced, root.Replaced);
            Assert.Equal(41, root.Replaced!.Value);
            Assert.Equal([1, 2, 3], root.Hidden);
            Assert.Equal("kept", root.Text);
        }
    }

    [Fact]
    public void A_thread_cannot_be_snapshotted()
    {
        var holder = new Tuple<Thread>(Thread.CurrentThread);
        Assert.Throws<NotSupportedException>(() => GraphSnapshot.Take(holder));
    }
}
