using System.Net.Sockets;
using System.Text;

namespace FastTotem.Hosting.Status;

/// <summary>The other end of <see cref="StatusServer"/>: <c>fasttotem status</c> and the tests ask a node with it.</summary>
internal static class StatusClient
{
    /// <summary>
    /// The socket of the node a corosync.conf describes, found as <c>fasttotem run</c> finds its node: the nodelist
    /// entry with one of this host's addresses, unless <paramref name="nodeId"/> says which.
    /// </summary>
    /// <exception cref="CorosyncConfigException">The file is broken, or no entry is this host's.</exception>
    public static string SocketPathFor(string configPath, uint? nodeId)
    {
        var config = Config.CorosyncConfig.Load(configPath);
        uint id = nodeId ?? config.FindLocalNode()?.NodeId
            ?? throw new CorosyncConfigException("no nodelist entry has a ring0_addr of this host; pass --nodeid");
        return StatusServer.DefaultPath(config.StateDir, id);
    }

    /// <summary>Sends <paramref name="request"/> (<c>text</c> or <c>json</c>) and returns the whole answer.</summary>
    /// <exception cref="StatusUnavailableException">No socket at <paramref name="path"/>, nobody listening, or no answer in time.</exception>
    public static string Query(string path, string request, TimeSpan timeout)
    {
        if (!File.Exists(path))
        {
            throw new StatusUnavailableException($"{path}: no status socket (is the node running, with its status socket open?)");
        }

        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.ReceiveTimeout = (int)timeout.TotalMilliseconds;
        socket.SendTimeout = (int)timeout.TotalMilliseconds;
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(path));
            socket.Send(Encoding.UTF8.GetBytes(request + "\n"));
            using var answer = new MemoryStream();
            byte[] buffer = new byte[8192];
            int n;
            while ((n = socket.Receive(buffer)) > 0)
            {
                answer.Write(buffer, 0, n);
            }

            return Encoding.UTF8.GetString(answer.GetBuffer(), 0, (int)answer.Length);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            throw new StatusUnavailableException($"{path}: connection refused (a stale socket: the node is not running)", e);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut || e.SocketErrorCode == SocketError.WouldBlock)
        {
            throw new StatusUnavailableException($"{path}: no answer within {timeout.TotalSeconds:0.#} s", e);
        }
        catch (SocketException e)
        {
            throw new StatusUnavailableException($"{path}: {e.Message}", e);
        }
    }
}

/// <summary>A node's status could not be had: the message says why, for the operator.</summary>
internal sealed class StatusUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
