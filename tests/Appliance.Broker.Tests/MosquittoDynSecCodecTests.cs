using System.Text;
using Appliance.Broker.Mosquitto;
using Appliance.TestSupport;

namespace Appliance.Broker.Tests;

/// <summary>The dynamic-security plugin's JSON: commands out (golden), answers in, and what is refused before sending.</summary>
[Trait("Category", TestCategories.Unit)]
public sealed class MosquittoDynSecCodecTests
{
    [Fact]
    public void Commands_encode_as_the_plugin_reads_them()
    {
        // mosquitto_ctrl dynsec createRole n1 ; addRoleACL n1 publishClientSend appliance/v1/report/n1/# allow 1 ;
        // createClient n1 -p pw ; addClientRole n1 n1 -- as one message, each answer tagged with its correlation data.
        var bytes = MosquittoDynSecCodec.Encode(
            [
                MosquittoDynSecCommands.CreateRole("n1", [new MosquittoAclEntry("publishClientSend", "appliance/v1/report/n1/#", true, 1)], "appliance-node"),
                MosquittoDynSecCommands.CreateClient("n1", "pw", "n1", "appliance-node"),
                MosquittoDynSecCommands.DeleteClient("gone"),
            ],
            batch: 7);
        Assert.Equal(
            """{"commands":[""" +
            """{"command":"createRole","rolename":"n1","acls":[{"acltype":"publishClientSend","topic":"appliance/v1/report/n1/#","priority":1,"allow":true}],"textname":"appliance-node","correlationData":"7.0"},""" +
            """{"command":"createClient","username":"n1","password":"pw","roles":[{"rolename":"n1"}],"textname":"appliance-node","correlationData":"7.1"},""" +
            """{"command":"deleteClient","username":"gone","correlationData":"7.2"}]}""",
            Encoding.UTF8.GetString(bytes));
    }

    [Fact]
    public void Answers_decode_with_their_errors_and_listings()
    {
        var answers = MosquittoDynSecCodec.Decode("""
            {"responses":[
              {"command":"createClient","error":"Client already exists","correlationData":"3.0"},
              {"command":"deleteRole","correlationData":"3.1"},
              {"command":"listClients","data":{"totalCount":2,"clients":[{"username":"admin","textname":"Dynsec admin user","roles":[{"rolename":"admin"}],"groups":[]},{"username":"n1","roles":[]}]},"correlationData":"3.2"},
              {"command":"listRoles","data":{"totalCount":1,"roles":[{"rolename":"n1","textname":"appliance-node","acls":[{"acltype":"subscribePattern","topic":"a/#","priority":1,"allow":true},{"acltype":"publishClientReceive","topic":"#","priority":0,"allow":false}]}]},"correlationData":"3.3"}
            ]}
            """u8);
        Assert.Equal(("createClient", "Client already exists", "3.0", false), (answers[0].Command, answers[0].Error, answers[0].CorrelationData, answers[0].Succeeded));
        Assert.True(answers[1].Succeeded);
        var (clients, total) = MosquittoDynSecCodec.ReadClients(answers[2].Data!.Value);
        Assert.Equal(2, total);
        Assert.Equal(new MosquittoDynSecClientInfo("admin", "Dynsec admin user", ["admin"]).Username, clients[0].Username);
        Assert.Equal(["admin"], clients[0].Roles);
        Assert.Equal(("n1", (string?)null, 0), (clients[1].Username, clients[1].TextName, clients[1].Roles.Count));
        var (roles, roleTotal) = MosquittoDynSecCodec.ReadRoles(answers[3].Data!.Value);
        Assert.Equal(1, roleTotal);
        Assert.Equal([new MosquittoAclEntry("subscribePattern", "a/#", true, 1), new MosquittoAclEntry("publishClientReceive", "#", false, 0)], roles[0].Acls);
        Assert.Equal("appliance-node", roles[0].TextName);
    }

    public static TheoryData<string, string> BadAnswers() => new()
    {
        { "not json", "Unknown command" },
        { """{"nothing":[]}""", "no 'responses' array" },
        { """{"responses":{}}""", "no 'responses' array" },
        { "[1,2]", "no 'responses' array" },
        { new string('[', 64) + new string(']', 64), "not valid JSON" },
    };

    [Theory]
    [MemberData(nameof(BadAnswers))]
    public void Answers_that_are_not_the_plugins_are_refused_clearly(string payload, string message)
    {
        var e = Assert.Throws<MosquittoDynSecException>(() => MosquittoDynSecCodec.Decode(Encoding.UTF8.GetBytes(payload)));
        Assert.Contains(message == "Unknown command" ? "not valid JSON" : message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_oversized_answer_and_a_listing_without_a_count_are_refused()
    {
        Assert.Throws<MosquittoDynSecException>(() => MosquittoDynSecCodec.Decode(new byte[MosquittoDynSecCodec.MaxResponseBytes + 1]));
        var listing = MosquittoDynSecCodec.Decode("""{"responses":[{"command":"listClients","data":{"clients":[]}}]}"""u8)[0];
        Assert.Throws<MosquittoDynSecException>(() => MosquittoDynSecCodec.ReadClients(listing.Data!.Value));
    }

    [Fact]
    public void Bad_names_passwords_and_batches_are_refused_before_anything_is_sent()
    {
        Assert.Throws<ArgumentException>(() => MosquittoDynSecCommands.CreateClient("", "pw", "r"));
        Assert.Throws<ArgumentException>(() => MosquittoDynSecCommands.CreateClient("a\nb", "pw", "r"));
        Assert.Throws<ArgumentException>(() => MosquittoDynSecCommands.CreateClient(new string('a', MosquittoDynSecCommands.MaxNameLength + 1), "pw", "r"));
        Assert.Throws<ArgumentException>(() => MosquittoDynSecCommands.CreateClient("n1", "", "n1"));
        Assert.Throws<ArgumentException>(() => MosquittoDynSecCommands.SetClientPassword("n1", new string('p', MosquittoDynSecCommands.MaxPasswordLength + 1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => MosquittoDynSecCommands.ListClients(0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => MosquittoDynSecCodec.Encode([], 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => MosquittoDynSecCodec.Encode([.. Enumerable.Repeat(MosquittoDynSecCommands.DeleteClient("x"), MosquittoDynSecCodec.MaxCommandsPerMessage + 1)], 1));
        // A password never appears in what a failure says about the command.
        Assert.DoesNotContain("s3cret", MosquittoDynSecCommands.CreateClient("n1", "s3cret", "n1").Describe(), StringComparison.Ordinal);
    }
}
