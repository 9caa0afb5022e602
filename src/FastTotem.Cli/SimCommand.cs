namespace FastTotem.Cli;

internal static class SimCommand
{
    public static int Run(string[] args)
    {
        Console.Error.WriteLine("fasttotem: 'sim' is not built yet");
        return 2;
    }
}
