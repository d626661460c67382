namespace Appliance.Image.Tests;

/// <summary>
/// <see cref="ImageLab"/> for an arm64 image: built on this amd64 host through qemu-user (build-image.sh sets up
/// binfmt_misc) with the linux-arm64 NativeAOT agent, booted under qemu-system-aarch64 (<c>virt</c>, AAVMF, TCG).
/// </summary>
public sealed class Arm64ImageLab : ImageLab
{
    // A cold build publishes the agent for linux-arm64 first (20-40 minutes on a loaded 2-core machine), then runs
    // every package's maintainer scripts under qemu-user.
    public Arm64ImageLab()
        : base("arm64", TimeSpan.FromMinutes(120))
    {
    }
}
