namespace Appliance.TestSupport;

/// <summary>A throwaway directory removed on dispose, even when the test failed.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory(string prefix = "appliance-test")
    {
        Path = Directory.CreateTempSubdirectory(prefix + "-").FullName;
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
