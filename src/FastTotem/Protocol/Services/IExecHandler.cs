namespace FastTotem.Protocol.Services;

/// <summary>
/// Receives the exec messages of one service from group "a" (the exec_handler_fn table of a corosync service
/// engine). The message starts with the 16-byte qb_ipc_request_header and is only valid during the
/// call; bad input is counted and dropped, never thrown.
/// </summary>
internal interface IExecHandler
{
    void HandleExec(uint senderNodeId, ReadOnlySpan<byte> message, bool foreignEndian);
}
