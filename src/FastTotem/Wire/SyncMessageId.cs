namespace FastTotem.Wire;

/// <summary>header.id of the sync messages (MESSAGE_REQ_SYNC_*, sync.c). They carry no service prefix.</summary>
internal static class SyncMessageId
{
    public const int Barrier = 0;
    public const int ServiceBuild = 1;
}
