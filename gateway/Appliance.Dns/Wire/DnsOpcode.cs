namespace Appliance.Dns.Wire;

/// <summary>OPCODE values (RFC 1035 4.1.1, RFC 1996 NOTIFY, RFC 2136 UPDATE). Only Query is served.</summary>
public enum DnsOpcode : byte
{
    Query = 0,
    IQuery = 1,
    Status = 2,
    Notify = 4,
    Update = 5,
}
