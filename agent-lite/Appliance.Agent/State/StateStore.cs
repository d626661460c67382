using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Appliance.Contracts;
using Appliance.Contracts.Api;

namespace Appliance.Agent.State;

/// <summary>The agent's state dir: state.json (identity and secrets) and desired.json (last pulled config), written atomically, 0600.</summary>
public sealed class StateStore(string directory)
{
    public const string DefaultDirectory = "/var/lib/appliance";

    public string Directory { get; } = Path.GetFullPath(directory);
    public string StatePath => Path.Combine(Directory, "state.json");
    public string DesiredPath => Path.Combine(Directory, "desired.json");

    public AgentState? LoadState() => Load(StatePath, AgentJsonContext.Default.AgentState);

    public NodeConfigDto? LoadDesired() => Load(DesiredPath, DeviceJsonContext.Default.NodeConfigDto);

    public void SaveState(AgentState state) => Save(StatePath, state, AgentJsonContext.Default.AgentState);

    public void SaveDesired(NodeConfigDto config) => Save(DesiredPath, config, DeviceJsonContext.Default.NodeConfigDto);

    /// <summary>Forgets the desired state (desired.json) of the node, for example of an earlier membership.</summary>
    public void DeleteDesired() => File.Delete(DesiredPath);

    /// <summary>The peer paths the daemon chose last (issue #18), for `status`.</summary>
    public string PathsPath => Path.Combine(Directory, "paths.json");

    /// <summary>Forgets the node: removes state.json, desired.json and the last paths.</summary>
    public void Delete()
    {
        File.Delete(StatePath);
        File.Delete(DesiredPath);
        File.Delete(PathsPath);
    }

    /// <summary>Creates the state dir and proves a file can be written there, or says why not.</summary>
    public void EnsureWritable()
    {
        try
        {
            System.IO.Directory.CreateDirectory(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            AtomicFile.Write(Path.Combine(Directory, ".write-test"), "ok", secret: true);
            File.Delete(Path.Combine(Directory, ".write-test"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AgentException($"cannot write the state dir {Directory} ({e.Message}); run as root or pass --state-dir");
        }
    }

    private void Save<T>(string path, T value, JsonTypeInfo<T> type)
    {
        System.IO.Directory.CreateDirectory(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        AtomicFile.Write(path, IndentedJson.Serialize(value, type), secret: true);
    }

    private static T? Load<T>(string path, JsonTypeInfo<T> type) where T : class
    {
        if (!File.Exists(path))
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), type);
        }
        catch (JsonException e)
        {
            throw new AgentException($"{path} is damaged ({e.Message}); remove it and join again");
        }
    }
}
