using System.Runtime.CompilerServices;
using FastTotem.Wire;

namespace FastTotem.Tests;

public class WireFoundationTests
{
    [Fact]
    public void HeaderAndRingIdSizesMatchWireSpec()
    {
        Assert.Equal(TotemHeader.Size, Unsafe.SizeOf<TotemHeader>());
        Assert.Equal(13, Unsafe.SizeOf<TotemHeader>());
        Assert.Equal(12, Unsafe.SizeOf<MembRingId>());
    }
}
