namespace FastTotem.Sim;

/// <summary>The two configuration changes Totem delivers upward (TOTEM_CONFIGURATION_TRANSITIONAL / _REGULAR).</summary>
internal enum SimConfigKind : byte
{
    Transitional,
    Regular,
}
