using System.Buffers.Binary;
using FastTotem.Protocol.Pg;
using FastTotem.Protocol.Services;
using FastTotem.Wire;

namespace FastTotem.Hosting;

/// <summary>
/// The group "a" instance of a node: hands each exec message to the service its header names
/// (<c>id &gt;&gt; 16</c>), as corosync's main.c deliver_fn does. Unlike corosync, a service id outside
/// the table is a counted drop, never a read past the end.
/// </summary>
internal sealed class ExecDispatcher : IPgGroupHandler
{
    private readonly IExecHandler?[] _handlers = new IExecHandler?[WireLimits.ServiceIdMax + 1];

    public long UnknownServiceDrops { get; private set; }

    public long TruncatedDrops { get; private set; }

    public void Register(int serviceId, IExecHandler handler) => _handlers[serviceId] = handler;

    public void OnGroupMessage(uint nodeId, ReadOnlySpan<byte> payload, bool foreignEndian)
    {
        if (payload.Length < QbIpcRequestHeader.Size)
        {
            TruncatedDrops++;
            return;
        }

        int id = BinaryPrimitives.ReadInt32LittleEndian(payload);
        if (foreignEndian)
        {
            id = BinaryPrimitives.ReverseEndianness(id);
        }

        int service = (int)((uint)id >> 16);
        if (service >= _handlers.Length || _handlers[service] is not IExecHandler handler)
        {
            UnknownServiceDrops++;
            return;
        }

        handler.HandleExec(nodeId, payload, foreignEndian);
    }
}
