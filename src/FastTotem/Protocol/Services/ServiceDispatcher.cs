using FastTotem.Protocol.Pg;
using FastTotem.Wire;

namespace FastTotem.Protocol.Services;

/// <summary>
/// The group "a" instance of a node (corosync's deliver_fn in main.c): reads the service id from the qb header and
/// hands the message to that service's exec handler. An unknown service or a message too short for a header is a
/// counted drop (corosync drops unknown services silently, and never range-checks the id; we do).
/// </summary>
internal sealed class ServiceDispatcher : IPgGroupHandler
{
    private readonly IExecHandler?[] _handlers = new IExecHandler?[WireLimits.ServiceIdMax + 1];

    /// <summary>Messages for a service id nobody registered (or above 63).</summary>
    public long UnknownServiceDrops { get; private set; }

    /// <summary>Messages shorter than the 16-byte qb header.</summary>
    public long MalformedDrops { get; private set; }

    public void Register(int serviceId, IExecHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        if ((uint)serviceId > WireLimits.ServiceIdMax)
        {
            Invariant.ThrowArgumentOutOfRange(nameof(serviceId), "service ids are 0 to 63");
        }

        if (_handlers[serviceId] is not null)
        {
            Invariant.ThrowInvalidOperation("a handler is already registered for this service id");
        }

        _handlers[serviceId] = handler;
    }

    public void OnGroupMessage(uint nodeId, ReadOnlySpan<byte> payload, bool foreignEndian)
    {
        if (QbIpcRequestHeader.TryReadId(payload, foreignEndian, out int id) != WireError.None)
        {
            MalformedDrops++;
            return;
        }

        uint service = (uint)id >> 16;
        IExecHandler? handler = service <= WireLimits.ServiceIdMax ? _handlers[service] : null;
        if (handler is null)
        {
            UnknownServiceDrops++;
            return;
        }

        handler.HandleExec(nodeId, payload, foreignEndian);
    }
}
