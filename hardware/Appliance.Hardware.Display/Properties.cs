using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("Appliance.Hardware.Display.Tests")]
