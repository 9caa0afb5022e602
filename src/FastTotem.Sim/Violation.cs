using System.Text;
using FastTotem.Wire;

namespace FastTotem.Sim;

/// <summary>One broken guarantee, with the processes, messages and rings involved and the last relevant events.</summary>
internal sealed class Violation
{
    public required Guarantee Guarantee { get; init; }
    public required string Description { get; init; }
    public uint[] Nodes { get; init; } = [];
    public MessageId[] Messages { get; init; } = [];
    public MembRingId[] Rings { get; init; } = [];
    public IReadOnlyList<SimRecord> Trace { get; init; } = [];

    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append("VIOLATION ").Append(Guarantee).Append(": ").AppendLine(Description);
        if (Nodes.Length > 0)
        {
            sb.Append("  nodes: ").AppendLine(string.Join(", ", Nodes));
        }

        if (Messages.Length > 0)
        {
            sb.Append("  messages: ").AppendLine(string.Join(", ", Messages));
        }

        if (Rings.Length > 0)
        {
            sb.Append("  rings: ").AppendLine(string.Join(", ", Rings));
        }

        if (Trace.Count > 0)
        {
            sb.AppendLine("  trace (last relevant events):");
            foreach (SimRecord r in Trace)
            {
                sb.Append("    ").AppendLine(r.ToString());
            }
        }

        return sb.ToString();
    }
}
