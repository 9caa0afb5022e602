using System.Runtime.InteropServices;

namespace FastTotem.Transport.Interop;

/// <summary>
/// Bindings from &lt;sys/socket.h&gt; that Tmds.LibC 0.5.0 lacks: the batched datagram calls.
/// The structs are Tmds.LibC's <c>mmsghdr</c>/<c>msghdr</c>, whose layout matches glibc on x64 and arm64.
/// </summary>
internal static unsafe partial class LibcSocket
{
    private const string Libc = "libc";

    /// <summary>sendmmsg(2): sends up to <paramref name="vlen"/> datagrams in one call.</summary>
    [LibraryImport(Libc, SetLastError = true)]
    internal static partial int sendmmsg(int sockfd, Tmds.Linux.mmsghdr* msgvec, uint vlen, int flags);

    /// <summary>recvmmsg(2): receives up to <paramref name="vlen"/> datagrams in one call.</summary>
    [LibraryImport(Libc, SetLastError = true)]
    internal static partial int recvmmsg(int sockfd, Tmds.Linux.mmsghdr* msgvec, uint vlen, int flags, void* timeout);
}
