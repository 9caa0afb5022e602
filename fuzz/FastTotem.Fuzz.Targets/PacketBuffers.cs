namespace FastTotem.Fuzz;

/// <summary>
/// Byte buffers for the fuzz rings' datagrams in flight, per thread and by power-of-two size, so that the millions of
/// datagrams a campaign puts on the virtual wire are not each a fresh array (gen0 collections were a visible share of
/// an <c>engine</c> input). Static, hence outside every ring's snapshot: restoring a ring neither copies nor rewinds them.
/// </summary>
internal static class PacketBuffers
{
    private const int SmallestShift = 6;
    private const int Classes = 21 - SmallestShift; // 64 B to 1 MiB (the runner's largest input)
    private const int KeptPerClass = 8192;

    [ThreadStatic]
    private static Stack<byte[]>[]? t_free;

    /// <summary>A buffer of at least <paramref name="length"/> bytes (its contents are whatever it last held).</summary>
    public static byte[] Rent(int length)
    {
        int sizeClass = ClassOf(length);
        if (sizeClass >= Classes)
        {
            return new byte[length];
        }

        Stack<byte[]> free = Free()[sizeClass];
        return free.Count > 0 ? free.Pop() : new byte[1 << (sizeClass + SmallestShift)];
    }

    /// <summary>Takes back a buffer from <see cref="Rent"/> (the caller no longer reads or writes it).</summary>
    public static void Return(byte[] buffer)
    {
        int sizeClass = ClassOf(buffer.Length);
        if (sizeClass < Classes && buffer.Length == 1 << (sizeClass + SmallestShift))
        {
            Stack<byte[]> free = Free()[sizeClass];
            if (free.Count < KeptPerClass)
            {
                free.Push(buffer);
            }
        }
    }

    private static int ClassOf(int length) =>
        Math.Max(0, System.Numerics.BitOperations.Log2(System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, length))) - SmallestShift);

    private static Stack<byte[]>[] Free()
    {
        if (t_free is null)
        {
            t_free = new Stack<byte[]>[Classes];
            for (int i = 0; i < Classes; i++)
            {
                t_free[i] = new Stack<byte[]>();
            }
        }

        return t_free;
    }
}
