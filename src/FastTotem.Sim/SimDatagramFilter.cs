namespace FastTotem.Sim;

/// <summary>A scripted fault: return true to drop this datagram (from, to, bytes) on its way.</summary>
internal delegate bool SimDatagramFilter(uint fromNodeId, uint toNodeId, ReadOnlySpan<byte> datagram);
