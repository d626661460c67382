return await Appliance.VmProbe.ProbeRunner.RunAsync(args);
