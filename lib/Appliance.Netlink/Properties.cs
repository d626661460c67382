using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("Appliance.Netlink.Tests")]
