using Appliance.TestSupport;

namespace Appliance.Agent.Tests.Aot;

/// <summary>
/// One throwaway artifacts folder for the NativeAOT publishes of one test class: the shared libraries are compiled once
/// for both architectures, and never collide with other builds of them.
/// </summary>
public sealed class AotPublishFixture : IDisposable
{
    private readonly TempDirectory _dir = new("appliance-aot");

    /// <summary>The <c>--artifacts-path</c> every publish of the class uses.</summary>
    public string ArtifactsPath => _dir.Combine("artifacts");

    /// <summary>A fresh output folder for one publish.</summary>
    public string Output(string rid) => _dir.Combine("out-" + rid);

    /// <summary>A fresh, empty folder (a state dir the agent has never seen).</summary>
    public string EmptyDirectory(string name) => Directory.CreateDirectory(_dir.Combine(name)).FullName;

    public void Dispose() => _dir.Dispose();
}
