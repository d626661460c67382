using System.Text.Json;
using Appliance.TestSupport;
using Appliance.TestSupport.Vm;

namespace Appliance.Agent.Tests.Vm;

/// <summary>
/// One boot of Debian's kernel under qemu running the same NativeAOT agent twice, side by side, against a real
/// appliance-server: once with no hardware, once with every status device on a real kernel interface (a uinput key
/// found through /dev/input/eventN, its input-leds LED class device, softdog's /dev/watchdog, and an SSD1306 on
/// i2c-stub at 0x3c). The server runs on the host (<see cref="NamespacedServer"/>), reached by the guest through qemu's
/// user-mode network forwards and nothing else. Both agents see the other and <see cref="Peers"/> registered peers.
/// After both applied the whole mesh, the guest presses the button once and reads /proc/PID/status of both every
/// <see cref="SampleSeconds"/> s, <see cref="Samples"/> times, then copies both agents' smaps, status and thread names
/// to the share (also kept as /tmp/aprss-vm-*.txt). The agent binary: <see cref="AotAgent"/>.
/// </summary>
public sealed class HardwareRssVmFixture() : VmRunFixture("aprss-vm")
{
    public const int Peers = 20;
    /// <summary>
    /// Dense samples over two of the agent's 60 s heap trims (HeapTrim.DefaultInterval): each agent's RSS is a sawtooth
    /// of about 2 MB between trims, and the two agents trim at different moments, so one reading each compared the
    /// phases of two sawtooths, not the hardware (2026-12-05: -24 to +2,420 kB at 60 s; the same run read +2,064 kB
    /// at 20 s and +172 kB at 60 s).
    /// </summary>
    public const int SampleSeconds = 5;
    public const int Samples = 24;

    public static readonly string[] Modules =
        ["virtio_net", "evdev", "uinput", "input-leds", "ledtrig-timer", "ledtrig-heartbeat", "ledtrig-default-on", "softdog", "i2c-stub", "i2c-dev"];


    /// <summary>Where the agent binary came from (a publish of this run, or <see cref="AotAgent.ReuseVariable"/>), and its size.</summary>
    public string AgentBinary { get; private set; } = "";

    /// <summary>The host's load average when the VM ended (the guest runs under TCG: a loaded host slows it, not its figures).</summary>
    public string HostLoad { get; private set; } = "";

    protected override async Task<VmRun> BootAsync()
    {
        var agent = await AotAgent.PublishAsync();
        AgentBinary = $"{agent} ({new FileInfo(agent).Length:N0} bytes)";
        var app = await VmImage.PublishAppAsync(RepoPaths.Combine("tests", "Appliance.HardwareVmProbe", "Appliance.HardwareVmProbe.csproj"), Work.Combine("app"));
        File.Copy(agent, Path.Combine(app, "appliance-agent"), overwrite: true);
        var image = await VmImage.BuildAsync(Work.Combine("image"), app, extraModules: Modules,
            moduleParameters: new Dictionary<string, string> { ["i2c-stub"] = "chip_addr=0x3c" });
        await using var server = await NamespacedServer.StartAsync(Work.Combine("server"), uses: Peers + 2);
        await server.RegisterPeersAsync(Peers);
        var run = await QemuVm.RunAsync(image, Work.Combine("share"), JobScript(server.Token), TimeSpan.FromMinutes(12), memoryMb: 1024, cpus: 2, network: server.Network);
        File.WriteAllText(Path.Combine(Path.GetTempPath(), "aprss-vm-console.log"), run.Console);
        foreach (var name in new[] { "smaps-off.txt", "smaps-on.txt", "status-off.txt", "status-on.txt", "threads-off.txt", "threads-on.txt" })
        {
            var shared = Path.Combine(run.ShareDirectory, name);
            if (File.Exists(shared))
            {
                File.Copy(shared, Path.Combine(Path.GetTempPath(), "aprss-vm-" + name), overwrite: true);
            }
        }
        HostLoad = string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ')[..3]);
        return run;
    }



    /// <summary>An agent's log as the guest copied it to the share (<c>off</c> or <c>on</c>).</summary>
    public string AgentLog(string which) => ShareFile($"agent-{which}.log");

    /// <summary>The <c>@@RSS</c> samples: one JSON object per agent and sample time.</summary>
    public IReadOnlyList<RssSample> RssSamples()
    {
        AssertSetup();
        return [.. Run.Lines("RSS").Select(l =>
        {
            using var doc = JsonDocument.Parse(l);
            var r = doc.RootElement;
            return new RssSample(r.GetProperty("agent").GetString()!, r.GetProperty("t_s").GetInt32(),
                r.GetProperty("vm_rss_kb").GetInt64(), r.GetProperty("rss_anon_kb").GetInt64(), r.GetProperty("rss_file_kb").GetInt64(), r.GetProperty("rss_shmem_kb").GetInt64());
        })];
    }

    /// <summary>
    /// The guest's job: eth0 on the user-mode network, the uinput device held by the probe, both agents joined and
    /// run at the same moment, one short press when both applied, then the samples; the logs go to the share.
    /// </summary>
    private static string JobScript(string token) => $$"""
        A=/app/appliance-agent
        ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0
        /app/Appliance.HardwareVmProbe hold-input > /tmp/hold.out 2>&1 &
        HOLD=$!
        for i in $(seq 100); do grep -q '^@@HOLD EVENT' /tmp/hold.out && break; sleep 0.1; done
        eval "$(sed -n 's/^@@HOLD \(EVENT=.*\)/\1/p' /tmp/hold.out)"
        BUS=$(for a in /sys/class/i2c-adapter/i2c-*; do grep -q 'SMBus stub' $a/name && basename $a; done | head -1)
        echo "@@HW event=$EVENT led=$LED bus=$BUS watchdog=$(ls /dev/watchdog)"
        $A join --token '{{token}}' --state-dir /tmp/s-off --interface apoff --hostname rss-off --listen-port 51821 || echo "@@FAIL join off"
        $A join --token '{{token}}' --state-dir /tmp/s-on --interface apon --hostname rss-on --listen-port 51822 || echo "@@FAIL join on"
        echo '{}' > /tmp/none.json
        $A run --state-dir /tmp/s-off --hosts-file /tmp/hosts-off --backend kernel --config /tmp/none.json > /tmp/agent-off.log 2>&1 &
        OFF=$!
        $A run --state-dir /tmp/s-on --hosts-file /tmp/hosts-on --backend kernel --config /tmp/none.json \
          --led "$LED" --button "$EVENT" --watchdog /dev/watchdog --watchdog-timeout 30 --display "$BUS:0x3c" > /tmp/agent-on.log 2>&1 &
        ON=$!
        # Both have applied the whole mesh (the other agent and the {{Peers}} peers), 240 s at most under TCG.
        for i in $(seq 2400); do
          grep -q 'applied v.*: {{Peers + 1}} peers' /tmp/agent-off.log && grep -q 'applied v.*: {{Peers + 1}} peers' /tmp/agent-on.log && break
          sleep 0.1
        done
        echo "@@APPLIED t=$(cut -d' ' -f1 /proc/uptime)"
        touch /tmp/hold-input.press
        for s in $(seq {{Samples}}); do
          sleep {{SampleSeconds}}
          for w in off on; do
            eval "P=\$$(echo $w | tr a-z A-Z)"
            [ -d /proc/$P ] || { echo "@@FAIL agent-$w exited"; continue; }
            awk -v w=$w -v t=$((s * {{SampleSeconds}})) '
              $1=="VmRSS:"{r=$2} $1=="RssAnon:"{a=$2} $1=="RssFile:"{f=$2} $1=="RssShmem:"{m=$2}
              END{printf "@@RSS {\"agent\":\"%s\",\"t_s\":%d,\"vm_rss_kb\":%d,\"rss_anon_kb\":%d,\"rss_file_kb\":%d,\"rss_shmem_kb\":%d}\n", w, t, r, a, f, m}' /proc/$P/status
          done
        done
        # Where the memory is: both agents' mappings and threads at the same moment, for the smaps diff.
        for w in off on; do
          eval "P=\$$(echo $w | tr a-z A-Z)"
          [ -d /proc/$P ] || continue
          cat /proc/$P/smaps > /mnt/host/smaps-$w.txt
          cat /proc/$P/status > /mnt/host/status-$w.txt
          for t in /proc/$P/task/*; do echo "${t##*/} $(cat $t/comm)"; done > /mnt/host/threads-$w.txt
        done
        echo "@@LED $(cat /sys/class/leds/$LED/trigger) delay_on=$(cat /sys/class/leds/$LED/delay_on 2>/dev/null) delay_off=$(cat /sys/class/leds/$LED/delay_off 2>/dev/null)"
        kill -TERM $OFF $ON
        wait $OFF $ON
        touch /tmp/hold-input.stop
        wait $HOLD
        cat /tmp/hold.out
        cp /tmp/agent-off.log /tmp/agent-on.log /mnt/host/
        """;

}
