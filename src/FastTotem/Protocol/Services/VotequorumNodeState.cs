namespace FastTotem.Protocol.Services;

/// <summary>nodestate_t (votequorum.c); a fresh entry is none of these (0).</summary>
internal enum VotequorumNodeState : byte
{
    Unknown = 0,
    Member = 1,
    Dead = 2,
    Leaving = 3,
}
