using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("Appliance.WireGuard.Tests")]
