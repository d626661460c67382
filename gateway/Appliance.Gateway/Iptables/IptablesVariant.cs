namespace Appliance.Gateway.Iptables;

/// <summary>Which iptables commands to run: the distribution's default alternative, or one implementation explicitly.</summary>
public enum IptablesVariant
{
    /// <summary><c>iptables-restore</c>, <c>iptables-save</c> as the system's alternatives point them.</summary>
    Default,

    /// <summary><c>iptables-legacy-restore</c> etc. (x_tables in the kernel).</summary>
    Legacy,

    /// <summary><c>iptables-nft-restore</c> etc. (the iptables syntax over nf_tables).</summary>
    Nft,
}
