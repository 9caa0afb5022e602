namespace FastTotem.Transport;

/// <summary>A socket could not be set up (start-up only; the data path counts errors instead).</summary>
public sealed class TransportException(string message, int errno = 0)
    : Exception(errno != 0 ? $"{message}: {System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})" : message)
{
    public int Errno { get; } = errno;
}
