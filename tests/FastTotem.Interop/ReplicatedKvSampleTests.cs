using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace FastTotem.Interop;

/// <summary>
/// samples/ReplicatedKv as its README runs it: three instances (processes) on loopback, writes from two of them, one
/// killed, more writes; the survivors' dumps are equal and hold every acknowledged write.
/// </summary>
public class ReplicatedKvSampleTests
{
    private static string SampleDll => Path.Combine(Repo.Root, "samples", "ReplicatedKv", "bin", "Release", "net10.0", "ReplicatedKv.dll");

    /// <summary>One running instance: its stdin, and every line it printed.</summary>
    private sealed class Instance : IDisposable
    {
        public Instance(int node, int port, string stateDir, params string[] extra)
        {
            var psi = new ProcessStartInfo("dotnet")
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (string a in new[] { SampleDll, "--node", node.ToString(), "--port", port.ToString(), "--state-dir", stateDir }.Concat(extra))
            {
                psi.ArgumentList.Add(a);
            }

            Process = Process.Start(psi)!;
            Process.OutputDataReceived += (_, e) => { if (e.Data != null) { Lines.Enqueue(e.Data); } };
            Process.ErrorDataReceived += (_, e) => { if (e.Data != null) { Lines.Enqueue("stderr: " + e.Data); } };
            Process.BeginOutputReadLine();
            Process.BeginErrorReadLine();
        }

        public Process Process { get; }

        public ConcurrentQueue<string> Lines { get; } = new();

        public void Send(string command)
        {
            Process.StandardInput.WriteLine(command);
            Process.StandardInput.Flush();
        }

        public bool Printed(string line, int since = 0) => Lines.Skip(since).Contains(line);

        public string[] Dump()
        {
            int before = Lines.Count;
            Send("dump");
            Assert.True(WaitFor(() => Lines.Skip(before).Any(l => l.StartsWith("end (", StringComparison.Ordinal))), string.Join("\n", Lines));
            return Lines.Skip(before).TakeWhile(l => !l.StartsWith("end (", StringComparison.Ordinal))
                .Where(l => l.Contains('=') && !l.StartsWith("ok ", StringComparison.Ordinal)).ToArray();
        }

        public void Dispose()
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
                Process.WaitForExit();
            }

            Process.Dispose();
        }
    }

    private static bool WaitFor(Func<bool> condition, int ms = 20_000)
    {
        var sw = Stopwatch.StartNew();
        while (sw.ElapsedMilliseconds < ms)
        {
            if (condition())
            {
                return true;
            }

            Thread.Sleep(20);
        }

        return condition();
    }

    [Fact]
    public void ThreeInstancesAgreeAndTheSurvivorsCarryOnAfterAKill()
    {
        Assert.True(File.Exists(SampleDll), $"{SampleDll} is missing: build the solution (./build.sh)");
        string dir = Directory.CreateTempSubdirectory("fasttotem-kv-").FullName;
        int port;
        using (var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
        {
            port = ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
        }

        var instances = new List<Instance>();
        try
        {
            for (int n = 1; n <= 3; n++)
            {
                instances.Add(new Instance(n, port, dir));
            }

            Assert.True(WaitFor(() => instances.All(i => i.Printed("members 1,2,3")), 30_000), Describe(instances));
            Instance one = instances[0], two = instances[1], three = instances[2];

            // Both write at once, the same key included: the agreed order decides it, the same way everywhere.
            var expected = new Dictionary<string, string>();
            for (int i = 0; i < 20; i++)
            {
                one.Send($"set a{i} one-{i}");
                two.Send($"set b{i} two-{i}");
                expected[$"a{i}"] = $"one-{i}";
                expected[$"b{i}"] = $"two-{i}";
            }

            one.Send("set x from-one");
            two.Send("set x from-two");
            Assert.True(WaitFor(() => one.Printed("ok x=from-one") && two.Printed("ok x=from-two") && one.Printed("ok a19=one-19") && two.Printed("ok b19=two-19")), Describe(instances));
            Assert.True(WaitFor(() => three.Dump().Length == 41), Describe(instances));

            int oneBefore = one.Lines.Count, twoBefore = two.Lines.Count;
            three.Process.Kill(entireProcessTree: true);
            Assert.True(WaitFor(() => one.Printed("members 1,2", oneBefore) && two.Printed("members 1,2", twoBefore)), Describe(instances));
            for (int i = 0; i < 10; i++)
            {
                one.Send($"set c{i} one-after-{i}");
                two.Send($"set d{i} two-after-{i}");
                expected[$"c{i}"] = $"one-after-{i}";
                expected[$"d{i}"] = $"two-after-{i}";
            }

            // Every acknowledgement ("ok key=value") means the write was applied in the agreed order.
            Assert.True(WaitFor(() => expected.All(kv => (kv.Key[0] is 'a' or 'c' ? one : two).Printed($"ok {kv.Key}={kv.Value}"))), Describe(instances));
            string[] dumpOne = one.Dump();
            string[] dumpTwo = two.Dump();
            Assert.Equal(dumpOne, dumpTwo);
            Assert.Equal(expected.Count + 1, dumpOne.Length);
            foreach ((string key, string value) in expected)
            {
                Assert.Contains($"{key}={value}", dumpOne);
            }

            Assert.Contains(dumpOne, l => l is "x=from-one" or "x=from-two");
            Console.WriteLine($"survivors agree on {dumpOne.Length} keys; {dumpOne.Single(l => l.StartsWith("x=", StringComparison.Ordinal))}");
        }
        finally
        {
            foreach (Instance i in instances)
            {
                i.Dispose();
            }

            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// <c>--metrics 1</c>: the sample exports the FastTotem meter with OpenTelemetry's console exporter, and the exported
    /// <c>fasttotem.messages.delivered</c> counts at least the writes this (one-node) instance made and had acknowledged.
    /// </summary>
    [Fact]
    public void MetricsFlagExportsTheFastTotemMeterWithOpenTelemetry()
    {
        Assert.True(File.Exists(SampleDll), $"{SampleDll} is missing: build the solution (./build.sh)");
        string dir = Directory.CreateTempSubdirectory("fasttotem-kv-otel-").FullName;
        int port;
        using (var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
        {
            port = ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
        }

        const int Writes = 7;
        try
        {
            using var one = new Instance(1, port, dir, "--nodes", "1", "--metrics", "1");
            var instances = new List<Instance> { one };
            Assert.True(WaitFor(() => one.Printed("members 1"), 30_000), Describe(instances));
            for (int i = 0; i < Writes; i++)
            {
                one.Send($"set k{i} v{i}");
            }

            Assert.True(WaitFor(() => Enumerable.Range(0, Writes).All(i => one.Printed($"ok k{i}=v{i}"))), Describe(instances));
            long delivered = -1;
            Assert.True(WaitFor(() => (delivered = LastExported(one.Lines.ToArray(), "fasttotem.messages.delivered")) >= Writes), $"last exported fasttotem.messages.delivered={delivered}\n" + Describe(instances));
            Assert.True(LastExported(one.Lines.ToArray(), "fasttotem.messages.sent") >= Writes, Describe(instances));
            Console.WriteLine($"exported fasttotem.messages.delivered={delivered} after {Writes} writes");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The value of the console exporter's last block for <paramref name="metric"/> ("Metric Name: X, ..." then "Value: N"), or -1.</summary>
    private static long LastExported(string[] lines, string metric)
    {
        long last = -1;
        for (int i = 0; i < lines.Length; i++)
        {
            if (!lines[i].StartsWith($"Metric Name: {metric},", StringComparison.Ordinal))
            {
                continue;
            }

            for (int j = i + 1; j < lines.Length && !lines[j].StartsWith("Metric Name: ", StringComparison.Ordinal); j++)
            {
                if (lines[j].StartsWith("Value: ", StringComparison.Ordinal) && long.TryParse(lines[j].AsSpan(7), out long v))
                {
                    last = v;
                    break;
                }
            }
        }

        return last;
    }

    private static string Describe(List<Instance> instances) =>
        string.Join("\n---\n", instances.Select((i, n) => $"instance {n + 1}:\n" + string.Join("\n", i.Lines.TakeLast(30))));
}
