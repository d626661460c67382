using System.Globalization;
using System.Text.RegularExpressions;
using Appliance.Hardware.Display.VmProbe;
using Appliance.TestSupport;
using Appliance.TestSupport.Vm;

namespace Appliance.Hardware.Display.Tests.Vm;

/// <summary>
/// The display path on a real kernel (Debian's, under qemu): StatusDisplay → Iot.Device.Ssd13xx's Ssd1306 →
/// Ssd1306I2cDevice → LinuxI2cBus → /dev/i2c-N (i2c-dev) → i2c-stub with a chip at 0x3c. The stub is an SMBus register device with no plain-I²C transfers, so the bus sends
/// each SSD1306 transfer as an SMBus I²C-block write (the same bytes on the wire). What the kernel received is read
/// back two ways: the smbus_write trace events (every transfer, in order) and the stub's registers with i2cdump.
/// </summary>
public sealed partial class DisplayVmTests : IClassFixture<DisplayVmTests.Fixture>
{
    private readonly Fixture _vm;
    private readonly Xunit.Abstractions.ITestOutputHelper _output;

    public DisplayVmTests(Fixture vm, Xunit.Abstractions.ITestOutputHelper output)
    {
        _vm = vm;
        _output = output;
    }

    [Fact]
    [Trait("Category", TestCategories.Vm)]
    public void The_stub_receives_the_golden_ssd1306_stream_then_display_off()
    {
        var run = _vm.Require();
        _vm.AssertResult("frame");

        var transfers = SmbusWrites(File.ReadAllText(Path.Combine(run.ShareDirectory, "trace.txt")), _vm.Bus, 0x3C);

        var golden = Goldens.ReadStream(Path.Combine(Goldens.Directory, "ssd1306-member-start.hex"));
        Assert.Equal(golden.Count + 1, transfers.Count);
        Assert.Equal(golden.Select(Convert.ToHexStringLower), transfers.Take(golden.Count).Select(Convert.ToHexStringLower));
        Assert.Equal("00ae", Convert.ToHexStringLower(transfers[^1]));
    }

    [Fact]
    [Trait("Category", TestCategories.Vm)]
    public void The_stubs_registers_hold_the_last_command_and_the_last_ram_bytes_sent()
    {
        var run = _vm.Require();
        _vm.AssertResult("frame");
        // An SMBus block write of command C stores its bytes at registers C, C+1, ...: the last command transfer
        // (display off) at 0x00, the last 32 RAM bytes (page 7, columns 96..127) at 0x40..0x5f.
        var registers = I2cDump(File.ReadAllText(Path.Combine(run.ShareDirectory, "regs.txt")));
        var frame = PageLayout.Render(PageLayout.Layout(DisplaySamples.Member, StatusPage.Node));

        Assert.Equal(Ssd1306Command.DisplayOff, registers[0x00]);
        Assert.Equal(frame.Page(7)[96..].ToArray(), registers.AsSpan(0x40, 32).ToArray());
    }

    [Fact]
    [Trait("Category", TestCategories.Vm)]
    public void No_chip_at_the_address_is_one_log_line_and_no_bus_names_the_device_node()
    {
        _vm.Require();

        _vm.AssertResult("absent");
        _vm.AssertResult("nobus");
    }

    [Fact]
    [Trait("Category", TestCategories.Vm)]
    public void Ten_seconds_of_redrawing_every_100_ms_runs_and_reports_its_resident_memory()
    {
        var run = _vm.Require();

        _vm.AssertResult("rss");
        var rss = Assert.Single(run.Lines("RSS"));
        _output.WriteLine("display in a process, before/after 10 s at 10 frames/s: " + rss);
    }

    /// <summary>The transfers to <paramref name="address"/> in tracefs's smbus_write events: the command byte, then the block.</summary>
    private static List<byte[]> SmbusWrites(string trace, int bus, int address)
    {
        var writes = new List<byte[]>();
        foreach (Match m in SmbusWrite().Matches(trace))
        {
            if (int.Parse(m.Groups["bus"].Value, CultureInfo.InvariantCulture) != bus || int.Parse(m.Groups["addr"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture) != address)
            {
                continue;
            }
            Assert.Equal("I2C_BLOCK_DATA", m.Groups["proto"].Value);
            // The traced buffer is the i2c_smbus_data block: its length byte, then the bytes.
            var block = Convert.FromHexString(m.Groups["buf"].Value.Replace("-", "", StringComparison.Ordinal));
            Assert.Equal(block.Length - 1, block[0]);
            writes.Add([byte.Parse(m.Groups["cmd"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture), .. block[1..]]);
        }
        return writes;
    }

    /// <summary>The 256 registers of an <c>i2cdump -y N 0x3c b</c> table ("XX" = unreadable, kept as 0).</summary>
    private static byte[] I2cDump(string text)
    {
        var registers = new byte[256];
        var rows = 0;
        foreach (Match m in DumpRow().Matches(text))
        {
            var row = int.Parse(m.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            var cells = m.Groups[2].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            for (var i = 0; i < 16 && i < cells.Length; i++)
            {
                registers[row + i] = byte.TryParse(cells[i], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var b) ? b : (byte)0;
            }
            rows++;
        }
        Assert.True(rows == 16, "i2cdump output:\n" + text);
        return registers;
    }

    // smbus_write: i2c-0 a=03c f=0000 c=40 I2C_BLOCK_DATA l=33 [20-00-...]
    [GeneratedRegex(@"smbus_write: i2c-(?<bus>\d+) a=(?<addr>[0-9a-f]+) f=[0-9a-f]+ c=(?<cmd>[0-9a-f]+) (?<proto>\w+) l=\d+ \[(?<buf>[0-9a-f-]*)\]")]
    private static partial Regex SmbusWrite();

    // 40: 00 00 7e 11 ...    ................
    [GeneratedRegex(@"^([0-9a-f]0): ((?:(?:[0-9a-f]{2}|XX) ){15}(?:[0-9a-f]{2}|XX))", RegexOptions.Multiline)]
    private static partial Regex DumpRow();

    /// <summary>One VM boot for the class: publishes the probe, loads i2c-stub (chip_addr=0x3c) and i2c-dev, traces SMBus writes.</summary>
    public sealed class Fixture : IAsyncLifetime
    {
        private readonly TempDirectory _work = new("apdisp-vm");
        private Exception? _error;

        public VmRun? Run { get; private set; }

        public int Bus { get; private set; } = -1;

        public async Task InitializeAsync()
        {
            try
            {
                var app = await VmImage.PublishAppAsync(RepoPaths.Combine("tests", "Appliance.Hardware.Display.VmProbe", "Appliance.Hardware.Display.VmProbe.csproj"), _work.Combine("probe"));
                var image = await VmImage.BuildAsync(_work.Combine("image"), app, extraModules: ["i2c-stub", "i2c-dev"],
                    moduleParameters: new Dictionary<string, string> { ["i2c-stub"] = "chip_addr=0x3c" });
                Run = await QemuVm.RunAsync(image, _work.Combine("share"), JobScript, TimeSpan.FromMinutes(8));
                File.WriteAllText(Path.Combine(Path.GetTempPath(), "apdisp-vm-console.log"), Run.Console);
                var bus = Run.Lines("BUS") is [var first, ..] ? first : null;
                Bus = bus is not null && bus.StartsWith("i2c-", StringComparison.Ordinal) && int.TryParse(bus[4..], out var n) ? n : -1;
            }
            catch (Exception e)
            {
                _error = e;
            }
        }

        // The stub's bus is whichever adapter is named "SMBus stub driver"; tracing covers only the probe's run.
        private const string JobScript = """
            T=/sys/kernel/tracing
            mount -t tracefs tracefs $T
            echo 1 > $T/events/smbus/smbus_write/enable
            BUS=$(for a in /sys/class/i2c-adapter/i2c-*; do grep -q 'SMBus stub' $a/name && basename $a; done | head -1)
            echo "@@BUS $BUS"
            /app/Appliance.Hardware.Display.VmProbe ${BUS#i2c-} 2>&1 | tee /mnt/host/probe.out
            echo 0 > $T/tracing_on
            cat $T/trace > /mnt/host/trace.txt
            i2cdump -y ${BUS#i2c-} 0x3c b > /mnt/host/regs.txt 2>&1
            /app/Appliance.Hardware.Display.VmProbe ${BUS#i2c-} rss 2>&1 | tee -a /mnt/host/probe.out

            """;

        public VmRun Require()
        {
            if (_error is not null || Run is null)
            {
                throw new InvalidOperationException("VM setup failed: " + _error);
            }
            Assert.True(Bus >= 0, "no i2c-stub adapter in the VM:\n" + Run.Console);
            return Run;
        }

        public void AssertResult(string name)
        {
            var line = Require().Lines("RESULT").FirstOrDefault(l => l.StartsWith(name + " ", StringComparison.Ordinal));
            Assert.True(line is not null && line.StartsWith(name + " PASS", StringComparison.Ordinal), $"{name}: {line ?? "no result"}\n--- console ---\n{Run!.Console}");
        }

        public Task DisposeAsync()
        {
            _work.Dispose();
            return Task.CompletedTask;
        }
    }
}
