namespace Appliance.Netlink;

/// <summary>Receives one message of a dump (the message is only valid during the call).</summary>
public delegate void NetlinkMessageHandler(in NetlinkMessage message);
