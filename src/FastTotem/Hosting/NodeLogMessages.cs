using FastTotem.Protocol.Srp;
using Microsoft.Extensions.Logging;

namespace FastTotem.Hosting;

/// <summary>
/// The node's log lines, source-generated (no reflection, NativeAOT-clean). Control plane only: membership, gather
/// reasons, synchronisation, faults, transport reports and drop summaries. Nothing here is called on the message path
/// or on the protocol thread; <see cref="NodeLog"/> hands the protocol thread's records to a pool thread.
/// </summary>
internal static partial class NodeLogMessages
{
    [LoggerMessage(EventId = 1, EventName = "NodeStarted", Level = LogLevel.Information,
        Message = "node {NodeId} started ({Transport})")]
    public static partial void NodeStarted(ILogger logger, uint nodeId, string transport);

    [LoggerMessage(EventId = 2, EventName = "NodeStopped", Level = LogLevel.Information,
        Message = "node {NodeId} stopped (sent LEAVE: {Leave})")]
    public static partial void NodeStopped(ILogger logger, uint nodeId, bool leave);

    [LoggerMessage(EventId = 3, EventName = "RingFormed", Level = LogLevel.Information,
        Message = "node {NodeId}: ring {RingId} formed with members [{Members}]; joined [{Joined}], left [{Left}]")]
    public static partial void RingFormed(ILogger logger, uint nodeId, RingId ringId, uint[] members, uint[] joined, uint[] left);

    [LoggerMessage(EventId = 4, EventName = "TransitionalConfiguration", Level = LogLevel.Debug,
        Message = "node {NodeId}: transitional configuration of ring {RingId}: members [{Members}], left [{Left}]")]
    public static partial void TransitionalConfiguration(ILogger logger, uint nodeId, RingId ringId, uint[] members, uint[] left);

    [LoggerMessage(EventId = 5, EventName = "GatherEntered", Level = LogLevel.Information,
        Message = "node {NodeId}: the ring is re-forming (GATHER from ring {RingId}): {Reason}")]
    public static partial void GatherEntered(ILogger logger, uint nodeId, RingId ringId, GatherReason reason);

    [LoggerMessage(EventId = 6, EventName = "SyncStarted", Level = LogLevel.Debug,
        Message = "node {NodeId}: synchronisation started on ring {RingId}")]
    public static partial void SyncStarted(ILogger logger, uint nodeId, RingId ringId);

    [LoggerMessage(EventId = 7, EventName = "SyncCompleted", Level = LogLevel.Information,
        Message = "node {NodeId}: synchronisation completed on ring {RingId}")]
    public static partial void SyncCompleted(ILogger logger, uint nodeId, RingId ringId);

    [LoggerMessage(EventId = 8, EventName = "SyncAborted", Level = LogLevel.Warning,
        Message = "node {NodeId}: synchronisation on ring {RingId} aborted by the new ring {NewRingId}")]
    public static partial void SyncAborted(ILogger logger, uint nodeId, RingId ringId, RingId newRingId);

    [LoggerMessage(EventId = 9, EventName = "HandlerFault", Level = LogLevel.Warning,
        Message = "{Message}")]
    public static partial void HandlerFault(ILogger logger, string message, Exception exception);

    [LoggerMessage(EventId = 10, EventName = "ProtocolFault", Level = LogLevel.Error,
        Message = "{Message}")]
    public static partial void ProtocolFault(ILogger logger, string message, Exception exception);

    [LoggerMessage(EventId = 11, EventName = "Transport", Level = LogLevel.Information,
        Message = "node {NodeId} transport: {Line}")]
    public static partial void Transport(ILogger logger, uint nodeId, string line);

    [LoggerMessage(EventId = 12, EventName = "CryptoReconfigured", Level = LogLevel.Warning,
        Message = "node {NodeId}: node {SenderNodeId} switched the cluster's crypto settings; this node left the ring (restart it with the new authkey and corosync.conf)")]
    public static partial void CryptoReconfigured(ILogger logger, uint nodeId, uint senderNodeId);

    [LoggerMessage(EventId = 13, EventName = "Drops", Level = LogLevel.Warning,
        Message = "node {NodeId}: {Total} packets or events dropped in the last {Seconds} s: {Counters}")]
    public static partial void Drops(ILogger logger, uint nodeId, long total, int seconds, string counters);

    [LoggerMessage(EventId = 14, EventName = "LogRecordsLost", Level = LogLevel.Warning,
        Message = "node {NodeId}: {Count} log records were lost (the logger fell behind the protocol thread)")]
    public static partial void LogRecordsLost(ILogger logger, uint nodeId, long count);
}
