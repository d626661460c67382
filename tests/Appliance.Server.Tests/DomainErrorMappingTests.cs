using Appliance.Server.Api;
using Appliance.Server.Domain;
using Appliance.TestSupport;

namespace Appliance.Server.Tests;

/// <summary>The services refuse with <see cref="DomainException"/>; the API answers each kind with one status and title, as before issue #14.</summary>
public sealed class DomainErrorMappingTests
{
    public static TheoryData<DomainErrorKind, int, string> Statuses() => new()
    {
        { DomainErrorKind.Invalid, 400, "Invalid request" },
        { DomainErrorKind.NotFound, 404, "Not found" },
        { DomainErrorKind.Conflict, 409, "Conflict" },
        { DomainErrorKind.Forbidden, 403, "Forbidden" },
    };

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [MemberData(nameof(Statuses))]
    public void Each_kind_has_its_status_and_title(DomainErrorKind kind, int status, string title) =>
        Assert.Equal((status, title), ProblemMiddleware.StatusOf(kind));

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Every_kind_has_a_row() =>
        Assert.Equal(Enum.GetValues<DomainErrorKind>().Order(), Statuses().Select(r => (DomainErrorKind)r[0]).Order());

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Collected_field_errors_become_one_refusal_naming_all_of_them()
    {
        var errors = new ValidationErrors();
        errors.Add("ranges[0]", "overlaps 10.0.0.0/8");
        errors.Add("ranges[0]", "is listed twice");
        errors.Add("nat", "must be true or false");
        var e = Assert.Throws<DomainException>(() => errors.ThrowIfAny(DomainErrorKind.Conflict));
        Assert.Equal(DomainErrorKind.Conflict, e.Kind);
        Assert.Equal("ranges[0]: overlaps 10.0.0.0/8, is listed twice; nat: must be true or false", e.Message);
        Assert.Equal(["overlaps 10.0.0.0/8", "is listed twice"], e.Errors!["ranges[0]"]);
        Assert.Equal(["must be true or false"], e.Errors["nat"]);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void No_errors_no_refusal() => new ValidationErrors().ThrowIfAny();

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void A_single_field_refusal_names_the_field()
    {
        var e = DomainException.Invalid("gateway", "no node 'x' in network 'home'");
        Assert.Equal((DomainErrorKind.Invalid, "gateway: no node 'x' in network 'home'"), (e.Kind, e.Message));
        Assert.Equal(["no node 'x' in network 'home'"], e.Errors!["gateway"]);
        Assert.Equal("node 'n1' not found", DomainException.NotFound("node 'n1'").Message);
        Assert.Null(DomainException.Conflict("in use").Errors);
    }
}
