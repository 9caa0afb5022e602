namespace FastTotem.Cli;

internal static class DecodeCommand
{
    public static int Run(string[] args)
    {
        Console.Error.WriteLine("fasttotem: 'decode' is not built yet");
        return 2;
    }
}
