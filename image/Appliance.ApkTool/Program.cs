using Appliance.ApkTool;
using Appliance.ApkTool.Adb;
using Appliance.ApkTool.Package;

// appliance-apk: makes and lists apk-tools 3 packages (OpenWrt 25.12's .apk) without apk-tools.
try
{
    switch (args.FirstOrDefault())
    {
        case "mkpkg":
            var cmd = ApkCommandLine.Parse(args[1..], Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH"));
            var scripts = cmd.ScriptFiles.ToDictionary(s => s.Key, s => File.ReadAllText(s.Value));
            var bytes = ApkPackageWriter.Write(cmd.Info, PayloadDirectory.Read(cmd.FilesDir), scripts, cmd.MTime, cmd.Compression);
            // Written beside the target and renamed over it, so a failed run leaves no half package.
            var partial = cmd.Output + ".partial";
            File.WriteAllBytes(partial, bytes);
            File.Move(partial, cmd.Output, overwrite: true);
            return 0;
        case "list" when args.Length == 2:
            var package = ApkPackageReader.Read(File.ReadAllBytes(args[1]));
            var i = package.Info;
            Console.Write($"""
                name: {i.Name}
                version: {i.Version}
                arch: {i.Arch}
                description: {i.Description}
                depends: {string.Join(' ', i.Depends)}
                installed-size: {package.InstalledSize}
                identity: {Convert.ToHexStringLower(package.Identity)}
                compression: {package.Compression}
                signatures: {package.SignatureBlocks}
                scripts: {string.Join(' ', package.Scripts.Keys.Select(ApkScriptNames.Name))}

                """);
            Console.Write(package.Listing());
            return 0;
        default:
            Console.Error.WriteLine(ApkCommandLine.Usage);
            return 2;
    }
}
catch (ArgumentException e)
{
    Console.Error.WriteLine("appliance-apk: " + e.Message);
    return 2;
}
catch (AdbFormatException e)
{
    Console.Error.WriteLine("appliance-apk: " + e.Message);
    return 1;
}
