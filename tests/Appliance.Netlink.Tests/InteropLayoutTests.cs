using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Appliance.Netlink.Interop;
using Appliance.TestSupport;

namespace Appliance.Netlink.Tests;

/// <summary>The interop structs match the sizes and offsets of the Linux headers (x86-64 / arm64).</summary>
public sealed class InteropLayoutTests
{
    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Struct_sizes_match_the_kernel_headers()
    {
        Assert.Equal(16, Unsafe.SizeOf<nlmsghdr>());
        Assert.Equal(4, Unsafe.SizeOf<nlattr>());
        Assert.Equal(4, Unsafe.SizeOf<genlmsghdr>());
        Assert.Equal(12, Unsafe.SizeOf<sockaddr_nl>());
        Assert.Equal(16, Unsafe.SizeOf<ifinfomsg>());
        Assert.Equal(8, Unsafe.SizeOf<ifaddrmsg>());
        Assert.Equal(12, Unsafe.SizeOf<rtmsg>());
        Assert.Equal(20, Unsafe.SizeOf<nlmsgerr>());
        Assert.Equal(16, Unsafe.SizeOf<timeval>());
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Field_offsets_match_the_kernel_headers()
    {
        Assert.Equal(4, (int)Marshal.OffsetOf<nlmsghdr>(nameof(nlmsghdr.nlmsg_type)));
        Assert.Equal(8, (int)Marshal.OffsetOf<nlmsghdr>(nameof(nlmsghdr.nlmsg_seq)));
        Assert.Equal(4, (int)Marshal.OffsetOf<sockaddr_nl>(nameof(sockaddr_nl.nl_pid)));
        Assert.Equal(4, (int)Marshal.OffsetOf<ifinfomsg>(nameof(ifinfomsg.ifi_index)));
        Assert.Equal(8, (int)Marshal.OffsetOf<ifinfomsg>(nameof(ifinfomsg.ifi_flags)));
        Assert.Equal(4, (int)Marshal.OffsetOf<ifaddrmsg>(nameof(ifaddrmsg.ifa_index)));
        Assert.Equal(4, (int)Marshal.OffsetOf<rtmsg>(nameof(rtmsg.rtm_table)));
        Assert.Equal(8, (int)Marshal.OffsetOf<rtmsg>(nameof(rtmsg.rtm_flags)));
        Assert.Equal(4, (int)Marshal.OffsetOf<nlmsgerr>(nameof(nlmsgerr.msg)));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Unknown_errno_values_still_get_a_name()
    {
        Assert.Equal("EEXIST", ErrnoNames.Of(Errno.EEXIST));
        Assert.Equal("errno 4242", ErrnoNames.Of((Errno)4242));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Unsafe_code_lives_only_in_Interop_folders()
    {
        var offenders = new[] { "lib/Appliance.Netlink", "lib/Appliance.WireGuard" }
            .SelectMany(d => Directory.EnumerateFiles(RepoPaths.Combine(d), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains("/obj/", StringComparison.Ordinal) && !f.Contains("/Interop/", StringComparison.Ordinal))
            .Where(f => System.Text.RegularExpressions.Regex.IsMatch(File.ReadAllText(f), @"\bunsafe\b"))
            .ToList();
        Assert.Empty(offenders);
    }
}
