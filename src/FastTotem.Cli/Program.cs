namespace FastTotem.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        Console.Error.WriteLine("usage: fasttotem <decode|sim> ...");
        return 2;
    }
}
