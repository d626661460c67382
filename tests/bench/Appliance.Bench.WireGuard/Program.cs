using Appliance.Bench.WireGuard;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

// Usage:
//   Appliance.Bench.WireGuard uapi [rounds]   our UAPI backend vs `wg setconf` on the same wireguard-go (root)
//   Appliance.Bench.WireGuard encoder         BenchmarkDotNet + MemoryDiagnoser for the pure encoders
string mode = args.Length > 0 ? args[0] : "uapi";
switch (mode)
{
    case "uapi":
        return await UapiVersusWgSetconf.RunAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 15);
    case "encoder":
        var config = ManualConfig.Create(DefaultConfig.Instance)
            .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
            .WithOptions(ConfigOptions.DisableOptimizationsValidator);
        BenchmarkRunner.Run<EncoderBenchmarks>(config, args.Skip(1).ToArray());
        return 0;
    default:
        Console.Error.WriteLine("usage: Appliance.Bench.WireGuard uapi [rounds] | encoder");
        return 2;
}
