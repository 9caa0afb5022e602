using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using FastTotem.Hosting;

namespace FastTotem.Interop;

/// <summary>
/// The packages as a user gets them: packed once (<see cref="PackageFeed"/>) with a version no cache can hold, each
/// restored into a fresh project through its own NUGET_PACKAGES folder from a nuget.config naming that feed. FastTotem
/// is run against a live ring, FastTotem.Extensions.Hosting starts a node under a generic host, and FastTotem.Native's
/// library and header build and run a C program.
/// </summary>
public class PackageConsumerTests(PackageFeed feed) : IClassFixture<PackageFeed>
{
    private const string AppProgram = """
        using System.Net;
        using System.Text;
        using FastTotem;

        uint self = uint.Parse(args[0]);
        int port = int.Parse(args[1]);
        var members = new[] { 1u, 2u, 3u }.Select(n => new TotemMember(n, IPAddress.Parse($"127.0.0.{n}"))).ToArray();
        using TotemNode node = TotemNode.Create(new TotemNodeOptions
        {
            NodeId = self, Members = members, Port = port, TokenMs = 1000, StateDir = args[2],
        });
        node.Start();
        await node.WaitForSyncAsync();
        var received = new HashSet<string>();
        bool ownDelivered = false; // our message in the agreed order: every member delivers it
        // Not on the protocol thread: the two welcomes (nodes 1 and 2 are in our group), then our hello and both answers.
        var welcomed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        ProcessGroup group = await node.JoinGroupAsync("package-test", (from, pid, data) =>
        {
            string text = Encoding.UTF8.GetString(data);
            Console.WriteLine($"delivered {from}: {text}");
            if (from == self) ownDelivered = true; else received.Add(text);
            if (received.Count >= 2) welcomed.TrySetResult();
            if (ownDelivered && received.Count == 4) done.TrySetResult();
        });
        // Our node may first form a ring of its own and join the group there: a message sent then is delivered in that
        // configuration only. Nodes 1 and 2 welcome us once they see our join, so send after both welcomes.
        await welcomed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await group.MulticastAsync(Encoding.UTF8.GetBytes($"hello from node {self}, a package consumer"));
        await done.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Console.WriteLine($"received={received.Count}");
        group.Leave();
        """;

    [Fact]
    public async Task AFreshProjectRestoresThePackageAndJoinsALiveRing()
    {
        var clock = Stopwatch.StartNew();
        string version = feed.Version;
        string tmp = Directory.CreateTempSubdirectory("fasttotem-consumer-").FullName;
        string app = Path.Combine(tmp, "app");
        TotemNode[] nodes = Array.Empty<TotemNode>();
        try
        {
            Assert.True(File.Exists(Path.Combine(feed.Folder, $"FastTotem.{version}.snupkg")), "no symbols package");
            CheckPackage(Path.Combine(feed.Folder, $"FastTotem.{version}.nupkg"), version);
            string packages = Path.Combine(tmp, "nuget-packages");
            WriteProject(app, feed.Folder, $"<PackageReference Include=\"FastTotem\" Version=\"{version}\" />", AppProgram);
            var env = new Dictionary<string, string> { ["NUGET_PACKAGES"] = packages };
            Run("dotnet", app, env, 150_000, "build", "-c", "Release", "-nodeReuse:false", "-p:UseAppHost=false", "-v", "quiet", "-nologo");
            Assert.True(File.Exists(Path.Combine(packages, "fasttotem", version, $"fasttotem.{version}.nupkg")),
                "FastTotem was not restored into the fresh package folder");
            long buildMs = clock.ElapsedMilliseconds;

            // Two nodes in this process and the fresh program as the third, on 127.0.0.1-3.
            int port;
            using (var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
            {
                port = ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
            }

            var members = new[] { 1u, 2u, 3u }.Select(n => new TotemMember(n, IPAddress.Parse($"127.0.0.{n}"))).ToArray();
            nodes = new[] { 1u, 2u }.Select(n => TotemNode.Create(new TotemNodeOptions
            {
                NodeId = n, Members = members, Port = port, TokenMs = 1000, StateDir = Path.Combine(tmp, $"n{n}"),
            })).ToArray();
            var heard = new ConcurrentQueue<string>();
            var groups = new ProcessGroup[2];
            for (int i = 0; i < 2; i++)
            {
                nodes[i].Start();
                uint id = nodes[i].NodeId;
                ProcessGroup? group = null;
                group = await nodes[i].JoinGroupAsync("package-test", (from, pid, data) =>
                {
                    string text = Encoding.UTF8.GetString(data);
                    if (from == 3)
                    {
                        heard.Enqueue($"{id}<-{text}");
                        if (text.StartsWith("hello", StringComparison.Ordinal))
                        {
                            // The program waits for this answer before it leaves, so its hello cannot leave with it.
                            group!.TryMulticast(Encoding.UTF8.GetBytes($"node {id} heard you"));
                        }
                    }
                }).WaitAsync(TimeSpan.FromSeconds(20));
                groups[i] = group;
                group.MembershipChanged += m =>
                {
                    if (m.Joined.Any(j => j.NodeId == 3))
                    {
                        group.TryMulticast(Encoding.UTF8.GetBytes($"welcome from node {id}"));
                    }
                };
            }

            string output = Run("dotnet", app, env, 45_000, Path.Combine(app, "bin", "Release", "net10.0", "App.dll"), "3", port.ToString(), Path.Combine(tmp, "n3"));
            Assert.Contains("received=4", output);
            Assert.Contains("delivered 1: node 1 heard you", output);
            Assert.Contains("delivered 2: node 2 heard you", output);
            Assert.Contains("delivered 1: welcome from node 1", output);
            Assert.Contains("delivered 2: welcome from node 2", output);
            Assert.True(WaitFor(() => heard.Count(h => h.EndsWith("hello from node 3, a package consumer", StringComparison.Ordinal)) == 2),
                "nodes 1 and 2 heard: " + string.Join(" | ", heard));
            Console.WriteLine($"package {version} (packed in {feed.PackMs} ms): restored and built in {buildMs} ms; whole test {clock.ElapsedMilliseconds} ms");
        }
        finally
        {
            foreach (TotemNode n in nodes)
            {
                n.Dispose();
            }

            Directory.Delete(tmp, recursive: true);
        }
    }

    private const string HostProgram = """
        using FastTotem;
        using Microsoft.Extensions.DependencyInjection;
        using Microsoft.Extensions.Hosting;

        // A generic host that runs node 1 through FastTotem.Extensions.Hosting; node 2 is the test's.
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Services.AddFastTotem(o =>
        {
            o.NodeId = 1;
            o.Members.Add(new FastTotemMemberOptions { NodeId = 1, Address = "127.0.0.1" });
            o.Members.Add(new FastTotemMemberOptions { NodeId = 2, Address = "127.0.0.2" });
            o.Port = int.Parse(args[0]);
            o.TokenMs = 1000;
            o.StateDir = args[1];
            o.Groups.Add("hosted");
        });
        using IHost host = builder.Build();
        await host.StartAsync();
        TotemNode node = host.Services.GetRequiredService<TotemNode>();
        FastTotemGroups groups = host.Services.GetRequiredService<FastTotemGroups>();
        for (int i = 0; i < 200 && node.Ring?.Members.Length != 2; i++) await Task.Delay(100);
        Console.WriteLine($"ring {node.Ring?.RingId}: members [{string.Join(' ', node.Ring?.Members ?? Array.Empty<uint>())}]");
        Console.WriteLine($"group hosted: {groups["hosted"].TryMulticast("hello from the host"u8)}");
        await Task.Delay(500);
        await host.StopAsync();
        Console.WriteLine("host stopped");
        """;

    private const string CProgram = """
        #include <stdio.h>
        #include "fasttotem.h"

        /* Links against the restored package's libfasttotem.so: a node from a corosync.conf, a group joined once the
         * ring has formed, the quorum it sees, then a LEAVE and the node destroyed. */
        int main(int argc, char **argv)
        {
            if (argc != 2) return 2;
            printf("api %d.%d\n", ft_api_version(), ft_api_version_minor());
            ft_node node;
            int rc = ft_node_create(argv[1], 7, &node);
            if (rc == FT_OK) rc = ft_node_start(node);
            if (rc != FT_OK) { printf("node: %s\n", ft_strerror(rc)); return 1; }
            ft_group group;
            rc = ft_group_join(node, "package", 20000, &group);
            if (rc != FT_OK) { printf("join: %s\n", ft_strerror(rc)); return 1; }
            ft_quorum quorum;
            rc = ft_node_quorum(node, &quorum);
            uint32_t id = 0;
            ft_node_id(node, &id);
            printf("node %u joined, ring %u.%llu, members %u, quorate %u\n", id, quorum.ring_rep,
                   (unsigned long long)quorum.ring_seq, quorum.member_count, quorum.quorate);
            ft_group_leave(group);
            rc = ft_node_destroy(node);
            printf("destroyed: %s\n", ft_strerror(rc));
            return rc == FT_OK ? 0 : 1;
        }
        """;

    /// <summary>The generic host's version the repository's own tests use (so it is in the offline package folder).</summary>
    private const string HostingVersion = "10.0.12";

    [Fact]
    public async Task AFreshHostRestoresTheHostingPackageAndRunsANodeInARing()
    {
        var clock = Stopwatch.StartNew();
        string version = feed.Version;
        string tmp = Directory.CreateTempSubdirectory("fasttotem-hosting-").FullName;
        string app = Path.Combine(tmp, "host");
        TotemNode? other = null;
        try
        {
            // The package depends on FastTotem of the same version and on the hosting abstractions, not on the host.
            string nuspec = Nuspec(Path.Combine(feed.Folder, $"FastTotem.Extensions.Hosting.{version}.nupkg"), "FastTotem.Extensions.Hosting.nuspec");
            Assert.Contains($"<dependency id=\"FastTotem\" version=\"{version}\"", nuspec);
            Assert.Contains("id=\"Microsoft.Extensions.Hosting.Abstractions\"", nuspec);

            string packages = Path.Combine(tmp, "nuget-packages");
            WriteProject(app, feed.Folder,
                $"<PackageReference Include=\"FastTotem.Extensions.Hosting\" Version=\"{version}\" />" +
                $"<PackageReference Include=\"Microsoft.Extensions.Hosting\" Version=\"{HostingVersion}\" />",
                HostProgram);
            var env = new Dictionary<string, string> { ["NUGET_PACKAGES"] = packages };
            Run("dotnet", app, env, 150_000, "build", "-c", "Release", "-nodeReuse:false", "-p:UseAppHost=false", "-v", "quiet", "-nologo");
            foreach (string id in new[] { "fasttotem.extensions.hosting", "fasttotem" })
            {
                Assert.True(File.Exists(Path.Combine(packages, id, version, $"{id}.{version}.nupkg")), $"{id} was not restored into the fresh package folder");
            }

            long buildMs = clock.ElapsedMilliseconds;
            int port = FreePort();
            var members = new[] { 1u, 2u }.Select(n => new TotemMember(n, IPAddress.Parse($"127.0.0.{n}"))).ToArray();
            other = TotemNode.Create(new TotemNodeOptions { NodeId = 2, Members = members, Port = port, TokenMs = 1000, StateDir = Path.Combine(tmp, "n2") });
            var heard = new ConcurrentQueue<string>();
            var rings = new ConcurrentQueue<string>();
            other.RingChanged += r => rings.Enqueue($"[{string.Join(' ', r.Members)}]");
            other.Start();
            await other.JoinGroupAsync("hosted", (from, pid, data) => heard.Enqueue($"{from}: {Encoding.UTF8.GetString(data)}")).WaitAsync(TimeSpan.FromSeconds(20));

            string output = Run("dotnet", app, env, 60_000, Path.Combine(app, "bin", "Release", "net10.0", "App.dll"), port.ToString(), Path.Combine(tmp, "n1"));
            Assert.Matches(@"ring 1\.\d+: members \[1 2\]", output);
            Assert.Contains("group hosted: Ok", output);
            Assert.Contains("host stopped", output);
            Assert.True(WaitFor(() => heard.Contains("1: hello from the host")), "node 2 heard: " + string.Join(" | ", heard));
            // The host's stop left the ring with a LEAVE: node 2 is alone again.
            Assert.True(WaitFor(() => rings.LastOrDefault() == "[2]"), "node 2's rings: " + string.Join(" ", rings));
            Console.WriteLine($"hosting package {version}: restored and built in {buildMs} ms; whole test {clock.ElapsedMilliseconds} ms");
        }
        finally
        {
            other?.Dispose();
            Directory.Delete(tmp, recursive: true);
        }
    }

    [Fact]
    public void AFreshProjectRestoresTheNativePackageAndACProgramLinksAndRunsAgainstIt()
    {
        var clock = Stopwatch.StartNew();
        string version = feed.Version;
        string tmp = Directory.CreateTempSubdirectory("fasttotem-native-").FullName;
        try
        {
            // Restored into a fresh package folder by a project that only downloads it (PackageDownload: the package
            // has no .NET assets, so nothing in it is checked against the project's framework), as a C build would.
            string app = Path.Combine(tmp, "restore");
            string packages = Path.Combine(tmp, "nuget-packages");
            WriteProject(app, feed.Folder, $"<PackageDownload Include=\"FastTotem.Native\" Version=\"[{version}]\" />", "return 0;");
            Run("dotnet", app, new Dictionary<string, string> { ["NUGET_PACKAGES"] = packages }, 120_000, "restore", "-nodeReuse:false", "-v", "quiet");
            string root = Path.Combine(packages, "fasttotem.native", version);
            string lib = Path.Combine(root, "runtimes", "linux-x64", "native");
            string include = Path.Combine(root, "build", "native", "include");
            Assert.True(File.Exists(Path.Combine(lib, "libfasttotem.so")), $"no libfasttotem.so in {root}");
            Assert.True(File.Exists(Path.Combine(include, "fasttotem.h")), $"no fasttotem.h in {root}");
            long restoreMs = clock.ElapsedMilliseconds;

            string source = Path.Combine(tmp, "ftpackage.c");
            string program = Path.Combine(tmp, "ftpackage");
            File.WriteAllText(source, CProgram);
            Run("gcc", tmp, null, 60_000, "-O2", "-Wall", "-Wextra", "-Werror", "-I", include, "-o", program, source, "-L", lib, "-lfasttotem", $"-Wl,-rpath,{lib}");

            // A singleton udpu ring on a loopback address of its own.
            int pid = Environment.ProcessId;
            string address = $"127.140.{(pid >> 8) & 255}.{(pid & 254) | 1}";
            string conf = Path.Combine(tmp, "corosync.conf");
            Directory.CreateDirectory(Path.Combine(tmp, "state"));
            File.WriteAllText(conf, $$"""
                totem {
                	version: 2
                	cluster_name: ftpackage
                	transport: udpu
                	crypto_cipher: none
                	crypto_hash: none
                	token: 1000
                }
                system {
                	state_dir: {{Path.Combine(tmp, "state")}}
                }
                nodelist {
                	node {
                		nodeid: 7
                		ring0_addr: {{address}}
                	}
                }
                """);
            string output = Run(program, tmp, null, 60_000, conf);
            Assert.Contains("api 3.", output);
            Assert.Matches(@"node 7 joined, ring 7\.\d+, members 1, quorate 1", output);
            Assert.Contains("destroyed: ", output);
            Console.WriteLine($"native package {version}: restored in {restoreMs} ms; compiled, linked and run by {clock.ElapsedMilliseconds} ms");
        }
        finally
        {
            Directory.Delete(tmp, recursive: true);
        }
    }

    /// <summary>
    /// A fresh project in <paramref name="directory"/>: a nuget.config listing the test's feed and this machine's
    /// offline package folders (the global one the repository's own restore filled, and the image's
    /// /opt/nuget/packages) so dependencies come from there and the FastTotem packages only from the feed (no other
    /// has their version), the project file with <paramref name="references"/>, and Program.cs.
    /// </summary>
    private static void WriteProject(string directory, string feedFolder, string references, string program)
    {
        Directory.CreateDirectory(directory);
        var sources = new List<string> { feedFolder };
        string globalPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        sources.AddRange(new[] { globalPackages, "/opt/nuget/packages" }.Where(Directory.Exists));
        File.WriteAllText(Path.Combine(directory, "nuget.config"),
            "<configuration><packageSources><clear />"
            + string.Concat(sources.Select((s, i) => $"<add key=\"feed{i}\" value=\"{s}\" />"))
            + "</packageSources></configuration>");
        File.WriteAllText(Path.Combine(directory, "App.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup>
                {references}
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(directory, "Program.cs"), program);
    }

    private static int FreePort()
    {
        using var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
    }

    private static string Nuspec(string nupkg, string name)
    {
        using ZipArchive zip = ZipFile.OpenRead(nupkg);
        using var reader = new StreamReader(zip.GetEntry(name)!.Open());
        return reader.ReadToEnd();
    }

    private static bool WaitFor(Func<bool> condition)
    {
        var sw = Stopwatch.StartNew();
        while (sw.ElapsedMilliseconds < 10_000 && !condition())
        {
            Thread.Sleep(20);
        }

        return condition();
    }

    /// <summary>What a NuGet user sees: the library with its XML docs, a README, the MIT license and no repository.</summary>
    private static void CheckPackage(string nupkg, string version)
    {
        using ZipArchive zip = ZipFile.OpenRead(nupkg);
        string[] entries = zip.Entries.Select(e => e.FullName).ToArray();
        Assert.Contains("lib/net10.0/FastTotem.dll", entries);
        Assert.Contains("lib/net10.0/FastTotem.xml", entries);
        Assert.Contains("README.md", entries);
        using var reader = new StreamReader(zip.GetEntry("FastTotem.nuspec")!.Open());
        string nuspec = reader.ReadToEnd();
        Assert.Contains($"<version>{version}</version>", nuspec);
        Assert.Contains("<license type=\"expression\">MIT</license>", nuspec);
        Assert.Contains("<readme>README.md</readme>", nuspec);
        Assert.Contains("<tags>", nuspec);
        Assert.Contains("<authors>", nuspec);
        Assert.Contains("<description>", nuspec);
        Assert.DoesNotContain("<repository", nuspec);
        Assert.Contains("id=\"Microsoft.Extensions.Logging.Abstractions\"", nuspec);
        Assert.DoesNotContain("Microsoft.Extensions.Hosting", nuspec);
    }

    /// <summary>Runs a command to its end; fails the test with its output when it fails or overruns.</summary>
    internal static string Run(string file, string workingDirectory, Dictionary<string, string>? env, int timeoutMs, params string[] args)
    {
        var psi = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach ((string key, string value) in env ?? new Dictionary<string, string>())
        {
            psi.Environment[key] = value;
        }

        var output = new StringBuilder();
        using var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => { if (e.Data != null) { lock (output) { output.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data != null) { lock (output) { output.AppendLine(e.Data); } } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.Finished(timeoutMs))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            Assert.Fail($"{file} {string.Join(' ', args)} did not finish in {timeoutMs} ms:\n{output}");
        }

        lock (output)
        {
            Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)} exited {process.ExitCode}:\n{output}");
            return output.ToString();
        }
    }
}

/// <summary>
/// The three packages, packed once for every consumer test under a version no cache can hold: FastTotem and
/// FastTotem.Extensions.Hosting from the tests' Release build, FastTotem.Native from the libfasttotem.so that
/// ./build.sh publishes into out/native/lib.
/// </summary>
public sealed class PackageFeed : IDisposable
{
    private readonly string _tmp = Directory.CreateTempSubdirectory("fasttotem-feed-").FullName;

    public PackageFeed()
    {
        var clock = Stopwatch.StartNew();
        Version = $"0.0.0-test.{DateTime.UtcNow.Ticks}";
        Folder = Path.Combine(_tmp, "feed");
        string nativeLib = Path.Combine(Repo.Root, "out", "native", "lib");
        Assert.True(File.Exists(Path.Combine(nativeLib, "libfasttotem.so")), $"{nativeLib}/libfasttotem.so is missing: run ./build.sh");
        foreach (string project in new[] { "src/FastTotem/FastTotem.csproj", "src/FastTotem.Extensions.Hosting/FastTotem.Extensions.Hosting.csproj" })
        {
            PackageConsumerTests.Run("dotnet", Repo.Root, null, 120_000, "pack", Path.Combine(Repo.Root, project), "-c", "Release", "--no-build",
                "-o", Folder, $"-p:PackageVersion={Version}", "-nodeReuse:false", "-v", "quiet", "-nologo");
        }

        PackageConsumerTests.Run("dotnet", Repo.Root, null, 120_000, "pack", Path.Combine(Repo.Root, "native", "package", "FastTotem.Native.Package.csproj"),
            "-c", "Release", "-o", Folder, $"-p:PackageVersion={Version}", $"-p:NativeLibDir={nativeLib}/", "-nodeReuse:false", "-v", "quiet", "-nologo");
        PackMs = clock.ElapsedMilliseconds;
    }

    public string Version { get; }

    /// <summary>The folder feed holding the .nupkg files.</summary>
    public string Folder { get; }

    public long PackMs { get; }

    public void Dispose() => Directory.Delete(_tmp, recursive: true);
}
