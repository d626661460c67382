namespace Appliance.Server.Mqtt;

/// <summary>The <c>Mqtt:Mosquitto:*</c> settings: how the server reaches and provisions an external Mosquitto.</summary>
/// <param name="Url">Where the server's own client connects (<c>Mqtt:Mosquitto:Url</c>).</param>
/// <param name="PasswordFile">Mosquitto's <c>password_file</c>, written by the server.</param>
/// <param name="AclFile">Mosquitto's <c>acl_file</c>, written by the server.</param>
/// <param name="PidFile">Mosquitto's <c>pid_file</c>, read to send SIGHUP (when <paramref name="Pid"/> is not set).</param>
/// <param name="Pid">Mosquitto's process id, when known directly.</param>
/// <param name="CaFile">PEM CA certificates the server's client trusts for <c>mqtts://</c> (else the system store).</param>
/// <param name="User">The server's own account name on the broker.</param>
public sealed record MosquittoSettings(Uri Url, string PasswordFile, string AclFile, string? PidFile, int? Pid, string? CaFile, string User)
{
    public const string DefaultUrl = "mqtt://127.0.0.1:1883";
    public const string DefaultPidFile = "/run/mosquitto/mosquitto.pid";
    public const string DefaultUser = "appliance-server";
}
