using Appliance.Hardware.Led;

namespace Appliance.Agent.Hardware;

/// <summary>
/// What the status LED shows, from the agent's facts (pure apart from the time passed in). The button's feedback
/// comes first, then identify, then before the join the token, then an apply error, then the broker connection.
/// </summary>
public sealed class StatusTracker
{
    /// <summary>Not joined yet: null. Joined: true.</summary>
    public bool Joined { get; set; }

    /// <summary>Not joined, and a join token is waiting to be used (the first boot is joining).</summary>
    public bool TokenPresent { get; set; }

    /// <summary>The last apply: null before any, else whether it worked.</summary>
    public bool? LastApplyOk { get; set; }

    public bool BrokerUp { get; set; }

    public DateTimeOffset IdentifyUntil { get; set; } = DateTimeOffset.MinValue;

    public bool ButtonDown { get; set; }

    public bool ResetArmed { get; set; }

    public StatusLedState Current(DateTimeOffset now) =>
        ResetArmed ? StatusLedState.FactoryResetArmed
        : ButtonDown ? StatusLedState.ButtonHeld
        : now < IdentifyUntil ? StatusLedState.Identify
        : !Joined ? (TokenPresent ? StatusLedState.Enrolling : StatusLedState.WaitingForToken)
        : LastApplyOk == false ? StatusLedState.Error
        : BrokerUp ? StatusLedState.Connected
        // Broker down: with a state applied the tunnels run on; without one the agent is still coming up.
        : LastApplyOk == true ? StatusLedState.ServerUnreachable
        : StatusLedState.Booting;
}
