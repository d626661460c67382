using Appliance.TestSupport;

namespace Appliance.Netlink.Tests;

public sealed class NetlinkReaderTests
{
    public static TheoryData<string, string> Malformed => new()
    {
        { "header cut short", "10000000 1000" },
        { "nlmsg_len beyond datagram", "20000000 1000 0000 00000000 00000000 00000000" },
        { "nlmsg_len below header size", "08000000 1000 0000 00000000 00000000" },
    };

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [MemberData(nameof(Malformed))]
    public void Truncated_messages_throw_a_protocol_error(string name, string hex)
    {
        _ = name;
        var bytes = Hex.Parse(hex);
        var e = Assert.Throws<NetlinkProtocolException>(() =>
        {
            var r = new NetlinkMessageReader(bytes);
            while (r.TryRead(out _))
            {
            }
        });
        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> MalformedAttributes => new()
    {
        { "nla_len beyond payload", "0c00 0300 7767" },
        { "nla_len below 4", "0200 0300 00000000" },
    };

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [MemberData(nameof(MalformedAttributes))]
    public void Truncated_attributes_throw_a_protocol_error(string name, string hex)
    {
        _ = name;
        var bytes = Hex.Parse(hex);
        Assert.Throws<NetlinkProtocolException>(() =>
        {
            var r = new NetlinkAttributeReader(bytes);
            while (r.TryRead(out _))
            {
            }
        });
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Short_value_for_a_typed_accessor_throws()
    {
        var bytes = Hex.Parse("0600 0400 8c05 0000 | IFLA_MTU with only 2 bytes");
        var e = Assert.Throws<NetlinkProtocolException>(() =>
        {
            var r = new NetlinkAttributeReader(bytes);
            Assert.True(r.TryRead(out var a));
            a.GetU32();
        });
        Assert.Contains("need 4", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Reads_several_messages_of_one_datagram_and_nested_attributes()
    {
        var b = new byte[256];
        var w = new NetlinkWriter(b);
        for (uint i = 1; i <= 3; i++)
        {
            int m = w.BeginMessage(16, NetlinkMessageFlags.Multi, i);
            int n = w.BeginNested(8);
            w.WriteU32(1, i * 10);
            w.WriteString(2, "x");
            w.EndNested(n);
            w.EndMessage(m);
        }
        var r = new NetlinkMessageReader(b.AsSpan(0, w.Length));
        uint count = 0;
        while (r.TryRead(out var msg))
        {
            count++;
            Assert.Equal(count, msg.Sequence);
            var attrs = new NetlinkAttributeReader(msg.Payload);
            Assert.True(attrs.TryRead(out var outer));
            Assert.True(outer.IsNested);
            Assert.Equal(8, outer.Type);
            var inner = outer.GetNested();
            Assert.True(inner.TryRead(out var a1));
            Assert.Equal(count * 10, a1.GetU32());
            Assert.True(inner.TryRead(out var a2));
            Assert.Equal("x", a2.GetString());
            Assert.False(inner.TryRead(out _));
        }
        Assert.Equal(3u, count);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Writer_refuses_to_overflow_its_buffer()
    {
        var b = new byte[20];
        Assert.Throws<InvalidOperationException>(() =>
        {
            var w = new NetlinkWriter(b);
            w.BeginMessage(16, NetlinkMessageFlags.Request);
            w.WriteString(3, "a-long-interface-name");
        });
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void An_attribute_longer_than_nla_len_can_hold_is_an_error_not_a_wrapped_length()
    {
        var buffer = new byte[200_000];
        var w = new NetlinkWriter(buffer);
        w.BeginMessage(16, NetlinkMessageFlags.None);
        int nest = w.BeginNested(7);
        for (int i = 0; i < 1100; i++)
        {
            w.WriteAttribute(1, new byte[56]); // 60 bytes each: 66,000 in all
        }
        string? nested = null;
        try
        {
            w.EndNested(nest); // a ref struct cannot be captured by Assert.Throws' lambda
        }
        catch (InvalidOperationException e)
        {
            nested = e.Message;
        }
        Assert.Contains("type 7 would be 66004 bytes", nested, StringComparison.Ordinal);
        Assert.Contains("at most 65535", Error(() => new NetlinkWriter(buffer).WriteAttribute(3, new byte[65532])), StringComparison.Ordinal);
        Assert.Contains("type 3 would be 70004 bytes", Error(() => new NetlinkWriter(buffer).ReserveAttribute(3, 70_000)), StringComparison.Ordinal);

        // The largest attribute that fits is written with its exact length.
        new NetlinkWriter(buffer).WriteAttribute(3, new byte[65531]);
        Assert.Equal(65535, System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(buffer));
    }

    private static string Error(Action action) => Assert.Throws<InvalidOperationException>(action).Message;
}
