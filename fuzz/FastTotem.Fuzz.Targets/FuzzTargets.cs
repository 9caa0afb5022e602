namespace FastTotem.Fuzz;

/// <summary>Every fuzz target, by name.</summary>
public static class FuzzTargets
{
    /// <summary>The target names in the order <c>./build.sh fuzz all</c> runs them.</summary>
    public static readonly string[] Names = ["datagram", "engine", "capture", "capi", "knet"];

    /// <summary>
    /// A fresh instance of the named target, or null for an unknown name. <paramref name="reuse"/> false makes the
    /// node targets build their rings for every input instead of restoring a snapshot (the slow reference).
    /// </summary>
    public static IFuzzTarget? Create(string name, bool reuse = true) => name switch
    {
        "datagram" => new DatagramTarget(reuse),
        "engine" => new EngineTarget(reuse),
        "capture" => new CaptureTarget(),
        "capi" => new CapiTarget(),
        "knet" => new KnetTarget(),
        _ => null,
    };
}
