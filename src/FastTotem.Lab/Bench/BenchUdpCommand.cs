using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using FastTotem.Transport;
using FastTotem.Transport.Interop;
using Tmds.Linux;

namespace FastTotem.Cli.Bench;

/// <summary>
/// <c>fasttotem bench-udp</c> (hidden): the raw limit. <c>--recv PORT</c> counts datagrams with recvmmsg;
/// <c>--send ADDR:PORT</c> sends with sendmmsg batches as fast as the kernel takes them. Same line protocol as
/// bench-node (<c>joined</c>, <c>start T</c>, one JSON line). Datagrams above 65,507 bytes do not exist: the size
/// is clamped (and 64 KiB datagrams are IP-fragmented on a 1,500-byte MTU).
/// </summary>
internal static unsafe class BenchUdpCommand
{
    public const int MaxDatagram = 65507;
    private const int Batch = 64;

    public static int Run(string[] args)
    {
        string? recvPort = null, sendTo = null;
        int size = 64;
        double warmup = 2, seconds = 5;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            string v = args[i + 1];
            switch (args[i])
            {
                case "--recv": recvPort = v; break;
                case "--send": sendTo = v; break;
                case "--size": size = Math.Min(MaxDatagram, int.Parse(v, CultureInfo.InvariantCulture)); break;
                case "--warmup": warmup = double.Parse(v, CultureInfo.InvariantCulture); break;
                case "--seconds": seconds = double.Parse(v, CultureInfo.InvariantCulture); break;
                default:
                    Console.Error.WriteLine($"bench-udp: unknown option {args[i]}");
                    return 2;
            }
        }

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.ReceiveBufferSize = 8 * 1024 * 1024;
        socket.SendBufferSize = 8 * 1024 * 1024;
        if (recvPort != null)
        {
            socket.Bind(new IPEndPoint(IPAddress.Any, int.Parse(recvPort, CultureInfo.InvariantCulture)));
            socket.ReceiveTimeout = 50;
        }
        else if (sendTo != null)
        {
            socket.Connect(IPEndPoint.Parse(sendTo));
        }
        else
        {
            Console.Error.WriteLine("bench-udp: --recv PORT or --send ADDR:PORT");
            return 2;
        }

        Console.WriteLine("joined");
        Console.Out.Flush();
        string? line = Console.ReadLine();
        if (line == null || !line.StartsWith("start ", StringComparison.Ordinal))
        {
            return 1;
        }

        long start = long.Parse(line.AsSpan(6), CultureInfo.InvariantCulture);
        long windowStart = start + (long)(warmup * 1e9);
        long windowEnd = windowStart + (long)(seconds * 1e9);
        long stopAt = windowEnd + 300_000_000;
        int fd = (int)socket.Handle;
        byte[] slab = GC.AllocateArray<byte>(Batch * MaxDatagram, pinned: true);
        var iov = GC.AllocateArray<iovec>(Batch, pinned: true);
        var msgs = GC.AllocateArray<mmsghdr>(Batch, pinned: true);
        long inWindow = 0, bytes = 0, total = 0, errors = 0;
        fixed (byte* b = slab)
        fixed (iovec* v = iov)
        fixed (mmsghdr* m = msgs)
        {
            for (int i = 0; i < Batch; i++)
            {
                // The sender sends one buffer Batch times; the receiver gets a slot per datagram.
                v[i].iov_base = recvPort != null ? b + (long)i * MaxDatagram : b;
                v[i].iov_len = (size_t)(recvPort != null ? MaxDatagram : size);
            }

            MemberRun.SleepUntil(recvPort != null ? start - 100_000_000 : start);
            while (true)
            {
                long now = MonotonicClock.NowNs();
                if (now >= stopAt)
                {
                    break;
                }

                for (int i = 0; i < Batch; i++)
                {
                    msghdr h = default;
                    h.msg_iov = v + i;
                    h.msg_iovlen = 1;
                    m[i].msg_hdr = h;
                    m[i].msg_len = 0;
                }

                int got = recvPort != null
                    ? LibcSocket.recvmmsg(fd, m, Batch, 0x10000 /* MSG_WAITFORONE */, null)
                    : LibcSocket.sendmmsg(fd, m, Batch, 0);
                if (got <= 0)
                {
                    errors++;
                    continue;
                }

                total += got;
                now = MonotonicClock.NowNs();
                if (now >= windowStart && now < windowEnd)
                {
                    inWindow += got;
                    for (int i = 0; i < got; i++)
                    {
                        bytes += m[i].msg_len;
                    }
                }
            }
        }

        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        bool receiver = recvPort != null;
        sb.Append(inv, $"{{\"system\":\"udp\",\"size\":{size},\"sender\":{(receiver ? 0 : 1)},\"receives\":{(receiver ? 1 : 0)},\"window_s\":{seconds},");
        sb.Append(inv, $"\"sent\":{(receiver ? 0 : inWindow)},\"delivered\":{(receiver ? inWindow : 0)},\"bytes\":{(receiver ? bytes : 0)},\"total\":{total},\"errors\":{errors}}}");
        Console.WriteLine(sb.ToString());
        Console.Out.Flush();
        return 0;
    }
}
