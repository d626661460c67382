using Appliance.Contracts;

namespace Appliance.Server.Api;

/// <summary>Checks of list fields several requests share; each failure names the field and index.</summary>
public static class FieldRules
{
    public static void Endpoints(IReadOnlyList<string>? endpoints, ValidationErrors errors)
    {
        for (var i = 0; endpoints is not null && i < endpoints.Count; i++)
        {
            if (!Contracts.Endpoints.TryParse(endpoints[i], 51820, out _))
            {
                errors.Add($"endpoints[{i}]", $"'{endpoints[i]}' is not an IP address or IP:port");
            }
        }
    }

    public static void Tags(IReadOnlyList<string>? tags, ValidationErrors errors)
    {
        for (var i = 0; tags is not null && i < tags.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(tags[i]) || tags[i].Length > 64 || tags[i].Any(char.IsControl))
            {
                errors.Add($"tags[{i}]", "must be 1-64 printable characters");
            }
        }
    }
}
