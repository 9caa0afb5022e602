using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace FastTotem.Extensions.Hosting;

/// <summary>
/// Starts the registered <see cref="TotemNode"/> with the host, waits for its first synchronisation, joins the
/// configured groups; on stop leaves them and stops the node with a LEAVE (the container disposes it).
/// </summary>
internal sealed class FastTotemHostedService(TotemNode node, FastTotemGroups groups, IOptions<FastTotemOptions> options) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        node.Start();
        FastTotemOptions o = options.Value;
        if (o.WaitForSync || o.Groups.Count > 0)
        {
            await node.WaitForSyncAsync(cancellationToken).ConfigureAwait(false);
        }

        foreach (string name in o.Groups)
        {
            ProcessGroup group = await node.JoinGroupAsync(name, new ProcessGroupOptions { Delivery = DeliveryMode.Queue }, cancellationToken)
                .ConfigureAwait(false);
            groups.Add(group);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (ProcessGroup group in groups.RemoveAll())
        {
            group.Leave();
        }

        node.Stop(leave: true);
        return Task.CompletedTask;
    }
}
