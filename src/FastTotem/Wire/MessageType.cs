namespace FastTotem.Wire;

/// <summary>Totem SRP message type, the byte at offset 3 of every datagram (enum message_type, totemsrp.c).</summary>
internal enum MessageType : byte
{
    OrfToken = 0,
    Mcast = 1,
    MembMergeDetect = 2,
    MembJoin = 3,
    MembCommitToken = 4,
    TokenHoldCancel = 5,
}
