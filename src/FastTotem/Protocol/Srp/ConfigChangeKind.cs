namespace FastTotem.Protocol.Srp;

/// <summary>TOTEM_CONFIGURATION_TRANSITIONAL / TOTEM_CONFIGURATION_REGULAR.</summary>
public enum ConfigChangeKind
{
    Transitional,
    Regular,
}
