using Appliance.Mqtt.Formatter;
using Appliance.TestSupport;

namespace Appliance.Mqtt.Tests.Formatter;

public sealed class MqttTopicTests
{
    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [InlineData("a/b", true)]
    [InlineData("/", true)]
    [InlineData("a//b", true)]
    [InlineData("$SYS/x", true)]
    [InlineData("", false)]
    [InlineData("a/+", false)]
    [InlineData("a/#", false)]
    [InlineData("a\0b", false)]
    public void Topic_names(string topic, bool valid) => Assert.Equal(valid, MqttTopic.IsValidTopicName(topic));

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [InlineData("#", true)]
    [InlineData("+", true)]
    [InlineData("a/+/c", true)]
    [InlineData("a/#", true)]
    [InlineData("+/+", true)]
    [InlineData("/+", true)]
    [InlineData("", false)]
    [InlineData("a/#/c", false)]
    [InlineData("a#", false)]
    [InlineData("a/b+", false)]
    [InlineData("##", false)]
    public void Topic_filters(string filter, bool valid) => Assert.Equal(valid, MqttTopic.IsValidTopicFilter(filter));

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [InlineData("a/b", "a/b", true)]
    [InlineData("a/b", "a/c", false)]
    [InlineData("a/+", "a/b", true)]
    [InlineData("a/+", "a/b/c", false)]
    [InlineData("a/+", "a", false)]
    [InlineData("a/+", "a/", true)]
    [InlineData("a/#", "a", true)]
    [InlineData("a/#", "a/b/c", true)]
    [InlineData("a/#", "ab", false)]
    [InlineData("#", "a/b", true)]
    [InlineData("#", "$SYS/x", false)]
    [InlineData("+/x", "$SYS/x", false)]
    [InlineData("$SYS/#", "$SYS/x", true)]
    [InlineData("+/+", "/a", true)]
    [InlineData("a/b/c", "a/b", false)]
    [InlineData("a/b", "a/b/c", false)]
    public void Matching(string filter, string topic, bool matches) => Assert.Equal(matches, MqttTopic.Matches(filter, topic));

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [InlineData("appliance/v1/node/n1/#", "appliance/v1/node/n1/#", true)]
    [InlineData("appliance/v1/node/n1/peers", "appliance/v1/node/n1/#", true)]
    [InlineData("appliance/v1/node/n1/+", "appliance/v1/node/n1/#", true)]
    [InlineData("appliance/v1/node/n1", "appliance/v1/node/n1/#", true)]
    [InlineData("appliance/v1/node/+/#", "appliance/v1/node/n1/#", false)]
    [InlineData("appliance/v1/#", "appliance/v1/node/n1/#", false)]
    [InlineData("#", "appliance/v1/node/n1/#", false)]
    [InlineData("appliance/v1/node/n2/x", "appliance/v1/node/n1/#", false)]
    [InlineData("a/x/c", "a/+/c", true)]
    [InlineData("a/+/c", "a/+/c", true)]
    [InlineData("a/#", "a/+/c", false)]
    public void Subscribe_filter_coverage(string filter, string pattern, bool covered) => Assert.Equal(covered, MqttTopic.IsCoveredBy(filter, pattern));
}
