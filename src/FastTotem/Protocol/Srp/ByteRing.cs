namespace FastTotem.Protocol.Srp;

/// <summary>
/// Placement in a byte arena used as a ring, shared by the transmit queue's control arena and the message stores:
/// live bytes run from head to tail, wrapping at the end; an empty ring has head = tail = 0.
/// </summary>
internal static class ByteRing
{
    /// <summary>
    /// Where <paramref name="length"/> contiguous bytes go: at the tail, or at the start when the tail's run is too
    /// short and the start stays clear of the head (the tail never meets the head, so full and empty differ).
    /// </summary>
    public static bool TryPlace(int head, int tail, int capacity, int length, out int offset)
    {
        if (tail >= head)
        {
            if (tail + length <= capacity)
            {
                offset = tail;
                return true;
            }

            if (length < head)
            {
                offset = 0;
                return true;
            }
        }
        else if (tail + length < head)
        {
            offset = tail;
            return true;
        }

        offset = 0;
        return false;
    }
}
