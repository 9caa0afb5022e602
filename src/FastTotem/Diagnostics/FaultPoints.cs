using System.Runtime.CompilerServices;

namespace FastTotem.Diagnostics;

/// <summary>Decides, for the thread it is installed on, whether a <see cref="FaultPoint"/> fires now.</summary>
internal interface IFaultInjector
{
    bool Fire(FaultPoint point);
}

/// <summary>
/// BUGGIFY-style fault points, on only inside a simulation. The simulator installs an injector on its own thread
/// around each node step (<see cref="Install"/>); production never does, so <see cref="Armed"/> stays false and each
/// hook costs one static load and a branch never taken. The injector is per thread so concurrent simulations (the
/// test runner's and the sweep's threads) and live nodes in the same process never see each other's faults.
/// </summary>
internal static class FaultPoints
{
    /// <summary>Set the first time a simulation installs an injector; never cleared.</summary>
    private static bool s_armed;

    [ThreadStatic]
    private static IFaultInjector? t_injector;

    /// <summary>True once any simulation in this process has used fault points.</summary>
    public static bool Armed => s_armed;

    /// <summary>True when the injector installed on this thread fires <paramref name="point"/> now.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Hit(FaultPoint point) => s_armed && HitInstalled(point);

    /// <summary>Installs <paramref name="injector"/> on this thread (null removes it); returns the one it replaces.</summary>
    public static IFaultInjector? Install(IFaultInjector? injector)
    {
        if (injector != null)
        {
            s_armed = true;
        }

        IFaultInjector? previous = t_injector;
        t_injector = injector;
        return previous;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool HitInstalled(FaultPoint point) => t_injector is { } injector && injector.Fire(point);
}
