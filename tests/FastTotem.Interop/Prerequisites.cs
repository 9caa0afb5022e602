namespace FastTotem.Interop;

/// <summary>
/// What the namespace tests need: root, iproute2's netns, nftables and Debian's corosync 3.1.7.
/// Outside CI a missing one skips the test; under CI=true it fails it (the brief: a missing
/// prerequisite in CI is a failure, not a skip).
/// </summary>
internal static class Prerequisites
{
    public static bool InCi => Environment.GetEnvironmentVariable("CI") == "true";

    public static string? Missing()
    {
        if (Environment.UserName != "root" && geteuid() != 0)
        {
            return "not root (network namespaces need CAP_NET_ADMIN)";
        }

        foreach (string tool in new[] { "/usr/sbin/corosync", "/usr/sbin/corosync-quorumtool", "/usr/sbin/corosync-cmapctl", "/usr/sbin/nft" })
        {
            if (!File.Exists(tool))
            {
                return $"{tool} is missing (apt-get install corosync nftables; ./build.sh test installs them as root)";
            }
        }

        if (!File.Exists("/usr/sbin/ip") && !File.Exists("/usr/bin/ip") && !File.Exists("/sbin/ip"))
        {
            return "iproute2's ip is missing";
        }

        return null;
    }

    /// <summary>Skips (or, under CI, fails) the calling test when a prerequisite is missing.</summary>
    public static void Require()
    {
        string? missing = Missing();
        if (missing == null)
        {
            return;
        }

        if (InCi)
        {
            Assert.Fail($"interop prerequisite missing under CI=true: {missing}");
        }

        Skip.If(true, missing);
    }

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern uint geteuid();
}
