namespace FastTotem.Protocol.Knet;

/// <summary>totem.link_mode: how knet picks the links a packet to one host goes out on (docs/knet.md, "Links").</summary>
internal enum KnetLinkMode
{
    /// <summary>The one usable link with the highest priority; equal priorities: the lowest link number.</summary>
    Passive,

    /// <summary>A copy on every usable link; receivers drop the duplicates by seq.</summary>
    Active,

    /// <summary>The usable links in turn, one per packet.</summary>
    RoundRobin,
}
