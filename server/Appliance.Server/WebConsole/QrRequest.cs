namespace Appliance.Server.WebConsole;

/// <summary>POST /console/qr: the text to draw as a QR code (a join token the page shows once).</summary>
public sealed record QrRequest(string? Text);
