using System.Diagnostics;

namespace FastTotem.Interop;

internal static class ProcessExtensions
{
    /// <summary>
    /// WaitForExit with a timeout, then also waits for the asynchronous stdout/stderr readers to finish: the timed
    /// overload returns at process exit, before the last lines reach the lab's .out file (a test read a probe's
    /// output without its final stats line that way).
    /// </summary>
    public static bool Finished(this Process process, int milliseconds)
    {
        if (!process.WaitForExit(milliseconds))
        {
            return false;
        }

        process.WaitForExit();
        return true;
    }
}
