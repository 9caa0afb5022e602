// Planted types for LayeringTests.TheCheckerFindsPlantedUpwardReferences: each references a layer above its own in
// one way (a field, a signature, a call only the IL shows, a generic argument), so the checker must report it.
// They live in the test assembly; the library's own check never sees them.
#pragma warning disable CS0169, CS0649, IDE0051
namespace FastTotem.Wire.LayeringPlant
{
    internal sealed class WireWithHostingField
    {
        private FastTotem.Hosting.HostSubmitQueue? _queue;
    }

    internal sealed class WireWithGenericField
    {
        private List<FastTotem.Hosting.DeliveryDoorbell>? _doorbells;
    }
}

namespace FastTotem.Protocol.LayeringPlant
{
    internal static class ProtocolWithTransportParameter
    {
        public static long Count(FastTotem.Transport.TransportCounters counters) => 0;
    }

    internal static class ProtocolCallingConfig
    {
        public static int Read() => FastTotem.Config.CorosyncConfig.Parse("totem {\n}\n").NetMtu;
    }
}

namespace FastTotem.Transport.LayeringPlant
{
    internal static class TransportUsingWire
    {
        public static int Size() => System.Runtime.CompilerServices.Unsafe.SizeOf<FastTotem.Wire.TotemHeader>();
    }
}
