using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using FastTotem.Hosting;
using FastTotem.Protocol.Srp;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FastTotem.Tests.Hosting;

/// <summary>FastTotem.Extensions.Hosting under a real generic host, against a second live node on loopback.</summary>
public class HostingExtensionTests
{
    [Fact]
    public async Task HostStartsTheNodeInARingJoinsItsGroupsAndLeavesOnStop()
    {
        string dir = Directory.CreateTempSubdirectory("fasttotem-host-").FullName;
        int port;
        using (var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
        {
            port = ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
        }

        var members = new[] { new TotemMember(1, IPAddress.Parse("127.0.0.1")), new TotemMember(2, IPAddress.Parse("127.0.0.2")) };
        using TotemNode other = TotemNode.Create(new TotemNodeOptions
        {
            NodeId = 2, Members = members, Port = port, TokenMs = 1000, StateDir = Path.Combine(dir, "n2"),
        });
        var gathers = new ConcurrentQueue<GatherReason>();
        other.GatherEntered += (reason, ring) => gathers.Enqueue(reason);
        other.Start();
        var received = new ConcurrentQueue<string>();
        ProcessGroup otherGroup = await other.JoinGroupAsync("hosted", (node, pid, data) => received.Enqueue($"{node}:{System.Text.Encoding.UTF8.GetString(data)}"))
            .WaitAsync(TimeSpan.FromSeconds(15));

        // Options as an appsettings.json "FastTotem" section would give them.
        var settings = new Dictionary<string, string?>
        {
            ["FastTotem:NodeId"] = "1",
            ["FastTotem:Members:0:NodeId"] = "1",
            ["FastTotem:Members:0:Address"] = "127.0.0.1",
            ["FastTotem:Members:1:NodeId"] = "2",
            ["FastTotem:Members:1:Address"] = "127.0.0.2",
            ["FastTotem:Port"] = port.ToString(),
            ["FastTotem:TokenMs"] = "1000",
            ["FastTotem:StateDir"] = Path.Combine(dir, "n1"),
            ["FastTotem:Groups:0"] = "hosted",
        };
        var logs = new CaptureLoggerFactory();
        IHost host = new HostBuilder()
            .ConfigureAppConfiguration(c => c.AddInMemoryCollection(settings))
            .ConfigureLogging(l => l.AddProvider(logs))
            .ConfigureServices((context, services) => services.AddFastTotem(context.Configuration.GetSection("FastTotem")))
            .Build();
        try
        {
            await host.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
            TotemNode node = host.Services.GetRequiredService<TotemNode>();
            Assert.Equal(1u, node.NodeId);
            Assert.True(TotemNodeTests.WaitFor(() => node.Ring?.Members.Length == 2), $"no 2-node ring: {string.Join(",", node.Ring?.Members ?? [])}");
            ProcessGroup group = host.Services.GetRequiredService<FastTotemGroups>()["hosted"];
            Assert.True(TotemNodeTests.WaitFor(() => otherGroup.Membership?.Members.Any(m => m.NodeId == 1) == true), "node 2 never saw the hosted member");
            Assert.Equal(SendResult.Ok, group.TryMulticast("from the host"u8));
            Assert.True(TotemNodeTests.WaitFor(() => received.Contains("1:from the host")), string.Join(" | ", received));
            Assert.True(TotemNodeTests.WaitFor(() => logs.Lines.Any(l => l.Category == "FastTotem.TotemNode" && l.EventId.Name == "RingFormed")), logs.Dump());

            gathers.Clear();
            await host.StopAsync().WaitAsync(TimeSpan.FromSeconds(15));
            Assert.True(TotemNodeTests.WaitFor(() => other.Ring?.Members.SequenceEqual(new uint[] { 2 }) == true), "node 2 still sees node 1");
            Assert.True(TotemNodeTests.WaitFor(() => otherGroup.Membership?.Members.All(m => m.NodeId == 2) == true), "the hosted member did not leave its group");
            Assert.DoesNotContain(GatherReason.TokenLostOperational, gathers); // it heard a LEAVE, not a silence
            Assert.Throws<KeyNotFoundException>(() => host.Services.GetRequiredService<FastTotemGroups>()["hosted"]);
        }
        finally
        {
            host.Dispose(); // disposes the node (the container owns it)
            other.Dispose();
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void MissingNodelistIsAClearError()
    {
        var options = new FastTotemOptions();
        var error = Assert.Throws<InvalidOperationException>(() => options.CreateNode());
        Assert.Contains("ConfigFile", error.Message);
        options.NodeId = 1;
        options.Members.Add(new FastTotemMemberOptions { NodeId = 1, Address = "not-an-address" });
        error = Assert.Throws<InvalidOperationException>(() => options.CreateNode());
        Assert.Contains("Members:0:Address 'not-an-address'", error.Message);
    }

    [Fact]
    public void CoreAndNativeLibrariesAreFreeOfTheGenericHost()
    {
        Assembly core = typeof(TotemNode).Assembly;
        Assembly native = Assembly.Load(new AssemblyName("libfasttotem"));
        foreach (Assembly assembly in new[] { core, native })
        {
            string[] references = assembly.GetReferencedAssemblies().Select(a => a.Name!).ToArray();
            Assert.DoesNotContain(references, r => r.StartsWith("Microsoft.Extensions.Hosting", StringComparison.Ordinal));
            Assert.DoesNotContain(references, r => r.StartsWith("Microsoft.Extensions.DependencyInjection", StringComparison.Ordinal));
            Assert.DoesNotContain(references, r => r.StartsWith("Microsoft.Extensions.Configuration", StringComparison.Ordinal));
            Assert.DoesNotContain(references, r => r.StartsWith("FastTotem.Extensions", StringComparison.Ordinal));
        }

        // The core's one Microsoft.Extensions dependency is the logging abstractions.
        Assert.Equal(new[] { "Microsoft.Extensions.Logging.Abstractions" },
            core.GetReferencedAssemblies().Select(a => a.Name!).Where(n => n.StartsWith("Microsoft.Extensions", StringComparison.Ordinal)).ToArray());
        Assert.Contains(typeof(FastTotemGroups).Assembly.GetReferencedAssemblies(), a => a.Name == "Microsoft.Extensions.Hosting.Abstractions");
    }
}
