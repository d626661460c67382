namespace Appliance.TestSupport.Vm;

/// <summary>
/// What an xunit fixture around one VM boot shares: a work folder, the boot (<see cref="BootAsync"/>, run once at
/// initialization), the setup error kept for the tests to report (a fixture that throws hides its reason), the
/// console's <c>@@PREFIX</c> lines and the files the guest left in its share. The work folder is removed on dispose.
/// </summary>
public abstract class VmRunFixture(string workPrefix) : IAsyncLifetime
{
    /// <summary>The fixture's own temp folder (image, share, whatever the boot needs).</summary>
    protected TempDirectory Work { get; } = new(workPrefix);

    public VmRun Run { get; private set; } = null!;

    public Exception? SetupError { get; private set; }

    /// <summary>Builds what the guest needs and boots it to the end of its job.</summary>
    protected abstract Task<VmRun> BootAsync();

    public async Task InitializeAsync()
    {
        try
        {
            Run = await BootAsync();
        }
        catch (Exception e)
        {
            SetupError = e;
        }
    }

    public void AssertSetup()
    {
        if (SetupError is not null)
        {
            throw new InvalidOperationException("VM setup failed: " + SetupError);
        }
    }

    /// <summary>The console's <c>@@PREFIX</c> lines (after checking the setup worked).</summary>
    public IReadOnlyList<string> Lines(string prefix)
    {
        AssertSetup();
        return Run.Lines(prefix);
    }

    /// <summary>A file the guest wrote to its share; fails with the console when there is none.</summary>
    public string ShareFile(string name)
    {
        AssertSetup();
        var path = Path.Combine(Run.ShareDirectory, name);
        return File.Exists(path) ? File.ReadAllText(path) : throw new Xunit.Sdk.XunitException($"no {name} in the share\n--- console ---\n{Run.Console}");
    }

    public virtual Task DisposeAsync()
    {
        Work.Dispose();
        return Task.CompletedTask;
    }
}
