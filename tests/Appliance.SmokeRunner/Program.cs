using System.Reflection;
using System.Runtime.Loader;
using Appliance.SmokeRunner;

// appliance-smoke-runner <test assembly> [--trait Name=Value]... [--class Prefix]...
// Prints one "@@TEST PASS|FAIL|SKIP <name> [message]" line per test and a closing "@@SUMMARY passed=P failed=F skipped=S";
// exits 0 only when some test ran and none failed.
if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.Out.WriteLine("usage: appliance-smoke-runner <test assembly> [--trait Name=Value]... [--class Prefix]...");
    return args.Length == 0 ? 2 : 0;
}
SmokeFilter filter;
try
{
    filter = SmokeFilter.Parse(args.AsSpan(1));
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}
var path = Path.GetFullPath(args[0]);
if (!File.Exists(path))
{
    Console.Error.WriteLine($"no test assembly at {path}");
    return 2;
}
// The test assembly's dependencies (the code under test, xunit, fakes) sit beside it, built for any CPU.
var directory = Path.GetDirectoryName(path)!;
// Tests find their files beside their own assembly (AppContext.BaseDirectory), as under `dotnet test`.
AppContext.SetData("APP_CONTEXT_BASE_DIRECTORY", directory + Path.DirectorySeparatorChar);
Environment.CurrentDirectory = directory;
AssemblyLoadContext.Default.Resolving += (context, name) =>
{
    var candidate = Path.Combine(directory, name.Name + ".dll");
    return File.Exists(candidate) ? context.LoadFromAssemblyPath(candidate) : null;
};
var assembly = AssemblyLoadContext.Default.LoadFromAssemblyPath(path);
var summary = XunitSmokeRun.Run(assembly, filter, Console.Out);
Console.Out.WriteLine($"@@SUMMARY passed={summary.Passed} failed={summary.Failed} skipped={summary.Skipped} seconds={summary.Seconds:F1} arch={System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}");
return summary.Failed == 0 && summary.Passed > 0 ? 0 : 1;
