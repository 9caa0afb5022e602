using FastTotem.Transport.Interop;
using Tmds.Linux;

namespace FastTotem.Transport;

/// <summary>
/// One non-blocking recvmmsg into a transport's preallocated batch: message headers, one iovec per slot (already
/// pointing into the pinned receive slab) and a source address per slot. Shared by the udpu/udp and knet transports.
/// </summary>
internal static unsafe class BatchReceiver
{
    /// <summary>Reads up to <paramref name="count"/> datagrams from <paramref name="fd"/>; recvmmsg's result (negative on error).</summary>
    public static int Read(int fd, mmsghdr[] msgs, iovec[] iov, SocketAddress[] sources, int count) =>
        Read(fd, msgs, iov, sources, count, null, 0);

    /// <summary>
    /// As <see cref="Read(int, mmsghdr[], iovec[], SocketAddress[], int)"/>, with <paramref name="controlSize"/> bytes of
    /// ancillary data per slot at <paramref name="control"/> (pinned; null for none): where UDP_GRO reports its segment size.
    /// </summary>
    public static int Read(int fd, mmsghdr[] msgs, iovec[] iov, SocketAddress[] sources, int count, byte* control, int controlSize)
    {
        fixed (mmsghdr* m = msgs)
        fixed (iovec* v = iov)
        fixed (SocketAddress* s = sources)
        {
            for (int i = 0; i < count; i++)
            {
                msghdr h = default;
                h.msg_name = s + i;
                h.msg_namelen = SocketAddress.Size;
                h.msg_iov = v + i;
                h.msg_iovlen = 1;
                if (control != null)
                {
                    h.msg_control = control + (i * controlSize);
                    h.msg_controllen = (socklen_t)controlSize;
                }

                m[i].msg_hdr = h;
                m[i].msg_len = 0;
            }

            return LibcSocket.recvmmsg(fd, m, (uint)count, LibC.MSG_DONTWAIT, null);
        }
    }
}
