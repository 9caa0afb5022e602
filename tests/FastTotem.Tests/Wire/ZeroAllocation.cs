namespace FastTotem.Tests.Wire;

/// <summary>
/// Asserts that a loop body allocates nothing: warm up, then measure GC.GetAllocatedBytesForCurrentThread over
/// many iterations. Under a loaded, parallel test run the runtime occasionally charges a few stray bytes to the
/// thread while it tiers code up; so up to three windows are measured and one must be exactly zero. A real
/// per-iteration allocation shows in every window.
/// </summary>
internal static class ZeroAllocation
{
    public static void Assert<TState>(TState state, Action<TState> body, int iterations = 10_000)
    {
        for (int i = 0; i < 200; i++)
        {
            body(state);
        }

        var measured = new long[3];
        for (int attempt = 0; attempt < measured.Length; attempt++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < iterations; i++)
            {
                body(state);
            }

            measured[attempt] = GC.GetAllocatedBytesForCurrentThread() - before;
            if (measured[attempt] == 0)
            {
                return;
            }
        }

        Xunit.Assert.Fail($"allocated {string.Join(", ", measured)} bytes over three windows of {iterations} iterations");
    }
}
