using BenchmarkDotNet.Running;

namespace FastTotem.Benchmarks;

internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "fuzz")
        {
            return FuzzVerb.Run(args[1..]);
        }

        if (args.Length > 0 && args[0] == "sweep")
        {
            return SweepVerb.Run(args[1..]);
        }

        if (args.Length > 0 && args[0] == "cpu")
        {
            return CpuVerb.Run(args[1..]);
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
