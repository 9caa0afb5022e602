using System.Buffers.Binary;
using FastTotem.Protocol.Srp;

namespace FastTotem.Transport;

/// <summary>
/// corosync's ring-id persistence (docs/wire-format.md §15): <c>&lt;state_dir&gt;/ringid_&lt;nodeid&gt;</c>, exactly
/// 8 bytes, the ring seq as a little-endian uint64 (corosync writes native order; we only run
/// little-endian), mode 0600. A missing or short file reads as 0 and is created with 0, as
/// corosync does, so a node that cannot write its state directory fails at start-up, not later.
/// </summary>
internal sealed class FileRingSeqStore(string stateDir) : IRingSeqStore
{
    public string StateDir { get; } = stateDir;

    public string PathFor(uint nodeId) => System.IO.Path.Combine(StateDir, $"ringid_{nodeId}");

    public ulong Load(uint nodeId)
    {
        string path = PathFor(nodeId);
        Span<byte> bytes = stackalloc byte[8];
        try
        {
            using FileStream fs = new(path, FileMode.Open, FileAccess.Read);
            if (fs.ReadAtLeast(bytes, 8, throwOnEndOfStream: false) == 8)
            {
                return BinaryPrimitives.ReadUInt64LittleEndian(bytes);
            }
        }
        catch (FileNotFoundException)
        {
        }
        catch (DirectoryNotFoundException)
        {
        }

        Store(nodeId, 0);
        return 0;
    }

    public void Store(uint nodeId, ulong seq)
    {
        Directory.CreateDirectory(StateDir);
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, seq);
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using FileStream fs = new(PathFor(nodeId), options);
        fs.Write(bytes);
        fs.Flush(flushToDisk: true);
    }
}
