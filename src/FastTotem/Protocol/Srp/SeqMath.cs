namespace FastTotem.Protocol.Srp;

/// <summary>
/// Comparisons of 32-bit ring seqs with corosync's rollover adjustment (sq_lt_compare / sq_lte_compare, sq.h):
/// when either value is above 2^31 both are shifted down by 0x10000 before comparing, so 0xFFFFFFFF ("one before
/// the start") compares below 0.
/// </summary>
internal static class SeqMath
{
    private const uint RolloverPoint = 0x80000000;
    private const uint RolloverValue = 0x10000;

    public static bool Lt(uint a, uint b)
    {
        if (a > RolloverPoint || b > RolloverPoint)
        {
            return a - RolloverValue < b - RolloverValue;
        }

        return a < b;
    }

    public static bool Lte(uint a, uint b)
    {
        if (a > RolloverPoint || b > RolloverPoint)
        {
            return a - RolloverValue <= b - RolloverValue;
        }

        return a <= b;
    }
}
