using Appliance.Server.Security;
using Appliance.Contracts;

namespace Appliance.Server.Mqtt;

/// <summary>The server's own password on an external broker: made on first start, kept 0600 in the data dir.</summary>
public static class BrokerSecret
{
    public static string LoadOrCreate(string path)
    {
        if (File.Exists(path))
        {
            var text = File.ReadAllText(path).Trim();
            return text.Length >= 32 ? text : throw new InvalidOperationException($"{path} does not hold the server's broker password; delete it to make a new one");
        }
        var secret = Secrets.NewSecret();
        AtomicFile.Write(path, secret + "\n", secret: true);
        return secret;
    }
}
