using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using FastTotem.Hosting;

namespace FastTotem.Interop;

/// <summary>
/// The FastTotem package as a user gets it: packed with a version no cache can hold, restored into a fresh project
/// through its own NUGET_PACKAGES folder from a nuget.config naming that feed, and run against a live ring.
/// </summary>
public class PackageConsumerTests
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
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously); // not on the protocol thread
        ProcessGroup group = await node.JoinGroupAsync("package-test", (from, pid, data) =>
        {
            string text = Encoding.UTF8.GetString(data);
            Console.WriteLine($"delivered {from}: {text}");
            if (from == self) ownDelivered = true; else received.Add(text);
            if (ownDelivered && received.Count == 2) done.TrySetResult();
        });
        await group.MulticastAsync(Encoding.UTF8.GetBytes($"hello from node {self}, a package consumer"));
        await done.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Console.WriteLine($"received={received.Count}");
        group.Leave();
        """;

    [Fact]
    public async Task AFreshProjectRestoresThePackageAndJoinsALiveRing()
    {
        var clock = Stopwatch.StartNew();
        string version = $"0.0.0-test.{DateTime.UtcNow.Ticks}";
        string tmp = Directory.CreateTempSubdirectory("fasttotem-pack-").FullName;
        string feed = Path.Combine(tmp, "feed");
        string app = Path.Combine(tmp, "app");
        Directory.CreateDirectory(app);
        TotemNode[] nodes = Array.Empty<TotemNode>();
        try
        {
            // The library as the tests built it (Release), packed under the unique version.
            Run("dotnet", Repo.Root, null, 120_000, "pack", Path.Combine(Repo.Root, "src", "FastTotem", "FastTotem.csproj"), "-c", "Release",
                "--no-build", "-o", feed, $"-p:PackageVersion={version}", "-v", "quiet", "-nologo");
            long packMs = clock.ElapsedMilliseconds;
            string nupkg = Path.Combine(feed, $"FastTotem.{version}.nupkg");
            Assert.True(File.Exists(Path.Combine(feed, $"FastTotem.{version}.snupkg")), "no symbols package");
            CheckPackage(nupkg, version);

            // A fresh project: its own package folder, and a feed list of the new package and this machine's offline ones
            // (the global package folder the repository's own restore filled, and the image's /opt/nuget/packages):
            // FastTotem's dependencies come from there, FastTotem itself only from the new feed (no other has its version).
            string packages = Path.Combine(tmp, "nuget-packages");
            var sources = new List<string> { feed };
            string globalPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            sources.AddRange(new[] { globalPackages, "/opt/nuget/packages" }.Where(Directory.Exists));
            File.WriteAllText(Path.Combine(app, "nuget.config"),
                "<configuration><packageSources><clear />"
                + string.Concat(sources.Select((s, i) => $"<add key=\"feed{i}\" value=\"{s}\" />"))
                + "</packageSources></configuration>");
            File.WriteAllText(Path.Combine(app, "App.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <Nullable>enable</Nullable>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="FastTotem" Version="{version}" />
                  </ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(app, "Program.cs"), AppProgram);
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
                    if (from == 3)
                    {
                        heard.Enqueue($"{id}<-{Encoding.UTF8.GetString(data)}");
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
            Assert.Contains("received=2", output);
            Assert.Contains("delivered 1: welcome from node 1", output);
            Assert.Contains("delivered 2: welcome from node 2", output);
            Assert.True(WaitFor(() => heard.Count(h => h.EndsWith("hello from node 3, a package consumer", StringComparison.Ordinal)) == 2),
                "nodes 1 and 2 heard: " + string.Join(" | ", heard));
            Console.WriteLine($"package {version}: packed in {packMs} ms, restored and built by {buildMs} ms; whole test {clock.ElapsedMilliseconds} ms");
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
    private static string Run(string file, string workingDirectory, Dictionary<string, string>? env, int timeoutMs, params string[] args)
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
