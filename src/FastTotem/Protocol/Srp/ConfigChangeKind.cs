namespace FastTotem.Protocol.Srp;

/// <summary>TOTEM_CONFIGURATION_TRANSITIONAL / TOTEM_CONFIGURATION_REGULAR.</summary>
internal enum ConfigChangeKind
{
    Transitional,
    Regular,
}
