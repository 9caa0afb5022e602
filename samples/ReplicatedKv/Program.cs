// A replicated key-value store on one FastTotem process group: every write is multicast, and every instance applies
// the writes in the order the ring delivers them, which is the same order everywhere, so all instances agree, even
// when two of them write the same key at the same moment. Commands on stdin: set KEY VALUE, get KEY, dump, members.
// With --metrics SECONDS (or FASTTOTEM_METRICS=SECONDS) it exports the FastTotem meter with OpenTelemetry's console
// exporter at that interval.
using System.Collections.Concurrent;
using System.Net;
using System.Text;
using FastTotem;
using OpenTelemetry;
using OpenTelemetry.Metrics;

uint self = 1;
int nodes = 3, port = 5405;
string stateDir = Path.Combine(Path.GetTempPath(), "replicated-kv");
string? metricsText = Environment.GetEnvironmentVariable("FASTTOTEM_METRICS");
for (int i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--node": self = uint.Parse(args[i + 1]); break;
        case "--nodes": nodes = int.Parse(args[i + 1]); break;
        case "--port": port = int.Parse(args[i + 1]); break;
        case "--state-dir": stateDir = args[i + 1]; break;
        case "--metrics": metricsText = args[i + 1]; break;
        default: Console.Error.WriteLine($"unknown option {args[i]}; usage: ReplicatedKv --node N [--nodes 3] [--port 5405] [--state-dir DIR] [--metrics SECONDS]"); return 2;
    }
}

double metricsSeconds = 0;
if (metricsText != null && (!double.TryParse(metricsText, System.Globalization.CultureInfo.InvariantCulture, out metricsSeconds) || metricsSeconds <= 0))
{
    Console.Error.WriteLine($"--metrics (or FASTTOTEM_METRICS) wants a positive number of seconds, not '{metricsText}'");
    return 2;
}

// The FastTotem meter's instruments are observable: the exporter's reader collects them every interval.
using MeterProvider? metrics = metricsSeconds > 0
    ? Sdk.CreateMeterProviderBuilder()
        .AddMeter("FastTotem")
        .AddConsoleExporter((_, reader) => reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)(metricsSeconds * 1000))
        .Build()
    : null;

// Node N is 127.0.0.N: a whole cluster on one machine's loopback, no root needed.
var members = Enumerable.Range(1, nodes).Select(n => new TotemMember((uint)n, IPAddress.Parse($"127.0.0.{n}"))).ToArray();
using TotemNode node = TotemNode.Create(new TotemNodeOptions
{
    NodeId = self, Members = members, Port = port, TokenMs = 1000, StateDir = Path.Combine(stateDir, $"node{self}"),
});
var store = new SortedDictionary<string, string>(StringComparer.Ordinal);
var output = new BlockingCollection<string>();
new Thread(() => { foreach (string line in output.GetConsumingEnumerable()) Console.WriteLine(line); }) { IsBackground = true }.Start();

// Runs on the protocol thread, once per write, in the agreed order: apply it, and acknowledge our own writes.
DeliverHandler apply = (from, pid, data) =>
{
    string[] kv = Encoding.UTF8.GetString(data).Split('\0', 2);
    lock (store)
    {
        store[kv[0]] = kv[1];
    }

    if (from == self)
    {
        output.Add($"ok {kv[0]}={kv[1]}");
    }
};

node.Start();
await node.WaitForSyncAsync();
ProcessGroup kvGroup = await node.JoinGroupAsync("replicated-kv", apply, new ProcessGroupOptions
{
    MembershipChanged = m => output.Add($"members {string.Join(",", m.Members.Select(x => x.NodeId).Order())}"),
});

while (Console.ReadLine() is string line)
{
    string[] words = line.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
    switch (words)
    {
        case ["set", string key, string value]:
            SendResult sent = await kvGroup.MulticastAsync(Encoding.UTF8.GetBytes($"{key}\0{value}"));
            if (sent != SendResult.Ok)
            {
                output.Add($"not sent: {sent}");
            }

            break;
        case ["get", string key]:
            lock (store)
            {
                output.Add(store.TryGetValue(key, out string? value) ? $"{key}={value}" : $"{key} is not set");
            }

            break;
        case ["dump"]:
            lock (store)
            {
                foreach ((string key, string value) in store)
                {
                    output.Add($"{key}={value}");
                }

                output.Add($"end ({store.Count} keys)");
            }

            break;
        case ["members"]:
            output.Add($"members {string.Join(",", (kvGroup.Membership?.Members ?? []).Select(m => m.NodeId).Order())}");
            break;
        case []:
            break;
        default:
            output.Add("commands: set KEY VALUE | get KEY | dump | members");
            break;
    }
}

kvGroup.Leave();
output.CompleteAdding();
return 0;
