namespace FastTotem.Lab;

/// <summary>Paths inside the repository (found by walking up to FastTotem.sln).</summary>
internal static class Repo
{
    public static string Root { get; } = FindRoot();

    /// <summary>native/cpgprobe built by ./build.sh into out/native/.</summary>
    public static string CpgProbe => Path.Combine(Root, "out", "native", "cpgprobe");

    /// <summary>The published CLI (./build.sh puts it in out/).</summary>
    public static string FastTotem => Path.Combine(Root, "out", "fasttotem");

    private static string FindRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir != null && !File.Exists(Path.Combine(dir, "FastTotem.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        return dir ?? throw new InvalidOperationException("FastTotem.sln not found above " + AppContext.BaseDirectory);
    }
}
