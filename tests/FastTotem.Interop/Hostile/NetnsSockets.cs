using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace FastTotem.Interop.Hostile;

/// <summary>
/// Sockets opened inside a lab namespace from this test process: a short-lived thread enters the namespace
/// (setns only moves the calling thread), creates the socket and ends; the socket stays in the namespace it was
/// created in and may be used from any thread. This is the attacker's "ip netns exec" without a second program.
/// </summary>
internal static class NetnsSockets
{
    private const int CloneNewNet = 0x40000000;
    private const int AfPacket = 17;
    private const int SockRaw = 3;
    private const int EthPAllBigEndian = 0x0300; // htons(ETH_P_ALL): a bridge port's frames reach only the all-protocol taps
    private const int SolSocket = 1;
    private const int SoRcvTimeo = 20;
    private const int SoRcvBuf = 8;
    private const int SolIp = 0;
    private const int IpTransparent = 19;

    /// <summary>
    /// A UDP socket in <paramref name="ns"/> bound to <paramref name="source"/>:5405 with IP_TRANSPARENT, so the
    /// address need not be the namespace's own: datagrams sent on it carry that source address (a forgery), and
    /// the kernel fragments large ones as usual.
    /// </summary>
    public static Socket SpoofingUdp(string ns, IPAddress source, int port = 5405) => InNamespace(ns, () =>
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            int one = 1;
            if (setsockopt((int)s.Handle, SolIp, IpTransparent, ref one, sizeof(int)) != 0)
            {
                throw new InvalidOperationException($"IP_TRANSPARENT failed: errno {Marshal.GetLastPInvokeError()}");
            }

            s.Bind(new IPEndPoint(source, port));
            return s;
        }
        catch
        {
            s.Dispose();
            throw;
        }
    });

    /// <summary>An AF_PACKET socket for all frames on every interface of <paramref name="ns"/> (the lab's switch),
    /// with a 200 ms receive timeout; returns the file descriptor (close it with <see cref="Close"/>).</summary>
    public static int PacketSniffer(string ns) => InNamespace(ns, () =>
    {
        int fd = socket(AfPacket, SockRaw, EthPAllBigEndian);
        if (fd < 0)
        {
            throw new InvalidOperationException($"AF_PACKET socket failed: errno {Marshal.GetLastPInvokeError()}");
        }

        long[] timeout = { 0, 200_000 }; // struct timeval: 0 s, 200,000 µs
        setsockopt(fd, SolSocket, SoRcvTimeo, timeout, 16);
        int buf = 8 << 20;
        setsockopt(fd, SolSocket, SoRcvBuf, ref buf, sizeof(int));
        return fd;
    });

    /// <summary>Receives one frame; returns its length (0 on timeout) and the packet type of its sockaddr_ll
    /// (4 = PACKET_OUTGOING: the copy a bridge port sends on, which the sniffer skips) and interface index.</summary>
    public static unsafe int ReceiveFrame(int fd, byte[] buffer, out int packetType, out int interfaceIndex)
    {
        byte* addr = stackalloc byte[20];
        int addrLen = 20;
        fixed (byte* b = buffer)
        {
            nint n = recvfrom(fd, b, buffer.Length, 0, addr, ref addrLen);
            packetType = addr[10];
            interfaceIndex = *(int*)(addr + 4);
            return n < 0 ? 0 : (int)n;
        }
    }

    public static void Close(int fd) => close(fd);

    private static T InNamespace<T>(string ns, Func<T> open)
    {
        T? result = default;
        Exception? error = null;
        var t = new Thread(() =>
        {
            try
            {
                using var handle = File.OpenHandle($"/var/run/netns/{ns}");
                if (setns((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
                {
                    throw new InvalidOperationException($"setns({ns}) failed: errno {Marshal.GetLastPInvokeError()}");
                }

                result = open();
            }
            catch (Exception e)
            {
                error = e;
            }
        });
        t.Start();
        t.Join();
        if (error != null)
        {
            throw new InvalidOperationException($"cannot open a socket in namespace {ns}: {error.Message}", error);
        }

        return result!;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int setns(int fd, int nstype);

    [DllImport("libc", SetLastError = true)]
    private static extern int socket(int domain, int type, int protocol);

    [DllImport("libc", SetLastError = true)]
    private static extern int setsockopt(int fd, int level, int name, ref int value, int length);

    [DllImport("libc", SetLastError = true)]
    private static extern int setsockopt(int fd, int level, int name, long[] value, int length);

    [DllImport("libc", SetLastError = true)]
    private static extern unsafe nint recvfrom(int fd, byte* buffer, nint length, int flags, byte* addr, ref int addrLen);

    [DllImport("libc")]
    private static extern int close(int fd);
}
