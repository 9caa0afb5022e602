namespace FastTotem.Wire;

/// <summary>CPG exec function numbers (MESSAGE_REQ_EXEC_CPG_*, cpg.c); the service id is 2.</summary>
internal static class CpgExecFunction
{
    public const int ServiceId = 2;
    public const int ProcJoin = 0;
    public const int ProcLeave = 1;
    public const int JoinList = 2;
    public const int Mcast = 3;
    public const int DownlistOld = 4;
    public const int Downlist = 5;
    public const int PartialMcast = 6;
}
