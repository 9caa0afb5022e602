using FastTotem.Wire;

namespace FastTotem.Simulation;

public class SimulationSmokeTests
{
    [Fact]
    public void RingIdEqualityComparesBothFields()
    {
        Assert.NotEqual(new MembRingId(1, 9), new MembRingId(1, 13));
        Assert.NotEqual(new MembRingId(1, 9), new MembRingId(2, 9));
        Assert.Equal(new MembRingId(2, 13), new MembRingId(2, 13));
    }
}
