namespace Appliance.Dns.Forwarding;

/// <summary>What makes two forwarded questions the same: name (lower case), type, class, and the DO/CD bits.</summary>
public readonly record struct DnsCacheKey(string Name, ushort Type, ushort Class, bool DnssecOk, bool CheckingDisabled);
