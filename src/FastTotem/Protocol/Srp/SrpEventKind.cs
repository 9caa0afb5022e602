namespace FastTotem.Protocol.Srp;

public enum SrpEventKind
{
    /// <summary>A message delivered in agreed order.</summary>
    Deliver,

    /// <summary>A configuration change (transitional or regular).</summary>
    ConfigChange,
}
