namespace Appliance.Server.Mqtt;

/// <summary>The <c>Mqtt:Mosquitto:*</c> settings: how the server reaches and provisions an external Mosquitto.</summary>
/// <param name="Url">Where the server's clients connect (<c>Mqtt:Mosquitto:Url</c>).</param>
/// <param name="AdminUser">A dynamic-security admin login (<c>Mqtt:Mosquitto:AdminUser</c>): the server provisions nodes through it.</param>
/// <param name="AdminPassword">Its password (<c>Mqtt:Mosquitto:AdminPassword</c>, or APPLIANCE_MQTT__MOSQUITTO__ADMINPASSWORD).</param>
/// <param name="CaFile">PEM CA certificates the server's clients trust for <c>mqtts://</c> (else the system store).</param>
/// <param name="User">The server's own account name on the broker.</param>
public sealed record MosquittoSettings(Uri Url, string AdminUser, string AdminPassword, string? CaFile, string User)
{
    public const string DefaultUrl = "mqtt://127.0.0.1:1883";
    public const string DefaultUser = "appliance-server";

    /// <summary>The keys of the file-based provisioning (password_file, acl_file, SIGHUP) this version replaced.</summary>
    public static readonly string[] RetiredKeys = ["Mqtt:Mosquitto:PasswordFile", "Mqtt:Mosquitto:AclFile", "Mqtt:Mosquitto:PidFile", "Mqtt:Mosquitto:Pid"];
}
