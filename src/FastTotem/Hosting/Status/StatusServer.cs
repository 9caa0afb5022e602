using System.Net.Sockets;
using System.Text;

namespace FastTotem.Hosting.Status;

/// <summary>
/// The node's status socket (<c>&lt;state_dir&gt;/fasttotem-&lt;nodeid&gt;.sock</c>, mode 0600): a background thread
/// accepts one client at a time, reads its request line (<c>text</c> or <c>json</c>), asks the protocol thread for a
/// snapshot (<see cref="NodeStatus"/>; the loop answers at its next step, so nothing waits on a lock) and writes the
/// answer, then closes. A snapshot that does not come within <see cref="AnswerTimeout"/> is answered with an error
/// line. The protocol thread never touches the socket.
/// </summary>
internal sealed class StatusServer : IDisposable
{
    /// <summary>How long a client may take to send its request, and the loop to hand over a snapshot.</summary>
    public static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(2);

    private const int RequestBytesMax = 64;

    private readonly Socket _listener;
    private readonly Func<TimeSpan, NodeStatus?> _snapshot;
    private readonly Thread _thread;
    private volatile bool _disposed;
    private long _answered;

    private StatusServer(string path, Socket listener, Func<TimeSpan, NodeStatus?> snapshot)
    {
        Path = path;
        _listener = listener;
        _snapshot = snapshot;
        _thread = new Thread(Serve) { IsBackground = true, Name = "fasttotem-status" };
        _thread.Start();
    }

    public string Path { get; }

    /// <summary>Requests answered (each with a status or an error line).</summary>
    public long Answered => Interlocked.Read(ref _answered);

    /// <summary>The socket path a node uses in <paramref name="stateDir"/>.</summary>
    public static string DefaultPath(string stateDir, uint nodeId) => System.IO.Path.Combine(stateDir, $"fasttotem-{nodeId}.sock");

    /// <summary>
    /// Binds <paramref name="path"/> (mode 0600, set before it listens) and starts serving. A socket file nobody
    /// answers on is stale (a node that died) and is removed; one a live node answers on is refused.
    /// </summary>
    /// <exception cref="IOException">The path is in use by a live node, or cannot be bound.</exception>
    public static StatusServer Open(string path, Func<TimeSpan, NodeStatus?> snapshot)
    {
        if (File.Exists(path))
        {
            if (IsAnswering(path))
            {
                throw new IOException($"{path}: another node answers on this status socket");
            }

            File.Delete(path);
        }

        string? dir = System.IO.Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(dir))
        {
            Directory.CreateDirectory(dir);
        }

        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(path));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite); // before listen: no one connects earlier
            }
            listener.Listen(8);
        }
        catch (Exception e) when (e is SocketException or UnauthorizedAccessException)
        {
            listener.Dispose();
            throw new IOException($"{path}: cannot open the status socket: {e.Message}", e);
        }

        return new StatusServer(path, listener, snapshot);
    }

    /// <summary>Stops serving and deletes the socket file.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            _listener.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // A listening socket is not connected; closing it below ends the accept.
        }

        _listener.Dispose();
        _thread.Join(AnswerTimeout * 2);
        try
        {
            File.Delete(Path);
        }
        catch (IOException)
        {
            // Gone already.
        }
    }

    private static bool IsAnswering(string path)
    {
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private void Serve()
    {
        while (!_disposed)
        {
            Socket client;
            try
            {
                client = _listener.Accept();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }

            using (client)
            {
                try
                {
                    Answer(client);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
                {
                    // The client went away; the next one is served.
                }
                catch (Exception)
                {
                    // A bug in formatting must not end the host process (this is a background thread): the client
                    // gets a closed connection, and the next one is served.
                }
            }

            Interlocked.Increment(ref _answered);
        }
    }

    private void Answer(Socket client)
    {
        client.ReceiveTimeout = (int)AnswerTimeout.TotalMilliseconds;
        client.SendTimeout = (int)AnswerTimeout.TotalMilliseconds;
        string? request = ReadRequest(client);
        byte[] reply;
        if (request is not ("text" or "json"))
        {
            reply = Encoding.UTF8.GetBytes($"error: unknown request '{request}' (send \"text\" or \"json\" and a newline)\n");
        }
        else if (_snapshot(AnswerTimeout) is not { } status)
        {
            reply = Encoding.UTF8.GetBytes($"error: the node's protocol thread did not answer within {AnswerTimeout.TotalSeconds:0} s (stopped or faulted)\n");
        }
        else
        {
            reply = request == "json" ? StatusFormat.ToJson(status) : Encoding.UTF8.GetBytes(StatusFormat.ToText(status));
        }

        client.Send(reply);
        client.Shutdown(SocketShutdown.Send);
    }

    /// <summary>One line of at most <see cref="RequestBytesMax"/> bytes; null when the client sent none in time.</summary>
    private static string? ReadRequest(Socket client)
    {
        Span<byte> buffer = stackalloc byte[RequestBytesMax];
        int length = 0;
        while (length < buffer.Length)
        {
            int n;
            try
            {
                n = client.Receive(buffer[length..]);
            }
            catch (SocketException)
            {
                return null;
            }

            if (n == 0)
            {
                break;
            }

            length += n;
            int newline = buffer[..length].IndexOf((byte)'\n');
            if (newline >= 0)
            {
                return Encoding.UTF8.GetString(buffer[..newline]).Trim();
            }
        }

        return length == 0 ? null : Encoding.UTF8.GetString(buffer[..length]).Trim();
    }
}
