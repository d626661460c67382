namespace Appliance.Image.Tests;

/// <summary>
/// <see cref="ImageLab"/> for an arm64 image: built on this amd64 host through qemu-user (build-image.sh sets up
/// binfmt_misc) with the linux-arm64 NativeAOT agent, booted under qemu-system-aarch64 (<c>virt</c>, AAVMF, TCG).
/// <c>APPLIANCE_TEST_ARM64_IMAGE=FILE</c> boots an image built beforehand by
/// <c>image/build-image.sh --arch arm64</c> (no token) instead of building one: the emulated build is most of the
/// test's time, and a failed boot is then seen in minutes.
/// </summary>
public sealed class Arm64ImageLab : ImageLab
{
    public const string PrebuiltVariable = "APPLIANCE_TEST_ARM64_IMAGE";

    /// <summary>The trait value (<c>Suite</c>) that keeps the arm64 image test out of the default suite.</summary>
    public const string Suite = "arm64-image";

    // A cold build publishes the agent for linux-arm64 first (20-40 minutes on a loaded 2-core machine), then runs
    // every package's maintainer scripts under qemu-user.
    public Arm64ImageLab()
        : base("arm64", TimeSpan.FromMinutes(120))
    {
    }

    protected override string? PrebuiltImage =>
        Environment.GetEnvironmentVariable(PrebuiltVariable) is { Length: > 0 } path ? Path.GetFullPath(path) : null;
}
