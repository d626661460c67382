namespace Appliance.Server.Services;

/// <summary>One report's transfer counters (bytes since the device's interface came up), at the time the server got it.</summary>
public sealed record TransferSampleDto(DateTimeOffset At, long RxBytes, long TxBytes);
