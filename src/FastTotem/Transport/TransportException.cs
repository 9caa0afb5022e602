namespace FastTotem;

/// <summary>A socket could not be set up (start-up only; the data path counts errors instead).</summary>
/// <param name="message">What could not be done, e.g. which address could not be bound.</param>
/// <param name="errno">The errno of the failed call, or 0.</param>
[BaseLayer]
public sealed class TransportException(string message, int errno = 0)
    : Exception(errno != 0 ? $"{message}: {System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})" : message)
{
    /// <summary>The errno of the failed call, or 0 when the problem was not a system call's.</summary>
    public int Errno { get; } = errno;
}
