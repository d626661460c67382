using Appliance.TestSupport;
using Appliance.TestSupport.Vm;

namespace Appliance.Agent.Tests.Vm;

/// <summary>
/// One boot of Debian's trixie-backports kernel (<see cref="VmImage.GpioSimSuite"/>: Linux 7.3, the first Debian
/// kernel with gpio-sim) under qemu: the guest makes a simulated GPIO chip through configfs, and the NativeAOT agent,
/// joined to a real server (<see cref="NamespacedServer"/>), runs with its button on a line of that chip
/// (<c>--button gpio:N:L</c>), through System.Device.Gpio's GpioController. The job pulls the simulated line the
/// way a button does (<c>sim_gpioL/pull</c>): first an active-high button (line 5), a short press, with no libgpiod
/// in the guest; then, with Debian 12's libgpiod 1.6 (<c>libgpiod2</c>, from Debian's archive) in the guest's
/// library path, the default active-low button (line 3), a short press and a 5 s hold, which must end in the
/// factory reset. This kernel is built without the GPIO uAPI v1 (CONFIG_GPIO_CDEV_V1) that libgpiod 1.x speaks,
/// so both runs must pick CdevGpioDriver under the controller, each for its own logged reason.
/// </summary>
public sealed class GpioButtonVmFixture() : VmRunFixture("apgpio-vm")
{
    public const int ActiveHighLine = 5;
    public const int ActiveLowLine = 3;

    public static readonly string[] Modules = ["virtio_net", "configfs", "gpio-sim"];


    protected override async Task<VmRun> BootAsync()
    {
        var agent = await AotAgent.PublishAsync();
        var app = Directory.CreateDirectory(Work.Combine("app")).FullName;
        File.Copy(agent, Path.Combine(app, "appliance-agent"));
        await CopyLibgpiodAsync(app);
        var image = await VmImage.BuildAsync(Work.Combine("image"), app, extraModules: Modules, kernelSuite: VmImage.GpioSimSuite);
        await using var server = await NamespacedServer.StartAsync(Work.Combine("server"), uses: 1);
        var run = await QemuVm.RunAsync(image, Work.Combine("share"), JobScript(server.Token), TimeSpan.FromMinutes(10), memoryMb: 768, cpus: 2, network: server.Network);
        File.WriteAllText(Path.Combine(Path.GetTempPath(), "apgpio-vm-console.log"), run.Console);
        return run;
    }



    /// <summary>
    /// Puts Debian's <c>libgpiod.so.2</c> (package <c>libgpiod2</c> of the system's suite, fetched from Debian's
    /// archive by <c>scripts/fetch-debs.sh</c> and cached) into <paramref name="app"/>; the job moves it into the
    /// guest's library path for the second run only.
    /// </summary>
    private static async Task CopyLibgpiodAsync(string app)
    {
        var fetched = (await ProcessRunner.RunAsync("bash", [RepoPaths.Combine("scripts", "fetch-debs.sh"), "amd64", Path.Combine(VmImage.DefaultCache, "debs-amd64"), "libgpiod2"],
            timeout: TimeSpan.FromMinutes(5))).EnsureSuccess("fetch-debs.sh amd64 libgpiod2");
        var deb = fetched.StdOut.Trim().Split('\n')[^1];
        using var x = new TempDirectory("apgpio-libgpiod");
        (await ProcessRunner.RunAsync("dpkg-deb", ["-x", deb, x.Path])).EnsureSuccess("dpkg-deb -x " + deb);
        var so = Path.Combine(x.Path, "usr", "lib", "x86_64-linux-gnu", "libgpiod.so.2");
        // libgpiod.so.2 is a symbolic link to the versioned file; File.Copy copies what it points at.
        File.Copy(so, Path.Combine(app, "libgpiod.so.2"));
    }

    /// <summary>The one <c>@@PREFIX name ...</c> line; fails with the console when there is none.</summary>
    public string Line(string prefix, string name) =>
        Lines(prefix).FirstOrDefault(l => l.StartsWith(name + " ", StringComparison.Ordinal) || l == name)
        ?? throw new Xunit.Sdk.XunitException($"no @@{prefix} {name} line\n--- console ---\n{Run.Console}");

    /// <summary>An agent run's log as the guest copied it to the share (<c>high</c> or <c>low</c>).</summary>
    public string AgentLog(string which) => ShareFile($"agent-{which}.log");

    /// <summary>
    /// The guest's job. gpio-sim's <c>pull</c> attribute is the line's outside world: a consumer's bias request sets it
    /// (so reading it back shows the bias the agent asked the kernel for), and writing it moves the line as a button
    /// to ground (pull-down) or to Vcc (pull-up) does, with edge events to the line request.
    /// </summary>
    private static string JobScript(string token) => $$"""
        A=/app/appliance-agent
        ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0
        mount -t configfs none /sys/kernel/config
        G=/sys/kernel/config/gpio-sim/appliance
        mkdir $G $G/bank0 && echo 8 > $G/bank0/num_lines && echo 1 > $G/live || echo "@@FAIL gpio-sim chip"
        CHIP=$(cat $G/bank0/chip_name); DEV=$(cat $G/dev_name); N=${CHIP#gpiochip}; S=/sys/devices/platform/$DEV/$CHIP
        echo "@@GPIO chip $CHIP dev=$DEV kernel=$(uname -r) lines=$(ls -d $S/sim_gpio* | wc -l)"
        $A join --token '{{token}}' --state-dir /tmp/s --interface apgpio --hostname gpio-button || echo "@@FAIL join"
        echo '{}' > /tmp/none.json
        now() { cut -d' ' -f1 /proc/uptime; }
        # waitlog FILE TEXT TENTHS: until FILE has TEXT
        waitlog() { for i in $(seq $3); do grep -q "$2" $1 && return 0; sleep 0.1; done; echo "@@FAIL $1: no '$2' within $(($3 / 10)) s"; return 1; }
        pull() { echo $2 > $S/sim_gpio$1/pull; }

        # 1. No libgpiod: an active-high button (to Vcc); the line floats high before the agent, whose pull-down must take it low.
        LIBDIR=/usr/lib/x86_64-linux-gnu
        [ -e $LIBDIR/libgpiod.so.2 ] && echo "@@FAIL libgpiod.so.2 already in the guest"
        H={{ActiveHighLine}}
        pull $H pull-up
        echo "@@PULL high-before $(cat $S/sim_gpio$H/pull) value=$(cat $S/sim_gpio$H/value)"
        $A run --state-dir /tmp/s --hosts-file /tmp/hosts --backend kernel --config /tmp/none.json --button gpio:$N:$H:active-high > /tmp/agent-high.log 2>&1 &
        P=$!
        waitlog /tmp/agent-high.log 'applied v' 1200
        echo "@@PULL high-running $(cat $S/sim_gpio$H/pull) value=$(cat $S/sim_gpio$H/value)"
        pull $H pull-up; sleep 0.3; pull $H pull-down
        waitlog /tmp/agent-high.log 'identify: blinking' 100 && echo "@@PRESS high-short identify"
        kill -TERM $P; wait $P; echo "@@EXIT high rc=$?"

        # 2. With Debian 12's libgpiod 1.6 in the library path. The default: active low (to ground), the agent's pull-up
        # holds it high. A short press, then a 5 s hold.
        cp /app/libgpiod.so.2 $LIBDIR/libgpiod.so.2 && echo "@@LIB libgpiod.so.2 $(stat -c %s $LIBDIR/libgpiod.so.2) bytes"
        L={{ActiveLowLine}}
        echo "@@PULL low-before $(cat $S/sim_gpio$L/pull) value=$(cat $S/sim_gpio$L/value)"
        $A run --state-dir /tmp/s --hosts-file /tmp/hosts --backend kernel --config /tmp/none.json --button gpio:$N:$L > /tmp/agent-low.log 2>&1 &
        P=$!
        waitlog /tmp/agent-low.log 'applied v' 1200
        echo "@@PULL low-running $(cat $S/sim_gpio$L/pull) value=$(cat $S/sim_gpio$L/value)"
        pull $L pull-down; sleep 0.3; pull $L pull-up
        waitlog /tmp/agent-low.log 'identify: blinking' 100 && echo "@@PRESS low-short identify"
        T0=$(now); pull $L pull-down
        waitlog /tmp/agent-low.log 'button: held 5 s' 150 && echo "@@PRESS low-hold armed after $(awk "BEGIN{print $(now) - $T0}") s"
        grep -q -e '^button: factory reset' -e '^factory reset:' /tmp/agent-low.log && echo "@@FAIL the reset came before the release"
        pull $L pull-up
        waitlog /tmp/agent-low.log 'factory reset: state in' 300 && echo "@@PRESS low-release reset"
        alive() { [ -d /proc/$P ] && [ "$(cut -d' ' -f3 /proc/$P/stat)" != Z ]; }
        for i in $(seq 300); do alive || break; sleep 0.1; done
        alive && { echo "@@FAIL agent-low still running 30 s after the release"; kill -TERM $P; }
        wait $P; echo "@@EXIT low rc=$?"
        [ -e /tmp/s/state.json ] && echo "@@STATE kept" || echo "@@STATE wiped"
        cp /tmp/agent-high.log /tmp/agent-low.log /mnt/host/
        """;

}
