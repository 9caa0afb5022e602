namespace FastTotem.Wire;

/// <summary>votequorum exec function numbers (MESSAGE_REQ_EXEC_VOTEQUORUM_*, votequorum.c); the service id is 5.</summary>
internal static class VotequorumExecFunction
{
    public const int ServiceId = 5;
    public const int NodeInfo = 0;
    public const int Reconfigure = 1;
    public const int QdeviceReg = 2;
    public const int QdeviceReconfigure = 3;
}
