namespace Appliance.Mqtt.Tests.Formatter;

/// <summary>Deterministic mutations of golden frames for fuzz tests: bit flips, byte edits, cuts, inserts and splices.</summary>
public sealed class PacketMutator
{
    private readonly Random _rng;
    private readonly byte[][] _corpus;

    public PacketMutator(int seed, IEnumerable<byte[]> corpus)
    {
        _rng = new Random(seed);
        _corpus = [.. corpus];
    }

    public byte[] Next()
    {
        var data = new List<byte>(_corpus[_rng.Next(_corpus.Length)]);
        var rounds = 1 + _rng.Next(3);
        for (var i = 0; i < rounds; i++)
        {
            Mutate(data);
        }
        return [.. data];
    }

    private void Mutate(List<byte> d)
    {
        switch (_rng.Next(8))
        {
            case 0 when d.Count > 0:
                var bit = _rng.Next(d.Count * 8);
                d[bit / 8] ^= (byte)(1 << (bit % 8));
                break;
            case 1 when d.Count > 0:
                d[_rng.Next(d.Count)] = (byte)_rng.Next(256);
                break;
            case 2 when d.Count > 0:
                var keep = _rng.Next(d.Count);
                d.RemoveRange(keep, d.Count - keep);
                break;
            case 3:
                d.Insert(_rng.Next(d.Count + 1), (byte)_rng.Next(256));
                break;
            case 4 when d.Count > 1:
                // Remaining length: the field decoders trust least.
                d[1] = (byte)_rng.Next(256);
                break;
            case 5 when d.Count > 0:
                d.RemoveRange(_rng.Next(d.Count), 1);
                break;
            case 6 when d.Count > 2:
                var start = _rng.Next(d.Count - 1);
                var len = 1 + _rng.Next(Math.Min(8, d.Count - start));
                d.InsertRange(_rng.Next(d.Count), d.GetRange(start, len));
                break;
            case 7:
                var other = _corpus[_rng.Next(_corpus.Length)];
                var cut = _rng.Next(d.Count + 1);
                d.RemoveRange(cut, d.Count - cut);
                d.AddRange(other.Skip(_rng.Next(other.Length + 1)));
                break;
            default:
                // Type nibble and flags.
                if (d.Count > 0)
                {
                    d[0] = (byte)((_rng.Next(16) << 4) | (d[0] & 0x0F));
                }
                break;
        }
    }
}
