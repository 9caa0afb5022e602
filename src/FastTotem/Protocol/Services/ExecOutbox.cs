namespace FastTotem.Protocol.Services;

/// <summary>
/// The exec messages the services want multicast in group "a", in the order they were queued (what corosync's
/// services hand to api->totem_mcast). Each message is whole: it starts with the 16-byte qb header and the totempg
/// layer adds the group header. A bounded byte ring of contiguous messages, allocated once; a full outbox makes the
/// enqueue fail (the caller counts it or retries), it never grows.
/// </summary>
internal sealed class ExecOutbox
{
    /// <summary>Default byte capacity: room for the largest CPG piece (1 MiB − 1,024 bytes + 200) several times over.</summary>
    public const int DefaultCapacityBytes = 4 * 1024 * 1024;

    /// <summary>Default most messages queued at once.</summary>
    public const int DefaultMessageCountMax = 4096;

    private readonly byte[] _buffer;
    private readonly ContiguousRing _ring;

    public ExecOutbox(int capacityBytes = DefaultCapacityBytes, int messageCountMax = DefaultMessageCountMax)
    {
        if (capacityBytes < 1024)
        {
            Invariant.ThrowArgumentOutOfRange(nameof(capacityBytes), "the outbox needs at least 1 KiB");
        }

        if (messageCountMax < 8)
        {
            Invariant.ThrowArgumentOutOfRange(nameof(messageCountMax), "the outbox needs room for at least 8 messages");
        }

        _buffer = GC.AllocateUninitializedArray<byte>(capacityBytes);
        _ring = new ContiguousRing(capacityBytes, messageCountMax);
    }

    public int CapacityBytes => _buffer.Length;

    public int Count => _ring.Count;

    /// <summary>Messages queued since creation; the value after an enqueue is that message's ticket.</summary>
    public long EnqueuedTotal { get; private set; }

    /// <summary>Messages taken out since creation.</summary>
    public long DequeuedTotal { get; private set; }

    /// <summary>Enqueues refused because the outbox was full.</summary>
    public long FullRejections { get; private set; }

    /// <summary>True once every message up to and including <paramref name="ticket"/> has left the outbox.</summary>
    public bool HasSent(long ticket) => DequeuedTotal >= ticket;

    /// <summary>
    /// Reserves <paramref name="length"/> contiguous bytes at the tail and queues them as one message; the caller
    /// fills <paramref name="message"/> before anything is dequeued. False (and counted) when there is no room.
    /// </summary>
    public bool TryEnqueue(int length, out Span<byte> message)
    {
        if (length <= 0 || length > _buffer.Length)
        {
            Invariant.ThrowArgumentOutOfRange(nameof(length), "a message must be 1 byte to the outbox capacity");
        }

        int offset = _ring.TryReserve(length);
        if (offset < 0)
        {
            FullRejections++;
            message = default;
            return false;
        }

        EnqueuedTotal++;
        message = _buffer.AsSpan(offset, length);
        return true;
    }

    /// <summary>Queues a copy of <paramref name="message"/>.</summary>
    public bool TryEnqueue(ReadOnlySpan<byte> message)
    {
        if (!TryEnqueue(message.Length, out Span<byte> destination))
        {
            return false;
        }

        message.CopyTo(destination);
        return true;
    }

    /// <summary>Takes back the last <paramref name="messages"/> enqueued messages (a multi-piece send that did not fit).</summary>
    public void RollbackTail(int messages)
    {
        if ((uint)messages > (uint)_ring.Count)
        {
            Invariant.ThrowArgumentOutOfRange(nameof(messages), "cannot roll back more messages than are queued");
        }

        for (int i = 0; i < messages; i++)
        {
            _ring.RollbackTail();
            EnqueuedTotal--;
        }
    }

    /// <summary>The oldest message, without removing it; valid until <see cref="Dequeue"/> or the next enqueue.</summary>
    public bool TryPeek(out ReadOnlySpan<byte> message)
    {
        if (_ring.Count == 0)
        {
            message = default;
            return false;
        }

        _ring.PeekHead(out int offset, out int length);
        message = _buffer.AsSpan(offset, length);
        return true;
    }

    /// <summary>Removes the oldest message.</summary>
    public void Dequeue()
    {
        if (_ring.Count == 0)
        {
            Invariant.ThrowInvalidOperation("the outbox is empty");
        }

        _ring.DequeueHead();
        DequeuedTotal++;
    }

    /// <summary>Copies the oldest message into <paramref name="destination"/> and removes it; false when empty.</summary>
    public bool TryPoll(Span<byte> destination, out int length)
    {
        if (!TryPeek(out ReadOnlySpan<byte> message))
        {
            length = 0;
            return false;
        }

        if (destination.Length < message.Length)
        {
            Invariant.ThrowArgumentOutOfRange(nameof(destination), "the destination is smaller than the next message");
        }

        message.CopyTo(destination);
        length = message.Length;
        Dequeue();
        return true;
    }
}
