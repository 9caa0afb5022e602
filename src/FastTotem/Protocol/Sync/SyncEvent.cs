using FastTotem.Wire;

namespace FastTotem.Protocol.Sync;

/// <summary>
/// "Synchronisation completed" for a ring (sync_synchronization_completed): corosync then lets IPC clients in
/// and releases the transitional send queue (totempg_trans_ack).
/// </summary>
internal readonly record struct SyncEvent(MembRingId RingId);
