using FastTotem.Transport;

namespace FastTotem.Tests.Transport;

/// <summary>corosync's ringid_&lt;nodeid&gt; file (docs/wire-format.md §15).</summary>
public class FileRingSeqStoreTests
{
    [Fact]
    public void MissingFileReadsZeroAndIsCreatedLikeCorosyncDoes()
    {
        string dir = Directory.CreateTempSubdirectory("fasttotem-seq-").FullName;
        try
        {
            var store = new FileRingSeqStore(Path.Combine(dir, "state"));
            Assert.Equal(0UL, store.Load(7));
            string path = Path.Combine(dir, "state", "ringid_7");
            Assert.Equal(new byte[8], File.ReadAllBytes(path));
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void StoredSeqIsEightLittleEndianBytesAndSurvivesANewStore()
    {
        string dir = Directory.CreateTempSubdirectory("fasttotem-seq-").FullName;
        try
        {
            new FileRingSeqStore(dir).Store(3, 0x11);
            Assert.Equal(new byte[] { 0x11, 0, 0, 0, 0, 0, 0, 0 }, File.ReadAllBytes(Path.Combine(dir, "ringid_3")));
            Assert.Equal(0x11UL, new FileRingSeqStore(dir).Load(3));

            // A file corosync wrote (the fixture runs stored 9, 13, 17) reads the same way.
            File.WriteAllBytes(Path.Combine(dir, "ringid_1"), BitConverter.GetBytes(17UL));
            Assert.Equal(17UL, new FileRingSeqStore(dir).Load(1));

            // A short file counts as 0, as in corosync.
            File.WriteAllBytes(Path.Combine(dir, "ringid_2"), new byte[] { 5, 0, 0 });
            Assert.Equal(0UL, new FileRingSeqStore(dir).Load(2));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
