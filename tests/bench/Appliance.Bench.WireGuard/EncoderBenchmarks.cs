using Appliance.Crypto;
using Appliance.WireGuard;
using Appliance.WireGuard.Genl;
using Appliance.WireGuard.Uapi;
using BenchmarkDotNet.Attributes;

namespace Appliance.Bench.WireGuard;

/// <summary>Time and allocation of the pure encoders for a 1000-peer plan (buffers preallocated, as the backends keep them).</summary>
[MemoryDiagnoser]
public class EncoderBenchmarks
{
    private readonly byte[] _genl = new byte[WgGenlConstants.DefaultMaxMessageSize];
    private byte[] _uapi = [];
    private WgDevicePlan _plan = WgDevicePlan.Empty;
    private WgDevice _current = new("wg0");
    private WgDeviceConfig _config = null!;

    [GlobalSetup]
    public void Setup()
    {
        _config = BenchConfigs.Make(1000, 1, X25519.GenerateKeyPair().PrivateKey);
        _plan = WgDevicePlan.FromConfig(_config);
        _uapi = new byte[UapiEncoder.MaxSetDeviceSize(_plan)];
        _current = new WgDevice("wg0")
        {
            PrivateKey = _config.PrivateKey,
            ListenPort = _config.ListenPort ?? 0,
            Peers = [.. _config.Peers.Select(p => new WgPeer(p.PublicKey) { Endpoint = p.Endpoint, PersistentKeepalive = p.PersistentKeepalive, AllowedIPs = p.AllowedIPs })],
        };
    }

    /// <summary>All WG_CMD_SET_DEVICE messages for 1000 peers, written one after another into one buffer.</summary>
    [Benchmark]
    public int GenlSetDevice1000Peers()
    {
        var cursor = default(WgGenlCursor);
        int total = 0;
        while (!cursor.Done)
        {
            total += WgGenlEncoder.SetDevice(_genl, 0x15, "wg0", _plan, ref cursor);
        }
        return total;
    }

    [Benchmark]
    public int UapiSetDevice1000Peers() => UapiEncoder.SetDevice(_uapi, _plan);

    [Benchmark]
    public bool ReconcileUnchanged1000Peers() => WgReconciler.Diff(_current, _config).IsEmpty;
}
